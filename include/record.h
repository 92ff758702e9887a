/* Record and replay raw samples as versioned JSON Lines (doc/record.md).
 * A record holds counters, not rates, so replay runs the same model and
 * views as live. */
#ifndef VTAX_RECORD_H
#define VTAX_RECORD_H

#include <stdio.h>

#include "sample.h"
#include "util.h"

#define RECORD_VERSION 2
/* The oldest version still replayed (1: no "nics"). */
#define RECORD_VERSION_MIN 1

/* Append one sample as one JSON line to out. */
void record_sample(struct sb *out, const struct sample *s);

struct replay;

/* Open a record file; NULL with *cause set (caller frees) on failure. */
struct replay *replay_open(const char *path, char **cause);
void replay_close(struct replay *r);

/* Next sample into s. Returns 1, 0 at the end, -1 with *cause set on a
 * bad line (unknown version, malformed). A last line cut short (vtax
 * killed while recording) ends the file with *cause set to a notice. */
int replay_next(struct replay *r, struct sample *s, char **cause);

/* Parse one record line (exposed for tests and fuzzing). */
int record_parse_line(const char *line, struct sample *s, char **cause);

#endif
