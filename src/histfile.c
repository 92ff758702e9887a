/* The compact history (doc/record.md, "Compact format"): a chunk codec
 * driven by the sample field tables, a recorder writing one zstd frame
 * per chunk into a file per day, and a reader that indexes chunks by time
 * and steps over damaged ones. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
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

struct rd {
	const uint8_t *p, *end;
	const char *err;
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
static char *get_str(struct rd *r)
{
	uint64_t n = get_uv(r);
	if (r->err || !n)
		return NULL;
	if (n > MAX_STR || n - 1 > (uint64_t)(r->end - r->p)) {
		r->err = "bad string";
		return NULL;
	}
	char *s = xstrndup((const char *)r->p, (size_t)(n - 1));
	r->p += n - 1;
	return s;
}

/* ---- the chunk codec ------------------------------------------------------ */

void hist_chunk_begin(struct sb *c)
{
	sb_add(c, CHUNK_TAG, 4);
	put_uv(c, HIST_FORMAT);
	put_uv(c, host_u64_nfields);
	for (size_t i = 0; i < host_u64_nfields; i++)
		put_str(c, host_u64_fields[i].name);
	put_uv(c, guest_u64_nfields);
	for (size_t i = 0; i < guest_u64_nfields; i++)
		put_str(c, guest_u64_fields[i].name);
}

static uint64_t centi(double v)
{
	return v < 0 || !isfinite(v) || v > 1e15 ? 0 : (uint64_t)llround(v * 100) + 1;
}

