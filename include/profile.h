/* --profile-steps: the CPU each step of a refresh costs (this thread's
 * CPU clock), summed apart for the first refresh and the ones after it,
 * printed as a table when vtax ends (doc/performance.md). */
#ifndef VTAX_PROFILE_H
#define VTAX_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PROF_STEPS_MAX 24

struct prof_step {
	const char *name;
	uint64_t first_ns;          /* ns of CPU in the first refresh */
	uint64_t ns;                /* ns of CPU in the refreshes after it */
};

struct profile {
	bool on;
	struct prof_step step[PROF_STEPS_MAX];
	int n;
	int refreshes;              /* refreshes ended */
	uint64_t guests;            /* summed over the refreshes after the first */
	uint64_t mark;              /* CPU clock at the last mark */
};

/* This thread's CPU time, ns. */
uint64_t prof_cpu_ns(void);
/* Start a refresh. */
void prof_begin(struct profile *p);
/* The step that just ended, named by a string literal. */
void prof_mark(struct profile *p, const char *name);
/* A step done for the refresh that ended last, after it (its frame was
 * out): counted with that refresh; prof_begin before it. */
void prof_after(struct profile *p, const char *name);
/* End a refresh that found guests guests. */
void prof_end(struct profile *p, size_t guests);
/* The table, Markdown. */
void prof_print(const struct profile *p, FILE *fp);

#endif
