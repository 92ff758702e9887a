/* Engine API and QMP reply parsers: real-looking, malformed, hostile. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "agent.h"
#include "tap.h"
#include "util.h"

struct seen {
	int n;
	char id[80], name[256];
};

static void on(void *arg, const char *id, const char *name, const char *image, const char *state)
{
	(void)image;
	(void)state;
	struct seen *s = arg;
	s->n++;
	str_copy(s->id, sizeof(s->id), id);
	str_copy(s->name, sizeof(s->name), name);
}

static int parse(const char *json, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return parse_engine_containers(json, strlen(json), on, s);
}

int main(void)
{
	struct seen s;
	CHECK_INT(parse("[{\"Id\":\"abc123\",\"Names\":[\"/web\"],\"Image\":\"nginx\",\"State\":\"running\"}]", &s), 0);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.id, "abc123");
	CHECK_STR(s.name, "web");
	CHECK_INT(parse("[]", &s), 0);
	CHECK_INT(s.n, 0);
	CHECK_INT(parse("[{\"Id\":\"x\"},{\"Names\":[\"/y\"]},7,{\"Id\":\"z\",\"Names\":[]}]", &s), 0);
	CHECK_INT(s.n, 0);
	CHECK_INT(parse("{\"message\":\"page not found\"}", &s), -EINVAL);
	CHECK_INT(parse("[{\"Id\":\"a\",\"Names\":[\"/b\"]", &s), -EINVAL);
	CHECK_INT(parse("", &s), -EINVAL);
	CHECK_INT(parse("[{\"Id\":\"e\",\"Names\":[\"/\\u001b[31mred\"]}]", &s), 0);
	CHECK_STR(s.name, "\x1b[31mred"); /* kept raw here; sanitised on display */

	struct vm_facts f;
	json_object *o = json_tokener_parse(
		"{\"stats\":{\"stat-total-memory\":215814144,\"stat-available-memory\":90255360,"
		"\"stat-free-memory\":86896640,\"stat-disk-caches\":69386240,\"stat-swap-in\":-1},"
		"\"last-update\":1795000000}");
	CHECK_INT(parse_qmp_guest_stats(o, &f), 0);
	CHECK_U64(f.total, 215814144ull);
	CHECK_U64(f.avail, 90255360ull);
	CHECK_U64(f.cache, 69386240ull);
	json_object_put(o);
	o = json_tokener_parse("{\"stats\":{\"stat-total-memory\":-1},\"last-update\":0}");
	CHECK_INT(parse_qmp_guest_stats(o, &f), -ENOENT);
	json_object_put(o);
	o = json_tokener_parse("{\"stats\":{\"stat-total-memory\":1024,\"stat-available-memory\":-1},\"last-update\":5}");
	CHECK_INT(parse_qmp_guest_stats(o, &f), 0);
	CHECK_U64(f.avail, VT_UNKNOWN);
	json_object_put(o);
	o = json_tokener_parse("[1,2]");
	CHECK_INT(parse_qmp_guest_stats(o, &f), -EINVAL);
	CHECK_INT(parse_qmp_cpus(o, &f), 0);
	CHECK_INT(f.nvcpu, 0);
	json_object_put(o);
	o = json_tokener_parse("[{\"cpu-index\":0,\"thread-id\":4242,\"qom-path\":\"/machine/unattached/device[0]\"},"
			       "{\"cpu-index\":1,\"thread-id\":4243},{\"thread-id\":\"x\"},{\"thread-id\":-3}]");
	CHECK_INT(parse_qmp_cpus(o, &f), 0);
	CHECK_INT(f.nvcpu, 2);
	CHECK_INT(f.vcpu_tids[1], 4243);
	json_object_put(o);
	o = json_tokener_parse("{}");
	CHECK_INT(parse_qmp_cpus(o, &f), -EINVAL);
	json_object_put(o);
	return t_done("unit-agent");
}
