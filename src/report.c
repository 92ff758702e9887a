/* vtax report: each guest's tax over a recorded period (mean, 95th
 * percentile, maximum, CPU-hours and GiB-hours) and the share of the
 * host that was tax, as text, JSON or CSV, with a stacked area chart in
 * plain SVG. The numbers come from the model's frames, as live. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver.h"
#include "jsonx.h"
#include "lines.h"
#include "report.h"

struct series {
	double *cpu;               /* % of one CPU, NAN: no value */
	double *mem;               /* bytes, NAN: no value */
};

struct rguest {
	char key[200];
	char name[256];
	char id[200];
	enum runtime runtime;
	double *cpu, *mem;         /* the values seen, for percentiles */
	size_t ncpu, nmem, capc, capm;
	double *wait, *share;      /* host-side wait (% of one CPU) and disk share (%) */
	size_t nwait, nshare, capw, caps;
	double cpu_s;              /* CPU-seconds of tax */
	double mem_bs;             /* byte-seconds of tax */
	double *tc, *tm;           /* per frame, for the chart (NAN: absent) */
	bool mem_lb;               /* some memory tax of it was a lower bound */
	/* the ledger's parts summed over the frames that had them, for their
	 * means (NAN: the part never applied) */
	double cpu_part[TCP_COUNT], mem_part[TMP_COUNT];
	size_t ncpu_part, nmem_part;
};

struct report {
	struct rguest *g;
	size_t ng, capg;
	int64_t *t;                /* frame times, ms */
	size_t nt, capt;
	int64_t first_ms, last_ms;
	double host_cpu_s;         /* CPU-seconds the host had (ncpus x time) */
	double tax_cpu_s;          /* of them, tax */
	double host_mem_bs;        /* byte-seconds of RAM */
	double tax_mem_bs;
	double seconds;
	size_t frames;
	char hostname[256];
	size_t *slot;              /* hash of keys: index + 1 into g, 0 empty */
	size_t nslot;
};

static size_t key_hash(const char *k)
{
	size_t h = 5381;
	for (; *k; k++)
		h = h * 33 + (unsigned char)*k;
	return h;
}

static void rehash(struct report *r)
{
	free(r->slot);
	r->nslot = r->nslot ? r->nslot * 2 : 64;
	r->slot = xcalloc(r->nslot, sizeof(*r->slot));
	for (size_t i = 0; i < r->ng; i++) {
		size_t h = key_hash(r->g[i].key) & (r->nslot - 1);
		while (r->slot[h])
			h = (h + 1) & (r->nslot - 1);
		r->slot[h] = i + 1;
	}
}

static struct rguest *guest_of(struct report *r, const struct guest_view *v)
{
	char key[200];
	guest_sample_key(v->g, key, sizeof(key));
	if (2 * (r->ng + 1) > r->nslot)
		rehash(r);
	size_t h = key_hash(key) & (r->nslot - 1);
	for (; r->slot[h]; h = (h + 1) & (r->nslot - 1))
		if (!strcmp(r->g[r->slot[h] - 1].key, key))
			return &r->g[r->slot[h] - 1];
	r->g = xgrow(r->g, r->ng, &r->capg, sizeof(*r->g), 16);
	struct rguest *g = &r->g[r->ng++];
	r->slot[h] = r->ng;
	memset(g, 0, sizeof(*g));
	str_copy(g->key, sizeof(g->key), key);
	str_copy(g->id, sizeof(g->id), v->g->id ? v->g->id : "?");
	g->runtime = v->g->runtime;
	for (int p = 0; p < TCP_COUNT; p++)
		g->cpu_part[p] = VT_NAN;
	for (int p = 0; p < TMP_COUNT; p++)
		g->mem_part[p] = VT_NAN;
	return g;
}

static void push(double **a, size_t *n, size_t *cap, double v)
{
	*a = xgrow(*a, *n, cap, sizeof(**a), 64);
	(*a)[(*n)++] = v;
}

/* The ledger of one frame into the guest's sums. */
static void add_parts(struct rguest *g, const struct guest_view *v)
{
	if (v->has_rates && isfinite(v->cpu_tax)) {
		g->ncpu_part++;
		for (int p = 0; p < TCP_COUNT; p++)
			if (!isnan(v->cpu_part[p]))
				g->cpu_part[p] = (isnan(g->cpu_part[p]) ? 0 : g->cpu_part[p]) + v->cpu_part[p];
	}
	if (v->mem_tax != VT_UNKNOWN) {
		g->nmem_part++;
		for (int p = 0; p < TMP_COUNT; p++)
			if (v->mem_part[p] != VT_UNKNOWN)
				g->mem_part[p] = (isnan(g->mem_part[p]) ? 0 : g->mem_part[p]) +
						 (double)v->mem_part[p];
	}
}

