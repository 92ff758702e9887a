/* The one table of guest values. Every value a view shows of a guest is
 * one entry: its name, title, width, unit, JSON path, help text and where
 * its value is. The screen and the batch text (one layout), the JSON
 * writer, sorting, the column picker, help, the settings file and the
 * man page's column list (checked by a test) all walk it. An entry
 * without a title is a JSON-only value. */
#ifndef VTAX_COLUMNS_H
#define VTAX_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "model.h"
#include "util.h"

enum col_id {
	COL_KIND,      /* JSON only */
	COL_NODE,      /* shown in a cluster view */
	COL_ID,
	COL_NAME,
	COL_RUNTIME,
	COL_CGROUP,    /* JSON only */
	COL_PIDS,
	COL_MAIN_PID,  /* JSON only */
	COL_STALL_CPU, /* JSON only: pressure.* */
	COL_STALL_IO,
	COL_STALL_MEM,
	COL_CPU,
	COL_USR,
	COL_SYS,
	COL_GUEST,
	COL_IOW,
	COL_IOW_SRC,   /* JSON only */
	COL_WAIT,      /* host-side wait; JSON cpu.wait_note, cpu.vcpus too: */
	COL_WAIT_NOTE,
	COL_WAIT_VCPUS,
	COL_TAX,
	COL_TAX_PARTS, /* JSON only: cpu.tax_parts, the ledger */
	COL_IOTAX,
	COL_CAPPED,    /* JSON only */
	COL_TG_VCPU,   /* JSON only: cpu.threads.* */
	COL_TG_EMU,
	COL_TG_IO,
	COL_TG_POOL,
	COL_TG_VHOST,
	COL_MEM,
	COL_WSET,
	COL_CACHE,
	COL_MTAX,
	COL_MTAX_LB,   /* JSON only */
	COL_MTAX_PARTS, /* JSON only: mem.tax_parts, the ledger */
	COL_GTOTAL,
	COL_GUSED,
	COL_GCACHE,
	COL_BALLOON,
	COL_LIMIT,     /* JSON only: mem.limit, mem.helpers, mem.qemu.* */
	COL_HMEM,
	COL_QRSS,
	COL_QANON,
	COL_QFILE,
	COL_QSHMEM,
	COL_KSM,       /* mem.ksm; what the kernel knows of the guest: */
	COL_KSM_PROFIT, /* JSON only */
	COL_KMEM,
	COL_KPT,       /* JSON only: mem.kernel.* */
	COL_KSECPT,
	COL_KSLAB,
	COL_KPERCPU,
	COL_KSOCK,
	COL_SWAP,
	COL_OOM,
	COL_OOM_RECENT, /* JSON only */
	COL_THRTL,
	COL_READ,
	COL_WRITE,
	COL_READ_OPS,
	COL_WRITE_OPS,
	COL_IO_SHARE,
	COL_IO_LAT,    /* JSON only */
	COL_IO_SRC,    /* JSON only: io.source, io.drives */
	COL_DRIVES,
	COL_NET_RX,
	COL_NET_TX,
	COL_NET_RXP,   /* JSON only: net.* */
	COL_NET_TXP,
	COL_NET_DROPS,
	COL_NET_NICS,  /* JSON only: net.nics[] */
	COL_EXITS,
	COL_GUSR,      /* inside the guest, from its agent: guest_view.cpu.* */
	COL_GSYS,
	COL_GIOW,      /* JSON only */
	COL_GSTEAL,
	COL_GIDLE,     /* JSON only */
	COL_GNOTE,     /* JSON only: guest_view.note */
	COL_HELPERS,   /* JSON only */
	COL_NOTE,      /* JSON only */
	COL_WHY,       /* JSON only: the why sentence */
	COL_LV_STATE,  /* JSON only, libvirt's domains: */
	COL_LV_NET_RX,
	COL_LV_NET_TX,
	COL_LV_BLK_RD,
	COL_LV_BLK_WR,
	COL_LV_NET_RX_BYTES,
	COL_LV_NET_TX_BYTES,
	COL_LV_BLK_RD_BYTES,
	COL_LV_BLK_WR_BYTES,
	COL_COUNT
};

