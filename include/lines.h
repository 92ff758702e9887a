/* The line builder the view draws with: a cursor over one row of cells,
 * each one UTF-8 character (one column wide: text is sanitised first)
 * with a view attribute. A finished line joins the vscreen. Also the
 * drawings more than one part makes: wrapped text, bars, legends. */
#ifndef VTAX_LINES_H
#define VTAX_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vscreen.h"

struct lb {
	char (*cell)[5];       /* owned until lb_finish() */
	unsigned char *attr;   /* given to the vline by lb_finish() */
	int width;
	int x;                 /* the cursor */
};

/* Start a blank line of width columns in b. */
void lb_new(struct vscreen *vs, int width, struct lb *b);
/* Append b to vs as its next line. */
void lb_finish(struct vscreen *vs, struct lb *b);
/* Text at the cursor, one column per code point, cut at the line end. */
void lb_put(struct lb *b, const char *s, enum vattr a);
void lb_printf(struct lb *b, enum vattr a, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A field shown whole or not at all (the end of a line that a narrow
 * screen would cut mid-number). */
void lb_field(struct lb *b, enum vattr a, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* n copies of the one-character string ch. */
void lb_fill(struct lb *b, const char *ch, int n, enum vattr a);
/* Paint attribute a over the whole line (selected row). */
void lb_attr_all(struct lb *b, enum vattr a);

/* Columns of sanitised UTF-8 text. */
int text_width(const char *s);
/* A whole line of text. */
void line_text(struct vscreen *vs, int width, const char *s, enum vattr a);
/* Bytes of s that make its first line of at most room characters: cut
 * at the last space in the second half of the line, else at room. */
size_t wrap_cut(const char *s, int room);
/* s over as many lines as it needs; lines after the first start with
 * indent spaces. */
void line_wrap(struct vscreen *vs, int width, const char *s, int indent, enum vattr a);

/* One segment of a bar: its share and how it is drawn. */
struct seg {
	double v;            /* share, 0..100 */
	enum vattr a;
	const char *uch;     /* bar character, Unicode */
	const char *ach;     /* bar character, ASCII */
	const char *label;
};
/* A bar of n segments in `cols` columns; each segment its own character. */
void bar(struct lb *b, const struct seg *s, int n, int cols, bool ascii);
/* The segments' labels with their values (bytes: raw[] as sizes). */
void legend(struct lb *b, const struct seg *s, int n, bool ascii, bool bytes, const uint64_t *raw);

#endif
