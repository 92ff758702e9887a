/* cgroup files: cpu.stat, cpuacct, memory.stat v1/v2, pressure, io.stat,
 * blkio, and smaps. */
#include "config.h"

#include "fuzz.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	uint64_t a, b, c;
	parse_kv_u64(s, "usage_usec", &a);
	parse_kv_u64(s, "total_inactive_file", &a);
	parse_kv_u64(s, "size", &a);
	parse_u64(s, &a);
	parse_pressure(s, "some", &a);
	parse_pressure(s, "full", &a);
	parse_io_stat(s, &a, &b);
	parse_blkio_bytes(s, &a, &b);
	parse_smaps_guest_ram(s, 0, &a, &b, &c);
	parse_smaps_guest_ram(s, 2ull << 30, &a, &b, &c);
	free(s);
	return 0;
}
