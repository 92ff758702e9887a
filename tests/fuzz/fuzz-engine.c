/* Docker / Podman Engine API replies (GET /containers/json). */
#include "config.h"

#include "agent.h"
#include "fuzz.h"

static void on(void *arg, const char *id, const char *name, const char *image, const char *state)
{
	(void)image;
	(void)state;
	size_t *n = arg;
	*n += strlen(id) + strlen(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;
	parse_engine_containers((const char *)data, size, on, &n);
	return 0;
}
