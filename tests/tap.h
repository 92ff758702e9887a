/* Minimal check macros for the C unit tests: count, report, exit code. */
#ifndef VTAX_TESTS_TAP_H
#define VTAX_TESTS_TAP_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (cond) {                                                     \
			t_pass++;                                               \
		} else {                                                        \
			t_fail++;                                               \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);    \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
		}                                                               \
	} while (0)

#define CHECK_U64(got, want)                                                    \
	do {                                                                    \
		uint64_t g_ = (got), w_ = (want);                               \
		CHECK(g_ == w_, "%s = %" PRIu64 ", want %" PRIu64, #got, g_, w_); \
	} while (0)

#define CHECK_INT(got, want)                                                    \
	do {                                                                    \
		long g_ = (long)(got), w_ = (long)(want);                       \
		CHECK(g_ == w_, "%s = %ld, want %ld", #got, g_, w_);            \
	} while (0)

#define CHECK_STR(got, want)                                                    \
	do {                                                                    \
		const char *g_ = (got), *w_ = (want);                           \
		CHECK(g_ && w_ && !strcmp(g_, w_), "%s = \"%s\", want \"%s\"", #got, \
		      g_ ? g_ : "(null)", w_ ? w_ : "(null)");                  \
	} while (0)

#define CHECK_NEAR(got, want, tol)                                              \
	do {                                                                    \
		double g_ = (got), w_ = (want);                                 \
		CHECK(fabs(g_ - w_) <= (tol), "%s = %.4f, want %.4f +- %g", #got, \
		      g_, w_, (double)(tol));                                   \
	} while (0)

static inline int t_done(const char *name)
{
	printf("%s: %d checks passed, %d failed\n", name, t_pass, t_fail);
	return t_fail ? 1 : 0;
}

#endif
