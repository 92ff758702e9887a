/* Proxmox guest configs, cgroup name unescaping and cgroup path discovery. */
#include "config.h"

#include "discover.h"
#include "fuzz.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	char out[256];
	parse_pve_conf(s, "name", out, sizeof(out));
	parse_pve_conf(s, "hostname", out, sizeof(out));
	cg_unescape(s, strlen(s), out, sizeof(out));
	struct guest_match m;
	discover_classify(s, &m);
	discover_is_helper_cgroup(s);
	free(s);
	return 0;
}
