/* Strings that came from guests on their way to the terminal and JSON. */
#include "config.h"

#include "fuzz.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	char out[64];
	sanitize(out, sizeof(out), s);
	/* nothing below 0x20, no DEL, no C1 control may come out */
	for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			abort();
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			abort();
	}
	char *c = utf8_clean(s);
	free(c);
	uint64_t ns;
	parse_seconds(s, &ns);
	free(s);
	return 0;
}
