/* Versioned JSON Lines of raw samples, driven by the sample field tables. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "jsonx.h"
#include "record.h"

static const char *const nic_keys[] = {"rx_bytes", "tx_bytes", "rx_packets", "tx_packets",
				       "drops", "errors"};

static uint64_t *nic_field(struct nic_sample *n, size_t k)
{
	uint64_t *f[] = {&n->rx_bytes, &n->tx_bytes, &n->rx_packets, &n->tx_packets, &n->drops,
			 &n->errors};
	return f[k];
}

/* "nics": an array of the guest's interfaces, "host" when it uses the
 * host's namespace, absent when unknown. */
static void record_nics(json_object *o, const struct guest_sample *g)
{
	if (g->net == NET_HOST) {
		json_object_object_add(o, "nics", json_object_new_string("host"));
		return;
	}
	if (g->net != NET_OWN)
		return;
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < g->nnics; i++) {
		struct nic_sample *n = &g->nics[i];
		json_object *j = json_object_new_object();
		json_object_object_add(j, "name", jx_str(n->name));
		json_object_object_add(j, "ifindex", jx_u64(n->ifindex));
		for (size_t k = 0; k < ARRAY_SIZE(nic_keys); k++)
			json_object_object_add(j, nic_keys[k], jx_u64(*nic_field(n, k)));
		json_object_array_add(arr, j);
	}
	json_object_object_add(o, "nics", arr);
}

static int get_u64(json_object *o, const char *k, uint64_t *out);

static int parse_nics(json_object *o, struct guest_sample *g, char **cause)
{
	json_object *v;
	if (!json_object_object_get_ex(o, "nics", &v) || !v)
		return 0;
	if (json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), "host")) {
		g->net = NET_HOST;
		return 0;
	}
	if (!json_object_is_type(v, json_type_array)) {
		*cause = xasprintf("guest %s: \"nics\" is neither a list nor \"host\"", g->id);
		return -1;
	}
	size_t n = json_object_array_length(v);
	g->net = NET_OWN;
	g->nics = xcalloc(n ? n : 1, sizeof(*g->nics));
	for (size_t i = 0; i < n; i++) {
		json_object *j = json_object_array_get_idx(v, i);
		struct nic_sample *nic = &g->nics[g->nnics];
		json_object *name;
		if (!json_object_is_type(j, json_type_object) ||
		    !json_object_object_get_ex(j, "name", &name) ||
		    !json_object_is_type(name, json_type_string)) {
			*cause = xasprintf("guest %s: interface %zu has no name", g->id, i);
			return -1;
		}
		str_copy(nic->name, sizeof(nic->name), json_object_get_string(name));
		int bad = get_u64(j, "ifindex", &nic->ifindex);
		for (size_t k = 0; k < ARRAY_SIZE(nic_keys); k++)
			bad |= get_u64(j, nic_keys[k], nic_field(nic, k));
		if (bad) {
			*cause = xasprintf("guest %s: interface %zu has a counter that is not one",
					   g->id, i);
			return -1;
		}
		g->nnics++;
	}
	return 0;
}

/* A VM's drives (QMP query-blockstats), raw counters. */
#define DRIVE_FIELDS(X) X(rd_bytes) X(wr_bytes) X(rd_ops) X(wr_ops) X(rd_time_ns) X(wr_time_ns)

static json_object *record_drives(const struct guest_sample *g)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < g->ndrives; i++) {
		const struct drive_sample *d = &g->drives[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", jx_str(d->name));
#define ADD(f) json_object_object_add(o, #f, jx_u64(d->f));
		DRIVE_FIELDS(ADD)
#undef ADD
		json_object_array_add(arr, o);
	}
	return arr;
}

