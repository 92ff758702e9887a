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

static void problem(char **cause, int *n, const char *what, const char *line)
{
	if (!*cause) {
		char clean[80];
		sanitize(clean, sizeof(clean), line);
		*cause = xasprintf("%s: %s", what, clean);
	}
	(*n)++;
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
		if (!line[0] || line[0] == '#')
			continue;
		char *eq = strchr(line, '=');
		if (!eq) {
			problem(cause, &bad, "not key=value", line);
			continue;
		}
		*eq = '\0';
		const char *k = line, *v = eq + 1;
		if (!strcmp(k, "columns")) {
			bool cols[COL_COUNT] = {false};
			char tmp[1024];
			str_copy(tmp, sizeof(tmp), v);
			char *save = NULL;
			int any = 0;
			for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				int c = column_find(t);
				if (c < 0) {
					problem(cause, &bad, "unknown column", t);
					continue;
				}
				cols[c] = true;
				any = 1;
			}
			if (any)
				memcpy(u->cols, cols, sizeof(cols));
		} else if (!strcmp(k, "sort")) {
			int c = column_find(v);
			if (c < 0)
				problem(cause, &bad, "unknown sort column", v);
			else
				u->sort = (enum col_id)c;
		} else if (!strcmp(k, "order")) {
			if (!strcmp(v, "descending"))
				u->desc = true;
			else if (!strcmp(v, "ascending"))
				u->desc = false;
			else
				problem(cause, &bad, "order must be ascending or descending", v);
		} else if (!strcmp(k, "delay")) {
			uint64_t ns;
			if (parse_seconds(v, &ns) || ns < 100000000ull)
				problem(cause, &bad, "bad delay", v);
			else
				u->delay_ns = ns;
		} else if (!strcmp(k, "filter")) {
			str_copy(u->filter, sizeof(u->filter), v);
		} else if (!strcmp(k, "view")) {
			int m = -1;
			for (int i = 0; i < MODE_COUNT; i++)
				if (!strcmp(v, vmode_name((enum vmode)i)))
					m = i;
			if (m < 0)
				problem(cause, &bad, "unknown view", v);
			else
				u->mode = (enum vmode)m;
		} else if (!strcmp(k, "detail")) {
			u->detail = !strcmp(v, "1") || !strcasecmp(v, "yes");
		} else {
			problem(cause, &bad, "unknown setting", k);
		}
	}
	return bad;
}

void settings_format(struct sb *out, const struct ui *u)
{
	sb_adds(out, "# vtax settings, written by the W key; columns by name\ncolumns=");
	int first = 1;
	for (int c = 0; c < COL_COUNT; c++) {
		if (!u->cols[c])
			continue;
		sb_printf(out, "%s%s", first ? "" : ",", columns[c].name);
		first = 0;
	}
	sb_printf(out, "\nsort=%s\norder=%s\ndelay=%.3g\nfilter=%s\nview=%s\ndetail=%d\n",
		  columns[u->sort].name, u->desc ? "descending" : "ascending",
		  (double)u->delay_ns / 1e9, u->filter, vmode_name(u->mode), u->detail ? 1 : 0);
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
