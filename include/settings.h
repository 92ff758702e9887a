/* The settings file, $XDG_CONFIG_HOME/vtax/vtaxrc: "key=value" lines
 * naming columns by name, never by number. */
#ifndef VTAX_SETTINGS_H
#define VTAX_SETTINGS_H

#include "util.h"
#include "view.h"

/* Apply buf to u. Unknown keys and values are skipped; *cause (caller
 * frees) then names the first one. Returns the number of problems. */
int settings_parse(const char *buf, struct ui *u, char **cause);
void settings_format(struct sb *out, const struct ui *u);

/* Path of the file (caller frees), NULL when neither XDG_CONFIG_HOME nor
 * HOME is set. */
char *settings_path(void);

/* Load the file if it exists. 0, or -errno with *cause. */
int settings_load(struct ui *u, char **cause);

/* Write atomically, mode 0600; the path written goes to *where. */
int settings_save(const struct ui *u, char **where, char **cause);

#endif
