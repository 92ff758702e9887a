/* The metric registry: every value vtax exports that is not a guest
 * column (guest gauges are columns.c entries with .prom), and every host
 * value the headers show. One entry a value: the host's values (JSON
 * "host", Prometheus vtax_host_*, batch text's and the screen's header),
 * and the counters of guests, of their network interfaces and of their
 * drives (Prometheus _total series, InfluxDB fields). The JSON writer,
 * the Prometheus and InfluxDB formatters, the cluster view's reader
 * (--prometheus), batch text's header (render.c) and the screen's
 * (view-header.c) all walk this table: a Prometheus name is written here
 * alone, and a counter added here reaches every one of them. */
#ifndef VTAX_METRICS_H
#define VTAX_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The Prometheus names that are not one entry of the table: the guests'
 * info series (labels name, runtime, kind), the prefix of their gauges
 * (columns.c .prom follows it) and the build's info. */
#define METRIC_GUEST_INFO "vtax_guest_info"
/* vtax's version, as a label of a series of value 1 */
#define METRIC_BUILD_INFO "vtax_build_info"
#define METRIC_GUEST_PREFIX "vtax_guest_"

/* Whose value an entry is: one series per host, guest, interface or drive. */
enum metric_of { MO_HOST, MO_GUEST, MO_NIC, MO_DRIVE };

enum metric_kind {
	MK_GAUGE,
	MK_COUNTER,  /* only grows: exported as a Prometheus _total */
	MK_JSON,     /* JSON only */
};

/* How a value is kept and written. */
enum metric_unit {
	MU_TEXT,     /* a string */
	MU_INT,      /* a small whole number, never unknown */
	MU_U64,      /* uint64_t, VT_UNKNOWN unknown: bytes and counts */
	MU_NUM,      /* double, NAN unknown */
};

/* Where the value is. */
enum metric_src {
	MS_VIEW,     /* the model's: the frame's host_view (host values), a
			guest's guest_view (guest gauges) */
	MS_SAMPLE,   /* the sample: host_sample, guest_sample, nic_sample or
			drive_sample, as .of says */
	MS_FN,       /* computed by .get (a guest counter that is not one field) */
};

/* The lines of batch text's header a host value can be on. */
enum metric_line { ML_NONE, ML_CPU, ML_MEM, ML_TAX };

/* When an entry of a header line shows. */
enum metric_when {
	MW_ALWAYS,   /* "-" when unknown */
	MW_KNOWN,
	MW_NONZERO,  /* known and not 0 (a share in the screen's legend: not
			0 as shown, "0.0") */
	MW_GROUP,    /* with the MW_WITH entries after it, when one of them is known */
	MW_WITH,     /* when the entry before it on the line shows */
};

/* Where and how batch text's header shows a host value: the place "at"
 * (from 0) on its line, fmt with one "%s" for the value (a number: a %
 * with one decimal; bytes as fmt_bytes; a count as it is), plural: an
 * "s" after fmt unless the count is 1. */
struct metric_text {
	enum metric_line line;
	unsigned at;
	const char *fmt;
	enum metric_when when;
	bool plural;
};

/* The lines of the screen's header, below its title, a host value can
 * be on: the CPU bar's, the MEM bar's and the summary line. */
enum metric_screen_line { SL_NONE, SL_CPU, SL_MEM, SL_SUMMARY };

/* What a value is on its line of the screen's header. A line's places
 * hold its leads, then its parts, then its fields, then its last fields. */
enum metric_role {
	SR_LEAD,     /* the line's start, cut where the screen ends ("CPU  4",
			"1 VM") */
	SR_PART,     /* a part of the line's bar, with its legend entry */
	SR_FIELD,    /* after the bar and its legend: a field, whole or not at
			all; MW_WITH entries after it join it */
	SR_LAST,     /* a field after the view's own (the summary line's
			iowait guest and interval) */
};

/* How the screen draws a value: a look the view gives an attribute
 * (view-header.c; the screen's attributes are the view's), as the
 * column table's hints are. */
enum metric_look {
	LOOK_NORMAL, LOOK_LABEL,
	LOOK_USR, LOOK_SYS, LOOK_GUEST, LOOK_IOW, LOOK_STEAL, LOOK_IRQ,
	LOOK_WSET, LOOK_CACHE, LOOK_ARC, LOOK_TAX, LOOK_OWN,
	LOOK_COUNT
};

/* How the screen writes a number (MU_NUM): "-" when unknown. */
enum metric_num {
	MN_ONE,        /* one decimal: "4.5" */
	MN_PCT,        /* one decimal and a %: "4.5%" */
	MN_WHOLE,      /* no decimal: "5" */
	MN_WHOLE_PCT,  /* no decimal and a %: "5%" */
};

/* The parts a bar line has at most (the view's arrays). */
#define METRIC_PARTS_MAX 8

