/* The socket worker: Engine API names and QMP balloon statistics, in one
 * thread, with short timeouts, publishing under a mutex. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent-libvirt.h"
#include "agent-qga.h"
#include "agent.h"
#include "curlx.h"
#include "notices.h"
#include "util.h"

#define MAX_REPLY (8u << 20)          /* bytes from one API or QMP reply */
/* ask a VM again after 0.4 s at the earliest: each refresh wakes the
 * thread, so every sample has block counters read since the last one */
#define VM_EVERY_NS (400000000ull)
#define VM_BACKOFF_NS (10000000000ull)
#define NAMES_EVERY_NS (60000000000ull)

struct vm_ent {
	int pid;
	uint64_t start;
	char qmp[256];
	bool wanted;
	uint64_t next_ns;             /* when to ask again */
	struct vm_facts f;
	bool have;
};

struct name_ent {
	enum runtime rt;
	char id[80];
	char name[256];
	bool wanted;
	bool listed;                  /* the API listed it; else asked and not listed */
};

struct api {
	enum runtime rt;
	char sock[256];
	const char *path;             /* runtime_def.api.path */
	uint64_t asked_ns;            /* last successful list, 0 never */
	uint64_t next_ns;             /* earliest next attempt */
	bool need;                    /* an unknown id appeared */
	bool used;                    /* guests of this runtime exist */
};

struct agent {
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, started;
	bool enable;
	long timeout_ms;
	struct vm_ent *vms;
	size_t nvms, capvms;
	struct name_ent *names;
	size_t nnames, capnames;
	struct api apis[RT_COUNT];    /* the runtimes with an Engine API */
	size_t napis;
	struct notices notes;          /* problems told once until they clear */
	struct lvirt *lv;             /* libvirt's API (agent-libvirt.c) */
	bool lv_wanted;               /* VMs of a libvirt runtime exist */
	struct qga *qga;              /* guest agent sessions (agent-qga.c) */
};

/* ---- notices ------------------------------------------------------------- */

/* Report a problem once (key identifies it); under the lock. */
static void problem(struct agent *a, const char *key, const char *msg)
{
	notices_report(&a->notes, key, msg);
}

static void cleared(struct agent *a, const char *key)
{
	notices_clear(&a->notes, key);
}

char *agent_notice(struct agent *a)
{
	pthread_mutex_lock(&a->mu);
	char *n = notices_next(&a->notes);
	pthread_mutex_unlock(&a->mu);
	return n ? n : qga_notice(a->qga);
}

/* ---- Engine API ---------------------------------------------------------- */

int parse_engine_containers(const char *json, size_t len, engine_fn fn, void *arg)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	if (!tok)
		return -ENOMEM;
	json_object *root = json_tokener_parse_ex(tok, json, (int)(len > INT32_MAX ? INT32_MAX : len));
	json_tokener_free(tok);
	if (!root)
		return -EINVAL;
	if (!json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return -EINVAL;
	}
	size_t n = json_object_array_length(root);
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(root, i), *v;
		if (!json_object_is_type(c, json_type_object))
			continue;
		const char *id = NULL, *name = NULL, *image = NULL, *state = NULL;
		if (json_object_object_get_ex(c, "Id", &v) && json_object_is_type(v, json_type_string))
			id = json_object_get_string(v);
		if (json_object_object_get_ex(c, "Names", &v) && json_object_is_type(v, json_type_array) &&
		    json_object_array_length(v) > 0) {
			json_object *n0 = json_object_array_get_idx(v, 0);
			if (json_object_is_type(n0, json_type_string))
				name = json_object_get_string(n0);
		}
		if (json_object_object_get_ex(c, "Image", &v) && json_object_is_type(v, json_type_string))
			image = json_object_get_string(v);
		if (json_object_object_get_ex(c, "State", &v) && json_object_is_type(v, json_type_string))
			state = json_object_get_string(v);
		if (!id || !name)
			continue;
		if (*name == '/')
			name++;
		fn(arg, id, name, image, state);
	}
	json_object_put(root);
	return 0;
}

