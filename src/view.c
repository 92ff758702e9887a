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

void view_build(struct vscreen *vs, const struct frame *f, const struct ui *u,
		const struct history *h, int width, int height)
{
	vscreen_free(vs);
	vs->table_top = vs->header_row = -1;
	if (width < 1)
		width = 1;
	if (height && (width < 40 || height < 10)) {
		char msg[96];
		snprintf(msg, sizeof(msg), "terminal too small (%dx%d): vtax needs 40x10", width,
			 height);
		if ((int)strlen(msg) > width)
			snprintf(msg, sizeof(msg), "too small (%dx%d): need 40x10", width, height);
		if ((int)strlen(msg) > width)
			snprintf(msg, sizeof(msg), "need 40x10");
		if ((int)strlen(msg) > width)
			snprintf(msg, sizeof(msg), "!");
		line_text(vs, width, msg, VA_WARN);
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
	layout(vs, f, u, width);
	table_header(vs, u, width, true);
	size_t *idx;
	size_t nrows = view_rows(f, u, &idx);
	int sel = u->sel;
	if (sel >= (int)nrows)
		sel = (int)nrows - 1;
	bool show_detail = u->detail && nrows > 0 && sel >= 0;
	int rows;
	if (height) {
		rows = height - vs->n - 1 - (show_detail ? DETAIL_LINES : 0);
		if (rows < 1) {
			show_detail = false;
			rows = height - vs->n - 1;
		}
	} else {
		rows = (int)nrows;
	}
	int top = height ? u->top : 0;
	if (top > (int)nrows - rows)
		top = (int)nrows - rows;
	if (top < 0)
		top = 0;
	vs->table_top = vs->n;
	vs->table_rows = 0;
	vs->page = rows;
	for (int r = 0; r < rows; r++) {
		size_t i = (size_t)(top + r);
		if (i >= nrows) {
			if (!height)
				break;
			if (r == 0 && nrows == 0)
				line_text(vs, width, f->n ? "  (no guest matches the filter)" :
					  "  (no guests found: no VM or container is running)", VA_DIM);
			else if (r == 1 && nrows == 0 && !f->n && u->unprivileged)
				line_text(vs, width, "  (vtax runs as a normal user: as root it may see more)",
					  VA_DIM);
			else
				line_text(vs, width, "", VA_NORMAL);
			continue;
		}
		table_row(vs, &f->guests[idx[i]], height && (int)i == sel, width);
		vs->table_rows++;
	}
	if (!height && nrows == 0)
		line_text(vs, width, "  (no guests found)", VA_DIM);
	if (show_detail)
		detail(vs, f, &f->guests[idx[sel]], u, h, width);
	free(idx);
	if (height)
		footer(vs, u, width);
}
