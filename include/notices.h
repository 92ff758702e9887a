/* Problems told to the user once: a problem is reported under a key and
 * not again until it is cleared (the socket answers again). The caller
 * holds whatever lock guards the struct. */
#ifndef VTAX_NOTICES_H
#define VTAX_NOTICES_H

#include <stddef.h>

struct notices {
	char **pending;        /* messages not yet handed out, oldest first */
	size_t npending;
	char **reported;       /* keys reported and not cleared */
	size_t nreported;
};

/* Queue msg unless key is reported already. */
void notices_report(struct notices *n, const char *key, const char *msg);
/* key may be reported again. */
void notices_clear(struct notices *n, const char *key);
/* The oldest pending message (caller frees), or NULL. */
char *notices_next(struct notices *n);
void notices_free(struct notices *n);

#endif
