/* The screen's header: title, CPU and memory bars, the summary line. */
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

/* Bar width: what the legend (llen columns) leaves, 10 to 50. */
static int bar_width(int width, int llen)
{
	int barw = width - 9 - llen;
	return barw > 50 ? 50 : barw < 10 ? 10 : barw;
}

/* CPU bar, % of all CPUs; zero segments stay out of the legend. */
static void cpu_line(struct vscreen *vs, const struct frame *f, const struct ui *u, int width)
{
	const struct host_view *h = &f->host;
	const struct seg cpu[] = {
		{h->cpu_usr_nice, VA_USR, "\xe2\x96\x88", "#", "usr"},
		{h->cpu[HC_SYSTEM], VA_SYS, "\xe2\x96\x93", "=", "sys"},
		{h->cpu[HC_GUEST], VA_GUEST, "\xe2\x96\x92", "g", "guest"},
		{h->cpu[HC_IOWAIT], VA_IOW, "\xe2\x96\x91", "w", "iow"},
		{h->cpu[HC_STEAL], VA_STEAL, "!", "!", "steal"},
		{h->cpu_irq_all, VA_IRQ, ":", ":", "irq"},
	};
	struct seg cleg[ARRAY_SIZE(cpu)];
	int nc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cpu); i++)
		if (i < 2 || (!isnan(cpu[i].v) && cpu[i].v >= 0.05))
			cleg[nc++] = cpu[i];
	int llen = 10; /* " idle 99.9" */
	for (int i = 0; i < nc; i++)
		llen += 2 + (int)strlen(cleg[i].label) + (isnan(cleg[i].v) ? 2 : 5);
	struct lb b;
	lb_new(vs, width, &b);
	lb_printf(&b, VA_LABEL, "CPU%3u ", h->ncpus);
	bar(&b, cpu, (int)ARRAY_SIZE(cpu), bar_width(width, llen), u->ascii);
	legend(&b, cleg, nc, u->ascii, false, NULL);
	if (isnan(h->cpu[HC_IDLE]))
		lb_field(&b, VA_NORMAL, " idle -");
	else
		lb_field(&b, VA_NORMAL, " idle %.1f", h->cpu[HC_IDLE]);
	lb_finish(vs, &b);
}

/* MEM bar: the model's partition of RAM, free memory included, drawn on a
 * square-root scale: each part takes cells in proportion to the square
 * root of its size, so 1 GB of guests on a 24 GB host still shows, apart
 * from its tax, while the order of sizes stays. The legend gives sizes. */
static void mem_line(struct vscreen *vs, const struct host_view *h, const struct ui *u, int width)
{
	static const struct seg look[MP_COUNT] = {
		[MP_GUESTS] = {0, VA_WSET, "\xe2\x96\x88", "#", "guests"},
		[MP_TAX] = {0, VA_TAX, "\xe2\x96\x93", "T", "tax"},
		[MP_CACHE] = {0, VA_CACHE, "\xe2\x96\x92", "c", "cache"},
		[MP_ARC] = {0, VA_ARC, "\xe2\x96\x91", "a", "arc"},
		[MP_OWN] = {0, VA_OWN, "\xe2\x96\x9a", "o", "host"},
		[MP_FREE] = {0, VA_NORMAL, " ", " ", "free"},
	};
	double roots = 0;
	for (int i = 0; i < MP_COUNT; i++)
		if (h->mem_bar[i] != VT_UNKNOWN)
			roots += sqrt((double)h->mem_bar[i]);
	struct seg mem[MP_COUNT], leg[MP_COUNT];
	uint64_t lraw[MP_COUNT];
	int k = 0, llen = 0;
	for (int i = 0; i < MP_COUNT; i++) {
		uint64_t raw = h->mem_bar[i];
		mem[i] = look[i];
		mem[i].v = raw == VT_UNKNOWN || !roots ? VT_NAN : sqrt((double)raw) * 100.0 / roots;
		if ((i == MP_ARC || i == MP_FREE) && !raw)
			continue; /* no ZFS: no ARC in the legend */
		leg[k] = mem[i];
		lraw[k++] = raw;
		if (i != MP_FREE) /* "free" shows only where the bar leaves room */
			llen += 2 + (int)strlen(look[i].label) + 5;
	}
	char tb[16];
	fmt_bytes_short(tb, sizeof(tb), h->mem_total);
	struct lb b;
	lb_new(vs, width, &b);
	lb_printf(&b, VA_LABEL, "MEM%4s", tb);
	bar(&b, mem, MP_COUNT, bar_width(width, llen), u->ascii);
	legend(&b, leg, k, u->ascii, true, lraw);
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
	lb_printf(&b, VA_LABEL, "%u", h->n_kind[KIND_VM]);
	lb_printf(&b, VA_NORMAL, " VM%s ", h->n_kind[KIND_VM] == 1 ? "" : "s");
	lb_printf(&b, VA_LABEL, "%u", h->n_kind[KIND_CT]);
	lb_printf(&b, VA_NORMAL, " container%s", h->n_kind[KIND_CT] == 1 ? "" : "s");
	/* the tax whole, or in short on a narrow screen */
	char tb[16], cpu[16] = "-";
	fmt_bytes_short(tb, sizeof(tb), h->guests_tax);
	if (!isnan(h->tax_cpu_host))
		snprintf(cpu, sizeof(cpu), "%.1f%%", h->tax_cpu_host);
	char full[64];
	snprintf(full, sizeof(full), " | tax CPU %s%s, RAM %s", cpu,
		 isnan(h->tax_cpu_host) ? "" : " of host", tb);
	if (b.x + text_width(full) <= width) {
		lb_put(&b, " | tax ", VA_NORMAL);
		lb_put(&b, full + 7, VA_TAX);
	} else {
		lb_put(&b, " | tax ", VA_NORMAL);
		lb_printf(&b, VA_TAX, "%s %s", cpu, tb);
	}
	/* the guest behind the host's I/O wait, before the interval: on a
	 * narrow screen it is worth more */
	if (h->iowait_guest && h->iowait_guest <= f->n) {
		const struct guest_view *iow = &f->guests[h->iowait_guest - 1];
		char name[64];
		sanitize(name, sizeof(name), iow->g->name ? iow->g->name : iow->g->id);
		lb_field(&b, VA_WARN, " | iow: %s %.0f%% of disk", name, iow->io_host_share);
	}
	lb_field(&b, VA_NORMAL, " | every %.1fs", (double)u->delay_ns / 1e9);
	if (!isnan(h->psi_io))
		lb_field(&b, VA_NORMAL, " | stall cpu/io/mem %.0f/%.0f/%.0f%%", h->psi_cpu,
			 h->psi_io, h->psi_mem);
	lb_finish(vs, &b);
}

void header(struct vscreen *vs, const struct frame *f, const struct ui *u, int width)
{
	title_line(vs, f, u, width);
	cpu_line(vs, f, u, width);
	mem_line(vs, &f->host, u, width);
	summary_line(vs, f, u, width);
}
