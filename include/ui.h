/* The UI state: what the admin chose to see (sort, columns, filter, view
 * mode), where the selection and the scroll are, what the footer says.
 * screen.c changes it on keys, settings.c saves it, the view reads it.
 * Its functions live in view-table.c, beside the filter that reads it. */
#ifndef VTAX_UI_H
#define VTAX_UI_H

/* The shortest refresh delay, for -d, the d key and the settings file
 * alike; the messages say it as DELAY_MIN_TEXT. */
#define DELAY_MIN_NS 10000000ull
#define DELAY_MIN_TEXT "0.01"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "columns.h"
#include "model.h"

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
	bool blame;              /* the blame view instead of the table (B) */
	int help_top;            /* first help line shown */
	bool ascii;
	uint64_t delay_ns;        /* at least DELAY_MIN_NS */
	char status[512];        /* footer message, "" for the key bar */
	bool status_err;
	bool status_of_sample;   /* the message is true of the shown sample only
				  * (the first of the period, the end of a replay):
				  * another sample clears it */
	int input;               /* 0, '/' filter or 'd' delay prompt */
	bool picker;             /* the F6 column picker is open */
	int picker_sel;
	char inbuf[64];
	bool inbuf_fresh;        /* the prompt shows the current value: the first key
				  * typed replaces it (Backspace clears it) */
	bool travel;             /* replaying a compact history: t, T, b step in time */
	size_t tpos, tcount;     /* ... the shown sample's position and the count */
};
/* The defaults: sorted by tax, the default columns, a 2 s refresh. */
void ui_init(struct ui *u);

/* Indexes into f->guests of the rows that pass the filter and mode, in
 * display order. Returns the count; *idx is owned by the caller. */
size_t view_rows(const struct frame *f, const struct ui *u, size_t **idx);

#endif
