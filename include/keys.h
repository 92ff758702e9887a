/* The one key table of the screen: the key handler, the footer's key bar
 * and the help screen all read it. Keys are named ("q", "Up", "F6",
 * "Enter"); screen.c turns the names into what the terminal sends. */
#ifndef VTAX_KEYS_H
#define VTAX_KEYS_H

#include <stddef.h>

struct screen_state;       /* screen.c's */

struct key_def {
	const char *bind;      /* names of the keys that run it, space-separated */
	const char *shown;     /* the keys as help shows them; NULL: not in help */
	const char *help;      /* what it does */
	const char *bar_key;   /* in the footer's key bar ("T"), or NULL */
	const char *bar_label; /* ... with this label ("Tax") */
	int bar_drop;          /* 0: always in the bar; else the order in which
	                        * a narrow bar drops it (1 first) */
	void (*run)(struct screen_state *s, int arg);
	int arg;
	int when;              /* KEY_ANY, or only outside or only in time travel */
};

/* When a key works: time travel is the replay of a compact history,
 * where t, T and b step through time (T sorts by tax elsewhere). */
enum { KEY_ANY, KEY_NOT_TRAVEL, KEY_TRAVEL };
static inline int key_active(const struct key_def *k, int travel)
{
	return k->when == KEY_ANY || (k->when == KEY_TRAVEL) == (travel != 0);
}

extern const struct key_def key_table[];
extern const size_t key_table_n;

#endif
