/* The guest table: which rows pass the filter, column layout, header
 * and rows. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lines.h"
#include "view.h"
#include "view-parts.h"

bool passes(const struct guest_view *v, const struct ui *u)
{
	if (u->mode == MODE_VMS && v->kind != KIND_VM)
		return false;
	if (u->mode == MODE_CTS && v->kind != KIND_CT)
		return false;
	if (!u->filter[0])
		return true;
	const char *name = v->g->name ? v->g->name : "";
	return strcasestr(name, u->filter) || strcasestr(v->g->id, u->filter) ||
	       strcasestr(runtime_name(v->g->runtime), u->filter) ||
	       strcasestr(runtime_short(v->g->runtime), u->filter);
}

size_t view_rows(const struct frame *f, const struct ui *u, size_t **idx)
{
	size_t *r = xmalloc((f->n + 1) * sizeof(*r));
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		if (passes(&f->guests[i], u))
			r[n++] = i;
	*idx = r;
	return n;
}

/* Widest cell of a text column over the frame, up to cap. */
static int text_cells(enum col_id c, const struct frame *f, int w, int cap)
{
	for (size_t i = 0; i < f->n; i++) {
		char cell[512];
		column_cell(c, &f->guests[i], cell, sizeof(cell), 0);
		int n = text_width(cell);
		if (n > cap)
			n = cap;
		if (n > w)
			w = n;
	}
	return w;
}

/* Natural widths (batch text): every column as wide as its title, its
 * width and (text) its widest cell, ID up to 12 and NAME up to 32.
 * Returns the line width. */
static int layout_natural(struct vscreen *vs, const struct frame *f, const struct ui *u)
{
	int x = 0;
	for (int c = 0; c < COL_COUNT; c++) {
		vs->col_x[c] = -1;
		vs->col_w[c] = 0;
		if (!u->cols[c])
			continue;
		int w = text_width(columns[c].title);
		if (w < columns[c].width)
			w = columns[c].width;
		if (columns[c].unit == UNIT_TEXT)
			w = text_cells((enum col_id)c, f, w, c == COL_ID ? 12 : c == COL_NAME ? 32 : 1 << 20);
		vs->col_x[c] = x;
		vs->col_w[c] = w;
		x += w + 1;
	}
	return x > 0 ? x - 1 : 0;
}

/* Fitted to width: ID as wide as the longest id, up to 12 (8 on a narrow
 * screen); NAME takes the room the others leave, 8 to 40; what does not
 * fit is left out, not wrapped. */
static void layout_fit(struct vscreen *vs, const struct frame *f, const struct ui *u, int width)
{
	int idw = text_cells(COL_ID, f, columns[COL_ID].width, width < 100 ? 8 : 12);
	int fixed = 0;
	for (int c = 0; c < COL_COUNT; c++) {
		vs->col_x[c] = -1;
		vs->col_w[c] = 0;
		if (!u->cols[c] || c == COL_NAME)
			continue;
		fixed += (c == COL_ID ? idw : columns[c].width) + 1;
	}
	int namew = u->cols[COL_NAME] ? width - fixed - 1 : 0;
	if (namew > 40)
		namew = 40;
	if (u->cols[COL_NAME] && namew < 8)
		namew = 8;
	int x = 0;
	for (int c = 0; c < COL_COUNT; c++) {
		if (!u->cols[c])
			continue;
		int w = c == COL_NAME ? namew : c == COL_ID ? idw : columns[c].width;
		if (x + w > width)
			break;
		vs->col_x[c] = x;
		vs->col_w[c] = w;
		x += w + 1;
	}
}

int layout(struct vscreen *vs, const struct frame *f, const struct ui *u, int width)
{
	if (!width)
		return layout_natural(vs, f, u);
	layout_fit(vs, f, u, width);
	return width;
}

void table_header(struct vscreen *vs, const struct ui *u, int width, bool arrows)
{
	struct lb b;
	lb_new(vs, width, &b);
	for (int c = 0; c < COL_COUNT; c++) {
		if (vs->col_x[c] < 0)
			continue;
		b.x = vs->col_x[c];
		const char *arrow = u->ascii ? (u->desc ? "v" : "^") : (u->desc ? "\xe2\x96\xbe" : "\xe2\x96\xb4");
		bool sorted = (enum col_id)c == u->sort;
		enum vattr a = sorted ? VA_SORTED : VA_HEADER;
		int tl = text_width(columns[c].title);
		if (columns[c].left) {
			lb_put(&b, columns[c].title, a);
			if (sorted && arrows)
				lb_put(&b, arrow, a);
		} else {
			/* right-aligned: the arrow goes into the gap on the left */
			if (tl < vs->col_w[c])
				b.x += vs->col_w[c] - tl;
			if (sorted && arrows && b.x > 0) {
				b.x--;
				lb_put(&b, arrow, a);
			}
			lb_put(&b, columns[c].title, a);
		}
	}
	for (int i = 0; i < width; i++)
		if (b.attr[i] == VA_NORMAL)
			b.attr[i] = VA_HEADER;
	vs->header_row = vs->n;
	lb_finish(vs, &b);
}

void table_row(struct vscreen *vs, const struct guest_view *v, bool selected, int width)
{
	struct lb b;
	lb_new(vs, width, &b);
	for (int c = 0; c < COL_COUNT; c++) {
		if (vs->col_x[c] < 0)
			continue;
		char cell[1024];
		column_cell((enum col_id)c, v, cell, sizeof(cell), vs->col_w[c]);
		b.x = vs->col_x[c];
		static const enum vattr hint_attr[] = {
			[HINT_NONE] = VA_NORMAL, [HINT_TAX] = VA_TAX, [HINT_GUEST] = VA_GUEST,
			[HINT_DIM] = VA_DIM,
		};
		lb_put(&b, cell, hint_attr[columns[c].hint]);
	}
	if (selected)
		lb_attr_all(&b, VA_SELECTED);
	lb_finish(vs, &b);
}


void view_table_text(struct vscreen *vs, const struct frame *f, const struct ui *u)
{
	vscreen_free(vs);
	vs->table_top = vs->header_row = -1;
	int width = layout(vs, f, u, 0);
	table_header(vs, u, width, false);
	vs->table_top = vs->n;
	for (size_t i = 0; i < f->n; i++)
		table_row(vs, &f->guests[i], false, width);
	vs->table_rows = (int)f->n;
}
