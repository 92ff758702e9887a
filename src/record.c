/* Versioned JSON Lines of raw samples (doc/record.md): a walk over the
 * sample schema, each field under its name, in table order. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "jsonx.h"
#include "record.h"

static void *at(const void *rec, size_t off)
{
	return (char *)(uintptr_t)rec + off;
}

static void put_fields(json_object *o, const struct schema *sc, const void *rec);

static json_object *put_rows(const struct field *f, const void *rec)
{
	json_object *arr = json_object_new_array();
	const char *rows = *(char *const *)at(rec, f->off);
	size_t n = *(const size_t *)at(rec, f->n);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		put_fields(o, f->sub, rows + i * f->sub->size);
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *put_value(const struct field *f, const void *rec)
{
	const void *p = at(rec, f->off);
	switch (f->type) {
	case FT_U64:
		return f->flags & FL_RAW ? json_object_new_uint64(*(const uint64_t *)p)
					: jx_u64(*(const uint64_t *)p);
	case FT_I64:
		return json_object_new_int64(*(const int64_t *)p);
	case FT_INT:
		return json_object_new_int(*(const int *)p);
	case FT_BOOL:
		return json_object_new_boolean(*(const bool *)p);
	case FT_DOUBLE: {
		if (f->n == 1)
			return json_object_new_double(*(const double *)p);
		json_object *arr = json_object_new_array();
		for (size_t k = 0; k < f->n; k++)
			json_object_array_add(arr, json_object_new_double(((const double *)p)[k]));
		return arr;
	}
	case FT_STR:
		return jx_str(*(char *const *)p);
	case FT_CHARS:
		return jx_str(p);
	case FT_RUNTIME:
		return json_object_new_string(runtime_name(*(const enum runtime *)p));
	case FT_OBJECT: {
		json_object *o = json_object_new_object();
		put_fields(o, f->sub, p);
		return o;
	}
	case FT_ROWS:
		return put_rows(f, rec);
	}
	return NULL;
}

/* Whether f is written, and in place of its rows (FL_STATE 2): *text. */
static bool written(const struct field *f, const void *rec, const char **text)
{
	const void *p = at(rec, f->off);
	*text = NULL;
	if (f->flags & (FL_LOCAL | FL_NOJSON))
		return false;
	if (f->flags & (FL_OPT | FL_NULL) && !*(void *const *)p)
		return false;
	if (f->flags & FL_GATED && !*(void *const *)at(rec, f[-1].off))
		return false;
	if (f->flags & FL_STATE) {
		int state = *(const int *)at(rec, f[-1].off);
		*text = state == 2 ? f->text : NULL;
		return state == 1 || state == 2;
	}
	return true;
}

