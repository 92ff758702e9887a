/* Snapshots: the screen's own lines, the JSON frame and the capsule of
 * the minutes before, written safely. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capsule.h"
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

/* A file of a snapshot: its extension and bytes. An optional one (the
 * capsule beside the screen) that cannot be written leaves the others. */
struct piece {
	const char *ext;
	const struct sb *b;
	bool optional;
	int err;                   /* 0, or -errno when an optional one failed */
};

static bool name_taken(int dfd, const char *base, const struct piece *pc, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char name[192];
		struct stat st;
		snprintf(name, sizeof(name), "%s%s", base, pc[i].ext);
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return true;
	}
	return false;
}

static void unlink_pieces(const char *dir, const char *base, const struct piece *pc, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *full = xasprintf("%s/%s%s", dir, base, pc[i].ext);
		unlink(full);
		free(full);
	}
}

/* Write the pieces under the first free stem of base: the required ones
 * all or none, then the optional ones. 0, or -errno. */
static int write_pieces(const char *dir, const char *stem, struct piece *pc, size_t n,
			char *base, size_t bsz)
{
	int r = -EEXIST;
	for (int k = 0; k < 1000 && r == -EEXIST; k++) {
		if (k)
			snprintf(base, bsz, "%s-%d", stem, k);
		else
			snprintf(base, bsz, "%s", stem);
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return -errno;
		bool taken = name_taken(dfd, base, pc, n);
		close(dfd);
		if (taken)
			continue;
		r = 0;
		for (size_t i = 0; i < n && !r; i++) {
			if (pc[i].optional)
				continue;
			char name[192];
			snprintf(name, sizeof(name), "%s%s", base, pc[i].ext);
			r = write_new_file(dir, name, pc[i].b->s, pc[i].b->len, 0644);
			if (r)  /* keep the set whole: no text without its JSON */
				unlink_pieces(dir, base, pc, i);
		}
	}
	for (size_t i = 0; i < n && !r; i++) {
		char name[192];
		snprintf(name, sizeof(name), "%s%s", base, pc[i].ext);
		if (pc[i].optional)
			pc[i].err = write_new_file(dir, name, pc[i].b->s, pc[i].b->len, 0644);
	}
	return r;
}

/* "vtax-HOST-YYYYmmdd-HHMMSS" of a hostname and a time. */
static void stem_of(const char *hostname, int64_t ms, char *stem, size_t sz)
{
	char host[64], stamp[32];
	sanitize(host, sizeof(host), hostname);
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == '?' || *p == ' ')
			*p = '_';
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(stem, sz, "vtax-%s-%s", host, stamp);
}

/* The capsule packed into b; false (and the reason in *cerr) when it is
 * empty or cannot be packed. */
static bool pack(const struct capsule *cap, struct sb *b, int *cerr)
{
	int64_t first, last;
	char *why = NULL;
	*cerr = 0;
	if (!capsule_samples(cap, &first, &last))
		return false;
	if (capsule_pack(cap, b, &why)) {
		free(why);
		*cerr = -ENOMEM;
		return false;
	}
	return true;
}

int snapshot_save(const char *dir, const struct frame *f, const struct ui *u,
		  const struct history *h, const struct capsule *cap, int width, char *path,
		  size_t pathsz, char **cause)
{
	struct vscreen vs = {0};
	struct ui su = *u;
	su.status[0] = '\0';
	view_build(&vs, f, &su, h, width < 40 ? 80 : width, 0);
	struct sb txt = {0}, js = {0}, zc = {0};
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
	int cerr;
	bool with_cap = pack(cap, &zc, &cerr);
	struct piece pc[] = {{".txt", &txt, false, 0}, {".json", &js, false, 0},
			     {".zst", &zc, true, 0}};
	char stem[160], base[192];
	stem_of(f->cur->host.hostname, f->time_ms, stem, sizeof(stem));
	int r = write_pieces(dir, stem, pc, with_cap ? 3 : 2, base, sizeof(base));
	sb_free(&txt);
	sb_free(&js);
	sb_free(&zc);
	if (r) {
		*cause = xasprintf("cannot save snapshot in %s: %s", dir, strerror(-r));
		return r;
	}
	if (cerr || pc[2].err)
		*cause = xasprintf("the .zst (the capsule) could not be written: %s",
				   strerror(-(cerr ? cerr : pc[2].err)));
	snprintf(path, pathsz, "%s/%s.txt", dir, base);
	return with_cap && !pc[2].err ? 1 : 0;
}

int snapshot_capsule(const char *dir, const struct capsule *cap, const char *hostname,
		     char *path, size_t pathsz, char **cause)
{
	struct sb zc = {0};
	int cerr;
	int64_t first, last;
	*cause = NULL;
	if (!pack(cap, &zc, &cerr)) {
		*cause = cerr ? xasprintf("cannot pack the capsule: %s", strerror(-cerr))
			      : xstrdup(cap ? "the capsule holds no sample yet"
					    : "the capsule is off (--capsule-minutes 0)");
		return cerr ? cerr : -ENODATA;
	}
	capsule_samples(cap, &first, &last);
	struct piece pc[] = {{".zst", &zc, false, 0}};
	char stem[160], base[192];
	stem_of(hostname, last, stem, sizeof(stem));
	int r = write_pieces(dir, stem, pc, 1, base, sizeof(base));
	sb_free(&zc);
	if (r) {
		*cause = xasprintf("cannot save the capsule in %s: %s", dir, strerror(-r));
		return r;
	}
	snprintf(path, pathsz, "%s/%s.zst", dir, base);
	return 0;
}
