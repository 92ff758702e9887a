/* Record lines round-trip; bad versions and truncated files are caught. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "record.h"
#include "tap.h"

/* Each table names a field once, and the compact history's counters
 * remote.c sums are the host's u64 fields. */
static void schema_checks(void)
{
	const struct schema *tables[] = {&sample_schema, &host_schema, &guest_schema};
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		for (size_t i = 0; i < tables[t]->n; i++)
			CHECK(schema_field(tables[t], tables[t]->f[i].name) == &tables[t]->f[i],
			      "%s: \"%s\" named once", tables[t]->what, tables[t]->f[i].name);
	size_t nu64 = 0;
	for (size_t i = 0; i < host_schema.n; i++)
		nu64 += host_schema.f[i].type == FT_U64;
	CHECK_INT(host_u64_nfields, nu64);
	for (size_t i = 0; i < host_u64_nfields; i++)
		CHECK(host_u64_fields[i].type == FT_U64, "%s is a counter", host_u64_fields[i].name);
}

/* Copies own their strings and arrays. */
static void copies(const struct sample *s)
{
	struct sample t = {0};
	sample_copy(&t, s);
	struct sb a = {0}, b = {0};
	record_sample(&a, s);
	record_sample(&b, &t);
	CHECK_STR(b.s, a.s);
	CHECK(t.guests != s->guests && t.guests[0].id != s->guests[0].id &&
	      t.guests[0].nics != s->guests[0].nics && t.guests[0].drives != s->guests[0].drives,
	      "a deep copy");
	struct guest_sample g;
	guest_sample_copy(&g, &s->guests[0]);
	CHECK(g.name != s->guests[0].name && !strcmp(g.name, s->guests[0].name), "a guest's copy");
	guest_sample_release(&g);
	CHECK(!g.name && !g.nics && !g.nnics, "released");
	sample_copy(&t, s);   /* again, into the room of the first copy */
	sb_clear(&b);
	record_sample(&b, &t);
	CHECK_STR(b.s, a.s);
	sample_free(&t);
	sb_free(&a);
	sb_free(&b);
}

/* The focused guest's processes are a best effort; counts are 0 when absent. */
static void lenient(void)
{
	struct sample t = {0};
	char *cause = NULL;
	CHECK_INT(record_parse_line("{\"vtax_record\":2,\"host\":{},\"guests\":[{\"runtime\":\"docker\","
				    "\"id\":\"x\",\"nprocs\":null}],\"focus\":\"docker/x\",\"focus_procs\":"
				    "[{\"pid\":1,\"cpu_ns\":\"bad\",\"comm\":5},{\"start\":3},{\"pid\":2,"
				    "\"rss\":-1}]}", &t, &cause), 0);
	CHECK_INT(t.nfprocs, 2);
	if (t.nfprocs == 2) {
		CHECK_U64(t.fprocs[0].cpu_ns, VT_UNKNOWN);
		CHECK_STR(t.fprocs[0].comm, "?");
		CHECK_INT(t.fprocs[1].pid, 2);
		CHECK_U64(t.fprocs[1].rss, VT_UNKNOWN);
	}
	CHECK(t.nguests == 1 && t.guests[0].nprocs == 0 && t.guests[0].h_count == 0, "counts are 0");
	free(cause);
	sample_free(&t);
}

