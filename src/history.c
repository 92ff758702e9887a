/* Tax history per guest for the sparklines: a ring of HIST_N samples. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "util.h"

/* The entries are kept in key order: found by bisection. */
static size_t lower_bound(const struct history *h, const char *key)
{
	size_t lo = 0, hi = h->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(h->e[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct hist_ent *history_find(const struct history *h, const char *key)
{
	size_t i = lower_bound(h, key);
	return i < h->n && !strcmp(h->e[i].key, key) ? &h->e[i] : NULL;
}

static struct hist_ent *entry(struct history *h, const char *key)
{
	size_t i = lower_bound(h, key);
	if (i < h->n && !strcmp(h->e[i].key, key))
		return &h->e[i];
	h->e = xgrow(h->e, h->n, &h->cap, sizeof(*h->e), 16);
	memmove(&h->e[i + 1], &h->e[i], (h->n - i) * sizeof(*h->e));
	h->n++;
	struct hist_ent *e = &h->e[i];
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
		e->dt[e->head] = (float)f->interval_s;
		e->blame_cpu[e->head] = (float)v->blame_cpu_s;
		e->blame_io[e->head] = (float)v->blame_io_s;
		e->wait[e->head] = (float)v->suffer_wait_s;
		e->stall[e->head] = (float)v->suffer_stall_s;
		e->cpu[e->head] = (float)v->cpu_total;
		e->share[e->head] = (float)v->io_host_share;
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

/* Sum of the known values (NAN when none is known). */
static void add_known_f(double *sum, double x)
{
	if (isnan(x))
		return;
	*sum = isnan(*sum) ? x : *sum + x;
}

static void blame_sum(const struct hist_ent *e, double window_s, struct blame_row *r)
{
	double cpu = VT_NAN, share = VT_NAN, cpu_span = 0, share_span = 0;
	r->span_s = r->cpu_s = r->io_s = 0;
	r->wait_s = r->stall_s = VT_NAN;
	for (int k = 0; k < e->n && r->span_s < window_s - 0.001; k++) {
		int i = (e->head - 1 - k + HIST_N) % HIST_N;
		double dt = (double)e->dt[i];
		if (!(dt > 0))
			continue;
		r->span_s += dt;
		if (!isnan(e->blame_cpu[i]))
			r->cpu_s += (double)e->blame_cpu[i];
		if (!isnan(e->blame_io[i]))
			r->io_s += (double)e->blame_io[i];
		add_known_f(&r->wait_s, (double)e->wait[i]);
		add_known_f(&r->stall_s, (double)e->stall[i]);
		if (!isnan(e->cpu[i])) {
			add_known_f(&cpu, (double)e->cpu[i] * dt);
			cpu_span += dt;
		}
		if (!isnan(e->share[i])) {
			add_known_f(&share, (double)e->share[i] * dt);
			share_span += dt;
		}
	}
	r->cpu_pct = cpu_span > 0 ? cpu / cpu_span : VT_NAN;
	r->share_pct = share_span > 0 ? share / share_span : VT_NAN;
}

static int cmp_blame(const void *a, const void *b)
{
	const struct blame_row *x = a, *y = b;
	double sx = x->cpu_s + x->io_s, sy = y->cpu_s + y->io_s;
	if (sx != sy)
		return sx < sy ? 1 : -1;
	double wx = isnan(x->wait_s) ? 0 : x->wait_s, wy = isnan(y->wait_s) ? 0 : y->wait_s;
	return (wx < wy) - (wx > wy);
}

size_t blame_rank(const struct frame *f, const struct history *h, double window_s,
		  struct blame_row **rows)
{
	*rows = xcalloc(f->n + 1, sizeof(**rows));
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++) {
		char key[200];
		guest_sample_key(f->guests[i].g, key, sizeof(key));
		const struct hist_ent *e = history_find(h, key);
		if (!e)
			continue;
		struct blame_row *r = &(*rows)[n++];
		r->v = &f->guests[i];
		blame_sum(e, window_s, r);
	}
	if (n)
		qsort(*rows, n, sizeof(**rows), cmp_blame);
	return n;
}
