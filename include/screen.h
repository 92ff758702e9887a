/* The interactive curses screen. The only module that includes curses:
 * it paints the lines view.c composes and turns keys into UI changes. */
#ifndef VTAX_SCREEN_H
#define VTAX_SCREEN_H

#include <stdbool.h>

#include "driver.h"
#include "view.h"

struct screen_opts {
	bool ascii;               /* force ASCII drawing */
	bool no_color;
	const char *snapshot_dir; /* NULL: start directory, else $HOME */
	const char *notice;       /* shown in the footer at start, or NULL */
};

/* Run until the user quits or a signal asks to. Returns the exit code. */
/* p has its first frame already. */
int screen_run(struct ui *u, const struct screen_opts *o, struct pipeline *p);

#endif
