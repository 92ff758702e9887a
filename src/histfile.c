/* The compact history (doc/record.md, "Compact format"): a chunk codec
 * driven by the sample schema, a recorder writing one zstd frame
 * per chunk into a file per day, and a reader that indexes chunks by time
 * and steps over damaged ones. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "histfile.h"

#define CHUNK_TAG "VTXC"
#define META_MAGIC 0x184D2A5Eu    /* a zstd skippable frame: zstdcat ignores it */
#define META_LEN 32u
#define ZSTD_MAGIC 0xFD2FB528u
#define MAX_STR 65536u
#define MAX_GUESTS 100000u
#define MAX_FIELDS 4096u
#define MAX_CHUNK (256u << 20)

/* ---- varints ------------------------------------------------------------ */

static void put_uv(struct sb *b, uint64_t v)
{
	char tmp[10];
	size_t n = 0;
	while (v >= 0x80) {
		tmp[n++] = (char)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (char)v;
	sb_add(b, tmp, n);
}

static void put_sv(struct sb *b, uint64_t d)
{
	put_uv(b, (d << 1) ^ (0 - (d >> 63)));
}

static void put_str(struct sb *b, const char *s)
{
	if (!s) {
		put_uv(b, 0);
		return;
	}
	size_t n = strlen(s);
	if (n > MAX_STR - 1)
		n = MAX_STR - 1;
	put_uv(b, n + 1);
	sb_add(b, s, n);
}

/* A counter as a code: unknown is 0, a value v is v + 1. */
static inline uint64_t code_of(uint64_t v) { return v == VT_UNKNOWN ? 0 : v + 1; }
static inline uint64_t value_of(uint64_t c) { return c ? c - 1 : VT_UNKNOWN; }

/* The counters a chunk names for one level: this vtax's slot for each
 * (NULL: one it does not know). */
struct cols {
	const struct slot **s;
	size_t n;
};

struct rd {
	const uint8_t *p, *end;
	const char *err;
	const struct cols *cols;   /* the chunk's, by level */
};

static uint64_t get_uv(struct rd *r)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end) {
			r->err = "cut short";
			return 0;
		}
		uint8_t c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	r->err = "bad number";
	return 0;
}

static uint64_t get_sv(struct rd *r)
{
	uint64_t z = get_uv(r);
	return (z >> 1) ^ (0 - (z & 1));
}

/* A string (NULL when absent), or NULL with r->err set. */
static const char *get_bytes(struct rd *r, size_t *len)
{
	uint64_t n = get_uv(r);
	*len = 0;
	if (r->err || !n)
		return NULL;
	if (n > MAX_STR || n - 1 > (uint64_t)(r->end - r->p)) {
		r->err = "bad string";
		return NULL;
	}
	const char *s = (const char *)r->p;
	*len = (size_t)(n - 1);
	r->p += n - 1;
	return s;
}

static char *get_str(struct rd *r)
{
	size_t n;
	const char *s = get_bytes(r, &n);
	return s ? xstrndup(s, n) : NULL;
}

static uint64_t centi(double v)
{
	return v < 0 || !isfinite(v) || v > 1e15 ? 0 : (uint64_t)llround(v * 100) + 1;
}

/* ---- the plan: the schema in the order format 1 writes it --------------- */

struct plan;

/* A field as the history reaches it. */
struct slot {
	const struct field *f;
	size_t base;               /* where its own record starts in the plan's
				      (the host lies flat in the sample) */
	const struct plan *rows;   /* FT_ROWS: a row's plan */
};

struct hblock {
	char *name;
	size_t len;                /* of its name */
	unsigned at;
	struct slot *s;
	size_t n;
	const struct slot *of;     /* a column block "rows.field": the rows */
};

/* A record: its fixed head (keys first), named counters, fixed tail and
 * named blocks; a fixed row has only a head. */
struct plan {
	struct slot *head, *counter, *tail, *key, *extra;
	size_t nhead, ncounter, ntail, nkey, nextra;
	struct hblock *block;
	size_t nblock;
	bool fixed;
	int level;                 /* its list of counters in the chunk header */
};

static struct plan *levels[2]; /* the sample's, its guests' */

static void *at(const void *rec, size_t off)
{
	return (char *)(uintptr_t)rec + off;
}

static void *value_at(const void *rec, const struct slot *s)
{
	return at(rec, s->base + s->f->off);
}

