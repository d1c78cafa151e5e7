/* SPDX-License-Identifier: MIT */
/* PROXY protocol v1 and v2 (receive side): a pure parser and a deadline-bound reader. */
#ifndef ACCEPTD_PROXY_H
#define ACCEPTD_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* services[].proxy_protocol: which versions a service takes (bits). */
#define PROXY_V1 1
#define PROXY_V2 2

#define PROXY_V1_MAX 107	 /* bytes of a v1 line, CRLF included (the spec's limit) */
#define PROXY_V2_MAX (16 + 2048) /* acceptd's cap on a v2 header with its TLVs */

enum proxy_status {
	PROXY_NEED = 0,	    /* a valid prefix: more bytes needed */
	PROXY_OK = 1,	    /* a complete, valid header */
	PROXY_INVALID = -1, /* not a header acceptd takes: close the connection */
};

struct proxy_header {
	size_t len;	   /* PROXY_OK: bytes the header takes */
	size_t need;	   /* PROXY_NEED: total bytes needed if known, else 0 */
	int version;	   /* 1 or 2 */
	int local;	   /* LOCAL, UNKNOWN, UNSPEC or UNIX: keep the real endpoints */
	struct addr src;   /* the client as the proxy saw it (when !local) */
	struct addr dst;   /* the address the client connected to (when !local) */
	const char *error; /* PROXY_INVALID: why, for the log */
};

/* "off", "v1", "v2", "any" to 0 or PROXY_V* bits, or -1. */
int proxy_mode_parse(const char *s);

/*
 * Parse the N bytes at BUF as a header of a version in ALLOWED (PROXY_V*
 * bits). A pure function of its input: the unit tests and the fuzzer drive
 * it directly.
 */
int proxy_parse(const uint8_t *buf, size_t n, int allowed, struct proxy_header *h);

/*
 * Read exactly the header from FD and nothing more (peek, then consume),
 * giving up TIMEOUT_MS after the call. Returns PROXY_OK, or PROXY_INVALID
 * with H->error set (malformed, partial, timed out, or the peer closed).
 */
int proxy_read(int fd, int allowed, int timeout_ms, struct proxy_header *h);

#endif