struct list_ctx {
	struct agent *a;
	enum runtime rt;
	struct name_ent *fresh;
	size_t n, cap;
};

static void on_container(void *arg, const char *id, const char *name, const char *image,
			 const char *state)
{
	(void)image;
	(void)state;
	struct list_ctx *l = arg;
	l->fresh = xgrow(l->fresh, l->n, &l->cap, sizeof(*l->fresh), 32);
	struct name_ent *e = &l->fresh[l->n++];
	memset(e, 0, sizeof(*e));
	e->rt = l->rt;
	str_copy(e->id, sizeof(e->id), id);
	str_copy(e->name, sizeof(e->name), name);
}

/* GET the container list from one Engine API; runs without the lock. */
static int list_containers(struct agent *a, const struct api *api, struct list_ctx *l, char *err,
			   size_t errsz)
{
	const char *sock = api->sock;
	/* no daemon, no need for libcurl (and its megabytes) to say so */
	struct stat st;
	if (stat(sock, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		snprintf(err, errsz, "%s", stat(sock, &st) < 0 ? "no such socket" : "not a socket");
		return -ENOENT;
	}
	struct sb body = {0};
	long status = 0;
	char url[300];
	snprintf(url, sizeof(url), "http://localhost%s", api->path);
	struct curlx_req req = {
		.url = url, .unix_socket = sock,
		.timeout_ms = a->timeout_ms * 2, .connect_timeout_ms = a->timeout_ms,
		.max_reply = MAX_REPLY,
	};
	int rc = curlx_perform(&req, &body, &status, err, errsz);
	int r = 0;
	if (rc) {
		r = -EIO;
	} else if (status != 200) {
		snprintf(err, errsz, "HTTP status %ld", status);
		r = -EIO;
	} else {
		l->a = a;
		l->rt = api->rt;
		if (parse_engine_containers(body.s ? body.s : "", body.len, on_container, l)) {
			snprintf(err, errsz, "malformed JSON reply");
			r = -EINVAL;
		}
	}
	sb_free(&body);
	return r;
}

/* ---- QMP ----------------------------------------------------------------- */

/* Read one line ending in '\n' into line (the rest stays in buf). */
static int qmp_line(int fd, struct sb *buf, struct sb *line, uint64_t deadline)
{
	for (;;) {
		char *nl = buf->s ? memchr(buf->s, '\n', buf->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - buf->s) + 1;
			sb_clear(line);
			sb_add(line, buf->s, n);
			memmove(buf->s, buf->s + n, buf->len - n);
			buf->len -= n;
			buf->s[buf->len] = '\0';
			return 0;
		}
		if (buf->len > MAX_REPLY)
			return -E2BIG;
		long left = ms_left(deadline);
		if (!left)
			return -ETIMEDOUT;
		struct pollfd p = {fd, POLLIN, 0};
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -ETIMEDOUT;
		char tmp[8192];
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n == 0 ? -ECONNRESET : -errno;
		sb_add(buf, tmp, (size_t)n);
	}
}

