/* The compact history: every recorded fixture survives the chunk codec
 * (checked as the JSON record of each sample), the recorder's files
 * read back through damage, truncation, a period and seeking, and the
 * capsule keeps its span and no more than JSON. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capsule.h"
#include "histfile.h"
#include "record.h"
#include "tap.h"

static char *json_of(const struct sample *s)
{
	struct sb b = {0};
	record_sample(&b, s);
	return b.s;
}

/* Encode the samples of a fixture in chunks of k, decode, compare. */
static void roundtrip_fixture(const char *path, size_t k)
{
	char *cause = NULL;
	struct replay *rp = replay_open(path, &cause);
	if (!rp) {
		CHECK(0, "open %s: %s", path, cause);
		free(cause);
		return;
	}
	struct sample in[64];
	memset(in, 0, sizeof(in));
	size_t n = 0;
	while (n < ARRAY_SIZE(in) && replay_next(rp, &in[n], &cause) == 1)
		n++;
	free(cause);
	replay_close(rp);
	CHECK(n > 2, "%s: %zu samples", path, n);
	size_t same = 0, raw = 0, nguests = 0;
	for (size_t from = 0; from < n; from += k) {
		struct sb c = {0};
		hist_chunk_begin(&c);
		size_t to = from + k < n ? from + k : n;
		for (size_t i = from; i < to; i++) {
			hist_chunk_add(&c, i > from ? &in[i - 1] : NULL, &in[i]);
			nguests += in[i].nguests;
		}
		raw += c.len;
		struct sample *out = NULL;
		size_t nout = 0;
		cause = NULL;
		CHECK_INT(hist_chunk_decode((const uint8_t *)c.s, c.len, &out, &nout, &cause), 0);
		CHECK_INT(nout, to - from);
		for (size_t i = 0; i < nout && i < to - from; i++) {
			char *a = json_of(&in[from + i]), *b = json_of(&out[i]);
			if (!strcmp(a, b))
				same++;
			else
				CHECK(0, "%s sample %zu differs:\n%s\n%s", path, from + i, a, b);
			free(a);
			free(b);
			sample_free(&out[i]);
		}
		free(out);
		free(cause);
		sb_free(&c);
	}
	CHECK_INT(same, n);
	printf("# %s: %zu samples, %.1f raw bytes per guest-sample\n", path, n,
	       nguests ? (double)raw / (double)nguests : 0.0);
	for (size_t i = 0; i < n; i++)
		sample_free(&in[i]);
}

/* Sample i of a host with every kind of field: strings that come and go,
 * drives unknown, none and some, each network state, the focus. */
