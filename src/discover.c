/* Guest discovery from cgroup paths: a loop over the runtime table's
 * cgroup patterns (runtime.c). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>

#include "discover.h"
#include "runtime.h"
#include "util.h"

/* A glob with at most a trailing '*' (helper_cgroups). */
static bool glob_match(const char *glob, const char *s)
{
	size_t n = strlen(glob);
	if (n && glob[n - 1] == '*')
		return !strncmp(s, glob, n - 1);
	return !strcmp(s, glob);
}

int discover_is_helper_cgroup(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (int rt = 0; rt < RT_COUNT; rt++)
		for (size_t i = 0; i < ARRAY_SIZE(runtimes[rt].helper_cgroups); i++) {
			const char *glob = runtimes[rt].helper_cgroups[i];
			if (glob && glob_match(glob, *glob == '/' ? path : base))
				return 1;
		}
	return 0;
}

/* One cgroup path, cut up once for every rule to look at. */
struct cg_path {
	const char *path;
	const char *base;          /* the directory's name */
	size_t bl;
	size_t plen;               /* the parent path's length */
	const char *pbase;         /* the parent directory's name */
	size_t pbl;
};

/* Whether p matches one rule's pattern; fills m's id and name. */
static bool rule_match(const char *pattern, const struct cg_path *p, struct guest_match *m)
{
	const char *name = pattern;
	const char *slash = strrchr(pattern, '/');
	if (slash) {
		size_t n = (size_t)(slash - pattern);
		if (*pattern == '/' ? (n != p->plen || strncmp(p->path, pattern, n))
				    : (n != p->pbl || strncmp(p->pbase, pattern, n)))
			return false;
		name = slash + 1;
	}
	const char *open = strchr(name, '{'), *close = open ? strchr(open, '}') : NULL;
	if (!close)
		return false;
	size_t pre = (size_t)(open - name), suf = strlen(close + 1);
	if (p->bl < pre + suf || strncmp(p->base, name, pre) ||
	    strcmp(p->base + p->bl - suf, close + 1))
		return false;
	return runtime_parse_id(open + 1, (size_t)(close - open - 1), p->base + pre, p->bl - pre - suf,
				m->id, sizeof(m->id), m->name, sizeof(m->name));
}

int discover_classify(const char *path, struct guest_match *m)
{
	/* not memset: the struct is 8 KiB and this runs for every cgroup
	 * directory at every refresh */
	m->rt = RT_COUNT;
	m->id[0] = m->name[0] = m->payload[0] = m->helper_cg[0] = '\0';
	m->cpu_payload_v2 = false;
	m->ino = 0;
	struct cg_path p = {.path = path, .base = strrchr(path, '/')};
	if (!p.base || !p.base[1])
		return 0;
	p.base++;
	p.bl = strlen(p.base);
	p.plen = (size_t)(p.base - 1 - path);
	p.pbase = path;
	for (const char *c = path; c < p.base - 1; c++)
		if (*c == '/')
			p.pbase = c + 1;
	p.pbl = (size_t)(p.base - 1 - p.pbase);
	for (int rt = 0; rt < RT_COUNT; rt++) {
		const struct runtime_def *d = &runtimes[rt];
		for (size_t i = 0; i < ARRAY_SIZE(d->cgroups) && d->cgroups[i].pattern; i++) {
			if (!rule_match(d->cgroups[i].pattern, &p, m))
				continue;
			m->rt = (enum runtime)rt;
			if (!d->cgroup_names)
				m->name[0] = '\0';
			if (d->cgroups[i].helper)
				runtime_expand(m->helper_cg, sizeof(m->helper_cg), d->cgroups[i].helper,
					       path, p.plen, m->id);
			str_copy(m->payload, sizeof(m->payload), path);
			return 1;
		}
	}
	m->id[0] = m->name[0] = '\0';
	return 0;
}

struct walk {
	struct cgfs *c;
	discover_fn fn;
	void *arg;
	struct discover_cache *d;  /* NULL: no cache */
	bool watch_failed;         /* a directory could not be watched */
	bool incomplete;           /* a guest's payload child may yet appear */
	char path[4096];
};

/* Watch directory dfd for cgroups made, removed or renamed in it. */
static void watch_dir(struct walk *w, int dfd)
{
	if (!w->d || w->d->ifd < 0 || w->watch_failed)
		return;
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", dfd);
	if (inotify_add_watch(w->d->ifd, self, IN_CREATE | IN_DELETE | IN_MOVED_FROM |
						   IN_MOVED_TO | IN_DELETE_SELF |
						   IN_MOVE_SELF | IN_ONLYDIR) < 0)
		w->watch_failed = true;   /* no /proc, or out of watches */
}

static void remember(struct walk *w, const struct guest_match *m)
{
	struct discover_cache *d = w->d;
	if (!d)
		return;
	d->e = xrealloc(d->e, (d->n + 1) * sizeof(*d->e));
	d->e[d->n++] = (struct disc_ent){
		.rt = m->rt, .id = xstrdup(m->id), .name = xstrdup(m->name),
		.payload = xstrdup(m->payload), .helper_cg = xstrdup(m->helper_cg),
		.ino = m->ino, .cpu_payload_v2 = m->cpu_payload_v2,
	};
}

