/* The HTTP side of --serve: libmicrohttpd parses HTTP in its own thread;
 * the refresh loop publishes immutable texts that requests share by
 * reference count. */
#include "config.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "export.h"
#include "record.h"
#include "render.h"
#include "serve.h"

/* ---- libmicrohttpd, opened when --serve is asked ----------------------------- */

/* libmicrohttpd pulls in GnuTLS and eight more libraries: loading them
 * took 1.6 ms of CPU at every start of vtax, a third of a bare start, for
 * the exporter alone. So it is opened here, by output_serve, in the main
 * thread before the daemon (and its thread) exists. */
#define MHD_FUNCTIONS(X)                                                          \
	X(start_daemon) X(stop_daemon) X(get_daemon_info) X(is_feature_supported) \
	X(lookup_connection_value) X(create_response_from_buffer)                 \
	X(create_response_from_buffer_with_free_callback_cls)                     \
	X(add_response_header) X(queue_response) X(destroy_response)
#define MHD_SLOT(n) __typeof__(&MHD_##n) n;
static struct {
	void *lib;
	MHD_FUNCTIONS(MHD_SLOT)
} mhd;
#undef MHD_SLOT

static int mhd_load(char **cause)
{
	static const char *const sonames[] = {"libmicrohttpd.so.12", "libmicrohttpd.so"};
	if (mhd.lib)
		return 0;
	void *lib = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(sonames) && !lib; i++)
		lib = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		*cause = xasprintf("--serve needs libmicrohttpd: %s (apt install libmicrohttpd12)",
				   dlerror());
		return -1;
	}
#define MHD_SYM(n)                                                                  \
	if (!(*(void **)&mhd.n = dlsym(lib, "MHD_" #n))) {                          \
		*cause = xstrdup("--serve: this libmicrohttpd lacks MHD_" #n);     \
		dlclose(lib);                                                       \
		return -1;                                                          \
	}
	MHD_FUNCTIONS(MHD_SYM)
#undef MHD_SYM
	mhd.lib = lib;
	return 0;
}

/* ---- what a request gets ----------------------------------------------------- */

int base64_decode(const char *in, char *out, size_t outsz)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(in), o = 0;
	if (len % 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		unsigned v = 0;
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			char c = in[i + k];
			const char *p = c ? strchr(alpha, c) : NULL;
			if (c == '=' && i + 4 == len && k >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (!p || pad)
				return -1;
			v = v << 6 | (unsigned)(p - alpha);
		}
		for (int k = 0; k < 3 - pad; k++) {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = (char)(v >> (16 - 8 * k) & 0xff);
		}
	}
	if (!outsz)
		return -1;
	out[o] = '\0';
	return (int)o;
}

/* "Basic base64(user:password)" checked by check(). */
static bool authorized(const char *authorization,
		       bool (*check)(void *ctx, const char *user, const char *password), void *ctx)
{
	if (!authorization || strncasecmp(authorization, "Basic ", 6))
		return false;
	const char *b = authorization + 6;
	while (*b == ' ')
		b++;
	char plain[512];
	int n = base64_decode(b, plain, sizeof(plain));
	if (n < 0 || memchr(plain, '\0', (size_t)n))
		return false;
	char *colon = strchr(plain, ':');
	if (!colon)
		return false;
	*colon = '\0';
	return check(ctx, plain, colon + 1);
}

void serve_decide(const char *method, const char *path, const char *authorization,
		  uint64_t body_len, bool need_auth,
		  bool (*check)(void *ctx, const char *user, const char *password), void *ctx,
		  struct serve_answer *a)
{
	*a = (struct serve_answer){.status = 200};
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		*a = (struct serve_answer){405, RES_NONE, "only GET and HEAD are served", false};
		return;
	}
	if (body_len) {
		*a = (struct serve_answer){413, RES_NONE, "a request body is not accepted", false};
		return;
	}
	if (need_auth && !authorized(authorization, check, ctx)) {
		*a = (struct serve_answer){401, RES_NONE, "wrong or missing credentials", true};
		return;
	}
	static const struct {
		const char *path;
		enum serve_res res;
	} routes[] = {
		{"/", RES_INDEX}, {"/metrics", RES_METRICS}, {"/json", RES_JSON}, {"/sample", RES_SAMPLE},
	};
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++)
		if (!strcmp(path, routes[i].path)) {
			a->res = routes[i].res;
			return;
		}
	*a = (struct serve_answer){404, RES_NONE, "not found: vtax serves /metrics, /json and /sample",
				   false};
}

