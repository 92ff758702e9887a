/* Allocation, string buffers, file reads and the display sanitiser. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <signal.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void oom(void)
{
	fputs("vtax: out of memory\n", stderr);
	exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xgrow(void *p, size_t n, size_t *cap, size_t elsz, size_t first)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : first;
	return xrealloc(p, *cap * elsz);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct sb b = {0};
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&b, fmt, ap);
	va_end(ap);
	return b.s;
}

void sb_reserve(struct sb *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->s = xrealloc(b->s, cap);
	b->cap = cap;
	b->s[b->len] = '\0'; /* an empty buffer is an empty string, not garbage */
}

void sb_add(struct sb *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_adds(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

void sb_addc(struct sb *b, char c)
{
	sb_add(b, &c, 1);
}

void sb_vprintf(struct sb *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	sb_reserve(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

void sb_clear(struct sb *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

void sb_free(struct sb *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

static int read_at(int dirfd, const char *path, struct sb *b, size_t max, bool short_is_eof);

int read_file_at(int dirfd, const char *path, struct sb *b, size_t max)
{
	return read_at(dirfd, path, b, max, false);
}

int read_small_at(int dirfd, const char *path, struct sb *b, size_t max)
{
	return read_at(dirfd, path, b, max, true);
}

static int read_at(int dirfd, const char *path, struct sb *b, size_t max, bool short_is_eof)
{
	if (!max)
		max = 1u << 20;
	sb_clear(b);
	sb_reserve(b, 0);
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	int err = 0;
	for (;;) {
		if (b->len >= max)
			break;
		sb_reserve(b, 4096);
		size_t room = b->cap - b->len - 1;
		if (room > max - b->len)
			room = max - b->len;
		ssize_t n = read(fd, b->s + b->len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		/* a file the kernel makes in one piece (a cgroup file, comm,
		 * pressure) comes whole in the first read: a short read is its
		 * end. Multi-record files (smaps) come a page at a time. */
		if (short_is_eof && (size_t)n < room)
			break;
	}
	b->s[b->len] = '\0';
	close(fd);
	/* ESRCH: the task exited while we read it, same as a vanished file. */
	if (err == -ESRCH)
		err = -ENOENT;
	return err;
}

int str_copy(char *dst, size_t sz, const char *src)
{
	size_t n = strlen(src);
	int cut = n >= sz;
	if (cut)
		n = sz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return cut;
}

uint64_t now_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t now_real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Length of a valid UTF-8 sequence at s (1..4), or 0 if invalid; *cpp
 * is its code point. */
static size_t utf8_len(const unsigned char *s, uint32_t *cpp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;
	*cpp = c;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080..U+009F) act as escapes on some terminals. */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	*cpp = cp;
	return n;
}

char *sanitize(char *dst, size_t dstsz, const char *src)
{
	size_t o = 0;
	const unsigned char *s = (const unsigned char *)src;
	if (!dstsz)
		return dst;
	while (*s && o + 1 < dstsz) {
		uint32_t cp;
		size_t n = utf8_len(s, &cp);
		if (n == 1 && (*s < 0x20 || *s == 0x7f)) {
			dst[o++] = '?';
			s++;
		} else if (n == 0) {
			dst[o++] = '?';
			s++;
		} else if (n > 1 && wcwidth((wchar_t)cp) != 1) {
			/* zero-width, combining, bidi controls and double-width
			 * characters would shift what follows (and outside a
			 * UTF-8 locale nothing non-ASCII is one column): '?' */
			dst[o++] = '?';
			s += n;
		} else {
			if (o + n >= dstsz)
				break;
			memcpy(dst + o, s, n);
			o += n;
			s += n;
		}
	}
	dst[o] = '\0';
	return dst;
}

int parse_seconds(const char *s, uint64_t *ns)
{
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (errno || end == s || *end || !(d >= 0) || d > 86400.0)
		return -EINVAL;
	*ns = (uint64_t)(d * 1e9 + 0.5);
	return 0;
}

char *utf8_clean(const char *src)
{
	struct sb b = {0};
	const unsigned char *s = (const unsigned char *)src;
	sb_reserve(&b, strlen(src));
	while (*s) {
		uint32_t cp;
		size_t n = utf8_len(s, &cp);
		if (n == 0) {
			sb_adds(&b, "\xef\xbf\xbd");
			s++;
		} else {
			sb_add(&b, (const char *)s, n);
			s += n;
		}
	}
	if (!b.s)
		return xstrdup("");
	return b.s;
}

void on_quit_signals(void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

long ms_left(uint64_t deadline)
{
	uint64_t now = now_mono_ns();
	return now >= deadline ? 0 : (long)((deadline - now) / 1000000) + 1;
}

int unix_connect(const char *path, uint64_t deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			int e = errno;
			close(fd);
			return -e;
		}
		struct pollfd p = {fd, POLLOUT, 0};
		long left = ms_left(deadline);
		if (!left || poll(&p, 1, (int)left) <= 0) {
			close(fd);
			return -ETIMEDOUT;
		}
	}
	return fd;
}

/* "-2h", "-30m", "-1d", "-90s", "now", "@EPOCH", "YYYY-MM-DD[ T]HH:MM[:SS]",
 * "YYYY-MM-DD" (midnight) or "HH:MM[:SS]" (today), local time. */
int parse_when(const char *s, int64_t now_ms, int64_t *ms)
{
	char *end;
	if (!strcmp(s, "now")) {
		*ms = now_ms;
		return 0;
	}
	if (*s == '-' || *s == '+') {
		errno = 0;
		double v = strtod(s + 1, &end);
		static const struct { char u; double s; } units[] = {
			{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800},
		};
		double mult = 0;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++)
			if (*end == units[i].u && !end[1])
				mult = units[i].s;
		if (errno || end == s + 1 || !mult || !(v >= 0) || v > 1e7)
			return -EINVAL;
		int64_t d = (int64_t)(v * mult * 1000);
		*ms = *s == '-' ? now_ms - d : now_ms + d;
		return 0;
	}
	if (*s == '@') {
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);
		if (errno || *end || end == s + 1)
			return -EINVAL;
		*ms = (int64_t)v * 1000;
		return 0;
	}
	time_t now = (time_t)(now_ms / 1000);
	struct tm tm;
	localtime_r(&now, &tm);
	int Y, M, D, h = 0, m = 0, sec = 0, n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &n) == 3 && (!s[n] || s[n] == ' ' || s[n] == 'T')) {
		const char *t = s[n] ? s + n + 1 : "";
		int k = 0;
		if (*t && !(sscanf(t, "%2d:%2d%n", &h, &m, &k) == 2 &&
			    (!t[k] || (sscanf(t + k, ":%2d%n", &sec, &n) == 1 && !t[k + n]))))
			return -EINVAL;
		tm.tm_year = Y - 1900;
		tm.tm_mon = M - 1;
		tm.tm_mday = D;
	} else {
		int k = 0;
		if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2)
			return -EINVAL;
		if (s[n] && (sscanf(s + n, ":%2d%n", &sec, &k) != 1 || s[n + k]))
			return -EINVAL;
	}
	if (h > 23 || m > 59 || sec > 60)
		return -EINVAL;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ms = (int64_t)t * 1000;
	return 0;
}

