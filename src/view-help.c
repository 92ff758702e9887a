/* Help, the column picker and the footer key bar. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "keys.h"
#include "runtime.h"
#include "lines.h"
#include "util.h"
#include "view-parts.h"

void help(struct vscreen *vs, const struct ui *u, int width, int height)
{
	/* the help text, then the window of it that fits, from help_top */
	struct vscreen all = {0};
	for (size_t i = 0; i < key_table_n; i++) {
		const struct key_def *k = &key_table[i];
		if (!k->shown || !key_active(k, u->travel))
			continue;
		char l[512];
		snprintf(l, sizeof(l), "%-16s %s", k->shown, k->help);
		line_wrap(&all, width, l, 17, VA_NORMAL);
	}
	line_text(&all, width, "", VA_NORMAL);
	line_text(&all, width, "Columns (CPU in % of one CPU, memory in bytes; - = unknown):", VA_LABEL);
	for (int c = 0; c < COL_COUNT; c++) {
		if (!column_is_table(c))
			continue;
		char l[512];
		snprintf(l, sizeof(l), "%-8s %s%s", columns[c].title, columns[c].help,
			 columns[c].def ? "" : " [hidden by default]");
		line_wrap(&all, width, l, 9, VA_NORMAL);
		for (int r = 0; c == COL_RUNTIME && r < RT_COUNT; r++) {
			/* the runtimes, from the runtime table */
			snprintf(l, sizeof(l), "  %-7s %-11s %s", runtimes[r].short_name,
				 runtimes[r].name, runtimes[r].description);
			line_wrap(&all, width, l, 23, VA_NORMAL);
		}
	}
	line_text(vs, width, "vtax help - Up/Down scroll, any other key returns", VA_TITLE);
	int room = height - 1;
	int top = u->help_top;
	if (top > all.n - room)
		top = all.n - room;
	if (top < 0)
		top = 0;
	for (int i = top; i < all.n && vs->n < height; i++) {
		line_text(vs, width, "", VA_NORMAL);
		struct vline *dst = &vs->lines[vs->n - 1];
		free(dst->text);
		free(dst->attr);
		*dst = all.lines[i];
		all.lines[i].text = NULL;
		all.lines[i].attr = NULL;
	}
	vscreen_free(&all);
	while (vs->n < height)
		line_text(vs, width, "", VA_NORMAL);
}

void picker(struct vscreen *vs, const struct ui *u, int width, int height)
{
	line_text(vs, width, "Columns - Up/Down choose, Space show/hide, Enter sort by it, "
			     "Esc or F6 close", VA_TITLE);
	line_text(vs, width, "", VA_NORMAL);
	for (int c = 0; c < COL_COUNT; c++) {
		if (!column_is_table(c))
			continue;
		char l[512];
		snprintf(l, sizeof(l), " [%c] %-8s %s%s", u->cols[c] ? 'x' : ' ', columns[c].title,
			 columns[c].help, (enum col_id)c == u->sort ? "  (sorted)" : "");
		struct lb b;
		lb_new(vs, width, &b);
		lb_put(&b, l, VA_NORMAL);
		if (c == u->picker_sel)
			lb_attr_all(&b, VA_SELECTED);
		lb_finish(vs, &b);
	}
	while (vs->n < height)
		line_text(vs, width, "", VA_NORMAL);
}

void footer(struct vscreen *vs, const struct ui *u, int width)
{
	struct lb b;
	lb_new(vs, width, &b);
	if (u->input) {
		char in[80];
		sanitize(in, sizeof(in), u->inbuf);
		lb_put(&b, u->input == '/' ? "Filter: " : u->input == 'b' ?
			   "Jump to (22:00, -2h from here, 2026-11-28 22:00): "
						    : "Delay, seconds (at least " DELAY_MIN_TEXT "): ",
			   VA_FKEY);
		lb_put(&b, in, VA_NORMAL);
		lb_put(&b, "_", VA_FKEY);
		lb_put(&b, "   Enter keep, Esc clear", VA_DIM);
	} else if (u->status[0]) {
		char st[512];
		sanitize(st, sizeof(st), u->status);
		lb_put(&b, st, u->status_err ? VA_WARN : VA_FTEXT);
	} else {
		/* keys leave a narrow bar in their bar_drop order; those with
		 * 0 always stay; the last cell stays free */
		int total = 0, gone = 0;
		for (size_t i = 0; i < key_table_n; i++)
			if (key_table[i].bar_key && key_active(&key_table[i], u->travel))
				total += (int)(strlen(key_table[i].bar_key) + strlen(key_table[i].bar_label)) + 1;
		while (total > width && gone < 10) {
			gone++;
			for (size_t i = 0; i < key_table_n; i++)
				if (key_table[i].bar_key && key_table[i].bar_drop == gone &&
				    key_active(&key_table[i], u->travel))
					total -= (int)(strlen(key_table[i].bar_key) +
						       strlen(key_table[i].bar_label)) + 1;
		}
		for (size_t i = 0; i < key_table_n; i++) {
			const struct key_def *k = &key_table[i];
			if (!k->bar_key || (k->bar_drop && k->bar_drop <= gone) ||
			    !key_active(k, u->travel))
				continue;
			lb_put(&b, k->bar_key, VA_FKEY);
			lb_put(&b, k->bar_label, VA_FTEXT);
			lb_put(&b, " ", VA_NORMAL);
		}
	}
	lb_finish(vs, &b);
}

