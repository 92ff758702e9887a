/* Guest agent replies: guest-get-cpustats lines, any bytes, any length. */
#include "config.h"

#include "agent-qga.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qga_cpu c;
	char err[128];
	/* the client hands the parser a line it cut from the stream: not
	 * NUL-terminated at len */
	char *s = malloc(size ? size : 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	parse_qga_cpustats(s, size, &c, err, sizeof(err));
	free(s);
	return 0;
}