/* ---- the published texts ------------------------------------------------------ */

/* One frame's texts; shared by the requests that send them, freed by the
 * last one. */
struct pub {
	unsigned refs;              /* under serve.mu */
	struct sb text[RES_SAMPLE + 1];
};

struct serve {
	struct output base;
	struct MHD_Daemon *d;
	struct webconfig wc;
	pthread_mutex_t mu;
	struct pub *pub;            /* the latest, or NULL before the first frame */
	struct export_state *st;
	struct sb last_sample;      /* the previous frame's record line */
	char *cert, *key;
	char *ok_creds[8];          /* "user:password" lately found good: bcrypt
	                             * costs tens of ms, a scrape should not */
	unsigned ok_next;
};

static void pub_unref(struct serve *s, struct pub *p)
{
	pthread_mutex_lock(&s->mu);
	bool last = --p->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (!last)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(p->text); i++)
		sb_free(&p->text[i]);
	free(p);
}

static void serve_frame(struct output *o, const struct frame *f)
{
	struct serve *s = (struct serve *)o;
	struct pub *p = xcalloc(1, sizeof(*p));
	p->refs = 1;
	export_update(s->st, f);
	export_prom(&p->text[RES_METRICS], f, s->st);
	render_json(&p->text[RES_JSON], f);
	sb_addc(&p->text[RES_JSON], '\n');
	/* the sample before this one too: a node asking for the first time
	 * gets rates at once */
	struct sb line = {0};
	record_sample(&line, f->cur);
	sb_add(&p->text[RES_SAMPLE], s->last_sample.s ? s->last_sample.s : "", s->last_sample.len);
	sb_add(&p->text[RES_SAMPLE], line.s, line.len);
	sb_free(&s->last_sample);
	s->last_sample = line;
	sb_adds(&p->text[RES_INDEX], "<html><head><title>vtax</title></head><body><h1>vtax</h1>"
		"<p><a href=\"/metrics\">/metrics</a> <a href=\"/json\">/json</a> "
		"<a href=\"/sample\">/sample</a></p></body></html>\n");
	pthread_mutex_lock(&s->mu);
	struct pub *old = s->pub;
	s->pub = p;
	pthread_mutex_unlock(&s->mu);
	if (old)
		pub_unref(s, old);
}

struct sent {
	struct serve *s;
	struct pub *p;
};

static void sent_done(void *cls)
{
	struct sent *x = cls;
	pub_unref(x->s, x->p);
	free(x);
}

/* Runs in libmicrohttpd's thread only. */
static bool check_creds(void *ctx, const char *user, const char *password)
{
	struct serve *s = ctx;
	char *both = xasprintf("%s:%s", user, password);
	for (size_t i = 0; i < ARRAY_SIZE(s->ok_creds); i++)
		if (s->ok_creds[i] && !strcmp(s->ok_creds[i], both)) {
			free(both);
			return true;
		}
	if (!webconfig_check(&s->wc, user, password)) {
		free(both);
		return false;
	}
	unsigned k = s->ok_next++ % ARRAY_SIZE(s->ok_creds);
	free(s->ok_creds[k]);
	s->ok_creds[k] = both;
	return true;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, int status, const char *msg,
				  bool challenge)
{
	char *body = xasprintf("%s\n", msg);
	struct MHD_Response *r = mhd.create_response_from_buffer(strlen(body), body,
								  MHD_RESPMEM_MUST_FREE);
	mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (challenge)
		mhd.add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"vtax\", charset=\"UTF-8\"");
	if (status == 405)
		mhd.add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = mhd.queue_response(c, (unsigned)status, r);
	mhd.destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	(void)version, (void)upload;
	struct serve *s = cls;
	const char *cl = mhd.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = mhd.lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_TRANSFER_ENCODING);
	uint64_t body = (cl && strcmp(cl, "0")) || te || *upload_size ? 1 : 0;
	(void)con_cls;
	struct serve_answer a;
	serve_decide(method, url, mhd.lookup_connection_value(c, MHD_HEADER_KIND,
							      MHD_HTTP_HEADER_AUTHORIZATION),
		     body, s->wc.nusers > 0, check_creds, s, &a);
	if (a.status != 200)
		return reply_text(c, a.status, a.msg, a.challenge);
	pthread_mutex_lock(&s->mu);
	struct pub *p = s->pub;
	if (p)
		p->refs++;
	pthread_mutex_unlock(&s->mu);
	if (!p)
		return reply_text(c, 503, "no sample yet: vtax is starting", false);
	struct sent *x = xmalloc(sizeof(*x));
	*x = (struct sent){s, p};
	const struct sb *t = &p->text[a.res];
	struct MHD_Response *r = mhd.create_response_from_buffer_with_free_callback_cls(
		t->len, t->s ? t->s : (char *)(uintptr_t)"", sent_done, x);
	static const char *const types[] = {
		[RES_INDEX] = "text/html; charset=utf-8",
		[RES_METRICS] = "text/plain; version=0.0.4; charset=utf-8",
		[RES_JSON] = "application/json",
		[RES_SAMPLE] = "application/x-ndjson",
	};
	mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, types[a.res]);
	mhd.add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = mhd.queue_response(c, MHD_HTTP_OK, r);
	mhd.destroy_response(r);
	return ret;
}

