/* SPDX-License-Identifier: MIT */
/* libconfig file to a new, validated struct conf; pure: no sockets, no logging, never exits. */
#ifndef ACCEPTD_CONF_H
#define ACCEPTD_CONF_H

#include <stdio.h>

#include "acceptd.h"

/*
 * Limits on what conf_load() reads (documented in acceptd.conf(5)). libconfig
 * 1.5 takes time quadratic in the length of one token and in the number of
 * settings in one group, hangs on a FIFO and exits the process on an
 * @include of a directory, so each file is checked before libconfig sees it.
 */
#define CONF_BYTES_MAX	   (4u << 20) /* the main file and every inclusion of a file, together */
#define CONF_TOKEN_MAX	   65536      /* one string, comment, word or run of blanks */
#define CONF_GROUP_MAX	   100	      /* settings in one group ({ ... }) */
#define CONF_NEST_MAX	   100	      /* groups, lists and arrays inside each other */
#define CONF_INCLUDES_MAX  100	      /* @include directives followed, in all */
#define CONF_INCLUDE_DEPTH 10	      /* libconfig's own limit on nested @include */
#define CONF_ERRORS_MAX	   100	      /* messages kept; the rest are counted */

/* Every problem found in a file, one "FILE:LINE: KEY: message" string each. */
struct conf_errors {
	size_t n;
	char **msg;
};

/*
 * Read and validate PATH. Returns a new struct conf, or NULL with every
 * problem appended to ERRS (the whole file is checked, not just up to the
 * first error). Touches no live state, so -t and reload share it.
 */
struct conf *conf_load(const char *path, struct conf_errors *errs);

/* Free a conf from conf_load(); NULL is fine. */
void conf_free(struct conf *conf);

/* Free the messages in ERRS and empty it. */
void conf_errors_clear(struct conf_errors *errs);

/* Write one summary line per service, as `acceptd -t` shows it. */
void conf_print(const struct conf *conf, FILE *f);

/* "builtin echo" or "exec /bin/cat -u" (cut to LEN), for summaries and logs. Returns BUF. */
const char *conf_service_what(const struct service *sv, char *buf, size_t len);

/* Find a service by name, or NULL. */
const struct service *conf_service(const struct conf *conf, const char *name);

#endif