static void add_slot(struct slot **v, size_t *n, struct slot s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

static struct hblock *add_block(struct plan *p, const char *name, unsigned at)
{
	for (size_t i = 0; at != UINT_MAX && i < p->nblock; i++)
		if (p->block[i].at == at)
			return &p->block[i];
	p->block = xrealloc(p->block, (p->nblock + 1) * sizeof(*p->block));
	p->block[p->nblock] = (struct hblock){.name = xstrdup(name), .len = strlen(name), .at = at};
	return &p->block[p->nblock++];
}

static const struct plan *plan_of(const struct schema *sc);

static void plan_walk(struct plan *p, const struct schema *sc, size_t base)
{
	for (const struct field *f = sc->f; f < sc->f + sc->n; f++) {
		if (f->flags & FL_LOCAL)
			continue;
		struct slot s = {f, base, f->type == FT_ROWS ? plan_of(f->sub) : NULL};
		if (f->type == FT_OBJECT) {
			plan_walk(p, f->sub, base + f->off);
			continue;
		}
		if (f->flags & FL_KEY)
			add_slot(&p->key, &p->nkey, s);
		if (f->hist == HIST_HEAD) {
			add_slot(&p->head, &p->nhead, s);
		} else if (f->hist == HIST_TAIL) {
			add_slot(&p->tail, &p->ntail, s);
		} else if (f->hist == HIST_BLOCK) {
			struct hblock *b = add_block(p, f->block ? f->block : f->name, f->at);
			add_slot(&b->s, &b->n, s);
		} else if (p->fixed) {
			add_slot(&p->extra, &p->nextra, s);
		} else if (f->type == FT_U64) {
			add_slot(&p->counter, &p->ncounter, s);
		} else {
			struct hblock *b = add_block(p, f->name, UINT_MAX);
			add_slot(&b->s, &b->n, s);
		}
	}
}

/* Stable sorts by place: few elements, once. */
static void sort_slots(struct slot *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j && v[j - 1].f->at > v[j].f->at; j--) {
			struct slot t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static void sort_blocks(struct hblock *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j && v[j - 1].at > v[j].at; j--) {
			struct hblock t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/* Fields a fixed row gained after format 1: a column block each, in the
 * record holding the rows ("nics.mtu": a value per row). */
static void add_columns(struct plan *p, const struct slot *rows)
{
	for (size_t i = 0; rows->rows && i < rows->rows->nextra; i++) {
		const struct slot *e = &rows->rows->extra[i];
		char *name = xasprintf("%s.%s", rows->f->name, e->f->name);
		struct hblock *b = add_block(p, name, UINT_MAX);
		free(name);
		add_slot(&b->s, &b->n, *e);
		b->of = rows;
	}
}

static const struct plan *plan_of(const struct schema *sc)
{
	static struct {
		const struct schema *sc;
		struct plan *p;
	} made[8];
	static size_t nmade;
	for (size_t i = 0; i < nmade; i++)
		if (made[i].sc == sc)
			return made[i].p;
	struct plan *p = xcalloc(1, sizeof(*p));
	if (nmade == ARRAY_SIZE(made) || (!sc->fixed && levels[1])) {
		fprintf(stderr, "vtax: the sample schema has no place in the history format\n");
		abort();
	}
	made[nmade].sc = sc;
	made[nmade++].p = p;
	p->fixed = sc->fixed;
	p->level = sc->fixed ? -1 : levels[0] ? 1 : 0;
	if (!sc->fixed)
		levels[p->level] = p;
	plan_walk(p, sc, 0);
	if (p->nhead > 64)   /* the head's texts: bits of a mask */
		abort();
	sort_slots(p->head, p->nhead);
	sort_slots(p->tail, p->ntail);
	sort_blocks(p->block, p->nblock);
	for (size_t i = 0; !p->fixed && i < p->nhead; i++)
		add_columns(p, &p->head[i]);
	for (size_t i = 0; !p->fixed && i < p->ntail; i++)
		add_columns(p, &p->tail[i]);
	for (size_t i = 0, nb = p->nblock; !p->fixed && i < nb; i++)
		for (size_t k = 0; k < p->block[i].n; k++)
			add_columns(p, &p->block[i].s[k]);
	return p;
}

static pthread_once_t plan_once = PTHREAD_ONCE_INIT;

static void plan_build(void)
{
	plan_of(&sample_schema);
}

/* The sample's plan (its guests': levels[1]). */
static const struct plan *sample_plan(void)
{
	pthread_once(&plan_once, plan_build);
	return levels[0];
}

/* ---- writing a record ------------------------------------------------------ */

static bool is_text(const struct field *f)
{
	return f->type == FT_STR || f->type == FT_CHARS;
}

static const char *text_of(const void *rec, const struct slot *s)
{
	if (!rec)
		return NULL;
	return s->f->type == FT_STR ? *(char *const *)value_at(rec, s) : value_at(rec, s);
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Which texts of the head (keys aside) differ from before's: bit k for
 * the k-th. */
static uint64_t text_mask(const struct plan *p, const void *now, const void *before)
{
	uint64_t mask = 0;
	unsigned k = 0;
	for (size_t i = 0; i < p->nhead; i++) {
		const struct slot *s = &p->head[i];
		if (!(s->f->flags & FL_KEY) && is_text(s->f) &&
		    !str_eq(text_of(now, s), text_of(before, s)))
			mask |= 1ull << k;
		k += !(s->f->flags & FL_KEY) && is_text(s->f);
	}
	return mask;
}

static bool same_key(const struct plan *p, const void *a, const void *b)
{
	for (size_t k = 0; k < p->nkey; k++) {
		const struct slot *s = &p->key[k];
		if (is_text(s->f) ? !str_eq(text_of(a, s), text_of(b, s))
				  : *(const int *)value_at(a, s) != *(const int *)value_at(b, s))
			return false;
	}
	return true;
}

/* Index + 1 in prev (n rows) of the row with row's key, 0 if none. The
 * collector sorts guests, so the same index is tried first. */
static size_t find_prev(const struct plan *p, const char *prev, size_t n, size_t size, size_t i,
			const void *row)
{
	if (i < n && same_key(p, prev + i * size, row))
		return i + 1;
	for (size_t k = 0; k < n; k++)
		if (same_key(p, prev + k * size, row))
			return k + 1;
	return 0;
}

static void put_record(struct sb *c, const struct plan *p, const void *now, const void *before,
		       bool delta);

static void put_rows(struct sb *c, const struct slot *s, const void *now, const void *before)
{
	const struct field *f = s->f;
	const char *rows = *(char *const *)value_at(now, s);
	size_t n = *(const size_t *)at(now, s->base + f->n), size = f->sub->size;
	put_uv(c, f->flags & FL_NULL ? (rows ? n + 1 : 0) : n);
	const char *prev = before ? *(char *const *)value_at(before, s) : NULL;
	size_t pn = prev ? *(const size_t *)at(before, s->base + f->n) : 0;
	for (size_t i = 0; rows && i < n; i++) {
		const char *row = rows + i * size;
		size_t ref = s->rows->nkey ? find_prev(s->rows, prev, pn, size, i, row) : 0;
		if (s->rows->nkey)
			put_uv(c, ref);
		put_record(c, s->rows, row, ref ? prev + (ref - 1) * size : NULL, ref != 0);
	}
}

/* A value as it is (an FT_I64: its change since before). */
static void put_value(struct sb *c, const struct slot *s, const void *now, const void *before)
{
	const struct field *f = s->f;
	const void *p = value_at(now, s);
	switch (f->type) {
	case FT_U64:
		put_uv(c, f->flags & FL_ZERO ? *(const uint64_t *)p : code_of(*(const uint64_t *)p));
		break;
	case FT_I64:
		put_sv(c, (uint64_t)*(const int64_t *)p -
			      (uint64_t)(before ? *(const int64_t *)value_at(before, s) : 0));
		break;
	case FT_INT:
		put_uv(c, (unsigned)*(const int *)p);
		break;
	case FT_BOOL:
		put_uv(c, *(const bool *)p);
		break;
	case FT_DOUBLE:
		for (size_t k = 0; k < f->n; k++)
			put_uv(c, centi(((const double *)p)[k]));
		break;
	case FT_STR:
	case FT_CHARS:
		put_str(c, text_of(now, s));
		break;
	case FT_RUNTIME:
		put_str(c, runtime_name(*(const enum runtime *)p));
		break;
	case FT_ROWS:
		put_rows(c, s, now, before);
		break;
	case FT_OBJECT:
		break;
	}
}

/* Bools sharing a place as the bits of one number; the last one's index. */
static size_t put_bits(struct sb *c, const struct plan *p, size_t i, const void *now)
{
	uint64_t bits = 0;
	size_t j = i;
	for (; j < p->nhead && p->head[j].f->type == FT_BOOL && p->head[j].f->at == p->head[i].f->at; j++)
		bits |= (uint64_t)*(const bool *)value_at(now, &p->head[j]) << (j - i);
	put_uv(c, bits);
	return j - 1;
}

/* The head: keys and texts in full when !delta; else, keys implied, a
 * mask of the texts that changed since before, then those. */
static void put_head(struct sb *c, const struct plan *p, const void *now, const void *before,
		     bool delta)
{
	uint64_t mask = delta ? text_mask(p, now, before) : 0;
	unsigned k = 0;
	for (size_t i = 0; i < p->nhead; i++) {
		const struct slot *s = &p->head[i];
		if (delta && s->f->flags & FL_KEY)
			continue;
		if (delta && is_text(s->f)) {
			if (!k)
				put_uv(c, mask);
			if (mask & 1ull << k++)
				put_value(c, s, now, NULL);
		} else if (s->f->type == FT_BOOL) {
			i = put_bits(c, p, i, now);
		} else {
			put_value(c, s, now, before);
		}
	}
}

static void put_blocks(struct sb *c, const struct plan *p, const void *now)
{
	struct sb b = {0};
	put_uv(c, p->nblock);
	for (size_t i = 0; i < p->nblock; i++) {
		const struct hblock *bl = &p->block[i];
		sb_clear(&b);
		const char *rows = bl->of ? *(char *const *)value_at(now, bl->of) : NULL;
		size_t n = bl->of ? *(const size_t *)at(now, bl->of->base + bl->of->f->n) : 0;
		for (size_t r = 0; r < n; r++)
			put_value(&b, bl->s, rows + r * bl->of->f->sub->size, NULL);
		for (size_t k = 0; !bl->of && k < bl->n; k++)
			put_value(&b, &bl->s[k], now, NULL);
		put_str(c, bl->name);
		put_uv(c, b.len);
		sb_add(c, b.s ? b.s : "", b.len);
	}
	sb_free(&b);
}

/* A record against before (delta: its counters as changes of codes), or
 * in full. */
static void put_record(struct sb *c, const struct plan *p, const void *now, const void *before,
		       bool delta)
{
	put_head(c, p, now, before, delta);
	for (size_t k = 0; k < p->ncounter; k++) {
		uint64_t code = code_of(*(const uint64_t *)value_at(now, &p->counter[k]));
		if (delta)
			put_sv(c, code - (before ? code_of(*(const uint64_t *)value_at(before, &p->counter[k])) : 0));
		else
			put_uv(c, code);
	}
	for (size_t k = 0; k < p->ntail; k++) {
		const struct slot *s = &p->tail[k];
		if (!(s->f->flags & FL_GATED) || *(void *const *)at(now, s->base + s->f[-1].off))
			put_value(c, s, now, before);
	}
	if (!p->fixed)
		put_blocks(c, p, now);
}

void hist_chunk_begin(struct sb *c)
{
	sample_plan();
	sb_add(c, CHUNK_TAG, 4);
	put_uv(c, HIST_FORMAT);
	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		put_uv(c, levels[l]->ncounter);
		for (size_t i = 0; i < levels[l]->ncounter; i++)
			put_str(c, levels[l]->counter[i].f->name);
	}
}

void hist_chunk_add(struct sb *c, const struct sample *prev, const struct sample *s)
{
	sb_addc(c, 'S');
	put_record(c, sample_plan(), s, prev, true);
}

/* ---- reading a record ------------------------------------------------------ */

static double uncenti(uint64_t c)
{
	return c ? (double)(c - 1) / 100.0 : -1;
}

static void get_record(struct rd *r, const struct plan *p, void *now, const void *before, bool delta);

static void get_rows(struct rd *r, const struct slot *s, void *now, const void *before)
{
	const struct field *f = s->f;
	uint64_t n = get_uv(r);
	if (f->flags & FL_NULL && !n)
		return;
	n -= (f->flags & FL_NULL) != 0;
	if (r->err || (f->hi && n > (uint64_t)f->hi) || n > (uint64_t)(r->end - r->p)) {
		r->err = r->err ? r->err : "bad row count";
		return;
	}
	size_t size = f->sub->size, *count = at(now, s->base + f->n);
	char *rows = schema_rows(at(now, s->base), f, (size_t)n);
	const char *prev = before ? *(char *const *)value_at(before, s) : NULL;
	size_t pn = prev ? *(const size_t *)at(before, s->base + f->n) : 0;
	for (uint64_t i = 0; i < n && !r->err; i++) {
		char *row = rows + *count * size;
		schema_init(f->sub, row);
		(*count)++;
		uint64_t ref = s->rows->nkey ? get_uv(r) : 0;
		if (ref > pn) {
			r->err = "bad row reference";
			return;
		}
		get_record(r, s->rows, row, ref ? prev + (ref - 1) * size : NULL, ref != 0);
	}
}

/* A value put_value() wrote. */
static void get_value(struct rd *r, const struct slot *s, void *now, const void *before)
{
	const struct field *f = s->f;
	void *p = value_at(now, s);
	if (f->type == FT_U64) {
		uint64_t v = get_uv(r);
		*(uint64_t *)p = f->flags & FL_ZERO ? v : value_of(v);
	} else if (f->type == FT_I64) {
		uint64_t was = before ? (uint64_t)*(const int64_t *)value_at(before, s) : 0;
		*(int64_t *)p = (int64_t)(was + get_sv(r));
	} else if (f->type == FT_INT) {
		uint64_t v = get_uv(r);
		*(int *)p = (int)(v < (uint64_t)f->lo || v > (uint64_t)f->hi ? f->lo : (int64_t)v);
	} else if (f->type == FT_BOOL) {
		*(bool *)p = get_uv(r) != 0;
	} else if (f->type == FT_DOUBLE) {
		for (size_t k = 0; k < f->n; k++)
			((double *)p)[k] = uncenti(get_uv(r));
	} else if (f->type == FT_ROWS) {
		get_rows(r, s, now, before);
	} else if (is_text(f) || f->type == FT_RUNTIME) {
		char *t = get_str(r);
		int rt = t && f->type == FT_RUNTIME ? runtime_from_name(t) : -1;
		if (f->type == FT_STR)
			*(char **)p = t;
		else if (f->type == FT_CHARS)
			str_copy(p, f->n, t ? t : f->text ? f->text : "");
		else
			*(int *)p = rt < 0 ? 0 : rt;
		if (f->flags & FL_REQ && (f->type == FT_RUNTIME ? rt < 0 : !t) && !r->err)
			r->err = "a row without its key or name";
		if (f->type != FT_STR)
			free(t);
	}
}

/* before's value (none: absent) */
static void copy_value(const struct slot *s, void *now, const void *before)
{
	const struct field *f = s->f;
	const char *t = text_of(before, s);
	if (f->type == FT_STR)
		*(char **)value_at(now, s) = t ? xstrdup(t) : NULL;
	else if (f->type == FT_CHARS)
		str_copy(value_at(now, s), f->n, t ? t : f->text ? f->text : "");
	else if (before)
		*(int *)value_at(now, s) = *(const int *)value_at(before, s);
}

static size_t get_bits(struct rd *r, const struct plan *p, size_t i, void *now)
{
	uint64_t bits = get_uv(r);
	size_t j = i;
	for (; j < p->nhead && p->head[j].f->type == FT_BOOL && p->head[j].f->at == p->head[i].f->at; j++)
		*(bool *)value_at(now, &p->head[j]) = bits >> (j - i) & 1;
	return j - 1;
}

static void get_head(struct rd *r, const struct plan *p, void *now, const void *before, bool delta)
{
	uint64_t mask = 0;
	unsigned k = 0;
	for (size_t i = 0; i < p->nhead && !r->err; i++) {
		const struct slot *s = &p->head[i];
		if (delta && s->f->flags & FL_KEY) {
			copy_value(s, now, before);
		} else if (delta && is_text(s->f)) {
			if (!k)
				mask = get_uv(r);
			if (mask & 1ull << k++)
				get_value(r, s, now, NULL);
			else
				copy_value(s, now, before);
		} else if (s->f->type == FT_BOOL) {
			i = get_bits(r, p, i, now);
		} else {
			get_value(r, s, now, before);
		}
	}
}

/* The counters the chunk names (a name this vtax does not know: read and
 * dropped; one the chunk lacks: left unknown). */
static void get_counters(struct rd *r, const struct plan *p, void *now, const void *before,
			 bool delta)
{
	const struct cols *cl = &r->cols[p->level];
	for (size_t k = 0; k < cl->n && !r->err; k++) {
		const struct slot *s = cl->s[k];
		uint64_t code = delta ? get_sv(r) : get_uv(r);
		if (!s)
			continue;
		if (delta && before)
			code += code_of(*(const uint64_t *)value_at(before, s));
		uint64_t v = value_of(code);
		*(uint64_t *)value_at(now, s) = v == VT_UNKNOWN && s->f->flags & FL_ZERO ? 0 : v;
	}
}

/* A block's fields in order; those past its end (written by an older
 * vtax) stay absent. */
static void get_block(struct rd *r, const struct hblock *b, void *now)
{
	if (!b->of) {
		for (size_t k = 0; k < b->n && r->p < r->end && !r->err; k++)
			get_value(r, &b->s[k], now, NULL);
		return;
	}
	char *rows = *(char **)value_at(now, b->of);
	size_t n = *(const size_t *)at(now, b->of->base + b->of->f->n);
	for (size_t i = 0; i < n && r->p < r->end && !r->err; i++)
		get_value(r, b->s, rows + i * b->of->f->sub->size, NULL);
}

/* Blocks by name; one this vtax does not know is skipped. */
static void get_blocks(struct rd *r, const struct plan *p, void *now)
{
	uint64_t n = get_uv(r);
	for (uint64_t i = 0; i < n && !r->err; i++) {
		size_t nl;
		const char *name = get_bytes(r, &nl);
		uint64_t len = get_uv(r);
		if (r->err || len > (uint64_t)(r->end - r->p)) {
			r->err = "bad block";
			return;
		}
		struct rd sub = *r;
		sub.end = r->p + len;
		for (size_t k = 0; k < p->nblock; k++)
			if (p->block[k].len == nl && !memcmp(p->block[k].name, name ? name : "", nl)) {
				get_block(&sub, &p->block[k], now);
				break;
			}
		if (sub.err)
			r->err = sub.err;
		r->p += len;
	}
}

static void get_record(struct rd *r, const struct plan *p, void *now, const void *before, bool delta)
{
	get_head(r, p, now, before, delta);
	if (!p->fixed)
		get_counters(r, p, now, before, delta);
	for (size_t k = 0; k < p->ntail && !r->err; k++) {
		const struct slot *s = &p->tail[k];
		if (!(s->f->flags & FL_GATED) || *(void **)at(now, s->base + s->f[-1].off))
			get_value(r, s, now, before);
	}
	if (!p->fixed && !r->err)
		get_blocks(r, p, now);
}

/* The counters a chunk names, mapped to this vtax's. */
static int read_cols(struct rd *r, const struct plan *p, struct cols *out)
{
	uint64_t cnt = get_uv(r);
	if (r->err || cnt > MAX_FIELDS) {
		r->err = r->err ? r->err : "too many fields";
		return -1;
	}
	out->s = xcalloc(cnt + 1, sizeof(*out->s));
	out->n = (size_t)cnt;
	for (size_t i = 0; i < cnt; i++) {
		char *name = get_str(r);
		if (r->err || !name) {
			free(name);
			r->err = r->err ? r->err : "unnamed field";
			return -1;
		}
		for (size_t k = 0; k < p->ncounter && !out->s[i]; k++)
			if (!strcmp(p->counter[k].f->name, name))
				out->s[i] = &p->counter[k];
		free(name);
	}
	return 0;
}

static int decode_sample(struct rd *r, const struct sample *prev, struct sample *s)
{
	if (r->p >= r->end || *r->p != 'S') {
		r->err = "no sample mark";
		return -1;
	}
	r->p++;
	schema_init(&sample_schema, s);
	get_record(r, sample_plan(), s, prev, true);
	return r->err ? -1 : 0;
}

int hist_chunk_decode(const uint8_t *buf, size_t len, struct sample **out, size_t *n,
		      char **cause)
{
	struct cols cols[ARRAY_SIZE(levels)] = {{0}};
	struct rd r = {buf, buf + len, NULL, cols};
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (len < 4 || memcmp(buf, CHUNK_TAG, 4)) {
		*cause = xstrdup("not a vtax chunk");
		return -1;
	}
	r.p += 4;
	uint64_t ver = get_uv(&r);
	if (!r.err && ver != HIST_FORMAT) {
		*cause = xasprintf("chunk format %llu is not supported (this vtax reads %d)",
				   (unsigned long long)ver, HIST_FORMAT);
		return -1;
	}
	sample_plan();
	int rc = 0;
	for (size_t l = 0; l < ARRAY_SIZE(levels) && !rc; l++)
		rc = r.err || read_cols(&r, levels[l], &cols[l]) ? -1 : 0;
	while (!rc && r.p < r.end) {
		*out = xgrow(*out, *n, &cap, sizeof(**out), 16);
		struct sample *s = &(*out)[*n];
		memset(s, 0, sizeof(*s));
		if (decode_sample(&r, *n ? &(*out)[*n - 1] : NULL, s)) {
			sample_free(s);
			rc = -1;
			break;
		}
		(*n)++;
	}
	if (rc)
		*cause = xasprintf("damaged chunk (%s after %zu samples)", r.err ? r.err : "?", *n);
	for (size_t l = 0; l < ARRAY_SIZE(levels); l++)
		free(cols[l].s);
	return rc;
}

/* ---- the recorder ---------------------------------------------------------- */

struct hist_writer {
	struct hist_writer_opts o;
	struct sb chunk;
	struct sample prev;
	size_t nsamples;
	int64_t first_ms, last_ms;
	char day[64];              /* day file of the open chunk */
	ZSTD_CCtx *cctx;
	struct sb zbuf;            /* the packed chunk */
	bool failing;              /* the last write failed: tell only once */
};

void hist_day_name(int64_t real_ms, char *buf, size_t sz)
{
	time_t t = (time_t)(real_ms / 1000);
	struct tm tm;
	if (!localtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, sz, "vtax-%04d-%02d-%02d.zst", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

struct hist_writer *hist_writer_new(const struct hist_writer_opts *o)
{
	struct hist_writer *w = xcalloc(1, sizeof(*w));
	w->o = *o;
	w->o.dir = xstrdup(o->dir);
	if (!w->o.chunk_ms)
		w->o.chunk_ms = HIST_CHUNK_MS;
	if (!w->o.level)
		w->o.level = 9;
	w->cctx = ZSTD_createCCtx();
	if (!w->cctx) {
		fprintf(stderr, "vtax: out of memory\n");
		exit(1);
	}
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->o.level);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	return w;
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static int mkdir_p(const char *dir)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0750) && errno != EEXIST)
			rc = -errno;
		*s = c;
		if (!c || rc)
			break;
	}
	free(p);
	return rc;
}

/* Oldest day files go while there are more than keep_days of them or
 * they hold more than keep_bytes; today's file stays. */
static void prune(struct hist_writer *w)
{
	if (!w->o.keep_days && !w->o.keep_bytes)
		return;
	struct dirent **ents = NULL;
	int n = scandir(w->o.dir, &ents, NULL, alphasort);
	if (n < 0)
		return;
	char **days = xcalloc((size_t)n + 1, sizeof(*days));
	uint64_t *sizes = xcalloc((size_t)n + 1, sizeof(*sizes));
	size_t nd = 0;
	uint64_t total = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		size_t l = strlen(nm);
		if (!strncmp(nm, "vtax-", 5) && l == 19 && !strcmp(nm + l - 4, ".zst")) {
			char path[PATH_MAX];
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s", w->o.dir, nm);
			if (stat(path, &st) == 0) {
				days[nd] = xstrdup(nm);
				sizes[nd++] = (uint64_t)st.st_size;
				total += (uint64_t)st.st_size;
			}
		}
		free(ents[i]);
	}
	free(ents);
	for (size_t i = 0; i + 1 < nd; i++) {
		bool too_many = w->o.keep_days && nd - i > w->o.keep_days;
		bool too_big = w->o.keep_bytes && total > w->o.keep_bytes;
		if ((!too_many && !too_big) || !strcmp(days[i], w->day))
			break;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", w->o.dir, days[i]);
		if (unlink(path) == 0)
			total -= sizes[i];
	}
	for (size_t i = 0; i < nd; i++)
		free(days[i]);
	free(days);
	free(sizes);
}

