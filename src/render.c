/* Text and JSON frames, both driven by the column table. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "jsonx.h"
#include "metrics.h"
#include "render.h"
#include "sample.h"
#include "view-parts.h"

static void pct_str(char *b, size_t n, double v)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.1f%%", v);
}

static void uptime_str(char *b, size_t n, double s)
{
	if (!(s >= 0)) {
		snprintf(b, n, "-");
		return;
	}
	unsigned long t = (unsigned long)(s < 1e12 ? s : 1e12);
	unsigned long d = t / 86400, h = t / 3600 % 24, m = t / 60 % 60;
	if (d)
		snprintf(b, n, "%lud %lu:%02lu", d, h, m);
	else
		snprintf(b, n, "%lu:%02lu", h, m);
}

static void add_head(void *out, const char *text)
{
	sb_printf(out, " - %s", text);
}

/* "vtax VERSION - HOST - TIME - up ... - load ...", the registry's header
 * values ("vtax 0.3% 6M") and the interval. */
static void title_text(struct sb *out, const struct frame *f)
{
	const struct host_view *h = &f->host;
	char tbuf[64], up[32];
	time_t t = (time_t)(f->time_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm);
	uptime_str(up, sizeof(up), h->uptime_s);
	char host[128];
	sanitize(host, sizeof(host), f->cur->host.hostname);
	sb_printf(out, "vtax %s - %s - %s - up %s - load %.2f %.2f %.2f", PACKAGE_VERSION, host, tbuf,
		  up, h->load[0], h->load[1], h->load[2]);
	metrics_head(f, add_head, out);
	if (f->has_rates)
		sb_printf(out, " - interval %.1fs\n", f->interval_s);
	else
		sb_adds(out, " - first sample, no rates yet\n");
}

static void cpu_text(struct sb *out, const struct host_view *h)
{
	sb_printf(out, "CPU  %u cpus:", h->ncpus);
	static const enum hcpu order[] = {HC_USER, HC_SYSTEM, HC_GUEST, HC_IOWAIT, HC_STEAL,
					  HC_IRQ, HC_SOFTIRQ, HC_NICE, HC_IDLE};
	static const char *const label[] = {"usr", "sys", "guest", "iow", "steal",
					    "irq", "sirq", "nice", "idle"};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		char p[16];
		pct_str(p, sizeof(p), h->cpu[order[i]]);
		sb_printf(out, " %s %s", label[i], p);
	}
	sb_addc(out, '\n');
}

/* The model's parts of RAM; ZFS ARC, KSM and huge pages where there are. */
static void mem_text(struct sb *out, const struct host_view *h)
{
	char a[16], b[16], c[16], d[16], e[16], g[16];
	fmt_bytes(a, sizeof(a), h->mem_total);
	fmt_bytes(b, sizeof(b), h->mem_available);
	fmt_bytes(c, sizeof(c), h->guests_ws);
	fmt_bytes(d, sizeof(d), h->page_cache);
	fmt_bytes(e, sizeof(e), h->guests_tax);
	fmt_bytes(g, sizeof(g), h->host_own);
	sb_printf(out, "MEM  %s total, %s available: guests wset %s, page cache %s, tax %s, host own %s",
		  a, b, c, d, e, g);
	if (h->zfs_arc != VT_UNKNOWN) {
		fmt_bytes(a, sizeof(a), h->zfs_arc);
		sb_printf(out, ", ZFS ARC %s", a);
	}
	if (h->ksm_shared != VT_UNKNOWN && h->ksm_shared) {
		fmt_bytes(a, sizeof(a), h->ksm_shared);
		sb_printf(out, ", KSM %s", a);
	}
	if (h->huge_total != VT_UNKNOWN && h->huge_total) {
		fmt_bytes(a, sizeof(a), h->huge_total);
		fmt_bytes(b, sizeof(b), h->huge_free);
		sb_printf(out, ", hugepages %s (%s free)", a, b);
	}
	sb_addc(out, '\n');
}

/* The guests, the tax they cost the host and the stall (PSI) figures. */
static void tax_text(struct sb *out, const struct host_view *h)
{
	char tc[16], a[16];
	pct_str(tc, sizeof(tc), h->tax_cpu_host);
	fmt_bytes(a, sizeof(a), h->guests_tax);
	sb_printf(out, "TAX  %u VM%s, %u container%s: virtualization tax CPU %s of host, RAM %s",
		  h->n_kind[KIND_VM], h->n_kind[KIND_VM] == 1 ? "" : "s", h->n_kind[KIND_CT],
		  h->n_kind[KIND_CT] == 1 ? "" : "s", tc, a);
	if (!isnan(h->psi_cpu) || !isnan(h->psi_io) || !isnan(h->psi_mem)) {
		char p1[16], p2[16], p3[16];
		pct_str(p1, sizeof(p1), h->psi_cpu);
		pct_str(p2, sizeof(p2), h->psi_io);
		pct_str(p3, sizeof(p3), h->psi_mem);
		sb_printf(out, "; stalled cpu %s io %s mem %s", p1, p2, p3);
	}
	sb_addc(out, '\n');
}