/* Where and how the screen's header shows a host value: the place "at"
 * (from 0) on its line and what it is there (role).
 * Leads and fields: fmt with one "%s" for the value, a count as it is,
 * bytes short ("1.5G"), a number as num says, right-aligned in at least
 * width columns; an unknown value is "-" without the words after it
 * ("CPU -", not "CPU - of host"). plural and when as in batch text (a
 * field's MW_WITH entries show with it); the value in .look, fmt's words
 * in .words. A field's label is its plain text before its entries; brief:
 * where the field does not fit whole, its label and its values alone, a
 * space between, cut where the screen ends ("tax 1.6% 1.5G").
 * A part: its cells in the bar, uch (Unicode) or ach (ASCII), one
 * character, in .look, " " a blank part (no swatch in the legend, and no
 * room kept for it there: "free"); label its name in the legend, which
 * gives a share with one decimal or a size; when it shows there
 * (MW_ALWAYS, or MW_NONZERO: known and not 0 as shown, "0.0"). The parts
 * of a line share a unit: shares of 100 drawn as they are, or bytes drawn
 * on a square-root scale (the MEM bar: 1 GB of guests still shows on a
 * 24 GB host). */
struct metric_screen {
	enum metric_screen_line line;
	unsigned at;
	enum metric_role role;
	const char *fmt;
	const char *label;
	const char *uch, *ach;
	enum metric_look look, words;
	enum metric_num num;
	int width;
	enum metric_when when;
	bool plural;
	bool brief;
};

struct metric {
	const char *prom;        /* the Prometheus name; NULL: not exported there */
	const char *label;       /* a fixed label of this series ("mode"), or NULL */
	const char *label_value; /* its value ("user") */
	const char *help;        /* the family's, on its first entry */
	enum metric_of of;
	enum metric_kind kind;
	enum metric_unit unit;
	enum metric_src src;
	size_t off;              /* of the field, in the struct .src and .of say */
	double scale;            /* exported = kept x scale (ns to s: 1e-9); 0 is 1 */
	const char *json;        /* host values: the path below "host" ("mem.total";
				    "load#1": element 1 of an array); else NULL */
	int decimals;            /* of JSON numbers */
	bool rates_only;         /* host JSON: its parent object is null on a frame
				    without rates (host.cpu) */
	bool top;                /* host values: .json is a path from the frame's
				    root ("self.cpu"), not below "host" */
	/* The header (the screen's title line, batch text's first line):
	 * entries that share a label are shown together after it, where one
	 * of them is known ("vtax 0.3% 6M"): a number as a % with one
	 * decimal, bytes short. NULL: not in the header. */
	const char *head;
	struct metric_text text;
	/* The screen's header below the title. An entry with no .prom, .json
	 * or .influx is the screen's alone (the CPU bar's usr + nice, the MEM
	 * bar's parts): no exporter writes it. */
	struct metric_screen screen;
	const char *influx;      /* the InfluxDB field of a guest counter, or NULL */
	size_t fold_to;          /* a host value the cluster view reads back: 1 +
				    the offset of the host_sample field it is; 0 none */
	/* MS_FN: the value of a guest (vm: it is a VM), VT_UNKNOWN unknown */
	uint64_t (*get)(const struct guest_sample *g, bool vm);
};

extern const struct metric metrics[];
extern const size_t metrics_count;

/* The number a host entry holds in f (NAN when unknown or not a number). */
double metric_host(const struct metric *m, const struct frame *f);
/* The raw counter of a guest, interface or drive entry (VT_UNKNOWN unknown). */
uint64_t metric_guest(const struct metric *m, const struct guest_sample *g, bool vm);
/* A guest gauge the model computes (MS_VIEW), NAN when unknown. */
double metric_view(const struct metric *m, const struct guest_view *v);
uint64_t metric_nic(const struct metric *m, const struct nic_sample *n);
uint64_t metric_drive(const struct metric *m, const struct drive_sample *d);

/* Each group of header entries (.head) of which f knows a value, as text
 * ("vtax 0.3% 6M"), to emit in the table's order. */
void metrics_head(const struct frame *f, void (*emit)(void *ctx, const char *text), void *ctx);

/* The entry named so with that label value (NULL matches an entry without
 * a label), or -1. */
int metric_find(const char *prom, const char *label_value);

/* The cluster view's reader: values read back from Prometheus, one per
 * entry (NAN where no series was read), put where the model reads them.
 * The inverse of metric_guest for a guest's entries (its CPU split, its
 * tax beyond its user and system time). */
void metrics_fold_host(const double *v, struct host_sample *h);
/* When a node's sample was taken (s): its timestamp series, NAN unread. */
double metrics_host_time(const double *v);
void metrics_fold_guest(const double *v, bool vm, struct guest_sample *g);
void metrics_fold_nic(const double *v, struct nic_sample *n);
void metrics_fold_drive(const double *v, struct drive_sample *d);

#endif
