/* The screen's header: title, CPU and memory bars, the summary line. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lines.h"
#include "view.h"
#include "view-parts.h"

/* A bar of n segments in `cols` columns; each segment its own character. */
void bar(struct lb *b, const struct seg *s, int n, int cols, bool ascii)
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

void legend(struct lb *b, const struct seg *s, int n, bool ascii, bool bytes,
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

void header(struct vscreen *vs, const struct frame *f, const struct ui *u, int width)
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

