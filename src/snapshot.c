/* Snapshots: the screen's own lines and the JSON frame, written safely. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "render.h"
#include "snapshot.h"

char *snapshot_dir(const char *dir)
{
	if (dir)
		return xstrdup(dir);
	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd)) && access(cwd, W_OK) == 0)
		return xstrdup(cwd);
	const char *home = getenv("HOME");
	return xstrdup(home && *home ? home : "/tmp");
}

/* Write all of buf to a new temporary file in dir; returns its fd
 * (positioned at the end) and name, or -errno. */
static int write_temp(int dfd, const char *buf, size_t len, int mode, char *tmpname, size_t tsz)
{
	int fd = -1;
	for (int tries = 0; tries < 100 && fd < 0; tries++) {
		snprintf(tmpname, tsz, ".vtax-tmp-%ld-%d-%d", (long)getpid(), tries, rand());
		fd = openat(dfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			unlinkat(dfd, tmpname, 0);
			return -e;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		int e = errno;
		unlinkat(dfd, tmpname, 0);
		return -e;
	}
	return 0;
}

int write_new_file(const char *dir, const char *name, const char *buf, size_t len, int mode)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	char tmp[96];
	int r = write_temp(dfd, buf, len, mode, tmp, sizeof(tmp));
	if (!r) {
		/* link() never replaces and never follows a symlink at name */
		if (linkat(dfd, tmp, dfd, name, 0) < 0)
			r = -errno;
		unlinkat(dfd, tmp, 0);
	}
	close(dfd);
	return r;
}

int replace_file(const char *dir, const char *name, const char *buf, size_t len)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	char tmp[96];
	int r = write_temp(dfd, buf, len, 0600, tmp, sizeof(tmp));
	if (!r && renameat(dfd, tmp, dfd, name) < 0) {
		r = -errno;
		unlinkat(dfd, tmp, 0);
	}
	close(dfd);
	return r;
}

int snapshot_save(const char *dir, const struct frame *f, const struct ui *u,
		  const struct history *h, int width, char *path, size_t pathsz, char **cause)
{
	struct vscreen vs = {0};
	struct ui su = *u;
	su.status[0] = '\0';
	view_build(&vs, f, &su, h, width < 40 ? 80 : width, 0);
	struct sb txt = {0}, js = {0};
	for (int i = 0; i < vs.n; i++) {
		size_t l = strlen(vs.lines[i].text);
		while (l && vs.lines[i].text[l - 1] == ' ')
			l--;
		sb_add(&txt, vs.lines[i].text, l);
		sb_addc(&txt, '\n');
	}
	vscreen_free(&vs);
	render_json(&js, f);
	sb_addc(&js, '\n');

	char host[64], stamp[32];
	sanitize(host, sizeof(host), f->cur->host.hostname);
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == '?' || *p == ' ')
			*p = '_';
	time_t t = (time_t)(f->time_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	int r = -EEXIST;
	char base[160], name[192];
	for (int n = 0; n < 1000 && r == -EEXIST; n++) {
		if (n)
			snprintf(base, sizeof(base), "vtax-%s-%s-%d", host, stamp, n);
		else
			snprintf(base, sizeof(base), "vtax-%s-%s", host, stamp);
		snprintf(name, sizeof(name), "%s.json", base);
		struct stat st;
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			r = -errno;
			break;
		}
		int taken = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
		close(dfd);
		if (taken)
			continue;
		snprintf(name, sizeof(name), "%s.txt", base);
		r = write_new_file(dir, name, txt.s, txt.len, 0644);
		if (r)
			continue;
		snprintf(name, sizeof(name), "%s.json", base);
		r = write_new_file(dir, name, js.s, js.len, 0644);
		if (r) {
			/* keep the pair whole: no text without its JSON */
			snprintf(name, sizeof(name), "%s.txt", base);
			char *full = xasprintf("%s/%s", dir, name);
			unlink(full);
			free(full);
			if (r == -EEXIST)
				continue;
		}
	}
	sb_free(&txt);
	sb_free(&js);
	if (r) {
		*cause = xasprintf("cannot save snapshot in %s: %s", dir, strerror(-r));
		return r;
	}
	snprintf(path, pathsz, "%s/%s.txt", dir, base);
	return 0;
}
