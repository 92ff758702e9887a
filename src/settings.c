/* Settings file: read at start, written with W, atomically. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "settings.h"
#include "snapshot.h"

/* ---- one entry a setting: how it is read and how it is written -------- */

/* Each parse returns NULL, or what is wrong with the value; *bad then
 * names the offending part when it is not the whole value. */
static const char *set_columns(struct ui *u, const char *v, char *bad, size_t badsz)
{
	bool cols[COL_COUNT] = {false};
	char tmp[1024];
	str_copy(tmp, sizeof(tmp), v);
	char *save = NULL;
	int any = 0;
	const char *why = NULL;
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int c = column_find(t);
		if (c < 0) {
			if (!why)
				str_copy(bad, badsz, t);
			why = "unknown column";
			continue;
		}
		cols[c] = true;
		any = 1;
	}
	if (any) {
		memcpy(u->cols, cols, sizeof(cols));
		u->cols_chosen = true;
	}
	return why;
}

static void get_columns(struct sb *out, const struct ui *u)
{
	int first = 1;
	for (int c = 0; c < COL_COUNT; c++) {
		if (!u->cols[c])
			continue;
		sb_printf(out, "%s%s", first ? "" : ",", columns[c].name);
		first = 0;
	}
}

static const char *set_sort(struct ui *u, const char *v, char *bad, size_t badsz)
{
	(void)bad, (void)badsz;
	int c = column_find(v);
	if (c < 0)
		return "unknown sort column";
	u->sort = (enum col_id)c;
	return NULL;
}

static void get_sort(struct sb *out, const struct ui *u) { sb_adds(out, columns[u->sort].name); }

static const char *set_order(struct ui *u, const char *v, char *bad, size_t badsz)
{
	(void)bad, (void)badsz;
	if (strcmp(v, "descending") && strcmp(v, "ascending"))
		return "order must be ascending or descending";
	u->desc = !strcmp(v, "descending");
	return NULL;
}

static void get_order(struct sb *out, const struct ui *u)
{
	sb_adds(out, u->desc ? "descending" : "ascending");
}

static const char *set_delay(struct ui *u, const char *v, char *bad, size_t badsz)
{
	(void)bad, (void)badsz;
	uint64_t ns;
	if (parse_seconds(v, &ns) || ns < DELAY_MIN_NS)
		return "bad delay (seconds, at least " DELAY_MIN_TEXT ")";
	u->delay_ns = ns;
	return NULL;
}

static void get_delay(struct sb *out, const struct ui *u)
{
	sb_printf(out, "%.3g", (double)u->delay_ns / 1e9);
}

static const char *set_filter(struct ui *u, const char *v, char *bad, size_t badsz)
{
	(void)bad, (void)badsz;
	str_copy(u->filter, sizeof(u->filter), v);
	return NULL;
}

static void get_filter(struct sb *out, const struct ui *u) { sb_adds(out, u->filter); }

static const char *set_view(struct ui *u, const char *v, char *bad, size_t badsz)
{
	(void)bad, (void)badsz;
	for (int i = 0; i < MODE_COUNT; i++)
		if (!strcmp(v, vmode_name((enum vmode)i))) {
			u->mode = (enum vmode)i;
			return NULL;
		}
	return "unknown view";
}

static void get_view(struct sb *out, const struct ui *u) { sb_adds(out, vmode_name(u->mode)); }

static const char *set_detail(struct ui *u, const char *v, char *bad, size_t badsz)
{
	(void)bad, (void)badsz;
	u->detail = !strcmp(v, "1") || !strcasecmp(v, "yes");
	return NULL;
}

static void get_detail(struct sb *out, const struct ui *u) { sb_adds(out, u->detail ? "1" : "0"); }

/* The columns are written only when the admin chose them: a table that
 * merely fits today's terminal must not stop a wider one from adding
 * hidden columns. */
static bool cols_chosen(const struct ui *u) { return u->cols_chosen; }

