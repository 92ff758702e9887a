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

#endif
