/* SPDX-License-Identifier: MIT */
/* addr.c: numeric parsing, formatting, comparison and IPv4-mapped IPv6 handling. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "test.h"
#include "util.h"

/* A parse case: INPUT gives FAMILY, HOST (addr_host), PORT and HAS_PORT; family 0 means invalid. */
struct parse_case {
	const char *input;
	int family;
	const char *host;
	unsigned port;
	int has_port;
};

static const struct parse_case parse_cases[] = {
	{ "192.0.2.1", AF_INET, "192.0.2.1", 0, 0 },
	{ "192.0.2.1:7", AF_INET, "192.0.2.1", 7, 1 },
	{ "0.0.0.0:65535", AF_INET, "0.0.0.0", 65535, 1 },
	{ "127.0.0.1:1", AF_INET, "127.0.0.1", 1, 1 },
	{ "::1", AF_INET6, "::1", 0, 0 },
	{ "::", AF_INET6, "::", 0, 0 },
	{ "[::1]", AF_INET6, "::1", 0, 0 },
	{ "[::1]:7", AF_INET6, "::1", 7, 1 },
	{ "[2001:0db8:0:0::1]:7007", AF_INET6, "2001:db8::1", 7007, 1 },
	/*
	 * More than one colon and no brackets: a bare IPv6 address, never a port.
	 * (glibc's inet_ntop() writes this one, in ::/96, as "::0.1.0.7".)
	 */
	{ "::1:7", AF_INET6, "::0.1.0.7", 0, 0 },
	{ "2001:db8::7", AF_INET6, "2001:db8::7", 0, 0 },
	/* IPv4-mapped IPv6 is stored as IPv4, with brackets too (a valid IPv6 literal). */
	{ "::ffff:192.0.2.1", AF_INET, "192.0.2.1", 0, 0 },
	{ "[::ffff:192.0.2.1]:7", AF_INET, "192.0.2.1", 7, 1 },
	{ "fe80::1%1", AF_INET6, NULL, 0, 0 }, /* host checked in parse_scope() */

	{ "", 0, NULL, 0, 0 },
	{ "1.2.3", 0, NULL, 0, 0 },
	{ "1.2.3.4.5", 0, NULL, 0, 0 },
	{ "256.0.0.1", 0, NULL, 0, 0 },
	{ "localhost", 0, NULL, 0, 0 },
	{ "0x7f.0.0.1", 0, NULL, 0, 0 },
	{ "127.0.0.1 ", 0, NULL, 0, 0 },
	{ "[1.2.3.4]:7", 0, NULL, 0, 0 }, /* brackets are for IPv6 only */
	{ "[1.2.3.4]", 0, NULL, 0, 0 },
	{ "127.0.0.1:0", 0, NULL, 0, 0 },
	{ "127.0.0.1:65536", 0, NULL, 0, 0 },
	{ "127.0.0.1:07", 0, NULL, 0, 0 },
	{ "127.0.0.1:+7", 0, NULL, 0, 0 },
	{ "127.0.0.1:7 ", 0, NULL, 0, 0 },
	{ "127.0.0.1:", 0, NULL, 0, 0 },
	{ "127.0.0.1:99999999999999999999", 0, NULL, 0, 0 },
	{ ":7", 0, NULL, 0, 0 },
	{ "[::1]x", 0, NULL, 0, 0 },
	{ "[::1]:", 0, NULL, 0, 0 },
	{ "[::1]:0", 0, NULL, 0, 0 },
	{ "[::1]:7:8", 0, NULL, 0, 0 },
	{ "[::1]]", 0, NULL, 0, 0 },
	{ "[::1", 0, NULL, 0, 0 },
	{ "::1]", 0, NULL, 0, 0 },
	{ "[]", 0, NULL, 0, 0 },
	{ "[]:7", 0, NULL, 0, 0 },
	{ "[[::1]]", 0, NULL, 0, 0 },
	{ ":::", 0, NULL, 0, 0 },
	{ "1.2.3.4%1", 0, NULL, 0, 0 },
	{ "fe80::1%", 0, NULL, 0, 0 },
	{ "fe80::1%0", 0, NULL, 0, 0 },
	{ "fe80::1%4294967296", 0, NULL, 0, 0 },
	{ "fe80::1%no-such-if0", 0, NULL, 0, 0 },
};

