/* Screen composition as plain lines: header bars, guest table, detail
 * pane, help and footer. Shared by the curses screen and snapshots. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lines.h"
#include "util.h"
#include "view.h"
#include "view-parts.h"

/* The whole screen is one warning when the terminal is under 40x10: as
 * much of it as the width holds. */
static void too_small(struct vscreen *vs, int width, int height)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "terminal too small (%dx%d): vtax needs 40x10", width, height);
	if ((int)strlen(msg) > width)
		snprintf(msg, sizeof(msg), "too small (%dx%d): need 40x10", width, height);
	if ((int)strlen(msg) > width)
		snprintf(msg, sizeof(msg), "need 40x10");
	if ((int)strlen(msg) > width)
		snprintf(msg, sizeof(msg), "!");
	line_text(vs, width, msg, VA_WARN);
}

/* The guest rows of a screen: those that pass the filter, the window of
 * them that is shown, and the selected one. */
struct rows {
	size_t *idx;           /* owned: indexes into f->guests, display order */
	size_t n;
	int sel;               /* the selected row, -1 when there is none */
	int top, shown;        /* the first row shown, and how many lines */
	bool detail;           /* the detail pane of the selected row follows */
};

/* The window: what the screen leaves under the header lines, less the
 * footer and the detail pane (which goes when it would leave no row);
 * height 0: every row. The first row shown keeps the window full. */
static void rows_fit(struct rows *r, const struct vscreen *vs, const struct ui *u, int height)
{
	r->detail = u->detail && r->n > 0 && r->sel >= 0;
	if (height) {
		r->shown = height - vs->n - 1 - (r->detail ? DETAIL_LINES : 0);
		if (r->shown < 1) {
			r->detail = false;
			r->shown = height - vs->n - 1;
		}
	} else {
		r->shown = (int)r->n;
	}
	r->top = height ? u->top : 0;
	if (r->top > (int)r->n - r->shown)
		r->top = (int)r->n - r->shown;
	if (r->top < 0)
		r->top = 0;
}

/* The table's rows; on the screen the lines under the last guest are
 * blank, but for the first two of an empty table, which say why. */
static void guest_rows(struct vscreen *vs, const struct frame *f, const struct ui *u,
		       const struct rows *r, int width, int height)
{
	vs->table_top = vs->n;
	vs->table_rows = 0;
	vs->page = r->shown;
	for (int k = 0; k < r->shown; k++) {
		size_t i = (size_t)(r->top + k);
		if (i >= r->n) {
			if (!height)
				break;
			if (k == 0 && r->n == 0)
				line_text(vs, width, f->n ? "  (no guest matches the filter)" :
					  "  (no guests found: no VM or container is running)", VA_DIM);
			else if (k == 1 && r->n == 0 && !f->n && u->unprivileged)
				line_text(vs, width, "  (vtax runs as a normal user: as root it may see more)",
					  VA_DIM);
			else
				line_text(vs, width, "", VA_NORMAL);
			continue;
		}
		table_row(vs, &f->guests[r->idx[i]], height && (int)i == r->sel, width);
		vs->table_rows++;
	}
	if (!height && r->n == 0)
		line_text(vs, width, "  (no guests found)", VA_DIM);
}

void view_build(struct vscreen *vs, const struct frame *f, const struct ui *u,
		const struct history *h, int width, int height)
{
	vscreen_free(vs);
	vs->table_top = vs->header_row = -1;
	if (width < 1)
		width = 1;
	if (height && (width < 40 || height < 10)) {
		too_small(vs, width, height);
		return;
	}
	if (height && u->picker) {
		picker(vs, u, width, height - 1);
		footer(vs, u, width);
		return;
	}
	if (height && u->help) {
		help(vs, u, width, height - 1);
		footer(vs, u, width);
		return;
	}
	header(vs, f, u, width);
	if (u->blame) {
		blame(vs, f, h, width, height ? height - 1 : 0);
		if (height)
			footer(vs, u, width);
		return;
	}
	layout(vs, f, u, width);
	table_header(vs, u, width, true);
	struct rows r;
	r.n = view_rows(f, u, &r.idx);
	r.sel = u->sel < (int)r.n ? u->sel : (int)r.n - 1;
	rows_fit(&r, vs, u, height);
	guest_rows(vs, f, u, &r, width, height);
	if (r.detail)
		detail(vs, f, &f->guests[r.idx[r.sel]], u, h, width);
	free(r.idx);
	if (height)
		footer(vs, u, width);
}
