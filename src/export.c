/* Prometheus text and InfluxDB lines of a frame. Guest gauges come from
 * the column table (entries with .prom or .influx); the host's values and
 * the counters of guests, interfaces and drives from the metric registry
 * (metrics.c). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "export.h"
#include "metrics.h"

/* ---- counters -------------------------------------------------------------- */

struct ctr_ent {
	char key[240];              /* node, runtime and id */
	uint64_t birth;
	uint64_t *last;             /* per registry entry: raw value last seen */
	uint64_t *off;              /* added to the raw value */
};

struct export_state {
	struct ctr_ent *e;          /* sorted by key */
	size_t n;
	uint64_t *val;              /* the last frame's guests, in its order: their
				       guest counters, metrics_count a guest */
	size_t nval;
};

/* The exported (monotonic) value of registry entry k of guest i. */
static uint64_t st_val(const struct export_state *st, size_t i, size_t k)
{
	return i < st->nval ? st->val[i * metrics_count + k] : VT_UNKNOWN;
}

static void ents_free(struct ctr_ent *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].last), free(e[i].off);
	free(e);
}

struct export_state *export_state_new(void)
{
	return xcalloc(1, sizeof(struct export_state));
}

void export_state_free(struct export_state *st)
{
	if (!st)
		return;
	ents_free(st->e, st->n);
	free(st->val);
	free(st);
}

static void guest_key(const struct guest_sample *g, char *buf, size_t sz)
{
	snprintf(buf, sz, "%.40s\x1f%s/%.180s", g->node ? g->node : "", runtime_name(g->runtime),
		 g->id ? g->id : "");
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct ctr_ent *)a)->key, ((const struct ctr_ent *)b)->key);
}

/* A guest's counters made monotonic: one that goes back carries on from
 * the value already exported. */
static void ent_update(struct ctr_ent *e, const struct guest_view *v, uint64_t *val)
{
	for (size_t k = 0; k < metrics_count; k++) {
		const struct metric *m = &metrics[k];
		val[k] = VT_UNKNOWN;
		if (m->of != MO_GUEST || m->kind != MK_COUNTER)
			continue;
		uint64_t raw = metric_guest(m, v->g, v->kind == KIND_VM);
		if (raw == VT_UNKNOWN)
			continue;
		if (e->last[k] != VT_UNKNOWN && raw < e->last[k])
			e->off[k] += e->last[k] - raw;
		e->last[k] = raw;
		val[k] = raw + e->off[k];
	}
}

void export_update(struct export_state *st, const struct frame *f)
{
	struct ctr_ent *fresh = xcalloc(f->n ? f->n : 1, sizeof(*fresh));
	free(st->val);
	st->val = xcalloc((f->n ? f->n : 1) * metrics_count, sizeof(*st->val));
	st->nval = f->n;
	for (size_t i = 0; i < f->n; i++) {
		const struct guest_view *v = &f->guests[i];
		struct ctr_ent *e = &fresh[i];
		guest_key(v->g, e->key, sizeof(e->key));
		struct ctr_ent *old = st->n ? bsearch(e, st->e, st->n, sizeof(*e), cmp_ent) : NULL;
		if (old && old->birth == v->g->birth && old->last) {
			*e = *old;
			old->last = old->off = NULL;  /* moved */
		} else {
			e->birth = v->g->birth;
			e->last = xcalloc(metrics_count, sizeof(*e->last));
			e->off = xcalloc(metrics_count, sizeof(*e->off));
			for (size_t k = 0; k < metrics_count; k++)
				e->last[k] = VT_UNKNOWN;
		}
		ent_update(e, v, &st->val[i * metrics_count]);
	}
	qsort(fresh, f->n, sizeof(*fresh), cmp_ent);
	ents_free(st->e, st->n);
	st->e = fresh;
	st->n = f->n;
}

const char *export_object(const struct guest_view *v)
{
	return runtime_export_object(v->g->runtime);
}