static const struct setting {
	const char *key;
	const char *(*set)(struct ui *u, const char *v, char *bad, size_t badsz);
	void (*get)(struct sb *out, const struct ui *u);
	bool (*chosen)(const struct ui *u);  /* written only when it says so */
} settings[] = {
	{"columns", set_columns, get_columns, cols_chosen},
	{"sort", set_sort, get_sort, NULL},
	{"order", set_order, get_order, NULL},
	{"delay", set_delay, get_delay, NULL},
	{"filter", set_filter, get_filter, NULL},
	{"view", set_view, get_view, NULL},
	{"detail", set_detail, get_detail, NULL},
};

static void problem(char **cause, int *n, const char *what, const char *line)
{
	if (!*cause) {
		char clean[80];
		sanitize(clean, sizeof(clean), line);
		*cause = xasprintf("%s: %s", what, clean);
	}
	(*n)++;
}

/* One "key=value" line (a copy it may cut). */
static void parse_line(char *line, struct ui *u, char **cause, int *bad)
{
	char *eq = strchr(line, '=');
	if (!eq) {
		problem(cause, bad, "not key=value", line);
		return;
	}
	*eq = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		if (strcmp(line, settings[i].key))
			continue;
		char what[256] = "";
		const char *why = settings[i].set(u, eq + 1, what, sizeof(what));
		if (why)
			problem(cause, bad, why, what[0] ? what : eq + 1);
		return;
	}
	problem(cause, bad, "unknown setting", line);
}

int settings_parse(const char *buf, struct ui *u, char **cause)
{
	int bad = 0;
	*cause = NULL;
	const char *p = buf;
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[1024];
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		p = eol ? eol + 1 : NULL;
		if (line[0] && line[0] != '#')
			parse_line(line, u, cause, &bad);
	}
	return bad;
}

void settings_format(struct sb *out, const struct ui *u)
{
	sb_adds(out, "# vtax settings, written by the W key; columns by name\n");
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		if (settings[i].chosen && !settings[i].chosen(u))
			continue;
		sb_printf(out, "%s=", settings[i].key);
		settings[i].get(out, u);
		sb_addc(out, '\n');
	}
}

static char *config_dir(void)
{
	const char *x = getenv("XDG_CONFIG_HOME");
	if (x && *x == '/')
		return xasprintf("%s/vtax", x);
	const char *home = getenv("HOME");
	if (home && *home)
		return xasprintf("%s/.config/vtax", home);
	return NULL;
}

char *settings_path(void)
{
	char *d = config_dir();
	if (!d)
		return NULL;
	char *p = xasprintf("%s/vtaxrc", d);
	free(d);
	return p;
}

int settings_load(struct ui *u, char **cause)
{
	*cause = NULL;
	char *path = settings_path();
	if (!path)
		return 0;
	struct sb b = {0};
	int r = read_file_at(AT_FDCWD, path, &b, 65536);
	if (r == -ENOENT) {
		free(path);
		sb_free(&b);
		return 0;
	}
	if (r) {
		*cause = xasprintf("cannot read %s: %s", path, strerror(-r));
		free(path);
		sb_free(&b);
		return r;
	}
	char *why = NULL;
	if (settings_parse(b.s, u, &why)) {
		*cause = xasprintf("%s: %s (skipped)", path, why);
		free(why);
		r = -EINVAL;
	}
	free(path);
	sb_free(&b);
	return r;
}

int settings_save(const struct ui *u, char **where, char **cause)
{
	char *dir = config_dir();
	if (!dir) {
		*cause = xstrdup("cannot write settings: neither XDG_CONFIG_HOME nor HOME is set");
		return -ENOENT;
	}
	/* create the directory (and ~/.config) if needed */
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700);
		*slash = '/';
	}
	mkdir(dir, 0700);
	struct sb b = {0};
	settings_format(&b, u);
	int r = replace_file(dir, "vtaxrc", b.s, b.len);
	sb_free(&b);
	*where = xasprintf("%s/vtaxrc", dir);
	if (r)
		*cause = xasprintf("cannot write %s: %s", *where, strerror(-r));
	free(dir);
	return r;
}