static void rich_sample(struct sample *s, unsigned i)
{
	sample_clear(s);
	host_sample_init(&s->host);
	s->host.real_ms = 1764000000000 + (int64_t)i * 2000;
	s->host.mono_ns = 5000000000ull + i * 2000000000ull;
	s->host.ncpus = 8;
	s->host.hz = 100;
	s->host.t_user = 1000 + i * 150;
	s->host.load1 = 0.5 + i;
	s->host.uptime_s = 1234.56;
	s->host.self_cpu_ns = 40000000ull + i * 3000000ull;
	s->host.self_rss = i == 1 ? VT_UNKNOWN : 6291456;
	snprintf(s->host.hostname, sizeof(s->host.hostname), "%s", i == 2 ? "pve1-new" : "pve1");
	s->cg_version = 2;
	s->psi_guest = true;
	s->delayacct = i & 1;
	struct guest_sample *g = sample_add_guest(s);
	g->runtime = RT_PVE_QEMU;
	g->id = xstrdup("100");
	g->name = xstrdup(i == 1 ? "web2" : "web");
	g->cgroup = xstrdup("/qemu.slice/100.scope");
	g->note = i == 2 ? xstrdup("gone") : NULL;
	g->node = xstrdup("n1");
	g->qga_note = i ? xstrdup("no agent") : NULL;
	g->cpu_payload_v2 = true;
	g->nprocs = 3;
	g->cg_usage_ns = 1000000000ull * i;
	g->tg_cpu_ns[TG_VHOST] = 7 + i;
	g->wait_ns = 5000000ull * i;
	g->nvcpus = 2;
	g->vcpus = xcalloc(2, sizeof(*g->vcpus));
	for (unsigned k = 0; k < 2; k++)
		g->vcpus[k] = (struct vcpu_sample){.index = k, .run_ns = 1000000ull * (i + k),
						   .wait_ns = k ? VT_UNKNOWN : 300000ull * i};
	static const char *const drives[] = {"scsi0", "efidisk0"}, *const nics[] = {"tap100i0", "tap100i1"};
	g->ndrives = ARRAY_SIZE(drives);
	g->drives = xcalloc(g->ndrives + 1, sizeof(*g->drives));
	g->net = NET_OWN;
	g->nnics = ARRAY_SIZE(nics);
	g->nics = xcalloc(g->nnics + 1, sizeof(*g->nics));
	for (unsigned k = 0; k < 2; k++) {
		str_copy(g->drives[k].name, sizeof(g->drives[k].name), drives[k]);
		g->drives[k].rd_bytes = k ? VT_UNKNOWN : 4096ull * (i + 1);
		g->drives[k].wr_time_ns = 1000ull * k + i;
		str_copy(g->nics[k].name, sizeof(g->nics[k].name), nics[k]);
		g->nics[k].ifindex = 20 + k;
		g->nics[k].tx_bytes = (1ull << 33) * (i + k);
		g->nics[k].drops = k ? VT_UNKNOWN : i;
	}
	g = sample_add_guest(s);
	g->runtime = RT_DOCKER;
	g->id = xstrdup("abc");
	g->wait_note = i == 1 ? xstrdup("not read: 300 tasks") : NULL;
	g->wait_epoch = i;
	if (i == 1) {
		/* a task I/O base read after the sample before */
		g->p_io_base_rbytes = 8192;
		g->p_io_base_wbytes = 0;
		g->p_io_base_ns = 123456789;
	}
	g->net = NET_HOST;
	if (i) {
		g = sample_add_guest(s);
		g->runtime = RT_LXC;
		g->id = xstrdup("101");
		g->drives = xcalloc(1, sizeof(*g->drives));
	}
	s->focus = xstrdup("proxmox-vm/100");
	s->nfprocs = 2;
	s->fprocs = xcalloc(3, sizeof(*s->fprocs));
	s->fprocs[0] = (struct proc_sample){.pid = 4242, .start = 99, .cpu_ns = 5, .rss = 4096};
	str_copy(s->fprocs[0].comm, sizeof(s->fprocs[0].comm), "kvm");
	s->fprocs[1] = (struct proc_sample){.pid = 4243, .start = 100, .cpu_ns = VT_UNKNOWN, .rss = 1};
	str_copy(s->fprocs[1].comm, sizeof(s->fprocs[1].comm), "vhost-4242");
}

static uint64_t fnv(const void *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
	return h;
}

/* Every kind of field through the chunk codec, with what JSON does not
 * carry; and both formats pinned: the bytes vtax wrote before the
 * schema (a change here is a format change: doc/record.md). */
