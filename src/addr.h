/* SPDX-License-Identifier: MIT */
/* Numeric socket addresses: parse, format, compare; IPv4-mapped IPv6 becomes IPv4. */
#ifndef ACCEPTD_ADDR_H
#define ACCEPTD_ADDR_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

/* A socket address of either family, with its length. */
struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} u; /* not sockaddr_storage: 28 bytes, not 128, in every per-connection record */
	socklen_t len;
};

#define ADDR_HOSTLEN (INET6_ADDRSTRLEN + 1 + 16) /* numeric host, "%scope" included */
#define ADDR_STRLEN  (ADDR_HOSTLEN + 8)		 /* "[host]:port" */

/*
 * Parse a numeric address with an optional port: "192.0.2.1", "192.0.2.1:7",
 * "::1", "[::1]", "[::1]:7", "fe80::1%eth0". *has_port says whether a port was
 * given (it is 0 in A otherwise). Returns 0, or -1 with errno EINVAL.
 */
int addr_parse(const char *s, struct addr *a, int *has_port);

/* Fill A from a kernel sockaddr; IPv4-mapped IPv6 is turned into IPv4. Returns 0 or -1 (EAFNOSUPPORT). */
int addr_from_sockaddr(struct addr *a, const struct sockaddr *sa, socklen_t len);

/* Turn ::ffff:a.b.c.d into a.b.c.d (port kept); other addresses are left alone. */
void addr_unmap(struct addr *a);

/* The port, in host order. */
unsigned addr_port(const struct addr *a);

/* Set the port (host order). */
void addr_set_port(struct addr *a, unsigned port);

/* 1 for 0.0.0.0 and ::, else 0. */
int addr_is_any(const struct addr *a);

/* Numeric host without brackets or port, e.g. "::1". Returns BUF. */
const char *addr_host(const struct addr *a, char *buf, size_t len);

/* "192.0.2.1:7" or "[2001:db8::1]:7". Returns BUF. */
const char *addr_format(const struct addr *a, char *buf, size_t len);

/* 1 when family, address, scope and port are equal, else 0. */
int addr_equal(const struct addr *a, const struct addr *b);

/* 1 when A and B cannot both be bound: equal, or a wildcard and an address of its family on one port. */
int addr_conflict(const struct addr *a, const struct addr *b);

#endif
