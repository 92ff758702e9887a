/* Prometheus text and InfluxDB lines of a frame. Gauges come from the
 * column table (entries with .prom or .influx), counters from the raw
 * counters of the current sample through the counter table below. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "export.h"

/* ---- counters -------------------------------------------------------------- */

static uint64_t raw_user(const struct guest_sample *g, bool vm)
{
	uint64_t u = g->cg_user_ns != VT_UNKNOWN ? g->cg_user_ns : g->p_utime_ns;
	/* the kernel counts guest time inside user time */
	if (vm && u != VT_UNKNOWN && g->p_gtime_ns != VT_UNKNOWN)
		u = sat_sub(u, g->p_gtime_ns);
	return u;
}

static uint64_t raw_system(const struct guest_sample *g, bool vm)
{
	(void)vm;
	return g->cg_system_ns != VT_UNKNOWN ? g->cg_system_ns : g->p_stime_ns;
}

static uint64_t raw_guest(const struct guest_sample *g, bool vm)
{
	return vm ? g->p_gtime_ns : VT_UNKNOWN;
}

/* As the model's TAX%: a VM's host CPU outside guest mode plus its
 * helpers; a container's helpers. */
static uint64_t raw_tax(const struct guest_sample *g, bool vm)
{
	uint64_t helpers = g->h_cpu_ns == VT_UNKNOWN ? 0 : g->h_cpu_ns;
	if (!vm)
		return helpers;
	uint64_t all = g->cg_usage_ns;
	if (all == VT_UNKNOWN) {
		uint64_t u = g->cg_user_ns != VT_UNKNOWN ? g->cg_user_ns : g->p_utime_ns;
		uint64_t s = raw_system(g, vm);
		if (u == VT_UNKNOWN || s == VT_UNKNOWN)
			return VT_UNKNOWN;
		all = u + s;
	}
	if (g->p_gtime_ns != VT_UNKNOWN)
		all = sat_sub(all, g->p_gtime_ns);
	return all + helpers;
}

static uint64_t raw_read(const struct guest_sample *g, bool vm) { (void)vm; return g->cg_io_rbytes; }
static uint64_t raw_write(const struct guest_sample *g, bool vm) { (void)vm; return g->cg_io_wbytes; }
static uint64_t raw_exits(const struct guest_sample *g, bool vm) { (void)vm; return g->kvm_exits; }

static uint64_t (*const raw_of[EC_COUNT])(const struct guest_sample *, bool) = {
	[EC_CPU_USER] = raw_user, [EC_CPU_SYSTEM] = raw_system, [EC_CPU_GUEST] = raw_guest,
	[EC_CPU_TAX] = raw_tax, [EC_IO_READ] = raw_read, [EC_IO_WRITE] = raw_write,
	[EC_KVM_EXITS] = raw_exits,
};

struct ctr_ent {
	char key[240];              /* node, runtime and id */
	uint64_t birth;
	uint64_t last[EC_COUNT];    /* raw value last seen, VT_UNKNOWN */
	uint64_t off[EC_COUNT];     /* added to the raw value */
};

struct export_state {
	struct ctr_ent *e;          /* sorted by key */
	size_t n;
	uint64_t (*val)[EC_COUNT];  /* the last frame's guests, in its order */
	size_t nval;
};

struct export_state *export_state_new(void)
{
	return xcalloc(1, sizeof(struct export_state));
}