static void every_kind(void)
{
	struct sample in[3];
	memset(in, 0, sizeof(in));
	struct sb c = {0}, js = {0};
	hist_chunk_begin(&c);
	for (unsigned i = 0; i < 3; i++) {
		rich_sample(&in[i], i);
		hist_chunk_add(&c, i ? &in[i - 1] : NULL, &in[i]);
		record_sample(&js, &in[i]);
	}
	CHECK(fnv(js.s, js.len) == 0xf11234946ab970d5ull, "JSON lines as before: %zu bytes, %016llx", js.len,
	      (unsigned long long)fnv(js.s, js.len));
	CHECK(fnv(c.s, c.len) == 0x20ca300d90763434ull, "chunk as before: %zu bytes, %016llx", c.len,
	      (unsigned long long)fnv(c.s, c.len));
	struct sample *out = NULL;
	size_t n = 0;
	char *cause = NULL;
	CHECK_INT(hist_chunk_decode((const uint8_t *)c.s, c.len, &out, &n, &cause), 0);
	CHECK_INT(n, 3);
	for (size_t i = 0; i < n && i < 3; i++) {
		char *a = json_of(&in[i]), *b = json_of(&out[i]);
		CHECK(!strcmp(a, b), "sample %zu survives:\n%s\n%s", i, a, b);
		free(a);
		free(b);
		CHECK(out[i].guests[0].cpu_payload_v2 && !out[i].guests[1].cpu_payload_v2,
		      "cpu_payload_v2 survives");
		CHECK(out[i].guests[0].net == NET_OWN && out[i].guests[1].net == NET_HOST,
		      "the network state survives");
		CHECK(!out[i].guests[1].drives && (i == 0 || (out[i].guests[2].drives &&
							    !out[i].guests[2].ndrives)),
		      "no drives known is not no drives");
	}
	if (n == 3) {
		CHECK_STR(out[2].host.hostname, "pve1-new");
		CHECK(out[2].host.self_cpu_ns == 46000000ull && out[1].host.self_rss == VT_UNKNOWN &&
		      out[2].host.self_rss == 6291456, "vtax's own cost through the chunk");
		CHECK_STR(out[2].guests[0].note, "gone");
		CHECK_INT(out[1].nfprocs, 2);
		CHECK_U64(out[1].fprocs[1].cpu_ns, VT_UNKNOWN);
	}
	for (size_t i = 0; i < n; i++)
		sample_free(&out[i]);
	for (unsigned i = 0; i < 3; i++)
		sample_free(&in[i]);
	free(out);
	free(cause);
	sb_free(&c);
	sb_free(&js);
}

static void fake_sample(struct sample *s, int64_t ms, unsigned i, unsigned nguests)
{
	sample_clear(s);
	host_sample_init(&s->host);
	s->host.real_ms = ms;
	s->host.mono_ns = (uint64_t)ms * 1000000u;
	s->host.ncpus = 2;
	s->host.t_user = 1000 + i * 17;
	snprintf(s->host.hostname, sizeof(s->host.hostname), "h17");
	for (unsigned g = 0; g < nguests; g++) {
		struct guest_sample *gs = sample_add_guest(s);
		gs->runtime = RT_DOCKER;
		gs->id = xasprintf("h17-%u", g);
		gs->name = xasprintf("guest %u%s", g, i > 5 && g == 0 ? " renamed" : "");
		gs->cg_usage_ns = 1000000ull * i * (g + 1);
		gs->cg_mem_current = (100ull + g) << 20;
		gs->at_ns = s->host.mono_ns;
	}
}

static size_t count_all(const char *dir, int64_t since, int64_t until, char **notice)
{
	char *cause = NULL;
	const char *paths[] = {dir};
	struct hist_reader *r = hist_open(paths, 1, since, until, &cause);
	if (!r) {
		CHECK(0, "hist_open: %s", cause);
		free(cause);
		return 0;
	}
	struct sample s = {0};
	size_t n = 0;
	while (hist_next(r, &s, &cause) == 1) {
		n++;
		if (s.notice && notice && !*notice)
			*notice = xstrdup(s.notice);
	}
	sample_free(&s);
	hist_close(r);
	return n;
}