/* A cluster view's nodes, up or down and how old their sample is. */
static void nodes_text(struct sb *out, const struct sample *s)
{
	if (!s->nnodes)
		return;
	sb_printf(out, "NODES %zu:", s->nnodes);
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node_state *n = &s->nodes[i];
		char name[128];
		sanitize(name, sizeof(name), n->name);
		sb_printf(out, "%s %s %s", i ? "," : "", name, n->up ? "up" : "DOWN");
		if (n->age_s >= 0)
			sb_printf(out, " %.0fs ago", n->age_s);
		else if (!n->up)
			sb_adds(out, " never answered");
	}
	sb_addc(out, '\n');
}

void render_header_lines(struct sb *out, const struct frame *f)
{
	title_text(out, f);
	cpu_text(out, &f->host);
	mem_text(out, &f->host);
	tax_text(out, &f->host);
	nodes_text(out, f->cur);
}

/* vs's lines, each without its trailing blanks. */
static void add_lines(struct sb *out, const struct vscreen *vs)
{
	for (int i = 0; i < vs->n; i++) {
		size_t l = strlen(vs->lines[i].text);
		while (l && vs->lines[i].text[l - 1] == ' ')
			l--;
		sb_add(out, vs->lines[i].text, l);
		sb_addc(out, '\n');
	}
}

void render_text(struct sb *out, const struct frame *f, const struct ui *u)
{
	render_header_lines(out, f);
	sb_addc(out, '\n');
	struct vscreen vs = {0};
	view_table_text(&vs, f, u);
	add_lines(out, &vs);
	vscreen_free(&vs);
	if (!f->n) {
		sb_adds(out, "(no guests found)\n");
		return;
	}
	view_io_lines(&vs, f);
	if (vs.n)
		sb_addc(out, '\n');
	add_lines(out, &vs);
	vscreen_free(&vs);
}

static void put(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

/* The object at a dotted path below o, made when missing; *leaf is the
 * last part of the path. */
static json_object *parent_of(json_object *o, const char *path, const char **leaf)
{
	const char *dot;
	while ((dot = strchr(path, '.'))) {
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		json_object *child;
		if (!json_object_object_get_ex(o, key, &child)) {
			child = json_object_new_object();
			put(o, key, child);
		}
		o = child;
		path = dot + 1;
	}
	*leaf = path;
	return o;
}

/* A guest: every value of the column table at its JSON path. */
static json_object *guest_json(const struct guest_view *v)
{
	json_object *o = json_object_new_object();
	for (int c = 0; c < COL_COUNT; c++) {
		bool skip;
		json_object *val = column_json((enum col_id)c, v, &skip);
		if (skip)
			continue;
		const char *leaf;
		json_object *parent = parent_of(o, columns[c].json, &leaf);
		put(parent, leaf, val);
	}
	return o;
}

/* The host's registry entries with a JSON path, in the table's order
 * ("load#1": element 1 of the array load), into host: those below "host"
 * or (top) those from the frame's root. */
static void host_json(json_object *host, const struct frame *f, bool top)
{
	for (size_t k = 0; k < metrics_count; k++) {
		const struct metric *m = &metrics[k];
		if (m->of != MO_HOST || !m->json || m->top != top)
			continue;
		char path[64];
		str_copy(path, sizeof(path), m->json);
		char *hash = strchr(path, '#');
		if (hash)
			*hash = '\0';
		if (m->rates_only && !f->has_rates) {
			/* without rates the parent object itself is null */
			*strchr(path, '.') = '\0';
			put(host, path, NULL);
			continue;
		}
		const char *leaf;
		json_object *parent = parent_of(host, path, &leaf), *val;
		double d = metric_host(m, f);
		if (m->unit == MU_TEXT)
			val = jx_str((const char *)&f->cur->host + m->off);
		else if (m->unit == MU_INT)
			val = json_object_new_int((int)d);
		else if (m->unit == MU_U64)
			val = jx_u64(isnan(d) ? VT_UNKNOWN : (uint64_t)d);
		else
			val = jx_num(d, m->decimals);
		if (hash) {
			json_object *arr;
			if (!json_object_object_get_ex(parent, leaf, &arr))
				put(parent, leaf, arr = json_object_new_array());
			json_object_array_add(arr, val);
		} else {
			put(parent, leaf, val);
		}
	}
}

void render_json(struct sb *out, const struct frame *f)
{
	json_object *root = json_object_new_object();
	char ts[32];
	snprintf(ts, sizeof(ts), "%.3f", (double)f->time_ms / 1000.0);
	put(root, "time", json_object_new_double_s((double)f->time_ms / 1000.0, ts));
	put(root, "interval", jx_num(f->interval_s, 3));
	json_object *host = json_object_new_object();
	host_json(host, f, false);
	put(root, "host", host);
	host_json(root, f, true);
	if (f->cur->nnodes) {
		json_object *nodes = json_object_new_array();
		for (size_t i = 0; i < f->cur->nnodes; i++) {
			const struct node_state *n = &f->cur->nodes[i];
			json_object *o = json_object_new_object();
			put(o, "name", jx_str(n->name));
			put(o, "address", jx_str(n->addr));
			put(o, "up", json_object_new_boolean(n->up));
			put(o, "age", jx_num(n->age_s >= 0 ? n->age_s : VT_NAN, 1));
			put(o, "error", jx_str(n->error));
			json_object_array_add(nodes, o);
		}
		put(root, "nodes", nodes);
	}
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < f->n; i++)
		json_object_array_add(arr, guest_json(&f->guests[i]));
	put(root, "guests", arr);
	sb_adds(out, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}
