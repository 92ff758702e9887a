/* The QEMU guest agent client, run from the agent thread: for each VM
 * with an agent socket, one short session (connect, guest-sync-delimited,
 * guest-get-cpustats, disconnect) every second, with a deadline on the
 * whole session and a cap on what it reads. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent-qga.h"
#include "notices.h"
#include "util.h"

#define QGA_MAX_LINE (1u << 20)       /* bytes of one reply line */
#define QGA_MAX_SESSION (2u << 20)    /* bytes read in one session, stale ones too */
#define QGA_EVERY_NS (1000000000ull)  /* ask again after 1 s */
#define QGA_MISSING_NS (5000000000ull)  /* no socket: look again after 5 s */
#define QGA_BACKOFF_NS (30000000000ull) /* after a fault: a silent agent costs a timeout */

struct qga_ent {
	int pid;
	uint64_t start;
	char path[108];
	bool wanted;
	bool wanted_once;             /* path set */
	bool have;
	uint64_t next_ns;
	struct qga_facts f;
};

struct qga {
	pthread_mutex_t mu;
	long timeout_ms;
	struct qga_ent *v;
	size_t n, cap;
	struct notices notes;          /* problems told once until they clear */
	unsigned seq;                 /* guest-sync ids */
};

/* ---- the reply parser ------------------------------------------------------ */

static uint64_t get_u64(json_object *o, const char *key)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return 0; /* optional fields (iowait, steal, ...) of old guest kernels */
	int64_t i = json_object_get_int64(v);
	return i > 0 ? (uint64_t)json_object_get_uint64(v) : 0;
}

int parse_qga_cpustats(const char *json, size_t len, struct qga_cpu *out, char *err, size_t errsz)
{
	*out = (struct qga_cpu){0, VT_UNKNOWN, VT_UNKNOWN, VT_UNKNOWN, VT_UNKNOWN, VT_UNKNOWN};
	if (errsz)
		err[0] = '\0';
	struct json_tokener *tok = json_tokener_new_ex(32);
	if (!tok)
		return -ENOMEM;
	json_object *root = json_tokener_parse_ex(tok, json, (int)(len > INT32_MAX ? INT32_MAX : len));
	json_tokener_free(tok);
	if (!root)
		return -EINVAL;
	int r = -EINVAL;
	json_object *ret, *e;
	if (json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "error", &e)) {
		json_object *d;
		snprintf(err, errsz, "%s",
			 json_object_object_get_ex(e, "desc", &d) && json_object_get_string(d)
				 ? json_object_get_string(d)
				 : "error reply");
		r = -EPROTO;
	} else if (json_object_is_type(root, json_type_object) &&
		   json_object_object_get_ex(root, "return", &ret) &&
		   json_object_is_type(ret, json_type_array)) {
		struct qga_cpu c = {0};
		size_t n = json_object_array_length(ret);
		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_array_get_idx(ret, i), *t;
			if (!json_object_is_type(o, json_type_object) ||
			    !json_object_object_get_ex(o, "type", &t) ||
			    !json_object_is_type(t, json_type_string) ||
			    strcmp(json_object_get_string(t), "linux"))
				continue;
			/* sums of a few thousand CPUs' ms cannot overflow 64 bits
			 * unless the guest lies; saturate then */
			uint64_t part[5] = {
				get_u64(o, "user") + get_u64(o, "nice"),
				get_u64(o, "system") + get_u64(o, "irq") + get_u64(o, "softirq"),
				get_u64(o, "iowait"), get_u64(o, "steal"), get_u64(o, "idle")};
			uint64_t *sum[5] = {&c.user, &c.system, &c.iowait, &c.steal, &c.idle};
			for (size_t k = 0; k < 5; k++)
				*sum[k] = *sum[k] + part[k] < *sum[k] ? UINT64_MAX - 1 : *sum[k] + part[k];
			c.ncpu++;
		}
		if (c.ncpu) {
			*out = c;
			r = 0;
		}
	}
	json_object_put(root);
	return r;
}

