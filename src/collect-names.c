/* Where guests' names come from, as the runtime table says: the cgroup
 * (discovery), a config file (Proxmox), QEMU's -name (collect-procs.c),
 * an Engine API (asked by the agent), else the fallback rule. The first
 * source that gives a name wins; the steps run in that order. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collect-int.h"
#include "parse.h"

void collect_name_once(struct guest_sample *g, const char *name)
{
	if (!g->name && name && *name)
		g->name = xstrdup(name);
}

/* The name in a runtime's config file (Proxmox), re-read only when the
 * file changes. */
static void config_name(struct collector *c, struct guest_sample *g)
{
	const char *sub = runtimes[g->runtime].config.subdir;
	const char *key = runtimes[g->runtime].config.key;
	if (!sub)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s.conf", c->pve_dir, sub, g->id);
	struct stat st;
	if (stat(path, &st))
		return;
	struct pve_ent *e = NULL;
	for (size_t i = 0; i < c->npve; i++)
		if (!strcmp(c->pve[i].path, path))
			e = &c->pve[i];
	if (!e) {
		c->pve = xrealloc(c->pve, (c->npve + 1) * sizeof(*c->pve));
		e = &c->pve[c->npve++];
		memset(e, 0, sizeof(*e));
		str_copy(e->path, sizeof(e->path), path);
	}
	uint64_t mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
	if (e->mtime_ns != mtime_ns || e->size != (uint64_t)st.st_size) {
		e->mtime_ns = mtime_ns;
		e->size = (uint64_t)st.st_size;
		e->name[0] = '\0';
		if (!read_file_at(AT_FDCWD, path, &c->buf, 1u << 20))
			parse_pve_conf(c->buf.s, key, e->name, sizeof(e->name));
	}
	collect_name_once(g, e->name);
}

void collect_config_names(struct collector *c, struct refresh *r)
{
	/* a runtime's config directory, looked for once a refresh: on a host
	 * without it (no Proxmox) that is one stat, not one a guest */
	const char *sub_seen[RT_COUNT];
	bool sub_here[RT_COUNT];
	size_t nsub = 0;
	for (size_t i = 0; i < r->ncg; i++) {
		struct guest_sample *g = &r->s->guests[i];
		const char *sub = runtimes[g->runtime].config.subdir;
		if (!sub)
			continue;
		size_t k = 0;
		while (k < nsub && strcmp(sub_seen[k], sub))
			k++;
		if (k == nsub) {
			char path[4096];
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s", c->pve_dir, sub);
			sub_seen[nsub] = sub;
			sub_here[nsub++] = !stat(path, &st) && S_ISDIR(st.st_mode);
		}
		if (sub_here[k])
			config_name(c, g);
	}
}

/* Tell the agent which containers exist, for their runtime's API to name
 * (between agent_begin() and agent_commit()). */
void collect_want_names(struct collector *c, struct refresh *r)
{
	for (size_t i = 0; i < r->ncg; i++)
		agent_want_container(c->agent, r->s->guests[i].runtime, r->s->guests[i].id);
}

void collect_api_names(struct collector *c, struct refresh *r)
{
	for (size_t i = 0; i < r->s->nguests; i++) {
		struct guest_sample *g = &r->s->guests[i];
		char name[256];
		if (runtimes[g->runtime].api.sock &&
		    agent_container_name(c->agent, g->runtime, g->id, name, sizeof(name)))
			collect_name_once(g, name);
	}
}

void collect_fallback_names(struct refresh *r)
{
	for (size_t i = 0; i < r->s->nguests; i++) {
		struct guest_sample *g = &r->s->guests[i];
		if (!g->name)
			g->name = runtime_fallback_name(g->runtime, g->id);
	}
}
