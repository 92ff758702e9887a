/* The screen's header: title, CPU and memory bars, the summary line. The
 * host's values on them, their places and looks are the metric
 * registry's (.screen in metrics.h); the UI's own (the filter, the
 * interval, travel marks) and the guest behind the iowait are drawn here. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lines.h"
#include "metrics.h"
#include "util.h"
#include "view-parts.h"

static void add_head(void *b, const char *text)
{
	lb_field(b, VA_NORMAL, " - %s", text);
}

static void title_line(struct vscreen *vs, const struct frame *f, const struct ui *u, int width)
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
	lb_printf(&b, VA_NORMAL, " - %s", host);
	lb_field(&b, VA_NORMAL, " - %s", tbuf);
	double ups = h->uptime_s < 1e12 ? h->uptime_s : 1e12;
	unsigned long up = ups > 0 ? (unsigned long)ups : 0;
	lb_field(&b, VA_NORMAL, " - up %lud %lu:%02lu", up / 86400, up / 3600 % 24, up / 60 % 60);
	lb_field(&b, VA_NORMAL, " - load %.2f %.2f %.2f", h->load[0], h->load[1], h->load[2]);
	if (u->travel && u->tcount) {
		/* the replayed day and where it is in the history */
		char day[32], mark[16];
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		size_t at = u->tcount > 1 ? u->tpos * 9 / (u->tcount - 1) : 9;
		for (size_t i = 0; i < 10; i++)
			mark[i] = i == at ? '|' : '-';
		mark[10] = '\0';
		lb_field(&b, VA_WARN, "  [%s [%s] %zu/%zu%s]", day, mark, u->tpos + 1, u->tcount,
			 u->frozen ? " paused" : "");
	} else if (u->frozen)
		lb_put(&b, "  [FROZEN]", VA_WARN);
	if (u->ended)
		lb_put(&b, "  [ENDED]", VA_WARN);
	/* last: where the width runs out they give way, never the marks */
	metrics_head(f, add_head, &b);   /* vtax's own cost, ... */
	lb_finish(vs, &b);
}

/* The attribute of each look the registry names (metrics.h). */
static const enum vattr look_attr[LOOK_COUNT] = {
	[LOOK_NORMAL] = VA_NORMAL, [LOOK_LABEL] = VA_LABEL,
	[LOOK_USR] = VA_USR, [LOOK_SYS] = VA_SYS, [LOOK_GUEST] = VA_GUEST, [LOOK_IOW] = VA_IOW,
	[LOOK_STEAL] = VA_STEAL, [LOOK_IRQ] = VA_IRQ,
	[LOOK_WSET] = VA_WSET, [LOOK_TAX] = VA_TAX, [LOOK_CACHE] = VA_CACHE, [LOOK_ARC] = VA_ARC,
	[LOOK_OWN] = VA_OWN,
};

/* The registry's host entry at place at of the screen's line, or NULL. */
static const struct metric *screen_entry(enum metric_screen_line line, unsigned at)
{
	for (size_t k = 0; k < metrics_count; k++) {
		const struct metric_screen *s = &metrics[k].screen;
		if (metrics[k].of == MO_HOST && s->line == line && s->at == at)
			return &metrics[k];
	}
	return NULL;
}

/* A size the registry holds as a double (NAN unknown) back as bytes; one
 * beyond what a double keeps exactly stays that large (free memory of a
 * host whose total is unknown). */
static uint64_t bytes_of(double d)
{
	return isnan(d) ? VT_UNKNOWN : d >= 0x1p64 ? VT_UNKNOWN - 1 : (uint64_t)d;
}

/* Whether m, holding d, shows (any: a value of its field is known). */
static bool screen_shows(const struct metric *m, double d, bool any)
{
	switch (m->screen.when) {
	case MW_KNOWN:
		return !isnan(d);
	case MW_NONZERO:
		/* not 0 as shown: a share of 0.05 ("0.1"), a byte */
		return !isnan(d) && d >= (m->unit == MU_U64 ? 1 : 0.05);
	case MW_GROUP:
		return any;
	case MW_ALWAYS:
	case MW_WITH:
		break;
	}
	return true;
}

/* One entry's text: the words of its format before and after its value
 * (none after an unknown one), an "s" after a plural that is not 1. */
struct stext {
	char pre[64], val[32], post[64];
};

