/* --serve: an HTTP endpoint (libmicrohttpd) publishing the latest frame
 * as Prometheus metrics (/metrics), the --json frame (/json) and the raw
 * samples (/sample, for another node's --remote). A request reads what
 * the refresh loop last published; it never causes a collection. */
#ifndef VTAX_SERVE_H
#define VTAX_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "driver.h"
#include "webconfig.h"

/* Limits of the server (doc/export.md). */
#define SERVE_MAX_CONNECTIONS 256
#define SERVE_IDLE_TIMEOUT_S 10
#define SERVE_MAX_REQUEST (16u << 10)  /* bytes of request line and headers */

/* Start serving on spec, "[ADDR:]PORT" (127.0.0.1 without an address,
 * ":PORT" every address), with TLS and basic auth from the web
 * configuration file wc_path (or NULL). *port gets the port listened on
 * (spec may say 0). NULL with *cause (caller frees) on failure. */
struct output *output_serve(const char *spec, const char *wc_path, unsigned *port, char **cause);

/* What a request gets, decided from its method, path, Authorization
 * header and body length alone (exposed for fuzzing). */
enum serve_res { RES_NONE, RES_INDEX, RES_METRICS, RES_JSON, RES_SAMPLE };
struct serve_answer {
	int status;                 /* 200 with res, else an error status */
	enum serve_res res;
	const char *msg;            /* the error's one-line body */
	bool challenge;             /* 401: send WWW-Authenticate */
};
/* check(ctx, user, password) says whether the credentials are good; with
 * need_auth false no credentials are asked. */
void serve_decide(const char *method, const char *path, const char *authorization,
		  uint64_t body_len, bool need_auth,
		  bool (*check)(void *ctx, const char *user, const char *password), void *ctx,
		  struct serve_answer *a);

/* Decode standard base64 (padding required) into out (size outsz, NUL
 * added). Returns the length, or -1 when malformed or too long. */
int base64_decode(const char *in, char *out, size_t outsz);

#endif
