/* The parts view_build() composes a screen from, one file each:
 * view-header.c, view-table.c, view-detail.c and view-help.c. */
#ifndef VTAX_VIEW_PARTS_H
#define VTAX_VIEW_PARTS_H

#include "lines.h"
#include "view.h"

/* One segment of a bar: its share and how it is drawn. */
struct seg {
	double v;            /* share, 0..100 */
	enum vattr a;
	const char *uch;     /* bar character, Unicode */
	const char *ach;     /* bar character, ASCII */
	const char *label;
};
/* A bar of n segments in `cols` columns; each segment its own character. */
void bar(struct lb *b, const struct seg *s, int n, int cols, bool ascii);
/* The segments' labels with their values (bytes: raw[] as sizes). */
void legend(struct lb *b, const struct seg *s, int n, bool ascii, bool bytes, const uint64_t *raw);

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

#define DETAIL_LINES 11
void detail(struct vscreen *vs, const struct frame *f, const struct guest_view *v,
	    const struct ui *u, const struct history *h, int width);

void help(struct vscreen *vs, const struct ui *u, int width, int height);
void picker(struct vscreen *vs, const struct ui *u, int width, int height);
void footer(struct vscreen *vs, const struct ui *u, int width);

#endif