void record_sample(struct sb *out, const struct sample *s)
{
	json_object *root = json_object_new_object();
	json_object_object_add(root, "vtax_record", json_object_new_int(RECORD_VERSION));
	const struct host_sample *h = &s->host;
	json_object *host = json_object_new_object();
	json_object_object_add(host, "hostname", jx_str(h->hostname));
	json_object_object_add(host, "real_ms", json_object_new_int64(h->real_ms));
	json_object_object_add(host, "ncpus", json_object_new_int((int)h->ncpus));
	json_object *load = json_object_new_array();
	json_object_array_add(load, json_object_new_double(h->load1));
	json_object_array_add(load, json_object_new_double(h->load5));
	json_object_array_add(load, json_object_new_double(h->load15));
	json_object_object_add(host, "load", load);
	json_object_object_add(host, "uptime_s", json_object_new_double(h->uptime_s));
	for (size_t i = 0; i < host_u64_nfields; i++)
		json_object_object_add(host, host_u64_fields[i].name,
				       jx_u64(*field_ptr((void *)(uintptr_t)h, &host_u64_fields[i])));
	json_object_object_add(root, "host", host);
	json_object_object_add(root, "cg_version", json_object_new_int((int)s->cg_version));
	json_object_object_add(root, "psi_guest", json_object_new_boolean(s->psi_guest));
	json_object_object_add(root, "delayacct", json_object_new_boolean(s->delayacct));
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < s->nguests; i++) {
		const struct guest_sample *g = &s->guests[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "runtime", json_object_new_string(runtime_name(g->runtime)));
		json_object_object_add(o, "id", jx_str(g->id));
		json_object_object_add(o, "name", jx_str(g->name));
		json_object_object_add(o, "cgroup", jx_str(g->cgroup));
		json_object_object_add(o, "helper_cg", jx_str(g->helper_cg));
		if (g->note)
			json_object_object_add(o, "note", jx_str(g->note));
		if (g->node)
			json_object_object_add(o, "node", jx_str(g->node));
		if (g->qga_note)
			json_object_object_add(o, "qga_note", jx_str(g->qga_note));
		for (size_t k = 0; k < guest_u64_nfields; k++)
			json_object_object_add(o, guest_u64_fields[k].name,
					       jx_u64(*field_ptr((void *)(uintptr_t)g, &guest_u64_fields[k])));
		if (g->drives)
			json_object_object_add(o, "drives", record_drives(g));
		record_nics(o, g);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "guests", arr);
	if (s->focus) {
		json_object_object_add(root, "focus", jx_str(s->focus));
		json_object *fp = json_object_new_array();
		for (size_t i = 0; i < s->nfprocs; i++) {
			const struct proc_sample *p = &s->fprocs[i];
			json_object *o = json_object_new_object();
			json_object_object_add(o, "pid", json_object_new_int(p->pid));
			json_object_object_add(o, "start", json_object_new_uint64(p->start));
			json_object_object_add(o, "cpu_ns", json_object_new_uint64(p->cpu_ns));
			json_object_object_add(o, "rss", json_object_new_uint64(p->rss));
			json_object_object_add(o, "comm", jx_str(p->comm));
			json_object_array_add(fp, o);
		}
		json_object_object_add(root, "focus_procs", fp);
	}
	sb_adds(out, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	sb_addc(out, '\n');
	json_object_put(root);
}

struct replay {
	FILE *fp;
	char *path;
	char *line;
	size_t cap;
	unsigned long lineno;
	unsigned long samples;
};

struct replay *replay_open(const char *path, char **cause)
{
	FILE *fp = fopen(path, "re");
	if (!fp) {
		*cause = xasprintf("cannot open record file %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		*cause = xasprintf("cannot read record file %s: %s", path, strerror(EISDIR));
		fclose(fp);
		return NULL;
	}
	struct replay *r = xcalloc(1, sizeof(*r));
	r->fp = fp;
	r->path = xstrdup(path);
	return r;
}

void replay_close(struct replay *r)
{
	if (!r)
		return;
	fclose(r->fp);
	free(r->path);
	free(r->line);
	free(r);
}

/* Read a u64 field: absent or null is unknown; anything else must be a
 * non-negative integer. */
static int get_u64(json_object *o, const char *k, uint64_t *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !v) {
		*out = VT_UNKNOWN;
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	if (json_object_get_int64(v) < 0)
		return -EINVAL;
	*out = json_object_get_uint64(v);
	return 0;
}

static char *get_str(json_object *o, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return xstrdup(json_object_get_string(v));
}

static double get_double(json_object *o, const char *k, double dflt)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return dflt;
	return json_object_get_double(v);
}

