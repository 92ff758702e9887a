/* json-c helpers shared by render.c, record.c and report.c. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "util.h"

json_object *jx_u64(uint64_t v)
{
	return v == VT_UNKNOWN ? NULL : json_object_new_uint64(v);
}

json_object *jx_str(const char *s)
{
	if (!s)
		return NULL;
	char *c = utf8_clean(s);
	json_object *o = json_object_new_string(c);
	free(c);
	return o;
}

json_object *jx_num(double v, int decimals)
{
	if (isnan(v))
		return NULL;
	char b[64];
	snprintf(b, sizeof(b), "%.*f", decimals, v);
	return json_object_new_double_s(v, b);
}

json_object *jx_parent(json_object *o, const char *path, const char **leaf)
{
	const char *dot;
	while ((dot = strchr(path, '.'))) {
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		json_object *child;
		if (!json_object_object_get_ex(o, key, &child)) {
			child = json_object_new_object();
			json_object_object_add(o, key, child);
		}
		o = child;
		path = dot + 1;
	}
	*leaf = path;
	return o;
}
