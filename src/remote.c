/* Cluster views: sources whose samples hold the guests of several nodes.
 * Each node keeps its own last two samples, so rates come from one node's
 * own counters over its own interval; next() merges them without waiting
 * for anyone: threads ask the nodes (--remote: each node's /sample) or
 * Prometheus (--prometheus: the vtax series it scraped). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "columns.h"
#include "curlx.h"
#include "metrics.h"
#include "driver.h"
#include "record.h"

struct node {
	char *addr;                 /* as given, or the Prometheus node label */
	char *url;                  /* its /sample, or NULL (Prometheus) */
	struct sample prev, cur;    /* its last two samples (prev only when have == 2) */
	int have;
	uint64_t ok_ns;             /* monotonic time of its newest sample, 0 never */
	double interval_s;          /* between its last two samples */
	char err[200];              /* why the last ask failed; "" answered */
	bool told;                  /* a notice said it is down */
	bool asked;                 /* asked at least once */
};

struct cluster {
	struct source base;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_cond_t answered;    /* a first ask ended */
	bool started;               /* next() has run */
	bool prom_asked;
	bool stop;
	struct node *nodes;         /* under mu */
	size_t n, cap;
	pthread_t *thr;
	size_t nthr;
	struct sample mprev;        /* the merged previous sample */
	uint64_t delay_ns;
	char *userpwd;
	char *prom;                 /* Prometheus base URL, or NULL */
	char prom_err[200];         /* under mu */
	bool prom_told;
	struct worker_arg {
		struct cluster *c;
		size_t i;
	} *args;
};

/* A node is down when its last ask failed, or (Prometheus) when it has
 * had no new sample for four of its intervals and at least 10 s. */
static bool node_up(const struct node *n, uint64_t now)
{
	if (!n->have || n->err[0])
		return false;
	double age = (double)(now - n->ok_ns) / 1e9;
	return n->url || age < fmax(10.0, 4 * n->interval_s);
}

/* Wait up to the delay, or until stopped; under mu. */
static void pause_locked(struct cluster *c)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ns = (uint64_t)ts.tv_nsec + c->delay_ns;
	ts.tv_sec += (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	if (!c->stop)
		pthread_cond_timedwait(&c->cv, &c->mu, &ts);
}

static long ask_timeout_ms(const struct cluster *c)
{
	uint64_t ms = c->delay_ns / 1000000ull;
	return ms < 1000 ? 1000 : ms > 10000 ? 10000 : (long)ms;
}

/* ---- --remote: each node's /sample ------------------------------------------- */

static void *remote_worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct cluster *c = wa->c;
	struct sample a = {0}, b = {0};
	struct sb reply = {0};
	pthread_mutex_lock(&c->mu);
	char *url = xstrdup(c->nodes[wa->i].url);
	while (!c->stop) {
		pthread_mutex_unlock(&c->mu);
		char err[200] = "";
		long status = 0;
		struct curlx_req r = {.url = url, .userpwd = c->userpwd, .timeout_ms = ask_timeout_ms(c),
				      .max_reply = 64u << 20};
		int lines = 0;
		if (!curlx_perform(&r, &reply, &status, err, sizeof(err))) {
			if (status != 200) {
				snprintf(err, sizeof(err), "HTTP status %ld", status);
			} else {
				/* one or two record lines: the previous sample and the newest */
				char *save = NULL;
				for (char *l = strtok_r(reply.s ? reply.s : (char *)(uintptr_t)"", "\n", &save);
				     l && !err[0]; l = strtok_r(NULL, "\n", &save)) {
					char *why = NULL;
					struct sample *dst = lines == 0 ? &a : &b;
					if (lines == 2) {
						/* keep the last two */
						struct sample t = a;
						a = b;
						b = t;
						dst = &b;
						lines = 1;
					}
					if (record_parse_line(l, dst, &why)) {
						snprintf(err, sizeof(err), "bad /sample reply: %s", why);
						free(why);
					}
					lines++;
				}
				if (!lines && !err[0])
					snprintf(err, sizeof(err), "empty /sample reply");
			}
		}
		pthread_mutex_lock(&c->mu);
		struct node *n = &c->nodes[wa->i];
		str_copy(n->err, sizeof(n->err), err);
		n->asked = true;
		pthread_cond_broadcast(&c->answered);
		if (!err[0]) {
			struct sample *newest = lines == 2 ? &b : &a;
			if (!n->have || newest->host.mono_ns != n->cur.host.mono_ns) {
				struct sample t = n->cur;
				n->cur = *newest;
				*newest = t;
				n->ok_ns = now_mono_ns();
				if (lines == 2) {
					t = n->prev;
					n->prev = a;
					a = t;
					n->have = 2;
					n->interval_s = (double)(n->cur.host.mono_ns - n->prev.host.mono_ns) / 1e9;
				} else {
					n->have = 1;
				}
			}
		}
		pause_locked(c);
	}
	pthread_mutex_unlock(&c->mu);
	free(url);
	sb_free(&reply);
	sample_free(&a);
	sample_free(&b);
	return NULL;
}

