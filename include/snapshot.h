/* Saving what the admin sees: the screen's lines as text plus the frame
 * as JSON, written safely (temporary file, fsync, link to a fresh name:
 * never an overwrite, never through a planted symlink, never a partial
 * file). */
#ifndef VTAX_SNAPSHOT_H
#define VTAX_SNAPSHOT_H

#include <stddef.h>

#include "view.h"

/* The directory to save into: dir if given, else the current directory
 * if writable, else $HOME. Caller frees. */
char *snapshot_dir(const char *dir);

/* Write DIR/vtax-HOST-YYYYmmdd-HHMMSS{,-N}.txt and .json. On success
 * returns 0 and the .txt path in path (size pathsz); else -errno and
 * *cause (caller frees). */
int snapshot_save(const char *dir, const struct frame *f, const struct ui *u,
		  const struct history *h, int width, char *path, size_t pathsz, char **cause);

/* Write buf to dir/name atomically and exclusively (fails with -EEXIST
 * if name exists, even as a symlink). mode: permission bits. */
int write_new_file(const char *dir, const char *name, const char *buf, size_t len, int mode);

/* Replace dir/name atomically (temporary file + rename), mode 0600. */
int replace_file(const char *dir, const char *name, const char *buf, size_t len);

#endif
