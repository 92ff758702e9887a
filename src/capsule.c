/* The capsule: a ring of packed history chunks (histfile.c's codec and
 * framing) covering the last minutes, plus the chunk still open. Packing
 * it is concatenating them: the result is a day file. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "capsule.h"
#include "histfile.h"

struct cap_chunk {
	struct sb z;               /* meta frame + zstd frame, as in a day file */
	int64_t first_ms, last_ms;
	size_t n;                  /* samples */
};

struct capsule {
	int64_t keep_ms, chunk_ms, step_ms;
	struct cap_chunk *c;       /* oldest first */
	size_t nc, cap;
	size_t packed;             /* bytes of the chunks in c */
	struct sb open;            /* the raw chunk being filled */
	size_t nopen;
	int64_t first_ms, last_ms; /* of the open chunk */
	struct sample prev;        /* the open chunk's last sample, as kept */
	struct sample next;        /* the one being added, as kept */
};

struct capsule *capsule_new(double minutes, int64_t chunk_ms)
{
	if (!(minutes > 0))
		return NULL;
	struct capsule *c = xcalloc(1, sizeof(*c));
	c->keep_ms = (int64_t)(minutes * 60000.0 + 0.5);
	c->chunk_ms = chunk_ms > 0 ? chunk_ms : CAPSULE_CHUNK_MS;
	c->step_ms = CAPSULE_STEP_MS;
	return c;
}

void capsule_set_step(struct capsule *c, int64_t step_ms)
{
	if (c && step_ms >= 0)
		c->step_ms = step_ms;
}

int64_t capsule_span_ms(const struct capsule *c)
{
	return c ? c->keep_ms : 0;
}

static void drop_oldest(struct capsule *c)
{
	c->packed -= c->c[0].z.len;
	sb_free(&c->c[0].z);
	memmove(c->c, c->c + 1, (c->nc - 1) * sizeof(*c->c));
	c->nc--;
}

static void reset(struct capsule *c)
{
	while (c->nc)
		drop_oldest(c);
	c->nopen = 0;
	sb_clear(&c->open);
}

static int64_t newest_ms(const struct capsule *c)
{
	return c->nopen ? c->last_ms : c->nc ? c->c[c->nc - 1].last_ms : INT64_MIN;
}

/* Pack the open chunk into the ring. A chunk that cannot be compressed
 * (zstd out of memory) is dropped: the capsule is a convenience, the
 * screen goes on. */
static void close_open(struct capsule *c)
{
	struct cap_chunk k = {.first_ms = c->first_ms, .last_ms = c->last_ms, .n = c->nopen};
	char *cause = NULL;
	c->nopen = 0;
	if (hist_chunk_pack(&k.z, &c->open, k.first_ms, k.last_ms, k.n, NULL, 0, &cause)) {
		free(cause);
		sb_free(&k.z);
		reset(c);
		return;
	}
	/* the packed size is final: give back the compression bound */
	k.z.s = xrealloc(k.z.s, k.z.len + 1);
	k.z.cap = k.z.len + 1;
	if (c->nc == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->c = xrealloc(c->c, c->cap * sizeof(*c->c));
	}
	c->c[c->nc++] = k;
	c->packed += k.z.len;
}

/* A capsule is posted where JSON is: it keeps no more than JSON says.
 * JSON names no helper cgroup and lists no process of the detail pane
 * (their pids and command names); the counters are those JSON's rates
 * come from. */
static void keep_only_json(struct sample *s)
{
	free(s->focus);
	s->focus = NULL;
	free(s->fprocs);
	s->fprocs = NULL;
	s->nfprocs = 0;
	for (size_t i = 0; i < s->nguests; i++) {
		free(s->guests[i].helper_cg);
		s->guests[i].helper_cg = NULL;
	}
}

void capsule_add(struct capsule *c, const struct sample *in)
{
	if (!c)
		return;
	/* a refresh faster than CAPSULE_STEP_MS keeps one sample in so many:
	 * counters make the rates between the kept ones exact, at a fraction
	 * of the cost (a sample packs in about 0.4 ms at 100 guests) */
	int64_t newest = newest_ms(c);
	if (newest != INT64_MIN && in->host.real_ms > newest && in->host.real_ms - newest < c->step_ms)
		return;
	sample_copy(&c->next, in);
	keep_only_json(&c->next);
	const struct sample *s = &c->next;
	int64_t t = s->host.real_ms;
	if (t <= newest_ms(c))
		reset(c);
	if (!c->nopen) {
		sb_clear(&c->open);
		hist_chunk_begin(&c->open);
		c->first_ms = t;
	}
	hist_chunk_add(&c->open, c->nopen ? &c->prev : NULL, s);
	struct sample was = c->prev;   /* the next copy reuses its memory */
	c->prev = c->next;
	c->next = was;
	c->nopen++;
	c->last_ms = t;
	/* close before the next sample would pass the chunk's span, as the
	 * recorder does */
	int64_t span = c->last_ms - c->first_ms;
	int64_t step = c->nopen > 1 ? span / (int64_t)(c->nopen - 1) : 0;
	if (span + step >= c->chunk_ms || c->open.len > (8u << 20))
		close_open(c);
	while (c->nc && (c->c[0].last_ms < t - c->keep_ms || c->packed > CAPSULE_MAX_BYTES))
		drop_oldest(c);
}

size_t capsule_samples(const struct capsule *c, int64_t *first_ms, int64_t *last_ms)
{
	size_t n = 0;
	*first_ms = *last_ms = 0;
	if (!c)
		return 0;
	for (size_t i = 0; i < c->nc; i++)
		n += c->c[i].n;
	n += c->nopen;
	if (n) {
		*first_ms = c->nc ? c->c[0].first_ms : c->first_ms;
		*last_ms = newest_ms(c);
	}
	return n;
}

size_t capsule_memory(const struct capsule *c)
{
	if (!c)
		return 0;
	size_t m = sizeof(*c) + c->cap * sizeof(*c->c) + c->open.cap;
	for (size_t i = 0; i < c->nc; i++)
		m += c->c[i].z.cap;
	const struct sample *both[] = {&c->prev, &c->next};
	for (size_t k = 0; k < 2; k++) {
		m += both[k]->cap * sizeof(*both[k]->guests);
		for (size_t i = 0; i < both[k]->nguests; i++) {
			const struct guest_sample *g = &both[k]->guests[i];
			m += g->ndrives * sizeof(*g->drives) + g->nnics * sizeof(*g->nics);
		}
	}
	return m;
}

int capsule_pack(const struct capsule *c, struct sb *out, char **cause)
{
	*cause = NULL;
	if (!c)
		return 0;
	size_t was = out->len;
	for (size_t i = 0; i < c->nc; i++)
		sb_add(out, c->c[i].z.s, c->c[i].z.len);
	if (c->nopen && hist_chunk_pack(out, &c->open, c->first_ms, c->last_ms, c->nopen, NULL, 0,
					cause)) {
		out->len = was;
		return -1;
	}
	return 0;
}

void capsule_free(struct capsule *c)
{
	if (!c)
		return;
	reset(c);
	free(c->c);
	sb_free(&c->open);
	sample_free(&c->prev);
	sample_free(&c->next);
	free(c);
}
