/* SPDX-License-Identifier: MIT */
/* Numeric socket addresses: parse, format, compare; IPv4-mapped IPv6 becomes IPv4. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse a decimal port 1..65535 with no sign, no leading zero, nothing after it. */
static int parse_port(const char *s, unsigned *port)
{
	unsigned long v = 0;

	if (*s < '1' || *s > '9')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -1;
	}
	*port = (unsigned)v;
	return 0;
}

/* "fe80::1%eth0" or "fe80::1%2": interface name or index after the '%'. */
static int parse_scope(const char *s, uint32_t *scope)
{
	char *end;
	unsigned long v;

	if (!*s)
		return -1;
	if (*s >= '0' && *s <= '9') {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || *end || v == 0 || v > UINT32_MAX)
			return -1;
		*scope = (uint32_t)v;
		return 0;
	}
	*scope = if_nametoindex(s);
	return *scope ? 0 : -1;
}

static int parse_host(const char *host, struct addr *a)
{
	char buf[ADDR_HOSTLEN];
	char *pct;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, &a->u.in4.sin_addr) == 1) {
		a->u.in4.sin_family = AF_INET;
		a->len = sizeof(a->u.in4);
		return 0;
	}
	if (strlen(host) >= sizeof(buf))
		return -1;
	strcpy(buf, host);
	pct = strchr(buf, '%');
	if (pct)
		*pct++ = '\0';
	if (inet_pton(AF_INET6, buf, &a->u.in6.sin6_addr) != 1)
		return -1;
	if (pct && parse_scope(pct, &a->u.in6.sin6_scope_id) < 0)
		return -1;
	a->u.in6.sin6_family = AF_INET6;
	a->len = sizeof(a->u.in6);
	addr_unmap(a);
	return 0;
}

int addr_parse(const char *s, struct addr *a, int *has_port)
{
	char host[ADDR_HOSTLEN];
	const char *colon, *end;
	unsigned port = 0;
	size_t n;

	*has_port = 0;
	if (s[0] == '[') {
		/* "[v6]" or "[v6]:port": the brackets are only for IPv6. */
		end = strchr(s, ']');
		if (!end)
			goto fail;
		n = (size_t)(end - s - 1);
		if (n == 0 || n >= sizeof(host))
			goto fail;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (end[1] == ':') {
			if (parse_port(end + 2, &port) < 0)
				goto fail;
			*has_port = 1;
		} else if (end[1] != '\0') {
			goto fail;
		}
		/* Brackets hold IPv6 only; a mapped address may still turn into IPv4. */
		if (!strchr(host, ':') || parse_host(host, a) < 0)
			goto fail;
	} else {
		/* One colon: "a.b.c.d:port". More: a bare IPv6 address, no port. */
		colon = strchr(s, ':');
		if (colon && !strchr(colon + 1, ':')) {
			n = (size_t)(colon - s);
			if (n == 0 || n >= sizeof(host))
				goto fail;
			memcpy(host, s, n);
			host[n] = '\0';
			if (parse_port(colon + 1, &port) < 0)
				goto fail;
			if (parse_host(host, a) < 0 || a->u.sa.sa_family != AF_INET)
				goto fail;
			*has_port = 1;
		} else if (parse_host(s, a) < 0) {
			goto fail;
		}
	}
	addr_set_port(a, port);
	return 0;
fail:
	*has_port = 0;
	errno = EINVAL;
	return -1;
}

void addr_unmap(struct addr *a)
{
	struct sockaddr_in in4;

	if (a->u.sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&a->u.in6.sin6_addr))
		return;
	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	in4.sin_port = a->u.in6.sin6_port;
	memcpy(&in4.sin_addr, &a->u.in6.sin6_addr.s6_addr[12], 4);
	memset(&a->u, 0, sizeof(a->u));
	a->u.in4 = in4;
	a->len = sizeof(in4);
}

int addr_from_sockaddr(struct addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if ((sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) ||
	    (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))) {
		a->len = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
						    sizeof(struct sockaddr_in6);
		memcpy(&a->u, sa, a->len);
		addr_unmap(a);
		return 0;
	}
	errno = EAFNOSUPPORT;
	return -1;
}

unsigned addr_port(const struct addr *a)
{
	return ntohs(a->u.sa.sa_family == AF_INET ? a->u.in4.sin_port : a->u.in6.sin6_port);
}

void addr_set_port(struct addr *a, unsigned port)
{
	if (a->u.sa.sa_family == AF_INET)
		a->u.in4.sin_port = htons((uint16_t)port);
	else
		a->u.in6.sin6_port = htons((uint16_t)port);
}

int addr_is_any(const struct addr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in4.sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&a->u.in6.sin6_addr);
}

const char *addr_host(const struct addr *a, char *buf, size_t len)
{
	char ifname[IF_NAMESIZE];
	size_t n;

	if (a->u.sa.sa_family == AF_INET) {
		if (!inet_ntop(AF_INET, &a->u.in4.sin_addr, buf, (socklen_t)len))
			snprintf(buf, len, "?");
		return buf;
	}
	if (!inet_ntop(AF_INET6, &a->u.in6.sin6_addr, buf, (socklen_t)len)) {
		snprintf(buf, len, "?");
		return buf;
	}
	if (a->u.in6.sin6_scope_id) {
		n = strlen(buf);
		if (if_indextoname(a->u.in6.sin6_scope_id, ifname))
			snprintf(buf + n, len - n, "%%%s", ifname);
		else
			snprintf(buf + n, len - n, "%%%u", (unsigned)a->u.in6.sin6_scope_id);
	}
	return buf;
}

const char *addr_format(const struct addr *a, char *buf, size_t len)
{
	char host[ADDR_HOSTLEN];

	addr_host(a, host, sizeof(host));
	if (a->u.sa.sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host, addr_port(a));
	else
		snprintf(buf, len, "%s:%u", host, addr_port(a));
	return buf;
}

int addr_equal(const struct addr *a, const struct addr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family || addr_port(a) != addr_port(b))
		return 0;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
	return IN6_ARE_ADDR_EQUAL(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr) &&
	       a->u.in6.sin6_scope_id == b->u.in6.sin6_scope_id;
}

int addr_conflict(const struct addr *a, const struct addr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family || addr_port(a) != addr_port(b))
		return 0;
	return addr_equal(a, b) || addr_is_any(a) || addr_is_any(b);
}