static void recorder(void)
{
	char dir[] = "/tmp/vtax-h17-unit-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/hist", dir);
	struct hist_writer_opts o = {.dir = sub, .chunk_ms = 60000};
	struct hist_writer *w = hist_writer_new(&o);
	struct sample s = {0};
	int64_t t0 = 1764000000000;   /* 2025-11-24 */
	char *cause = NULL;
	for (unsigned i = 0; i < 60; i++) {
		fake_sample(&s, t0 + (int64_t)i * 10000, i, 3);
		CHECK_INT(hist_writer_add(w, &s, &cause), 0);
		free(cause);
	}
	hist_writer_free(w);
	sample_free(&s);
	CHECK_INT(count_all(sub, INT64_MIN, INT64_MAX, NULL), 60);
	/* the period: samples 10 to 19 */
	CHECK_INT(count_all(sub, t0 + 100000, t0 + 190000, NULL), 10);

	/* seeking: position of a time, then step back */
	const char *paths[] = {sub};
	struct hist_reader *r = hist_open(paths, 1, INT64_MIN, INT64_MAX, &cause);
	CHECK(r != NULL, "reopen");
	if (r) {
		CHECK_INT(hist_count(r), 60);
		size_t p = hist_find_time(r, t0 + 305000);
		CHECK_INT(p, 31);
		hist_seek(r, p - 1);
		struct sample t = {0};
		CHECK_INT(hist_next(r, &t, &cause), 1);
		CHECK(t.host.real_ms == t0 + 300000, "sample 30 after a seek");
		CHECK_INT(t.nguests, 3);
		if (t.nguests == 3)
			CHECK_STR(t.guests[0].name, "guest 0 renamed");
		sample_free(&t);
		hist_close(r);
	}

	/* damage in the middle of the file: the chunks around it still read */
	char day[64], path[400];
	hist_day_name(t0, day, sizeof(day));
	snprintf(path, sizeof(path), "%s/%s", sub, day);
	struct stat st;
	CHECK_INT(stat(path, &st), 0);
	int fd = open(path, O_WRONLY);
	char junk[40];
	memset(junk, 0x5a, sizeof(junk));
	CHECK(pwrite(fd, junk, sizeof(junk), st.st_size / 2) == (ssize_t)sizeof(junk), "damage");
	close(fd);
	char *notice = NULL;
	size_t left = count_all(sub, INT64_MIN, INT64_MAX, &notice);
	CHECK(left >= 48 && left < 60, "damaged file: %zu of 60 samples read", left);
	CHECK(notice && strstr(notice, day), "the skip is told: %s", notice ? notice : "(none)");
	free(notice);
	/* cut short (killed while writing): everything before the cut reads */
	CHECK_INT(truncate(path, st.st_size - 7), 0);
	size_t cut = count_all(sub, INT64_MIN, INT64_MAX, NULL);
	CHECK(cut >= 42 && cut < left, "cut file: %zu samples read", cut);

	/* keep-days: with two days and keep_days 1 the older goes */
	o.keep_days = 1;
	w = hist_writer_new(&o);
	memset(&s, 0, sizeof(s));
	fake_sample(&s, t0 + 2 * 86400000, 0, 1);
	CHECK_INT(hist_writer_add(w, &s, &cause), 0);
	hist_writer_free(w);
	sample_free(&s);
	CHECK(access(path, F_OK) != 0, "keep-days 1 removed the older day");

	/* keep-size: three days of about 1 KB each under a 2500-byte limit */
	char ks[300];
	snprintf(ks, sizeof(ks), "%s/ks", dir);
	struct hist_writer_opts ok = {.dir = ks, .keep_bytes = 2500};
	for (int d = 0; d < 3; d++) {
		w = hist_writer_new(&ok);
		memset(&s, 0, sizeof(s));
		for (unsigned i = 0; i < 8; i++) {
			fake_sample(&s, t0 + (int64_t)d * 86400000 + (int64_t)i * 10000, i * 7 + (unsigned)d, 20);
			hist_writer_add(w, &s, &cause);
			free(cause);
		}
		hist_writer_free(w);
		sample_free(&s);
	}
	char d0[64], d2[64], p0[400], p2[400];
	hist_day_name(t0, d0, sizeof(d0));
	hist_day_name(t0 + 2 * 86400000, d2, sizeof(d2));
	snprintf(p0, sizeof(p0), "%s/%s", ks, d0);
	snprintf(p2, sizeof(p2), "%s/%s", ks, d2);
	CHECK(access(p0, F_OK) != 0, "keep-size removed the oldest day");
	CHECK(access(p2, F_OK) == 0, "keep-size kept the newest day");

	/* the clock stepped back: a new chunk, and every sample reads */
	char back[300];
	snprintf(back, sizeof(back), "%s/back", dir);
	struct hist_writer_opts ob = {.dir = back};
	w = hist_writer_new(&ob);
	memset(&s, 0, sizeof(s));
	for (unsigned i = 0; i < 10; i++) {
		fake_sample(&s, t0 + (int64_t)(i < 5 ? i : i - 8) * 2000, i, 2);
		CHECK_INT(hist_writer_add(w, &s, &cause), 0);
	}
	hist_writer_free(w);
	sample_free(&s);
	CHECK_INT(count_all(back, INT64_MIN, INT64_MAX, NULL), 10);

	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}