static int qmp_send(int fd, const char *cmd, uint64_t deadline)
{
	size_t len = strlen(cmd), off = 0;
	while (off < len) {
		struct pollfd p = {fd, POLLOUT, 0};
		long left = ms_left(deadline);
		if (!left || poll(&p, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		ssize_t n = send(fd, cmd + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

/* Send a command, return its "return" value (caller puts), skipping
 * events. -EPROTO with the QMP error class in err on an error reply. */
static int qmp_cmd(int fd, struct sb *buf, const char *cmd, uint64_t deadline, json_object **ret,
		   char *err, size_t errsz)
{
	int r = qmp_send(fd, cmd, deadline);
	if (r)
		return r;
	struct sb line = {0};
	for (;;) {
		r = qmp_line(fd, buf, &line, deadline);
		if (r)
			break;
		json_object *o = json_tokener_parse(line.s);
		if (!o)
			continue;
		json_object *v;
		if (json_object_object_get_ex(o, "return", &v)) {
			*ret = json_object_get(v);
			json_object_put(o);
			break;
		}
		if (json_object_object_get_ex(o, "error", &v)) {
			json_object *d;
			snprintf(err, errsz, "%s",
				 json_object_object_get_ex(v, "desc", &d) ? json_object_get_string(d) : "error");
			json_object_put(o);
			r = -EPROTO;
			break;
		}
		json_object_put(o); /* an event: not ours */
	}
	sb_free(&line);
	return r;
}

static uint64_t stat_u64(json_object *stats, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(stats, k, &v) || !json_object_is_type(v, json_type_int))
		return VT_UNKNOWN;
	int64_t x = json_object_get_int64(v);
	return x < 0 ? VT_UNKNOWN : (uint64_t)x;
}

int parse_qmp_guest_stats(json_object *ret, struct vm_facts *f)
{
	json_object *stats, *lu;
	if (!json_object_is_type(ret, json_type_object) ||
	    !json_object_object_get_ex(ret, "stats", &stats) ||
	    !json_object_is_type(stats, json_type_object))
		return -EINVAL;
	if (json_object_object_get_ex(ret, "last-update", &lu) && json_object_get_int64(lu) == 0)
		return -ENOENT;
	f->total = stat_u64(stats, "stat-total-memory");
	f->avail = stat_u64(stats, "stat-available-memory");
	f->free = stat_u64(stats, "stat-free-memory");
	f->cache = stat_u64(stats, "stat-disk-caches");
	return f->total == VT_UNKNOWN ? -ENOENT : 0;
}

int parse_qmp_cpus(json_object *ret, struct vm_facts *f)
{
	f->nvcpu = 0;
	if (!json_object_is_type(ret, json_type_array))
		return -EINVAL;
	size_t n = json_object_array_length(ret);
	for (size_t i = 0; i < n && f->nvcpu < VCPU_MAX; i++) {
		json_object *c = json_object_array_get_idx(ret, i), *t;
		if (json_object_is_type(c, json_type_object) &&
		    json_object_object_get_ex(c, "thread-id", &t) && json_object_is_type(t, json_type_int) &&
		    json_object_get_int(t) > 0)
			f->vcpu_tids[f->nvcpu++] = json_object_get_int(t);
	}
	return 0;
}

int parse_qmp_blockstats(json_object *ret, struct vm_facts *f)
{
	f->ndrives = 0;
	if (!json_object_is_type(ret, json_type_array))
		return -EINVAL;
	size_t n = json_object_array_length(ret);
	for (size_t i = 0; i < n && f->ndrives < DRIVE_MAX; i++) {
		json_object *d = json_object_array_get_idx(ret, i), *st, *v;
		if (!json_object_is_type(d, json_type_object) ||
		    !json_object_object_get_ex(d, "stats", &st) ||
		    !json_object_is_type(st, json_type_object))
			continue;
		/* "device" is the -drive id (Proxmox "drive-scsi0"); a drive
		 * made with -blockdev has "" there and a qdev path or node name */
		const char *name = NULL;
		static const char *const keys[] = {"device", "qdev", "node-name"};
		for (size_t k = 0; k < ARRAY_SIZE(keys) && !name; k++)
			if (json_object_object_get_ex(d, keys[k], &v) &&
			    json_object_is_type(v, json_type_string) && *json_object_get_string(v))
				name = json_object_get_string(v);
		if (!name)
			continue;
		struct drive_sample *ds = &f->drives[f->ndrives++];
		memset(ds, 0, sizeof(*ds));
		/* a qdev path "/machine/peripheral/virtio0/virtio-backend":
		 * its device's name is what the admin gave */
		const char *p = strstr(name, "/machine/peripheral/");
		if (p) {
			p += 20;
			str_copy(ds->name, sizeof(ds->name), p);
			char *slash = strchr(ds->name, '/');
			if (slash)
				*slash = '\0';
		} else {
			str_copy(ds->name, sizeof(ds->name), name);
		}
		ds->rd_bytes = stat_u64(st, "rd_bytes");
		ds->wr_bytes = stat_u64(st, "wr_bytes");
		ds->rd_ops = stat_u64(st, "rd_operations");
		ds->wr_ops = stat_u64(st, "wr_operations");
		ds->rd_time_ns = stat_u64(st, "rd_total_time_ns");
		ds->wr_time_ns = stat_u64(st, "wr_total_time_ns");
	}
	return 0;
}

int parse_qmp_balloon(json_object *ret, struct vm_facts *f)
{
	f->balloon = VT_UNKNOWN;
	if (!json_object_is_type(ret, json_type_object))
		return -EINVAL;
	f->balloon = stat_u64(ret, "actual");
	return f->balloon == VT_UNKNOWN ? -EINVAL : 0;
}

int parse_qom_balloon(json_object *list, const char *parent, char *out, size_t outsz)
{
	if (!json_object_is_type(list, json_type_array))
		return -EINVAL;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i), *n, *t;
		if (!json_object_object_get_ex(e, "name", &n) || !json_object_object_get_ex(e, "type", &t))
			continue;
		const char *name = json_object_get_string(n), *type = json_object_get_string(t);
		/* "child<virtio-balloon-pci>", -ccw, -device; names QEMU made
		 * ("device[3]") or the admin gave: no quote or backslash */
		if (!name || !type || strncmp(type, "child<virtio-balloon", 20) ||
		    strpbrk(name, "\"\\") || strlen(parent) + strlen(name) + 2 > outsz)
			continue;
		snprintf(out, outsz, "%s/%s", parent, name);
		return 0;
	}
	return -ENOENT;
}

/* qom-get (value NULL) or qom-set of property on the QOM object at path;
 * path and value come from QEMU or vtax itself, never from the guest. */
static int qom(int fd, struct sb *buf, uint64_t deadline, const char *path, const char *property,
	       const char *value, json_object **ret, char *err, size_t errsz)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"qom-%s\",\"arguments\":{\"path\":\"%s\",\"property\":\"%s\"%s%s}}\n",
		 value ? "set" : "get", path, property, value ? ",\"value\":" : "", value ? value : "");
	return qmp_cmd(fd, buf, cmd, deadline, ret, err, errsz);
}

