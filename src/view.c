/* Screen composition as plain lines: header bars, guest table, detail
 * pane, help and footer. Shared by the curses screen and snapshots. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "view.h"

const char *vmode_name(enum vmode m)
{
	static const char *const n[MODE_COUNT] = {"all guests", "VMs", "containers"};
	return (unsigned)m < MODE_COUNT ? n[m] : "?";
}

void ui_init(struct ui *u)
{
	memset(u, 0, sizeof(*u));
	u->sort = COL_TAX;
	u->desc = true;
	for (int i = 0; i < COL_COUNT; i++)
		u->cols[i] = columns[i].def;
	u->delay_ns = 2000000000ull;
}

/* ---- line builder ------------------------------------------------------ */

struct lb {
	char (*cell)[5];
	unsigned char *attr;
	int width;
	int x;
};

static struct lb *lb_new(struct vscreen *vs, int width, struct lb *b)
{
	(void)vs;
	b->width = width;
	b->x = 0;
	b->cell = xcalloc((size_t)width + 1, sizeof(*b->cell));
	b->attr = xcalloc((size_t)width + 1, 1);
	for (int i = 0; i < width; i++)
		b->cell[i][0] = ' ';
	return b;
}

static void lb_finish(struct vscreen *vs, struct lb *b)
{
	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? vs->cap * 2 : 32;
		vs->lines = xrealloc(vs->lines, (size_t)vs->cap * sizeof(*vs->lines));
	}
	struct sb t = {0};
	sb_reserve(&t, (size_t)b->width);
	for (int i = 0; i < b->width; i++)
		sb_adds(&t, b->cell[i]);
	struct vline *l = &vs->lines[vs->n++];
	l->text = t.s ? t.s : xstrdup("");
	l->attr = b->attr;
	l->width = b->width;
	free(b->cell);
}

/* Put UTF-8 text (already sanitised) at the cursor, one column per code
 * point, cut at the line end. */
static void lb_put(struct lb *b, const char *s, enum vattr a)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p && b->x < b->width) {
		size_t n = u8_step(*p);
		size_t k = 0;
		while (k < n && p[k])
			k++;
		memcpy(b->cell[b->x], p, k);
		b->cell[b->x][k] = '\0';
		b->attr[b->x] = (unsigned char)a;
		b->x++;
		p += k;
	}
}

