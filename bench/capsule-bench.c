/* make bench, make record-bench: the most memory the capsule holds while
 * a record's samples pass through it (e.g. 12 minutes of 100 guests
 * every 2 s into a 10-minute capsule), counted two ways: the capsule's
 * own account (capsule_memory()) and the heap it took (mallinfo2, heap
 * and mmapped blocks, against before it was made: the samples are read
 * from the record first), and the size of the file s then writes.
 * Usage: capsule-bench RECORD [MINUTES]. */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsule.h"
#include "driver.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: capsule-bench RECORD [MINUTES]\n");
		return 2;
	}
	double minutes = argc > 2 ? atof(argv[2]) : CAPSULE_MINUTES;
	char *cause = NULL;
	const char *paths[] = {argv[1]};
	struct source *src = source_history(paths, 1, INT64_MIN, INT64_MAX, &cause);
	if (!src) {
		fprintf(stderr, "capsule-bench: %s\n", cause);
		return 2;
	}
	/* read every sample first, so the heap delta is the capsule's alone */
	size_t n = 0, cap = 0, guests = 0;
	struct sample *all = NULL;
	for (;;) {
		if (n == cap)
			all = xrealloc(all, (cap = cap ? 2 * cap : 64) * sizeof(*all));
		memset(&all[n], 0, sizeof(all[n]));
		if (src->next(src, &all[n], &cause) != 1)
			break;
		guests += all[n++].nguests;
	}
	malloc_trim(0);
	struct mallinfo2 mi = mallinfo2();
	size_t before = mi.uordblks + mi.hblkhd, heap = 0, account = 0;
	struct capsule *c = capsule_new(minutes, 0);
	for (size_t i = 0; i < n; i++) {
		capsule_add(c, &all[i]);
		mi = mallinfo2();
		if (mi.uordblks + mi.hblkhd - before > heap)
			heap = mi.uordblks + mi.hblkhd - before;
		if (capsule_memory(c) > account)
			account = capsule_memory(c);
	}
	int64_t first, last;
	size_t held = capsule_samples(c, &first, &last);
	struct sb file = {0};
	if (capsule_pack(c, &file, &cause)) {
		fprintf(stderr, "capsule-bench: %s\n", cause);
		return 1;
	}
	printf("capsule: %zu samples of %.1f guests over %.1f min held at the end (of %zu read); "
	       "memory at most %zu bytes by its account, %zu bytes of heap (%.2f MB); the file s "
	       "writes: %zu bytes (%.1f bytes per guest-sample)\n",
	       held, n ? (double)guests / (double)n : 0.0, (double)(last - first) / 60000.0, n,
	       account, heap, (double)heap / 1e6, file.len,
	       held && guests ? (double)file.len / ((double)held * (double)guests / (double)n)
			      : 0.0);
	sb_free(&file);
	capsule_free(c);
	for (size_t i = 0; i <= n && i < cap; i++)
		sample_free(&all[i]);
	free(all);
	source_free(src);
	return 0;
}
