/* The screen as plain data: a grid of lines, each a UTF-8 string of
 * exactly `width` columns plus one attribute per column. The view
 * composes it (view.h) with the line builder (lines.h); screen.c paints
 * it with curses and snapshot.c writes the same lines to a file. No
 * curses here. */
#ifndef VTAX_VSCREEN_H
#define VTAX_VSCREEN_H

#include <stdbool.h>

#include "columns.h"

enum vattr {
	VA_NORMAL,
	VA_TITLE,
	VA_LABEL,
	VA_HEADER,     /* table header */
	VA_SORTED,     /* the sort column's header */
	VA_SELECTED,   /* selected row */
	VA_DIM,
	VA_WARN,
	VA_USR, VA_SYS, VA_GUEST, VA_IOW, VA_STEAL, VA_IRQ,
	VA_WSET, VA_CACHE, VA_ARC, VA_TAX, VA_OWN,
	VA_FKEY,       /* footer key */
	VA_FTEXT,      /* footer label */
	VA_COUNT
};

struct vline {
	char *text;            /* UTF-8, width columns, NUL-terminated */
	unsigned char *attr;   /* width entries */
	int width;
};

struct vscreen {
	struct vline *lines;   /* owned */
	int n, cap;
	int table_top;         /* screen row of the first guest row, -1 if none */
	int table_rows;        /* guest rows shown */
	int page;              /* guest rows that fit */
	int header_row;        /* row of the table header, -1 if none */
	int col_x[COL_COUNT];  /* header x of each shown column, -1 if hidden */
	int col_w[COL_COUNT];
	bool span;             /* a row whose id is its name shows it once,
	                        * across ID and NAME (the screen; not batch text,
	                        * whose columns scripts split) */
};

/* Free the lines and empty vs (lines.c, which makes them). */
void vscreen_free(struct vscreen *vs);

#endif