static void lb_printf(struct lb *b, enum vattr a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void lb_printf(struct lb *b, enum vattr a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lb_put(b, buf, a);
}

static int text_width(const char *s)
{
	int n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

/* A field that is shown whole or not at all (the end of a line that a
 * narrow screen would cut mid-number). */
static void lb_field(struct lb *b, enum vattr a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void lb_field(struct lb *b, enum vattr a, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (b->x + text_width(buf) <= b->width)
		lb_put(b, buf, a);
}

static void lb_fill(struct lb *b, const char *ch, int n, enum vattr a)
{
	for (int i = 0; i < n && b->x < b->width; i++)
		lb_put(b, ch, a);
}

/* Paint attribute a over the whole line (selected row). */
static void lb_attr_all(struct lb *b, enum vattr a)
{
	for (int i = 0; i < b->width; i++)
		b->attr[i] = (unsigned char)a;
}

static void line_text(struct vscreen *vs, int width, const char *s, enum vattr a)
{
	struct lb b;
	lb_new(vs, width, &b);
	lb_put(&b, s, a);
	lb_finish(vs, &b);
}

/* Bytes of s that make its first line of at most room characters: cut
 * at the last space in the second half of the line, else at room. */
static size_t wrap_cut(const char *s, int room)
{
	int chars = 0;
	size_t bytes = 0, space = 0;
	while (s[bytes] && chars < room) {
		if (s[bytes] == ' ' && chars > room / 2)
			space = bytes;
		bytes += u8_step((unsigned char)s[bytes]);
		chars++;
	}
	return s[bytes] && s[bytes] != ' ' && space ? space : bytes;
}

/* s over as many lines as it needs; lines after the first start with
 * indent spaces. */
static void line_wrap(struct vscreen *vs, int width, const char *s, int indent, enum vattr a)
{
	char buf[1024];
	for (int first = 1; *s; first = 0) {
		int room = width - (first ? 0 : indent);
		size_t n = wrap_cut(s, room < 10 ? 10 : room);
		snprintf(buf, sizeof(buf), "%*s%.*s", first ? 0 : indent, "", (int)n, s);
		line_text(vs, width, buf, a);
		s += n;
		while (*s == ' ')
			s++;
	}
}

void vscreen_free(struct vscreen *vs)
{
	for (int i = 0; i < vs->n; i++) {
		free(vs->lines[i].text);
		free(vs->lines[i].attr);
	}
	free(vs->lines);
	memset(vs, 0, sizeof(*vs));
}

/* ---- rows -------------------------------------------------------------- */

static bool passes(const struct guest_view *v, const struct ui *u)
{
	if (u->mode == MODE_VMS && v->kind != KIND_VM)
		return false;
	if (u->mode == MODE_CTS && v->kind != KIND_CT)
		return false;
	if (!u->filter[0])
		return true;
	const char *name = v->g->name ? v->g->name : "";
	return strcasestr(name, u->filter) || strcasestr(v->g->id, u->filter) ||
	       strcasestr(runtime_name(v->g->runtime), u->filter) ||
	       strcasestr(runtime_short(v->g->runtime), u->filter);
}

size_t view_rows(const struct frame *f, const struct ui *u, size_t **idx)
{
	size_t *r = xmalloc((f->n + 1) * sizeof(*r));
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		if (passes(&f->guests[i], u))
			r[n++] = i;
	*idx = r;
	return n;
}

/* ---- header ------------------------------------------------------------ */

struct seg {
	double v;            /* share, 0..100 */
	enum vattr a;
	const char *uch;     /* bar character, Unicode */
	const char *ach;     /* bar character, ASCII */
	const char *label;
};

/* A bar of n segments in `cols` columns; each segment its own character. */
static void bar(struct lb *b, const struct seg *s, int n, int cols, bool ascii)
{
	lb_put(b, "[", VA_LABEL);
	int used = 0;
	double acc = 0;
	for (int i = 0; i < n; i++) {
		if (isnan(s[i].v) || s[i].v <= 0)
			continue;
		acc += s[i].v;
		/* a replayed value may be absurd: clamp before converting */
		double x = acc * cols / 100.0 + 0.5;
		int upto = x >= cols ? cols : (int)x;
		lb_fill(b, ascii ? s[i].ach : s[i].uch, upto - used, s[i].a);
		used = upto > used ? upto : used;
	}
	lb_fill(b, " ", cols - used, VA_NORMAL);
	lb_put(b, "]", VA_LABEL);
}

static void legend(struct lb *b, const struct seg *s, int n, bool ascii, bool bytes,
		   const uint64_t *raw)
{
	for (int i = 0; i < n; i++) {
		if (b->x + 4 >= b->width)
			break;
		lb_put(b, " ", VA_NORMAL);
		lb_put(b, ascii ? s[i].ach : s[i].uch, s[i].a);
		if (bytes) {
			char v[16];
			fmt_bytes_short(v, sizeof(v), raw[i]);
			lb_printf(b, VA_NORMAL, "%s %s", s[i].label, v);
		} else if (isnan(s[i].v)) {
			lb_printf(b, VA_NORMAL, "%s -", s[i].label);
		} else {
			lb_printf(b, VA_NORMAL, "%s %.1f", s[i].label, s[i].v);
		}
	}
}

static void header(struct vscreen *vs, const struct frame *f, const struct ui *u, int width)
{
	const struct host_view *h = &f->host;
	struct lb b;
	char tbuf[32], host[64];
	time_t t = (time_t)(f->time_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	sanitize(host, sizeof(host), f->cur->host.hostname);
	lb_new(vs, width, &b);
	lb_printf(&b, VA_TITLE, "vtax %s", PACKAGE_VERSION);
	lb_printf(&b, VA_NORMAL, " - %s - %s", host, tbuf);
	double ups = h->uptime_s < 1e12 ? h->uptime_s : 1e12;
	unsigned long up = ups > 0 ? (unsigned long)ups : 0;
	lb_printf(&b, VA_NORMAL, " - up %lud %lu:%02lu - load %.2f %.2f %.2f", up / 86400,
		  up / 3600 % 24, up / 60 % 60, h->load[0], h->load[1], h->load[2]);
	if (u->frozen)
		lb_put(&b, "  [FROZEN]", VA_WARN);
	if (u->ended)
		lb_put(&b, "  [ENDED]", VA_WARN);
	lb_finish(vs, &b);

	/* CPU bar, % of all CPUs; zero segments stay out of the legend */
	const struct seg cpu[] = {
		{h->cpu[HC_USER] + (isnan(h->cpu[HC_NICE]) ? 0 : h->cpu[HC_NICE]), VA_USR, "\xe2\x96\x88", "#", "usr"},
		{h->cpu[HC_SYSTEM], VA_SYS, "\xe2\x96\x93", "=", "sys"},
		{h->cpu[HC_GUEST], VA_GUEST, "\xe2\x96\x92", "g", "guest"},
		{h->cpu[HC_IOWAIT], VA_IOW, "\xe2\x96\x91", "w", "iow"},
		{h->cpu[HC_STEAL], VA_STEAL, "!", "!", "steal"},
		{(isnan(h->cpu[HC_IRQ]) ? VT_NAN : h->cpu[HC_IRQ] + h->cpu[HC_SOFTIRQ]), VA_IRQ, ":", ":", "irq"},
	};
	struct seg cleg[ARRAY_SIZE(cpu)];
	int nc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cpu); i++)
		if (i < 2 || (!isnan(cpu[i].v) && cpu[i].v >= 0.05))
			cleg[nc++] = cpu[i];
	int llen = 0;
	for (int i = 0; i < nc; i++)
		llen += 2 + (int)strlen(cleg[i].label) + (isnan(cleg[i].v) ? 2 : 5);
	llen += 10; /* " idle 99.9" */
	int barw = width - 9 - llen;
	if (barw > 50)
		barw = 50;
	if (barw < 10)
		barw = 10;
	lb_new(vs, width, &b);
	lb_printf(&b, VA_LABEL, "CPU%3u ", h->ncpus);
	bar(&b, cpu, (int)ARRAY_SIZE(cpu), barw, u->ascii);
	legend(&b, cleg, nc, u->ascii, false, NULL);
	if (isnan(h->cpu[HC_IDLE]))
		lb_put(&b, " idle -", VA_NORMAL);
	else
		lb_printf(&b, VA_NORMAL, " idle %.1f", h->cpu[HC_IDLE]);
	lb_finish(vs, &b);

	/* memory bar: a partition of RAM. guests = their memory outside page
	 * cache less the tax; cache = all page cache (guests' included); arc;
	 * host = the host's own outside ARC; the rest is free. */
	double tot = h->mem_total == VT_UNKNOWN || !h->mem_total ? VT_NAN : (double)h->mem_total;
	uint64_t arc = h->zfs_arc == VT_UNKNOWN ? 0 : h->zfs_arc;
	uint64_t gnc = sat_sub(h->guests_host, h->guests_cache);
	uint64_t tax = h->guests_tax > gnc ? gnc : h->guests_tax;
	uint64_t own = h->host_own == VT_UNKNOWN ? VT_UNKNOWN : sat_sub(h->host_own, arc);
	uint64_t raw[] = {sat_sub(gnc, tax), tax, h->page_cache, arc, own};
	struct seg mem[] = {
		{0, VA_WSET, "\xe2\x96\x88", "#", "guests"},
		{0, VA_TAX, "\xe2\x96\x93", "T", "tax"},
		{0, VA_CACHE, "\xe2\x96\x92", "c", "cache"},
		{0, VA_ARC, "\xe2\x96\x91", "a", "arc"},
		{0, VA_OWN, "\xe2\x96\x9a", "o", "host"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(mem); i++)
		mem[i].v = raw[i] == VT_UNKNOWN ? VT_NAN : (double)raw[i] * 100.0 / tot;
	struct seg leg[ARRAY_SIZE(mem)];
	uint64_t lraw[ARRAY_SIZE(mem)];
	int k = 0;
	for (size_t i = 0; i < ARRAY_SIZE(mem); i++) {
		if (i == 3 && !arc)
			continue;
		leg[k] = mem[i];
		lraw[k++] = raw[i];
	}
	llen = 0;
	for (int i = 0; i < k; i++)
		llen += 2 + (int)strlen(leg[i].label) + 5;
	barw = width - 9 - llen;
	if (barw > 50)
		barw = 50;
	if (barw < 10)
		barw = 10;
	char tb[16];
	fmt_bytes_short(tb, sizeof(tb), h->mem_total);
	lb_new(vs, width, &b);
	lb_printf(&b, VA_LABEL, "MEM%4s", tb);
	bar(&b, mem, (int)ARRAY_SIZE(mem), barw, u->ascii);
	legend(&b, leg, k, u->ascii, true, lraw);
	lb_finish(vs, &b);

	/* summary */
	lb_new(vs, width, &b);
	if (u->mode != MODE_ALL || u->filter[0]) {
		/* first, so a narrow screen cannot cut it off */
		char fl[80];
		sanitize(fl, sizeof(fl), u->filter);
		size_t shown = 0;
		for (size_t i = 0; i < f->n; i++)
			shown += passes(&f->guests[i], u);
		lb_printf(&b, VA_WARN, "showing %zu of %zu: %s%s%s%s", shown, f->n, vmode_name(u->mode),
			  fl[0] ? " matching \"" : "", fl, fl[0] ? "\"" : "");
		lb_put(&b, " | ", VA_NORMAL);
	}
	lb_printf(&b, VA_LABEL, "%u", h->n_kind[KIND_VM]);
	lb_printf(&b, VA_NORMAL, " VM%s ", h->n_kind[KIND_VM] == 1 ? "" : "s");
	lb_printf(&b, VA_LABEL, "%u", h->n_kind[KIND_CT]);
	lb_printf(&b, VA_NORMAL, " container%s", h->n_kind[KIND_CT] == 1 ? "" : "s");
	lb_put(&b, " | tax ", VA_NORMAL);
	if (isnan(h->tax_cpu))
		lb_put(&b, "CPU -", VA_TAX);
	else
		lb_printf(&b, VA_TAX, "CPU %.1f%% of host", h->tax_cpu / (h->ncpus ? h->ncpus : 1));
	fmt_bytes_short(tb, sizeof(tb), h->guests_tax);
	lb_printf(&b, VA_TAX, ", RAM %s", tb);
	lb_field(&b, VA_NORMAL, " | every %.1fs", (double)u->delay_ns / 1e9);
	if (!isnan(h->psi_io))
		lb_field(&b, VA_NORMAL, " | stall cpu/io/mem %.0f/%.0f/%.0f%%", h->psi_cpu,
			 h->psi_io, h->psi_mem);
	lb_finish(vs, &b);
}

/* ---- table ------------------------------------------------------------- */

static void layout(struct vscreen *vs, const struct frame *f, const struct ui *u, int width)
{
	int fixed = 0;
	/* ID as wide as the longest id, up to 12 (8 on a narrow screen) */
	int idw = columns[COL_ID].width, idcap = width < 100 ? 8 : 12;
	for (size_t i = 0; i < f->n; i++) {
		int l = text_width(f->guests[i].g->id);
		if (l > idw)
			idw = l;
	}
	if (idw > idcap)
		idw = idcap;
	for (int c = 0; c < COL_COUNT; c++) {
		vs->col_x[c] = -1;
		vs->col_w[c] = 0;
		if (!u->cols[c] || c == COL_NAME)
			continue;
		fixed += (c == COL_ID ? idw : columns[c].width) + 1;
	}
	int namew = u->cols[COL_NAME] ? width - fixed - 1 : 0;
	if (namew > 40)
		namew = 40;
	if (u->cols[COL_NAME] && namew < 8)
		namew = 8;
	int x = 0;
	for (int c = 0; c < COL_COUNT; c++) {
		if (!u->cols[c])
			continue;
		int w = c == COL_NAME ? namew : c == COL_ID ? idw : columns[c].width;
		if (x + w > width)
			break; /* what does not fit is left out, not wrapped */
		vs->col_x[c] = x;
		vs->col_w[c] = w;
		x += w + 1;
	}
}

static void table_header(struct vscreen *vs, const struct ui *u, int width)
{
	struct lb b;
	lb_new(vs, width, &b);
	for (int c = 0; c < COL_COUNT; c++) {
		if (vs->col_x[c] < 0)
			continue;
		b.x = vs->col_x[c];
		const char *arrow = u->ascii ? (u->desc ? "v" : "^") : (u->desc ? "\xe2\x96\xbe" : "\xe2\x96\xb4");
		bool sorted = (enum col_id)c == u->sort;
		enum vattr a = sorted ? VA_SORTED : VA_HEADER;
		int tl = text_width(columns[c].title);
		if (columns[c].left) {
			lb_put(&b, columns[c].title, a);
			if (sorted)
				lb_put(&b, arrow, a);
		} else {
			/* right-aligned: the arrow goes into the gap on the left */
			if (tl < vs->col_w[c])
				b.x += vs->col_w[c] - tl;
			if (sorted && b.x > 0) {
				b.x--;
				lb_put(&b, arrow, a);
			}
			lb_put(&b, columns[c].title, a);
		}
	}
	for (int i = 0; i < width; i++)
		if (b.attr[i] == VA_NORMAL)
			b.attr[i] = VA_HEADER;
	vs->header_row = vs->n;
	lb_finish(vs, &b);
}

static void table_row(struct vscreen *vs, const struct guest_view *v, bool selected, int width)
{
	struct lb b;
	lb_new(vs, width, &b);
	for (int c = 0; c < COL_COUNT; c++) {
		if (vs->col_x[c] < 0)
			continue;
		char cell[1024];
		column_cell((enum col_id)c, v, cell, sizeof(cell), vs->col_w[c]);
		b.x = vs->col_x[c];
		enum vattr a = VA_NORMAL;
		if (c == COL_TAX || c == COL_MTAX)
			a = VA_TAX;
		else if (c == COL_GUEST)
			a = VA_GUEST;
		else if (c == COL_RUNTIME || c == COL_ID)
			a = VA_DIM;
		lb_put(&b, cell, a);
	}
	if (selected)
		lb_attr_all(&b, VA_SELECTED);
	lb_finish(vs, &b);
}

/* ---- detail pane --------------------------------------------------------- */

void view_explain(const struct guest_view *v, char *buf, size_t sz)
{
	const struct guest_sample *g = v->g;
	char a[16], b2[16];
	if (v->kind == KIND_VM) {
		if (v->g_cache != VT_UNKNOWN && v->mem_tax != VT_UNKNOWN && !v->mem_tax_lower_bound) {
			/* split the tax: guest cache, host cache charged to it, QEMU */
			uint64_t gc = v->g_cache < v->mem_tax ? v->g_cache : v->mem_tax;
			uint64_t hc = v->mem_cache == VT_UNKNOWN ? 0 : v->mem_cache;
			if (hc > v->mem_tax - gc)
				hc = v->mem_tax - gc;
			uint64_t rest = v->mem_tax - gc - hc;
			char c2[16], c3[16];
			fmt_bytes(a, sizeof(a), v->mem_tax);
			fmt_bytes(b2, sizeof(b2), gc);
			fmt_bytes(c2, sizeof(c2), hc);
			fmt_bytes(c3, sizeof(c3), rest);
			/* parts under 1 MiB are noise beside the others: left out */
			int n = snprintf(buf, sz, "Memory tax %s: guest page cache %s held in host RAM",
					 a, b2);
			if (hc >= (1u << 20) && n >= 0 && (size_t)n < sz)
				n += snprintf(buf + n, sz - (size_t)n, ", host cache %s", c2);
			if (rest >= (1u << 20) && n >= 0 && (size_t)n < sz)
				n += snprintf(buf + n, sz - (size_t)n, ", QEMU and free guest pages %s", c3);
			if (n >= 0 && (size_t)n < sz)
				n += snprintf(buf + n, sz - (size_t)n, ".");
			if (!isnan(v->cpu_tax) && v->cpu_tax >= 0.05 && n >= 0 && (size_t)n < sz) {
				bool tcg = !isnan(v->cpu_guest) && v->cpu_guest < 0.05;
				snprintf(buf + n, sz - (size_t)n,
					 tcg ? " CPU tax %.1f%%: all QEMU (TCG)."
					     : " CPU tax %.1f%%: QEMU outside guest mode.",
					 v->cpu_tax);
			}
		} else if (!isnan(v->cpu_guest) && v->cpu_guest < 0.05 && !isnan(v->cpu_usr) &&
			   v->cpu_usr > 5) {
			snprintf(buf, sz, "No guest time: the guest runs emulated (TCG), so all %.1f%% "
					  "CPU is QEMU's work on the host.", v->cpu_total);
		} else if (!isnan(v->cpu_tax) && v->cpu_tax >= 0.05) {
			snprintf(buf, sz, "QEMU outside guest mode (emulation, I/O, exits) costs "
					  "%.1f%% CPU; guest memory view unknown (no balloon stats).",
				 v->cpu_tax);
		} else {
			snprintf(buf, sz, "Memory tax is QEMU's own memory outside guest RAM (a lower "
					  "bound: the guest does not report its memory).");
		}
		return;
	}
	if (g->h_count || (g->h_mem && g->h_mem != VT_UNKNOWN)) {
		fmt_bytes(a, sizeof(a), g->h_mem);
		snprintf(buf, sz, "Runtime helpers cost %s RAM and %.1f%% CPU; the container's page "
				  "cache is ordinary host cache.", a, isnan(v->cpu_tax) ? 0.0 : v->cpu_tax);
	} else {
		snprintf(buf, sz, "No helper process found: the host pays only for the container's "
				  "own work.");
	}
}

static void spark(struct lb *b, const float *v, int n, int head, int cols, bool ascii, enum vattr a)
{
	static const char *const uni[] = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
					  "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
					  "\xe2\x96\x87", "\xe2\x96\x88"};
	static const char *const asc[] = {" ", ".", ".", ":", ":", "-", "=", "+", "#"};
	int take = n < cols ? n : cols;
	float max = 0;
	for (int i = 0; i < take; i++) {
		float x = v[(head - take + i + HIST_N) % HIST_N];
		if (x > max)
			max = x;
	}
	lb_fill(b, " ", cols - take, VA_NORMAL);
	for (int i = 0; i < take; i++) {
		float x = v[(head - take + i + HIST_N) % HIST_N];
		float r = max > 0 && isfinite(max) ? x / max : (x > 0 ? 1.0f : 0.0f);
		if (!(r >= 0.0f))
			r = 0.0f;
		int lvl = (int)((r < 1.0f ? r : 1.0f) * 8.0f + 0.5f);
		if (x > 0 && lvl == 0)
			lvl = 1;
		lb_put(b, ascii ? asc[lvl] : uni[lvl], a);
	}
}

#define DETAIL_LINES 7

static void detail(struct vscreen *vs, const struct frame *f, const struct guest_view *v,
		   const struct ui *u, const struct history *h, int width)
{
	struct lb b;
	const struct guest_sample *g = v->g;
	char name[128], id[80], cg[256];
	sanitize(name, sizeof(name), g->name ? g->name : "");
	sanitize(id, sizeof(id), g->id);
	sanitize(cg, sizeof(cg), g->cgroup ? g->cgroup : "-");
	lb_new(vs, width, &b);
	lb_fill(&b, u->ascii ? "-" : "\xe2\x94\x80", 2, VA_DIM);
	lb_printf(&b, VA_TITLE, " %s %s ", id, name);
	lb_printf(&b, VA_DIM, "(%s %s", kind_name(v->kind), runtime_name(g->runtime));
	if (g->main_pid)
		lb_printf(&b, VA_DIM, ", pid %llu", (unsigned long long)g->main_pid);
	lb_printf(&b, VA_DIM, ", %llu process%s, cgroup %s) ", (unsigned long long)g->nprocs,
		  g->nprocs == 1 ? "" : "es", cg);
	lb_fill(&b, u->ascii ? "-" : "\xe2\x94\x80", width, VA_DIM);
	lb_finish(vs, &b);

	lb_new(vs, width, &b);
	if (v->kind == KIND_VM && g->main_pid) {
		lb_put(&b, " threads ", VA_LABEL);
		for (int t = 0; t < TG_COUNT; t++) {
			uint64_t n = g->tg_threads[t];
			if (isnan(v->tg_pct[t]))
				lb_printf(&b, VA_NORMAL, " %s -", tgroup_name((enum tgroup)t));
			else
				lb_printf(&b, VA_NORMAL, " %s %.1f%%", tgroup_name((enum tgroup)t), v->tg_pct[t]);
			if (n != VT_UNKNOWN)
				lb_printf(&b, VA_DIM, " (%llu)", (unsigned long long)n);
		}
	} else {
		char hm[16];
		fmt_bytes(hm, sizeof(hm), g->h_mem);
		lb_put(&b, " helpers ", VA_LABEL);
		lb_printf(&b, VA_NORMAL, " %llu process%s", (unsigned long long)g->h_count,
			  g->h_count == 1 ? "" : "es");
		if (g->helper_cg) {
			char hc[200];
			sanitize(hc, sizeof(hc), g->helper_cg);
			lb_printf(&b, VA_NORMAL, " + cgroup %s", hc);
		}
		lb_printf(&b, VA_NORMAL, ": RAM %s, CPU ", hm);
		lb_printf(&b, VA_NORMAL, isnan(v->cpu_tax) ? "-" : "%.1f%%", isnan(v->cpu_tax) ? 0 : v->cpu_tax);
	}
	lb_finish(vs, &b);

	/* host view and guest view of memory, two bars on one scale, as
	 * wide as the longer text beside them leaves room for */
	char m1[16], m2[16], m3[16], m4[16];
	char htext[128], gtext[128] = "";
	fmt_bytes(m1, sizeof(m1), v->mem_host);
	fmt_bytes(m2, sizeof(m2), v->mem_ws);
	fmt_bytes(m3, sizeof(m3), v->mem_cache);
	fmt_bytes(m4, sizeof(m4), v->mem_tax);
	snprintf(htext, sizeof(htext), " held %s: wset %s, tax %s%s, page cache %s", m1, m2,
		 v->mem_tax_lower_bound ? ">" : "", m4, m3);
	double scale = v->mem_host == VT_UNKNOWN ? 0 : (double)v->mem_host;
	if (v->g_total != VT_UNKNOWN && (double)v->g_total > scale)
		scale = (double)v->g_total;
	if (v->g_total != VT_UNKNOWN && scale) {
		fmt_bytes(m1, sizeof(m1), v->g_total);
		fmt_bytes(m2, sizeof(m2), v->g_used);
		fmt_bytes(m3, sizeof(m3), v->g_cache);
		snprintf(gtext, sizeof(gtext), " total %s: used %s, cache %s", m1, m2, m3);
	}
	int textw = (int)(strlen(htext) > strlen(gtext) ? strlen(htext) : strlen(gtext));
	int bw = width - 7 - 2 - textw - 1;
	if (bw > 40)
		bw = 40;
	if (bw < 8)
		bw = 8;
	lb_new(vs, width, &b);
	lb_put(&b, " host  ", VA_LABEL);
	{
		double ws = v->mem_ws == VT_UNKNOWN || !scale ? VT_NAN : (double)v->mem_ws * 100 / scale;
		double tax = v->mem_tax == VT_UNKNOWN || !scale ? VT_NAN : (double)v->mem_tax * 100 / scale;
		const struct seg s[] = {{ws, VA_WSET, "\xe2\x96\x88", "#", "wset"},
					{tax, VA_TAX, "\xe2\x96\x93", "T", "tax"}};
		bar(&b, s, 2, bw, u->ascii);
	}
	lb_put(&b, htext, VA_NORMAL);
	lb_finish(vs, &b);

	lb_new(vs, width, &b);
	lb_put(&b, " guest ", VA_LABEL);
	if (v->g_total != VT_UNKNOWN && scale) {
		double used = v->g_used == VT_UNKNOWN ? VT_NAN : (double)v->g_used * 100 / scale;
		double gc = v->g_cache == VT_UNKNOWN ? VT_NAN : (double)v->g_cache * 100 / scale;
		const struct seg s[] = {{used, VA_WSET, "\xe2\x96\x88", "#", "used"},
					{gc, VA_CACHE, "\xe2\x96\x92", "c", "cache"}};
		bar(&b, s, 2, bw, u->ascii);
		lb_put(&b, gtext, VA_NORMAL);
	} else if (v->kind == KIND_VM) {
		char note[256];
		sanitize(note, sizeof(note), g->note ? g->note :
			 "the guest does not report its memory (no QMP socket found)");
		lb_put(&b, note, VA_DIM);
	} else {
		/* a container has no view of its own: show its busiest processes */
		char key[200];
		guest_sample_key(g, key, sizeof(key));
		b.x = 0;
		lb_put(&b, " top   ", VA_LABEL);
		if (!f || !f->cur->focus || strcmp(f->cur->focus, key))
			lb_put(&b, "processes appear at the next refresh", VA_DIM);
		for (size_t i = 0; f && f->cur->focus && !strcmp(f->cur->focus, key) && i < f->nprocs; i++) {
			const struct proc_view *pv = &f->procs[i];
			char comm[64], rss[16];
			sanitize(comm, sizeof(comm), pv->p->comm);
			fmt_bytes_short(rss, sizeof(rss), pv->p->rss);
			if (b.x + (int)strlen(comm) + 18 > width)
				break;
			lb_printf(&b, VA_NORMAL, "%s%s", i ? ", " : "", comm);
			lb_printf(&b, VA_DIM, " %d", pv->p->pid);
			if (isnan(pv->cpu))
				lb_printf(&b, VA_NORMAL, " - %s", rss);
			else
				lb_printf(&b, VA_NORMAL, " %.1f%% %s", pv->cpu, rss);
		}
	}
	lb_finish(vs, &b);

	/* the why sentence takes a second line when it needs one; the
	 * history caption then gives way, so the pane keeps its height */
	char why[512];
	view_explain(v, why, sizeof(why));
	int ww = width - 7;
	const char *rest = NULL;
	lb_new(vs, width, &b);
	lb_put(&b, " why   ", VA_LABEL);
	size_t cut = ww > 10 ? wrap_cut(why, ww) : strlen(why);
	if (why[cut]) {
		char first[512];
		snprintf(first, sizeof(first), "%.*s", (int)cut, why);
		lb_put(&b, first, VA_NORMAL);
		for (rest = why + cut; *rest == ' '; rest++)
			;
	} else {
		lb_put(&b, why, VA_NORMAL);
	}
	lb_finish(vs, &b);
	if (rest) {
		lb_new(vs, width, &b);
		lb_put(&b, "       ", VA_NORMAL);
		lb_put(&b, rest, VA_NORMAL);
		lb_finish(vs, &b);
	}

	char key[200];
	guest_sample_key(g, key, sizeof(key));
	const struct hist_ent *e = h ? history_find(h, key) : NULL;
	int sw = (width - 46) / 2;
	if (sw < 4)
		sw = 4;
	lb_new(vs, width, &b);
	lb_put(&b, " tax   ", VA_LABEL);
	/* each sparkline is scaled to its own top, which is printed before it */
	float cmax = e ? history_top(e->cpu_tax, e->n, e->head, sw) : 0;
	char rb[16];
	fmt_bytes_short(rb, sizeof(rb), e ? (uint64_t)history_top(e->mem_tax, e->n, e->head, sw) : 0);
	lb_printf(&b, VA_NORMAL, "CPU (top %5.1f%%) ", (double)cmax);
	if (e)
		spark(&b, e->cpu_tax, e->n, e->head, sw, u->ascii, VA_TAX);
	lb_printf(&b, VA_NORMAL, "  RAM (top %5s) ", rb);
	if (e)
		spark(&b, e->mem_tax, e->n, e->head, sw, u->ascii, VA_TAX);
	lb_finish(vs, &b);
	if (rest)
		return;
	lb_new(vs, width, &b);
	if (e)
		lb_printf(&b, VA_DIM, "       last %d sample%s (%.1f s), newest on the right", e->n,
			  e->n == 1 ? "" : "s", (double)e->n * (double)u->delay_ns / 1e9);
	lb_finish(vs, &b);
}

/* ---- help and footer ------------------------------------------------------ */

static const char *const help_keys[] = {
	"Up/Down j/k PgUp/PgDn Home/End  move the selection",
	"Enter or Tab     details of the selected guest (threads, memory, why, history)",
	"< >              previous / next sort column     F6 choose columns",
	"P M T            sort by CPU, memory, tax (T: the default)",
	"I                invert the sort order           v  all / VMs / containers",
	"/                filter by name, id or runtime   Esc clears the filter",
	"d                set the refresh delay           Space  freeze / unfreeze",
	"s                save a snapshot (.txt and .json) W  write settings (vtaxrc)",
	"h ?              this help                       q F10 Ctrl-C  quit",
	"Mouse: click a column header to sort by it, click a row to select it.",
	NULL,
};

static void help(struct vscreen *vs, const struct ui *u, int width, int height)
{
	/* the help text, then the window of it that fits, from help_top */
	struct vscreen all = {0};
	for (int i = 0; help_keys[i]; i++)
		line_wrap(&all, width, help_keys[i], 17, VA_NORMAL);
	line_text(&all, width, "", VA_NORMAL);
	line_text(&all, width, "Columns (CPU in % of one CPU, memory in bytes; - = unknown):", VA_LABEL);
	for (int c = 0; c < COL_COUNT; c++) {
		char l[512];
		snprintf(l, sizeof(l), "%-8s %s%s", columns[c].title, columns[c].help,
			 columns[c].def ? "" : " [hidden by default]");
		line_wrap(&all, width, l, 9, VA_NORMAL);
	}
	line_text(vs, width, "vtax help - Up/Down scroll, any other key returns", VA_TITLE);
	int room = height - 1;
	int top = u->help_top;
	if (top > all.n - room)
		top = all.n - room;
	if (top < 0)
		top = 0;
	for (int i = top; i < all.n && vs->n < height; i++) {
		line_text(vs, width, "", VA_NORMAL);
		struct vline *dst = &vs->lines[vs->n - 1];
		free(dst->text);
		free(dst->attr);
		*dst = all.lines[i];
		all.lines[i].text = NULL;
		all.lines[i].attr = NULL;
	}
	vscreen_free(&all);
	while (vs->n < height)
		line_text(vs, width, "", VA_NORMAL);
}

static void picker(struct vscreen *vs, const struct ui *u, int width, int height)
{
	line_text(vs, width, "Columns - Up/Down choose, Space show/hide, Enter sort by it, "
			     "Esc or F6 close", VA_TITLE);
	line_text(vs, width, "", VA_NORMAL);
	for (int c = 0; c < COL_COUNT; c++) {
		char l[512];
		snprintf(l, sizeof(l), " [%c] %-8s %s%s", u->cols[c] ? 'x' : ' ', columns[c].title,
			 columns[c].help, (enum col_id)c == u->sort ? "  (sorted)" : "");
		struct lb b;
		lb_new(vs, width, &b);
		lb_put(&b, l, VA_NORMAL);
		if (c == u->picker_sel)
			lb_attr_all(&b, VA_SELECTED);
		lb_finish(vs, &b);
	}
	while (vs->n < height)
		line_text(vs, width, "", VA_NORMAL);
}

static void footer(struct vscreen *vs, const struct ui *u, int width)
{
	struct lb b;
	lb_new(vs, width, &b);
	if (u->input) {
		char in[80];
		sanitize(in, sizeof(in), u->inbuf);
		lb_put(&b, u->input == '/' ? "Filter: " : "Delay (seconds): ", VA_FKEY);
		lb_put(&b, in, VA_NORMAL);
		lb_put(&b, "_", VA_FKEY);
		lb_put(&b, "   Enter keep, Esc clear", VA_DIM);
	} else if (u->status[0]) {
		char st[512];
		sanitize(st, sizeof(st), u->status);
		lb_put(&b, st, u->status_err ? VA_WARN : VA_FTEXT);
	} else {
		/* drop: the order in which keys leave a narrow bar (0 stays);
		 * Help, Save and Quit are always there */
		static const struct {
			const char *key, *label;
			int drop;
		} keys[] = {
			{"h", "Help", 0}, {"Enter", "Detail", 8}, {"/", "Filter", 7},
			{"v", "View", 5}, {"<>", "Sort", 9}, {"T", "Tax", 3}, {"P", "CPU", 2},
			{"M", "Mem", 1}, {"I", "Invert", 4}, {"d", "Delay", 6},
			{"Spc", "Freeze", 10}, {"s", "Save", 0}, {"q", "Quit", 0},
		};
		int total = 0, gone = 0;
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			total += (int)(strlen(keys[i].key) + strlen(keys[i].label)) + 1;
		while (total > width && gone < 10) { /* the last cell stays free */
			gone++;
			for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
				if (keys[i].drop == gone)
					total -= (int)(strlen(keys[i].key) + strlen(keys[i].label)) + 1;
		}
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			if (keys[i].drop && keys[i].drop <= gone)
				continue;
			lb_put(&b, keys[i].key, VA_FKEY);
			lb_put(&b, keys[i].label, VA_FTEXT);
			lb_put(&b, " ", VA_NORMAL);
		}
	}
	lb_finish(vs, &b);
}

void view_build(struct vscreen *vs, const struct frame *f, const struct ui *u,
		const struct history *h, int width, int height)
{
	vscreen_free(vs);
	vs->table_top = vs->header_row = -1;
	if (width < 1)
		width = 1;
	if (height && (width < 40 || height < 10)) {
		char msg[96];
		snprintf(msg, sizeof(msg), "terminal too small (%dx%d): vtax needs 40x10", width,
			 height);
		if ((int)strlen(msg) > width)
			snprintf(msg, sizeof(msg), "too small (%dx%d): need 40x10", width, height);
		if ((int)strlen(msg) > width)
			snprintf(msg, sizeof(msg), "need 40x10");
		if ((int)strlen(msg) > width)
			snprintf(msg, sizeof(msg), "!");
		line_text(vs, width, msg, VA_WARN);
		return;
	}
	if (height && u->picker) {
		picker(vs, u, width, height - 1);
		footer(vs, u, width);
		return;
	}
	if (height && u->help) {
		help(vs, u, width, height - 1);
		footer(vs, u, width);
		return;
	}
	header(vs, f, u, width);
	layout(vs, f, u, width);
	table_header(vs, u, width);
	size_t *idx;
	size_t nrows = view_rows(f, u, &idx);
	int sel = u->sel;
	if (sel >= (int)nrows)
		sel = (int)nrows - 1;
	bool show_detail = u->detail && nrows > 0 && sel >= 0;
	int rows;
	if (height) {
		rows = height - vs->n - 1 - (show_detail ? DETAIL_LINES : 0);
		if (rows < 1) {
			show_detail = false;
			rows = height - vs->n - 1;
		}
	} else {
		rows = (int)nrows;
	}
	int top = height ? u->top : 0;
	if (top > (int)nrows - rows)
		top = (int)nrows - rows;
	if (top < 0)
		top = 0;
	vs->table_top = vs->n;
	vs->table_rows = 0;
	vs->page = rows;
	for (int r = 0; r < rows; r++) {
		size_t i = (size_t)(top + r);
		if (i >= nrows) {
			if (!height)
				break;
			if (r == 0 && nrows == 0)
				line_text(vs, width, f->n ? "  (no guest matches the filter)" :
					  "  (no guests found: no VM or container is running)", VA_DIM);
			else if (r == 1 && nrows == 0 && !f->n && u->unprivileged)
				line_text(vs, width, "  (vtax runs as a normal user: as root it may see more)",
					  VA_DIM);
			else
				line_text(vs, width, "", VA_NORMAL);
			continue;
		}
		table_row(vs, &f->guests[idx[i]], height && (int)i == sel, width);
		vs->table_rows++;
	}
	if (!height && nrows == 0)
		line_text(vs, width, "  (no guests found)", VA_DIM);
	if (show_detail)
		detail(vs, f, &f->guests[idx[sel]], u, h, width);
	free(idx);
	if (height)
		footer(vs, u, width);
}
