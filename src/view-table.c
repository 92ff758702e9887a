/* The guest table and the UI state it reads (ui.h): the defaults, which
 * rows pass the filter and mode, column layout, header and rows. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lines.h"
#include "ui.h"
#include "util.h"
#include "view-parts.h"

const char *vmode_name(enum vmode m)
{
	static const char *const n[MODE_COUNT] = {"all guests", "VMs", "containers"};
	return (unsigned)m < MODE_COUNT ? n[m] : "?";
}

void ui_init(struct ui *u)
{
	memset(u, 0, sizeof(*u));
	u->sort = COL_TAX;
	u->desc = true;
	for (int i = 0; i < COL_COUNT; i++)
		u->cols[i] = columns[i].def;
	u->delay_ns = 2000000000ull;
}

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
		/* the "!" of a recent OOM kill goes before the name */
		int n = text_width(cell) + (c == COL_NAME && f->guests[i].oom_recent);
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

/* Whether a row shows its id and name as one: they are the same (an LXC
 * container, an nspawn machine), so the name spans the ID column too. */
static bool id_is_name(const struct guest_view *v)
{
	return v->g->name && v->g->id && !strcmp(v->g->name, v->g->id);
}

/* Width the ID column needs: the longest id of a row whose name differs,
 * up to 12; 0 when every row's id is its name. */
static int id_need(const struct frame *f)
{
	int w = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (id_is_name(&f->guests[i]))
			continue;
		char cell[512];
		column_cell(COL_ID, &f->guests[i], cell, sizeof(cell), 0);
		int n = text_width(cell);
		w = n > w ? n : w;
	}
	return w > 12 ? 12 : w;
}

struct fit {
	bool show[COL_COUNT];
	int w[COL_COUNT];
	int total;                 /* columns taken, gaps included */
};

static void fit_sum(struct fit *t)
{
	t->total = -1;
	for (int c = 0; c < COL_COUNT; c++)
		if (t->show[c])
			t->total += t->w[c] + 1;
}

/* Narrow a column to at least min while the line is too wide. */
static void fit_shrink(struct fit *t, enum col_id c, int min, int width)
{
	while (t->show[c] && t->total > width && t->w[c] > min) {
		t->w[c]--;
		t->total--;
	}
}

/* Drop shown columns, lowest priority first, until the line fits; NAME,
 * ID and the sort column stay. */
static void fit_drop(struct fit *t, const struct ui *u, int width)
{
	while (t->total > width) {
		int worst = -1;
		for (int c = 0; c < COL_COUNT; c++)
			if (t->show[c] && c != COL_NAME && c != COL_ID && c != (int)u->sort &&
			    (worst < 0 || columns[c].prio > columns[worst].prio))
				worst = c;
		if (worst < 0)
			return;
		t->show[worst] = false;
		fit_sum(t);
	}
}

/* Whether any guest has a value in column c. */
static bool any_known(enum col_id c, const struct frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (!isnan(column_num(c, &f->guests[i])))
			return true;
	return false;
}

/* A wide screen shows the hidden-by-default columns that fit and say
 * something (a column of dashes does not), in their order, unless the
 * admin chose the columns. */
static void fit_wide(struct fit *t, const struct frame *f, const struct ui *u, int width)
{
	for (int order = 1; !u->cols_chosen && order < COL_COUNT; order++)
		for (int c = 0; c < COL_COUNT; c++)
			if (columns[c].wide == order && !t->show[c] && t->total + t->w[c] + 1 <= width &&
			    any_known((enum col_id)c, f)) {
				t->show[c] = true;
				fit_sum(t);
			}
}

/* Fitted to width: ID and NAME as wide as their longest cells (ID up to
 * 12, NAME 8 to 40); when the line is too wide the id is shortened first,
 * then NAME to 16, then columns leave by priority, then NAME and ID go
 * down to 8 and 4. A wide screen adds hidden columns instead of padding. */
static void layout_fit(struct vscreen *vs, const struct frame *f, const struct ui *u, int width)
{
	struct fit t;
	int name_need = 8;
	for (size_t i = 0; i < f->n; i++) {
		char cell[512];
		column_cell(COL_NAME, &f->guests[i], cell, sizeof(cell), 0);
		int n = text_width(cell) + f->guests[i].oom_recent;
		name_need = n > name_need ? n : name_need;
	}
	for (int c = 0; c < COL_COUNT; c++) {
		t.show[c] = column_is_table(c) && (u->cols[c] || c == (int)u->sort);
		int tw = column_is_table(c) ? text_width(columns[c].title) : 0;
		t.w[c] = columns[c].width > tw ? columns[c].width : tw;
	}
	t.w[COL_NAME] = name_need > 40 ? 40 : name_need;
	int idw = id_need(f);
	t.w[COL_ID] = idw > 2 ? idw : 2;
	/* the sort mark gets a cell of its own in its column, never the gap
	 * between two titles ("IOW▾TAX%" read as part of the wrong word) */
	int sw = column_is_table(u->sort) ? text_width(columns[u->sort].title) : 0;
	if (sw && t.w[u->sort] <= sw)
		t.w[u->sort] = sw + 1;
	if (!idw && f->n && t.show[COL_NAME])
		t.show[COL_ID] = false; /* every id is its name: NAME says it */
	fit_sum(&t);
	fit_shrink(&t, COL_ID, 8, width);
	fit_shrink(&t, COL_NAME, 16, width);
	fit_drop(&t, u, width);
	fit_shrink(&t, COL_NAME, 8, width);
	fit_shrink(&t, COL_ID, 4, width);
	fit_wide(&t, f, u, width);
	vs->span = true;
	int x = 0;
	for (int c = 0; c < COL_COUNT; c++) {
		vs->col_x[c] = -1;
		vs->col_w[c] = 0;
		if (!t.show[c] || x + t.w[c] > width)
			continue; /* what still does not fit is left out, not wrapped */
		vs->col_x[c] = x;
		vs->col_w[c] = t.w[c];
		x += t.w[c] + 1;
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
		int w = vs->col_w[c];
		bool span = vs->span && vs->col_x[COL_ID] >= 0 && vs->col_x[COL_NAME] >= 0 &&
			    id_is_name(v);
		if (c == COL_NAME && span)
			continue; /* drawn across ID and NAME */
		if (c == COL_ID && span)
			w = vs->col_x[COL_NAME] + vs->col_w[COL_NAME] - vs->col_x[COL_ID];
		column_cell(c == COL_ID && w != vs->col_w[c] ? COL_NAME : (enum col_id)c, v, cell,
			    sizeof(cell), w);
		b.x = vs->col_x[c];
		static const enum vattr hint_attr[] = {
			[HINT_NONE] = VA_NORMAL, [HINT_TAX] = VA_TAX, [HINT_GUEST] = VA_GUEST,
			[HINT_DIM] = VA_DIM,
		};
		if (v->oom_recent && (c == COL_NAME || (c == COL_ID && span)) && w >= 2) {
			/* an OOM kill in the last minute: "!" before the name */
			column_cell(c == COL_ID ? COL_NAME : (enum col_id)c, v, cell + 1,
				    sizeof(cell) - 1, w - 1);
			cell[0] = '!';
			lb_put(&b, cell, VA_WARN);
			continue;
		}
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
