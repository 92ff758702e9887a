/* The screen as plain data: a grid of lines, each a UTF-8 string of
 * exactly `width` columns plus one attribute per column. view_build()
 * composes it from a frame and the UI state; screen.c paints it with
 * curses and snapshot.c writes the same lines to a file. No curses here. */
#ifndef VTAX_VIEW_H
#define VTAX_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "columns.h"
#include "history.h"
#include "model.h"
#include "util.h"

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

enum vmode { MODE_ALL, MODE_VMS, MODE_CTS, MODE_COUNT };
const char *vmode_name(enum vmode m);


struct ui {
	enum col_id sort;
	bool desc;
	bool cols[COL_COUNT];     /* columns the admin wants */
	bool cols_chosen;        /* ... chosen (-o, settings, F6): a wide screen then
	                          * adds no hidden column of its own */
	char filter[64];
	enum vmode mode;
	char sel_key[200];       /* runtime/id of the selected guest */
	int sel;                 /* selected row in the filtered list */
	bool sel_chosen;         /* the admin moved the selection: follow that guest;
	                          * until then it stays on the top row */
	int top;                 /* first row shown */
	bool detail;
	bool frozen;
	bool ended;              /* a replay has no more samples */
	bool unprivileged;       /* watching the live host without root */
	bool help;
	int help_top;            /* first help line shown */
	bool ascii;
	uint64_t delay_ns;
	char status[512];        /* footer message, "" for the key bar */
	bool status_err;
	int input;               /* 0, '/' filter or 'd' delay prompt */
	bool picker;             /* the F6 column picker is open */
	int picker_sel;
	char inbuf[64];
	bool travel;             /* replaying a compact history: t, T, b step in time */
	size_t tpos, tcount;     /* ... the shown sample's position and the count */
};
void ui_init(struct ui *u);

/* Indexes into f->guests of the rows that pass the filter and mode, in
 * display order. Returns the count; *idx is owned by the caller. */
size_t view_rows(const struct frame *f, const struct ui *u, size_t **idx);

/* Compose the screen. height 0: every guest row, no footer (snapshot). */
void view_build(struct vscreen *vs, const struct frame *f, const struct ui *u,
		const struct history *h, int width, int height);
void vscreen_free(struct vscreen *vs);

/* The guest table alone, every guest in frame order, the columns at
 * their natural widths: the table of batch text, laid out by the same
 * code as the screen's. */
void view_table_text(struct vscreen *vs, const struct frame *f, const struct ui *u);
/* Batch text's I/O block: a line per guest that has interfaces or disk
 * figures (none when no guest has). */
void view_io_lines(struct vscreen *vs, const struct frame *f);

/* The explanation sentence of the detail pane for one guest. */
void view_explain(const struct guest_view *v, char *buf, size_t sz);

#endif
