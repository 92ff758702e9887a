/* The metric registry walked entry by entry: every check here can fail
 * on a forgotten or mistyped entry, and the reader's way back (the
 * cluster view) gives the counters it was given. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "lines.h"
#include "metrics.h"
#include "render.h"
#include "sample.h"
#include "tap.h"
#include "ui.h"
#include "util.h"
#include "view-parts.h"

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && !strcmp(s + n - t, tail);
}

/* Each entry on its own: a name, a help at each family's start, units in
 * the name as Prometheus's naming guide wants them. */
static void check_entries(void)
{
	for (size_t k = 0; k < metrics_count; k++) {
		const struct metric *m = &metrics[k];
		CHECK(m->prom || m->json || m->influx || m->screen.line,
		      "entry %zu is exported and shown nowhere", k);
		CHECK(m->src != MS_FN || m->get, "entry %zu: MS_FN without a function", k);
		CHECK(!m->json || m->of == MO_HOST, "entry %zu: JSON paths are for host values", k);
		CHECK((m->of == MO_NIC || m->of == MO_DRIVE) == (m->label && !m->label_value),
		      "entry %zu (%s): interfaces and drives, and only they, have a free label", k,
		      m->prom ? m->prom : "");
		if (!m->prom)
			continue;
		CHECK(!strncmp(m->prom, "vtax_", 5), "%s: not vtax_", m->prom);
		bool first = k == 0 || !metrics[k - 1].prom || strcmp(metrics[k - 1].prom, m->prom);
		CHECK(!first || m->help, "%s: no help on the family's first entry", m->prom);
		CHECK((m->kind == MK_COUNTER) == ends_with(m->prom, "_total"),
		      "%s: a counter, and only a counter, ends in _total", m->prom);
		if (m->scale == 1e-9 || m->scale == 1e-6)
			CHECK(strstr(m->prom, "_seconds"), "%s: ns or us exported in seconds", m->prom);
		CHECK(m->kind != MK_JSON, "%s: a JSON-only entry has a Prometheus name", m->prom);
	}
}

/* A family's entries stand together (Prometheus wants them contiguous),
 * and no two entries are the same series. */
static void check_families(void)
{
	for (size_t a = 0; a < metrics_count; a++) {
		if (!metrics[a].prom)
			continue;
		bool gap = false;
		for (size_t b = a + 1; b < metrics_count; b++) {
			if (!metrics[b].prom || strcmp(metrics[a].prom, metrics[b].prom)) {
				gap = true;
				continue;
			}
			CHECK(!gap, "%s: its entries are not together", metrics[a].prom);
			const char *la = metrics[a].label_value, *lb = metrics[b].label_value;
			CHECK(la && lb && strcmp(la, lb), "%s: the same series twice", metrics[a].prom);
			CHECK(metrics[a].kind == metrics[b].kind, "%s: two types", metrics[a].prom);
		}
		for (int c = 0; c < COL_COUNT; c++)
			if (columns[c].prom)
				CHECK(strcmp(metrics[a].prom + strlen(METRIC_GUEST_PREFIX), columns[c].prom) ||
				      strncmp(metrics[a].prom, METRIC_GUEST_PREFIX, strlen(METRIC_GUEST_PREFIX)),
				      "%s: also a column gauge", metrics[a].prom);
		CHECK(metric_find(metrics[a].prom, metrics[a].label_value) == (int)a ||
		      !metrics[a].label_value, "%s: metric_find misses it", metrics[a].prom);
	}
	for (int c = 0; c < COL_COUNT; c++)
		if (columns[c].prom)
			CHECK(!ends_with(columns[c].prom, "_total"), "column %d: a gauge named _total", c);
}

/* A guest's counters read back as the cluster view reads them give the
 * same counters again. */
