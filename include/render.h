/* Views that produce text: the batch/snapshot text frame and the JSON
 * frame. Both append to a caller-owned sb. */
#ifndef VTAX_RENDER_H
#define VTAX_RENDER_H

#include <stdbool.h>

#include "columns.h"
#include "model.h"
#include "util.h"

struct render_opts {
	enum col_id sort;
	bool desc;
	bool cols[COL_COUNT];     /* shown columns */
	int width;                /* 0: natural widths (batch), else fit to width */
};

void render_opts_default(struct render_opts *o);

/* Header lines (host summary) and the guest table, as batch mode and the
 * snapshot file print them. */
void render_text(struct sb *out, const struct frame *f, const struct render_opts *o);

/* The header lines alone; the screen draws the same text. */
void render_header_lines(struct sb *out, const struct frame *f);

/* One JSON object (no trailing newline), schema in doc/json.md. */
void render_json(struct sb *out, const struct frame *f);

#endif
