/* Views that produce text: the batch/snapshot text frame and the JSON
 * frame. Both append to a caller-owned sb. */
#ifndef VTAX_RENDER_H
#define VTAX_RENDER_H

#include <stdbool.h>

#include "columns.h"
#include "model.h"
#include "util.h"
#include "view.h"

/* Batch text: the header lines (host summary) and the guest table,
 * laid out by the screen's table code at natural widths. */
void render_text(struct sb *out, const struct frame *f, const struct ui *u);

/* The header lines alone; the screen draws the same text. */
void render_header_lines(struct sb *out, const struct frame *f);

/* One JSON object (no trailing newline), schema in doc/json.md. */
void render_json(struct sb *out, const struct frame *f);

#endif