enum col_unit {
	UNIT_TEXT,
	UNIT_COUNT,   /* a whole number */
	UNIT_PCT,     /* % of one CPU */
	UNIT_BYTES,
	UNIT_RATE,    /* bytes per second */
	UNIT_PER_S,   /* events per second */
	UNIT_BOOL,
};

/* Where a number lives: .off is into the guest_view or its sample. */
enum col_src { SRC_VIEW, SRC_SAMPLE };

/* When a value is in the JSON at all. */
enum col_when {
	WHEN_ALWAYS,
	WHEN_VM_PROC,   /* VMs with a QEMU process */
	WHEN_SET,       /* only when it has a value (a cluster view's node) */
	WHEN_LIBVIRT,   /* guests of a runtime libvirt manages */
};

/* How the screen colours a column's cells. */
enum col_hint { HINT_NONE, HINT_TAX, HINT_GUEST, HINT_DIM };

struct column {
	const char *name;       /* settings file, --sort, -o; NULL: JSON only */
	const char *title;      /* table header; NULL: JSON only */
	int width;              /* display width; NAME and ID are sized to fit */
	enum col_unit unit;
	bool left;              /* left-aligned */
	bool def;               /* shown by default */
	const char *json;       /* dotted path in --json guests[] ("cpu.total") */
	const char *help;       /* one line: help screen, --list-columns, picker */
	/* the value: text from a function, numbers from a field */
	const char *(*text)(const struct guest_view *v);      /* cell and sort */
	const char *(*json_text)(const struct guest_view *v); /* JSON, if not text */
	enum col_src src;
	size_t off;             /* double (PCT, RATE, PER_S) or uint64_t (others) */
	int decimals;           /* of JSON numbers */
	enum col_when when;
	bool zero_null;         /* JSON null for 0 (a pid) */
	bool lower_bound;       /* the cell says ">" when the value is a lower bound */
	enum col_hint hint;     /* how the screen colours its cells */
	int prio;               /* shown columns that do not fit leave a narrow
	                         * screen lowest priority (highest number) first */
	int wide;               /* hidden by default, shown when a wide screen has
	                         * room: in this order (1 first); 0 never */
	/* exported as a gauge (doc/export.md): the Prometheus metric after
	 * "vtax_guest_" (bytes as they are, % of one CPU as a ratio), and the
	 * InfluxDB field; NULL: not exported that way */
	const char *prom;
	const char *influx;
	json_object *(*json_fn)(const struct guest_view *v); /* JSON of a value that
				 * is neither text nor a number (io.drives) */
};

extern const struct column columns[COL_COUNT];

/* Whether c is a table column (not a JSON-only value). */
static inline bool column_is_table(int c) { return columns[c].title != NULL; }

/* Column by name or title (case-insensitive), or -1. JSON-only values
 * are not columns. */
int column_find(const char *name);

/* A numeric value as a double; NAN when unknown (or for text). */
double column_num(enum col_id c, const struct guest_view *v);

/* Format one cell, right- or left-aligned to the column width (no
 * padding when width is 0). Outside strings are sanitised. */
void column_cell(enum col_id c, const struct guest_view *v, char *buf, size_t bufsz, int width);

/* The JSON value of c for v (NULL is JSON null); *skip when it has no
 * place in this guest's JSON. */
json_object *column_json(enum col_id c, const struct guest_view *v, bool *skip);

/* Compare two guests on column c (descending for numbers when desc);
 * ties break on the guests' identity so the order is stable. */
int column_compare(enum col_id c, bool desc, const struct guest_view *a, const struct guest_view *b);

/* Sort a frame's guests in place. */
void columns_sort(struct frame *f, enum col_id c, bool desc);

#endif