/* ---- --prometheus: the series of every node ------------------------------------ */

/* One guest as Prometheus has it: its registry values (metrics.h), its
 * column gauges and its interfaces' and drives' counters, folded back
 * into the raw counters the model reads. */
struct ppart {
	char name[64];
	double *v;                  /* metrics_count values, NAN unread */
};

struct pg {
	char id[200], name[200];
	int runtime;
	double *v;                  /* metrics_count values, NAN unread */
	double cv[COL_COUNT];       /* the column gauges (.prom) */
	struct ppart *part[2];      /* interfaces, drives */
	size_t npart[2], cappart[2];
};

static double *nan_values(void)
{
	double *v = xcalloc(metrics_count, sizeof(*v));
	for (size_t k = 0; k < metrics_count; k++)
		v[k] = VT_NAN;
	return v;
}

static uint64_t ns_of(double s) { return isnan(s) ? VT_UNKNOWN : (uint64_t)llround(s * 1e9); }
static uint64_t u_of(double v) { return isnan(v) || v < 0 ? VT_UNKNOWN : (uint64_t)llround(v); }

/* The gauges of the columns that are one field of the sample, back into
 * that field (pids, limit, helpers, ...); what the model computes comes
 * from the registry's raw values (metrics_fold_guest). */
static void fold_columns(const double *cv, struct guest_sample *g)
{
	for (int c = 0; c < COL_COUNT; c++)
		if (columns[c].prom && columns[c].src == SRC_SAMPLE && !isnan(cv[c])) {
			uint64_t u = u_of(cv[c]);
			memcpy((char *)g + columns[c].off, &u, sizeof(u));
		}
}

static int cmp_nic(const void *a, const void *b)
{
	return strcmp(((const struct nic_sample *)a)->name, ((const struct nic_sample *)b)->name);
}

/* Its interfaces and drives, as the collector would have them. */
static void fold_parts(const struct pg *p, struct guest_sample *g)
{
	if (p->npart[0]) {
		g->net = NET_OWN;
		g->nnics = p->npart[0];
		g->nics = xcalloc(g->nnics, sizeof(*g->nics));
		for (size_t j = 0; j < g->nnics; j++) {
			str_copy(g->nics[j].name, sizeof(g->nics[j].name), p->part[0][j].name);
			metrics_fold_nic(p->part[0][j].v, &g->nics[j]);
		}
		qsort(g->nics, g->nnics, sizeof(*g->nics), cmp_nic);
	}
	size_t nd = p->npart[1] < DRIVE_MAX ? p->npart[1] : DRIVE_MAX;
	if (nd) {
		g->ndrives = nd;
		g->drives = xcalloc(nd, sizeof(*g->drives));
		g->drv_at_ns = g->at_ns;
		for (size_t j = 0; j < nd; j++) {
			str_copy(g->drives[j].name, sizeof(g->drives[j].name), p->part[1][j].name);
			metrics_fold_drive(p->part[1][j].v, &g->drives[j]);
		}
	}
}

