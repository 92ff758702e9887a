/* libcurl through dlopen: one loader for every thread that speaks HTTP. */
#include "config.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "curlx.h"

/* libcurl pulls in TLS, Kerberos and LDAP libraries whose constructors
 * alone cost megabytes of RSS; vtax speaks HTTP only when a container
 * API, an exporter target or another node is there. So it is opened on
 * first use, once, under pthread_once (curl_global_init is not
 * thread-safe). */
static struct {
	void *lib;
	char err[160];
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} curl;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_load(void)
{
	static const char *const sonames[] = {"libcurl.so.4", "libcurl-gnutls.so.4",
					      "libcurl-nss.so.4"};
	void *lib = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(sonames) && !lib; i++)
		lib = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(curl.err, sizeof(curl.err), "cannot load libcurl (%s)", dlerror());
		return;
	}
	struct {
		void **slot;
		const char *name;
	} syms[] = {
		{(void **)&curl.global_init, "curl_global_init"},
		{(void **)&curl.global_cleanup, "curl_global_cleanup"},
		{(void **)&curl.easy_init, "curl_easy_init"},
		{(void **)&curl.easy_setopt, "curl_easy_setopt"},
		{(void **)&curl.easy_perform, "curl_easy_perform"},
		{(void **)&curl.easy_getinfo, "curl_easy_getinfo"},
		{(void **)&curl.easy_cleanup, "curl_easy_cleanup"},
		{(void **)&curl.easy_strerror, "curl_easy_strerror"},
		{(void **)&curl.slist_append, "curl_slist_append"},
		{(void **)&curl.slist_free_all, "curl_slist_free_all"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		*syms[i].slot = dlsym(lib, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(curl.err, sizeof(curl.err), "libcurl lacks %s", syms[i].name);
			dlclose(lib);
			return;
		}
	}
	curl.global_init(CURL_GLOBAL_DEFAULT);
	curl.lib = lib;
}

struct capped {
	struct sb *b;
	size_t max;
	bool over;
};

static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct capped *c = arg;
	size_t len = size * n;
	if (c->b->len + len > c->max) {
		c->over = true;
		return 0;
	}
	sb_add(c->b, ptr, len);
	return len;
}

int curlx_perform(const struct curlx_req *r, struct sb *reply, long *status, char *err,
		  size_t errsz)
{
	pthread_once(&curl_once, curl_load);
	if (!curl.lib) {
		snprintf(err, errsz, "%s", curl.err);
		return -1;
	}
	CURL *c = curl.easy_init();
	if (!c) {
		snprintf(err, errsz, "cannot start libcurl");
		return -1;
	}
	sb_clear(reply);
	struct capped body = {reply, r->max_reply ? r->max_reply : (8u << 20), false};
	struct curl_slist *hdrs = NULL;
	for (size_t i = 0; r->headers && r->headers[i]; i++)
		hdrs = curl.slist_append(hdrs, r->headers[i]);
	if (r->unix_socket)
		curl.easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, r->unix_socket);
	curl.easy_setopt(c, CURLOPT_URL, r->url);
	curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 r->connect_timeout_ms ? r->connect_timeout_ms : r->timeout_ms);
	curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl.easy_setopt(c, CURLOPT_WRITEDATA, &body);
	/* plain http and https only: no redirects to file:// or elsewhere */
	curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (hdrs)
		curl.easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (r->userpwd) {
		curl.easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl.easy_setopt(c, CURLOPT_USERPWD, r->userpwd);
	}
	if (r->cafile)
		curl.easy_setopt(c, CURLOPT_CAINFO, r->cafile);
	if (r->body) {
		curl.easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
		curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	CURLcode rc = curl.easy_perform(c);
	*status = 0;
	curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl.easy_cleanup(c);
	curl.slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		if (body.over && body.max % (1u << 20) == 0)
			snprintf(err, errsz, "reply larger than %zu MiB", body.max >> 20);
		else if (body.over)
			snprintf(err, errsz, "reply larger than %zu bytes", body.max);
		else
			snprintf(err, errsz, "%s", curl.easy_strerror(rc));
		return -1;
	}
	return 0;
}

void curlx_cleanup(void)
{
	if (curl.lib)
		curl.global_cleanup();
}