/* ---- Prometheus ------------------------------------------------------------ */

/* A label value: backslash, quote and newline escaped; outside strings
 * are made valid UTF-8 first. */
static void prom_label(struct sb *out, const char *name, const char *val, bool first)
{
	char *clean = utf8_clean(val ? val : "");
	sb_printf(out, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = clean; *p; p++) {
		if (*p == '\\' || *p == '"')
			sb_addc(out, '\\'), sb_addc(out, *p);
		else if (*p == '\n')
			sb_adds(out, "\\n");
		else
			sb_addc(out, *p);
	}
	sb_addc(out, '"');
	free(clean);
}

static void prom_family(struct sb *out, const char *name, const char *type, const char *help)
{
	sb_printf(out, "# HELP %s ", name);
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			sb_adds(out, "\\\\");
		else if (*p == '\n')
			sb_adds(out, "\\n");
		else
			sb_addc(out, *p);
	}
	sb_printf(out, "\n# TYPE %s %s\n", name, type);
}

/* A guest's node: its own in a cluster view, else this host's name. */
static const char *node_of(const struct frame *f, const struct guest_view *v)
{
	return v->g->node ? v->g->node : f->cur->host.hostname;
}

/* name{node="..",id="object/id"; the caller closes the labels */
static void prom_series(struct sb *out, const char *name, const struct frame *f,
			const struct guest_view *v)
{
	char id[256];
	snprintf(id, sizeof(id), "%s/%.200s", export_object(v), v->g->id ? v->g->id : "");
	sb_printf(out, "%s{", name);
	prom_label(out, "node", node_of(f, v), true);
	prom_label(out, "id", id, false);
}

/* A kept value as Prometheus writes it: whole units, or seconds from ns,
 * us or ms without rounding through a double. */
static void prom_u64(struct sb *out, uint64_t v, double scale)
{
	unsigned long long d = scale == 1e-9 ? 1000000000ull : scale == 1e-6 ? 1000000ull
			     : scale == 1e-3 ? 1000ull : 1;
	int digits = d == 1000000000ull ? 9 : d == 1000000ull ? 6 : 3;
	if (d == 1)
		sb_printf(out, "} %llu\n", (unsigned long long)v);
	else
		sb_printf(out, "} %llu.%0*llu\n", (unsigned long long)v / d, digits,
			  (unsigned long long)v % d);
}

static void prom_double(struct sb *out, double d, double scale)
{
	if (scale && scale != 1)
		sb_printf(out, "} %.10g\n", d * scale);
	else
		sb_printf(out, "} %.17g\n", d);
}

/* Each family of the registry once, at its first entry. */
static bool family_start(size_t k)
{
	const struct metric *m = &metrics[k];
	return m->prom && (k == 0 || !metrics[k - 1].prom || strcmp(metrics[k - 1].prom, m->prom));
}

static void prom_family_of(struct sb *out, size_t k)
{
	prom_family(out, metrics[k].prom, metrics[k].kind == MK_COUNTER ? "counter" : "gauge",
		    metrics[k].help);
}

static void prom_host(struct sb *out, const struct frame *f)
{
	for (size_t k = 0; k < metrics_count; k++) {
		const struct metric *m = &metrics[k];
		if (m->of != MO_HOST || !m->prom)
			continue;
		if (family_start(k))
			prom_family_of(out, k);
		double d = metric_host(m, f);
		if (isnan(d))
			continue;
		sb_printf(out, "%s{", m->prom);
		prom_label(out, "node", f->cur->host.hostname, true);
		if (m->label)
			prom_label(out, m->label, m->label_value, false);
		if (m->unit == MU_U64)
			prom_u64(out, (uint64_t)d, m->scale);
		else
			prom_double(out, d, m->scale);
	}
}