int hist_chunk_pack(struct sb *out, const struct sb *raw, int64_t first_ms, int64_t last_ms,
		    size_t n, void *cctx, int level, char **cause)
{
	ZSTD_CCtx *cc = cctx;
	if (!cc) {
		cc = ZSTD_createCCtx();
		if (!cc) {
			fprintf(stderr, "vtax: out of memory\n");
			exit(1);
		}
		ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level ? level : 9);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	}
	size_t bound = ZSTD_compressBound(raw->len) + 8 + META_LEN;
	sb_reserve(out, bound);
	uint8_t *z = (uint8_t *)out->s + out->len;
	le32(z, META_MAGIC);
	le32(z + 4, META_LEN);
	memcpy(z + 8, "VTXI", 4);
	le32(z + 12, HIST_FORMAT);
	le64(z + 16, (uint64_t)first_ms);
	le64(z + 24, (uint64_t)last_ms);
	le32(z + 32, (uint32_t)n);
	size_t zn = ZSTD_compress2(cc, z + 8 + META_LEN, bound - 8 - META_LEN, raw->s, raw->len);
	if (cc != cctx)
		ZSTD_freeCCtx(cc);
	if (ZSTD_isError(zn)) {
		*cause = xasprintf("cannot compress a history chunk: %s", ZSTD_getErrorName(zn));
		return -1;
	}
	le32(z + 36, (uint32_t)zn);
	out->len += zn + 8 + META_LEN;
	return 0;
}