/* Any virtio balloon among the devices QOM lists. */
static int find_balloon(int fd, struct sb *buf, uint64_t deadline, char *out, size_t outsz)
{
	static const char *const parents[] = {"/machine/peripheral", "/machine/peripheral-anon"};
	for (size_t i = 0; i < ARRAY_SIZE(parents); i++) {
		char cmd[160], err[160];
		json_object *ret = NULL;
		snprintf(cmd, sizeof(cmd), "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"%s\"}}\n",
			 parents[i]);
		int r = qmp_cmd(fd, buf, cmd, deadline, &ret, err, sizeof(err));
		if (!r)
			r = parse_qom_balloon(ret, parents[i], out, outsz);
		json_object_put(ret);
		if (!r)
			return 0;
	}
	return -ENOENT;
}

/* One QMP session. */
struct qmp {
	const char *path;
	int fd;
	struct sb buf;                /* what was read past the last reply */
	uint64_t deadline;
	long timeout_ms;              /* of the whole session */
	char err[160];                /* the last error reply's description */
};

/* The note for an exchange that failed with r. */
static void qmp_failed(const struct qmp *q, int r, struct vm_facts *f)
{
	if (r == -ETIMEDOUT)
		snprintf(f->note, sizeof(f->note), "QMP socket %s: no complete answer within %ld ms",
			 q->path, q->timeout_ms);
	else if (r == -E2BIG)
		snprintf(f->note, sizeof(f->note), "QMP socket %s: reply larger than 8 MiB, dropped",
			 q->path);
	else if (r == -EPROTO)
		snprintf(f->note, sizeof(f->note), "QMP %s: %s", q->path, q->err);
	else
		snprintf(f->note, sizeof(f->note), "QMP socket %s: %s", q->path, strerror(-r));
}

