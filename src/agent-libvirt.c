/* libvirt's read-only API for the agent: one virConnectGetAllDomainStats
 * every 2 s, in a worker thread of its own (a hung libvirtd blocks only
 * that thread), with libvirt.so.0 opened at the first question. No
 * libvirt header is needed to build: the few types used are declared
 * here as libvirt's stable ABI has them. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent-libvirt.h"
#include "sample.h"
#include "util.h"

#define LV_EVERY_NS (2000000000ull)
#define LV_BACKOFF_NS (10000000000ull)

/* ---- the ABI we use (libvirt-common.h, libvirt-domain.h) ----------------- */

enum {
	LV_PARAM_INT = 1, LV_PARAM_UINT, LV_PARAM_LLONG, LV_PARAM_ULLONG, LV_PARAM_DOUBLE,
	LV_PARAM_BOOLEAN, LV_PARAM_STRING,
};
struct lv_typed_param {
	char field[80];            /* VIR_TYPED_PARAM_FIELD_LENGTH */
	int type;
	union {
		int i;
		unsigned int ui;
		long long l;
		unsigned long long ul;
		double d;
		char b;
		char *s;
	} value;
};
struct lv_stats_record {
	void *dom;
	struct lv_typed_param *params;
	int nparams;
};
enum {
	LV_STATS_STATE = 1, LV_STATS_CPU_TOTAL = 2, LV_STATS_BALLOON = 4, LV_STATS_VCPU = 8,
	LV_STATS_INTERFACE = 16, LV_STATS_BLOCK = 32,
};
#define LV_ALL_ACTIVE 1u           /* VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE */
#define LV_NOWAIT (1u << 29)       /* ..._NOWAIT: skip what a busy domain cannot say now */

static struct {
	void *lib;
	void *(*open_ro)(const char *uri);
	int (*close)(void *conn);
	int (*all_stats)(void *conn, unsigned int stats, struct lv_stats_record ***recs,
			 unsigned int flags);
	void (*free_stats)(struct lv_stats_record **recs);
	const char *(*dom_name)(void *dom);
	unsigned int (*dom_id)(void *dom);
	const char *(*last_error)(void);
	void (*set_error_func)(void *ud, void (*fn)(void *ud, void *err));
} lv;

/* libvirt prints every error on stderr by default: that would be drawn
 * over the screen. The message is read with virGetLastErrorMessage. */
static void lv_quiet(void *ud, void *err)
{
	(void)ud;
	(void)err;
}

static int lv_load(char *err, size_t errsz)
{
	if (lv.lib)
		return 0;
	void *lib = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(err, errsz, "cannot load libvirt.so.0 (%s); install libvirt0", dlerror());
		return -ENOENT;
	}
	struct {
		void **slot;
		const char *name;
	} syms[] = {
		{(void **)&lv.open_ro, "virConnectOpenReadOnly"},
		{(void **)&lv.close, "virConnectClose"},
		{(void **)&lv.all_stats, "virConnectGetAllDomainStats"},
		{(void **)&lv.free_stats, "virDomainStatsRecordListFree"},
		{(void **)&lv.dom_name, "virDomainGetName"},
		{(void **)&lv.dom_id, "virDomainGetID"},
		{(void **)&lv.last_error, "virGetLastErrorMessage"},
		{(void **)&lv.set_error_func, "virSetErrorFunc"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		*syms[i].slot = dlsym(lib, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(err, errsz, "libvirt.so.0 lacks %s (libvirt older than 1.2.8?)",
				 syms[i].name);
			dlclose(lib);
			return -ENOENT;
		}
	}
	lv.set_error_func(NULL, lv_quiet);
	lv.lib = lib;
	return 0;
}

/* ---- one domain's record --------------------------------------------------- */

void lv_domain_init(struct lv_domain *d)
{
	memset(d, 0, sizeof(*d));
	d->id = -1;
	d->state = d->at_ns = d->cpu_ns = d->vcpu_ns = VT_UNKNOWN;
	d->bal_current = d->bal_available = d->bal_usable = d->bal_unused = d->bal_caches =
		VT_UNKNOWN;
	d->net_rx = d->net_tx = d->blk_rd = d->blk_wr = VT_UNKNOWN;
}

static void add(uint64_t *sum, uint64_t v)
{
	*sum = *sum == VT_UNKNOWN ? v : *sum + v;
}

/* "PREFIX.N.SUFFIX" with N a number: whether field is that. */
static bool indexed(const char *field, const char *prefix, const char *suffix)
{
	size_t pl = strlen(prefix);
	if (strncmp(field, prefix, pl) || field[pl] != '.')
		return false;
	const char *p = field + pl + 1, *q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	return q > p && *q == '.' && !strcmp(q + 1, suffix);
}

