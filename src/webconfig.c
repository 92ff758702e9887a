/* The web configuration file of --serve: a strict reader of the two
 * mappings it may hold, and the bcrypt check through the system's crypt
 * library. Anything it does not know is an error, as in the exporters. */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "webconfig.h"

void webconfig_free(struct webconfig *wc)
{
	free(wc->cert_file);
	free(wc->key_file);
	for (size_t i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	memset(wc, 0, sizeof(*wc));
}

/* A scalar: plain (trailing blanks and a " #" comment dropped), 'single'
 * or "double" quoted. NULL when malformed. */
static char *scalar(const char *s)
{
	while (*s == ' ')
		s++;
	if (*s == '\'' || *s == '"') {
		char q = *s++;
		struct sb b = {0};
		for (; *s && *s != q; s++) {
			if (q == '"' && *s == '\\' && s[1]) {
				s++;
				sb_addc(&b, *s == 'n' ? '\n' : *s == 't' ? '\t' : *s);
			} else {
				sb_addc(&b, *s);
			}
		}
		if (*s != q) {
			sb_free(&b);
			return NULL;
		}
		for (s++; *s == ' '; s++)
			;
		if (*s && *s != '#') {
			sb_free(&b);
			return NULL;
		}
		if (!b.s)
			sb_adds(&b, "");
		return b.s;
	}
	const char *end = s;
	for (const char *p = s; *p; p++) {
		if (*p == '#' && (p == s || p[-1] == ' '))
			break;
		if (*p != ' ')
			end = p + 1;
	}
	return xstrndup(s, (size_t)(end - s));
}

static bool is_bcrypt(const char *h)
{
	return strlen(h) == 60 && h[0] == '$' && h[1] == '2' && strchr("aby", h[2]) && h[3] == '$';
}

enum section { SEC_NONE, SEC_TLS, SEC_USERS };

static int line_error(char **cause, int lineno, const char *what)
{
	*cause = xasprintf("line %d: %s", lineno, what);
	return -1;
}

/* One "key: value" line of a section. */
static int section_line(struct webconfig *wc, enum section sec, const char *key, char *val,
			int lineno, char **cause)
{
	if (sec == SEC_USERS) {
		if (!*val)
			return line_error(cause, lineno, "a user needs a password hash");
		if (!is_bcrypt(val))
			return line_error(cause, lineno, "the password hash is not bcrypt ($2y$...; "
					  "make one with htpasswd -nBC 10 \"\" | tr -d ':\\n')");
		for (size_t i = 0; i < wc->nusers; i++)
			if (!strcmp(wc->users[i].name, key))
				return line_error(cause, lineno, "the user is listed twice");
		wc->users = xrealloc(wc->users, (wc->nusers + 1) * sizeof(*wc->users));
		wc->users[wc->nusers++] = (struct wc_user){xstrdup(key), xstrdup(val)};
		return 0;
	}
	char **slot = !strcmp(key, "cert_file") ? &wc->cert_file
		      : !strcmp(key, "key_file") ? &wc->key_file : NULL;
	if (!slot) {
		*cause = xasprintf("line %d: tls_server_config: \"%.40s\" is not supported (only "
				   "cert_file and key_file)", lineno, key);
		return -1;
	}
	if (*slot)
		return line_error(cause, lineno, "the key is given twice");
	if (!*val)
		return line_error(cause, lineno, "the file name is empty");
	*slot = xstrdup(val);
	return 0;
}

int webconfig_parse(const char *text, struct webconfig *wc, char **cause)
{
	memset(wc, 0, sizeof(*wc));
	enum section sec = SEC_NONE;
	int indent = -1, lineno = 0, rc = 0;
	char *copy = xstrdup(text), *save = NULL;
	*cause = NULL;
	for (char *line = copy; line && !rc; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		int ind = 0;
		while (line[ind] == ' ')
			ind++;
		if (line[ind] == '\t') {
			rc = line_error(cause, lineno, "a tab in the indentation (YAML allows spaces only)");
			break;
		}
		if (!line[ind] || line[ind] == '#' || (lineno == 1 && !strcmp(line, "---")))
			continue;
		char *colon = strstr(line + ind, ": ");
		if (!colon && len && line[len - 1] == ':')
			colon = line + len - 1;
		if (!colon || colon == line + ind) {
			rc = line_error(cause, lineno, "expected \"key: value\"");
			break;
		}
		char *key = xstrndup(line + ind, (size_t)(colon - line - ind));
		char *val = scalar(colon + 1);
		/* a key may be quoted too */
		if (*key == '"' || *key == '\'') {
			char *k = scalar(key);
			free(key);
			key = k;
		}
		if (!val || !key) {
			rc = line_error(cause, lineno, "unterminated quoted string");
		} else if (ind == 0) {
			if (*val && strcmp(val, "{}")) {
				rc = line_error(cause, lineno, "expected a mapping under this key");
			} else if (!strcmp(key, "tls_server_config")) {
				sec = SEC_TLS;
			} else if (!strcmp(key, "basic_auth_users")) {
				sec = SEC_USERS;
			} else {
				*cause = xasprintf("line %d: \"%.40s\" is not supported (only "
						   "tls_server_config and basic_auth_users)", lineno, key);
				rc = -1;
			}
			indent = -1;
		} else if (sec == SEC_NONE) {
			rc = line_error(cause, lineno, "indented line outside a section");
		} else if (indent >= 0 && ind != indent) {
			rc = line_error(cause, lineno, "inconsistent indentation");
		} else {
			indent = ind;
			rc = section_line(wc, sec, key, val, lineno, cause);
		}
		free(key);
		free(val);
	}
	free(copy);
	if (!rc && !wc->cert_file != !wc->key_file) {
		*cause = xstrdup("tls_server_config needs both cert_file and key_file");
		rc = -1;
	}
	if (rc)
		webconfig_free(wc);
	return rc;
}

/* dir of path joined to f, unless f is absolute. */
static void relative_to(char **f, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!*f || **f == '/' || !slash)
		return;
	char *j = xasprintf("%.*s/%s", (int)(slash - path), path, *f);
	free(*f);
	*f = j;
}

int webconfig_load(const char *path, struct webconfig *wc, char **cause)
{
	struct sb b = {0};
	int r = read_file_at(AT_FDCWD, path, &b, 1 << 20);
	if (r) {
		*cause = xasprintf("cannot read the web configuration %s: %s", path, strerror(-r));
		sb_free(&b);
		return -1;
	}
	char *why = NULL;
	r = webconfig_parse(b.s ? b.s : "", wc, &why);
	sb_free(&b);
	if (r) {
		*cause = xasprintf("%s: %s", path, why);
		free(why);
		return -1;
	}
	relative_to(&wc->cert_file, path);
	relative_to(&wc->key_file, path);
	return 0;
}

/* Compare without leaving the position of the first difference in the
 * time taken. */
static bool same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;
	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

bool webconfig_check(const struct webconfig *wc, const char *user, const char *password)
{
	const char *hash = NULL;
	for (size_t i = 0; i < wc->nusers; i++)
		if (!strcmp(wc->users[i].name, user))
			hash = wc->users[i].hash;
	/* an unknown user costs a bcrypt run too, so a client cannot tell
	 * users from the time an answer takes */
	static const char dummy[] = "$2b$10$vNZiAia/W/Ctet8ZoJSgOuHJNqnFlSIiYHXpbXinPoaPvHoYCXbRm";
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	const char *out = crypt_r(password, hash ? hash : dummy, cd);
	bool ok = hash && out && out[0] == '$' && same(out, hash);
	free(cd);
	return ok;
}