/* The greeting, then capabilities negotiation. */
static int qmp_start(struct qmp *q, struct vm_facts *f)
{
	struct sb line = {0};
	int r = qmp_line(q->fd, &q->buf, &line, q->deadline);
	bool greeted = !r && strstr(line.s, "\"QMP\"");
	sb_free(&line);
	if (r == -ETIMEDOUT && q->buf.len == 0) {
		snprintf(f->note, sizeof(f->note), "QMP socket %s is busy (another client holds it)",
			 q->path);
		return r;
	}
	if (r == -ETIMEDOUT || r == -E2BIG) {
		qmp_failed(q, r, f);
		return r;
	}
	if (r || !greeted) {
		snprintf(f->note, sizeof(f->note), "QMP socket %s: no QMP greeting", q->path);
		return r ? r : -EPROTO;
	}
	json_object *ret = NULL;
	r = qmp_cmd(q->fd, &q->buf, "{\"execute\":\"qmp_capabilities\"}\n", q->deadline, &ret, q->err,
		    sizeof(q->err));
	json_object_put(ret);
	if (r)
		qmp_failed(q, r, f);
	return r;
}

static int qom_get(struct qmp *q, const char *dev, const char *property, json_object **ret)
{
	return qom(q->fd, &q->buf, q->deadline, dev, property, NULL, ret, q->err, sizeof(q->err));
}

/* The guest's memory statistics from its virtio balloon, with their
 * polling turned on when vtax may. */
static int qmp_balloon(struct agent *a, struct qmp *q, struct vm_facts *f)
{
	/* balloon0 as Proxmox and libvirt name it, else any virtio-balloon
	 * device QOM lists (one added without an id, say) */
	static const char interval_prop[] = "guest-stats-polling-interval";
	char dev[128] = "/machine/peripheral/balloon0";
	json_object *ret = NULL;
	int r = qom_get(q, dev, interval_prop, &ret);
	if (r == -EPROTO && !find_balloon(q->fd, &q->buf, q->deadline, dev, sizeof(dev)))
		r = qom_get(q, dev, interval_prop, &ret);
	if (r == -EPROTO) {
		snprintf(f->note, sizeof(f->note), "no virtio balloon device: the guest "
						   "cannot report its memory");
		return -ENOENT;
	}
	int64_t interval = r ? 0 : json_object_get_int64(ret);
	json_object_put(ret);
	ret = NULL;
	if (!r && interval <= 0) {
		if (!a->enable) {
			snprintf(f->note, sizeof(f->note), "balloon statistics are off (polling "
							   "interval 0); start vtax with --enable-balloon-stats");
			return -ENOENT;
		}
		r = qom(q->fd, &q->buf, q->deadline, dev, interval_prop, "2", &ret, q->err,
			sizeof(q->err));
		json_object_put(ret);
		ret = NULL;
	}
	if (!r)
		r = qom_get(q, dev, "guest-stats", &ret);
	if (r) {
		qmp_failed(q, r, f);
		return r;
	}
	r = parse_qmp_guest_stats(ret, f);
	json_object_put(ret);
	if (r == -ENOENT)
		snprintf(f->note, sizeof(f->note), "the guest has not reported its memory yet (is the "
						   "virtio_balloon driver loaded in the guest?)");
	else if (r)
		snprintf(f->note, sizeof(f->note), "QMP %s: unexpected guest-stats reply", q->path);
	return r;
}

/* One short QMP session: greeting, capabilities, vCPU threads, balloon
 * statistics. Never holds the socket beyond this call. */