static void add_frame(struct report *r, const struct frame *f)
{
	double dt = f->interval_s;
	if (!f->has_rates || !isfinite(dt) || dt <= 0)
		return;
	size_t old_cap = r->capt;
	r->t = xgrow(r->t, r->nt, &r->capt, sizeof(*r->t), 256);
	if (r->capt != old_cap) {
		for (size_t i = 0; i < r->ng; i++) {
			r->g[i].tc = xrealloc(r->g[i].tc, r->capt * sizeof(double));
			r->g[i].tm = xrealloc(r->g[i].tm, r->capt * sizeof(double));
		}
	}
	size_t fi = r->nt++;
	r->t[fi] = f->time_ms;
	for (size_t i = 0; i < r->ng; i++)
		r->g[i].tc[fi] = r->g[i].tm[fi] = VT_NAN;
	if (!r->frames)
		r->first_ms = f->time_ms - (int64_t)(dt * 1000);
	r->last_ms = f->time_ms;
	r->frames++;
	r->seconds += dt;
	sanitize(r->hostname, sizeof(r->hostname), f->cur->host.hostname);
	r->host_cpu_s += f->host.ncpus * dt;
	if (isfinite(f->host.tax_cpu))
		r->tax_cpu_s += f->host.tax_cpu / 100 * dt;
	if (f->host.mem_total != VT_UNKNOWN)
		r->host_mem_bs += (double)f->host.mem_total * dt;
	if (f->host.guests_tax != VT_UNKNOWN)
		r->tax_mem_bs += (double)f->host.guests_tax * dt;
	for (size_t k = 0; k < f->n; k++) {
		const struct guest_view *v = &f->guests[k];
		size_t before = r->ng;
		struct rguest *g = guest_of(r, v);
		if (r->ng != before) {
			g->tc = xmalloc(r->capt * sizeof(double));
			g->tm = xmalloc(r->capt * sizeof(double));
			for (size_t i = 0; i <= fi; i++)
				g->tc[i] = g->tm[i] = VT_NAN;
		}
		sanitize(g->name, sizeof(g->name), v->g->name ? v->g->name : g->id);
		if (v->has_rates && isfinite(v->cpu_tax)) {
			push(&g->cpu, &g->ncpu, &g->capc, v->cpu_tax);
			g->cpu_s += v->cpu_tax / 100 * dt;
			g->tc[fi] = v->cpu_tax;
		}
		if (v->mem_tax != VT_UNKNOWN) {
			push(&g->mem, &g->nmem, &g->capm, (double)v->mem_tax);
			g->mem_bs += (double)v->mem_tax * dt;
			g->tm[fi] = (double)v->mem_tax;
			g->mem_lb |= v->mem_tax_lower_bound;
		}
		if (v->has_rates && isfinite(v->cpu_wait))
			push(&g->wait, &g->nwait, &g->capw, v->cpu_wait);
		if (v->has_rates && isfinite(v->io_host_share))
			push(&g->share, &g->nshare, &g->caps, v->io_host_share);
		add_parts(g, v);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct stat3 {
	double mean, p95, max;
};

/* Mean, 95th percentile (nearest rank) and maximum; NAN without values. */
static struct stat3 stat3_of(double *v, size_t n)
{
	struct stat3 s = {VT_NAN, VT_NAN, VT_NAN};
	if (!n)
		return s;
	qsort(v, n, sizeof(*v), cmp_double);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	s.mean = sum / (double)n;
	size_t rank = (size_t)ceil(0.95 * (double)n);
	s.p95 = v[rank ? rank - 1 : 0];
	s.max = v[n - 1];
	return s;
}

/* Top guests first: most CPU-hours of tax, then GiB-hours, then key. */
static int cmp_guest(const void *a, const void *b)
{
	const struct rguest *x = a, *y = b;
	if (x->cpu_s != y->cpu_s)
		return x->cpu_s > y->cpu_s ? -1 : 1;
	if (x->mem_bs != y->mem_bs)
		return x->mem_bs > y->mem_bs ? -1 : 1;
	return strcmp(x->key, y->key);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* fmt is one of this file's literals */
static void rep_time(char *buf, size_t sz, int64_t ms, const char *fmt)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, sz, fmt, &tm);
}
#pragma GCC diagnostic pop

static void rep_bytes(char *buf, size_t sz, double b)
{
	static const char units[] = "BKMGTP";
	int u = 0;
	if (!isfinite(b)) {
		snprintf(buf, sz, "-");
		return;
	}
	while (b >= 1024 && u < 5) {
		b /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, sz, "%.0fB", b);
	else
		snprintf(buf, sz, "%.*f%c", b < 10 ? 2 : b < 100 ? 1 : 0, b, units[u]);
}

static void rep_pct(char *buf, size_t sz, double v)
{
	if (isfinite(v))
		snprintf(buf, sz, "%.1f", v);
	else
		snprintf(buf, sz, "-");
}

#define GIB 1073741824.0

static void csv_str(struct sb *o, const char *s)
{
	sb_addc(o, '"');
	for (; *s; s++) {
		if (*s == '"')
			sb_addc(o, '"');
		sb_addc(o, *s);
	}
	sb_addc(o, '"');
}

enum rformat { RF_TEXT, RF_JSON, RF_CSV };

/* The share of the host that was tax, in %; NAN without a host figure. */
static double tax_share(double tax, double host)
{
	return host > 0 ? 100 * tax / host : VT_NAN;
}

/* One guest's figures, as every format shows them. */
struct gfig {
	enum runtime runtime;
	const char *id, *name;
	size_t samples;
	struct stat3 cpu, mem, wait, share;
	double cpu_hours, gib_hours;
	bool mem_lb;
};

/* How the text table writes a number. */
enum rform {
	RT_PCT,      /* a share: one decimal, "-" when unknown */
	RT_BYTES,    /* bytes, short ("177M") */
	RT_HOURS,    /* CPU- or GiB-hours, three decimals */
};

/* A figure's column in the text table: its title, width and place (from
 * 0), a group title over it and the columns after it up to the next
 * group's ("---- CPU tax, % of one CPU"), how a number is written, and
 * lower_bound: a ">" before it where the guest's memory tax was a lower
 * bound (gfig.mem_lb). Text is left-aligned and cut to the width ("~"
 * marks the cut), everything else right-aligned. */
struct rcol {
	const char *title;         /* NULL: not in the text table */
	int width;
	unsigned at;
	const char *group;
	enum rform form;
	bool lower_bound;
};

/* A guest's figures in JSON (the path below the guest), CSV (the column)
 * and the text table (.text), one entry each: the three formats are
 * written from this table, JSON in its order, CSV too but for the columns
 * added later (csv_late, after the others), the text table in the order
 * of its columns' places. The ledger's parts follow, by their names (in
 * text, a line under the guest). */
enum rkind {
	RK_TEXT,
	RK_COUNT,
	RK_NUM,
	RK_BOOL,
	RK_RUNTIME,                /* its name; in the text table its short name */
};
static const struct rfig {
	const char *json, *csv;
	enum rkind kind;
	size_t off;                /* in struct gfig */
	bool csv_late;
	struct rcol text;
} rfigs[] = {
#define RF(j, c, k, f, ...) \
	{.json = j, .csv = c, .kind = k, .off = offsetof(struct gfig, f), __VA_ARGS__}
/* its column in the text table: title t, width w, place a */
#define TC(t, w, a, ...) .text = {.title = t, .width = w, .at = a, __VA_ARGS__}
	RF("runtime", "runtime", RK_RUNTIME, runtime, TC("RUNTIME", 7, 2)),
	RF("id", "id", RK_TEXT, id, TC("ID", 12, 0)),
	RF("name", "name", RK_TEXT, name, TC("NAME", 20, 1)),
	RF("samples", "samples", RK_COUNT, samples),
	RF("cpu_tax.mean", "cpu_tax_mean_pct", RK_NUM, cpu.mean,
	   TC("MEAN", 6, 3, .group = "---- CPU tax, % of one CPU")),
	RF("cpu_tax.p95", "cpu_tax_p95_pct", RK_NUM, cpu.p95, TC("P95", 5, 4)),
	RF("cpu_tax.max", "cpu_tax_max_pct", RK_NUM, cpu.max, TC("MAX", 5, 5)),
	RF("cpu_hours", "cpu_hours", RK_NUM, cpu_hours, TC("CPU-h", 8, 6, .form = RT_HOURS)),
	RF("mem_tax.mean", "mem_tax_mean_bytes", RK_NUM, mem.mean,
	   TC("MEAN", 7, 7, .group = "----- memory tax, bytes -----", .form = RT_BYTES,
	      .lower_bound = true)),
	RF("mem_tax.p95", "mem_tax_p95_bytes", RK_NUM, mem.p95,
	   TC("P95", 7, 8, .form = RT_BYTES, .lower_bound = true)),
	RF("mem_tax.max", "mem_tax_max_bytes", RK_NUM, mem.max,
	   TC("MAX", 7, 9, .form = RT_BYTES, .lower_bound = true)),
	RF("mem_tax_lower_bound", "mem_tax_lower_bound", RK_BOOL, mem_lb, .csv_late = true),
	RF("gib_hours", "gib_hours", RK_NUM, gib_hours, TC("GiB-h", 8, 10, .form = RT_HOURS)),
	/* contention (doc/metrics.md): its wait for a host CPU, its share
	 * of the host's disk bytes */
	RF("wait.mean", "wait_mean_pct", RK_NUM, wait.mean, .csv_late = true),
	RF("wait.max", "wait_max_pct", RK_NUM, wait.max, .csv_late = true),
	RF("disk_share.mean", "disk_share_mean_pct", RK_NUM, share.mean, .csv_late = true),
	RF("disk_share.max", "disk_share_max_pct", RK_NUM, share.max, .csv_late = true),
#undef TC
#undef RF
};

/* A figure as JSON: %.15g, null when not finite */
static json_object *rnum(double v)
{
	if (!isfinite(v))
		return NULL;
	char b[32];
	snprintf(b, sizeof(b), "%.15g", v);
	return json_object_new_double_s(v, b);
}

static json_object *rfig_json(const struct rfig *f, const struct gfig *x)
{
	const char *p = (const char *)x + f->off;
	switch (f->kind) {
	case RK_TEXT:
		return jx_str(*(const char *const *)(const void *)p);
	case RK_COUNT:
		return json_object_new_uint64(*(const size_t *)(const void *)p);
	case RK_BOOL:
		return json_object_new_boolean(*(const bool *)p);
	case RK_RUNTIME:
		return jx_str(runtime_name(*(const enum runtime *)(const void *)p));
	case RK_NUM:
		break;
	}
	return rnum(*(const double *)(const void *)p);
}

static void rfig_csv(const struct rfig *f, const struct gfig *x, struct sb *o)
{
	const char *p = (const char *)x + f->off;
	double v = f->kind == RK_NUM ? *(const double *)(const void *)p : 0;
	if (f->kind == RK_TEXT)
		csv_str(o, *(const char *const *)(const void *)p);
	else if (f->kind == RK_RUNTIME)
		csv_str(o, runtime_name(*(const enum runtime *)(const void *)p));
	else if (f->kind == RK_COUNT)
		sb_printf(o, "%zu", *(const size_t *)(const void *)p);
	else if (f->kind == RK_BOOL)
		sb_adds(o, *(const bool *)p ? "true" : "false");
	else if (isfinite(v))
		sb_printf(o, "%.15g", v);
}

/* The mean of part p of the ledger (cpu: the CPU tax's, else the memory
 * tax's), NAN where it never applied. */
static double part_mean(const struct rguest *g, bool cpu, int p)
{
	return cpu ? g->cpu_part[p] / (double)g->ncpu_part : g->mem_part[p] / (double)g->nmem_part;
}

static const char *part_name(bool cpu, int p)
{
	return cpu ? tax_cpu_part_name((enum tax_cpu_part)p) : tax_mem_part_name((enum tax_mem_part)p);
}

static json_object *json_guest(const struct rguest *g, const struct gfig *x)
{
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < ARRAY_SIZE(rfigs); i++) {
		const char *leaf;
		json_object *parent = jx_parent(o, rfigs[i].json, &leaf);
		json_object_object_add(parent, leaf, rfig_json(&rfigs[i], x));
	}
	for (int cpu = 1; cpu >= 0; cpu--) {
		json_object *parts = json_object_new_object();
		for (int p = 0; p < (cpu ? TCP_COUNT : TMP_COUNT); p++) {
			double m = part_mean(g, cpu, p);
			if (!isnan(m))
				json_object_object_add(parts, part_name(cpu, p), jx_num(m, cpu ? 4 : 0));
		}
		json_object_object_add(o, cpu ? "cpu_tax_parts" : "mem_tax_parts", parts);
	}
	return o;
}

