/* SPDX-License-Identifier: MIT */
/* The RFC built-in services: name table and the serving functions (child side). */
#ifndef ACCEPTD_BUILTIN_H
#define ACCEPTD_BUILTIN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum builtin {
	BUILTIN_ECHO,	 /* RFC 862 */
	BUILTIN_DISCARD, /* RFC 863 */
	BUILTIN_CHARGEN, /* RFC 864 */
	BUILTIN_DAYTIME, /* RFC 867 */
	BUILTIN_TIME,	 /* RFC 868 */
	BUILTIN_MAX,
};

#define CHARGEN_LINE 72 /* characters per line, CRLF not counted */

/* Counters a builtin reports for the connection-ended entry. */
struct builtin_stats {
	uint64_t bytes_in;
	uint64_t bytes_out;
};

/* The builtin called NAME, or -1. */
int builtin_find(const char *name);

/* The name of builtin B. */
const char *builtin_name(int b);

/* The daytime line for T: "Monday, November 23, 2026 23:30:00-UTC\r\n". Returns its length. */
size_t builtin_daytime(time_t t, char *buf, size_t len);

/* RFC 868: the low 32 bits of seconds since 1900-01-01 00:00 UTC (wraps in 2036). */
uint32_t builtin_time(time_t t);

/* Fill BUF with chargen line N (CHARGEN_LINE characters and CRLF). */
void builtin_chargen_line(unsigned long n, char buf[CHARGEN_LINE + 2]);

/*
 * Serve builtin B on FD until the client is done. IDLE_TIMEOUT > 0 bounds
 * every wait for the client, to read or to take what we send, in seconds.
 * Returns 0, or -1 with errno: ETIMEDOUT when the client was idle that long.
 */
int builtin_serve(int b, int fd, int idle_timeout, struct builtin_stats *st);

#endif