static void fold_guest(const struct pg *p, struct guest_sample *g, uint64_t at_ns)
{
	bool vm = runtime_kind((enum runtime)p->runtime) == KIND_VM;
	g->at_ns = at_ns;
	g->birth = 0;
	metrics_fold_guest(p->v, vm, g);
	fold_columns(p->cv, g);
	fold_parts(p, g);
}

static struct node *node_named(struct cluster *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->nodes[i].addr, name))
			return &c->nodes[i];
	c->nodes = xgrow(c->nodes, c->n, &c->cap, sizeof(*c->nodes), 4);
	struct node *n = &c->nodes[c->n++];
	memset(n, 0, sizeof(*n));
	n->addr = xstrdup(name);
	return n;
}

static const char *label(json_object *metric, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(metric, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

/* One node's series: its host values and its guests. */
struct pnode {
	char name[128];
	double *hv;                 /* metrics_count values, NAN unread */
	struct pg *g;
	size_t ng, capg;
};

static struct pg *pg_of(struct pnode *pn, const char *id)
{
	for (size_t i = 0; i < pn->ng; i++)
		if (!strcmp(pn->g[i].id, id))
			return &pn->g[i];
	pn->g = xgrow(pn->g, pn->ng, &pn->capg, sizeof(*pn->g), 16);
	struct pg *p = &pn->g[pn->ng++];
	memset(p, 0, sizeof(*p));
	str_copy(p->id, sizeof(p->id), id);
	p->runtime = -1;
	p->v = nan_values();
	for (int c = 0; c < COL_COUNT; c++)
		p->cv[c] = VT_NAN;
	return p;
}

/* The values of interface or drive name of p (part 0 interfaces, 1 drives). */
static double *part_of(struct pg *p, int which, const char *name)
{
	for (size_t i = 0; i < p->npart[which]; i++)
		if (!strcmp(p->part[which][i].name, name))
			return p->part[which][i].v;
	p->part[which] = xgrow(p->part[which], p->npart[which], &p->cappart[which],
			       sizeof(*p->part[which]), 4);
	struct ppart *pp = &p->part[which][p->npart[which]++];
	str_copy(pp->name, sizeof(pp->name), name);
	pp->v = nan_values();
	return pp->v;
}

static void pnodes_free(struct pnode *pns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < pns[i].ng; j++) {
			struct pg *p = &pns[i].g[j];
			for (int w = 0; w < 2; w++) {
				for (size_t k = 0; k < p->npart[w]; k++)
					free(p->part[w][k].v);
				free(p->part[w]);
			}
			free(p->v);
		}
		free(pns[i].g);
		free(pns[i].hv);
	}
	free(pns);
}

static struct pnode *pnode_of(struct pnode **pns, size_t *n, size_t *cap, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*pns)[i].name, name))
			return &(*pns)[i];
	*pns = xgrow(*pns, *n, cap, sizeof(**pns), 4);
	struct pnode *p = &(*pns)[(*n)++];
	memset(p, 0, sizeof(*p));
	str_copy(p->name, sizeof(p->name), name);
	p->hv = nan_values();
	return p;
}

/* The registry entry of a series: its name, and its fixed label's value
 * where the entry has one; -1 if none. */
static int series_metric(const char *name, json_object *metric)
{
	for (size_t k = 0; k < metrics_count; k++) {
		const struct metric *m = &metrics[k];
		if (!m->prom || strcmp(m->prom, name))
			continue;
		const char *lv = m->label_value ? label(metric, m->label) : NULL;
		if (!m->label_value || (lv && !strcmp(lv, m->label_value)))
			return (int)k;
	}
	return -1;
}

