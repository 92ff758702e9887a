/* Guest discovery from cgroup paths: one table of runtime patterns. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discover.h"
#include "parse.h"

static int all_digits(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int hex_id(const char *s, size_t n)
{
	if (n < 12 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int ends_with(const char *s, size_t n, const char *suf)
{
	size_t l = strlen(suf);
	return n >= l && !memcmp(s + n - l, suf, l);
}

static int starts_with(const char *s, const char *pre)
{
	return !strncmp(s, pre, strlen(pre));
}

static void set(char *dst, size_t sz, const char *s, size_t n)
{
	if (n >= sz)
		n = sz - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

int discover_is_helper_cgroup(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return starts_with(base, "lxc.monitor") || starts_with(base, "libpod-conmon-") ||
	       !strcmp(base, "supervisor") || !strncmp(path, "/lxc.monitor/", 13);
}

int discover_classify(const char *path, struct guest_match *m)
{
	/* not memset: the struct is 8 KiB and this runs for every cgroup
	 * directory at every refresh */
	m->rt = RT_PVE_QEMU;
	m->id[0] = m->name[0] = m->payload[0] = m->helper_cg[0] = '\0';
	m->cpu_payload_v2 = false;
	m->ino = 0;
	const char *base = strrchr(path, '/');
	if (!base || !base[1])
		return 0;
	base++;
	size_t bl = strlen(base);
	size_t parent_len = (size_t)(base - 1 - path);
	const char *pbase = path;
	for (const char *p = path; p < base - 1; p++)
		if (*p == '/')
			pbase = p + 1;
	size_t pbl = (size_t)(base - 1 - pbase);
	str_copy(m->payload, sizeof(m->payload), path);

	/* Proxmox VM: /qemu.slice/<vmid>.scope */
	if (pbl == 10 && !strncmp(pbase, "qemu.slice", 10) && ends_with(base, bl, ".scope") &&
	    all_digits(base, bl - 6)) {
		m->rt = RT_PVE_QEMU;
		set(m->id, sizeof(m->id), base, bl - 6);
		return 1;
	}
	/* Proxmox CT: /lxc/<vmid>; legacy LXC: /lxc/<name> */
	if (parent_len == 4 && !strncmp(path, "/lxc", 4)) {
		if (all_digits(base, bl)) {
			m->rt = RT_PVE_LXC;
			snprintf(m->helper_cg, sizeof(m->helper_cg), "/lxc.monitor/%s", base);
		} else {
			m->rt = RT_LXC;
		}
		set(m->id, sizeof(m->id), base, bl);
		return 1;
	}
	if (starts_with(base, "lxc.payload.") && bl > 12) {
		m->rt = RT_LXC;
		set(m->id, sizeof(m->id), base + 12, bl - 12);
		snprintf(m->helper_cg, sizeof(m->helper_cg), "%.*s/lxc.monitor.%s", (int)parent_len,
			 path, m->id);
		return 1;
	}
	/* libvirt: machine-qemu\x2d<N>\x2d<name>.scope */
	if (starts_with(base, "machine-qemu\\x2d") && ends_with(base, bl, ".scope")) {
		char un[256];
		cg_unescape(base + 16, bl - 16 - 6, un, sizeof(un));
		char *dash = strchr(un, '-');
		m->rt = RT_LIBVIRT;
		if (dash && all_digits(un, (size_t)(dash - un))) {
			set(m->id, sizeof(m->id), un, (size_t)(dash - un));
			str_copy(m->name, sizeof(m->name), dash + 1);
		} else {
			str_copy(m->id, sizeof(m->id), un);
			str_copy(m->name, sizeof(m->name), un);
		}
		return 1;
	}
	/* libvirt without systemd: /machine/<name>.libvirt-qemu */
	if (ends_with(base, bl, ".libvirt-qemu")) {
		m->rt = RT_LIBVIRT;
		set(m->name, sizeof(m->name), base, bl - 13);
		str_copy(m->id, sizeof(m->id), m->name);
		return 1;
	}
	/* Docker: docker-<id>.scope (systemd driver), /docker/<id> (cgroupfs) */
	if (starts_with(base, "docker-") && ends_with(base, bl, ".scope") &&
	    hex_id(base + 7, bl - 13)) {
		m->rt = RT_DOCKER;
		set(m->id, sizeof(m->id), base + 7, bl - 13);
		return 1;
	}
	if (pbl == 6 && !strncmp(pbase, "docker", 6) && hex_id(base, bl)) {
		m->rt = RT_DOCKER;
		set(m->id, sizeof(m->id), base, bl);
		return 1;
	}
	/* Podman: libpod-<id>.scope, libpod_parent/libpod-<id> */
	if (starts_with(base, "libpod-") && !starts_with(base, "libpod-conmon-")) {
		size_t idl = ends_with(base, bl, ".scope") ? bl - 13 : bl - 7;
		if (hex_id(base + 7, idl)) {
			m->rt = RT_PODMAN;
			set(m->id, sizeof(m->id), base + 7, idl);
			if (ends_with(base, bl, ".scope"))
				snprintf(m->helper_cg, sizeof(m->helper_cg),
					 "%.*s/libpod-conmon-%s.scope", (int)parent_len, path, m->id);
			return 1;
		}
	}
	/* systemd-nspawn: machine.slice/machine-<name>.scope */
	if (pbl == 13 && !strncmp(pbase, "machine.slice", 13) && starts_with(base, "machine-") &&
	    ends_with(base, bl, ".scope")) {
		m->rt = RT_NSPAWN;
		cg_unescape(base + 8, bl - 8 - 6, m->id, sizeof(m->id));
		str_copy(m->name, sizeof(m->name), m->id);
		return 1;
	}
	return 0;
}

struct walk {
	struct cgfs *c;
	discover_fn fn;
	void *arg;
	char path[4096];
};

static void walk_dir(struct walk *w, int dfd, size_t plen, int depth)
{
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
			/* nspawn measures its payload child when there is one */
			if (m.rt == RT_NSPAWN) {
				char *sub = xasprintf("%s/payload", w->path);
				char *sup = xasprintf("%s/supervisor", w->path);
				if (cgroup_exists(w->c, sub)) {
					str_copy(m.payload, sizeof(m.payload), sub);
					str_copy(m.helper_cg, sizeof(m.helper_cg), sup);
				} else if (cgroup_exists_v2(w->c, sub)) {
					/* hybrid: the memory tree has the scope
					 * alone, so memory stays whole while CPU
					 * splits into payload and supervisor */
					m.cpu_payload_v2 = true;
					str_copy(m.helper_cg, sizeof(m.helper_cg), sup);
				}
				free(sup);
				free(sub);
			}
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

void discover_walk(struct cgfs *c, discover_fn fn, void *arg)
{
	if (c->fd_walk < 0)
		return;
	struct walk w = {.c = c, .fn = fn, .arg = arg};
	w.path[0] = '\0';
	walk_dir(&w, c->fd_walk, 0, 0);
}