static void json_report(const struct report *r, const struct gfig *x, struct sb *o)
{
	json_object *root = json_object_new_object(), *tax = json_object_new_object();
	json_object *guests = json_object_new_array();
	json_object_object_add(root, "host", jx_str(r->hostname));
	json_object_object_add(root, "from_ms", json_object_new_int64(r->first_ms));
	json_object_object_add(root, "to_ms", json_object_new_int64(r->last_ms));
	json_object_object_add(root, "seconds", jx_num(r->seconds, 3));
	json_object_object_add(root, "frames", json_object_new_uint64(r->frames));
	json_object_object_add(tax, "cpu_hours", rnum(r->tax_cpu_s / 3600));
	json_object_object_add(tax, "cpu_share_pct", rnum(tax_share(r->tax_cpu_s, r->host_cpu_s)));
	json_object_object_add(tax, "gib_hours", rnum(r->tax_mem_bs / GIB / 3600));
	json_object_object_add(tax, "ram_share_pct", rnum(tax_share(r->tax_mem_bs, r->host_mem_bs)));
	json_object_object_add(root, "tax", tax);
	for (size_t i = 0; i < r->ng; i++)
		json_object_array_add(guests, json_guest(&r->g[i], &x[i]));
	json_object_object_add(root, "guests", guests);
	sb_adds(o, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE));
	sb_addc(o, '\n');
	json_object_put(root);
}

