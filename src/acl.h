/* SPDX-License-Identifier: MIT */
/* CIDR blocks: parse, match, and the allow/deny decision. */
#ifndef ACCEPTD_ACL_H
#define ACCEPTD_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* An address block: FAMILY's first PREFIX bits of ADDR (IPv4 in the first 4 bytes). */
struct cidr {
	int family;
	unsigned prefix;
	uint8_t addr[16];
};

/*
 * Parse "192.0.2.0/24", "2001:db8::/32" or a single address ("192.0.2.1",
 * a /32 or /128). IPv4-mapped blocks (::ffff:192.0.2.0/120) become IPv4.
 * Host bits must be zero, so a typo cannot widen or narrow a rule. Returns
 * 0, or -1 with errno EINVAL (malformed) or EDOM (host bits set).
 */
int acl_parse(const char *s, struct cidr *c);

/* "192.0.2.0/24": BUF, at least ADDR_HOSTLEN + 4 bytes. */
const char *acl_format(const struct cidr *c, char *buf, size_t len);

/* 1 when A (IPv4-mapped already unmapped) lies in one of the N blocks, else 0. */
int acl_match(const struct cidr *v, size_t n, const struct addr *a);

/* Deny wins; with a non-empty allow list, anything not in it is denied. 1: permitted. */
int acl_permit(const struct cidr *allow, size_t nallow, const struct cidr *deny, size_t ndeny,
	       const struct addr *a);

#endif
