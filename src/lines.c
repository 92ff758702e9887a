/* Building the screen's lines: a cursor over a row of cells, one UTF-8
 * character and one attribute a column; wrapped text, bars and legends
 * drawn with it. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "util.h"

void lb_new(struct vscreen *vs, int width, struct lb *b)
{
	(void)vs;
	b->width = width;
	b->x = 0;
	b->cell = xcalloc((size_t)width + 1, sizeof(*b->cell));
	b->attr = xcalloc((size_t)width + 1, 1);
	for (int i = 0; i < width; i++)
		b->cell[i][0] = ' ';
}

void lb_finish(struct vscreen *vs, struct lb *b)
{
	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? vs->cap * 2 : 32;
		vs->lines = xrealloc(vs->lines, (size_t)vs->cap * sizeof(*vs->lines));
	}
	/* a cell is one character, at most 4 bytes: room for the worst case
	 * up front, then each cell is copied without a length scan (batch
	 * text's lines are hundreds of cells) */
	char *t = xmalloc((size_t)b->width * 4 + 1), *o = t;
	for (int i = 0; i < b->width; i++) {
		const char *c = b->cell[i];
		for (int k = 0; k < 4 && c[k]; k++)
			*o++ = c[k];
	}
	*o = '\0';
	struct vline *l = &vs->lines[vs->n++];
	l->text = t;
	l->attr = b->attr;
	l->width = b->width;
	free(b->cell);
}

/* Put UTF-8 text (already sanitised) at the cursor, one column per code
 * point, cut at the line end. */
void lb_put(struct lb *b, const char *s, enum vattr a)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p && b->x < b->width) {
		size_t n = u8_step(*p);
		size_t k = 0;
		while (k < n && p[k])
			k++;
		memcpy(b->cell[b->x], p, k);
		b->cell[b->x][k] = '\0';
		b->attr[b->x] = (unsigned char)a;
		b->x++;
		p += k;
	}
}

void lb_printf(struct lb *b, enum vattr a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lb_put(b, buf, a);
}

int text_width(const char *s)
{
	int n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

/* A field that is shown whole or not at all (the end of a line that a
 * narrow screen would cut mid-number). */
void lb_field(struct lb *b, enum vattr a, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (b->x + text_width(buf) <= b->width)
		lb_put(b, buf, a);
}

void lb_fill(struct lb *b, const char *ch, int n, enum vattr a)
{
	for (int i = 0; i < n && b->x < b->width; i++)
		lb_put(b, ch, a);
}

/* Paint attribute a over the whole line (selected row). */
void lb_attr_all(struct lb *b, enum vattr a)
{
	for (int i = 0; i < b->width; i++)
		b->attr[i] = (unsigned char)a;
}

void line_text(struct vscreen *vs, int width, const char *s, enum vattr a)
{
	struct lb b;
	lb_new(vs, width, &b);
	lb_put(&b, s, a);
	lb_finish(vs, &b);
}

/* Bytes of s that make its first line of at most room characters: cut
 * at the last space in the second half of the line, else at room. */
size_t wrap_cut(const char *s, int room)
{
	int chars = 0;
	size_t bytes = 0, space = 0;
	while (s[bytes] && chars < room) {
		if (s[bytes] == ' ' && chars > room / 2)
			space = bytes;
		bytes += u8_step((unsigned char)s[bytes]);
		chars++;
	}
	return s[bytes] && s[bytes] != ' ' && space ? space : bytes;
}

/* s over as many lines as it needs; lines after the first start with
 * indent spaces. */
void line_wrap(struct vscreen *vs, int width, const char *s, int indent, enum vattr a)
{
	char buf[1024];
	for (int first = 1; *s; first = 0) {
		int room = width - (first ? 0 : indent);
		size_t n = wrap_cut(s, room < 10 ? 10 : room);
		snprintf(buf, sizeof(buf), "%*s%.*s", first ? 0 : indent, "", (int)n, s);
		line_text(vs, width, buf, a);
		s += n;
		while (*s == ' ')
			s++;
	}
}

/* A bar of n segments in `cols` columns; each segment its own character. */
void bar(struct lb *b, const struct seg *s, int n, int cols, bool ascii)
{
	lb_put(b, "[", VA_LABEL);
	int used = 0;
	double acc = 0;
	for (int i = 0; i < n; i++) {
		if (isnan(s[i].v) || s[i].v <= 0)
			continue;
		acc += s[i].v;
		/* a replayed value may be absurd: clamp before converting */
		double x = acc * cols / 100.0 + 0.5;
		int upto = x >= cols ? cols : (int)x;
		lb_fill(b, ascii ? s[i].ach : s[i].uch, upto - used, s[i].a);
		used = upto > used ? upto : used;
	}
	lb_fill(b, " ", cols - used, VA_NORMAL);
	lb_put(b, "]", VA_LABEL);
}

void legend(struct lb *b, const struct seg *s, int n, bool ascii, bool bytes,
	    const uint64_t *raw)
{
	for (int i = 0; i < n; i++) {
		char v[64];
		if (bytes) {
			char sz[16];
			fmt_bytes_short(sz, sizeof(sz), raw[i]);
			snprintf(v, sizeof(v), "%s %s", s[i].label, sz);
		} else if (isnan(s[i].v)) {
			snprintf(v, sizeof(v), "%s -", s[i].label);
		} else {
			snprintf(v, sizeof(v), "%s %.1f", s[i].label, s[i].v);
		}
		/* an entry shows whole or not at all; a blank swatch is left out */
		bool swatch = strcmp(s[i].uch, " ") != 0;
		if (b->x + 1 + swatch + text_width(v) > b->width)
			break;
		lb_put(b, " ", VA_NORMAL);
		if (swatch)
			lb_put(b, ascii ? s[i].ach : s[i].uch, s[i].a);
		lb_put(b, v, VA_NORMAL);
	}
}

void vscreen_free(struct vscreen *vs)
{
	for (int i = 0; i < vs->n; i++) {
		free(vs->lines[i].text);
		free(vs->lines[i].attr);
	}
	free(vs->lines);
	memset(vs, 0, sizeof(*vs));
}