static void csv_report(const struct report *r, const struct gfig *x, struct sb *o)
{
	for (int late = 0; late < 2; late++)
		for (size_t i = 0; i < ARRAY_SIZE(rfigs); i++)
			if (rfigs[i].csv_late == late)
				sb_printf(o, "%s%s", i || late ? "," : "", rfigs[i].csv);
	for (int cpu = 1; cpu >= 0; cpu--)
		for (int p = 0; p < (cpu ? TCP_COUNT : TMP_COUNT); p++)
			sb_printf(o, ",%s_tax_%s_mean_%s", cpu ? "cpu" : "mem", part_name(cpu, p),
				  cpu ? "pct" : "bytes");
	sb_addc(o, '\n');
	for (size_t k = 0; k < r->ng; k++) {
		for (int late = 0; late < 2; late++)
			for (size_t i = 0; i < ARRAY_SIZE(rfigs); i++)
				if (rfigs[i].csv_late == late) {
					if (i || late)
						sb_addc(o, ',');
					rfig_csv(&rfigs[i], &x[k], o);
				}
		for (int cpu = 1; cpu >= 0; cpu--)
			for (int p = 0; p < (cpu ? TCP_COUNT : TMP_COUNT); p++) {
				double m = part_mean(&r->g[k], cpu, p);
				if (isnan(m))
					sb_addc(o, ',');
				else
					sb_printf(o, cpu ? ",%.15g" : ",%.0f", m);
			}
		sb_addc(o, '\n');
	}
}

/* s cut to width columns, its last one "~" when cut; whole code points
 * only (names are sanitised: one column a code point) */
static void cut_mark(char *out, size_t sz, const char *s, int width)
{
	bool cut = text_width(s) > width;
	int keep = cut ? width - 1 : width;
	size_t n = 0;
	for (int cols = 0; s[n]; cols++) {
		size_t len = 1;
		while (((unsigned char)s[n + len] & 0xc0) == 0x80)
			len++;
		if (cols == keep || n + len + 2 > sz)
			break;
		n += len;
	}
	memcpy(out, s, n);
	if (cut)
		out[n++] = '~';
	out[n] = '\0';
}

/* The figure in place at of the text table, or NULL past the last. */
static const struct rfig *text_col(unsigned at)
{
	for (size_t i = 0; i < ARRAY_SIZE(rfigs); i++)
		if (rfigs[i].text.title && rfigs[i].text.at == at)
			return &rfigs[i];
	return NULL;
}

/* s in the column of f, at place at: text left-aligned, the rest right */
static void text_cell(struct sb *o, const struct rfig *f, unsigned at, const char *s)
{
	bool left = f->kind == RK_TEXT || f->kind == RK_RUNTIME;
	sb_printf(o, "%s%*s", at ? " " : "", left ? -f->text.width : f->text.width, s);
}

/* The group titles over the text table's columns, each padded to its
 * columns' width but the last. */
static void text_groups(struct sb *o)
{
	const char *title = "";
	int w = -1;                /* the group's columns so far, -1: none */
	const struct rfig *f;
	for (unsigned at = 0; (f = text_col(at)); at++) {
		if (f->text.group && w >= 0) {
			sb_printf(o, "%-*s ", w, title);
			w = -1;
		}
		if (f->text.group)
			title = f->text.group;
		w += 1 + f->text.width;
	}
	sb_printf(o, "%s\n", title);
}

/* A figure as the text table writes it into its cell: text sanitised (an
 * id comes from outside too) and cut to its column, a runtime's short
 * name, a number as the column's form says, with ">" before a lower bound
 * as the screen has it (">65M"). */