static void prom_guest_values(struct sb *out, const struct frame *f, const struct export_state *st)
{
	for (size_t k = 0; k < metrics_count; k++) {
		const struct metric *m = &metrics[k];
		if (m->of != MO_GUEST || !m->prom)
			continue;
		if (family_start(k))
			prom_family_of(out, k);
		for (size_t i = 0; i < f->n; i++) {
			const struct guest_view *gv = &f->guests[i];
			double d = m->src == MS_VIEW ? metric_view(m, gv) : 0;
			/* counters as made monotonic, gauges as they are */
			uint64_t v = m->src == MS_VIEW ? 0
				     : m->kind == MK_COUNTER ? st_val(st, i, k)
				     : metric_guest(m, gv->g, gv->kind == KIND_VM);
			if (v == VT_UNKNOWN || isnan(d))
				continue;
			prom_series(out, m->prom, f, &f->guests[i]);
			if (m->label)
				prom_label(out, m->label, m->label_value, false);
			if (m->src == MS_VIEW)
				prom_double(out, d, m->scale);
			else
				prom_u64(out, v, m->scale);
		}
	}
}

/* The counters of every interface and drive, labelled with its name. */
static void prom_parts(struct sb *out, const struct frame *f)
{
	for (size_t k = 0; k < metrics_count; k++) {
		const struct metric *m = &metrics[k];
		if ((m->of != MO_NIC && m->of != MO_DRIVE) || !m->prom)
			continue;
		if (family_start(k))
			prom_family_of(out, k);
		for (size_t i = 0; i < f->n; i++) {
			const struct guest_sample *g = f->guests[i].g;
			size_t n = m->of == MO_NIC ? (g->net == NET_OWN ? g->nnics : 0) : g->ndrives;
			for (size_t j = 0; j < n; j++) {
				uint64_t v = m->of == MO_NIC ? metric_nic(m, &g->nics[j])
							     : metric_drive(m, &g->drives[j]);
				if (v == VT_UNKNOWN)
					continue;
				prom_series(out, m->prom, f, &f->guests[i]);
				prom_label(out, m->label,
					   m->of == MO_NIC ? g->nics[j].name : g->drives[j].name, false);
				prom_u64(out, v, m->scale);
			}
		}
	}
}

static void prom_gauges_out(struct sb *out, const struct frame *f)
{
	for (int c = 0; c < COL_COUNT; c++) {
		const struct column *col = &columns[c];
		if (!col->prom)
			continue;
		char name[96];
		snprintf(name, sizeof(name), METRIC_GUEST_PREFIX "%s", col->prom);
		char help[320];
		snprintf(help, sizeof(help), "%s%s.", col->help,
			 col->unit == UNIT_PCT ? " (1 = one CPU)" : "");
		prom_family(out, name, "gauge", help);
		for (size_t i = 0; i < f->n; i++) {
			double d = column_num((enum col_id)c, &f->guests[i]);
			if (isnan(d))
				continue;
			prom_series(out, name, f, &f->guests[i]);
			prom_double(out, d, col->unit == UNIT_PCT ? 0.01 : 1);
		}
	}
}

/* Every family /metrics may carry: name, type and help, a line each. */
void export_list(FILE *fp)
{
	fprintf(fp, "%s gauge %s\n", METRIC_BUILD_INFO, "vtax's version.");
	for (size_t k = 0; k < metrics_count; k++)
		if (family_start(k) && metrics[k].of == MO_HOST)
			fprintf(fp, "%s %s %s\n", metrics[k].prom,
				metrics[k].kind == MK_COUNTER ? "counter" : "gauge", metrics[k].help);
	fprintf(fp, "%s gauge %s\n", METRIC_GUEST_INFO, "A guest: its name, runtime and kind.");
	for (size_t k = 0; k < metrics_count; k++)
		if (family_start(k) && metrics[k].of != MO_HOST)
			fprintf(fp, "%s %s %s\n", metrics[k].prom,
				metrics[k].kind == MK_COUNTER ? "counter" : "gauge", metrics[k].help);
	for (int c = 0; c < COL_COUNT; c++)
		if (columns[c].prom)
			fprintf(fp, "%s%s gauge %s\n", METRIC_GUEST_PREFIX, columns[c].prom, columns[c].help);
}