void lv_domain_stat(struct lv_domain *d, const char *field, uint64_t v)
{
	static const struct {
		const char *name;
		size_t off;
		uint64_t scale;
	} plain[] = {
		{"state.state", offsetof(struct lv_domain, state), 1},
		{"cpu.time", offsetof(struct lv_domain, cpu_ns), 1},
		{"balloon.current", offsetof(struct lv_domain, bal_current), 1024},
		{"balloon.available", offsetof(struct lv_domain, bal_available), 1024},
		{"balloon.usable", offsetof(struct lv_domain, bal_usable), 1024},
		{"balloon.unused", offsetof(struct lv_domain, bal_unused), 1024},
		{"balloon.disk_caches", offsetof(struct lv_domain, bal_caches), 1024},
	};
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		if (strcmp(field, plain[i].name))
			continue;
		uint64_t *slot = (uint64_t *)(void *)((char *)d + plain[i].off);
		*slot = v > UINT64_MAX / plain[i].scale ? VT_UNKNOWN : v * plain[i].scale;
		return;
	}
	if (indexed(field, "vcpu", "time"))
		add(&d->vcpu_ns, v);
	else if (indexed(field, "net", "rx.bytes"))
		add(&d->net_rx, v);
	else if (indexed(field, "net", "tx.bytes"))
		add(&d->net_tx, v);
	else if (indexed(field, "block", "rd.bytes"))
		add(&d->blk_rd, v);
	else if (indexed(field, "block", "wr.bytes"))
		add(&d->blk_wr, v);
}

static bool param_u64(const struct lv_typed_param *p, uint64_t *v)
{
	switch (p->type) {
	case LV_PARAM_INT:
		*v = (uint64_t)(p->value.i < 0 ? 0 : p->value.i);
		return p->value.i >= 0;
	case LV_PARAM_UINT:
		*v = p->value.ui;
		return true;
	case LV_PARAM_LLONG:
		*v = (uint64_t)(p->value.l < 0 ? 0 : p->value.l);
		return p->value.l >= 0;
	case LV_PARAM_ULLONG:
		*v = p->value.ul;
		return true;
	default:
		return false;
	}
}

/* ---- the worker ----------------------------------------------------------- */

struct lvirt {
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started, stop;
	char sock[256];
	long timeout_ms;
	/* under mu */
	bool ask;                  /* the worker is to ask now */
	uint64_t asked_ns;         /* when the question in flight was put, 0 none */
	uint64_t next_ns;          /* when to ask again */
	struct lv_domain *doms;    /* the last answer */
	size_t ndoms;
	char err[300];             /* why the last question failed, "" if it did not */
	bool answered;             /* a question finished since the last poll */
};

static void *lv_main(void *arg);

struct lvirt *lvirt_new(const char *sock, long timeout_ms)
{
	struct lvirt *l = xcalloc(1, sizeof(*l));
	str_copy(l->sock, sizeof(l->sock), sock);
	l->timeout_ms = timeout_ms;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	return l;
}

/* One question, without the lock: every running domain's statistics. */
static int lv_ask(void **conn, struct lv_domain **out, size_t *nout, char *err, size_t errsz)
{
	*out = NULL;
	*nout = 0;
	if (lv_load(err, errsz))
		return -ENOENT;
	if (!*conn) {
		*conn = lv.open_ro("qemu:///system");
		if (!*conn) {
			snprintf(err, errsz, "cannot connect: %s", lv.last_error());
			return -EIO;
		}
	}
	struct lv_stats_record **recs = NULL;
	unsigned stats = LV_STATS_STATE | LV_STATS_CPU_TOTAL | LV_STATS_BALLOON | LV_STATS_VCPU |
			 LV_STATS_INTERFACE | LV_STATS_BLOCK;
	int n = lv.all_stats(*conn, stats, &recs, LV_ALL_ACTIVE | LV_NOWAIT);
	if (n < 0) {
		snprintf(err, errsz, "virConnectGetAllDomainStats: %s", lv.last_error());
		/* a restarted libvirtd needs a new connection */
		lv.close(*conn);
		*conn = NULL;
		return -EIO;
	}
	uint64_t now = now_mono_ns();
	struct lv_domain *d = xcalloc((size_t)n + 1, sizeof(*d));
	for (int i = 0; i < n; i++) {
		lv_domain_init(&d[i]);
		d[i].at_ns = now;
		d[i].id = (int)lv.dom_id(recs[i]->dom);
		const char *name = lv.dom_name(recs[i]->dom);
		str_copy(d[i].name, sizeof(d[i].name), name ? name : "");
		for (int k = 0; k < recs[i]->nparams; k++) {
			const struct lv_typed_param *p = &recs[i]->params[k];
			uint64_t v;
			if (param_u64(p, &v))
				lv_domain_stat(&d[i], p->field, v);
		}
	}
	lv.free_stats(recs);
	*out = d;
	*nout = (size_t)n;
	return 0;
}

