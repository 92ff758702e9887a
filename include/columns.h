/* The one column table: every guest column is declared here once (name,
 * title, width, unit, JSON key, sort order, help text). The screen, batch
 * text, sorting, help and the settings file all read it. */
#ifndef VTAX_COLUMNS_H
#define VTAX_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

enum col_id {
	COL_ID,
	COL_NAME,
	COL_RUNTIME,
	COL_PIDS,
	COL_CPU,
	COL_USR,
	COL_SYS,
	COL_GUEST,
	COL_IOW,
	COL_TAX,
	COL_MEM,
	COL_WSET,
	COL_CACHE,
	COL_MTAX,
	COL_GTOTAL,
	COL_GUSED,
	COL_GCACHE,
	COL_READ,
	COL_WRITE,
	COL_EXITS,
	COL_COUNT
};

enum col_unit {
	UNIT_TEXT,
	UNIT_COUNT,
	UNIT_PCT,     /* % of one CPU */
	UNIT_BYTES,
	UNIT_RATE,    /* bytes per second */
	UNIT_PER_S,   /* events per second */
};

struct column {
	const char *name;       /* settings file and --sort name */
	const char *title;      /* header */
	int width;              /* display width; the NAME column stretches */
	enum col_unit unit;
	bool left;              /* left-aligned */
	bool def;               /* shown by default */
	const char *json;       /* key in --json guests[] */
	const char *help;       /* one line, for the help screen and man page */
};

extern const struct column columns[COL_COUNT];

/* Column by name (case-insensitive), or -1. */
int column_find(const char *name);

/* Format one cell, right- or left-aligned to the column width (no
 * padding when width is 0). Outside strings are sanitised. */
void column_cell(enum col_id c, const struct guest_view *v, char *buf, size_t bufsz, int width);

/* Compare two guests on column c (descending for numbers when desc);
 * ties break on kind, runtime and id so the order is stable. */
int column_compare(enum col_id c, bool desc, const struct guest_view *a, const struct guest_view *b);

/* Sort a frame's guests in place. */
void columns_sort(struct frame *f, enum col_id c, bool desc);

/* Human-readable bytes in at most 5 characters: "512K", "1.50G", "-". */
void fmt_bytes(char *buf, size_t sz, uint64_t v);
/* The same in at most 4 characters, for table cells: "512M", "1.5G". */
void fmt_bytes_short(char *buf, size_t sz, uint64_t v);

#endif