void export_prom(struct sb *out, const struct frame *f, const struct export_state *st)
{
	prom_family(out, METRIC_BUILD_INFO, "gauge", "vtax's version.");
	sb_adds(out, METRIC_BUILD_INFO "{");
	prom_label(out, "version", PACKAGE_VERSION, true);
	sb_adds(out, "} 1\n");
	prom_host(out, f);
	prom_family(out, METRIC_GUEST_INFO, "gauge", "A guest: its name, runtime and kind "
		    "(join on node and id; id is qemu/VMID and lxc/VMID on Proxmox, as the "
		    "pve exporter's).");
	for (size_t i = 0; i < f->n; i++) {
		const struct guest_view *v = &f->guests[i];
		prom_series(out, METRIC_GUEST_INFO, f, v);
		prom_label(out, "name", v->g->name ? v->g->name : v->g->id, false);
		prom_label(out, "runtime", runtime_name(v->g->runtime), false);
		prom_label(out, "kind", kind_name(v->kind), false);
		sb_adds(out, "} 1\n");
	}
	prom_guest_values(out, f, st);
	prom_parts(out, f);
	prom_gauges_out(out, f);
}

/* ---- InfluxDB ---------------------------------------------------------------- */

/* A tag value: commas, equals signs and spaces escaped; control
 * characters and invalid UTF-8 (which InfluxDB refuses) made '?'. */
static void influx_tag(struct sb *out, const char *name, const char *val)
{
	char clean[512];
	sanitize(clean, sizeof(clean), val);
	if (!*clean)
		return;
	sb_printf(out, ",%s=", name);
	for (const char *p = clean; *p; p++) {
		if (*p == ',' || *p == '=' || *p == ' ' || *p == '\\')
			sb_addc(out, '\\');
		sb_addc(out, *p);
	}
}

struct fields {
	struct sb *out;
	int n;
};

static void field(struct fields *fl, const char *name, double v)
{
	if (isnan(v) || isinf(v))
		return;
	sb_printf(fl->out, "%s%s=", fl->n++ ? "," : " ", name);
	/* as Proxmox writes them: every number a float, no "i" suffix */
	if (v == floor(v) && fabs(v) < 1e15)
		sb_printf(fl->out, "%.0f", v);
	else
		sb_printf(fl->out, "%.10g", v);
}

static double u64d(uint64_t v)
{
	return v == VT_UNKNOWN ? VT_NAN : (double)v;
}

/* A string field, as Proxmox writes name: quoted, its quotes and
 * backslashes escaped, control characters made '?'. */
static void field_str(struct fields *fl, const char *name, const char *val)
{
	char clean[512];
	sanitize(clean, sizeof(clean), val ? val : "");
	sb_printf(fl->out, "%s%s=\"", fl->n++ ? "," : " ", name);
	for (const char *p = clean; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_addc(fl->out, '\\');
		sb_addc(fl->out, *p);
	}
	sb_addc(fl->out, '"');
}

/* measurement,object=..,vmid=..,nodename=..,host=..: Proxmox's tags */
static void influx_tags(struct sb *out, const char *measurement, const struct frame *f,
			const struct guest_view *v)
{
	const struct guest_sample *g = v->g;
	sb_adds(out, measurement);
	influx_tag(out, "object", export_object(v));
	influx_tag(out, "vmid", g->id ? g->id : "");
	influx_tag(out, "nodename", node_of(f, v));
	influx_tag(out, "host", g->name && *g->name ? g->name : g->id ? g->id : "");
}

