/* A guest's processes from its cgroup, read once a refresh however many
 * steps of the collector want them (task I/O, the process table's skip
 * list, the network map, the focused guest). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "collect-int.h"

void collect_pids_clear(struct collector *c)
{
	for (size_t i = 0; i < c->nplist; i++) {
		free(c->plist[i].cgroup);
		free(c->plist[i].pids);
	}
	free(c->plist);
	c->plist = NULL;
	c->nplist = 0;
}

const int *collect_guest_pids(struct collector *c, const char *rel, size_t *n)
{
	for (size_t i = 0; i < c->nplist; i++)
		if (!strcmp(c->plist[i].cgroup, rel)) {
			*n = c->plist[i].n;
			return c->plist[i].pids;
		}
	c->plist = xrealloc(c->plist, (c->nplist + 1) * sizeof(*c->plist));
	struct pid_list *l = &c->plist[c->nplist++];
	*l = (struct pid_list){.cgroup = xstrdup(rel)};
	cgroup_count_procs(&c->cg, rel, &l->pids, &l->n);
	*n = l->n;
	return l->pids;
}