int main(void)
{
	struct sample s = {0}, t = {0};
	host_sample_init(&s.host);
	s.host.mono_ns = 123456789;
	s.host.ncpus = 4;
	s.host.t_user = 1000;
	s.host.mem_total = 8ull << 30;
	snprintf(s.host.hostname, sizeof(s.host.hostname), "pve1");
	s.cg_version = 2;
	struct guest_sample *g = sample_add_guest(&s);
	g->runtime = RT_PVE_QEMU;
	g->id = xstrdup("100");
	g->name = xstrdup("web\x1b[2J");
	g->cgroup = xstrdup("/qemu.slice/100.scope");
	g->p_gtime_ns = 42;
	g->tg_cpu_ns[TG_VHOST] = 7;
	g->g_total = 1ull << 31;
	g->vm_balloon = 1ull << 30;
	g->drv_at_ns = 99;
	g->ndrives = 2;
	g->drives = xcalloc(2, sizeof(*g->drives));
	str_copy(g->drives[0].name, sizeof(g->drives[0].name), "drive-scsi0");
	g->drives[0].wr_bytes = 5ull << 30;
	g->drives[0].rd_ops = VT_UNKNOWN;
	str_copy(g->drives[1].name, sizeof(g->drives[1].name), "virtio1");
	g->net = NET_OWN;
	g->nnics = 1;
	g->nics = xcalloc(1, sizeof(*g->nics));
	snprintf(g->nics[0].name, sizeof(g->nics[0].name), "tap100i0");
	g->nics[0].ifindex = 14;
	g->nics[0].rx_bytes = 1ull << 40;
	g->nics[0].tx_packets = 77;
	g->nics[0].errors = VT_UNKNOWN;
	struct guest_sample *h = sample_add_guest(&s);
	h->runtime = RT_DOCKER;
	h->id = xstrdup("abc");
	h->net = NET_HOST;
	struct guest_sample *u = sample_add_guest(&s);
	u->runtime = RT_DOCKER;
	u->id = xstrdup("def");

	struct sb line = {0};
	record_sample(&line, &s);
	CHECK(line.len > 0 && line.s[line.len - 1] == '\n', "one line");
	char *cause = NULL;
	CHECK_INT(record_parse_line(line.s, &t, &cause), 0);
	CHECK_U64(t.host.mono_ns, 123456789);
	CHECK_U64(t.host.t_user, 1000);
	CHECK_U64(t.host.t_nice, VT_UNKNOWN);
	CHECK_INT(t.host.ncpus, 4);
	CHECK_STR(t.host.hostname, "pve1");
	CHECK_INT(t.nguests, 3);
	CHECK_INT(t.guests[0].net, NET_OWN);
	CHECK_INT(t.guests[0].nnics, 1);
	CHECK_STR(t.guests[0].nics[0].name, "tap100i0");
	CHECK_U64(t.guests[0].nics[0].ifindex, 14);
	CHECK_U64(t.guests[0].nics[0].rx_bytes, 1ull << 40);
	CHECK_U64(t.guests[0].nics[0].tx_packets, 77);
	CHECK_U64(t.guests[0].nics[0].errors, VT_UNKNOWN);
	CHECK_INT(t.guests[1].net, NET_HOST);
	CHECK_INT(t.guests[2].net, NET_UNKNOWN);
	CHECK(strstr(line.s, "\"vtax_record\":2"), "version 2");
	schema_checks();
	copies(&s);
	lenient();

	if (t.nguests == 1) {
		CHECK(t.guests[0].runtime == RT_PVE_QEMU, "runtime survives");
		CHECK_STR(t.guests[0].name, "web\x1b[2J");
		CHECK_U64(t.guests[0].p_gtime_ns, 42);
		CHECK_U64(t.guests[0].tg_cpu_ns[TG_VHOST], 7);
		CHECK_U64(t.guests[0].g_total, 1ull << 31);
		CHECK_U64(t.guests[0].cg_mem_current, VT_UNKNOWN);
		CHECK_U64(t.guests[0].vm_balloon, 1ull << 30);
		CHECK_U64(t.guests[0].drv_at_ns, 99);
		CHECK(t.guests[0].ndrives == 2 && !strcmp(t.guests[0].drives[1].name, "virtio1"),
		      "drives survive");
		if (t.guests[0].ndrives == 2) {
			CHECK_U64(t.guests[0].drives[0].wr_bytes, 5ull << 30);
			CHECK_U64(t.guests[0].drives[0].rd_ops, VT_UNKNOWN);
		}
	}
	/* version 1 (no drives, fewer counters) still replays */
	CHECK_INT(record_parse_line("{\"vtax_record\":1,\"host\":{\"mono_ns\":5},\"guests\":"
				    "[{\"runtime\":\"proxmox-vm\",\"id\":\"100\",\"cg_io_wbytes\":7}]}",
				    &t, &cause), 0);
	CHECK(t.nguests == 1 && !t.guests[0].drives && t.guests[0].vm_balloon == VT_UNKNOWN &&
	      t.guests[0].cg_io_wbytes == 7, "version 1: what it lacks is unknown");
	CHECK_INT(record_parse_line("{\"vtax_record\":2,\"host\":{},\"guests\":[{\"runtime\":"
				    "\"qemu\",\"id\":\"1\",\"drives\":[{\"rd_bytes\":1}]}]}", &t, &cause), -1);
	CHECK(cause && strstr(cause, "no name"), "a drive without a name: %s", cause ? cause : "");
	free(cause);
	cause = NULL;

	CHECK_INT(record_parse_line("{\"vtax_record\":99,\"host\":{},\"guests\":[]}", &t, &cause), -1);
	CHECK(cause && strstr(cause, "version 99"), "unknown version named: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	CHECK_INT(record_parse_line("{\"vtax_record\":1,\"host\":{\"t_user\":-5},\"guests\":[]}", &t,
				    &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(record_parse_line("{\"vtax_record\":1,\"host\":{},\"guests\":[{\"runtime\":\"zz\",\"id\":\"1\"}]}",
				    &t, &cause), -1);
	free(cause);
	cause = NULL;
	CHECK_INT(record_parse_line("[1,2", &t, &cause), -1);
	free(cause);
	cause = NULL;

	/* a file whose last line was cut short: every whole sample, then a notice */
	char path[] = "/tmp/vtax-unit-record-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp");
	FILE *fp = fdopen(fd, "w");
	fputs(line.s, fp);
	fputs(line.s, fp);
	fwrite(line.s, 1, line.len / 2, fp);
	fclose(fp);
	struct replay *r = replay_open(path, &cause);
	CHECK(r != NULL, "replay_open");
	int n = 0, rc;
	while ((rc = replay_next(r, &t, &cause)) == 1)
		n++;
	CHECK_INT(n, 2);
	CHECK_INT(rc, 0);
	CHECK(cause && strstr(cause, "ends early"), "truncation noticed: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	replay_close(r);
	unlink(path);

	CHECK(replay_open("/nonexistent/vtax.rec", &cause) == NULL, "missing file fails");
	CHECK(cause && strstr(cause, "/nonexistent/vtax.rec"), "message names the path");
	free(cause);

	/* version 1 (no nics) still replays; the network is unknown */
	sample_clear(&t);
	CHECK_INT(record_parse_line("{\"vtax_record\":1,\"host\":{},\"guests\":[{\"runtime\":"
				    "\"docker\",\"id\":\"x\"}]}", &t, &cause), 0);
	CHECK_INT(t.nguests, 1);
	CHECK_INT(t.guests[0].net, NET_UNKNOWN);
	sample_clear(&t);
	CHECK_INT(record_parse_line("{\"vtax_record\":2,\"host\":{},\"guests\":[{\"runtime\":"
				    "\"docker\",\"id\":\"x\",\"nics\":[{\"rx_bytes\":1}]}]}",
				    &t, &cause), -1);
	CHECK(cause && strstr(cause, "no name"), "a nameless interface: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	CHECK_INT(record_parse_line("{\"vtax_record\":2,\"host\":{},\"guests\":[{\"runtime\":"
				    "\"docker\",\"id\":\"x\",\"nics\":7}]}", &t, &cause), -1);
	free(cause);
	cause = NULL;
	sb_free(&line);
	sample_free(&s);
	sample_free(&t);
	return t_done("unit-record");
}