static int parse_host(json_object *host, struct host_sample *h, char **cause)
{
	json_object *v;
	host_sample_init(h);
	for (size_t i = 0; i < host_u64_nfields; i++) {
		if (get_u64(host, host_u64_fields[i].name, field_ptr(h, &host_u64_fields[i]))) {
			*cause = xasprintf("host field \"%s\" is not a counter", host_u64_fields[i].name);
			return -1;
		}
	}
	char *hn = get_str(host, "hostname");
	snprintf(h->hostname, sizeof(h->hostname), "%s", hn ? hn : "replay");
	free(hn);
	if (json_object_object_get_ex(host, "real_ms", &v))
		h->real_ms = json_object_get_int64(v);
	if (json_object_object_get_ex(host, "ncpus", &v))
		h->ncpus = (uint32_t)json_object_get_int(v);
	if (!h->ncpus || h->ncpus > 65536)
		h->ncpus = 1;
	if (json_object_object_get_ex(host, "load", &v) && json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) == 3) {
		h->load1 = json_object_get_double(json_object_array_get_idx(v, 0));
		h->load5 = json_object_get_double(json_object_array_get_idx(v, 1));
		h->load15 = json_object_get_double(json_object_array_get_idx(v, 2));
	}
	h->uptime_s = get_double(host, "uptime_s", -1);
	return 0;
}

/* The "drives" array (version 2), when there is one. */
static int parse_drives(json_object *o, struct guest_sample *g, char **cause)
{
	json_object *arr;
	if (!json_object_object_get_ex(o, "drives", &arr) || !arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array)) {
		*cause = xasprintf("guest %s: \"drives\" is not an array", g->id);
		return -1;
	}
	size_t n = json_object_array_length(arr);
	if (n > DRIVE_MAX)
		n = DRIVE_MAX;
	g->drives = xcalloc(n + 1, sizeof(*g->drives));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		struct drive_sample *d = &g->drives[g->ndrives];
		char *name = json_object_is_type(e, json_type_object) ? get_str(e, "name") : NULL;
		if (!name) {
			*cause = xasprintf("guest %s: drive %zu has no name", g->id, i);
			return -1;
		}
		str_copy(d->name, sizeof(d->name), name);
		free(name);
#define GET(f)                                                                                      \
		if (get_u64(e, #f, &d->f)) {                                                        \
			*cause = xasprintf("guest %s: drive field \"%s\" is not a counter", g->id, #f); \
			return -1;                                                                  \
		}
		DRIVE_FIELDS(GET)
#undef GET
		g->ndrives++;
	}
	return 0;
}

/* Guest i of the record (o) into a new guest of s. */
static int parse_guest(json_object *o, size_t i, struct sample *s, char **cause)
{
	json_object *rt;
	int r = -1;
	if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "runtime", &rt) &&
	    json_object_is_type(rt, json_type_string))
		r = runtime_from_name(json_object_get_string(rt));
	if (r < 0) {
		*cause = xasprintf("guest %zu has no known runtime", i);
		return -1;
	}
	struct guest_sample *g = sample_add_guest(s);
	g->runtime = (enum runtime)r;
	g->id = get_str(o, "id");
	g->name = get_str(o, "name");
	g->cgroup = get_str(o, "cgroup");
	g->helper_cg = get_str(o, "helper_cg");
	g->note = get_str(o, "note");
	g->node = get_str(o, "node");
	g->qga_note = get_str(o, "qga_note");
	if (!g->id) {
		*cause = xasprintf("guest %zu has no id", i);
		return -1;
	}
	for (size_t k = 0; k < guest_u64_nfields; k++) {
		if (get_u64(o, guest_u64_fields[k].name, field_ptr(g, &guest_u64_fields[k]))) {
			*cause = xasprintf("guest %s: field \"%s\" is not a counter", g->id,
					   guest_u64_fields[k].name);
			return -1;
		}
	}
	if (parse_drives(o, g, cause) || parse_nics(o, g, cause))
		return -1;
	/* counts default to zero, not unknown */
	uint64_t *counts[] = {&g->nprocs, &g->main_pid, &g->h_count, &g->h_cpu_ns, &g->h_mem};
	for (size_t k = 0; k < ARRAY_SIZE(counts); k++)
		if (*counts[k] == VT_UNKNOWN)
			*counts[k] = 0;
	return 0;
}

