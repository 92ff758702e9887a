/* Tax history per guest for the sparklines: a ring of HIST_N samples. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "util.h"

const struct hist_ent *history_find(const struct history *h, const char *key)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->e[i].key, key))
			return &h->e[i];
	return NULL;
}

static struct hist_ent *entry(struct history *h, const char *key)
{
	struct hist_ent *e = (struct hist_ent *)(uintptr_t)history_find(h, key);
	if (e)
		return e;
	h->e = xgrow(h->e, h->n, &h->cap, sizeof(*h->e), 16);
	e = &h->e[h->n++];
	memset(e, 0, sizeof(*e));
	str_copy(e->key, sizeof(e->key), key);
	return e;
}

void history_update(struct history *h, const struct frame *f)
{
	if (!f->has_rates)
		return;
	for (size_t i = 0; i < h->n; i++)
		h->e[i].seen = false;
	for (size_t i = 0; i < f->n; i++) {
		const struct guest_view *v = &f->guests[i];
		char key[200];
		guest_sample_key(v->g, key, sizeof(key));
		struct hist_ent *e = entry(h, key);
		e->seen = true;
		e->cpu_tax[e->head] = isnan(v->cpu_tax) ? 0.0f : (float)v->cpu_tax;
		e->mem_tax[e->head] = v->mem_tax == VT_UNKNOWN ? 0.0f : (float)v->mem_tax;
		e->head = (e->head + 1) % HIST_N;
		if (e->n < HIST_N)
			e->n++;
	}
	/* guests gone from the host leave the history too */
	size_t o = 0;
	for (size_t i = 0; i < h->n; i++)
		if (h->e[i].seen)
			h->e[o++] = h->e[i];
	h->n = o;
}

float history_top(const float *v, int n, int head, int cols)
{
	int take = n < cols ? n : cols;
	float max = 0;
	for (int i = 0; i < take; i++) {
		float x = v[(head - take + i + HIST_N) % HIST_N];
		if (isfinite(x) && x > max)
			max = x;
	}
	return max;
}

void history_free(struct history *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}
