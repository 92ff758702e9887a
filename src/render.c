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

/* The registry's host entry at place at of line, or NULL. */
static const struct metric *line_entry(enum metric_line line, unsigned at)
{
	for (size_t k = 0; k < metrics_count; k++)
		if (metrics[k].of == MO_HOST && metrics[k].text.line == line && metrics[k].text.at == at)
			return &metrics[k];
	return NULL;
}

/* Whether m (at place at of its line, holding d) shows, the entry before
 * it having shown or not. */
static bool line_shows(const struct metric *m, unsigned at, double d, bool before,
		       const struct frame *f)
{
	switch (m->text.when) {
	case MW_ALWAYS:
		return true;
	case MW_KNOWN:
		return !isnan(d);
	case MW_NONZERO:
		return !isnan(d) && d != 0;
	case MW_WITH:
		return before;
	case MW_GROUP:
		for (const struct metric *n = m; n; n = line_entry(m->text.line, ++at)) {
			if (n != m && n->text.when != MW_WITH)
				break;
			if (!isnan(metric_host(n, f)))
				return true;
		}
		return false;
	}
	return false;
}

/* The guest behind the host's iowait (doc/metrics.md, "Contention"). */
static void iowait_text(struct sb *out, const struct frame *f)
{
	if (!f->host.iowait_guest || f->host.iowait_guest > f->n)
		return;
	const struct guest_view *v = &f->guests[f->host.iowait_guest - 1];
	char name[64];
	sanitize(name, sizeof(name), v->g->name ? v->g->name : v->g->id);
	sb_printf(out, " - iow: %s moved %.0f%% of the disk's bytes", name, v->io_host_share);
}

/* One line of the header: the registry's entries for it, in their places
 * (each its format around its value). */
static void line_text(struct sb *out, const struct frame *f, enum metric_line line)
{
	bool before = false;
	const struct metric *m;
	for (unsigned at = 0; (m = line_entry(line, at)); at++) {
		double d = metric_host(m, f);
		if (!(before = line_shows(m, at, d, before, f)))
			continue;
		char v[32];
		if (m->unit == MU_INT)
			snprintf(v, sizeof(v), "%u", (unsigned)d);
		else if (m->unit == MU_U64)
			fmt_bytes(v, sizeof(v), isnan(d) ? VT_UNKNOWN : (uint64_t)d);
		else
			pct_str(v, sizeof(v), d);
		const char *hole = strstr(m->text.fmt, "%s");
		sb_add(out, m->text.fmt, (size_t)(hole - m->text.fmt));
		sb_adds(out, v);
		sb_adds(out, hole + 2);
		if (m->text.plural && d != 1)
			sb_addc(out, 's');
	}
	if (line == ML_CPU)
		iowait_text(out, f);
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
	for (enum metric_line l = ML_CPU; l <= ML_TAX; l++)
		line_text(out, f, l);
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
		json_object *parent = jx_parent(o, columns[c].json, &leaf);
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
		json_object *parent = jx_parent(host, path, &leaf), *val;
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