static void rfig_text(const struct rfig *f, const struct gfig *x, char *cell, size_t sz)
{
	const char *p = (const char *)x + f->off;
	char s[256];
	switch (f->kind) {
	case RK_TEXT:
		sanitize(s, sizeof(s), *(const char *const *)(const void *)p);
		cut_mark(cell, sz, s, f->text.width);
		return;
	case RK_RUNTIME:
		snprintf(cell, sz, "%s", runtime_short(*(const enum runtime *)(const void *)p));
		return;
	case RK_COUNT:
		snprintf(cell, sz, "%zu", *(const size_t *)(const void *)p);
		return;
	case RK_BOOL:
		snprintf(cell, sz, "%s", *(const bool *)p ? "true" : "false");
		return;
	case RK_NUM:
		break;
	}
	double v = *(const double *)(const void *)p;
	size_t mark = f->text.lower_bound && x->mem_lb && !isnan(v) && sz > 1;
	cell[0] = '>';
	if (f->text.form == RT_HOURS)
		snprintf(cell + mark, sz - mark, "%.3f", v);
	else if (f->text.form == RT_BYTES)
		rep_bytes(cell + mark, sz - mark, v);
	else
		rep_pct(cell + mark, sz - mark, v);
}

static void text_head(const struct report *r, struct sb *o)
{
	char from[64], to[64];
	rep_time(from, sizeof(from), r->first_ms, "%Y-%m-%d %H:%M:%S");
	rep_time(to, sizeof(to), r->last_ms, "%Y-%m-%d %H:%M:%S");
	char dur[64], mt[32], mm[32], cs[16], ms[16];
	long secs = (long)llround(r->seconds);
	snprintf(dur, sizeof(dur), "%ldd %ldh %02ldm", secs / 86400, secs % 86400 / 3600,
		 secs % 3600 / 60);
	rep_bytes(mt, sizeof(mt), r->seconds > 0 ? r->tax_mem_bs / r->seconds : VT_NAN);
	rep_bytes(mm, sizeof(mm), r->host_mem_bs > 0 ? r->host_mem_bs / r->seconds : VT_NAN);
	rep_pct(cs, sizeof(cs), tax_share(r->tax_cpu_s, r->host_cpu_s));
	rep_pct(ms, sizeof(ms), tax_share(r->tax_mem_bs, r->host_mem_bs));
	sb_printf(o, "vtax report: %s, %s to %s (%s, %zu frames)\n", r->hostname, from, to,
		  dur + (dur[0] == '0' ? 3 : 0), r->frames);
	sb_printf(o, "Tax share of the host: CPU %s%% (%.2f CPU-hours of %.2f), "
		     "RAM %s%% (mean %s of %s, %.2f GiB-hours)\n\n",
		  cs, r->tax_cpu_s / 3600, r->host_cpu_s / 3600, ms, mt, mm,
		  r->tax_mem_bs / GIB / 3600);
	text_groups(o);
	const struct rfig *f;
	for (unsigned at = 0; (f = text_col(at)); at++)
		text_cell(o, f, at, f->text.title);
	sb_addc(o, '\n');
}

/* The guest's mean ledger as a line under it: the parts that were not 0. */
static void text_parts(const struct rguest *g, struct sb *o)
{
	struct sb l = {0};
	for (int p = 0; p < TCP_COUNT && g->ncpu_part; p++) {
		double m = isnan(g->cpu_part[p]) ? 0 : g->cpu_part[p] / (double)g->ncpu_part;
		if (m >= 0.005)
			sb_printf(&l, "%s %s %.2f", l.len ? "," : "  CPU tax:", tax_cpu_part_name((enum tax_cpu_part)p), m);
	}
	size_t cpu_len = l.len;
	for (int p = 0; p < TMP_COUNT && g->nmem_part; p++) {
		double m = isnan(g->mem_part[p]) ? 0 : g->mem_part[p] / (double)g->nmem_part;
		if (m >= 1) {
			char b[16];
			rep_bytes(b, sizeof(b), m);
			sb_printf(&l, "%s %s %s", l.len > cpu_len ? "," : l.len ? "; memory tax:" : "  memory tax:",
				  tax_mem_part_name((enum tax_mem_part)p), b);
		}
	}
	if (l.len)
		sb_printf(o, "%-12s %s\n", "", l.s);
	sb_free(&l);
}

static void text_guest(const struct rguest *g, const struct gfig *x, struct sb *o)
{
	const struct rfig *f;
	for (unsigned at = 0; (f = text_col(at)); at++) {
		char cell[320];        /* the widest number %.3f writes */
		rfig_text(f, x, cell, sizeof(cell));
		text_cell(o, f, at, cell);
	}
	sb_addc(o, '\n');
	text_parts(g, o);
}

static void render(struct report *r, enum rformat fmt, struct sb *o)
{
	struct gfig *x = xcalloc(r->ng ? r->ng : 1, sizeof(*x));
	for (size_t i = 0; i < r->ng; i++) {
		struct rguest *g = &r->g[i];
		x[i] = (struct gfig){
			.runtime = g->runtime, .id = g->id, .name = g->name,
			.cpu = stat3_of(g->cpu, g->ncpu),
			.mem = stat3_of(g->mem, g->nmem),
			.wait = stat3_of(g->wait, g->nwait),
			.share = stat3_of(g->share, g->nshare),
			.samples = g->ncpu > g->nmem ? g->ncpu : g->nmem,
			.cpu_hours = g->cpu_s / 3600, .gib_hours = g->mem_bs / GIB / 3600,
			.mem_lb = g->mem_lb,
		};
	}
	if (fmt == RF_JSON) {
		json_report(r, x, o);
	} else if (fmt == RF_CSV) {
		csv_report(r, x, o);
	} else {
		text_head(r, o);
		for (size_t i = 0; i < r->ng; i++)
			text_guest(&r->g[i], &x[i], o);
	}
	free(x);
}