/* Compress the chunk and append it, meta frame first, with one write; on
 * a short write the file is cut back so nothing before it is harmed. */
static int write_chunk(struct hist_writer *w, char **cause)
{
	sb_clear(&w->zbuf);
	if (hist_chunk_pack(&w->zbuf, &w->chunk, w->first_ms, w->last_ms, w->nsamples, w->cctx, 0,
			    cause))
		return -1;
	const uint8_t *z = (const uint8_t *)w->zbuf.s;
	size_t total = w->zbuf.len;
	int rc = mkdir_p(w->o.dir);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", w->o.dir, w->day);
	int fd = rc ? -1 : open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		*cause = xasprintf("cannot write the history to %s: %s", path,
				   strerror(rc ? -rc : errno));
		return -1;
	}
	struct stat st;
	off_t before = fstat(fd, &st) == 0 ? st.st_size : -1;
	ssize_t wr = write(fd, z, total);
	int err = wr < 0 ? errno : (size_t)wr != total ? ENOSPC : 0;
	if (!err && fdatasync(fd))
		err = errno;
	if (err && before >= 0 && ftruncate(fd, before)) {
		/* the reader steps over the piece left behind */
	}
	close(fd);
	if (err) {
		*cause = xasprintf("cannot write the history to %s: %s", path, strerror(err));
		return -1;
	}
	prune(w);
	return 0;
}

