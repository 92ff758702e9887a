/* The capsule: the samples of the last minutes, kept in memory as packed
 * history chunks (the compact history's codec), so that a snapshot (the s
 * key, SIGUSR1) can carry what led up to it as one history file that
 * --replay and vtax report read on any machine. doc/record.md. */
#ifndef VTAX_CAPSULE_H
#define VTAX_CAPSULE_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"
#include "util.h"

#define CAPSULE_MINUTES 10       /* the default of --capsule-minutes */
/* How long a chunk stays open, raw: at half a minute the capsule of 100
 * guests for 10 minutes at 2 s peaked at 1.81 MB of heap, about 0.3 MB
 * less than at a minute (the raw chunk is four times its packed size);
 * the file is as small either way (make record-bench). */
#define CAPSULE_CHUNK_MS 30000
/* A sample less than this after the newest kept one is not kept (a
 * refresh faster than a second keeps about one a second); 0.9 s, so
 * that -d 1 keeps every one despite the timer's jitter. */
#define CAPSULE_STEP_MS 900

struct capsule;

/* Past this much packed history the oldest chunks go even inside the
 * span: a short interval with many guests keeps fewer minutes, never
 * more memory than this and one chunk. */
#define CAPSULE_MAX_BYTES (32u << 20)

/* A capsule keeping at least the last minutes of samples (and at most one
 * chunk more, and CAPSULE_MAX_BYTES); chunk_ms: how long a chunk stays
 * open (0: CAPSULE_CHUNK_MS). minutes <= 0: NULL (no capsule; every
 * function below accepts NULL). */
struct capsule *capsule_new(double minutes, int64_t chunk_ms);
/* Keep samples at least step_ms apart (default CAPSULE_STEP_MS; 0 every
 * one: the tests' VTAX_CAPSULE_STEP_MS). */
void capsule_set_step(struct capsule *c, int64_t step_ms);
/* How far back it keeps, ms (0 for NULL). */
int64_t capsule_span_ms(const struct capsule *c);
/* Keep s (copied). A sample not after the newest one (a replay sent
 * back in time) starts the capsule again from it. */
void capsule_add(struct capsule *c, const struct sample *s);
/* Samples held, and the times of the first and last (ms; 0 if none). */
size_t capsule_samples(const struct capsule *c, int64_t *first_ms, int64_t *last_ms);
/* Bytes of memory it holds: the packed chunks, the open chunk's buffer,
 * the previous sample its deltas are taken against. */
size_t capsule_memory(const struct capsule *c);
/* Append the whole capsule to out in the compact history's day-file
 * format: the packed chunks, then the open one packed. 0, or -1 with
 * *cause (caller frees); out is then as it was. */
int capsule_pack(const struct capsule *c, struct sb *out, char **cause);
void capsule_free(struct capsule *c);

#endif