static void screen_text(const struct metric *m, double d, struct stext *t)
{
	const struct metric_screen *s = &m->screen;
	const char *hole = strstr(s->fmt, "%s");
	snprintf(t->pre, sizeof(t->pre), "%.*s", (int)(hole - s->fmt), s->fmt);
	char v[32];
	if (m->unit == MU_U64)
		fmt_bytes_short(v, sizeof(v), bytes_of(d));
	else if (isnan(d))
		snprintf(v, sizeof(v), "-");
	else if (m->unit == MU_INT)
		snprintf(v, sizeof(v), "%u", (unsigned)d);
	else
		snprintf(v, sizeof(v), "%.*f%s", s->num >= MN_WHOLE ? 0 : 1, d,
			 s->num == MN_PCT || s->num == MN_WHOLE_PCT ? "%" : "");
	snprintf(t->val, sizeof(t->val), "%*s", s->width, v);
	snprintf(t->post, sizeof(t->post), "%s%s", isnan(d) ? "" : hole + 2,
		 s->plural && d != 1 ? "s" : "");
}

static void draw_text(struct lb *b, const struct metric *m, const struct stext *t)
{
	lb_put(b, t->pre, look_attr[m->screen.words]);
	lb_put(b, t->val, look_attr[m->screen.look]);
	lb_put(b, t->post, look_attr[m->screen.words]);
}

/* The line's leads, cut where the screen ends; the place after them. */
static unsigned draw_leads(struct lb *b, const struct frame *f, enum metric_screen_line line)
{
	unsigned at = 0;
	const struct metric *m;
	for (; (m = screen_entry(line, at)) && m->screen.role == SR_LEAD; at++) {
		double d = metric_host(m, f);
		struct stext t;
		screen_text(m, d, &t);
		if (screen_shows(m, d, !isnan(d)))
			draw_text(b, m, &t);
	}
	return at;
}

#define FIELD_MAX 8

/* The field that starts with first, the MW_WITH entries after it
 * joining it, if it shows: whole where it fits, else (brief) its label
 * and values alone; the place after it. */
static unsigned draw_field(struct lb *b, const struct frame *f, const struct metric *first)
{
	const struct metric *m[FIELD_MAX] = {first}, *e;
	struct stext t[FIELD_MAX];
	unsigned at = first->screen.at, n = 0;
	bool any = false;
	for (e = first; e && n < FIELD_MAX && (!n || e->screen.when == MW_WITH);
	     e = screen_entry(first->screen.line, at + n)) {
		double d = metric_host(e, f);
		screen_text(e, d, &t[n]);
		m[n++] = e;
		any |= !isnan(d);
	}
	if (!screen_shows(first, metric_host(first, f), any))
		return at + n;
	const char *label = first->screen.label ? first->screen.label : "";
	int w = text_width(label);
	for (unsigned i = 0; i < n; i++)
		w += text_width(t[i].pre) + text_width(t[i].val) + text_width(t[i].post);
	if (b->x + w <= b->width) {
		lb_put(b, label, VA_NORMAL);
		for (unsigned i = 0; i < n; i++)
			draw_text(b, m[i], &t[i]);
	} else if (first->screen.brief) {
		lb_put(b, label, VA_NORMAL);
		for (unsigned i = 0; i < n; i++) {
			enum vattr a = look_attr[m[i]->screen.look];
			if (i)
				lb_put(b, " ", a);
			lb_put(b, t[i].val, a);
		}
	}
	return at + n;
}

/* The line's fields from place at that have the role; the place after them. */
static unsigned draw_fields(struct lb *b, const struct frame *f, enum metric_screen_line line,
		       unsigned at, enum metric_role role)
{
	const struct metric *m;
	while ((m = screen_entry(line, at)) && m->screen.role == role)
		at = draw_field(b, f, m);
	return at;
}

/* A bar line's parts: the bar's segments, the legend's entries (raw:
 * their sizes, when the parts are bytes) and the columns the legend
 * keeps. */
struct parts {
	struct seg seg[METRIC_PARTS_MAX], leg[METRIC_PARTS_MAX];
	uint64_t raw[METRIC_PARTS_MAX];
	int n, nleg, room;
	bool bytes;
};

/* The parts from place at of line; the place after them. Parts in bytes
 * take cells in proportion to the square root of their size (1 GB of
 * guests on a 24 GB host still shows, apart from its tax, while the
 * order of sizes stays); their legend gives the sizes. */