int hist_writer_flush(struct hist_writer *w, char **cause)
{
	*cause = NULL;
	if (!w->nsamples)
		return 0;
	char *why = NULL;
	int rc = write_chunk(w, &why);
	sb_clear(&w->chunk);
	w->nsamples = 0;
	if (rc) {
		/* told once; the next chunks try again */
		if (!w->failing)
			*cause = xasprintf("%s (samples are lost until the history can be written "
					   "again; vtax tries with every chunk)", why);
		free(why);
		w->failing = true;
		return *cause ? -1 : 0;
	}
	if (w->failing) {
		w->failing = false;
		*cause = xasprintf("the history is written to %s again", w->o.dir);
		return -1;
	}
	return 0;
}

int hist_writer_add(struct hist_writer *w, const struct sample *s, char **cause)
{
	char day[64];
	int rc = 0;
	*cause = NULL;
	hist_day_name(s->host.real_ms, day, sizeof(day));
	/* a new day, or the clock stepped back past the chunk: a new chunk */
	if (w->nsamples && (strcmp(day, w->day) || s->host.real_ms < w->last_ms))
		rc = hist_writer_flush(w, cause);
	if (!w->nsamples) {
		sb_clear(&w->chunk);
		hist_chunk_begin(&w->chunk);
		snprintf(w->day, sizeof(w->day), "%s", day);
		w->first_ms = s->host.real_ms;
	}
	hist_chunk_add(&w->chunk, w->nsamples ? &w->prev : NULL, s);
	sample_copy(&w->prev, s);
	w->nsamples++;
	w->last_ms = s->host.real_ms;
	/* the next sample would be due about as far from this one as this
	 * one from the first: close early rather than pass the minute */
	int64_t span = w->last_ms - w->first_ms;
	int64_t step = w->nsamples > 1 ? span / (int64_t)(w->nsamples - 1) : 0;
	if (!rc && (span + step >= w->o.chunk_ms || w->chunk.len > (8u << 20)))
		rc = hist_writer_flush(w, cause);
	return rc;
}

