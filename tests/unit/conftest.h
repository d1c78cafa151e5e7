/* SPDX-License-Identifier: MIT */
/*
 * What test-conf and test-conf5 share: the fixtures' directory, loading a
 * fixture that must be valid, and matching the exact messages of one that
 * must not be (in any order, every one with FILE:LINE).
 */
#ifndef ACCEPTD_CONFTEST_H
#define ACCEPTD_CONFTEST_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "test.h"
#include "util.h"

static char datadir[PATH_MAX]; /* absolute: some cases chdir() */

/* datadir from $TESTDATA. */
static inline void conftest_init(void)
{
	const char *env = getenv("TESTDATA");

	if (!env || !realpath(env, datadir))
		test_bail("set TESTDATA to the directory of the fixtures");
}

/* $TESTDATA/NAME, in a static buffer. */
static inline const char *data(const char *name)
{
	static char buf[PATH_MAX + 64];

	snprintf(buf, sizeof(buf), "%s/%s", datadir, name);
	return buf;
}

#define CHECK_STR(a, b)                                                               \
	do {                                                                          \
		const char *a_ = (a), *b_ = (b);                                      \
		if (!CHECK(a_ && b_ && strcmp(a_, b_) == 0))                          \
			test_note("got \"%s\", want \"%s\"", a_ ? a_ : "(null)", b_); \
	} while (0)

/* Load a fixture that must be valid; print the messages if it is not. */
static inline struct conf *load_valid(const char *path)
{
	struct conf_errors errs = { 0 };
	struct conf *conf;
	size_t i;

	conf = conf_load(path, &errs);
	if (!CHECK(conf != NULL))
		for (i = 0; i < errs.n; i++)
			test_note("unexpected: %s", errs.msg[i]);
	CHECK(errs.n == 0);
	conf_errors_clear(&errs);
	return conf;
}

/*
 * An invalid fixture and every message it must give, in any order, written
 * without the "$TESTDATA/" that starts each path in them.
 */
struct bad_case {
	const char *file;
	const char *want[32];
};

/* MSG with every "$TESTDATA/" taken out. */
static inline char *strip_dir(const char *msg)
{
	char prefix[PATH_MAX + 2], *out, *p;
	size_t n;

	snprintf(prefix, sizeof(prefix), "%s/", datadir);
	n = strlen(prefix);
	out = strdup(msg);
	if (!out)
		test_bail("out of memory");
	while ((p = strstr(out, prefix)))
		memmove(p, p + n, strlen(p + n) + 1);
	return out;
}

/* "$TESTDATA/FILE:LINE: " with LINE > 0: the main file or one it included. */
static inline int has_location(const char *msg)
{
	size_t n = strlen(datadir);
	const char *colon;
	char *end;
	long line;

	if (strncmp(msg, datadir, n) != 0 || msg[n] != '/')
		return 0;
	colon = strchr(msg + n, ':');
	if (!colon)
		return 0;
	line = strtol(colon + 1, &end, 10);
	return line > 0 && end[0] == ':' && end[1] == ' ';
}

/*
 * FILE must be refused with exactly the NWANT messages WANT, in any order. A
 * file that cannot be read gives one message, naming it, and errno ENOENT
 * (EISDIR for "."); anything else gives EINVAL and messages with a line.
 */
static inline void expect_messages(const char *file, const char *const *want, size_t nwant)
{
	struct conf_errors errs = { 0 };
	char path[PATH_MAX + 64], *got;
	size_t i, j;
	int unreadable;
	struct conf *conf;
	int *used;

	snprintf(path, sizeof(path), "%s", data(file));
	errno = 0;
	conf = conf_load(path, &errs);
	CHECK(conf == NULL);
	conf_free(conf);
	unreadable = errs.n == 1 && strstr(errs.msg[0], ": cannot read: ") != NULL;
	CHECK(errno == (unreadable ? (strcmp(file, ".") ? ENOENT : EISDIR) : EINVAL));
	if (!CHECK(errs.n == nwant))
		test_note("%s: %zu messages, want %zu", file, errs.n, nwant);

	used = calloc(nwant + 1, sizeof(*used));
	if (!used)
		test_bail("out of memory");
	for (i = 0; i < errs.n; i++) {
		/* Every message names the file and a line, so an editor can jump there. */
		if (!unreadable && !CHECK(has_location(errs.msg[i])))
			test_note("no location: %s", errs.msg[i]);
		if (unreadable)
			CHECK(strncmp(errs.msg[i], path, strlen(path)) == 0);
		got = strip_dir(errs.msg[i]);
		for (j = 0; j < nwant; j++)
			if (!used[j] && strcmp(got, want[j]) == 0)
				break;
		if (!CHECK(j < nwant))
			test_note("unexpected: %s", got);
		else
			used[j] = 1;
		free(got);
	}
	for (j = 0; j < nwant; j++)
		if (!CHECK(used[j]))
			test_note("missing:    %s", want[j]);
	free(used);
	conf_errors_clear(&errs);
}

static inline void bad_case_run(const struct bad_case *bc)
{
	size_t n;

	for (n = 0; n < ARRAY_SIZE(bc->want) && bc->want[n]; n++)
		;
	expect_messages(bc->file, bc->want, n);
}

/* Run every case of an array of struct bad_case, each as a test case named after its file. */
#define BAD_CASES_RUN(cases)                                 \
	do {                                                 \
		size_t k_;                                   \
		for (k_ = 0; k_ < ARRAY_SIZE(cases); k_++) { \
			test_begin();                        \
			bad_case_run(&(cases)[k_]);          \
			test_end((cases)[k_].file);          \
		}                                            \
	} while (0)

#endif
