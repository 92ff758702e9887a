/* Per-guest history of the tax, for the sparklines of the detail pane.
 * Part of the model: it is updated from frames, never from the screen. */
#ifndef VTAX_HISTORY_H
#define VTAX_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

#define HIST_N 120

struct hist_ent {
	char key[200];           /* guest key "runtime/id" */
	float cpu_tax[HIST_N];   /* % of one CPU */
	float mem_tax[HIST_N];   /* bytes */
	/* blame (doc/metrics.md "Contention"), per interval: its length (s),
	 * what the guest imposed on the others and what it suffered (s,
	 * NAN unknown), its CPU (% of one) and its share of the disk (%) */
	float dt[HIST_N], blame_cpu[HIST_N], blame_io[HIST_N], wait[HIST_N], stall[HIST_N],
		cpu[HIST_N], share[HIST_N];
	int n;                   /* samples held, <= HIST_N */
	int head;                /* next write position */
	bool seen;
};

struct history {
	struct hist_ent *e;      /* owned */
	size_t n, cap;
};

/* Add a frame with rates; guests gone from it leave the history. */
void history_update(struct history *h, const struct frame *f);
/* The entry of a guest key, or NULL; valid until the next update. */
const struct hist_ent *history_find(const struct history *h, const char *key);
/* The largest finite value of the newest min(n, cols) entries of v. */
float history_top(const float *v, int n, int head, int cols);
void history_free(struct history *h);

/* A guest's blame over the newest intervals that fit in a window. */
struct blame_row {
	const struct guest_view *v;   /* into the frame */
	double span_s;                /* seconds of intervals summed */
	double cpu_s, io_s;           /* imposed: others' wait and the host's I/O
					 stall charged to it, seconds */
	double wait_s, stall_s;       /* suffered: its own wait and stall, s; NAN unknown */
	double cpu_pct, share_pct;    /* its mean CPU (% of one) and disk share (%) */
};
/* The frame's guests ranked by what they imposed (cpu_s + io_s) over the
 * last window_s seconds of the history; *rows is owned by the caller.
 * Returns the count. */
size_t blame_rank(const struct frame *f, const struct history *h, double window_s,
		  struct blame_row **rows);

#endif
