/* Saving what the admin sees: the screen's lines as text, the frame as
 * JSON and the capsule of the minutes before, written safely (temporary
 * file, fsync, link to a fresh name: never an overwrite, never through a
 * planted symlink, never a partial file). */
#ifndef VTAX_SNAPSHOT_H
#define VTAX_SNAPSHOT_H

#include <stddef.h>

#include "view.h"

/* The directory to save into: dir if given, else the current directory
 * if writable, else $HOME. Caller frees. */
char *snapshot_dir(const char *dir);

struct capsule;

/* Write DIR/vtax-HOST-YYYYmmdd-HHMMSS{,-N}.txt and .json, and beside them
 * .zst, the capsule (cap; NULL or empty: none), under one stem. Returns
 * 1 with the capsule, 0 without, the .txt path in path (size pathsz); the
 * .txt and .json are written both or neither, and when the capsule alone
 * could not be written *cause (caller frees) says why. Else -errno and
 * *cause. */
int snapshot_save(const char *dir, const struct frame *f, const struct ui *u,
		  const struct history *h, const struct capsule *cap, int width, char *path,
		  size_t pathsz, char **cause);

/* Write the capsule alone as DIR/vtax-HOST-YYYYmmdd-HHMMSS{,-N}.zst (the
 * time of its last sample): 0 and its path, or -errno and *cause
 * (caller frees). */
int snapshot_capsule(const char *dir, const struct capsule *cap, const char *hostname,
		     char *path, size_t pathsz, char **cause);

/* Write buf to dir/name atomically and exclusively (fails with -EEXIST
 * if name exists, even as a symlink). mode: permission bits. */
int write_new_file(const char *dir, const char *name, const char *buf, size_t len, int mode);

/* Replace dir/name atomically (temporary file + rename), mode 0600. */
int replace_file(const char *dir, const char *name, const char *buf, size_t len);

#endif