static void influx_end(struct sb *out, const struct fields *fl, size_t start, int64_t time_ms)
{
	if (!fl->n) {
		/* no field known: InfluxDB refuses a line without fields */
		out->len = start;
		out->s[start] = '\0';
		return;
	}
	sb_printf(out, " %lld000000\n", (long long)time_ms);
}

/* Proxmox's per-interface ("nics") and per-drive ("blockstat", the drive
 * without its "drive-" prefix) lines, tagged instance, from the
 * registry's interface and drive entries with an InfluxDB field. */
static void influx_parts(struct sb *out, const struct frame *f, const struct guest_view *v,
			 enum metric_of of)
{
	const struct guest_sample *g = v->g;
	size_t n = of == MO_NIC ? (g->net == NET_OWN ? g->nnics : 0) : g->ndrives;
	for (size_t j = 0; j < n; j++) {
		size_t start = out->len;
		const char *inst = of == MO_NIC ? g->nics[j].name : g->drives[j].name;
		if (of == MO_DRIVE && !strncmp(inst, "drive-", 6))
			inst += 6;
		influx_tags(out, of == MO_NIC ? "nics" : "blockstat", f, v);
		influx_tag(out, "instance", inst);
		struct fields fl = {out, 0};
		for (size_t k = 0; k < metrics_count; k++) {
			const struct metric *m = &metrics[k];
			if (m->of != of || !m->influx)
				continue;
			uint64_t x = of == MO_NIC ? metric_nic(m, &g->nics[j]) : metric_drive(m, &g->drives[j]);
			field(&fl, m->influx, u64d(x));
		}
		influx_end(out, &fl, start, f->time_ms);
	}
}

static void influx_guest(struct sb *out, const struct frame *f, const struct export_state *st,
			 size_t i)
{
	const struct guest_view *v = &f->guests[i];
	const struct guest_sample *g = v->g;
	influx_parts(out, f, v, MO_NIC);
	influx_parts(out, f, v, MO_DRIVE);
	size_t start = out->len;
	influx_tags(out, "system", f, v);
	struct fields fl = {out, 0};
	/* Proxmox's cpu: a share of the CPUs the guest may use (a VM's
	 * vCPUs, else the host's) */
	double cpus = (v->kind == KIND_VM && g->tg_threads[TG_VCPU] != VT_UNKNOWN &&
		       g->tg_threads[TG_VCPU])
			      ? (double)g->tg_threads[TG_VCPU]
			      : (double)f->host.ncpus;
	if (cpus > 0) {
		field(&fl, "cpu", v->cpu_total / 100.0 / cpus);
		field(&fl, "cpus", cpus);
	}
	field(&fl, "mem", u64d(v->mem_ws));
	uint64_t maxmem = v->kind == KIND_VM ? g->vm_ram_size : g->cg_mem_limit;
	field(&fl, "maxmem", u64d(maxmem != VT_UNKNOWN ? maxmem : f->host.mem_total));
	for (size_t k = 0; k < metrics_count; k++) {
		const struct metric *m = &metrics[k];
		if (m->of != MO_GUEST || !m->influx)
			continue;
		if (m->src == MS_VIEW)
			field(&fl, m->influx, metric_view(m, v) * (m->scale ? m->scale : 1));
		else
			field(&fl, m->influx, u64d(st_val(st, i, k)));
	}
	for (int c = 0; c < COL_COUNT; c++) {
		if (!columns[c].influx)
			continue;
		double d = column_num((enum col_id)c, v);
		field(&fl, columns[c].influx, columns[c].unit == UNIT_PCT ? d / 100.0 : d);
	}
	if (fl.n) {
		field_str(&fl, "name", g->name && *g->name ? g->name : g->id);
		field_str(&fl, "status", "running");
	}
	influx_end(out, &fl, start, f->time_ms);
}

void export_influx(struct sb *out, const struct frame *f, const struct export_state *st)
{
	for (size_t i = 0; i < f->n; i++)
		influx_guest(out, f, st, i);
}
