/* The composer: the whole screen, as plain lines (vscreen.h), built from
 * a frame and the UI state (ui.h) out of the parts in view-parts.h.
 * screen.c paints it with curses and snapshot.c writes the same lines to
 * a file. No curses here. */
#ifndef VTAX_VIEW_H
#define VTAX_VIEW_H

#include "history.h"
#include "model.h"
#include "ui.h"
#include "vscreen.h"

/* Compose the screen. height 0: every guest row, no footer (snapshot). */
void view_build(struct vscreen *vs, const struct frame *f, const struct ui *u,
		const struct history *h, int width, int height);

#endif
