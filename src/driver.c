/* Sources of samples and the one frame step every output runs. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver.h"
#include "record.h"

struct live_source {
	struct source base;
	struct collector *col;
};

static int live_next(struct source *src, struct sample *s, char **cause)
{
	struct live_source *ls = (struct live_source *)src;
	int err = collector_sample(ls->col, s);
	if (err) {
		*cause = xasprintf("cannot read the host: %s", strerror(-err));
		return -1;
	}
	return 1;
}

static void live_focus(struct source *src, const char *key)
{
	collector_set_focus(((struct live_source *)src)->col, key);
}

static void live_settle(struct source *src)
{
	collector_settle(((struct live_source *)src)->col);
}

static void live_free(struct source *src)
{
	collector_free(((struct live_source *)src)->col);
	free(src);
}

struct source *source_live(const struct collect_opts *o, char **cause)
{
	struct collector *col = collector_new(o, cause);
	if (!col)
		return NULL;
	struct live_source *ls = xcalloc(1, sizeof(*ls));
	ls->base = (struct source){.next = live_next, .focus = live_focus, .settle = live_settle,
				   .free = live_free};
	ls->col = col;
	return &ls->base;
}

struct replay_source {
	struct source base;
	struct replay *rp;
};

static int replay_src_next(struct source *src, struct sample *s, char **cause)
{
	return replay_next(((struct replay_source *)src)->rp, s, cause);
}

static void replay_src_free(struct source *src)
{
	replay_close(((struct replay_source *)src)->rp);
	free(src);
}

struct source *source_replay(const char *path, char **cause)
{
	struct replay *rp = replay_open(path, cause);
	if (!rp)
		return NULL;
	struct replay_source *rs = xcalloc(1, sizeof(*rs));
	rs->base = (struct source){.next = replay_src_next, .free = replay_src_free, .replay = true};
	rs->rp = rp;
	return &rs->base;
}

struct hist_source {
	struct source base;
	struct hist_reader *hr;
};

static int hist_src_next(struct source *src, struct sample *s, char **cause)
{
	return hist_next(((struct hist_source *)src)->hr, s, cause);
}

static void hist_src_free(struct source *src)
{
	hist_close(((struct hist_source *)src)->hr);
	free(src);
}

/* A JSON Lines record read whole, kept in the period. */
struct lines_source {
	struct source base;
	struct replay *rp;
	int64_t since, until;
};

static int lines_next(struct source *src, struct sample *s, char **cause)
{
	struct lines_source *ls = (struct lines_source *)src;
	for (;;) {
		int r = replay_next(ls->rp, s, cause);
		if (r <= 0 || (s->host.real_ms >= ls->since && s->host.real_ms <= ls->until))
			return r;
	}
}

static void lines_free(struct source *src)
{
	replay_close(((struct lines_source *)src)->rp);
	free(src);
}

/* A local time for a message: "2026-11-18 11:06:44". */
static void when_str(int64_t ms, char *buf, size_t sz)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, sz, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The one answer to a period that holds no sample, for every output
 * (batch, JSON, the screen, vtax report): the period asked and the span
 * the recording covers (first > last: it holds no sample at all). */
static char *empty_period(int64_t since, int64_t until, int64_t first, int64_t last)
{
	char a[32] = "its start", b[32] = "its end", f[32], l[32];
	if (since != INT64_MIN)
		when_str(since, a, sizeof(a));
	if (until != INT64_MAX)
		when_str(until, b, sizeof(b));
	struct sb m = {0};
	sb_printf(&m, "no sample from %s to %s: ", a, b);
	if (first > last) {
		sb_adds(&m, "the recording holds none");
	} else {
		when_str(first, f, sizeof(f));
		when_str(last, l, sizeof(l));
		sb_printf(&m, "the recording covers %s to %s", f, l);
	}
	return m.s;
}

/* Whether a JSON Lines record has a sample in the period; its span in
 * *first, *last. */