/* The focused guest's processes, when the record has them. */
static void parse_focus(json_object *root, struct sample *s)
{
	json_object *fp;
	char *focus = get_str(root, "focus");
	if (!focus || !json_object_object_get_ex(root, "focus_procs", &fp) ||
	    !json_object_is_type(fp, json_type_array)) {
		free(focus);
		return;
	}
	size_t nf = json_object_array_length(fp);
	if (nf > FOCUS_MAX)
		nf = FOCUS_MAX;
	s->focus = focus;
	s->fprocs = xcalloc(nf + 1, sizeof(*s->fprocs));
	for (size_t i = 0; i < nf; i++) {
		json_object *o = json_object_array_get_idx(fp, i);
		struct proc_sample *p = &s->fprocs[s->nfprocs];
		json_object *pv;
		uint64_t u;
		if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "pid", &pv))
			continue;
		p->pid = json_object_get_int(pv);
		p->start = !get_u64(o, "start", &u) ? u : 0;
		p->cpu_ns = !get_u64(o, "cpu_ns", &u) ? u : VT_UNKNOWN;
		p->rss = !get_u64(o, "rss", &u) ? u : VT_UNKNOWN;
		char *comm = get_str(o, "comm");
		str_copy(p->comm, sizeof(p->comm), comm ? comm : "?");
		free(comm);
		s->nfprocs++;
	}
}

static int parse_obj(json_object *root, struct sample *s, char **cause)
{
	json_object *v, *host, *guests;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "vtax_record", &v) || !json_object_is_type(v, json_type_int)) {
		*cause = xstrdup("not a vtax record line");
		return -1;
	}
	int ver = json_object_get_int(v);
	/* version 1 lacks drives and some counters: they replay as unknown */
	if (ver < RECORD_VERSION_MIN || ver > RECORD_VERSION) {
		*cause = xasprintf("record format version %d is not supported (this vtax reads "
				   "versions %d to %d)", ver, RECORD_VERSION_MIN, RECORD_VERSION);
		return -1;
	}
	if (!json_object_object_get_ex(root, "host", &host) ||
	    !json_object_is_type(host, json_type_object) ||
	    !json_object_object_get_ex(root, "guests", &guests) ||
	    !json_object_is_type(guests, json_type_array)) {
		*cause = xstrdup("record line lacks \"host\" or \"guests\"");
		return -1;
	}
	sample_clear(s);
	if (parse_host(host, &s->host, cause))
		return -1;
	if (json_object_object_get_ex(root, "cg_version", &v))
		s->cg_version = (uint32_t)json_object_get_int(v);
	if (json_object_object_get_ex(root, "psi_guest", &v))
		s->psi_guest = json_object_get_boolean(v);
	if (json_object_object_get_ex(root, "delayacct", &v))
		s->delayacct = json_object_get_boolean(v);
	size_t n = json_object_array_length(guests);
	for (size_t i = 0; i < n; i++)
		if (parse_guest(json_object_array_get_idx(guests, i), i, s, cause))
			return -1;
	parse_focus(root, s);
	return 0;
}

int record_parse_line(const char *line, struct sample *s, char **cause)
{
	enum json_tokener_error jerr;
	json_object *root = json_tokener_parse_verbose(line, &jerr);
	if (!root) {
		*cause = xasprintf("malformed JSON: %s", json_tokener_error_desc(jerr));
		return -1;
	}
	int r = parse_obj(root, s, cause);
	json_object_put(root);
	return r;
}

int replay_next(struct replay *r, struct sample *s, char **cause)
{
	for (;;) {
		errno = 0;
		ssize_t n = getline(&r->line, &r->cap, r->fp);
		if (n < 0 && ferror(r->fp)) {
			*cause = xasprintf("cannot read record file %s: %s", r->path,
					   strerror(errno ? errno : EIO));
			return -1;
		}
		if (n < 0 && !r->samples) {
			*cause = xasprintf("%s: no samples in the file (not a vtax --record file?)",
					   r->path);
			return -1;
		}
		if (n < 0)
			return 0;
		r->lineno++;
		int complete = n > 0 && r->line[n - 1] == '\n';
		while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
			r->line[--n] = '\0';
		if (!n)
			continue;
		char *why = NULL;
		if (record_parse_line(r->line, s, &why) == 0) {
			r->samples++;
			return 1;
		}
		if (!complete) {
			*cause = xasprintf("%s: the file ends early (line %lu is cut short; vtax was "
					   "probably stopped while recording)", r->path, r->lineno);
			free(why);
			sample_clear(s);
			return r->samples ? 0 : -1;
		}
		*cause = xasprintf("%s:%lu: %s", r->path, r->lineno, why);
		free(why);
		return -1;
	}
}
