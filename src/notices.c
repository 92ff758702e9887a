/* Problems told once until they clear. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "notices.h"
#include "util.h"

void notices_report(struct notices *n, const char *key, const char *msg)
{
	for (size_t i = 0; i < n->nreported; i++)
		if (!strcmp(n->reported[i], key))
			return;
	n->reported = xrealloc(n->reported, (n->nreported + 1) * sizeof(*n->reported));
	n->reported[n->nreported++] = xstrdup(key);
	n->pending = xrealloc(n->pending, (n->npending + 1) * sizeof(*n->pending));
	n->pending[n->npending++] = xstrdup(msg);
}

void notices_clear(struct notices *n, const char *key)
{
	for (size_t i = 0; i < n->nreported; i++) {
		if (strcmp(n->reported[i], key))
			continue;
		free(n->reported[i]);
		n->reported[i] = n->reported[--n->nreported];
		return;
	}
}

char *notices_next(struct notices *n)
{
	if (!n->npending)
		return NULL;
	char *m = n->pending[0];
	memmove(n->pending, n->pending + 1, (n->npending - 1) * sizeof(*n->pending));
	n->npending--;
	return m;
}

void notices_free(struct notices *n)
{
	for (size_t i = 0; i < n->npending; i++)
		free(n->pending[i]);
	for (size_t i = 0; i < n->nreported; i++)
		free(n->reported[i]);
	free(n->pending);
	free(n->reported);
	memset(n, 0, sizeof(*n));
}