/* ---- the chart ----------------------------------------------------------- */

static void xml_str(struct sb *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sb_adds(o, "&amp;"); break;
		case '<': sb_adds(o, "&lt;"); break;
		case '>': sb_adds(o, "&gt;"); break;
		case '"': sb_adds(o, "&quot;"); break;
		default: sb_addc(o, *s); break;
		}
	}
}

#define PLOT_SERIES 10       /* guests drawn by name; the rest are "others" */

static const char *const palette[PLOT_SERIES + 1] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#17becf", "#bab0ac",
};

/* A step of the time axis giving about 6 to 10 ticks. */
static int64_t tick_step(int64_t span_ms)
{
	static const int64_t steps[] = {
		1000, 2000, 5000, 10000, 30000, 60000, 300000, 600000, 900000, 1800000, 3600000, 7200000,
		10800000, 21600000, 43200000, 86400000, 172800000, 604800000,
	};
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
		if (span_ms / steps[i] <= 8)
			return steps[i];
	return steps[ARRAY_SIZE(steps) - 1];
}

/* A "nice" axis top at or above v: 1, 2 or 5 times a power of ten. */
static double nice_top(double v)
{
	if (!(v > 0))
		return 1;
	double p = pow(10, floor(log10(v)));
	for (double m = 1; m <= 10; m = m == 1 ? 2 : m == 2 ? 5 : 10)
		if (m * p >= v)
			return m * p;
	return 10 * p;
}

struct panel {
	const char *title;
	double x, y, w, h;
	bool bytes;
};

/* A panel's time axis, in local time: ticks at round times, and the
 * period's first and last moment labelled whatever the ticks. */
static void time_axis(struct sb *o, const struct panel *pn, int64_t t0, int64_t t1)
{
	double span = (double)(t1 > t0 ? t1 - t0 : 1);
#define PX(t) (pn->x + pn->w * (double)((t) - t0) / span)
	int64_t step = tick_step(t1 - t0);
	time_t tt = (time_t)(t0 / 1000);
	struct tm tm;
	localtime_r(&tt, &tm);
	int64_t off = (int64_t)tm.tm_gmtoff * 1000;
	int64_t first = ((t0 + off) / step + 1) * step - off;
	for (int64_t t = first; t < t1; t += step) {
		char lab[32];
		rep_time(lab, sizeof(lab), t, step >= 86400000 ? "%a %d" :
				 (t + off) % 86400000 == 0 ? "%a %H:%M" :
				 step < 60000 ? "%H:%M:%S" : "%H:%M");
		sb_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n",
			  PX(t), pn->y, PX(t), pn->y + pn->h);
		/* the ends carry their own labels */
		if (PX(t) - pn->x > 70 && pn->x + pn->w - PX(t) > 70)
			sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"xlab\">%s</text>\n", PX(t),
				  pn->y + pn->h + 16, lab);
	}
	/* the period's first and last moment, whatever the ticks */
	char a[32], b[32];
	const char *efmt = t1 - t0 >= 86400000 ? "%a %d %H:%M" : "%H:%M:%S";
	rep_time(a, sizeof(a), t0, efmt);
	rep_time(b, sizeof(b), t1, efmt);
	sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"xlab\" text-anchor=\"start\">%s</text>\n",
		  pn->x, pn->y + pn->h + 16, a);
	sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"xlab\" text-anchor=\"end\">%s</text>\n",
		  pn->x + pn->w, pn->y + pn->h + 16, b);
#undef PX
}

/* One stacked-area panel: s[k][b] is series k's value in bucket b. */
static void plot_panel(struct sb *o, const struct panel *pn, double **s, size_t ns,
		       size_t nb, const int64_t *bt, int64_t t0, int64_t t1, const struct report *r)
{
	double top = 0;
	for (size_t b = 0; b < nb; b++) {
		double sum = 0;
		for (size_t k = 0; k < ns; k++)
			sum += s[k][b];
		if (sum > top)
			top = sum;
	}
	double unit = 1;
	const char *uname = "% of one CPU";
	if (pn->bytes) {
		static const char *const names[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
		int u = 0;
		while (top / unit >= 1024 && u < 4) {
			unit *= 1024;
			u++;
		}
		uname = names[u];
	}
	double ymax = nice_top(top / unit) * unit;
	double span = (double)(t1 > t0 ? t1 - t0 : 1);
#define PX(t) (pn->x + pn->w * (double)((t) - t0) / span)
#define PY(v) (pn->y + pn->h - pn->h * (v) / ymax)
	sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"title\">", pn->x, pn->y - 10);
	xml_str(o, pn->title);
	sb_printf(o, " (%s)</text>\n", uname);
	/* grid and y labels */
	for (int i = 0; i <= 4; i++) {
		double v = ymax * i / 4, y = PY(v);
		sb_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n",
			  pn->x, y, pn->x + pn->w, y);
		sb_printf(o, "<text x=\"%.1f\" y=\"%.1f\" class=\"ylab\">%.4g</text>\n", pn->x - 6,
			  y + 4, v / unit);
	}
	/* stacked areas, bottom series first */
	double *base = xcalloc(nb + 1, sizeof(double));
	for (size_t k = 0; k < ns; k++) {
		sb_printf(o, "<path fill=\"%s\" fill-opacity=\"0.85\" stroke=\"%s\" "
			     "stroke-width=\"0.5\" d=\"", palette[k < PLOT_SERIES ? k : PLOT_SERIES],
			  palette[k < PLOT_SERIES ? k : PLOT_SERIES]);
		for (size_t b = 0; b < nb; b++)
			sb_printf(o, "%c%.1f,%.1f ", b ? 'L' : 'M', PX(bt[b]), PY(base[b] + s[k][b]));
		for (size_t b = nb; b-- > 0;)
			sb_printf(o, "L%.1f,%.1f ", PX(bt[b]), PY(base[b]));
		/* a browser shows the guest's name on hover */
		sb_adds(o, "Z\"><title>");
		xml_str(o, k < PLOT_SERIES ? r->g[k].name : "others");
		sb_adds(o, "</title></path>\n");
		for (size_t b = 0; b < nb; b++)
			base[b] += s[k][b];
	}
	free(base);
	sb_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"frame\"/>\n",
		  pn->x, pn->y, pn->w, pn->h);
	time_axis(o, pn, t0, t1);
