/* --influx: line protocol pushed from a thread of its own. The refresh
 * loop only formats and enqueues; a down or slow InfluxDB costs dropped
 * batches (told once), never a late refresh, and the queue is bounded. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "curlx.h"
#include "export.h"
#include "driver.h"
#include "outputs.h"

#define UDP_PAYLOAD 1400            /* bytes a datagram: under a 1500 MTU */

struct influx {
	struct output base;
	char *url;                      /* http(s), or NULL for UDP */
	char *auth;                     /* "Authorization: Token ..." for v2, or NULL */
	int udp;                        /* connected UDP socket, or -1 */
	char *where;                    /* what the notices name */
	struct export_state *st;
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	struct sb q[INFLUX_QUEUE_BATCHES]; /* a ring of batches */
	size_t qhead, qlen, qbytes;
	unsigned long dropped;          /* batches dropped since the last notice */
	bool down;                      /* the last push failed */
	bool stop;
	uint64_t drain_until;           /* at stop: what is queued is sent until then */
	char *notice;
};

/* Send one batch; 0, or -1 with err. */
static int push(struct influx *x, const struct sb *b, char *err, size_t errsz)
{
	if (x->udp >= 0) {
		/* whole lines per datagram; a longer line goes alone */
		size_t off = 0;
		while (off < b->len) {
			size_t end = off, next;
			while (end < b->len) {
				const char *nl = memchr(b->s + end, '\n', b->len - end);
				next = nl ? (size_t)(nl - b->s) + 1 : b->len;
				if (end > off && next - off > UDP_PAYLOAD)
					break;
				end = next;
			}
			if (send(x->udp, b->s + off, end - off, MSG_NOSIGNAL) < 0) {
				snprintf(err, errsz, "%s", strerror(errno));
				return -1;
			}
			off = end;
		}
		return 0;
	}
	const char *hdrs[] = {"Content-Type: text/plain; charset=utf-8", x->auth, NULL};
	struct curlx_req r = {
		.url = x->url, .body = b->s, .body_len = b->len, .headers = hdrs,
		.timeout_ms = INFLUX_TIMEOUT_MS, .max_reply = 64 << 10,
	};
	struct sb reply = {0};
	long status = 0;
	int rc = curlx_perform(&r, &reply, &status, err, errsz);
	if (!rc && (status < 200 || status > 299)) {
		/* InfluxDB says why in a JSON "error" or "message" */
		char body[200];
		sanitize(body, sizeof(body), reply.s ? reply.s : "");
		snprintf(err, errsz, "HTTP status %ld%s%s", status, *body ? ": " : "", body);
		rc = -1;
	}
	sb_free(&reply);
	return rc;
}

static void say(struct influx *x, char *msg)
{
	free(x->notice);
	x->notice = msg;
}

