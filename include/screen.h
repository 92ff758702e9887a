/* The interactive curses screen. The only module that includes curses:
 * it paints the lines view.c composes and turns keys into UI changes. */
#ifndef VTAX_SCREEN_H
#define VTAX_SCREEN_H

#include <stdbool.h>

#include "sample.h"
#include "view.h"

/* Where samples come from (the live collector or a replay file): fills s,
 * returns 1, 0 at the end (replay), -1 with *cause on failure. */
struct source {
	int (*next)(void *ctx, struct sample *s, char **cause);
	/* which guest's processes to read ("runtime/id"), NULL for none */
	void (*focus)(void *ctx, const char *key);
	void *ctx;
};

struct screen_opts {
	bool ascii;               /* force ASCII drawing */
	bool no_color;
	const char *snapshot_dir; /* NULL: start directory, else $HOME */
	const char *notice;       /* shown in the footer at start, or NULL */
	bool replay;              /* samples come from a file: a bad one is exit 2 */
};

/* Run until the user quits or a signal asks to. Returns the exit code. */
int screen_run(struct ui *u, const struct screen_opts *o, struct source *src);

#endif