#undef PX
#undef PY
}

/* The series drawn: the top guests, the rest summed as "others", over
 * at most 400 time buckets (about 2 px each), each bucket the mean of
 * its frames (a guest absent counts 0). */
struct buckets {
	size_t nb, ns;
	double **cpu, **mem;       /* [series][bucket]: % of one CPU, bytes */
	int64_t *t;                /* the time of each bucket's last frame, ms */
};

static void buckets_fill(struct buckets *bk, const struct report *r)
{
	size_t nb = bk->nb = r->nt < 400 ? r->nt : 400;
	size_t ns = bk->ns = r->ng < PLOT_SERIES ? r->ng : PLOT_SERIES + (r->ng > PLOT_SERIES);
	bk->cpu = xcalloc(ns + 1, sizeof(*bk->cpu));
	bk->mem = xcalloc(ns + 1, sizeof(*bk->mem));
	bk->t = xcalloc(nb + 1, sizeof(*bk->t));
	for (size_t k = 0; k < ns; k++) {
		bk->cpu[k] = xcalloc(nb + 1, sizeof(double));
		bk->mem[k] = xcalloc(nb + 1, sizeof(double));
	}
	size_t *cnt = xcalloc(nb + 1, sizeof(*cnt));
	for (size_t i = 0; i < r->nt; i++) {
		size_t b = nb > 1 ? i * nb / r->nt : 0;
		cnt[b]++;
		bk->t[b] = r->t[i];
		for (size_t g = 0; g < r->ng; g++) {
			size_t k = g < PLOT_SERIES ? g : PLOT_SERIES;
			if (isfinite(r->g[g].tc[i]))
				bk->cpu[k][b] += r->g[g].tc[i];
			if (isfinite(r->g[g].tm[i]))
				bk->mem[k][b] += r->g[g].tm[i];
		}
	}
	for (size_t b = 0; b < nb; b++)
		for (size_t k = 0; k < ns && cnt[b]; k++) {
			bk->cpu[k][b] /= (double)cnt[b];
			bk->mem[k][b] /= (double)cnt[b];
		}
	free(cnt);
}

static void buckets_free(struct buckets *bk)
{
	for (size_t k = 0; k < bk->ns; k++) {
		free(bk->cpu[k]);
		free(bk->mem[k]);
	}
	free(bk->cpu);
	free(bk->mem);
	free(bk->t);
}

/* The SVG's start: its size, styles, a white page and the headline. */
static void svg_head(struct sb *o, const struct report *r, double w, double h)
{
	sb_printf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		     "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
		     "<style>.title{font-weight:bold;font-size:13px}.grid{stroke:#ddd}"
		     ".frame{fill:none;stroke:#888}.ylab{text-anchor:end;fill:#444}"
		     ".xlab{text-anchor:middle;fill:#444}.head{font-size:15px;font-weight:bold}"
		     "</style>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		  w, h, w, h);
	char from[64], to[64];
	rep_time(from, sizeof(from), r->first_ms, "%Y-%m-%d %H:%M");
	rep_time(to, sizeof(to), r->last_ms, "%Y-%m-%d %H:%M %Z");
	sb_adds(o, "<text x=\"20\" y=\"24\" class=\"head\">Virtualization tax on ");
	xml_str(o, r->hostname);
	sb_printf(o, ", %s to %s</text>\n", from, to);
}

/* The legend at x, top series first as in the table. */
static void plot_legend(struct sb *o, const struct report *r, size_t ns, double x)
{
	for (size_t k = 0; k < ns; k++) {
		double y = 80 + 20 * (double)k;
		sb_printf(o, "<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"14\" fill=\"%s\"/>\n",
			  x, y - 11, palette[k < PLOT_SERIES ? k : PLOT_SERIES]);
		sb_printf(o, "<text x=\"%.0f\" y=\"%.0f\">", x + 20, y);
		if (k < PLOT_SERIES) {
			xml_str(o, r->g[k].name);   /* whole: the chart is as wide as it needs */
			sb_printf(o, " (%s)", runtimes[r->g[k].runtime].short_name);
		} else {
			sb_printf(o, "%zu others", r->ng - PLOT_SERIES);
		}
		sb_adds(o, "</text>\n");
	}
}

/* The legend's width: its longest line, at about 7 px a character. */
static double legend_width(const struct report *r, size_t ns)
{
	double w = 210;
	for (size_t k = 0; k < ns && k < PLOT_SERIES; k++) {
		double need = 40 + 7.0 * (double)(text_width(r->g[k].name) + 10);
		w = need > w ? need : w;
	}
	return w;
}

