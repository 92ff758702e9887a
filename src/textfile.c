/* --textfile DIR: the /metrics text for node_exporter's textfile
 * collector, replaced atomically so the collector never reads half. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "driver.h"
#include "outputs.h"

struct textfile {
	struct output base;
	char *dir, *path;
	struct export_state *st;
	struct sb text;
	int last_err;               /* told once until it works again */
	char *notice;
};

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int replace_file(struct textfile *t)
{
	char *tmp = xasprintf("%s/.vtax.prom.XXXXXX", t->dir);
	int fd = mkstemp(tmp);
	int r = fd < 0 ? -errno : 0;
	if (!r) {
		/* node_exporter may run as another user */
		if (fchmod(fd, 0644) || (r = write_all(fd, t->text.s, t->text.len)) || fsync(fd))
			r = r ? r : -errno;
		if (close(fd) && !r)
			r = -errno;
		if (!r && rename(tmp, t->path))
			r = -errno;
		if (r)
			unlink(tmp);
	}
	free(tmp);
	return r;
}

static void textfile_frame(struct output *o, const struct frame *f)
{
	struct textfile *t = (struct textfile *)o;
	export_update(t->st, f);
	sb_clear(&t->text);
	export_prom(&t->text, f, t->st);
	int r = replace_file(t);
	if (r && r != t->last_err) {
		free(t->notice);
		t->notice = xasprintf("cannot write %s: %s", t->path, strerror(-r));
	}
	t->last_err = r;
}

static char *textfile_notice(struct output *o)
{
	struct textfile *t = (struct textfile *)o;
	char *n = t->notice;
	t->notice = NULL;
	return n;
}

static void textfile_free(struct output *o)
{
	struct textfile *t = (struct textfile *)o;
	export_state_free(t->st);
	sb_free(&t->text);
	free(t->notice);
	free(t->dir);
	free(t->path);
	free(t);
}

struct output *output_textfile(const char *dir, char **cause)
{
	struct stat st;
	errno = 0;
	if (!stat(dir, &st) && !S_ISDIR(st.st_mode))
		errno = ENOTDIR;
	if (errno || access(dir, W_OK)) {
		*cause = xasprintf("--textfile: %s is not a writable directory%s%s", dir,
				   errno ? ": " : "", errno ? strerror(errno) : "");
		return NULL;
	}
	struct textfile *t = xcalloc(1, sizeof(*t));
	t->base = (struct output){.frame = textfile_frame, .notice = textfile_notice,
				  .free = textfile_free};
	t->dir = xstrdup(dir);
	t->path = xasprintf("%s/vtax.prom", dir);
	t->st = export_state_new();
	return &t->base;
}