static int qmp_query(struct agent *a, const char *path, struct vm_facts *f)
{
	struct qmp q = {.path = path, .timeout_ms = a->timeout_ms * 2};
	q.deadline = now_mono_ns() + (uint64_t)q.timeout_ms * 1000000ull;
	f->total = f->avail = f->free = f->cache = VT_UNKNOWN;
	f->balloon = VT_UNKNOWN;
	f->note[0] = '\0';
	f->nvcpu = 0;
	f->ndrives = -1;
	q.fd = unix_connect(path, q.deadline);
	if (q.fd < 0) {
		snprintf(f->note, sizeof(f->note), "QMP socket %s: %s", path, strerror(-q.fd));
		return q.fd;
	}
	int r = qmp_start(&q, f);
	if (!r) {
		/* vCPU thread ids group threads right even without debug-threads=on */
		json_object *ret = NULL;
		if (!qmp_cmd(q.fd, &q.buf, "{\"execute\":\"query-cpus-fast\"}\n", q.deadline, &ret,
			     q.err, sizeof(q.err)))
			parse_qmp_cpus(ret, f);
		json_object_put(ret);
		ret = NULL;
		if (!qmp_cmd(q.fd, &q.buf, "{\"execute\":\"query-blockstats\"}\n", q.deadline, &ret,
			     q.err, sizeof(q.err)) &&
		    !parse_qmp_blockstats(ret, f))
			f->drives_ns = now_mono_ns();
		else
			f->ndrives = -1;
		json_object_put(ret);
		ret = NULL;
		/* "actual": the balloon's target; an error when there is none */
		if (!qmp_cmd(q.fd, &q.buf, "{\"execute\":\"query-balloon\"}\n", q.deadline, &ret,
			     q.err, sizeof(q.err)))
			parse_qmp_balloon(ret, f);
		json_object_put(ret);
		r = qmp_balloon(a, &q, f);
	}
	sb_free(&q.buf);
	close(q.fd);
	return r;
}

/* ---- the thread ------------------------------------------------------------ */

static void do_vms(struct agent *a)
{
	pthread_mutex_lock(&a->mu);
	uint64_t now = now_mono_ns();
	size_t n = a->nvms;
	struct vm_ent *todo = xcalloc(n + 1, sizeof(*todo));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (a->vms[i].wanted && a->vms[i].qmp[0] && now >= a->vms[i].next_ns)
			todo[k++] = a->vms[i];
	pthread_mutex_unlock(&a->mu);
	for (size_t i = 0; i < k && !a->stop; i++) {
		struct vm_facts f;
		int r = qmp_query(a, todo[i].qmp, &f);
		pthread_mutex_lock(&a->mu);
		for (size_t j = 0; j < a->nvms; j++) {
			struct vm_ent *e = &a->vms[j];
			if (e->pid != todo[i].pid || e->start != todo[i].start)
				continue;
			e->f = f;
			e->have = true;
			/* -ENOENT: statistics off or not reported yet, the guest's
			 * matter (its note says so), not a fault to announce */
			bool fault = r && r != -ENOENT;
			e->next_ns = now_mono_ns() + (fault ? VM_BACKOFF_NS : VM_EVERY_NS);
			char key[300];
			snprintf(key, sizeof(key), "qmp:%s", e->qmp);
			if (fault)
				problem(a, key, f.note);
			else
				cleared(a, key);
		}
		pthread_mutex_unlock(&a->mu);
	}
	free(todo);
}

/* The name entry of a container, found or made (zeroed but for rt, id). */
static struct name_ent *name_entry(struct agent *a, enum runtime rt, const char *id, bool *made)
{
	*made = false;
	for (size_t i = 0; i < a->nnames; i++)
		if (a->names[i].rt == rt && !strcmp(a->names[i].id, id))
			return &a->names[i];
	a->names = xgrow(a->names, a->nnames, &a->capnames, sizeof(*a->names), 32);
	struct name_ent *e = &a->names[a->nnames++];
	memset(e, 0, sizeof(*e));
	e->rt = rt;
	str_copy(e->id, sizeof(e->id), id);
	*made = true;
	return e;
}

