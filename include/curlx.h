/* libcurl, opened on first use and shared by every thread that speaks
 * HTTP (the container APIs, InfluxDB, other nodes, Prometheus). */
#ifndef VTAX_CURLX_H
#define VTAX_CURLX_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct curlx_req {
	const char *url;
	const char *unix_socket;      /* speak HTTP over this socket, or NULL */
	const char *body;             /* POST this, or NULL for GET */
	size_t body_len;
	const char *const *headers;   /* "Name: value" lines, NULL-terminated, or NULL */
	const char *userpwd;          /* "user:password" for basic auth, or NULL */
	const char *cafile;           /* CA bundle for https, or NULL: the system's */
	long timeout_ms;              /* the whole request */
	long connect_timeout_ms;      /* 0: timeout_ms */
	size_t max_reply;             /* bytes; a longer reply fails */
};

/* Perform one request. Returns 0 and the HTTP status in *status with the
 * reply in *reply (replaced), or -1 with a message in err. Thread-safe:
 * each call uses its own handle. */
int curlx_perform(const struct curlx_req *r, struct sb *reply, long *status, char *err,
		  size_t errsz);

/* Free libcurl's global state at exit, when it was loaded. */
void curlx_cleanup(void);

#endif