/* A guest's series: its info, a registry value or a column gauge. */
static void guest_series(struct pg *p, const char *name, json_object *metric, double v)
{
	if (!strcmp(name, METRIC_GUEST_INFO)) {
		const char *rt = label(metric, "runtime"), *gn = label(metric, "name");
		p->runtime = rt ? runtime_from_name(rt) : -1;
		str_copy(p->name, sizeof(p->name), gn ? gn : "");
		return;
	}
	int k = series_metric(name, metric);
	if (k >= 0) {
		const struct metric *m = &metrics[k];
		const char *part = m->of == MO_GUEST ? NULL : label(metric, m->label);
		if (m->of == MO_GUEST)
			p->v[k] = v;
		else if (part && *part)
			part_of(p, m->of == MO_NIC ? 0 : 1, part)[k] = v;
		return;
	}
	size_t pre = strlen(METRIC_GUEST_PREFIX);
	for (int c = 0; c < COL_COUNT; c++)
		if (columns[c].prom && !strncmp(name, METRIC_GUEST_PREFIX, pre) &&
		    !strcmp(name + pre, columns[c].prom))
			p->cv[c] = v;
}

/* The series of one query reply, grouped by node. */
static int prom_parse(const char *body, struct pnode **pns, size_t *npn, char *err, size_t errsz)
{
	json_object *root = json_tokener_parse(body), *data, *result;
	size_t cap = 0;
	if (!root || !json_object_object_get_ex(root, "data", &data) ||
	    !json_object_object_get_ex(data, "result", &result) ||
	    !json_object_is_type(result, json_type_array)) {
		snprintf(err, errsz, "not a Prometheus query reply");
		json_object_put(root);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(result); i++) {
		json_object *r = json_object_array_get_idx(result, i), *metric, *value;
		if (!json_object_object_get_ex(r, "metric", &metric) ||
		    !json_object_object_get_ex(r, "value", &value) ||
		    !json_object_is_type(value, json_type_array) || json_object_array_length(value) != 2)
			continue;
		const char *name = label(metric, "__name__"), *node = label(metric, "node");
		const char *vs = json_object_get_string(json_object_array_get_idx(value, 1));
		if (!name || !node || !vs)
			continue;
		double v = strtod(vs, NULL);
		struct pnode *pn = pnode_of(pns, npn, &cap, node);
		int k = series_metric(name, metric);
		if (k >= 0 && metrics[k].of == MO_HOST) {
			pn->hv[k] = v;
			continue;
		}
		const char *id = label(metric, "id");
		if (id && strchr(id, '/'))
			guest_series(pg_of(pn, id), name, metric, v);
	}
	json_object_put(root);
	return 0;
}

/* When the node's sample was taken (s), NAN if it said nothing. */
static double pnode_ts(const struct pnode *pn)
{
	return metrics_host_time(pn->hv);
}

static void pnode_sample(const struct pnode *pn, struct sample *s)
{
	sample_clear(s);
	host_sample_init(&s->host);
	str_copy(s->host.hostname, sizeof(s->host.hostname), pn->name);
	metrics_fold_host(pn->hv, &s->host);
	for (size_t i = 0; i < pn->ng; i++) {
		const struct pg *p = &pn->g[i];
		if (p->runtime < 0)
			continue;       /* no guest info: not a guest we know */
		struct guest_sample *g = sample_add_guest(s);
		g->runtime = (enum runtime)p->runtime;
		g->id = xstrdup(strchr(p->id, '/') + 1);
		g->name = xstrdup(*p->name ? p->name : g->id);
		fold_guest(p, g, s->host.mono_ns);
	}
}

static char *prom_query_url(const char *base)
{
	static const char q[] = "{__name__=~\"vtax_.+\"}";
	struct sb u = {0};
	sb_printf(&u, "%s%sapi/v1/query?query=", base, base[strlen(base) - 1] == '/' ? "" : "/");
	for (const char *p = q; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '.')
			sb_addc(&u, *p);
		else
			sb_printf(&u, "%%%02X", (unsigned char)*p);
	}
	return u.s;
}