void hist_writer_free(struct hist_writer *w)
{
	if (!w)
		return;
	char *cause = NULL;
	if (hist_writer_flush(w, &cause) && cause)
		fprintf(stderr, "vtax: %s\n", cause);
	free(cause);
	sb_free(&w->chunk);
	sample_free(&w->prev);
	ZSTD_freeCCtx(w->cctx);
	sb_free(&w->zbuf);
	free((char *)(uintptr_t)w->o.dir);
	free(w);
}

/* ---- the reader ---------------------------------------------------------- */

struct chunk_ref {
	size_t file;
	off_t off;
	size_t len;               /* of the zstd frame */
	int64_t first_ms, last_ms;
	size_t n;                 /* samples (from the meta frame) */
	size_t start;             /* position of its first sample */
};

struct hist_reader {
	char **files;
	int *fds;
	size_t nfiles;
	struct chunk_ref *c;
	size_t nc, cap;
	size_t total;
	int64_t since, until;
	/* the decoded chunk */
	size_t cur_chunk;         /* nc: none */
	struct sample *cs;
	size_t ncs;
	size_t pos;               /* next position */
	uint64_t skipped_bytes;
	size_t bad_chunks;
	struct sb news;           /* skips not told yet */
};

bool hist_is_compact(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return true;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	uint8_t b[4];
	bool yes = read(fd, b, 4) == 4 && (rd32(b) == META_MAGIC || rd32(b) == ZSTD_MAGIC);
	close(fd);
	return yes;
}

