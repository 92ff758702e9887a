/* /proc/PID/cgroup lines and command lines (QEMU arguments, helpers). */
#include "config.h"

#include "fuzz.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	char out[256];
	parse_proc_cgroup(s, "", out, sizeof(out));
	parse_proc_cgroup(s, "memory", out, sizeof(out));
	/* the raw bytes as a NUL-separated argv, as /proc/PID/cmdline gives it */
	struct qemu_args qa;
	parse_qemu_args((const char *)data, size, &qa);
	char id[128];
	parse_helper((const char *)data, size, id, sizeof(id));
	is_qemu_argv0(s);
	free(s);
	return 0;
}