/* "500M", "2G", "1.5T", "4096" (bytes; K, M, G, T are powers of 1024). */
int parse_bytes(const char *s, uint64_t *bytes)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	double mult = 1;
	switch (*end) {
	case 'k': case 'K': mult = 1024.0; end++; break;
	case 'm': case 'M': mult = 1048576.0; end++; break;
	case 'g': case 'G': mult = 1073741824.0; end++; break;
	case 't': case 'T': mult = 1099511627776.0; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'i')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (errno || end == s || *end || !(v > 0) || v * mult > 1e18)
		return -EINVAL;
	*bytes = (uint64_t)(v * mult);
	return 0;
}

/* ---- numbers as the views show them --------------------------------------- */

/* Bytes scaled by 1024 with a unit letter; narrow keeps it to 4 chars. */
static void fmt_scaled(char *buf, size_t sz, uint64_t v, bool narrow)
{
	static const char units[] = "BKMGTPE";
	if (v == VT_UNKNOWN) {
		snprintf(buf, sz, "-");
		return;
	}
	double d = (double)v;
	int u = 0;
	while ((narrow ? d >= 999.5 : d >= 1024.0) && u < 6) {
		d /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, sz, "%lluB", (unsigned long long)v);
	else if (narrow)
		snprintf(buf, sz, d < 9.95 ? "%.1f%c" : "%.0f%c", d, units[u]);
	else
		snprintf(buf, sz, d < 9.995 ? "%.2f%c" : d < 99.95 ? "%.1f%c" : "%.0f%c", d, units[u]);
}

void fmt_bytes(char *buf, size_t sz, uint64_t v)
{
	fmt_scaled(buf, sz, v, false);
}

void fmt_bytes_short(char *buf, size_t sz, uint64_t v)
{
	fmt_scaled(buf, sz, v, true);
}

void fmt_pct(char *buf, size_t sz, double v)
{
	if (isnan(v))
		snprintf(buf, sz, "-");
	else
		snprintf(buf, sz, "%.1f%%", v);
}

/* ---- systemd unit names ------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *cg_unescape(const char *in, size_t inlen, char *out, size_t outsz)
{
	size_t o = 0;
	for (size_t i = 0; i < inlen && o + 1 < outsz; i++) {
		if (in[i] == '\\' && i + 3 < inlen && in[i + 1] == 'x' && hexval(in[i + 2]) >= 0 &&
		    hexval(in[i + 3]) >= 0) {
			out[o++] = (char)(hexval(in[i + 2]) * 16 + hexval(in[i + 3]));
			i += 3;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
	return out;
}