static void *prom_worker(void *arg)
{
	struct cluster *c = arg;
	char *url = prom_query_url(c->prom);
	struct sb reply = {0};
	struct sample tmp = {0};
	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		pthread_mutex_unlock(&c->mu);
		char err[200] = "";
		long status = 0;
		struct pnode *pns = NULL;
		size_t npn = 0;
		struct curlx_req r = {.url = url, .userpwd = c->userpwd, .timeout_ms = ask_timeout_ms(c),
				      .max_reply = 256u << 20};
		if (!curlx_perform(&r, &reply, &status, err, sizeof(err))) {
			if (status != 200)
				snprintf(err, sizeof(err), "HTTP status %ld", status);
			else
				prom_parse(reply.s ? reply.s : "", &pns, &npn, err, sizeof(err));
		}
		pthread_mutex_lock(&c->mu);
		str_copy(c->prom_err, sizeof(c->prom_err), err);
		c->prom_asked = true;
		pthread_cond_broadcast(&c->answered);
		for (size_t i = 0; i < npn; i++) {
			if (isnan(pnode_ts(&pns[i])))
				continue;
			struct node *n = node_named(c, pns[i].name);
			uint64_t ts = ns_of(pnode_ts(&pns[i]));
			if (n->have && ts == n->cur.host.mono_ns)
				continue;   /* Prometheus has nothing newer from it */
			pnode_sample(&pns[i], &tmp);
			struct sample t = n->prev;
			n->prev = n->cur;
			n->cur = tmp;
			tmp = t;
			n->have = n->have ? 2 : 1;
			if (n->have == 2)
				n->interval_s = (double)(n->cur.host.mono_ns - n->prev.host.mono_ns) / 1e9;
			/* its age counts from when Prometheus first had it: the
			 * nodes' clocks need not agree with this one */
			n->ok_ns = now_mono_ns();
		}
		pnodes_free(pns, npn);
		pause_locked(c);
	}
	pthread_mutex_unlock(&c->mu);
	free(url);
	sb_free(&reply);
	sample_free(&tmp);
	return NULL;
}

/* ---- merging --------------------------------------------------------------------- */

static void copy_guests(struct sample *dst, const struct sample *src, const char *node)
{
	for (size_t i = 0; i < src->nguests; i++) {
		const struct guest_sample *g = &src->guests[i];
		struct guest_sample *d = sample_add_guest(dst);
		guest_sample_copy(d, g);
		free(d->node);
		d->node = xstrdup(node);
	}
}

/* Host counters and sizes summed over the nodes. */
static void add_host(struct host_sample *d, const struct host_sample *h)
{
	for (size_t i = 0; i < host_u64_nfields; i++) {
		const char *name = host_u64_fields[i].name;
		if (!strcmp(name, "mono_ns") || !strcmp(name, "hz") || !strcmp(name, "huge_size") ||
		    !strncmp(name, "psi_", 4))
			continue;   /* not a sum: set apart, or a node's own */
		uint64_t *dp = field_ptr(d, &host_u64_fields[i]);
		*dp = add_known(*dp, *field_ptr((void *)(uintptr_t)h, &host_u64_fields[i]));
	}
	d->hz = h->hz;
	d->ncpus += h->ncpus;
	d->real_ms = h->real_ms > d->real_ms ? h->real_ms : d->real_ms;
	if (h->load1 >= 0) {
		d->load1 = (d->load1 < 0 ? 0 : d->load1) + h->load1;
		d->load5 = (d->load5 < 0 ? 0 : d->load5) + h->load5;
		d->load15 = (d->load15 < 0 ? 0 : d->load15) + h->load15;
	}
}

