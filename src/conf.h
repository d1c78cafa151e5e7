/* SPDX-License-Identifier: MIT */
/* libconfig file to a new, validated struct conf; pure: no sockets, no logging, never exits. */
#ifndef ACCEPTD_CONF_H
#define ACCEPTD_CONF_H

#include <stdio.h>

#include "acceptd.h"

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
