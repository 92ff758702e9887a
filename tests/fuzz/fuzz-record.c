/* Record lines read by --replay, then the model and every view on them. */
#include "config.h"

#include "columns.h"
#include "fuzz.h"
#include "model.h"
#include "record.h"
#include "render.h"
#include "view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct sample a = {0}, b = {0};
	char *cause = NULL;
	if (record_parse_line(s, &a, &cause) == 0) {
		/* the same sample twice: rates of zero over an absent interval */
		record_parse_line(s, &b, &cause);
		free(cause);
		cause = NULL;
		b.host.mono_ns = a.host.mono_ns == VT_UNKNOWN ? 1 : a.host.mono_ns + 1000000000ull;
		struct frame f;
		model_compute(&a, &b, &f);
		columns_sort(&f, COL_TAX, true);
		struct sb out = {0};
		struct ui u;
		ui_init(&u);
		render_text(&out, &f, &u);
		render_json(&out, &f);
		u.detail = true;
		struct vscreen vs = {0};
		view_build(&vs, &f, &u, NULL, 80, 24);
		view_build(&vs, &f, &u, NULL, 200, 0);
		vscreen_free(&vs);
		sb_free(&out);
		frame_free(&f);
	}
	free(cause);
	sample_free(&a);
	sample_free(&b);
	free(s);
	return 0;
}
