/* SPDX-License-Identifier: MIT */
/* Tiny unit-test harness: CHECK records a failure and goes on, REQUIRE ends the case. */
#ifndef ACCEPTD_TEST_H
#define ACCEPTD_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Exit codes automake understands. */
#define TEST_EXIT_SKIP	77
#define TEST_EXIT_ERROR 99

static const char *test_fail_file; /* first failure in the running case, or NULL */
static int test_fail_line;
static unsigned test_nrun, test_nfailed;

static inline int test_check(int ok, const char *expr, const char *file, int line)
{
	if (ok)
		return 1;
	fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, expr);
	if (!test_fail_file) {
		test_fail_file = file;
		test_fail_line = line;
	}
	return 0;
}

/* Record a failure and go on. */
#define CHECK(cond) test_check(!!(cond), #cond, __FILE__, __LINE__)

/* Record a failure and leave the case; only in the case function itself (it returns void). */
#define REQUIRE(cond)                                                 \
	do {                                                          \
		if (!test_check(!!(cond), #cond, __FILE__, __LINE__)) \
			return;                                       \
	} while (0)

/* Say more about a failure just recorded (e.g. the values compared). */
static inline void __attribute__((format(printf, 1, 2))) test_note(const char *fmt, ...)
{
	va_list ap;

	fputs("  ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* For cases that are data, not functions: call around each, then test_end() with its name. */
static inline void test_begin(void)
{
	test_fail_file = NULL;
}

/* Print PASS NAME or FAIL NAME (file:line) for the case just run. */
static inline void test_end(const char *name)
{
	test_nrun++;
	if (test_fail_file) {
		test_nfailed++;
		printf("FAIL %s (%s:%d)\n", name, test_fail_file, test_fail_line);
	} else {
		printf("PASS %s\n", name);
	}
	fflush(stdout);
}

static inline void test_run(const char *name, void (*fn)(void))
{
	test_begin();
	fn();
	test_end(name);
}

#define TEST_RUN(fn) test_run(#fn, fn)

/* The whole program cannot run here (exit 77), or the harness itself broke (exit 99). */
static inline void __attribute__((noreturn)) test_skip(const char *why)
{
	printf("SKIP %s\n", why);
	exit(TEST_EXIT_SKIP);
}

static inline void __attribute__((noreturn)) test_bail(const char *why)
{
	printf("ERROR %s\n", why);
	exit(TEST_EXIT_ERROR);
}

/* What main() returns: 0 when every case passed, else 1. */
static inline int test_summary(void)
{
	printf("%u cases, %u failed\n", test_nrun, test_nfailed);
	return test_nfailed ? 1 : 0;
}

#endif