static void tell_skip(struct hist_reader *r, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void tell_skip(struct hist_reader *r, const char *file, const char *fmt, ...)
{
	va_list ap;
	if (r->news.len)
		sb_adds(&r->news, "; ");
	sb_printf(&r->news, "%s: ", file);
	va_start(ap, fmt);
	sb_vprintf(&r->news, fmt, ap);
	va_end(ap);
}

static bool meta_at(const uint8_t *b)
{
	return rd32(b) == META_MAGIC && rd32(b + 4) == META_LEN && !memcmp(b + 8, "VTXI", 4);
}

/* The next meta frame at or after off, or len; read in windows, so a
 * file of any size costs little memory. */
static off_t resync(int fd, off_t off, off_t len)
{
	enum { WIN = 65536, M = 8 + META_LEN };
	uint8_t *b = xmalloc(WIN);
	off_t found = len;
	while (off + M <= len) {
		ssize_t n = pread(fd, b, WIN, off);
		if (n < M)
			break;
		for (ssize_t i = 0; i + M <= n; i++)
			if (meta_at(b + i)) {
				found = off + i;
				goto done;
			}
		off += n - M + 1;
	}
done:
	free(b);
	return found;
}

/* Index a day file chunk by chunk: the meta frame, then its zstd frame
 * read and checked for its size; anything else is stepped over. */
static int index_file(struct hist_reader *r, size_t fi, char **cause)
{
	const char *path = r->files[fi];
	int fd = r->fds[fi];
	struct stat st;
	if (fstat(fd, &st)) {
		*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	off_t len = st.st_size, off = 0;
	uint8_t *z = NULL;
	size_t zcap = 0;
	while (off < len) {
		uint8_t m[8 + META_LEN];
		bool ok = off + (off_t)sizeof(m) <= len &&
			  pread(fd, m, sizeof(m), off) == (ssize_t)sizeof(m) && meta_at(m);
		size_t zlen = ok ? rd32(m + 36) : 0;
		ok = ok && zlen && zlen <= MAX_CHUNK && off + (off_t)sizeof(m) + (off_t)zlen <= len;
		if (ok) {
			if (zlen > zcap) {
				z = xrealloc(z, zlen);
				zcap = zlen;
			}
			ok = pread(fd, z, zlen, off + (off_t)sizeof(m)) == (ssize_t)zlen &&
			     ZSTD_findFrameCompressedSize(z, zlen) == zlen;
		}
		if (!ok) {
			off_t next = resync(fd, off + 1, len);
			r->skipped_bytes += (uint64_t)(next - off);
			tell_skip(r, path, "skipped %lld damaged bytes at offset %lld",
				  (long long)(next - off), (long long)off);
			off = next;
			continue;
		}
		int64_t first = (int64_t)rd64(m + 16), last = (int64_t)rd64(m + 24);
		size_t n = rd32(m + 32);
		if (n > (1u << 20))
			n = 1u << 20;   /* more than a chunk can hold: the decoder tells */
		off_t at = off + (off_t)sizeof(m);
		off = at + (off_t)zlen;
		if (last < r->since || first > r->until || !n)
			continue;
		r->c = xgrow(r->c, r->nc, &r->cap, sizeof(*r->c), 64);
		r->c[r->nc++] = (struct chunk_ref){.file = fi, .off = at, .len = zlen,
						   .first_ms = first, .last_ms = last, .n = n,
						   .start = r->total};
		r->total += n;
	}
	free(z);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_file(struct hist_reader *r, const char *path, size_t *cap)
{
	r->files = xgrow(r->files, r->nfiles, cap, sizeof(*r->files), 8);
	r->files[r->nfiles++] = xstrdup(path);
}

struct hist_reader *hist_open(const char *const *paths, size_t npaths, int64_t since_ms,
			      int64_t until_ms, char **cause)
{
	struct hist_reader *r = xcalloc(1, sizeof(*r));
	size_t cap = 0;
	r->since = since_ms;
	r->until = until_ms;
	for (size_t i = 0; i < npaths; i++) {
		struct stat st;
		if (stat(paths[i], &st)) {
			*cause = xasprintf("cannot open %s: %s", paths[i], strerror(errno));
			goto fail;
		}
		if (!S_ISDIR(st.st_mode)) {
			add_file(r, paths[i], &cap);
			continue;
		}
		DIR *d = opendir(paths[i]);
		if (!d) {
			*cause = xasprintf("cannot open %s: %s", paths[i], strerror(errno));
			goto fail;
		}
		size_t from = r->nfiles;
		struct dirent *e;
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);
			if (strncmp(e->d_name, "vtax-", 5) || l < 9 || strcmp(e->d_name + l - 4, ".zst"))
				continue;
			char *p = xasprintf("%s/%s", paths[i], e->d_name);
			add_file(r, p, &cap);
			free(p);
		}
		closedir(d);
		if (r->nfiles > from)
			qsort(r->files + from, r->nfiles - from, sizeof(*r->files), cmp_str);
	}
	if (!r->nfiles) {
		*cause = xasprintf("no history files (vtax-*.zst) in %s", npaths ? paths[0] : "?");
		goto fail;
	}
	r->fds = xcalloc(r->nfiles, sizeof(*r->fds));
	for (size_t i = 0; i < r->nfiles; i++)
		r->fds[i] = -1;
	for (size_t i = 0; i < r->nfiles; i++) {
		r->fds[i] = open(r->files[i], O_RDONLY | O_CLOEXEC);
		if (r->fds[i] < 0) {
			*cause = xasprintf("cannot open %s: %s", r->files[i], strerror(errno));
			goto fail;
		}
		if (index_file(r, i, cause))
			goto fail;
	}
	r->cur_chunk = r->nc;
	return r;
fail:
	hist_close(r);
	return NULL;
}

static void drop_chunk(struct hist_reader *r)
{
	for (size_t i = 0; i < r->ncs; i++)
		sample_free(&r->cs[i]);
	free(r->cs);
	r->cs = NULL;
	r->ncs = 0;
	r->cur_chunk = r->nc;
}

void hist_close(struct hist_reader *r)
{
	if (!r)
		return;
	drop_chunk(r);
	for (size_t i = 0; i < r->nfiles; i++) {
		if (r->fds && r->fds[i] >= 0)
			close(r->fds[i]);
		free(r->files[i]);
	}
	free(r->files);
	free(r->fds);
	free(r->c);
	sb_free(&r->news);
	free(r);
}

/* Decode chunk ci; a damaged one keeps the samples before the damage. */
static void load_chunk(struct hist_reader *r, size_t ci)
{
	if (r->cur_chunk == ci)
		return;
	drop_chunk(r);
	r->cur_chunk = ci;
	const struct chunk_ref *c = &r->c[ci];
	uint8_t *z = xmalloc(c->len + 1);
	char *why = NULL;
	ssize_t got = pread(r->fds[c->file], z, c->len, c->off);
	unsigned long long size = got == (ssize_t)c->len ? ZSTD_getFrameContentSize(z, c->len)
							 : ZSTD_CONTENTSIZE_ERROR;
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > MAX_CHUNK) {
		why = xstrdup("unreadable frame");
	} else {
		uint8_t *raw = xmalloc((size_t)size + 1);
		size_t n = ZSTD_decompress(raw, (size_t)size, z, c->len);
		if (ZSTD_isError(n))
			why = xstrdup(ZSTD_getErrorName(n));
		else
			hist_chunk_decode(raw, n, &r->cs, &r->ncs, &why);
		free(raw);
	}
	free(z);
	if (why) {
		r->bad_chunks++;
		tell_skip(r, r->files[c->file], "chunk at offset %lld: %s (%zu of %zu samples read)",
			  (long long)c->off, why, r->ncs, c->n);
		free(why);
	}
}