static void *influx_thread(void *arg)
{
	struct influx *x = arg;
	pthread_mutex_lock(&x->mu);
	for (;;) {
		while (!x->qlen && !x->stop)
			pthread_cond_wait(&x->cv, &x->mu);
		if (x->stop && (!x->qlen || x->down || now_mono_ns() > x->drain_until))
			break;
		struct sb b = x->q[x->qhead];
		x->q[x->qhead] = (struct sb){0};
		x->qhead = (x->qhead + 1) % INFLUX_QUEUE_BATCHES;
		x->qlen--;
		x->qbytes -= b.len;
		pthread_mutex_unlock(&x->mu);
		char err[256] = "";
		int rc = push(x, &b, err, sizeof(err));
		sb_free(&b);
		pthread_mutex_lock(&x->mu);
		if (rc) {
			x->dropped++;
			if (!x->down)
				say(x, xasprintf("InfluxDB at %s: %s; dropping data until it answers",
						 x->where, err));
			x->down = true;
		} else if (x->down) {
			say(x, xasprintf("InfluxDB at %s answers again (%lu batch%s dropped)", x->where,
					 x->dropped, x->dropped == 1 ? "" : "es"));
			x->down = false;
			x->dropped = 0;
		}
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

static void influx_frame(struct output *o, const struct frame *f)
{
	struct influx *x = (struct influx *)o;
	export_update(x->st, f);
	struct sb b = {0};
	export_influx(&b, f, x->st);
	if (!b.len) {
		sb_free(&b);
		return;
	}
	pthread_mutex_lock(&x->mu);
	/* full: the oldest batch goes, so memory stays bounded */
	while (x->qlen && (x->qlen == INFLUX_QUEUE_BATCHES || x->qbytes + b.len > INFLUX_QUEUE_BYTES)) {
		x->qbytes -= x->q[x->qhead].len;
		sb_free(&x->q[x->qhead]);
		x->qhead = (x->qhead + 1) % INFLUX_QUEUE_BATCHES;
		x->qlen--;
		x->dropped++;
	}
	if (b.len > INFLUX_QUEUE_BYTES) {
		x->dropped++;
		sb_free(&b);
	} else {
		x->q[(x->qhead + x->qlen) % INFLUX_QUEUE_BATCHES] = b;
		x->qlen++;
		x->qbytes += b.len;
		pthread_cond_signal(&x->cv);
	}
	pthread_mutex_unlock(&x->mu);
}

static char *influx_notice(struct output *o)
{
	struct influx *x = (struct influx *)o;
	pthread_mutex_lock(&x->mu);
	char *n = x->notice;
	x->notice = NULL;
	pthread_mutex_unlock(&x->mu);
	return n;
}

static void influx_free(struct output *o)
{
	struct influx *x = (struct influx *)o;
	pthread_mutex_lock(&x->mu);
	x->stop = true;
	/* the last frames still go out, for a bounded time */
	x->drain_until = now_mono_ns() + INFLUX_TIMEOUT_MS * 1000000ull;
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
	/* a push under way ends within its timeout */
	pthread_join(x->thr, NULL);
	for (size_t i = 0; i < INFLUX_QUEUE_BATCHES; i++)
		sb_free(&x->q[i]);
	if (x->udp >= 0)
		close(x->udp);
	pthread_mutex_destroy(&x->mu);
	pthread_cond_destroy(&x->cv);
	export_state_free(x->st);
	free(x->notice);
	free(x->url);
	free(x->auth);
	free(x->where);
	free(x);
}

static int udp_open(const char *hostport, char **cause)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof(host) || !colon[1]) {
		*cause = xasprintf("--influx udp://HOST:PORT, not udp://%s", hostport);
		return -1;
	}
	const char *h = hostport;
	size_t hl = (size_t)(colon - hostport);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
		h++, hl -= 2;
	memcpy(host, h, hl);
	host[hl] = '\0';
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int e = getaddrinfo(host, colon + 1, &hints, &res);
	if (e || !res) {
		*cause = xasprintf("--influx: cannot resolve %s: %s", host, gai_strerror(e));
		return -1;
	}
	int fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen)) {
		*cause = xasprintf("--influx: cannot open udp://%s: %s", hostport, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static char *read_token(const char *file, char **cause)
{
	if (!file) {
		const char *env = getenv("INFLUX_TOKEN");
		if (!env || !*env) {
			*cause = xstrdup("--influx to /api/v2/write needs a token: --influx-token-file "
					 "FILE or INFLUX_TOKEN");
			return NULL;
		}
		return xstrdup(env);
	}
	struct sb b = {0};
	int r = read_file_at(AT_FDCWD, file, &b, 4096);
	if (r || !b.len) {
		*cause = xasprintf("cannot read the InfluxDB token from %s: %s", file,
				   strerror(r ? -r : ENODATA));
		sb_free(&b);
		return NULL;
	}
	while (b.len && (b.s[b.len - 1] == '\n' || b.s[b.len - 1] == '\r' || b.s[b.len - 1] == ' '))
		b.s[--b.len] = '\0';
	return b.s;
}

struct output *output_influx(const char *url, const char *token_file, char **cause)
{
	struct influx *x = xcalloc(1, sizeof(*x));
	x->udp = -1;
	if (!strncmp(url, "udp://", 6)) {
		x->udp = udp_open(url + 6, cause);
		if (x->udp < 0) {
			free(x);
			return NULL;
		}
		x->where = xstrdup(url);
	} else if (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)) {
		if (!strstr(url, "/write")) {
			*cause = xasprintf("--influx wants the write URL (http://HOST:8086/write?db=DB or "
					   ".../api/v2/write?org=ORG&bucket=BUCKET), not %s", url);
			free(x);
			return NULL;
		}
		if (strstr(url, "/api/v2/write")) {
			char *tok = read_token(token_file, cause);
			if (!tok) {
				free(x);
				return NULL;
			}
			x->auth = xasprintf("Authorization: Token %s", tok);
			free(tok);
		}
		x->url = xstrdup(url);
		/* the notices name the server, never credentials in the URL */
		const char *h = strstr(url, "://") + 3;
		const char *at = strchr(h, '@'), *slash = strchr(h, '/');
		if (at && (!slash || at < slash))
			h = at + 1;
		slash = strchr(h, '/');
		x->where = slash ? xstrndup(h, (size_t)(slash - h)) : xstrdup(h);
	} else {
		*cause = xasprintf("--influx wants an http://, https:// or udp:// URL, not %s", url);
		free(x);
		return NULL;
	}
	x->base = (struct output){.frame = influx_frame, .notice = influx_notice, .free = influx_free};
	x->st = export_state_new();
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	int e = pthread_create(&x->thr, NULL, influx_thread, x);
	if (e) {
		*cause = xasprintf("cannot start the InfluxDB thread: %s", strerror(e));
		x->stop = true;
		/* nothing to join */
		if (x->udp >= 0)
			close(x->udp);
		export_state_free(x->st);
		free(x->url);
		free(x->auth);
		free(x->where);
		free(x);
		return NULL;
	}
	return &x->base;
}