static int cluster_next(struct source *src, struct sample *s, char **cause)
{
	struct cluster *c = (struct cluster *)src;
	(void)cause;
	sample_clear(s);
	sample_clear(&c->mprev);
	host_sample_init(&s->host);
	host_sample_init(&c->mprev.host);
	s->host.ncpus = c->mprev.host.ncpus = 0;
	struct sb notice = {0};
	pthread_mutex_lock(&c->mu);
	if (!c->started) {
		/* the first frame waits for every first answer, a bounded time */
		c->started = true;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += ask_timeout_ms(c) / 1000 + 1;
		for (;;) {
			bool all = c->prom ? c->prom_asked : true;
			for (size_t i = 0; i < c->n; i++)
				all = all && c->nodes[i].asked;
			if (all || pthread_cond_timedwait(&c->answered, &c->mu, &ts))
				break;
		}
	}
	uint64_t now = now_mono_ns();
	double dt = 0;
	size_t up = 0;
	s->nodes = xcalloc(c->n ? c->n : 1, sizeof(*s->nodes));
	for (size_t i = 0; i < c->n; i++) {
		struct node *n = &c->nodes[i];
		bool ok = node_up(n, now);
		const char *name = n->have ? n->cur.host.hostname : n->addr;
		struct node_state *ns = &s->nodes[s->nnodes++];
		ns->name = xstrdup(name);
		ns->addr = xstrdup(n->addr);
		ns->up = ok;
		ns->age_s = n->ok_ns ? (double)(now - n->ok_ns) / 1e9 : -1;
		if (!ok)
			ns->error = xstrdup(n->err[0] ? n->err : n->have ? "no new sample" : "no answer yet");
		if (!ok && !n->told && (n->err[0] || n->have)) {
			sb_printf(&notice, "%snode %s (%s) is down: %s", notice.len ? "; " : "", name,
				  n->addr, ns->error);
			n->told = true;
		} else if (ok && n->told) {
			sb_printf(&notice, "%snode %s answers again", notice.len ? "; " : "", name);
			n->told = false;
		}
		if (!ok)
			continue;
		up++;
		copy_guests(s, &n->cur, name);
		add_host(&s->host, &n->cur.host);
		if (n->have == 2) {
			copy_guests(&c->mprev, &n->prev, name);
			add_host(&c->mprev.host, &n->prev.host);
			dt = fmax(dt, n->interval_s);
		}
	}
	if (c->prom && c->prom_err[0] && !c->prom_told) {
		sb_printf(&notice, "%sPrometheus at %s: %s", notice.len ? "; " : "", c->prom, c->prom_err);
		c->prom_told = true;
	} else if (c->prom && !c->prom_err[0]) {
		c->prom_told = false;
	}
	pthread_mutex_unlock(&c->mu);
	snprintf(s->host.hostname, sizeof(s->host.hostname), "%zu of %zu nodes", up, c->n);
	str_copy(c->mprev.host.hostname, sizeof(c->mprev.host.hostname), s->host.hostname);
	if (!s->host.ncpus)
		s->host.ncpus = 1;
	if (!s->host.real_ms)
		s->host.real_ms = now_real_ms();
	/* rates need only a positive interval here: each guest has its own
	 * node's, and the host's CPU split is a ratio of ticks */
	c->mprev.host.mono_ns = 1000000000ull;
	s->host.mono_ns = c->mprev.host.mono_ns + (uint64_t)(dt * 1e9);
	s->notice = notice.s;
	return 1;
}

static const struct sample *cluster_prev(struct source *src)
{
	return &((struct cluster *)src)->mprev;
}

static void cluster_free(struct source *src)
{
	struct cluster *c = (struct cluster *)src;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	for (size_t i = 0; i < c->nthr; i++)
		pthread_join(c->thr[i], NULL);
	for (size_t i = 0; i < c->n; i++) {
		free(c->nodes[i].addr);
		free(c->nodes[i].url);
		sample_free(&c->nodes[i].prev);
		sample_free(&c->nodes[i].cur);
	}
	free(c->nodes);
	free(c->thr);
	free(c->args);
	sample_free(&c->mprev);
	free(c->userpwd);
	free(c->prom);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	pthread_cond_destroy(&c->answered);
	free(c);
}

static struct cluster *cluster_new(const struct remote_opts *o, char **cause)
{
	char *userpwd = NULL;
	if (o->auth_file) {
		struct sb b = {0};
		int r = read_file_at(AT_FDCWD, o->auth_file, &b, 4096);
		if (r || !b.s || !strchr(b.s, ':')) {
			*cause = xasprintf("--remote-auth %s: %s", o->auth_file,
					   r ? strerror(-r) : "expected one line user:password");
			sb_free(&b);
			return NULL;
		}
		b.s[strcspn(b.s, "\r\n")] = '\0';
		userpwd = b.s;
	}
	struct cluster *c = xcalloc(1, sizeof(*c));
	c->base = (struct source){.next = cluster_next, .prev = cluster_prev, .free = cluster_free};
	c->delay_ns = o->delay_ns;
	c->userpwd = userpwd;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	pthread_cond_init(&c->answered, NULL);
	return c;
}