static bool lines_in_period(const char *path, int64_t since, int64_t until, int64_t *first,
			    int64_t *last)
{
	*first = INT64_MAX, *last = INT64_MIN;
	struct replay *rp = replay_open(path, NULL);
	if (!rp)
		return true;    /* the real open says why */
	struct sample s = {0};
	bool in = false;
	char *cause = NULL;
	while (replay_next(rp, &s, &cause) > 0) {
		int64_t t = s.host.real_ms;
		*first = t < *first ? t : *first;
		*last = t > *last ? t : *last;
		in |= t >= since && t <= until;
	}
	free(cause);
	sample_free(&s);
	replay_close(rp);
	return in;
}

/* A history reader that holds no sample of the period: the message. */
static char *hist_empty(const char *const *paths, size_t n, int64_t since, int64_t until)
{
	char *cause = NULL;
	struct hist_reader *all = hist_open(paths, n, INT64_MIN, INT64_MAX, &cause);
	free(cause);
	int64_t first = 1, last = 0;
	if (all && hist_count(all))
		hist_span(all, &first, &last);
	hist_close(all);
	return empty_period(since, until, first, last);
}

struct source *source_history(const char *const *paths, size_t n, int64_t since_ms,
			      int64_t until_ms, char **cause)
{
	bool compact = false;
	for (size_t i = 0; i < n; i++)
		compact |= hist_is_compact(paths[i]);
	if (!compact && n == 1 && since_ms == INT64_MIN && until_ms == INT64_MAX)
		return source_replay(paths[0], cause);
	if (!compact) {
		if (n != 1) {
			*cause = xstrdup("JSON Lines records replay one at a time");
			return NULL;
		}
		int64_t first, last;
		if (!lines_in_period(paths[0], since_ms, until_ms, &first, &last)) {
			*cause = empty_period(since_ms, until_ms, first, last);
			return NULL;
		}
		struct replay *rp = replay_open(paths[0], cause);
		if (!rp)
			return NULL;
		struct lines_source *ls = xcalloc(1, sizeof(*ls));
		ls->base = (struct source){.next = lines_next, .free = lines_free, .replay = true};
		ls->rp = rp;
		ls->since = since_ms;
		ls->until = until_ms;
		return &ls->base;
	}
	struct hist_reader *hr = hist_open(paths, n, since_ms, until_ms, cause);
	if (!hr)
		return NULL;
	if (!hist_count(hr)) {
		hist_close(hr);
		*cause = hist_empty(paths, n, since_ms, until_ms);
		return NULL;
	}
	struct hist_source *hs = xcalloc(1, sizeof(*hs));
	hs->base = (struct source){.next = hist_src_next, .free = hist_src_free, .replay = true};
	hs->hr = hr;
	return &hs->base;
}

struct hist_reader *source_hist_reader(struct source *src)
{
	return src && src->next == hist_src_next ? ((struct hist_source *)src)->hr : NULL;
}

void source_free(struct source *src)
{
	if (src)
		src->free(src);
}

void pipeline_init(struct pipeline *p, struct source *src, FILE *rec, const char *rec_path)
{
	memset(p, 0, sizeof(*p));
	p->src = src;
	p->rec = rec;
	p->rec_path = rec_path;
	p->cur = &p->a;
}

static int record(struct pipeline *p, const struct sample *s, char **cause)
{
	sb_clear(&p->recbuf);
	record_sample(&p->recbuf, s);
	if (fwrite(p->recbuf.s, 1, p->recbuf.len, p->rec) != p->recbuf.len || fflush(p->rec)) {
		*cause = xasprintf("cannot write %s: %s", p->rec_path, strerror(errno));
		p->rec_failed = true;
		return -1;
	}
	return 0;
}