/* The chunk holding position pos (r->nc past the end). */
static size_t chunk_of(const struct hist_reader *r, size_t pos)
{
	size_t lo = 0, hi = r->nc;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (pos < r->c[mid].start)
			hi = mid;
		else if (pos >= r->c[mid].start + r->c[mid].n)
			lo = mid + 1;
		else
			return mid;
	}
	return r->nc;
}

/* The sample at *pos, or NULL when it is missing (then *pos moves past
 * what the chunk lacks) or outside the period. */
static const struct sample *sample_at(struct hist_reader *r, size_t *pos)
{
	size_t ci = chunk_of(r, *pos);
	if (ci == r->nc) {
		*pos = r->total;
		return NULL;
	}
	load_chunk(r, ci);
	size_t k = *pos - r->c[ci].start;
	if (k >= r->ncs) {
		/* a damaged chunk holds fewer than its meta frame said */
		*pos = r->c[ci].start + r->c[ci].n;
		return NULL;
	}
	(*pos)++;
	const struct sample *s = &r->cs[k];
	if (s->host.real_ms < r->since || s->host.real_ms > r->until)
		return NULL;
	return s;
}

int hist_next(struct hist_reader *r, struct sample *s, char **cause)
{
	(void)cause;
	while (r->pos < r->total) {
		const struct sample *src = sample_at(r, &r->pos);
		if (!src)
			continue;
		sample_copy(s, src);
		if (r->news.len) {
			s->notice = xstrdup(r->news.s);
			sb_clear(&r->news);
		}
		return 1;
	}
	return 0;
}

size_t hist_count(const struct hist_reader *r) { return r->total; }
size_t hist_tell(const struct hist_reader *r) { return r->pos; }

void hist_seek(struct hist_reader *r, size_t pos)
{
	r->pos = pos > r->total ? r->total : pos;
}

size_t hist_find_time(struct hist_reader *r, int64_t ms)
{
	size_t ci = 0;
	while (ci < r->nc && r->c[ci].last_ms < ms)
		ci++;
	if (ci == r->nc)
		return r->total;
	for (size_t pos = r->c[ci].start; pos < r->total;) {
		size_t at = pos;
		const struct sample *s = sample_at(r, &pos);
		if (s && s->host.real_ms >= ms)
			return at;
	}
	return r->total;
}

void hist_span(const struct hist_reader *r, int64_t *first, int64_t *last)
{
	*first = r->nc ? r->c[0].first_ms : 0;
	*last = r->nc ? r->c[r->nc - 1].last_ms : 0;
	if (*first < r->since)
		*first = r->since;
	if (*last > r->until)
		*last = r->until;
}

void hist_skipped(const struct hist_reader *r, uint64_t *bytes, size_t *chunks)
{
	*bytes = r->skipped_bytes;
	*chunks = r->bad_chunks;
}