/* The nodes of a Proxmox cluster: /etc/pve/.members' nodelist (their ip). */
static int pve_members(struct cluster *c, const char *port, char **cause)
{
	struct sb b = {0};
	int r = read_file_at(AT_FDCWD, "/etc/pve/.members", &b, 1 << 20);
	json_object *root = r ? NULL : json_tokener_parse(b.s ? b.s : ""), *list;
	sb_free(&b);
	if (!root || !json_object_object_get_ex(root, "nodelist", &list) ||
	    !json_object_is_type(list, json_type_object)) {
		*cause = xasprintf("--remote pve: cannot read the node list in /etc/pve/.members%s%s",
				   r ? ": " : "", r ? strerror(-r) : "");
		json_object_put(root);
		return -1;
	}
	json_object_object_foreach(list, name, v) {
		json_object *ip;
		const char *addr = json_object_object_get_ex(v, "ip", &ip) ? json_object_get_string(ip)
									    : name;
		char *hp = xasprintf(strchr(addr, ':') ? "[%s]:%s" : "%s:%s", addr, port);
		struct node *n = node_named(c, hp);
		n->url = xasprintf("http://%s/sample", hp);
		free(hp);
	}
	json_object_put(root);
	return 0;
}

static int start_threads(struct cluster *c, size_t n, void *(*fn)(void *), char **cause)
{
	c->thr = xcalloc(n, sizeof(*c->thr));
	c->args = xcalloc(n, sizeof(*c->args));
	for (size_t i = 0; i < n; i++) {
		c->args[i] = (struct worker_arg){c, i};
		int e = pthread_create(&c->thr[i], NULL, fn, fn == prom_worker ? (void *)c : &c->args[i]);
		if (e) {
			*cause = xasprintf("cannot start a thread: %s", strerror(e));
			return -1;
		}
		c->nthr++;
	}
	return 0;
}

struct source *source_remote(const char *list, const struct remote_opts *o, char **cause)
{
	struct cluster *c = cluster_new(o, cause);
	if (!c)
		return NULL;
	int rc = 0;
	if (!strcmp(list, "pve") || !strncmp(list, "pve:", 4)) {
		rc = pve_members(c, list[3] ? list + 4 : "9905", cause);
	} else {
		char *copy = xstrdup(list), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
			bool scheme = !strncmp(t, "http://", 7) || !strncmp(t, "https://", 8);
			const char *hp = scheme ? strstr(t, "://") + 3 : t;
			if (!*hp || !strchr(hp, ':')) {
				*cause = xasprintf("--remote wants HOST:PORT entries, not '%s'", t);
				rc = -1;
				break;
			}
			struct node *n = node_named(c, hp);
			n->url = xasprintf("%s%s%s/sample", scheme ? "" : "http://", t,
					   t[strlen(t) - 1] == '/' ? "" : "");
		}
		free(copy);
	}
	if (!rc && !c->n) {
		*cause = xstrdup("--remote: no nodes");
		rc = -1;
	}
	if (!rc)
		rc = start_threads(c, c->n, remote_worker, cause);
	if (rc) {
		cluster_free(&c->base);
		return NULL;
	}
	return &c->base;
}

struct source *source_prometheus(const char *url, const struct remote_opts *o, char **cause)
{
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		*cause = xasprintf("--prometheus wants http://HOST:PORT, not '%s'", url);
		return NULL;
	}
	struct cluster *c = cluster_new(o, cause);
	if (!c)
		return NULL;
	c->prom = xstrdup(url);
	if (start_threads(c, 1, prom_worker, cause)) {
		cluster_free(&c->base);
		return NULL;
	}
	return &c->base;
}