static int plot(struct report *r, const char *path, char **cause)
{
	const double left = 70, pw = 700, ph = 220;
	double right = legend_width(r, r->ng < PLOT_SERIES ? r->ng : PLOT_SERIES + 1) + 20;
	const double W = left + pw + right;
	int64_t t0 = r->nt ? r->t[0] : 0, t1 = r->nt ? r->t[r->nt - 1] : 1;
	struct buckets bk;
	buckets_fill(&bk, r);
	struct sb o = {0};
	svg_head(&o, r, W, 70 + ph + 70 + ph + 35);
	struct panel cpu = {"CPU tax", left, 70, pw, ph, false};
	struct panel mem = {"Memory tax", left, 70 + ph + 70, pw, ph, true};
	if (bk.nb) {
		plot_panel(&o, &cpu, bk.cpu, bk.ns, bk.nb, bk.t, t0, t1, r);
		plot_panel(&o, &mem, bk.mem, bk.ns, bk.nb, bk.t, t0, t1, r);
	}
	plot_legend(&o, r, bk.ns, W - right + 20);
	sb_adds(&o, "</svg>\n");
	int rc = 0;
	FILE *fp = fopen(path, "we");
	if (!fp || fwrite(o.s, 1, o.len, fp) != o.len || fclose(fp)) {
		*cause = xasprintf("cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	sb_free(&o);
	buckets_free(&bk);
	return rc;
}

/* ---- the command ------------------------------------------------------- */

static void usage(FILE *fp)
{
	fprintf(fp, "Usage: vtax report [OPTION]... DIR|FILE...\n"
		    "Each guest's virtualization tax over a recorded period, top guests first.\n\n"
		    "      --since=TIME   from TIME (-7d, -2h, \"2026-11-28 22:00\", 22:00, @EPOCH)\n"
		    "      --until=TIME   up to TIME\n"
		    "  -j, --json         one JSON object\n"
		    "      --csv          one CSV line per guest\n"
		    "      --plot=FILE    also draw a stacked area chart of the tax to FILE (SVG)\n"
		    "  -h, --help         show this help and exit\n");
}

static void report_free(struct report *r)
{
	for (size_t i = 0; i < r->ng; i++) {
		free(r->g[i].cpu);
		free(r->g[i].mem);
		free(r->g[i].wait);
		free(r->g[i].share);
		free(r->g[i].tc);
		free(r->g[i].tm);
	}
	free(r->g);
	free(r->t);
	free(r->slot);
}

/* What the command line asks for. */
struct ropts {
	int64_t since, until;      /* ms, INT64_MIN and INT64_MAX when open */
	enum rformat fmt;
	const char *plot_path;     /* --plot, or NULL */
};

/* Fill o from argv; the paths start at optind. Returns -1 to go on, else
 * the exit status (after --help, or a usage error said on stderr). */
static int parse_args(int argc, char **argv, struct ropts *o)
{
	static const struct option longopts[] = {
		{"since", required_argument, NULL, 's'}, {"until", required_argument, NULL, 'u'},
		{"json", no_argument, NULL, 'j'}, {"csv", no_argument, NULL, 'c'},
		{"plot", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int64_t now = now_real_ms();
	*o = (struct ropts){.since = INT64_MIN, .until = INT64_MAX, .fmt = RF_TEXT};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
		case 'u':
			if (parse_when(optarg, now, c == 's' ? &o->since : &o->until)) {
				fprintf(stderr, "vtax report: invalid time '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j': o->fmt = RF_JSON; break;
		case 'c': o->fmt = RF_CSV; break;
		case 'p': o->plot_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "vtax report: %s '%s'\n", c == ':' ? "option needs an argument:"
				: "unknown option", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vtax report: name a history directory or record file\n");
		usage(stderr);
		return 2;
	}
	return -1;
}

/* Every frame of src into r. Returns 0, or 2 when the source failed or
 * held no two samples (said on stderr). */
static int read_period(struct source *src, struct report *r)
{
	struct pipeline p;
	char *cause = NULL;
	pipeline_init(&p, src, NULL, NULL);
	int rc = 0, k;
	while ((k = pipeline_step(&p, COL_TAX, true, &cause)) > 0) {
		if (p.cur->notice)
			fprintf(stderr, "vtax report: skipped: %s\n", p.cur->notice);
		add_frame(r, &p.f);
	}
	if (cause)
		fprintf(stderr, "vtax report: %s\n", cause);
	if (k < 0)
		rc = 2;
	free(cause);
	if (!rc && !r->frames) {
		fprintf(stderr, "vtax report: no two samples in the period\n");
		rc = 2;
	}
	pipeline_free(&p);
	return rc;
}

/* Top guests first: the chart, if asked, then the report on stdout.
 * Returns 0, or 1 when either could not be written. */
static int write_report(struct report *r, const struct ropts *o)
{
	int rc = 0;
	char *cause = NULL;
	if (r->ng)
		qsort(r->g, r->ng, sizeof(*r->g), cmp_guest);
	if (o->plot_path && plot(r, o->plot_path, &cause)) {
		fprintf(stderr, "vtax report: %s\n", cause);
		free(cause);
		rc = 1;
	} else if (o->plot_path) {
		fprintf(stderr, "vtax report: chart written to %s (%zu guests, %zu frames)\n",
			o->plot_path, r->ng, r->frames);
	}
	struct sb out = {0};
	render(r, o->fmt, &out);
	if (fwrite(out.s, 1, out.len, stdout) != out.len || fflush(stdout))
		rc = 1;
	sb_free(&out);
	return rc;
}

int report_main(int argc, char **argv)
{
	struct ropts o;
	int rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	char *cause = NULL;
	struct source *src = source_history((const char *const *)argv + optind,
					    (size_t)(argc - optind), o.since, o.until, &cause);
	if (!src) {
		fprintf(stderr, "vtax report: %s\n", cause);
		free(cause);
		return 2;
	}
	struct report r;
	memset(&r, 0, sizeof(r));
	rc = read_period(src, &r);
	if (!rc)
		rc = write_report(&r, &o);
	source_free(src);
	report_free(&r);
	return rc;
}