/* The names are the schema's: constant, and each once in a record. */
static void put_fields(json_object *o, const struct schema *sc, const void *rec)
{
	for (const struct field *f = sc->f; f < sc->f + sc->n; f++) {
		const char *text;
		if (written(f, rec, &text))
			json_object_object_add_ex(o, f->name, text ? json_object_new_string(text)
								   : put_value(f, rec),
						  JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
	}
}

void record_sample(struct sb *out, const struct sample *s)
{
	json_object *root = json_object_new_object();
	json_object_object_add(root, "vtax_record", json_object_new_int(RECORD_VERSION));
	put_fields(root, &sample_schema, s);
	sb_adds(out, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	sb_addc(out, '\n');
	json_object_put(root);
}

struct replay {
	FILE *fp;
	char *path;
	char *line;
	size_t cap;
	unsigned long lineno;
	unsigned long samples;
};

struct replay *replay_open(const char *path, char **cause)
{
	FILE *fp = fopen(path, "re");
	if (!fp) {
		*cause = xasprintf("cannot open record file %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		*cause = xasprintf("cannot read record file %s: %s", path, strerror(EISDIR));
		fclose(fp);
		return NULL;
	}
	struct replay *r = xcalloc(1, sizeof(*r));
	r->fp = fp;
	r->path = xstrdup(path);
	return r;
}

void replay_close(struct replay *r)
{
	if (!r)
		return;
	fclose(r->fp);
	free(r->path);
	free(r->line);
	free(r);
}

/* ---- parsing ------------------------------------------------------------- */

/* Where a fault is, for messages: "host", "guest 3", "guest 3: drive 0". */
struct ctx {
	const char *where;         /* NULL: the record line itself */
	bool lenient;              /* a bad value reads as absent */
};

static int get_fields(json_object *o, const struct schema *sc, void *rec, const struct ctx *c,
		      char **cause);

static const char *where(const struct ctx *c)
{
	return c->where ? c->where : "record line";
}

/* A counter: absent or null is unknown; anything else must be a
 * non-negative integer. */
static int get_u64(json_object *v, const struct field *f, uint64_t *out, const struct ctx *c,
		   char **cause)
{
	*out = f->flags & FL_ZERO ? 0 : VT_UNKNOWN;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
		if (c->lenient)
			return 0;
		*cause = xasprintf("%s: field \"%s\" is not a counter", where(c), f->name);
		return -1;
	}
	*out = json_object_get_uint64(v);
	if (*out == VT_UNKNOWN && f->flags & FL_ZERO)
		*out = 0;
	return 0;
}

static double get_double(json_object *v)
{
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_double(v);
}

static void get_doubles(json_object *v, const struct field *f, double *d)
{
	if (f->n == 1) {
		*d = get_double(v);
		return;
	}
	bool ok = json_object_is_type(v, json_type_array) && json_object_array_length(v) == f->n;
	for (size_t k = 0; k < f->n; k++)
		d[k] = ok ? get_double(json_object_array_get_idx(v, k)) : -1;
}

/* FL_STATE: the rows, the state's word, or nothing (unknown). */
static int get_state(json_object *v, const struct field *f, void *rec, const struct ctx *c,
		     char **cause)
{
	int *state = at(rec, f[-1].off);
	*state = !v ? 0 : json_object_is_type(v, json_type_array) ? 1 : 2;
	if (*state == 2 && (!json_object_is_type(v, json_type_string) ||
			    strcmp(json_object_get_string(v), f->text))) {
		*cause = xasprintf("%s: \"%s\" is neither a list nor \"%s\"", where(c), f->name, f->text);
		return -1;
	}
	return 0;
}

static int get_rows(json_object *v, const struct field *f, void *rec, const struct ctx *c,
		    char **cause)
{
	if (f->flags & FL_GATED && !*(void **)at(rec, f[-1].off))
		return 0;
	if (f->flags & FL_STATE) {
		if (get_state(v, f, rec, c, cause))
			return -1;
		if (*(int *)at(rec, f[-1].off) != 1)
			return 0;
	}
	if (!json_object_is_type(v, json_type_array)) {
		if (!v || f->sub->lenient)
			return 0;
		*cause = xasprintf("%s: \"%s\" is not a list", where(c), f->name);
		return -1;
	}
	size_t n = json_object_array_length(v), size = f->sub->size;
	if (f->hi && n > (size_t)f->hi)
		n = (size_t)f->hi;
	char *rows = schema_rows(rec, f, n);
	size_t *count = at(rec, f->n);
	for (size_t i = 0; i < n; i++) {
		char buf[200];
		snprintf(buf, sizeof(buf), "%s%s%s %zu", c->where ? c->where : "", c->where ? ": " : "",
			 f->sub->what, i);
		struct ctx sub = {buf, f->sub->lenient};
		void *row = rows + *count * size;
		schema_init(f->sub, row);
		(*count)++;
		if (get_fields(json_object_array_get_idx(v, i), f->sub, row, &sub, cause)) {
			if (!sub.lenient)
				return -1;
			free(*cause);
			*cause = NULL;
			schema_release(f->sub, row);
			(*count)--;
		}
	}
	return 0;
}

static bool get_value(json_object *v, const struct field *f, void *rec, const struct ctx *c,
		      char **cause)
{
	void *p = at(rec, f->off);
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	switch (f->type) {
	case FT_U64:
		return get_u64(v, f, p, c, cause) == 0;
	case FT_I64:
		*(int64_t *)p = v ? json_object_get_int64(v) : 0;
		return true;
	case FT_INT: {
		int64_t x = v ? json_object_get_int(v) : 0;
		*(int *)p = (int)(x < f->lo || x > f->hi ? f->lo : x);
		return true;
	}
	case FT_BOOL:
		*(bool *)p = v && json_object_get_boolean(v);
		return true;
	case FT_DOUBLE:
		get_doubles(v, f, p);
		return true;
	case FT_STR:
		*(char **)p = s ? xstrdup(s) : NULL;
		return s || !(f->flags & FL_REQ);
	case FT_CHARS:
		str_copy(p, f->n, s ? s : f->text ? f->text : "");
		return s || !(f->flags & FL_REQ);
	case FT_RUNTIME: {
		int r = s ? runtime_from_name(s) : -1;
		*(int *)p = r < 0 ? 0 : r;
		return r >= 0 || !(f->flags & FL_REQ);
	}
	case FT_OBJECT: {
		struct ctx sub = {f->sub->what, c->lenient};
		schema_init(f->sub, p);
		if (!json_object_is_type(v, json_type_object))
			return !(f->flags & FL_REQ);
		return get_fields(v, f->sub, p, &sub, cause) == 0;
	}
	case FT_ROWS:
		return get_rows(v, f, rec, c, cause) == 0;
	}
	return true;
}

/* Every field of sc from the object o (not an object: every one absent). */
static int get_fields(json_object *o, const struct schema *sc, void *rec, const struct ctx *c,
		      char **cause)
{
	for (const struct field *f = sc->f; f < sc->f + sc->n; f++) {
		json_object *v = NULL;
		if (f->flags & (FL_LOCAL | FL_NOJSON))
			continue;
		if (!json_object_object_get_ex(o, f->name, &v))
			v = NULL;
		if ((v || !(f->flags & FL_REQ)) && get_value(v, f, rec, c, cause))
			continue;
		if (!*cause)
			*cause = xasprintf("%s has no %s%s", where(c), f->type == FT_RUNTIME ? "known " : "",
					   f->name);
		return -1;
	}
	return 0;
}

static int parse_obj(json_object *root, struct sample *s, char **cause)
{
	json_object *v;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "vtax_record", &v) || !json_object_is_type(v, json_type_int)) {
		*cause = xstrdup("not a vtax record line");
		return -1;
	}
	int ver = json_object_get_int(v);
	/* version 1 lacks drives and some counters: they replay as unknown */
	if (ver < RECORD_VERSION_MIN || ver > RECORD_VERSION) {
		*cause = xasprintf("record format version %d is not supported (this vtax reads "
				   "versions %d to %d)", ver, RECORD_VERSION_MIN, RECORD_VERSION);
		return -1;
	}
	struct ctx c = {NULL, false};
	char *why = NULL;
	sample_clear(s);
	if (!get_fields(root, &sample_schema, s, &c, &why))
		return 0;
	*cause = why;
	return -1;
}