/* libmicrohttpd's own complaints (a TLS handshake with a plain HTTP
 * client, a client gone): not the user's business. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls, (void)fmt, (void)ap;
}

static void serve_free(struct output *o)
{
	struct serve *s = (struct serve *)o;
	if (s->d)
		mhd.stop_daemon(s->d);
	if (s->pub)
		pub_unref(s, s->pub);
	pthread_mutex_destroy(&s->mu);
	export_state_free(s->st);
	sb_free(&s->last_sample);
	webconfig_free(&s->wc);
	for (size_t i = 0; i < ARRAY_SIZE(s->ok_creds); i++)
		free(s->ok_creds[i]);
	free(s->cert);
	free(s->key);
	free(s);
}

/* spec into an address; NULL host is 127.0.0.1, "" every address. */
static int parse_spec(const char *spec, struct sockaddr_storage *ss, socklen_t *len, char **cause)
{
	char host[256] = "127.0.0.1";
	const char *port = spec;
	const char *colon = strrchr(spec, ':');
	if (colon) {
		const char *h = spec;
		size_t hl = (size_t)(colon - spec);
		if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
			h++, hl -= 2;
		if (hl >= sizeof(host)) {
			*cause = xasprintf("--serve: address too long: %s", spec);
			return -1;
		}
		memcpy(host, h, hl);
		host[hl] = '\0';
		port = colon + 1;
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 0 || p > 65535) {
		*cause = xasprintf("--serve wants [ADDRESS:]PORT, not '%s'", spec);
		return -1;
	}
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int e = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (e || !res) {
		*cause = xasprintf("--serve: cannot resolve '%s': %s", host, gai_strerror(e));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static char *slurp(const char *path, char **cause)
{
	struct sb b = {0};
	int r = read_file_at(AT_FDCWD, path, &b, 1 << 20);
	if (r || !b.s) {
		*cause = xasprintf("cannot read %s: %s", path, strerror(r ? -r : ENODATA));
		sb_free(&b);
		return NULL;
	}
	return b.s;
}

struct output *output_serve(const char *spec, const char *wc_path, unsigned *port, char **cause)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (parse_spec(spec, &ss, &sl, cause) || mhd_load(cause))
		return NULL;
	struct serve *s = xcalloc(1, sizeof(*s));
	s->base = (struct output){.frame = serve_frame, .free = serve_free};
	pthread_mutex_init(&s->mu, NULL);
	s->st = export_state_new();
	if (wc_path && webconfig_load(wc_path, &s->wc, cause))
		goto fail;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->wc.cert_file) {
		if (mhd.is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			*cause = xstrdup("this libmicrohttpd was built without TLS");
			goto fail;
		}
		if (!(s->cert = slurp(s->wc.cert_file, cause)) || !(s->key = slurp(s->wc.key_file, cause)))
			goto fail;
		flags |= MHD_USE_TLS;
	}
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, s->key},
		{MHD_OPTION_END, 0, NULL},
	};
	s->d = mhd.start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)SERVE_MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)SERVE_IDLE_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_MAX_REQUEST,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_ARRAY, s->cert ? tls : tls + 2,
				MHD_OPTION_END);
	if (!s->d) {
		*cause = xasprintf("cannot serve on %s: %s (address in use, or not this host's?)",
				   spec, strerror(errno ? errno : EADDRNOTAVAIL));
		goto fail;
	}
	const union MHD_DaemonInfo *info = mhd.get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	*port = info ? info->port : 0;
	return &s->base;
fail:
	serve_free(&s->base);
	return NULL;
}