static void check_fold(void)
{
	struct guest_sample g;
	memset(&g, 0, sizeof(g));
	g.cg_user_ns = 7000000000ull;       /* includes 2 s of guest time */
	g.cg_system_ns = 3000000000ull;
	g.cg_usage_ns = 10000000000ull;
	g.p_gtime_ns = 2000000000ull;
	g.h_cpu_ns = 500000000ull;
	g.cg_throttled_ns = 123456789ull;
	g.cg_io_rbytes = 4096, g.cg_io_wbytes = 8192, g.cg_oom_kills = 2, g.kvm_exits = 99;
	g.cg_cpu_some_us = 1500000, g.cg_io_some_us = 25, g.cg_mem_some_us = 0, g.cg_nr_throttled = 4;
	double *v = calloc(metrics_count, sizeof(*v));
	for (size_t k = 0; k < metrics_count; k++) {
		const struct metric *m = &metrics[k];
		uint64_t raw = m->of == MO_GUEST ? metric_guest(m, &g, true) : VT_UNKNOWN;
		v[k] = raw == VT_UNKNOWN || !m->prom ? VT_NAN : (double)raw * (m->scale ? m->scale : 1);
	}
	struct guest_sample b;
	memset(&b, 0, sizeof(b));
	metrics_fold_guest(v, true, &b);
	CHECK_U64(b.cg_user_ns, g.cg_user_ns);
	CHECK_U64(b.cg_system_ns, g.cg_system_ns);
	CHECK_U64(b.p_gtime_ns, g.p_gtime_ns);
	CHECK_U64(b.h_cpu_ns, g.h_cpu_ns);
	CHECK_U64(b.cg_throttled_ns, g.cg_throttled_ns);
	CHECK_U64(b.cg_io_rbytes, g.cg_io_rbytes);
	CHECK_U64(b.cg_oom_kills, g.cg_oom_kills);
	CHECK_U64(b.cg_cpu_some_us, g.cg_cpu_some_us);
	CHECK_U64(b.kvm_exits, g.kvm_exits);
	for (size_t k = 0; k < metrics_count; k++)
		if (metrics[k].of == MO_GUEST && metrics[k].prom && metrics[k].src != MS_VIEW)
			CHECK_U64(metric_guest(&metrics[k], &b, true), metric_guest(&metrics[k], &g, true));
	free(v);
}

/* A frame of no guests on a host of ncpus CPUs, each CPU mode at cpu %. */
static void made_up_frame(struct sample *s, struct frame *f, unsigned ncpus, double cpu)
{
	memset(s, 0, sizeof(*s));
	host_sample_init(&s->host);
	memset(f, 0, sizeof(*f));
	f->cur = s;
	f->host.ncpus = ncpus;
	for (int i = 0; i < HC_COUNT; i++)
		f->host.cpu[i] = cpu;
}

/* The entry at place at of the screen's line, and how many there are. */
static const struct metric *screen_at(enum metric_screen_line l, unsigned at, int *found)
{
	const struct metric *e = NULL;
	*found = 0;
	for (size_t k = 0; k < metrics_count; k++)
		if (metrics[k].screen.line == l && metrics[k].screen.at == at) {
			e = &metrics[k];
			++*found;
		}
	return e;
}

/* A part of a bar: cells one column wide, a name, a legend rule the
 * view knows, the unit of the line's other parts. */
static void check_part(const struct metric *m, const struct metric *first_part, unsigned at)
{
	const struct metric_screen *s = &m->screen;
	CHECK(s->uch && s->ach && text_width(s->uch) == 1 && strlen(s->ach) == 1,
	      "line %d place %u: a part's cells are one column each", s->line, at);
	CHECK(s->label && *s->label, "line %d place %u: a part without a name", s->line, at);
	CHECK(s->when == MW_ALWAYS || s->when == MW_NONZERO,
	      "line %d place %u: a part shows in the legend always or when not 0", s->line, at);
	CHECK(m->unit == MU_NUM || m->unit == MU_U64, "line %d place %u: a part is a share or bytes",
	      s->line, at);
	CHECK(m->unit == first_part->unit, "line %d place %u: the bar's parts in two units", s->line,
	      at);
}

/* A lead or a field: one hole in its format; MW_WITH only joining a
 * field of the same role; a label and brief only at a field's start. */
