/* The blame view (key B): the guests ranked by what they imposed on the
 * others over the last minute, beside what each suffered. The numbers
 * are the history's (blame_rank); the method and its limits are in
 * doc/metrics.md, "Contention". */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lines.h"
#include "view-parts.h"

static void secs(char *buf, size_t sz, double s)
{
	if (isnan(s))
		snprintf(buf, sz, "-");
	else
		snprintf(buf, sz, "%.1f", s);
}

static void blame_line(struct vscreen *vs, const struct blame_row *r, size_t rank, int width)
{
	char name[48], c[16], io[16], tot[16], w[16], st[16], cpu[16], sh[16];
	sanitize(name, sizeof(name), r->v->g->name ? r->v->g->name : r->v->g->id);
	secs(tot, sizeof(tot), r->cpu_s + r->io_s);
	secs(c, sizeof(c), r->cpu_s);
	secs(io, sizeof(io), r->io_s);
	secs(w, sizeof(w), r->wait_s);
	secs(st, sizeof(st), r->stall_s);
	secs(cpu, sizeof(cpu), r->cpu_pct);
	secs(sh, sizeof(sh), r->share_pct);
	struct lb b;
	lb_new(vs, width, &b);
	lb_printf(&b, VA_NORMAL, "%3zu %-20.20s", rank, name);
	lb_printf(&b, rank == 1 && r->cpu_s + r->io_s >= 0.05 ? VA_WARN : VA_NORMAL, " %8s", tot);
	lb_printf(&b, VA_NORMAL, " %6s %6s", c, io);
	lb_printf(&b, VA_DIM, " |");
	lb_printf(&b, VA_NORMAL, " %6s %6s", w, st);
	lb_printf(&b, VA_DIM, " |");
	lb_field(&b, VA_NORMAL, " %6s %6s", cpu, sh);
	lb_finish(vs, &b);
}

void blame(struct vscreen *vs, const struct frame *f, const struct history *h, int width,
	   int height)
{
	struct blame_row *rows;
	size_t n = blame_rank(f, h, BLAME_WINDOW_S, &rows);
	double span = 0;
	for (size_t i = 0; i < n; i++)
		span = fmax(span, rows[i].span_s);
	char t[160];
	snprintf(t, sizeof(t), "BLAME  last %.0f s (%.0f s sampled): imposed on the others, "
		 "and suffered", BLAME_WINDOW_S, span);
	line_text(vs, width, t, VA_TITLE);
	line_text(vs, width, "  # GUEST                IMPOSED  CPU-s   IO-s | WAIT-s STALL-s |   CPU%  DISK%",
		  VA_HEADER);
	int room = height ? height - vs->n - 4 : (int)n;
	for (size_t i = 0; i < n && (int)i < room; i++)
		blame_line(vs, &rows[i], i + 1, width);
	if (!n)
		line_text(vs, width, f->n ? "  (no guest has two samples yet)" : "  (no guests found)",
			  VA_DIM);
	else if ((int)n > room)
		line_text(vs, width, "  ...", VA_DIM);
	line_text(vs, width, "", VA_NORMAL);
	line_wrap(vs, width,
		  "CPU-s: the other guests' wait for a host CPU, charged by this guest's share of the "
		  "host's CPU; IO-s: the host's I/O stall, charged by its share of the disk's bytes. "
		  "WAIT-s, STALL-s: its own. Correlation, not proof (vtax(1), doc/metrics.md). "
		  "B returns.", 0, VA_DIM);
	free(rows);
}
