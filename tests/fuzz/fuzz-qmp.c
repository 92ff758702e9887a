/* QMP replies: guest-stats, query-cpus-fast, query-blockstats and
 * query-balloon return values. */
#include "config.h"

#include "agent.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	json_object *o = json_tokener_parse(s);
	if (o) {
		struct vm_facts f;
		parse_qmp_guest_stats(o, &f);
		parse_qmp_cpus(o, &f);
		parse_qmp_blockstats(o, &f);
		parse_qmp_balloon(o, &f);
		json_object *ret;
		if (json_object_object_get_ex(o, "return", &ret)) {
			parse_qmp_guest_stats(ret, &f);
			parse_qmp_cpus(ret, &f);
			parse_qmp_blockstats(ret, &f);
			parse_qmp_balloon(ret, &f);
		}
		json_object_put(o);
	}
	free(s);
	return 0;
}
