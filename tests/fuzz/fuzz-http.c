/* --serve's own request handling: method, path, Authorization header
 * (base64) and body length, split from the input at NUL bytes. */
#include "config.h"

#include "fuzz.h"
#include "serve.h"

static bool check(void *ctx, const char *user, const char *password)
{
	(void)ctx;
	return !strcmp(user, "u") && !strcmp(password, "p");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	const char *part[3] = {"GET", "/metrics", NULL};
	size_t np = 0;
	for (char *p = s; np < 3 && p <= s + size; p += strlen(p) + 1)
		part[np++] = p;
	struct serve_answer a;
	serve_decide(part[0], part[1], part[2], size & 1, size & 2, check, NULL, &a);
	char out[64];
	base64_decode(s, out, sizeof(out));
	free(s);
	return 0;
}