static void *lv_main(void *arg)
{
	struct lvirt *l = arg;
	void *conn = NULL;
	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!l->ask && !l->stop)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->stop)
			break;
		l->ask = false;
		pthread_mutex_unlock(&l->mu);
		struct lv_domain *d;
		size_t n;
		char err[300] = "";
		int r = lv_ask(&conn, &d, &n, err, sizeof(err));
		pthread_mutex_lock(&l->mu);
		l->asked_ns = 0;
		l->answered = true;
		str_copy(l->err, sizeof(l->err), err);
		if (!r) {
			free(l->doms);
			l->doms = d;
			l->ndoms = n;
		} else {
			/* what libvirt said before is no longer so */
			free(l->doms);
			l->doms = NULL;
			l->ndoms = 0;
		}
		l->next_ns = now_mono_ns() + (r ? LV_BACKOFF_NS / 5 : LV_EVERY_NS);
	}
	pthread_mutex_unlock(&l->mu);
	if (conn)
		lv.close(conn);
	return NULL;
}

int lvirt_poll(struct lvirt *l, bool wanted, char *msg, size_t msgsz)
{
	struct stat st;
	bool sock = !stat(l->sock, &st) && S_ISSOCK(st.st_mode);
	uint64_t now = now_mono_ns();
	int ret = -1;
	pthread_mutex_lock(&l->mu);
	if (!sock) {
		/* no libvirtd: nothing to load, and nothing it said holds */
		free(l->doms);
		l->doms = NULL;
		l->ndoms = 0;
		if (wanted) {
			snprintf(msg, msgsz, "libvirt: no daemon answers at %s; libvirt VMs are shown "
					     "without their names from libvirt and their own memory", l->sock);
			ret = 1;
		}
		goto out;
	}
	if (l->asked_ns) {
		/* a question in flight: hung when it outlived the timeout */
		if (now - l->asked_ns > (uint64_t)l->timeout_ms * 2000000ull) {
			free(l->doms);
			l->doms = NULL;
			l->ndoms = 0;
			snprintf(msg, msgsz, "libvirt at %s: no answer within %ld ms (libvirtd hung?); "
					     "libvirt VMs are shown without libvirt's facts", l->sock,
				 l->timeout_ms * 2);
			ret = 1;
		}
		goto out;
	}
	if (l->answered) {
		l->answered = false;
		if (l->err[0]) {
			snprintf(msg, msgsz, "libvirt at %s: %s", l->sock, l->err);
			ret = 1;
		} else {
			ret = 0;
		}
	}
	if (wanted && now >= l->next_ns) {
		if (!l->started)
			l->started = pthread_create(&l->thr, NULL, lv_main, l) == 0;
		l->ask = true;
		l->asked_ns = now ? now : 1;
		pthread_cond_signal(&l->cv);
	}
out:
	pthread_mutex_unlock(&l->mu);
	return ret;
}

bool lvirt_domain(struct lvirt *l, const char *id, struct lv_domain *out)
{
	char *end;
	long want = strtol(id, &end, 10);
	if (end == id || *end)
		return false;
	bool have = false;
	pthread_mutex_lock(&l->mu);
	for (size_t i = 0; i < l->ndoms && !have; i++) {
		if (l->doms[i].id == want) {
			*out = l->doms[i];
			have = true;
		}
	}
	pthread_mutex_unlock(&l->mu);
	return have;
}

void lvirt_free(struct lvirt *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	bool busy = l->asked_ns != 0;
	l->stop = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (!l->started) {
		/* never asked: nothing runs */
	} else if (busy) {
		/* Inside libvirt, which has no timeout: joining could hang the
		 * exit. But a worker still connecting when exit() runs the
		 * libraries' destructors crashes in them (seen: libcrypto's
		 * cleanup under virConnectOpenReadOnly while libvirtd started),
		 * so wait for it as long as a refresh waits for any socket. */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += l->timeout_ms / 1000;
		until.tv_nsec += (l->timeout_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(l->thr, NULL, &until)) {
			pthread_detach(l->thr);
			return;
		}
	} else {
		pthread_join(l->thr, NULL);
	}
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l->doms);
	free(l);
}