void export_state_free(struct export_state *st)
{
	if (!st)
		return;
	free(st->e);
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

void export_update(struct export_state *st, const struct frame *f)
{
	struct ctr_ent *fresh = xcalloc(f->n ? f->n : 1, sizeof(*fresh));
	free(st->val);
	st->val = xcalloc(f->n ? f->n : 1, sizeof(*st->val));
	st->nval = f->n;
	for (size_t i = 0; i < f->n; i++) {
		const struct guest_view *v = &f->guests[i];
		struct ctr_ent *e = &fresh[i];
		guest_key(v->g, e->key, sizeof(e->key));
		const struct ctr_ent *old = st->n ? bsearch(e, st->e, st->n, sizeof(*e), cmp_ent) : NULL;
		if (old && old->birth == v->g->birth) {
			*e = *old;
		} else {
			e->birth = v->g->birth;
			for (int c = 0; c < EC_COUNT; c++)
				e->last[c] = VT_UNKNOWN;
		}
		for (int c = 0; c < EC_COUNT; c++) {
			uint64_t raw = raw_of[c](v->g, v->kind == KIND_VM);
			if (raw == VT_UNKNOWN) {
				st->val[i][c] = VT_UNKNOWN;
				continue;
			}
			/* gone back: carry on from the value already exported */
			if (e->last[c] != VT_UNKNOWN && raw < e->last[c])
				e->off[c] += e->last[c] - raw;
			e->last[c] = raw;
			st->val[i][c] = raw + e->off[c];
		}
	}
	qsort(fresh, f->n, sizeof(*fresh), cmp_ent);
	free(st->e);
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

static const struct prom_counter {
	const char *name;
	const char *mode;           /* the mode label, or NULL */
	const char *help;
	enum export_counter c;
	bool seconds;               /* ns counted, seconds exported */
} prom_counters[] = {
	{"vtax_guest_cpu_seconds_total", "user", "Host CPU time of the guest by mode: user "
	 "(outside guest mode), system, guest (VMs running guest code).", EC_CPU_USER, true},
	{"vtax_guest_cpu_seconds_total", "system", NULL, EC_CPU_SYSTEM, true},
	{"vtax_guest_cpu_seconds_total", "guest", NULL, EC_CPU_GUEST, true},
	{"vtax_guest_cpu_tax_seconds_total", NULL, "Host CPU time beyond the guest's own work "
	 "(VM: all but guest time, plus runtime helpers; container: its helpers).", EC_CPU_TAX, true},
	{"vtax_guest_io_read_bytes_total", NULL, "Bytes read through the block layer.",
	 EC_IO_READ, false},
	{"vtax_guest_io_write_bytes_total", NULL, "Bytes written through the block layer.",
	 EC_IO_WRITE, false},
	{"vtax_guest_kvm_exits_total", NULL, "KVM exits of all vCPUs.", EC_KVM_EXITS, false},
};

static void prom_u64(struct sb *out, uint64_t v, bool seconds)
{
	if (seconds)
		sb_printf(out, "} %llu.%09llu\n", (unsigned long long)(v / 1000000000ull),
			  (unsigned long long)(v % 1000000000ull));
	else
		sb_printf(out, "} %llu\n", (unsigned long long)v);
}

static void prom_counters_out(struct sb *out, const struct frame *f, const struct export_state *st)
{
	for (size_t k = 0; k < ARRAY_SIZE(prom_counters); k++) {
		const struct prom_counter *pc = &prom_counters[k];
		if (pc->help)
			prom_family(out, pc->name, "counter", pc->help);
		for (size_t i = 0; i < f->n && i < st->nval; i++) {
			uint64_t v = st->val[i][pc->c];
			if (v == VT_UNKNOWN)
				continue;
			prom_series(out, pc->name, f, &f->guests[i]);
			if (pc->mode)
				prom_label(out, "mode", pc->mode, false);
			prom_u64(out, v, pc->seconds);
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
		snprintf(name, sizeof(name), "vtax_guest_%s", col->prom);
		char help[320];
		snprintf(help, sizeof(help), "%s%s.", col->help,
			 col->unit == UNIT_PCT ? " (1 = one CPU)" : "");
		prom_family(out, name, "gauge", help);
		for (size_t i = 0; i < f->n; i++) {
			double d = column_num((enum col_id)c, &f->guests[i]);
			if (isnan(d))
				continue;
			prom_series(out, name, f, &f->guests[i]);
			if (col->unit == UNIT_PCT)
				sb_printf(out, "} %.10g\n", d / 100.0);
			else
				sb_printf(out, "} %.17g\n", d);
		}
	}
}

void export_prom(struct sb *out, const struct frame *f, const struct export_state *st)
{
	const char *host = f->cur->host.hostname;
	prom_family(out, "vtax_build_info", "gauge", "vtax's version.");
	sb_adds(out, "vtax_build_info{");
	prom_label(out, "version", PACKAGE_VERSION, true);
	sb_adds(out, "} 1\n");
	prom_family(out, "vtax_sample_timestamp_seconds", "gauge",
		    "When the exported sample was taken (Unix time).");
	sb_adds(out, "vtax_sample_timestamp_seconds{");
	prom_label(out, "node", host, true);
	sb_printf(out, "} %lld.%03lld\n", (long long)(f->time_ms / 1000), (long long)(f->time_ms % 1000));
	prom_family(out, "vtax_host_memory_total_bytes", "gauge", "RAM of the host.");
	if (f->host.mem_total != VT_UNKNOWN) {
		sb_adds(out, "vtax_host_memory_total_bytes{");
		prom_label(out, "node", host, true);
		sb_printf(out, "} %llu\n", (unsigned long long)f->host.mem_total);
	}
	prom_family(out, "vtax_host_cpus", "gauge", "Online CPUs of the host.");
	sb_adds(out, "vtax_host_cpus{");
	prom_label(out, "node", host, true);
	sb_printf(out, "} %u\n", f->host.ncpus);

	prom_family(out, "vtax_guest_info", "gauge", "A guest: its name, runtime and kind "
		    "(join on node and id; id is qemu/VMID and lxc/VMID on Proxmox, as the "
		    "pve exporter's).");
	for (size_t i = 0; i < f->n; i++) {
		const struct guest_view *v = &f->guests[i];
		prom_series(out, "vtax_guest_info", f, v);
		prom_label(out, "name", v->g->name ? v->g->name : v->g->id, false);
		prom_label(out, "runtime", runtime_name(v->g->runtime), false);
		prom_label(out, "kind", kind_name(v->kind), false);
		sb_adds(out, "} 1\n");
	}
	prom_counters_out(out, f, st);
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

static void influx_guest(struct sb *out, const struct frame *f, const struct export_state *st,
			 size_t i)
{
	const struct guest_view *v = &f->guests[i];
	const struct guest_sample *g = v->g;
	size_t start = out->len;
	sb_adds(out, "system");
	influx_tag(out, "object", export_object(v));
	influx_tag(out, "vmid", g->id ? g->id : "");
	influx_tag(out, "nodename", node_of(f, v));
	influx_tag(out, "host", g->name && *g->name ? g->name : g->id ? g->id : "");
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
	if (i < st->nval) {
		field(&fl, "diskread", u64d(st->val[i][EC_IO_READ]));
		field(&fl, "diskwrite", u64d(st->val[i][EC_IO_WRITE]));
	}
	for (int c = 0; c < COL_COUNT; c++) {
		if (!columns[c].influx)
			continue;
		double d = column_num((enum col_id)c, v);
		field(&fl, columns[c].influx, columns[c].unit == UNIT_PCT ? d / 100.0 : d);
	}
	if (!fl.n) {
		/* no field known: InfluxDB refuses a line without fields */
		out->len = start;
		out->s[start] = '\0';
		return;
	}
	sb_printf(out, " %lld000000\n", (long long)f->time_ms);
}

void export_influx(struct sb *out, const struct frame *f, const struct export_state *st)
{
	for (size_t i = 0; i < f->n; i++)
		influx_guest(out, f, st, i);
}