static void put_str_changed(struct sb *c, const char *before, const char *now)
{
	bool same = (!before && !now) || (before && now && !strcmp(before, now));
	if (same) {
		put_uv(c, 0);
		return;
	}
	put_uv(c, 1);
	put_str(c, now);
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Index + 1 in prev of the guest with g's runtime and id, 0 if none. The
 * collector sorts guests, so the same index is tried first. */
static size_t find_prev(const struct sample *prev, size_t i, const struct guest_sample *g)
{
	if (!prev)
		return 0;
	if (i < prev->nguests && prev->guests[i].runtime == g->runtime &&
	    str_eq(prev->guests[i].id, g->id))
		return i + 1;
	for (size_t k = 0; k < prev->nguests; k++)
		if (prev->guests[k].runtime == g->runtime && str_eq(prev->guests[k].id, g->id))
			return k + 1;
	return 0;
}

/* A guest's named blocks: what is not a u64 field. A reader skips a
 * block it does not know (doc/record.md). */
static void put_block(struct sb *c, const char *name, const struct sb *payload)
{
	put_str(c, name);
	put_uv(c, payload->len);
	sb_add(c, payload->s ? payload->s : "", payload->len);
}

static void put_guest_blocks(struct sb *c, const struct guest_sample *g)
{
	struct sb b[4] = {{0}};
	const char *names[4] = {"strs", "net", "nics", "drives"};
	put_str(&b[0], g->node);
	put_str(&b[0], g->qga_note);
	put_uv(&b[1], (uint64_t)g->net);
	put_uv(&b[2], g->nnics);
	for (size_t i = 0; i < g->nnics; i++) {
		const struct nic_sample *n = &g->nics[i];
		put_str(&b[2], n->name);
		const uint64_t v[] = {n->ifindex, n->rx_bytes, n->tx_bytes, n->rx_packets,
				      n->tx_packets, n->drops, n->errors};
		for (size_t k = 0; k < ARRAY_SIZE(v); k++)
			put_uv(&b[2], code_of(v[k]));
	}
	put_uv(&b[3], g->drives ? g->ndrives + 1 : 0);
	for (size_t i = 0; g->drives && i < g->ndrives; i++) {
		const struct drive_sample *d = &g->drives[i];
		put_str(&b[3], d->name);
		const uint64_t v[] = {d->rd_bytes, d->wr_bytes, d->rd_ops, d->wr_ops, d->rd_time_ns,
				      d->wr_time_ns};
		for (size_t k = 0; k < ARRAY_SIZE(v); k++)
			put_uv(&b[3], code_of(v[k]));
	}
	put_uv(c, ARRAY_SIZE(b));
	for (size_t i = 0; i < ARRAY_SIZE(b); i++) {
		put_block(c, names[i], &b[i]);
		sb_free(&b[i]);
	}
}

void hist_chunk_add(struct sb *c, const struct sample *prev, const struct sample *s)
{
	const struct host_sample *h = &s->host, *ph = prev ? &prev->host : NULL;
	sb_addc(c, 'S');
	put_sv(c, (uint64_t)h->real_ms - (uint64_t)(ph ? ph->real_ms : 0));
	put_uv(c, h->ncpus);
	put_uv(c, s->cg_version);
	put_uv(c, (s->psi_guest ? 1u : 0u) | (s->delayacct ? 2u : 0u));
	put_uv(c, centi(h->load1));
	put_uv(c, centi(h->load5));
	put_uv(c, centi(h->load15));
	put_uv(c, centi(h->uptime_s));
	put_str_changed(c, ph ? ph->hostname : NULL, h->hostname);
	for (size_t i = 0; i < host_u64_nfields; i++) {
		const struct field *f = &host_u64_fields[i];
		uint64_t now = code_of(*field_ptr((void *)(uintptr_t)h, f));
		uint64_t before = ph ? code_of(*field_ptr((void *)(uintptr_t)ph, f)) : 0;
		put_sv(c, now - before);
	}
	put_uv(c, s->nguests);
	for (size_t i = 0; i < s->nguests; i++) {
		const struct guest_sample *g = &s->guests[i];
		size_t ref = find_prev(prev, i, g);
		const struct guest_sample *pg = ref ? &prev->guests[ref - 1] : NULL;
		put_uv(c, ref);
		if (!pg) {
			put_str(c, runtime_name(g->runtime));
			put_str(c, g->id);
			put_str(c, g->name);
			put_str(c, g->cgroup);
			put_str(c, g->helper_cg);
			put_str(c, g->note);
		} else {
			const char *before[] = {pg->name, pg->cgroup, pg->helper_cg, pg->note};
			const char *now[] = {g->name, g->cgroup, g->helper_cg, g->note};
			uint64_t mask = 0;
			for (unsigned k = 0; k < ARRAY_SIZE(now); k++)
				if (!str_eq(before[k], now[k]))
					mask |= 1u << k;
			put_uv(c, mask);
			for (unsigned k = 0; k < ARRAY_SIZE(now); k++)
				if (mask & (1u << k))
					put_str(c, now[k]);
		}
		put_uv(c, g->cpu_payload_v2);
		for (size_t k = 0; k < guest_u64_nfields; k++) {
			const struct field *f = &guest_u64_fields[k];
			uint64_t now = code_of(*field_ptr((void *)(uintptr_t)g, f));
			if (pg)
				put_sv(c, now - code_of(*field_ptr((void *)(uintptr_t)pg, f)));
			else
				put_uv(c, now);
		}
		put_guest_blocks(c, g);
	}
	put_str(c, s->focus);
	if (s->focus) {
		put_uv(c, s->nfprocs);
		for (size_t i = 0; i < s->nfprocs; i++) {
			const struct proc_sample *p = &s->fprocs[i];
			put_uv(c, (uint64_t)(unsigned)p->pid);
			put_uv(c, p->start);
			put_uv(c, code_of(p->cpu_ns));
			put_uv(c, code_of(p->rss));
			put_str(c, p->comm);
		}
	}
	put_uv(c, 0);   /* named per-sample blocks (none yet) */
}

/* The fields a chunk names, mapped to this vtax's tables (NULL: a field
 * this version does not know; its values are read and dropped). */
struct fmap {
	const struct field **host, **guest;
	size_t nh, ng;
};

static const struct field *field_named(const struct field *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

static int read_fields(struct rd *r, const struct field *t, size_t n,
		       const struct field ***out, size_t *nout)
{
	uint64_t cnt = get_uv(r);
	if (r->err || cnt > MAX_FIELDS) {
		r->err = r->err ? r->err : "too many fields";
		return -1;
	}
	*out = xcalloc(cnt + 1, sizeof(**out));
	*nout = (size_t)cnt;
	for (size_t i = 0; i < cnt; i++) {
		char *name = get_str(r);
		if (r->err || !name) {
			free(name);
			r->err = r->err ? r->err : "unnamed field";
			return -1;
		}
		(*out)[i] = field_named(t, n, name);
		free(name);
	}
	return 0;
}

static void skip_blocks(struct rd *r)
{
	uint64_t n = get_uv(r);
	for (uint64_t i = 0; i < n && !r->err; i++) {
		free(get_str(r));
		uint64_t len = get_uv(r);
		if (len > (uint64_t)(r->end - r->p))
			r->err = "bad block";
		else
			r->p += len;
	}
}

static double uncenti(uint64_t c)
{
	return c ? (double)(c - 1) / 100.0 : -1;
}

/* The blocks put_guest_blocks() writes; others are skipped. */
static void get_block(struct rd *r, const char *name, struct guest_sample *g)
{
	if (!strcmp(name, "strs")) {
		g->node = get_str(r);
		g->qga_note = get_str(r);
	} else if (!strcmp(name, "net")) {
		uint64_t v = get_uv(r);
		g->net = v <= NET_HOST ? (enum net_state)v : NET_UNKNOWN;
	} else if (!strcmp(name, "nics")) {
		uint64_t n = get_uv(r);
		if (n > 4096) {
			r->err = "bad nics block";
			return;
		}
		g->nics = xcalloc(n + 1, sizeof(*g->nics));
		for (uint64_t i = 0; i < n && !r->err; i++) {
			struct nic_sample *x = &g->nics[g->nnics++];
			char *nm = get_str(r);
			str_copy(x->name, sizeof(x->name), nm ? nm : "");
			free(nm);
			uint64_t *v[] = {&x->ifindex, &x->rx_bytes, &x->tx_bytes, &x->rx_packets,
					 &x->tx_packets, &x->drops, &x->errors};
			for (size_t k = 0; k < ARRAY_SIZE(v); k++)
				*v[k] = value_of(get_uv(r));
		}
	} else if (!strcmp(name, "drives")) {
		uint64_t n = get_uv(r);
		if (!n)
			return;
		if (n - 1 > DRIVE_MAX) {
			r->err = "bad drives block";
			return;
		}
		g->drives = xcalloc(n, sizeof(*g->drives));
		for (uint64_t i = 0; i + 1 < n && !r->err; i++) {
			struct drive_sample *x = &g->drives[g->ndrives++];
			char *nm = get_str(r);
			str_copy(x->name, sizeof(x->name), nm ? nm : "");
			free(nm);
			uint64_t *v[] = {&x->rd_bytes, &x->wr_bytes, &x->rd_ops, &x->wr_ops, &x->rd_time_ns,
					 &x->wr_time_ns};
			for (size_t k = 0; k < ARRAY_SIZE(v); k++)
				*v[k] = value_of(get_uv(r));
		}
	}
}

static void get_guest_blocks(struct rd *r, struct guest_sample *g)
{
	uint64_t n = get_uv(r);
	for (uint64_t i = 0; i < n && !r->err; i++) {
		char *name = get_str(r);
		uint64_t len = get_uv(r);
		if (r->err || len > (uint64_t)(r->end - r->p)) {
			r->err = "bad block";
			free(name);
			return;
		}
		struct rd sub = *r;
		sub.end = r->p + len;
		get_block(&sub, name ? name : "", g);
		if (sub.err)
			r->err = sub.err;
		r->p += len;
		free(name);
	}
}

static int decode_guest(struct rd *r, const struct fmap *m, const struct sample *prev,
			struct sample *s)
{
	uint64_t ref = get_uv(r);
	if (r->err)
		return -1;
	if (ref && (!prev || ref > prev->nguests)) {
		r->err = "bad guest reference";
		return -1;
	}
	const struct guest_sample *pg = ref ? &prev->guests[ref - 1] : NULL;
	struct guest_sample *g = sample_add_guest(s);
	if (!pg) {
		char *rt = get_str(r);
		int rtv = rt ? runtime_from_name(rt) : -1;
		free(rt);
		g->id = get_str(r);
		g->name = get_str(r);
		g->cgroup = get_str(r);
		g->helper_cg = get_str(r);
		g->note = get_str(r);
		if (!r->err && (rtv < 0 || !g->id))
			r->err = "guest without a known runtime or id";
		if (r->err)
			return -1;
		g->runtime = (enum runtime)rtv;
	} else {
		g->runtime = pg->runtime;
		g->id = xstrdup(pg->id);
		uint64_t mask = get_uv(r);
		const char *before[] = {pg->name, pg->cgroup, pg->helper_cg, pg->note};
		char **now[] = {&g->name, &g->cgroup, &g->helper_cg, &g->note};
		for (unsigned k = 0; k < ARRAY_SIZE(now) && !r->err; k++)
			*now[k] = mask & (1u << k) ? get_str(r) : before[k] ? xstrdup(before[k]) : NULL;
		if (r->err)
			return -1;
	}
	g->cpu_payload_v2 = get_uv(r) != 0;
	for (size_t k = 0; k < m->ng && !r->err; k++) {
		const struct field *f = m->guest[k];
		if (pg) {
			uint64_t d = get_sv(r);
			if (f)
				*field_ptr(g, f) = value_of(code_of(*field_ptr((void *)(uintptr_t)pg, f)) + d);
		} else {
			uint64_t c = get_uv(r);
			if (f)
				*field_ptr(g, f) = value_of(c);
		}
	}
	/* counts default to zero, not unknown, as in the JSON record */
	uint64_t *counts[] = {&g->nprocs, &g->main_pid, &g->h_count, &g->h_cpu_ns, &g->h_mem};
	for (size_t k = 0; k < ARRAY_SIZE(counts); k++)
		if (*counts[k] == VT_UNKNOWN)
			*counts[k] = 0;
	get_guest_blocks(r, g);
	return r->err ? -1 : 0;
}

static int decode_sample(struct rd *r, const struct fmap *m, const struct sample *prev,
			 struct sample *s)
{
	if (r->p >= r->end || *r->p != 'S') {
		r->err = "no sample mark";
		return -1;
	}
	r->p++;
	struct host_sample *h = &s->host;
	const struct host_sample *ph = prev ? &prev->host : NULL;
	host_sample_init(h);
	h->real_ms = (int64_t)((uint64_t)(ph ? ph->real_ms : 0) + get_sv(r));
	uint64_t ncpus = get_uv(r);
	h->ncpus = ncpus && ncpus <= 65536 ? (uint32_t)ncpus : 1;
	s->cg_version = (uint32_t)(get_uv(r) & 0xff);
	uint64_t flags = get_uv(r);
	s->psi_guest = flags & 1;
	s->delayacct = flags & 2;
	h->load1 = uncenti(get_uv(r));
	h->load5 = uncenti(get_uv(r));
	h->load15 = uncenti(get_uv(r));
	h->uptime_s = uncenti(get_uv(r));
	if (get_uv(r)) {
		char *hn = get_str(r);
		str_copy(h->hostname, sizeof(h->hostname), hn ? hn : "replay");
		free(hn);
	} else {
		str_copy(h->hostname, sizeof(h->hostname), ph ? ph->hostname : "replay");
	}
	for (size_t i = 0; i < m->nh && !r->err; i++) {
		const struct field *f = m->host[i];
		uint64_t d = get_sv(r);
		if (f)
			*field_ptr(h, f) = value_of((ph ? code_of(*field_ptr((void *)(uintptr_t)ph, f)) : 0) + d);
	}
	uint64_t n = get_uv(r);
	if (r->err || n > MAX_GUESTS || n > (uint64_t)(r->end - r->p)) {
		r->err = r->err ? r->err : "bad guest count";
		return -1;
	}
	for (uint64_t i = 0; i < n; i++)
		if (decode_guest(r, m, prev, s))
			return -1;
	s->focus = get_str(r);
	if (s->focus && !r->err) {
		uint64_t nf = get_uv(r);
		if (nf > FOCUS_MAX) {
			r->err = "too many processes";
			return -1;
		}
		s->fprocs = xcalloc(nf + 1, sizeof(*s->fprocs));
		for (uint64_t i = 0; i < nf && !r->err; i++) {
			struct proc_sample *p = &s->fprocs[s->nfprocs++];
			p->pid = (int)(get_uv(r) & INT_MAX);
			p->start = get_uv(r);
			p->cpu_ns = value_of(get_uv(r));
			p->rss = value_of(get_uv(r));
			char *comm = get_str(r);
			str_copy(p->comm, sizeof(p->comm), comm ? comm : "?");
			free(comm);
		}
	}
	skip_blocks(r);
	return r->err ? -1 : 0;
}

int hist_chunk_decode(const uint8_t *buf, size_t len, struct sample **out, size_t *n,
		      char **cause)
{
	struct rd r = {buf, buf + len, NULL};
	struct fmap m = {0};
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
	int rc = 0;
	if (r.err || read_fields(&r, host_u64_fields, host_u64_nfields, &m.host, &m.nh) ||
	    read_fields(&r, guest_u64_fields, guest_u64_nfields, &m.guest, &m.ng))
		rc = -1;
	while (!rc && r.p < r.end) {
		*out = xgrow(*out, *n, &cap, sizeof(**out), 16);
		struct sample *s = &(*out)[*n];
		memset(s, 0, sizeof(*s));
		if (decode_sample(&r, &m, *n ? &(*out)[*n - 1] : NULL, s)) {
			sample_free(s);
			rc = -1;
			break;
		}
		(*n)++;
	}
	if (rc)
		*cause = xasprintf("damaged chunk (%s after %zu samples)", r.err ? r.err : "?", *n);
	free(m.host);
	free(m.guest);
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
	void *zbuf;
	size_t zcap;
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

static void copy_sample(struct sample *dst, const struct sample *src)
{
	sample_clear(dst);
	dst->host = src->host;
	dst->cg_version = src->cg_version;
	dst->psi_guest = src->psi_guest;
	dst->delayacct = src->delayacct;
	for (size_t i = 0; i < src->nguests; i++) {
		const struct guest_sample *s = &src->guests[i];
		guest_sample_copy(sample_add_guest(dst), s);
	}
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

/* Compress the chunk and append it, meta frame first, with one write; on
 * a short write the file is cut back so nothing before it is harmed. */
static int write_chunk(struct hist_writer *w, char **cause)
{
	size_t bound = ZSTD_compressBound(w->chunk.len) + 8 + META_LEN;
	if (bound > w->zcap) {
		w->zbuf = xrealloc(w->zbuf, bound);
		w->zcap = bound;
	}
	uint8_t *z = w->zbuf;
	le32(z, META_MAGIC);
	le32(z + 4, META_LEN);
	memcpy(z + 8, "VTXI", 4);
	le32(z + 12, HIST_FORMAT);
	le64(z + 16, (uint64_t)w->first_ms);
	le64(z + 24, (uint64_t)w->last_ms);
	le32(z + 32, (uint32_t)w->nsamples);
	size_t zn = ZSTD_compress2(w->cctx, z + 8 + META_LEN, bound - 8 - META_LEN, w->chunk.s,
				   w->chunk.len);
	if (ZSTD_isError(zn)) {
		*cause = xasprintf("cannot compress a history chunk: %s", ZSTD_getErrorName(zn));
		return -1;
	}
	le32(z + 36, (uint32_t)zn);
	size_t total = zn + 8 + META_LEN;
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
	copy_sample(&w->prev, s);
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
	free(w->zbuf);
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
		copy_sample(s, src);
		s->focus = src->focus ? xstrdup(src->focus) : NULL;
		if (src->nfprocs) {
			s->fprocs = xcalloc(src->nfprocs, sizeof(*s->fprocs));
			memcpy(s->fprocs, src->fprocs, src->nfprocs * sizeof(*s->fprocs));
			s->nfprocs = src->nfprocs;
		}
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