static void parse_table(void)
{
	const struct parse_case *pc;
	char host[ADDR_HOSTLEN];
	struct addr a;
	int has_port, rc;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		pc = &parse_cases[i];
		has_port = 42;
		errno = 0;
		rc = addr_parse(pc->input, &a, &has_port);
		if (!pc->family) {
			if (!CHECK(rc == -1 && errno == EINVAL && has_port == 0))
				test_note("\"%s\" was accepted", pc->input);
			continue;
		}
		if (!CHECK(rc == 0)) {
			test_note("\"%s\" was rejected", pc->input);
			continue;
		}
		if (!CHECK(a.u.sa.sa_family == pc->family && has_port == pc->has_port &&
			   addr_port(&a) == pc->port))
			test_note("\"%s\": family %d has_port %d port %u", pc->input,
				  a.u.sa.sa_family, has_port, addr_port(&a));
		CHECK(a.len == (pc->family == AF_INET ? sizeof(struct sockaddr_in) :
							sizeof(struct sockaddr_in6)));
		if (pc->host && !CHECK(strcmp(addr_host(&a, host, sizeof(host)), pc->host) == 0))
			test_note("\"%s\": host \"%s\", want \"%s\"", pc->input, host, pc->host);
	}
}

/* "::1:7" is the address ::1:7, not ::1 port 7. */
static void parse_v6_no_port(void)
{
	struct in6_addr want;
	struct addr a;
	int has_port;

	REQUIRE(inet_pton(AF_INET6, "::1:7", &want) == 1);
	REQUIRE(addr_parse("::1:7", &a, &has_port) == 0);
	CHECK(!has_port && addr_port(&a) == 0);
	CHECK(a.u.sa.sa_family == AF_INET6 && IN6_ARE_ADDR_EQUAL(&a.u.in6.sin6_addr, &want));
}

