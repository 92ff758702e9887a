/* The --web-config file parser. */
#include "config.h"

#include "fuzz.h"
#include "webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct webconfig wc;
	char *cause = NULL;
	if (webconfig_parse(s, &wc, &cause) == 0)
		webconfig_free(&wc);
	free(cause);
	free(s);
	return 0;
}