/* ---- one session ----------------------------------------------------------- */

struct sess {
	const char *path;
	int fd;
	struct sb buf;
	size_t total;                 /* bytes read in this session */
	uint64_t deadline;
};

static int sess_connect(struct sess *s)
{
	int fd = unix_connect(s->path, s->deadline);
	if (fd < 0)
		return fd;
	s->fd = fd;
	return 0;
}

static int sess_send(struct sess *s, const char *msg)
{
	size_t len = strlen(msg), off = 0;
	while (off < len) {
		struct pollfd p = {s->fd, POLLOUT, 0};
		long left = ms_left(s->deadline);
		if (!left || poll(&p, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		ssize_t n = send(s->fd, msg + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

/* Read what is there (waiting until the deadline) onto buf. */
static int sess_fill(struct sess *s)
{
	long left = ms_left(s->deadline);
	if (!left)
		return -ETIMEDOUT;
	struct pollfd p = {s->fd, POLLIN, 0};
	int pr = poll(&p, 1, (int)left);
	if (pr < 0 && errno == EINTR)
		return 0;
	if (pr <= 0)
		return -ETIMEDOUT;
	char tmp[8192];
	ssize_t n = read(s->fd, tmp, sizeof(tmp));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return n == 0 ? -ECONNRESET : -errno;
	s->total += (size_t)n;
	if (s->total > QGA_MAX_SESSION)
		return -E2BIG;
	sb_add(&s->buf, tmp, (size_t)n);
	return 0;
}

static void sess_drop(struct sess *s, size_t n)
{
	memmove(s->buf.s, s->buf.s + n, s->buf.len - n);
	s->buf.len -= n;
	s->buf.s[s->buf.len] = '\0';
}

/* Skip past the next 0xFF, which the agent sends before its answer to
 * guest-sync-delimited: whatever came before is stale (a reply another
 * client left unread, an error for the 0xFF we sent). */
static int sess_delimiter(struct sess *s)
{
	for (;;) {
		char *d = s->buf.s ? memchr(s->buf.s, 0xff, s->buf.len) : NULL;
		if (d) {
			sess_drop(s, (size_t)(d - s->buf.s) + 1);
			return 0;
		}
		sb_clear(&s->buf);
		int r = sess_fill(s);
		if (r)
			return r;
	}
}

/* One reply line (without its newline) into line. */
static int sess_line(struct sess *s, struct sb *line)
{
	for (;;) {
		char *nl = s->buf.s ? memchr(s->buf.s, '\n', s->buf.len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - s->buf.s);
			sb_clear(line);
			sb_add(line, s->buf.s, n);
			sess_drop(s, n + 1);
			return 0;
		}
		if (s->buf.len > QGA_MAX_LINE)
			return -E2BIG;
		int r = sess_fill(s);
		if (r)
			return r;
	}
}

/* guest-sync-delimited with a fresh id, until the agent echoes it. */
static int sess_sync(struct sess *s, unsigned id)
{
	char cmd[128];
	/* the leading 0xFF makes the agent's JSON parser drop any half
	 * command a previous client left behind */
	snprintf(cmd, sizeof(cmd),
		 "\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":%u}}\n", id);
	int r = sess_send(s, cmd);
	struct sb line = {0};
	for (int tries = 0; !r && tries < 8; tries++) {
		r = sess_delimiter(s);
		if (!r)
			r = sess_line(s, &line);
		if (r)
			break;
		json_object *o = json_tokener_parse(line.s), *v;
		bool ok = o && json_object_is_type(o, json_type_object) &&
			  json_object_object_get_ex(o, "return", &v) &&
			  json_object_is_type(v, json_type_int) && json_object_get_int64(v) == (int64_t)id;
		json_object_put(o);
		if (ok) {
			sb_free(&line);
			return 0;
		}
	}
	sb_free(&line);
	return r ? r : -EPROTO;
}

static void sess_note(const struct sess *s, int r, long timeout_ms, char *note, size_t sz)
{
	if (r == -ETIMEDOUT && !s->total)
		snprintf(note, sz, "guest agent at %s does not answer (is qemu-ga running in the "
				   "guest, or does another client hold the socket?)", s->path);
	else if (r == -ETIMEDOUT)
		snprintf(note, sz, "guest agent at %s: no complete answer within %ld ms", s->path,
			 timeout_ms);
	else if (r == -E2BIG)
		snprintf(note, sz, "guest agent at %s: reply larger than %u MiB, dropped", s->path,
			 QGA_MAX_SESSION >> 20);
	else if (r == -EPROTO)
		snprintf(note, sz, "guest agent at %s: unexpected answer to guest-sync-delimited",
			 s->path);
	else
		snprintf(note, sz, "guest agent socket %s: %s", s->path, strerror(-r));
}

/* One session. Returns 0, -ENOENT when the VM has no agent socket (not a
 * fault), or another -errno with note saying what went wrong. */
static int qga_ask(const char *path, long timeout_ms, unsigned id, struct qga_cpu *out, char *note,
		   size_t nsz)
{
	struct sess s = {.path = path, .fd = -1};
	s.deadline = now_mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	note[0] = '\0';
	int r = sess_connect(&s);
	if (r == -ENOENT) {
		snprintf(note, nsz, "no guest agent: its socket %s does not exist", path);
		return r;
	}
	if (r == -EACCES) {
		snprintf(note, nsz, "guest agent socket %s: permission denied (needs root)", path);
		return r;
	}
	if (r) {
		sess_note(&s, r, timeout_ms, note, nsz);
		return r;
	}
	r = sess_sync(&s, id);
	if (!r)
		r = sess_send(&s, "{\"execute\":\"guest-get-cpustats\"}\n");
	struct sb line = {0};
	if (!r)
		r = sess_line(&s, &line);
	if (r) {
		sess_note(&s, r, timeout_ms, note, nsz);
	} else {
		char err[128];
		r = parse_qga_cpustats(line.s, line.len, out, err, sizeof(err));
		if (r == -EPROTO)
			snprintf(note, nsz, "guest agent at %s: %s (guest-get-cpustats needs "
					    "qemu-ga 7.1 or later)", path, err);
		else if (r)
			snprintf(note, nsz, "guest agent at %s: unexpected guest-get-cpustats reply",
				 path);
	}
	sb_free(&line);
	sb_free(&s.buf);
	close(s.fd);
	return r;
}

/* ---- notices ----------------------------------------------------------------- */

char *qga_notice(struct qga *q)
{
	pthread_mutex_lock(&q->mu);
	char *n = notices_next(&q->notes);
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* ---- the table of VMs ------------------------------------------------------- */

struct qga *qga_new(long timeout_ms)
{
	struct qga *q = xcalloc(1, sizeof(*q));
	q->timeout_ms = timeout_ms > 0 ? timeout_ms : 300;
	q->seq = (unsigned)(now_mono_ns() >> 10);
	pthread_mutex_init(&q->mu, NULL);
	return q;
}

void qga_free(struct qga *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->mu);
	notices_free(&q->notes);
	free(q->v);
	free(q);
}

void qga_begin(struct qga *q)
{
	pthread_mutex_lock(&q->mu);
	for (size_t i = 0; i < q->n; i++)
		q->v[i].wanted = false;
	pthread_mutex_unlock(&q->mu);
}

void qga_want(struct qga *q, int pid, uint64_t start, const char *path)
{
	if (!path)
		path = "";
	pthread_mutex_lock(&q->mu);
	struct qga_ent *e = NULL;
	for (size_t i = 0; i < q->n && !e; i++)
		if (q->v[i].pid == pid && q->v[i].start == start)
			e = &q->v[i];
	if (!e) {
		q->v = xgrow(q->v, q->n, &q->cap, sizeof(*q->v), 8);
		e = &q->v[q->n++];
		memset(e, 0, sizeof(*e));
		e->pid = pid;
		e->start = start;
	}
	if (strcmp(e->path, path) || !e->wanted_once) {
		str_copy(e->path, sizeof(e->path), path);
		e->wanted_once = true;
		e->f = (struct qga_facts){0};
		e->next_ns = 0;
		/* a VM without the port is known at once: never asked */
		e->have = !path[0];
		if (!path[0])
			snprintf(e->f.note, sizeof(e->f.note), "no guest agent: the VM has no "
				 "virtio-serial port org.qemu.guest_agent.0");
	}
	e->wanted = true;
	pthread_mutex_unlock(&q->mu);
}

bool qga_commit(struct qga *q)
{
	pthread_mutex_lock(&q->mu);
	size_t o = 0;
	bool work = false;
	for (size_t i = 0; i < q->n; i++) {
		if (q->v[i].wanted) {
			work = work || q->v[i].path[0];
			q->v[o++] = q->v[i];
		}
	}
	q->n = o;
	pthread_mutex_unlock(&q->mu);
	return work;
}

void qga_work(struct qga *q, const bool *stop)
{
	pthread_mutex_lock(&q->mu);
	uint64_t now = now_mono_ns();
	struct qga_ent *todo = xcalloc(q->n + 1, sizeof(*todo));
	size_t k = 0;
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i].wanted && q->v[i].path[0] && now >= q->v[i].next_ns)
			todo[k++] = q->v[i];
	pthread_mutex_unlock(&q->mu);
	for (size_t i = 0; i < k && !__atomic_load_n(stop, __ATOMIC_RELAXED); i++) {
		struct qga_cpu c;
		char note[sizeof(todo[i].f.note)];
		int r = qga_ask(todo[i].path, q->timeout_ms * 2, ++q->seq, &c, note, sizeof(note));
		pthread_mutex_lock(&q->mu);
		for (size_t j = 0; j < q->n; j++) {
			struct qga_ent *e = &q->v[j];
			if (e->pid != todo[i].pid || e->start != todo[i].start || strcmp(e->path, todo[i].path))
				continue;
			if (!r) {
				/* the previous reading stays as prev: a refresh faster
				 * than the agent's still has an interval */
				bool same = e->have && e->f.cur.ncpu == c.ncpu;
				e->f.prev = same ? e->f.cur : (struct qga_cpu){0};
				e->f.cur = c;
			} else {
				e->f.cur = e->f.prev = (struct qga_cpu){0};
			}
			str_copy(e->f.note, sizeof(e->f.note), note);
			e->have = true;
			/* no socket is the VM's setting, and a socket only root
			 * may open is said once by the "not root" notice: neither
			 * is a fault to announce */
			bool fault = r && r != -ENOENT && r != -EACCES;
			e->next_ns = now_mono_ns() + (r == -ENOENT ? QGA_MISSING_NS
						      : r ? QGA_BACKOFF_NS : QGA_EVERY_NS);
			char key[160];
			snprintf(key, sizeof(key), "qga:%s", e->path);
			if (fault)
				notices_report(&q->notes, key, note);
			else
				notices_clear(&q->notes, key);
		}
		pthread_mutex_unlock(&q->mu);
	}
	free(todo);
}

bool qga_get(struct qga *q, int pid, uint64_t start, struct qga_facts *out)
{
	bool have = false;
	pthread_mutex_lock(&q->mu);
	for (size_t i = 0; i < q->n && !have; i++) {
		if (q->v[i].pid == pid && q->v[i].start == start && q->v[i].have) {
			*out = q->v[i].f;
			have = true;
		}
	}
	pthread_mutex_unlock(&q->mu);
	return have;
}
