/* SPDX-License-Identifier: MIT */
/* CIDR blocks: parse, match, and the allow/deny decision. */
#include "acl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The address bytes of A as acl compares them, or NULL for another family. */
static const uint8_t *addr_bytes(const struct addr *a, int *family)
{
	*family = a->u.sa.sa_family;
	if (*family == AF_INET)
		return (const uint8_t *)&a->u.in4.sin_addr;
	if (*family == AF_INET6)
		return a->u.in6.sin6_addr.s6_addr;
	return NULL;
}

static int prefix_match(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned bytes = prefix / 8, bits = prefix % 8;

	if (memcmp(a, b, bytes) != 0)
		return 0;
	if (bits == 0)
		return 1;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

static int host_bits_zero(const uint8_t *a, unsigned prefix, unsigned max)
{
	unsigned i;

	for (i = prefix; i < max; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

int acl_parse(const char *s, struct cidr *c)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	unsigned long prefix = 0, max;
	const char *p;
	size_t n;

	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(host))
		goto inval;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		goto inval;
	}
	if (slash) {
		/* Decimal, no sign, no leading zero, in range. */
		p = slash + 1;
		if (!*p || (*p == '0' && p[1]) || strspn(p, "0123456789") != strlen(p) ||
		    strlen(p) > 3)
			goto inval;
		for (; *p; p++)
			prefix = prefix * 10 + (unsigned long)(*p - '0');
		if (prefix > max)
			goto inval;
	} else {
		prefix = max;
	}
	c->prefix = (unsigned)prefix;
	/* Host bits set: "10.0.0.1/8" is a typo for something; refuse to guess. */
	if (!host_bits_zero(c->addr, c->prefix, (unsigned)max)) {
		errno = EDOM;
		return -1;
	}
	/* ::ffff:0:0/96 and narrower are IPv4 blocks: peers are matched as IPv4. */
	if (c->family == AF_INET6 && c->prefix >= 96 &&
	    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)c->addr)) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = AF_INET;
		c->prefix -= 96;
	}
	return 0;
inval:
	errno = EINVAL;
	return -1;
}

const char *acl_format(const struct cidr *c, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, host, sizeof(host)))
		snprintf(host, sizeof(host), "?");
	snprintf(buf, len, "%s/%u", host, c->prefix);
	return buf;
}

int acl_match(const struct cidr *v, size_t n, const struct addr *a)
{
	const uint8_t *bytes;
	int family;
	size_t i;

	bytes = addr_bytes(a, &family);
	if (!bytes)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i].family == family && prefix_match(v[i].addr, bytes, v[i].prefix))
			return 1;
	return 0;
}

int acl_permit(const struct cidr *allow, size_t nallow, const struct cidr *deny, size_t ndeny,
	       const struct addr *a)
{
	if (acl_match(deny, ndeny, a))
		return 0;
	return nallow == 0 || acl_match(allow, nallow, a);
}
