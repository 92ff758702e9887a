/* Sources of samples and the one frame step every output runs. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	ls->base = (struct source){.next = live_next, .focus = live_focus, .free = live_free};
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