static void check_words(const struct metric *m, const struct metric *before, unsigned at)
{
	const struct metric_screen *s = &m->screen;
	const char *h = s->fmt ? strstr(s->fmt, "%s") : NULL;
	CHECK(h && strchr(s->fmt, '%') == h && !strchr(h + 2, '%'),
	      "line %d place %u: one %%s and no other %%", s->line, at);
	bool with = s->when == MW_WITH;
	CHECK(!with || (s->role >= SR_FIELD && before && before->screen.role == s->role),
	      "line %d place %u: MW_WITH joins no field", s->line, at);
	CHECK(!with || (!s->label && !s->brief), "line %d place %u: a label or brief inside a field",
	      s->line, at);
	CHECK(!s->brief || s->role >= SR_FIELD, "line %d place %u: brief on no field", s->line, at);
	CHECK(!s->plural || m->unit == MU_INT, "line %d place %u: a plural of no count", s->line, at);
}

/* The screen's header: each line's places 0, 1, ... once each, host
 * values, leads then parts then fields then last fields; each part and
 * each text as check_part and check_words want; no more parts than the
 * view holds, and a look the view has an attribute for. */
static void check_screen_table(void)
{
	for (enum metric_screen_line l = SL_CPU; l <= SL_SUMMARY; l++) {
		unsigned n = 0, parts = 0;
		for (size_t k = 0; k < metrics_count; k++)
			n += metrics[k].screen.line == l;
		CHECK(n > 0, "screen line %d: no entry", l);
		const struct metric *before = NULL, *first_part = NULL;
		for (unsigned at = 0; at < n; at++) {
			int found;
			const struct metric *m = screen_at(l, at, &found);
			CHECK_INT(found, 1);
			if (!m)
				continue;
			const struct metric_screen *s = &m->screen;
			CHECK(m->of == MO_HOST, "line %d place %u: not a host value", l, at);
			CHECK(!before || before->screen.role <= s->role, "line %d place %u: out of order",
			      l, at);
			CHECK(s->look < LOOK_COUNT && s->words < LOOK_COUNT, "line %d place %u: a look",
			      l, at);
			if (s->role == SR_PART) {
				parts++;
				check_part(m, first_part ? first_part : m, at);
				first_part = first_part ? first_part : m;
			} else {
				check_words(m, before, at);
			}
			before = m;
		}
		CHECK(parts <= METRIC_PARTS_MAX, "screen line %d: %u parts", l, parts);
	}
}

/* The screen's header drawn from a made-up frame: a share that shows as
 * 0.0 and a zero size stay out of the legends, a field of which one
 * value is known shows, an unknown value loses the words after it, and
 * the tax goes short where it does not fit. */
static void check_screen_lines(void)
{
	struct sample s;
	struct frame f;
	made_up_frame(&s, &f, 4, 0);
	f.host.cpu_usr_nice = 12.3, f.host.cpu[HC_SYSTEM] = 4, f.host.cpu[HC_GUEST] = 0.04;
	f.host.cpu_irq_all = 0.5, f.host.cpu[HC_IDLE] = 80;
	f.host.mem_total = 8ull << 30;
	uint64_t bar[MP_COUNT] = {[MP_GUESTS] = 1ull << 30, [MP_TAX] = 512ull << 20,
				  [MP_CACHE] = 2ull << 30, [MP_OWN] = 1ull << 30, [MP_FREE] = 3584ull << 20};
	memcpy(f.host.mem_bar, bar, sizeof(bar));
	f.host.guests_tax = 512ull << 20;
	f.host.n_kind[KIND_VM] = 1;
	f.host.tax_cpu_host = f.host.psi_cpu = f.host.psi_mem = VT_NAN;
	f.host.psi_io = 3;
	f.host.self_cpu = VT_NAN;
	f.host.self_rss = VT_UNKNOWN;
	struct ui u;
	ui_init(&u);
	struct vscreen vs = {0};
	header(&vs, &f, &u, 120);
	f.host.tax_cpu_host = 1.6;
	header(&vs, &f, &u, 40);
	CHECK_INT(vs.n, 8);
	const char *cpu = vs.lines[1].text, *mem = vs.lines[2].text;
	CHECK(!strncmp(cpu, "CPU  4 [", 8) && strstr(cpu, "] \xe2\x96\x88usr 12.3 \xe2\x96\x93sys 4.0 :irq 0.5 "
							 "idle 80.0"), "the CPU line: %s", cpu);
	CHECK(!strncmp(mem, "MEM8.0G[", 8) && strstr(mem, "guests 1.0G") && strstr(mem, "cache 2.0G") &&
	      !strstr(mem, "arc"), "the MEM line: %s", mem);
	CHECK(!strncmp(vs.lines[3].text, "1 VM 0 containers | tax CPU -, RAM 512M | every 2.0s | stall "
					 "cpu/io/mem -/3/- ", 78), "the summary: %s", vs.lines[3].text);
	CHECK(vs.lines[3].attr[0] == VA_LABEL && vs.lines[3].attr[1] == VA_NORMAL &&
	      vs.lines[3].attr[24] == VA_TAX, "the summary's looks");
	CHECK(!strncmp(vs.lines[7].text, "1 VM 0 containers | tax 1.6% 512M  ", 35),
	      "the summary, 40 columns: %s", vs.lines[7].text);
	vscreen_free(&vs);
}