static void do_names(struct agent *a)
{
	for (size_t i = 0; i < a->napis && !a->stop; i++) {
		pthread_mutex_lock(&a->mu);
		struct api api = a->apis[i];
		uint64_t now = now_mono_ns();
		bool due = api.used && now >= api.next_ns &&
			   (api.need || !api.asked_ns || now - api.asked_ns > NAMES_EVERY_NS);
		pthread_mutex_unlock(&a->mu);
		if (!due)
			continue;
		struct list_ctx l = {0};
		char err[200] = "";
		int r = list_containers(a, &api, &l, err, sizeof(err));
		pthread_mutex_lock(&a->mu);
		char key[300];
		snprintf(key, sizeof(key), "api:%s", api.sock);
		if (r) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s API at %s: %s; containers are shown by id",
				 runtime_name(api.rt), api.sock, err);
			problem(a, key, msg);
			a->apis[i].next_ns = now_mono_ns() + NAMES_EVERY_NS / 4;
		} else {
			cleared(a, key);
			for (size_t j = 0; j < l.n; j++) {
				bool made;
				struct name_ent *e = name_entry(a, l.fresh[j].rt, l.fresh[j].id, &made);
				*e = l.fresh[j];
				e->wanted = true;
				e->listed = true;
			}
			a->apis[i].asked_ns = now_mono_ns();
			a->apis[i].next_ns = 0;
		}
		a->apis[i].need = false;
		pthread_mutex_unlock(&a->mu);
		free(l.fresh);
	}
}

/* libvirt: its own worker asks; here its problems become notices. */
static void do_libvirt(struct agent *a)
{
	pthread_mutex_lock(&a->mu);
	bool wanted = a->lv_wanted;
	pthread_mutex_unlock(&a->mu);
	char msg[512];
	int r = lvirt_poll(a->lv, wanted, msg, sizeof(msg));
	pthread_mutex_lock(&a->mu);
	if (r > 0)
		problem(a, "libvirt", msg);
	else if (!r)
		cleared(a, "libvirt");
	pthread_mutex_unlock(&a->mu);
}

static void *agent_main(void *arg)
{
	struct agent *a = arg;
	pthread_mutex_lock(&a->mu);
	while (!a->stop) {
		pthread_mutex_unlock(&a->mu);
		do_names(a);
		do_vms(a);
		do_libvirt(a);
		qga_work(a->qga, &a->stop);
		pthread_mutex_lock(&a->mu);
		if (a->stop)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 500000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&a->cv, &a->mu, &ts);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static void sock_from_env(char *out, size_t sz, const char *opt, const char *env, const char *dflt)
{
	const char *e = env ? getenv(env) : NULL;
	if (opt)
		str_copy(out, sz, opt);
	else if (e && !strncmp(e, "unix://", 7))
		str_copy(out, sz, e + 7);
	else
		str_copy(out, sz, dflt);
}

struct agent *agent_new(const struct agent_opts *o)
{
	struct agent *a = xcalloc(1, sizeof(*a));
	a->enable = o->enable_balloon_stats;
	a->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 300;
	for (int rt = 0; rt < RT_COUNT; rt++) {
		const struct runtime_def *d = &runtimes[rt];
		if (d->api.kind != API_ENGINE)
			continue; /* the one kind of API spoken here */
		struct api *api = &a->apis[a->napis++];
		api->rt = (enum runtime)rt;
		api->path = d->api.path;
		sock_from_env(api->sock, sizeof(api->sock), d->api.option ? d->api.option(o) : NULL,
			      d->api.env, d->api.sock);
	}
	a->lv = lvirt_new(LV_SOCK, a->timeout_ms);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->qga = qga_new(a->timeout_ms);
	/* libcurl (and its TLS stack) is set up only when a container API is
	 * first asked: a host without containers never pays for it */
	/* started lazily, when the first guest that needs it appears */
	return a;
}

void agent_free(struct agent *a)
{
	if (!a)
		return;
	if (a->started) {
		pthread_mutex_lock(&a->mu);
		a->stop = true;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thr, NULL);
	}
	lvirt_free(a->lv);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	qga_free(a->qga);
	notices_free(&a->notes);
	free(a->vms);
	free(a->names);
	free(a);
}

