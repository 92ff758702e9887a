/* One driver for every output: a source of samples (the live host or a
 * replay file) and the one frame step (sample, record, model, sort,
 * history) that batch text, JSON and the screen all run. */
#ifndef VTAX_DRIVER_H
#define VTAX_DRIVER_H

#include <stdbool.h>
#include <stdio.h>

#include "capsule.h"
#include "collect.h"
#include "columns.h"
#include "histfile.h"
#include "history.h"
#include "model.h"
#include "sample.h"
#include "util.h"

/* Where samples come from. next() fills s and returns 1, 0 at the end,
 * -1 with *cause (caller frees) on failure. */
struct source {
	int (*next)(struct source *src, struct sample *s, char **cause);
	/* which guest's processes to read ("runtime/id"), NULL for none */
	void (*focus)(struct source *src, const char *key);
	void (*free)(struct source *src);
	/* the sample to compute rates against, when the source keeps its own
	 * (a cluster view: each node's previous sample); NULL: the one before */
	const struct sample *(*prev)(struct source *src);
	/* the last sample's frame is out and another sample will be taken:
	 * work only the next one needs (NULL: none) */
	void (*settle)(struct source *src);
	bool replay;              /* a file, not the live host: failures exit 2 */
};

/* NULL with *cause (caller frees) when it cannot be opened. */
struct source *source_live(const struct collect_opts *o, char **cause);
struct source *source_replay(const char *path, char **cause);
/* Replay of the compact history (directories or day files) or of JSON
 * Lines records, whichever paths holds, within [since_ms, until_ms]. */
struct source *source_history(const char *const *paths, size_t n, int64_t since_ms,
			      int64_t until_ms, char **cause);
/* The history reader of a source_history() over compact files (for
 * stepping through time), else NULL. Owned by the source. */
struct hist_reader *source_hist_reader(struct source *src);
void source_free(struct source *src);

/* Cluster views (remote.c): samples whose guests carry their node. */
struct remote_opts {
	uint64_t delay_ns;         /* how often a node is asked */
	const char *auth_file;     /* "user:password", or NULL */
};
/* list: "HOST:PORT,..." (http:// or https:// may lead an entry), or
 * "pve[:PORT]" for every node of /etc/pve/.members; each node's --serve. */
struct source *source_remote(const char *list, const struct remote_opts *o, char **cause);
/* url: a Prometheus server scraping vtax --serve on each node. */
struct source *source_prometheus(const char *url, const struct remote_opts *o, char **cause);

/* An output beside the views, handed every new frame (the exporters).
 * frame() runs in the refresh loop and must not block; notice() returns
 * a message for the user (caller frees) or NULL. */
struct output {
	void (*frame)(struct output *o, const struct frame *f);
	char *(*notice)(struct output *o);
	void (*free)(struct output *o);
	struct output *next;
};

struct pipeline {
	struct source *src;        /* not owned */
	FILE *rec;                 /* --record file, or NULL; not owned */
	const char *rec_path;
	struct sb recbuf;
	struct sample a, b;
	struct sample *cur;        /* the newest sample (a or b) */
	bool have_frame;
	struct frame f;            /* of cur and the sample before it */
	struct history hist;
	bool rec_failed;           /* the last failure was the record file's */
	struct output *outputs;    /* owned */
	struct hist_writer *hw;    /* --record DIR, or NULL; not owned */
	struct capsule *cap;       /* the last minutes' samples, or NULL; not owned */
};

void pipeline_init(struct pipeline *p, struct source *src, FILE *rec, const char *rec_path);
/* Take the next sample, record it, keep it in the capsule, compute and
 * sort its frame and add it to the history. Returns 1, 0 at the end of a
 * replay, -1 with *cause (caller frees). At 0 or -1 the last frame stays. */
int pipeline_step(struct pipeline *p, enum col_id sort, bool desc, char **cause);
/* Go to position pos of a history source and show the sample there (its
 * rates from the one before it); the sparklines are refilled with up to
 * HIST_N frames before it, and the capsule with the samples of its span
 * before it. Returns 1, or 0 when the source cannot seek. */
int pipeline_seek(struct pipeline *p, size_t pos, enum col_id sort, bool desc, char **cause);
/* Position of the shown sample in a history source and the count of
 * them, or 0 when the source cannot seek. */
int pipeline_where(struct pipeline *p, size_t *pos, size_t *count);
/* Sort the current frame again. */
void pipeline_sort(struct pipeline *p, enum col_id sort, bool desc);
/* The guest ("runtime/id") whose processes the next sample should carry. */
void pipeline_focus(struct pipeline *p, const char *key);
/* Call once the frame is out when another step will follow: the source
 * reads what only the next frame needs (collector_settle). */
void pipeline_settle(struct pipeline *p);
/* Hand every new frame to o too, after the sort; p owns o from now on.
 * Outputs' notices join the sample's notice. */
void pipeline_add_output(struct pipeline *p, struct output *o);
void pipeline_free(struct pipeline *p);

#endif
