/* The settings file ($XDG_CONFIG_HOME/vtax/vtaxrc). */
#include "config.h"

#include "fuzz.h"
#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct ui u;
	ui_init(&u);
	char *cause = NULL;
	settings_parse(s, &u, &cause);
	free(cause);
	struct sb out = {0};
	settings_format(&out, &u);
	sb_free(&out);
	free(s);
	return 0;
}
