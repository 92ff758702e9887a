/* The compact history read by --replay and vtax report: the first byte
 * picks how the rest is read. 0: a raw chunk; 1: a day file as it lies
 * on disk (meta frames, zstd frames, damage); 2: a raw chunk compressed
 * into a well-formed day file, so the fuzzer reaches the decoder through
 * the file path; 3: the capsule path, a raw chunk's samples kept in a
 * capsule of short chunks, packed as s writes it, read back as a file.
 * Decoded samples then go through the model. */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include <zstd.h>

#include "capsule.h"
#include "columns.h"
#include "fuzz.h"
#include "histfile.h"
#include "model.h"

static void model_over(const struct sample *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct frame f;
		model_compute(i ? &s[i - 1] : NULL, &s[i], &f);
		columns_sort(&f, COL_TAX, true);
		frame_free(&f);
	}
}

static void read_file(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/vtax-fuzz-history-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return;
	}
	close(fd);
	const char *paths[] = {path};
	char *cause = NULL;
	struct hist_reader *r = hist_open(paths, 1, INT64_MIN, INT64_MAX, &cause);
	if (r) {
		struct sample a = {0}, b = {0};
		struct sample *cur = &a, *prev = NULL;
		while (hist_next(r, cur, &cause) == 1) {
			struct frame f;
			model_compute(prev, cur, &f);
			frame_free(&f);
			prev = cur;
			cur = cur == &a ? &b : &a;
		}
		if (hist_count(r))
			hist_seek(r, hist_count(r) / 2);
		hist_find_time(r, 0);
		sample_free(&a);
		sample_free(&b);
		hist_close(r);
	}
	free(cause);
	unlink(path);
}

/* Whatever samples a chunk decodes to, in any order of time, through a
 * capsule whose chunks close every 2 s of sample time. */
static void capsule_over(const uint8_t *data, size_t size)
{
	struct sample *s = NULL;
	size_t n = 0;
	char *cause = NULL;
	hist_chunk_decode(data, size, &s, &n, &cause);
	free(cause);
	cause = NULL;
	struct capsule *c = capsule_new(1, 2000);
	for (size_t i = 0; i < n; i++)
		capsule_add(c, &s[i]);
	struct sb out = {0};
	int64_t first, last;
	size_t held = capsule_samples(c, &first, &last);
	if (capsule_pack(c, &out, &cause) == 0 && out.len) {
		if (held > n)
			abort();   /* it cannot hold more than it was given */
		read_file((const uint8_t *)out.s, out.len);
	}
	free(cause);
	sb_free(&out);
	capsule_free(c);
	for (size_t i = 0; i < n; i++)
		sample_free(&s[i]);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	uint8_t mode = data[0] % 4;
	data++;
	size--;
	if (mode == 0) {
		struct sample *s = NULL;
		size_t n = 0;
		char *cause = NULL;
		hist_chunk_decode(data, size, &s, &n, &cause);
		model_over(s, n);
		for (size_t i = 0; i < n; i++)
			sample_free(&s[i]);
		free(s);
		free(cause);
	} else if (mode == 1) {
		read_file(data, size);
	} else if (mode == 3) {
		capsule_over(data, size);
	} else {
		size_t bound = ZSTD_compressBound(size) + 40;
		uint8_t *z = malloc(bound);
		if (!z)
			abort();
		static const uint8_t meta[40] = {
			0x5e, 0x2a, 0x4d, 0x18, 32, 0, 0, 0, 'V', 'T', 'X', 'I', 1, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
			1, 0, 0, 0, 0, 0, 0, 0,
		};
		memcpy(z, meta, sizeof(meta));
		size_t zn = ZSTD_compress(z + 40, bound - 40, data, size, 1);
		if (!ZSTD_isError(zn)) {
			for (int i = 0; i < 4; i++)
				z[36 + i] = (uint8_t)(zn >> (8 * i));
			read_file(z, zn + 40);
		}
		free(z);
	}
	return 0;
}
