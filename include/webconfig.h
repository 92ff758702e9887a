/* The --web-config file: TLS and basic auth for --serve, in the format of
 * the Prometheus exporters' web configuration (a small YAML subset):
 *
 *   tls_server_config:
 *     cert_file: server.crt
 *     key_file: server.key
 *   basic_auth_users:
 *     prometheus: $2y$10$...      # bcrypt
 */
#ifndef VTAX_WEBCONFIG_H
#define VTAX_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct wc_user {
	char *name;
	char *hash;                 /* bcrypt ($2a$, $2b$, $2y$) */
};

struct webconfig {
	char *cert_file, *key_file; /* both or neither; relative to the file's directory */
	struct wc_user *users;
	size_t nusers;
};

/* Parse text into wc (zeroed first). 0, or -1 with *cause (caller
 * frees), naming the line. */
int webconfig_parse(const char *text, struct webconfig *wc, char **cause);
/* Read and parse path; relative certificate paths are made relative to
 * its directory. */
int webconfig_load(const char *path, struct webconfig *wc, char **cause);
void webconfig_free(struct webconfig *wc);

/* Whether user and password match a user of wc (crypt(3), thread-safe). */
bool webconfig_check(const struct webconfig *wc, const char *user, const char *password);

#endif
