/* Small shared helpers: allocation that aborts on failure, a growable
 * string buffer, file reads relative to a directory fd, clocks and the
 * sanitiser every outside string passes through before display. */
#ifndef VTAX_UTIL_H
#define VTAX_UTIL_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value of a counter or size that could not be read. */
#define VT_UNKNOWN UINT64_MAX

/* An unknown rate. */
#define VT_NAN ((double)NAN)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Out of memory is fatal: these print one line and exit(1). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Room for one more element in an array of n elements of size elsz:
 * doubles *cap (from first) when n has reached it. */
void *xgrow(void *p, size_t n, size_t *cap, size_t elsz, size_t first);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable NUL-terminated buffer; the caller owns .s and frees it with
 * sb_free(). An empty sb (all zero) is valid. */
struct sb {
	char *s;
	size_t len;
	size_t cap;
};
void sb_reserve(struct sb *b, size_t extra);
void sb_add(struct sb *b, const char *s, size_t n);
void sb_adds(struct sb *b, const char *s);
void sb_addc(struct sb *b, char c);
void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct sb *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sb_clear(struct sb *b);
void sb_free(struct sb *b);

/* Read a whole file at dirfd/path into b (replacing its content).
 * Returns 0, or -errno (ENOENT for a vanished file). At most max bytes
 * are kept (0 = 1 MiB). */
int read_file_at(int dirfd, const char *path, struct sb *b, size_t max);

/* The same for a file the kernel makes in one piece (cgroup files, comm,
 * pressure, loadavg): a short read ends it, saving a read() call. */
int read_small_at(int dirfd, const char *path, struct sb *b, size_t max);

/* Saturating a - b, for counters that may be reset or wrap. */
static inline uint64_t sat_sub(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }
/* Delta of a counter pair where either may be unknown: VT_UNKNOWN then,
 * else the saturating difference (a reset counter gives 0, not 2^64). */
static inline uint64_t counter_delta(uint64_t now, uint64_t before)
{
	return now == VT_UNKNOWN || before == VT_UNKNOWN ? VT_UNKNOWN : sat_sub(now, before);
}
/* Bytes of the UTF-8 sequence that starts with byte c (text already
 * sanitised: valid, so the lead byte tells). */
static inline size_t u8_step(unsigned char c) { return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2; }

/* a + b where either may be VT_UNKNOWN: unknown wins only if both are. */
static inline uint64_t add_known(uint64_t a, uint64_t b)
{
	if (a == VT_UNKNOWN)
		return b;
	if (b == VT_UNKNOWN)
		return a;
	return a + b;
}

/* Copy src into dst (size sz), truncating; always NUL-terminates.
 * Returns 1 if it had to truncate. */
int str_copy(char *dst, size_t sz, const char *src);

/* fn for SIGINT, SIGTERM and SIGHUP (^C, kill, a dropped SSH session). */
void on_quit_signals(void (*fn)(int));

uint64_t now_mono_ns(void);
/* Milliseconds until deadline (CLOCK_MONOTONIC ns), rounded up; 0 once
 * it has passed. */
long ms_left(uint64_t deadline);
/* A non-blocking stream socket connected to the unix socket at path by
 * deadline: the fd, or -errno (-ETIMEDOUT, -ENAMETOOLONG, ...). */
int unix_connect(const char *path, uint64_t deadline);
int64_t now_real_ms(void);

/* Copy src into dst (size dstsz) for display: control characters, escape
 * sequences and invalid UTF-8 become '?', at most dstsz-1 bytes, never a
 * split UTF-8 sequence. Returns dst. */
char *sanitize(char *dst, size_t dstsz, const char *src);

/* Parse a decimal or fractional number of seconds ("1", "0.5"). Returns
 * 0 and sets *ns, or -EINVAL. */
int parse_seconds(const char *s, uint64_t *ns);



/* Copy src into a new string with invalid UTF-8 bytes replaced by U+FFFD,
 * control characters kept (for JSON, which escapes them). Caller frees. */
char *utf8_clean(const char *src);

/* A time for --since and --until: "-2h" (relative to now_ms; s, m, h, d,
 * w), "now", "@EPOCH", "YYYY-MM-DD HH:MM[:SS]", "YYYY-MM-DD" or
 * "HH:MM[:SS]" today, in local time. 0 and *ms, or -EINVAL. */
int parse_when(const char *s, int64_t now_ms, int64_t *ms);
/* A size: bytes, or with K, M, G, T (powers of 1024). 0 or -EINVAL. */
int parse_bytes(const char *s, uint64_t *bytes);

/* Human-readable bytes in at most 5 characters: "512K", "1.50G", "-". */
void fmt_bytes(char *buf, size_t sz, uint64_t v);
/* The same in at most 4 characters, for table cells: "512M", "1.5G". */
void fmt_bytes_short(char *buf, size_t sz, uint64_t v);
/* A percentage with one decimal and "%", or "-". */
void fmt_pct(char *buf, size_t sz, double v);

/* Undo systemd unit escaping ("\x2d" -> "-"). Returns out. */
char *cg_unescape(const char *in, size_t inlen, char *out, size_t outsz);

#endif