/* Batch text's header lines: each line's places 0, 1, ... once each, one
 * hole a format; and the conditional parts on a frame made for them. */
static void check_text(void)
{
	for (enum metric_line l = ML_CPU; l <= ML_TAX; l++) {
		unsigned n = 0;
		for (size_t k = 0; k < metrics_count; k++)
			n += metrics[k].text.line == l;
		for (unsigned at = 0; at < n; at++) {
			int found = 0;
			for (size_t k = 0; k < metrics_count; k++) {
				const struct metric_text *t = &metrics[k].text;
				if (t->line != l || t->at != at)
					continue;
				found++;
				const char *h = strstr(t->fmt, "%s");
				CHECK(h && !strstr(h + 2, "%"), "line %d place %u: one %%s", l, at);
				CHECK(t->when != MW_WITH || at, "line %d: MW_WITH first", l);
				CHECK(!t->plural || metrics[k].unit == MU_INT, "line %d place %u: a plural "
				      "of no count", l, at);
			}
			CHECK_INT(found, 1);
		}
	}
	struct sample s;
	struct frame f;
	made_up_frame(&s, &f, 2, VT_NAN);
	f.host.mem_total = f.host.mem_available = f.host.guests_ws = f.host.page_cache = VT_UNKNOWN;
	f.host.guests_tax = f.host.host_own = f.host.zfs_arc = VT_UNKNOWN;
	f.host.ksm_shared = 0;
	f.host.huge_total = 2ull << 30, f.host.huge_free = 1ull << 30;
	f.host.n_kind[KIND_VM] = 1;
	f.host.tax_cpu_host = f.host.psi_cpu = f.host.psi_mem = VT_NAN;
	f.host.psi_io = 3;
	f.host.self_cpu = VT_NAN;
	f.host.self_rss = VT_UNKNOWN;
	struct sb out = {0};
	render_header_lines(&out, &f);
	const char *l = strchr(out.s, '\n') + 1;
	CHECK(!strncmp(l, "CPU  2 cpus: usr - sys - guest - iow - steal - irq - sirq - nice - idle -\n",
		       strlen("CPU  2 cpus: usr - sys - guest - iow - steal - irq - sirq - nice - idle -\n")),
	      "the CPU line: %.80s", l);
	CHECK(strstr(out.s, "\nMEM  - total, - available: guests wset -, page cache -, tax -, host own -, "
			    "hugepages 2.00G (1.00G free)\n"), "the MEM line: %s", out.s);
	CHECK(strstr(out.s, "\nTAX  1 VM, 0 containers: virtualization tax CPU - of host, RAM -; "
			    "stalled cpu - io 3.0% mem -\n"), "the TAX line: %s", out.s);
	CHECK(!strstr(out.s, " - vtax "), "no vtax cost where it is unknown");
	sb_free(&out);
}

int main(void)
{
	check_text();
	check_screen_table();
	check_screen_lines();
	check_entries();
	check_families();
	check_fold();
	return t_done("unit-metrics");
}