/* Input longer than any address must be refused, not overflow a buffer. */
static void parse_long(void)
{
	char buf[512];
	struct addr a;
	int has_port;

	memset(buf, '1', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	CHECK(addr_parse(buf, &a, &has_port) == -1);
	buf[0] = '[';
	buf[300] = ']';
	buf[301] = '\0';
	CHECK(addr_parse(buf, &a, &has_port) == -1);
	memset(buf, ':', sizeof(buf) - 1);
	CHECK(addr_parse(buf, &a, &has_port) == -1);
	snprintf(buf, sizeof(buf), "fe80::1%%%0200d", 1);
	CHECK(addr_parse(buf, &a, &has_port) == -1);
}

static void parse_scope(void)
{
	char want[ADDR_STRLEN], buf[ADDR_STRLEN], ifname[IF_NAMESIZE];
	struct addr a, b;
	int has_port;

	REQUIRE(addr_parse("fe80::1%1", &a, &has_port) == 0);
	CHECK(a.u.sa.sa_family == AF_INET6 && a.u.in6.sin6_scope_id == 1 && !has_port);
	REQUIRE(addr_parse("[fe80::1%1]:7", &b, &has_port) == 0);
	CHECK(b.u.in6.sin6_scope_id == 1 && has_port && addr_port(&b) == 7);

	/* Formatted with the interface's name when it has one (index 1 is lo on Linux). */
	if (if_indextoname(1, ifname))
		snprintf(want, sizeof(want), "[fe80::1%%%s]:7", ifname);
	else
		snprintf(want, sizeof(want), "[fe80::1%%1]:7");
	CHECK(strcmp(addr_format(&b, buf, sizeof(buf)), want) == 0);

	/* A name is turned into its index. */
	if (if_indextoname(1, ifname)) {
		snprintf(buf, sizeof(buf), "fe80::1%%%s", ifname);
		REQUIRE(addr_parse(buf, &b, &has_port) == 0);
		CHECK(b.u.in6.sin6_scope_id == 1);
		CHECK(addr_equal(&a, &b));
	}

	/* Same address on another link is another address. */
	b = a;
	b.u.in6.sin6_scope_id = 2;
	CHECK(!addr_equal(&a, &b));
	CHECK(!addr_conflict(&a, &b));
}

static void format(void)
{
	char buf[ADDR_STRLEN], host[ADDR_HOSTLEN];
	struct addr a;
	int has_port;

	REQUIRE(addr_parse("::1", &a, &has_port) == 0);
	addr_set_port(&a, 7);
	CHECK(strcmp(addr_format(&a, buf, sizeof(buf)), "[::1]:7") == 0);
	CHECK(addr_host(&a, host, sizeof(host)) == host);
	CHECK(strcmp(host, "::1") == 0);

	REQUIRE(addr_parse("1.2.3.4", &a, &has_port) == 0);
	addr_set_port(&a, 7);
	CHECK(strcmp(addr_format(&a, buf, sizeof(buf)), "1.2.3.4:7") == 0);
	CHECK(strcmp(addr_host(&a, host, sizeof(host)), "1.2.3.4") == 0);

	REQUIRE(addr_parse("[2001:db8:0:0:0:0:0:1]:65535", &a, &has_port) == 0);
	CHECK(strcmp(addr_format(&a, buf, sizeof(buf)), "[2001:db8::1]:65535") == 0);

	/* The longest address and port fit ADDR_STRLEN. */
	REQUIRE(addr_parse("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535", &a,
			   &has_port) == 0);
	CHECK(strlen(addr_format(&a, buf, sizeof(buf))) < sizeof(buf));
	CHECK(strcmp(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535") == 0);
}

static void port_and_any(void)
{
	struct addr a;
	int has_port;

	REQUIRE(addr_parse("[::1]:7", &a, &has_port) == 0);
	CHECK(addr_port(&a) == 7 && ntohs(a.u.in6.sin6_port) == 7);
	addr_set_port(&a, 65535);
	CHECK(addr_port(&a) == 65535);
	CHECK(!addr_is_any(&a));

	REQUIRE(addr_parse("192.0.2.1", &a, &has_port) == 0);
	addr_set_port(&a, 7007);
	CHECK(addr_port(&a) == 7007 && ntohs(a.u.in4.sin_port) == 7007);
	CHECK(!addr_is_any(&a));

	REQUIRE(addr_parse("0.0.0.0", &a, &has_port) == 0);
	CHECK(addr_is_any(&a));
	REQUIRE(addr_parse("::", &a, &has_port) == 0);
	CHECK(addr_is_any(&a));
	REQUIRE(addr_parse("[::]:7", &a, &has_port) == 0);
	CHECK(addr_is_any(&a));
	/* ::ffff:0.0.0.0 is IPv4 once unmapped, so it is the IPv4 wildcard. */
	REQUIRE(addr_parse("::ffff:0.0.0.0", &a, &has_port) == 0);
	CHECK(a.u.sa.sa_family == AF_INET && addr_is_any(&a));
}

/* Parse S with port PORT, for the comparison cases. */
static struct addr mk(const char *s, unsigned port)
{
	struct addr a;
	int has_port;

	memset(&a, 0, sizeof(a));
	if (addr_parse(s, &a, &has_port) < 0)
		test_bail("bad address in a test");
	addr_set_port(&a, port);
	return a;
}

static void equal(void)
{
	struct addr a = mk("127.0.0.1", 7), b;

	b = mk("127.0.0.1", 7);
	CHECK(addr_equal(&a, &b));
	b = mk("127.0.0.1", 8);
	CHECK(!addr_equal(&a, &b));
	b = mk("127.0.0.2", 7);
	CHECK(!addr_equal(&a, &b));
	b = mk("::ffff:127.0.0.1", 7);
	CHECK(addr_equal(&a, &b));
	b = mk("::1", 7);
	CHECK(!addr_equal(&a, &b));
	a = mk("::1", 7);
	b = mk("0:0:0:0:0:0:0:1", 7);
	CHECK(addr_equal(&a, &b));
	b = mk("::2", 7);
	CHECK(!addr_equal(&a, &b));
}

static void conflict(void)
{
	struct addr a, b;

	a = mk("127.0.0.1", 7);
	b = mk("127.0.0.1", 7);
	CHECK(addr_conflict(&a, &b));
	b = mk("127.0.0.1", 8);
	CHECK(!addr_conflict(&a, &b));
	b = mk("127.0.0.2", 7);
	CHECK(!addr_conflict(&a, &b));

	/* A wildcard takes every address of its family on its port, in either order. */
	b = mk("0.0.0.0", 7);
	CHECK(addr_conflict(&a, &b));
	CHECK(addr_conflict(&b, &a));
	CHECK(addr_conflict(&b, &b));
	a = mk("127.0.0.1", 8);
	CHECK(!addr_conflict(&a, &b));

	a = mk("::1", 7);
	b = mk("::", 7);
	CHECK(addr_conflict(&a, &b));
	CHECK(addr_conflict(&b, &a));
	b = mk("::", 8);
	CHECK(!addr_conflict(&a, &b));

	/* IPv6 sockets are v6only: the two wildcards, and IPv4 vs ::, coexist. */
	a = mk("0.0.0.0", 7);
	b = mk("::", 7);
	CHECK(!addr_conflict(&a, &b));
	CHECK(!addr_conflict(&b, &a));
	a = mk("127.0.0.1", 7);
	CHECK(!addr_conflict(&a, &b));
	/* ...but a mapped address is IPv4, so 0.0.0.0 does take it. */
	a = mk("::ffff:127.0.0.1", 7);
	b = mk("0.0.0.0", 7);
	CHECK(addr_conflict(&a, &b));
}

static void from_sockaddr(void)
{
	struct sockaddr_in6 in6;
	struct sockaddr_in in4;
	struct sockaddr_un un;
	char buf[ADDR_STRLEN];
	struct addr a;

	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(7007);
	REQUIRE(inet_pton(AF_INET6, "::ffff:192.0.2.1", &in6.sin6_addr) == 1);
	REQUIRE(addr_from_sockaddr(&a, (struct sockaddr *)&in6, sizeof(in6)) == 0);
	CHECK(a.u.sa.sa_family == AF_INET);
	CHECK(a.len == sizeof(struct sockaddr_in));
	CHECK(strcmp(addr_format(&a, buf, sizeof(buf)), "192.0.2.1:7007") == 0);

	REQUIRE(inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr) == 1);
	REQUIRE(addr_from_sockaddr(&a, (struct sockaddr *)&in6, sizeof(in6)) == 0);
	CHECK(a.u.sa.sa_family == AF_INET6 && a.len == sizeof(struct sockaddr_in6));
	CHECK(strcmp(addr_format(&a, buf, sizeof(buf)), "[2001:db8::1]:7007") == 0);

	memset(&in4, 0, sizeof(in4));
	in4.sin_family = AF_INET;
	in4.sin_port = htons(7);
	in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(addr_from_sockaddr(&a, (struct sockaddr *)&in4, sizeof(in4)) == 0);
	CHECK(strcmp(addr_format(&a, buf, sizeof(buf)), "127.0.0.1:7") == 0);

	/* A short length or another family is refused. */
	errno = 0;
	CHECK(addr_from_sockaddr(&a, (struct sockaddr *)&in4, sizeof(in4) - 1) == -1);
	CHECK(errno == EAFNOSUPPORT);
	CHECK(addr_from_sockaddr(&a, (struct sockaddr *)&in6, sizeof(struct sockaddr_in)) == -1);
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	errno = 0;
	CHECK(addr_from_sockaddr(&a, (struct sockaddr *)&un, sizeof(un)) == -1);
	CHECK(errno == EAFNOSUPPORT);
}

static void unmap(void)
{
	char buf[ADDR_STRLEN];
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.u.in6.sin6_family = AF_INET6;
	a.u.in6.sin6_port = htons(9);
	a.len = sizeof(a.u.in6);
	REQUIRE(inet_pton(AF_INET6, "::ffff:10.0.0.1", &a.u.in6.sin6_addr) == 1);
	addr_unmap(&a);
	CHECK(a.u.sa.sa_family == AF_INET && a.len == sizeof(struct sockaddr_in));
	CHECK(strcmp(addr_format(&a, buf, sizeof(buf)), "10.0.0.1:9") == 0);
	/* Already IPv4, or plain IPv6: untouched. */
	addr_unmap(&a);
	CHECK(strcmp(addr_format(&a, buf, sizeof(buf)), "10.0.0.1:9") == 0);
	a = mk("::1", 9);
	addr_unmap(&a);
	CHECK(strcmp(addr_format(&a, buf, sizeof(buf)), "[::1]:9") == 0);
}

int main(void)
{
	TEST_RUN(parse_table);
	TEST_RUN(parse_v6_no_port);
	TEST_RUN(parse_long);
	TEST_RUN(parse_scope);
	TEST_RUN(format);
	TEST_RUN(port_and_any);
	TEST_RUN(equal);
	TEST_RUN(conflict);
	TEST_RUN(from_sockaddr);
	TEST_RUN(unmap);
	return test_summary();
}