static unsigned parts_of(struct parts *p, const struct frame *f, enum metric_screen_line line,
			 unsigned at)
{
	const struct metric *m[METRIC_PARTS_MAX];
	double d[METRIC_PARTS_MAX], roots = 0;
	memset(p, 0, sizeof(*p));
	for (; p->n < METRIC_PARTS_MAX && (m[p->n] = screen_entry(line, at)) &&
	       m[p->n]->screen.role == SR_PART; at++, p->n++) {
		d[p->n] = metric_host(m[p->n], f);
		p->bytes = m[p->n]->unit == MU_U64;
		if (p->bytes && !isnan(d[p->n]))
			roots += sqrt(d[p->n]);
	}
	for (int i = 0; i < p->n; i++) {
		const struct metric_screen *s = &m[i]->screen;
		double v = !p->bytes ? d[i]
			   : isnan(d[i]) || !roots ? VT_NAN : sqrt(d[i]) * 100.0 / roots;
		p->seg[i] = (struct seg){v, look_attr[s->look], s->uch, s->ach, s->label};
		if (!screen_shows(m[i], d[i], false))
			continue;
		p->leg[p->nleg] = p->seg[i];
		p->raw[p->nleg++] = bytes_of(d[i]);
		/* a blank part shows in the legend only where the bar leaves
		 * room; an unknown share is "-", a size keeps the room of one */
		if (strcmp(s->uch, " "))
			p->room += 2 + (int)strlen(s->label) + (isnan(d[i]) && !p->bytes ? 2 : 5);
	}
	return at;
}

/* The columns the fields from place at keep: their words and 4 for each
 * value ("99.9"), shown or not. */
static int fields_room(enum metric_screen_line line, unsigned at)
{
	int room = 0;
	for (const struct metric *m; (m = screen_entry(line, at)); at++)
		room += (m->screen.label ? text_width(m->screen.label) : 0) +
			text_width(m->screen.fmt) - 2 + 4;
	return room;
}

/* Bar width: what the legend (llen columns) leaves, 10 to 50. */
static int bar_width(int width, int llen)
{
	int barw = width - 9 - llen;
	return barw > 50 ? 50 : barw < 10 ? 10 : barw;
}

/* The CPU or MEM line: its leads, a bar of its parts with their legend
 * (a share of all CPUs, the model's partition of RAM), its fields. */
static void bar_line(struct vscreen *vs, const struct frame *f, const struct ui *u, int width,
		     enum metric_screen_line line)
{
	struct lb b;
	lb_new(vs, width, &b);
	unsigned at = draw_leads(&b, f, line);
	struct parts p;
	at = parts_of(&p, f, line, at);
	bar(&b, p.seg, p.n, bar_width(width, p.room + fields_room(line, at)), u->ascii);
	legend(&b, p.leg, p.nleg, u->ascii, p.bytes, p.raw);
	at = draw_fields(&b, f, line, at, SR_FIELD);
	draw_fields(&b, f, line, at, SR_LAST);
	lb_finish(vs, &b);
}

static void summary_line(struct vscreen *vs, const struct frame *f, const struct ui *u, int width)
{
	const struct host_view *h = &f->host;
	struct lb b;
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
	unsigned at = draw_leads(&b, f, SL_SUMMARY);
	/* the registry's fields: the tax, whole or in short on a narrow screen */
	at = draw_fields(&b, f, SL_SUMMARY, at, SR_FIELD);
	/* the guest behind the host's I/O wait, before the interval: on a
	 * narrow screen it is worth more */
	if (h->iowait_guest && h->iowait_guest <= f->n) {
		const struct guest_view *iow = &f->guests[h->iowait_guest - 1];
		char name[64];
		sanitize(name, sizeof(name), iow->g->name ? iow->g->name : iow->g->id);
		lb_field(&b, VA_WARN, " | iow: %s %.0f%% of disk", name, iow->io_host_share);
	}
	lb_field(&b, VA_NORMAL, " | every %.1fs", (double)u->delay_ns / 1e9);
	draw_fields(&b, f, SL_SUMMARY, at, SR_LAST);   /* the registry's last: the stall */
	lb_finish(vs, &b);
}

void header(struct vscreen *vs, const struct frame *f, const struct ui *u, int width)
{
	title_line(vs, f, u, width);
	bar_line(vs, f, u, width, SL_CPU);
	bar_line(vs, f, u, width, SL_MEM);
	summary_line(vs, f, u, width);
}
