/* json-c helpers shared by the JSON view and the record format. */
#ifndef VTAX_JSONX_H
#define VTAX_JSONX_H

#include <stdint.h>

#include <json-c/json.h>

/* A byte count or counter; NULL (JSON null) when VT_UNKNOWN. */
json_object *jx_u64(uint64_t v);
/* A number printed with the given decimals; NULL (JSON null) for NAN. */
json_object *jx_num(double v, int decimals);
/* A string with invalid UTF-8 replaced by U+FFFD; NULL for NULL. */
json_object *jx_str(const char *s);
/* The object at a dotted path below o ("mem.kernel.total": o's "mem"'s
 * "kernel"), made when missing; *leaf is the path's last part. */
json_object *jx_parent(json_object *o, const char *path, const char **leaf);

#endif