/* A guest that keeps its own work in a payload child (nspawn) is
 * measured there when the child exists. */
static void find_payload(struct walk *w, struct guest_match *m)
{
	const struct runtime_def *d = &runtimes[m->rt];
	if (!d->payload)
		return;
	char *sub = xasprintf("%s/%s", w->path, d->payload);
	char *sup = xasprintf("%s/%s", w->path, d->payload_helper);
	if (cgroup_exists(w->c, sub)) {
		str_copy(m->payload, sizeof(m->payload), sub);
		str_copy(m->helper_cg, sizeof(m->helper_cg), sup);
	} else if (cgroup_exists_v2(w->c, sub)) {
		/* hybrid: the memory tree has the scope alone, so memory
		 * stays whole while CPU splits into payload and helper */
		m->cpu_payload_v2 = true;
		str_copy(m->helper_cg, sizeof(m->helper_cg), sup);
	} else {
		w->incomplete = true;   /* looked for again at the next walk */
	}
	free(sup);
	free(sub);
}

static void walk_dir(struct walk *w, int dfd, size_t plen, int depth)
{
	watch_dir(w, dfd);   /* a leaf too: a guest may be made in it */
	if (!has_subdirs(dfd))
		return; /* a leaf: no guest below it */
	int dup_fd = dup(dfd);
	if (dup_fd < 0)
		return;
	DIR *d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return;
	}
	/* dup() shares the offset with dfd: start from the top every time */
	rewinddir(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		size_t nl = strlen(de->d_name);
		if (plen + 1 + nl + 1 > sizeof(w->path))
			continue;
		w->path[plen] = '/';
		memcpy(w->path + plen + 1, de->d_name, nl + 1);
		struct guest_match m;
		if (discover_classify(w->path, &m)) {
			m.ino = (uint64_t)de->d_ino;
			find_payload(w, &m);
			remember(w, &m);
			w->fn(&m, w->arg);
		} else if (depth < 6 && !discover_is_helper_cgroup(w->path)) {
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (sub >= 0) {
				walk_dir(w, sub, plen + 1 + nl, depth + 1);
				close(sub);
			}
		}
		w->path[plen] = '\0';
	}
	closedir(d);
}

/* The last walk's guests, forgotten (the inotify descriptor stays). */
static void forget_guests(struct discover_cache *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->e[i].id);
		free(d->e[i].name);
		free(d->e[i].payload);
		free(d->e[i].helper_cg);
	}
	free(d->e);
	d->e = NULL;
	d->n = 0;
}

void discover_cache_free(struct discover_cache *d)
{
	forget_guests(d);
	if (d->tried && d->ifd >= 0)
		close(d->ifd);
	d->ifd = -1;
	d->tried = false;
	d->walked_ns = 0;
}

/* Whether the last walk's guests still stand: inotify said nothing
 * (its queue is read to the end) and the walk is recent. */
static bool cache_holds(struct discover_cache *d, uint64_t now)
{
	if (!d->tried) {
		d->tried = true;
		d->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		return false;
	}
	char buf[4096];
	ssize_t r;
	while ((r = read(d->ifd, buf, sizeof(buf))) > 0)
		d->due = true;   /* any event: a made, removed or renamed cgroup */
	if (r < 0 && errno != EAGAIN && errno != EINTR)
		d->due = true;
	return d->ifd >= 0 && !d->due && d->walked_ns && now - d->walked_ns < DISCOVER_EVERY_NS;
}

static void replay(const struct discover_cache *d, discover_fn fn, void *arg)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct disc_ent *e = &d->e[i];
		struct guest_match m = {.rt = e->rt, .ino = e->ino, .cpu_payload_v2 = e->cpu_payload_v2};
		str_copy(m.id, sizeof(m.id), e->id);
		str_copy(m.name, sizeof(m.name), e->name);
		str_copy(m.payload, sizeof(m.payload), e->payload);
		str_copy(m.helper_cg, sizeof(m.helper_cg), e->helper_cg);
		fn(&m, arg);
	}
}

void discover_walk(struct cgfs *c, struct discover_cache *d, discover_fn fn, void *arg)
{
	if (c->fd_walk < 0)
		return;
	uint64_t now = now_mono_ns();
	if (d && cache_holds(d, now)) {
		replay(d, fn, arg);
		return;
	}
	struct walk w = {.c = c, .fn = fn, .arg = arg, .d = d};
	w.path[0] = '\0';
	if (d)
		forget_guests(d);
	walk_dir(&w, c->fd_walk, 0, 0);
	if (d) {
		/* a walk that could not watch, or a guest whose payload child
		 * may still come: walk again next time */
		d->due = w.watch_failed || w.incomplete || d->ifd < 0;
		d->walked_ns = now;
	}
}
