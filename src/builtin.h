/* SPDX-License-Identifier: MIT */
/* The RFC built-in services: name table and the serving functions (child side). */
#ifndef ACCEPTD_BUILTIN_H
#define ACCEPTD_BUILTIN_H

#include <stdint.h>

enum builtin {
	BUILTIN_ECHO, /* RFC 862 */
	BUILTIN_MAX,
};

/* Counters a builtin reports for the connection-ended entry. */
struct builtin_stats {
	uint64_t bytes_in;
	uint64_t bytes_out;
};

/* The builtin called NAME, or -1. */
int builtin_find(const char *name);

/* The name of builtin B. */
const char *builtin_name(int b);

/* Serve builtin B on FD until the client is done. Returns 0, or -1 with errno on an I/O error. */
int builtin_serve(int b, int fd, struct builtin_stats *st);

#endif