int pipeline_step(struct pipeline *p, enum col_id sort, bool desc, char **cause)
{
	struct sample *next = p->have_frame && p->cur == &p->a ? &p->b : &p->a;
	*cause = NULL;
	p->rec_failed = false;
	int r = p->src->next(p->src, next, cause);
	if (r <= 0)
		return r;
	if (p->rec && record(p, next, cause))
		return -1;
	if (p->hw) {
		/* a history that cannot be written is a notice, not the end */
		char *why = NULL;
		if (hist_writer_add(p->hw, next, &why) && why) {
			char *both = next->notice ? xasprintf("%s; %s", next->notice, why) : why;
			if (both != why)
				free(why);
			free(next->notice);
			next->notice = both;
		}
	}
	capsule_add(p->cap, next);
	const struct sample *prev = p->src->prev ? p->src->prev(p->src)
			       : p->have_frame ? p->cur : NULL;
	frame_free(&p->f);
	model_compute(prev, next, &p->f);
	p->cur = next;
	p->have_frame = true;
	columns_sort(&p->f, sort, desc);
	history_update(&p->hist, &p->f);
	for (struct output *o = p->outputs; o; o = o->next) {
		o->frame(o, &p->f);
		char *n = o->notice ? o->notice(o) : NULL;
		if (!n)
			continue;
		if (next->notice) {
			char *both = xasprintf("%s; %s", next->notice, n);
			free(n);
			n = both;
		}
		free(next->notice);
		next->notice = n;
	}
	return 1;
}

void pipeline_add_output(struct pipeline *p, struct output *o)
{
	o->next = p->outputs;
	p->outputs = o;
}

int pipeline_where(struct pipeline *p, size_t *pos, size_t *count)
{
	struct hist_reader *hr = source_hist_reader(p->src);
	if (!hr)
		return 0;
	size_t t = hist_tell(hr);
	*pos = t ? t - 1 : 0;
	*count = hist_count(hr);
	return 1;
}

/* A jump in time: the capsule holds what came before the target, the
 * samples of its span up to the first one the seek replays (from). */
static void refill_capsule(struct pipeline *p, struct hist_reader *hr, size_t pos, size_t from)
{
	struct sample s = {0};
	char *why = NULL;
	hist_seek(hr, pos);
	if (hist_next(hr, &s, &why) == 1) {
		size_t start = hist_find_time(hr, s.host.real_ms - capsule_span_ms(p->cap));
		hist_seek(hr, start);
		while (hist_tell(hr) < from && hist_next(hr, &s, &why) == 1)
			capsule_add(p->cap, &s);
	}
	free(why);
	sample_free(&s);
}

int pipeline_seek(struct pipeline *p, size_t pos, enum col_id sort, bool desc, char **cause)
{
	struct hist_reader *hr = source_hist_reader(p->src);
	*cause = NULL;
	if (!hr)
		return 0;
	size_t n = hist_count(hr);
	if (pos >= n)
		pos = n ? n - 1 : 0;
	size_t from = pos > HIST_N ? pos - HIST_N : 0;
	/* replay from a little before: rates and sparklines as they were */
	history_free(&p->hist);
	memset(&p->hist, 0, sizeof(p->hist));
	p->have_frame = false;
	if (p->cap)
		refill_capsule(p, hr, pos, from);
	hist_seek(hr, from);
	struct hist_writer *hw = p->hw;
	p->hw = NULL;   /* what is replayed is not recorded again */
	int r = 0;
	while (hist_tell(hr) <= pos) {
		int k = pipeline_step(p, sort, desc, cause);
		if (k <= 0)
			break;
		r = 1;
	}
	p->hw = hw;
	return r;
}

void pipeline_sort(struct pipeline *p, enum col_id sort, bool desc)
{
	if (p->have_frame)
		columns_sort(&p->f, sort, desc);
}

void pipeline_focus(struct pipeline *p, const char *key)
{
	if (p->src->focus)
		p->src->focus(p->src, key);
}

void pipeline_settle(struct pipeline *p)
{
	if (p->src->settle)
		p->src->settle(p->src);
}

void pipeline_free(struct pipeline *p)
{
	while (p->outputs) {
		struct output *o = p->outputs;
		p->outputs = o->next;
		o->free(o);
	}
	frame_free(&p->f);
	history_free(&p->hist);
	sample_free(&p->a);
	sample_free(&p->b);
	sb_free(&p->recbuf);
}
