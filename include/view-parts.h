/* The parts the screen (view.c) and batch text (render.c) are composed
 * from, one file each: view-header.c, view-table.c, view-detail.c and
 * view-help.c. Each appends its lines to a vscreen. */
#ifndef VTAX_VIEW_PARTS_H
#define VTAX_VIEW_PARTS_H

#include <stdbool.h>
#include <stddef.h>

#include "history.h"
#include "model.h"
#include "ui.h"
#include "vscreen.h"

/* Title, CPU and MEM bars and the summary line. */
void header(struct vscreen *vs, const struct frame *f, const struct ui *u, int width);

/* Whether a guest passes the filter and the view mode. */
bool passes(const struct guest_view *v, const struct ui *u);
/* Column positions into vs->col_x/col_w: fitted to width columns, or
 * at natural widths when width is 0. Returns the line width. */
int layout(struct vscreen *vs, const struct frame *f, const struct ui *u, int width);
/* arrows: mark the sort column (the screen; batch text does not) */
void table_header(struct vscreen *vs, const struct ui *u, int width, bool arrows);
void table_row(struct vscreen *vs, const struct guest_view *v, bool selected, int width);
/* The guest table alone, every guest in frame order, the columns at
 * their natural widths: the table of batch text, laid out by the same
 * code as the screen's. */
void view_table_text(struct vscreen *vs, const struct frame *f, const struct ui *u);

#define DETAIL_LINES 14
void detail(struct vscreen *vs, const struct frame *f, const struct guest_view *v,
	    const struct ui *u, const struct history *h, int width);
/* Batch text's I/O block: a line per guest that has interfaces or disk
 * figures (none when no guest has). */
void view_io_lines(struct vscreen *vs, const struct frame *f);

/* The blame view: header lines, then the ranking over BLAME_WINDOW_S. */
#define BLAME_WINDOW_S 60.0
void blame(struct vscreen *vs, const struct frame *f, const struct history *h, int width,
	   int height);

void help(struct vscreen *vs, const struct ui *u, int width, int height);
void picker(struct vscreen *vs, const struct ui *u, int width, int height);
void footer(struct vscreen *vs, const struct ui *u, int width);

#endif
