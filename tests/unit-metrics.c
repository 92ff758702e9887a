/* The metric registry walked entry by entry: every check here can fail
 * on a forgotten or mistyped entry, and the reader's way back (the
 * cluster view) gives the counters it was given. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "metrics.h"
#include "tap.h"
#include "util.h"

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
		CHECK(m->prom || m->json || m->influx, "entry %zu is exported nowhere", k);
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

int main(void)
{
	check_entries();
	check_families();
	check_fold();
	return t_done("unit-metrics");
}