int record_parse_line(const char *line, struct sample *s, char **cause)
{
	enum json_tokener_error jerr;
	json_object *root = json_tokener_parse_verbose(line, &jerr);
	if (!root) {
		*cause = xasprintf("malformed JSON: %s", json_tokener_error_desc(jerr));
		return -1;
	}
	int r = parse_obj(root, s, cause);
	json_object_put(root);
	return r;
}

int replay_next(struct replay *r, struct sample *s, char **cause)
{
	for (;;) {
		errno = 0;
		ssize_t n = getline(&r->line, &r->cap, r->fp);
		if (n < 0 && ferror(r->fp)) {
			*cause = xasprintf("cannot read record file %s: %s", r->path,
					   strerror(errno ? errno : EIO));
			return -1;
		}
		if (n < 0 && !r->samples) {
			*cause = xasprintf("%s: no samples in the file (not a vtax --record file?)",
					   r->path);
			return -1;
		}
		if (n < 0)
			return 0;
		r->lineno++;
		int complete = n > 0 && r->line[n - 1] == '\n';
		while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r'))
			r->line[--n] = '\0';
		if (!n)
			continue;
		char *why = NULL;
		if (record_parse_line(r->line, s, &why) == 0) {
			r->samples++;
			return 1;
		}
		if (!complete) {
			*cause = xasprintf("%s: the file ends early (line %lu is cut short; vtax was "
					   "probably stopped while recording)", r->path, r->lineno);
			free(why);
			sample_clear(s);
			return r->samples ? 0 : -1;
		}
		*cause = xasprintf("%s:%lu: %s", r->path, r->lineno, why);
		free(why);
		return -1;
	}
}
