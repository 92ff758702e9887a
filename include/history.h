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

#endif
