/* The compact history: raw samples in one zstd-compressed file per day,
 * a chunk (keyframe then deltas, driven by the sample schema) per
 * zstd frame, each closed within a minute (doc/record.md, version 2). */
#ifndef VTAX_HISTFILE_H
#define VTAX_HISTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"
#include "util.h"

#define HIST_FORMAT 1
#define HIST_CHUNK_MS 60000      /* a chunk reaches the disk within this */

/* ---- codec (pure; exposed for the unit tests and the fuzzer) ---------- */

/* Start a chunk: its header names the fields it carries. */
void hist_chunk_begin(struct sb *c);
/* Append s; prev is the chunk's previous sample, NULL for the first. */
void hist_chunk_add(struct sb *c, const struct sample *prev, const struct sample *s);
/* Decode a whole chunk into *out (n samples, caller frees each with
 * sample_free() and the array with free()). Returns 0, or -1 with *cause
 * (caller frees); samples decoded before the fault are kept. */
int hist_chunk_decode(const uint8_t *buf, size_t len, struct sample **out, size_t *n,
		      char **cause);

/* Append raw (a chunk from hist_chunk_begin/add: n samples from first_ms
 * to last_ms) to out as it lies in a day file: its meta frame, then one
 * checksummed zstd frame. cctx: a ZSTD_CCtx to reuse, or NULL for one of
 * its own at level (0: 9) freed before it returns. 0, or -1 with *cause. */
int hist_chunk_pack(struct sb *out, const struct sb *raw, int64_t first_ms, int64_t last_ms,
		    size_t n, void *cctx, int level, char **cause);

/* ---- the recorder ------------------------------------------------------- */

struct hist_writer_opts {
	const char *dir;
	unsigned keep_days;        /* 0: keep every day */
	uint64_t keep_bytes;       /* 0: no size limit */
	int64_t chunk_ms;          /* 0: HIST_CHUNK_MS */
	int level;                 /* zstd level, 0: default */
};

struct hist_writer;
struct hist_writer *hist_writer_new(const struct hist_writer_opts *o);
/* Add a sample; writes a chunk when one is due. Returns 0, or -1 with
 * *cause (caller frees) when a chunk could not be written: the recorder
 * goes on and tries again with the next chunk. */
int hist_writer_add(struct hist_writer *w, const struct sample *s, char **cause);
/* Write the open chunk now (at exit). */
int hist_writer_flush(struct hist_writer *w, char **cause);
void hist_writer_free(struct hist_writer *w);

/* "vtax-YYYY-MM-DD.zst" of a time (local date) into buf. */
void hist_day_name(int64_t real_ms, char *buf, size_t sz);

/* ---- the reader ---------------------------------------------------------- */

/* Whether path is a directory or a file in the compact format. */
bool hist_is_compact(const char *path);

struct hist_reader;
/* Every chunk of the paths (directories: their day files) overlapping
 * [since_ms, until_ms] (INT64_MIN / INT64_MAX: open). NULL with *cause. */
struct hist_reader *hist_open(const char *const *paths, size_t npaths, int64_t since_ms,
			      int64_t until_ms, char **cause);
void hist_close(struct hist_reader *r);
/* The next sample in the period: 1, 0 at the end, -1 with *cause. What
 * was skipped (damaged chunks) is told once through s->notice. */
int hist_next(struct hist_reader *r, struct sample *s, char **cause);
/* Positions count the samples of the chunks in the period. */
size_t hist_count(const struct hist_reader *r);
size_t hist_tell(const struct hist_reader *r);   /* of the next sample */
void hist_seek(struct hist_reader *r, size_t pos);
/* The first position whose sample is at or after ms (hist_count() when
 * none). */
size_t hist_find_time(struct hist_reader *r, int64_t ms);
/* Time of the first and the last chunk, ms. */
void hist_span(const struct hist_reader *r, int64_t *first, int64_t *last);
/* Bytes the reader passed over as damaged, and chunks it could not read. */
void hist_skipped(const struct hist_reader *r, uint64_t *bytes, size_t *chunks);

#endif