void agent_begin(struct agent *a)
{
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < a->nvms; i++)
		a->vms[i].wanted = false;
	for (size_t i = 0; i < a->napis; i++)
		a->apis[i].used = false;
	for (size_t i = 0; i < a->nnames; i++)
		a->names[i].wanted = false;
	a->lv_wanted = false;
	qga_begin(a->qga);
}

void agent_want_libvirt(struct agent *a)
{
	a->lv_wanted = true;
}

bool agent_libvirt_domain(struct agent *a, const char *id, struct lv_domain *out)
{
	return lvirt_domain(a->lv, id, out);
}

void agent_want_vm(struct agent *a, int pid, uint64_t start, const char *qmp_path)
{
	for (size_t i = 0; i < a->nvms; i++) {
		if (a->vms[i].pid == pid && a->vms[i].start == start) {
			a->vms[i].wanted = true;
			return;
		}
	}
	a->vms = xgrow(a->vms, a->nvms, &a->capvms, sizeof(*a->vms), 8);
	struct vm_ent *e = &a->vms[a->nvms++];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->start = start;
	e->wanted = true;
	str_copy(e->qmp, sizeof(e->qmp), qmp_path ? qmp_path : "");
}

void agent_want_container(struct agent *a, enum runtime rt, const char *id)
{
	struct api *api = NULL;
	for (size_t i = 0; i < a->napis; i++)
		if (a->apis[i].rt == rt)
			api = &a->apis[i];
	if (!api)
		return;
	api->used = true;
	bool made;
	name_entry(a, rt, id, &made)->wanted = true;
	/* a new id is asked for once: one the API does not list (a rootless
	 * Podman container, say) then waits for the periodic list */
	if (made)
		api->need = true;
}

void agent_commit(struct agent *a)
{
	/* forget VMs that are gone */
	size_t o = 0;
	bool work = false;
	for (size_t i = 0; i < a->nvms; i++) {
		if (a->vms[i].wanted) {
			a->vms[o++] = a->vms[i];
			work = work || a->vms[i].qmp[0];
		}
	}
	a->nvms = o;
	/* forget names of containers that are gone */
	o = 0;
	for (size_t i = 0; i < a->nnames; i++)
		if (a->names[i].wanted)
			a->names[o++] = a->names[i];
	a->nnames = o;
	bool wake = false;
	work = work || a->lv_wanted;
	work = qga_commit(a->qga) || work;
	for (size_t i = 0; i < a->napis; i++) {
		work = work || a->apis[i].used;
		wake = wake || a->apis[i].need;
	}
	if (work && !a->started) {
		a->started = pthread_create(&a->thr, NULL, agent_main, a) == 0;
	} else if (wake || a->nvms) {
		pthread_cond_signal(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
}

bool agent_vm(struct agent *a, int pid, uint64_t start, struct vm_facts *out)
{
	bool have = false;
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < a->nvms; i++) {
		if (a->vms[i].pid == pid && a->vms[i].start == start && a->vms[i].have) {
			*out = a->vms[i].f;
			have = true;
		}
	}
	pthread_mutex_unlock(&a->mu);
	return have;
}

bool agent_container_name(struct agent *a, enum runtime rt, const char *id, char *name, size_t sz)
{
	bool have = false;
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < a->nnames && !have; i++) {
		const struct name_ent *e = &a->names[i];
		if (e->rt == rt && !strcmp(e->id, id) && e->listed && e->name[0]) {
			str_copy(name, sz, e->name);
			have = true;
		}
	}
	pthread_mutex_unlock(&a->mu);
	return have;
}

struct qga *agent_qga(struct agent *a)
{
	return a->qga;
}