/* The capsule: a minute of rich samples every 2 s in chunks of 5 s,
 * packed and read back as a file: its span kept, each sample whole but
 * for what JSON does not carry (the helper cgroup, the detail pane's
 * processes); time running back starts it again. */
static void capsule(void)
{
	CHECK(capsule_new(0, 0) == NULL, "0 minutes: no capsule");
	struct capsule *c = capsule_new(1, 5000);
	struct sample in = {0}, last = {0};
	for (unsigned i = 0; i < 40; i++) {
		rich_sample(&in, i);
		in.guests[0].helper_cg = xstrdup("/lxc.monitor/100");
		capsule_add(c, &in);
	}
	int64_t first, lastms;
	size_t held = capsule_samples(c, &first, &lastms);
	CHECK(held >= 31 && held <= 34, "80 s into a 1-minute capsule of 5 s chunks: %zu held", held);
	CHECK(lastms == in.host.real_ms && lastms - first >= 60000 && lastms - first <= 66000,
	      "it spans the minute up to the newest sample (%lld ms)", (long long)(lastms - first));
	CHECK(capsule_memory(c) > 0 && capsule_memory(c) < 200000, "memory %zu bytes",
	      capsule_memory(c));
	struct sb z = {0};
	char *cause = NULL;
	CHECK_INT(capsule_pack(c, &z, &cause), 0);
	char path[] = "/tmp/vtax-capsule-unit-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, z.s, z.len) == (ssize_t)z.len, "capsule written");
	close(fd);
	CHECK(hist_is_compact(path), "a capsule is a history file");
	CHECK_INT(count_all(path, INT64_MIN, INT64_MAX, NULL), held);
	const char *paths[] = {path};
	struct hist_reader *r = hist_open(paths, 1, INT64_MIN, INT64_MAX, &cause);
	struct sample s = {0};
	while (r && hist_next(r, &s, &cause) == 1)
		sample_copy(&last, &s);
	hist_close(r);
	CHECK(!last.focus && !last.nfprocs && !last.guests[0].helper_cg,
	      "no focus, processes or helper cgroup in the capsule");
	free(in.focus);
	in.focus = NULL;
	in.nfprocs = 0;
	free(in.guests[0].helper_cg);
	in.guests[0].helper_cg = NULL;
	char *a = json_of(&in), *b = json_of(&last);
	CHECK(!strcmp(a, b), "the rest of the newest sample survives:\n%s\n%s", a, b);
	free(a);
	free(b);
	rich_sample(&in, 3);
	capsule_add(c, &in);
	CHECK_INT(capsule_samples(c, &first, &lastms), 1);
	unlink(path);
	sb_free(&z);
	sample_free(&s);
	sample_free(&last);
	sample_free(&in);
	capsule_free(c);
	free(cause);
}

int main(void)
{
	const char *src = getenv("SRCDIR");
	const char *fixtures[] = {"proxmox-node", "libvirt-host", "containers-host", "big-host",
				  "lab-host"};
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/tests/fixtures/%s.jsonl", src ? src : ".", fixtures[i]);
		roundtrip_fixture(path, i % 2 ? 5 : 30);
	}
	/* garbage never crashes and says what it is */
	struct sample *out = NULL;
	size_t n = 0;
	char *cause = NULL;
	CHECK_INT(hist_chunk_decode((const uint8_t *)"VTXC\x01\xff\xff", 7, &out, &n, &cause), -1);
	CHECK(cause != NULL, "a cause");
	free(cause);
	free(out);
	every_kind();
	recorder();
	capsule();
	printf("%d passed, %d failed\n", t_pass, t_fail);
	return t_fail ? 1 : 0;
}
