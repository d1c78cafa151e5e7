/* SPDX-License-Identifier: MIT */
/* acl.c: CIDR parsing (every malformed form), matching against a bitwise model, allow/deny. */
#include "acl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util.h"

/* A parse case: INPUT gives ERR (0, EINVAL or EDOM); when 0, FAMILY, PREFIX and acl_format() TEXT. */
struct parse_case {
	const char *input;
	int err;
	int family;
	unsigned prefix;
	const char *text;
};

static const struct parse_case parse_cases[] = {
	/* IPv4 blocks, and a single address as a /32. */
	{ "192.0.2.0/24", 0, AF_INET, 24, "192.0.2.0/24" },
	{ "192.0.2.128/25", 0, AF_INET, 25, "192.0.2.128/25" },
	{ "10.0.0.0/8", 0, AF_INET, 8, "10.0.0.0/8" },
	{ "128.0.0.0/1", 0, AF_INET, 1, "128.0.0.0/1" },
	{ "0.0.0.0/0", 0, AF_INET, 0, "0.0.0.0/0" },
	{ "192.0.2.1", 0, AF_INET, 32, "192.0.2.1/32" },
	{ "192.0.2.1/32", 0, AF_INET, 32, "192.0.2.1/32" },
	{ "255.255.255.255/32", 0, AF_INET, 32, "255.255.255.255/32" },
	{ "0.0.0.0", 0, AF_INET, 32, "0.0.0.0/32" },
	/* IPv6 blocks, and a single address as a /128. */
	{ "2001:db8::/32", 0, AF_INET6, 32, "2001:db8::/32" },
	{ "2001:0db8:0000::/48", 0, AF_INET6, 48, "2001:db8::/48" },
	{ "2001:db8::/33", 0, AF_INET6, 33, "2001:db8::/33" },
	{ "fe80::/10", 0, AF_INET6, 10, "fe80::/10" },
	{ "::/0", 0, AF_INET6, 0, "::/0" },
	{ "::1", 0, AF_INET6, 128, "::1/128" },
	{ "2001:db8::1/128", 0, AF_INET6, 128, "2001:db8::1/128" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 0, AF_INET6, 128,
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128" },
	/* ::/96 is not IPv4-mapped (::ffff:0:0/96 is): it stays IPv6. */
	{ "::/96", 0, AF_INET6, 96, "::/96" },
	/* IPv4-mapped blocks are IPv4 blocks: 96 bits fewer. */
	{ "::ffff:10.0.0.0/104", 0, AF_INET, 8, "10.0.0.0/8" },
	{ "::ffff:192.0.2.0/120", 0, AF_INET, 24, "192.0.2.0/24" },
	{ "::ffff:192.0.2.1", 0, AF_INET, 32, "192.0.2.1/32" },
	{ "::ffff:192.0.2.1/128", 0, AF_INET, 32, "192.0.2.1/32" },
	{ "::ffff:0.0.0.0/96", 0, AF_INET, 0, "0.0.0.0/0" },
	{ "::ffff:0:0/96", 0, AF_INET, 0, "0.0.0.0/0" },
	{ "::FFFF:7F00:0/104", 0, AF_INET, 8, "127.0.0.0/8" },

	/* Host bits after the prefix: a typo, never silently widened or narrowed. */
	{ "10.0.0.1/8", EDOM, 0, 0, NULL },
	{ "192.0.2.1/24", EDOM, 0, 0, NULL },
	{ "192.0.2.129/25", EDOM, 0, 0, NULL },
	{ "192.0.2.1/31", EDOM, 0, 0, NULL },
	{ "1.0.0.0/7", EDOM, 0, 0, NULL },
	{ "0.0.0.1/0", EDOM, 0, 0, NULL },
	{ "128.0.0.0/0", EDOM, 0, 0, NULL },
	{ "255.255.255.255/31", EDOM, 0, 0, NULL },
	{ "2001:db8::1/32", EDOM, 0, 0, NULL },
	{ "2001:db8:8000::/32", EDOM, 0, 0, NULL },
	{ "::1/127", EDOM, 0, 0, NULL },
	{ "::1/0", EDOM, 0, 0, NULL },
	{ "fe80::1/10", EDOM, 0, 0, NULL },
	{ "::ffff:10.0.0.1/104", EDOM, 0, 0, NULL },
	{ "::ffff:0:0/95", EDOM, 0, 0, NULL }, /* bit 95 is one of the ffff */

	/* Malformed. */
	{ "", EINVAL, 0, 0, NULL },
	{ "/", EINVAL, 0, 0, NULL },
	{ "/24", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/33", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/99", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/128", EINVAL, 0, 0, NULL },
	{ "2001:db8::/129", EINVAL, 0, 0, NULL },
	{ "2001:db8::/1000", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/4294967320", EINVAL, 0, 0, NULL },		  /* 2^32 + 24 */
	{ "192.0.2.0/18446744073709551640", EINVAL, 0, 0, NULL }, /* 2^64 + 24 */
	/* Leading zeros in the prefix length. */
	{ "192.0.2.0/024", EINVAL, 0, 0, NULL },
	{ "192.0.2.1/032", EINVAL, 0, 0, NULL },
	{ "0.0.0.0/00", EINVAL, 0, 0, NULL },
	{ "2001:db8::/032", EINVAL, 0, 0, NULL },
	{ "::1/0128", EINVAL, 0, 0, NULL },
	/* Signs, blanks, other bases, extra parts. */
	{ "192.0.2.0/+24", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/-24", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/ 24", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/24 ", EINVAL, 0, 0, NULL },
	{ " 192.0.2.0/24", EINVAL, 0, 0, NULL },
	{ "192.0.2.0 /24", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/0x18", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/24x", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/24/24", EINVAL, 0, 0, NULL },
	{ "192.0.2.0//24", EINVAL, 0, 0, NULL },
	{ "192.0.2.0/2.4", EINVAL, 0, 0, NULL },
	/* Addresses glibc or a careless parser might take. */
	{ "192.0.2/24", EINVAL, 0, 0, NULL },
	{ "192.0.2.0.0/24", EINVAL, 0, 0, NULL },
	{ "256.0.0.0/8", EINVAL, 0, 0, NULL },
	{ "010.0.0.0/8", EINVAL, 0, 0, NULL },
	{ "0x0a.0.0.0/8", EINVAL, 0, 0, NULL },
	{ "10/8", EINVAL, 0, 0, NULL },
	{ "localhost", EINVAL, 0, 0, NULL },
	{ "192.0.2.1:80", EINVAL, 0, 0, NULL },
	{ "[::1]", EINVAL, 0, 0, NULL },
	{ "[::1]/128", EINVAL, 0, 0, NULL },
	{ "[2001:db8::]/32", EINVAL, 0, 0, NULL },
	{ "2001:db8:::/32", EINVAL, 0, 0, NULL },
	{ "1::2::3", EINVAL, 0, 0, NULL },
	{ "00001::/16", EINVAL, 0, 0, NULL },
	{ "::ffff:01.2.3.4", EINVAL, 0, 0, NULL },
	{ "fe80::1%1", EINVAL, 0, 0, NULL },
	{ "fe80::%lo/64", EINVAL, 0, 0, NULL },
	{ "*", EINVAL, 0, 0, NULL },
	{ "any", EINVAL, 0, 0, NULL },
};

static void parse_table(void)
{
	const struct parse_case *pc;
	char buf[ADDR_HOSTLEN + 4];
	struct cidr c;
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		pc = &parse_cases[i];
		memset(&c, 0x5a, sizeof(c));
		errno = 0;
		rc = acl_parse(pc->input, &c);
		if (pc->err) {
			if (!CHECK(rc == -1 && errno == pc->err))
				test_note("\"%s\": rc %d errno %d (%s), want -1 and %s", pc->input,
					  rc, errno, strerror(errno),
					  pc->err == EDOM ? "EDOM" : "EINVAL");
			continue;
		}
		if (!CHECK(rc == 0)) {
			test_note("\"%s\" was rejected: %s", pc->input, strerror(errno));
			continue;
		}
		if (!CHECK(c.family == pc->family && c.prefix == pc->prefix))
			test_note("\"%s\": family %d prefix %u, want %d and %u", pc->input,
				  c.family, c.prefix, pc->family, pc->prefix);
		acl_format(&c, buf, sizeof(buf));
		if (!CHECK(strcmp(buf, pc->text) == 0))
			test_note("\"%s\" formats as \"%s\", want \"%s\"", pc->input, buf,
				  pc->text);
		/* What acl_format() prints parses back to the same block. */
		{
			struct cidr again;

			if (!CHECK(acl_parse(buf, &again) == 0 && again.family == c.family &&
				   again.prefix == c.prefix &&
				   memcmp(again.addr, c.addr, sizeof(c.addr)) == 0))
				test_note("\"%s\" does not parse back to itself", buf);
		}
		/* The bytes beyond the family's size are zero: IPv4 in the first 4. */
		if (c.family == AF_INET) {
			static const uint8_t zero[12];

			CHECK(memcmp(c.addr + 4, zero, sizeof(zero)) == 0);
		}
	}
}

/* Every prefix length, in both families: accepted up to the maximum, refused above. */
static void parse_every_prefix(void)
{
	char buf[64];
	struct cidr c;
	unsigned p;

	for (p = 0; p <= 40; p++) {
		snprintf(buf, sizeof(buf), "0.0.0.0/%u", p);
		if (!CHECK((acl_parse(buf, &c) == 0) == (p <= 32)))
			test_note("\"%s\"", buf);
		else if (p <= 32)
			CHECK(c.family == AF_INET && c.prefix == p);
	}
	for (p = 0; p <= 140; p++) {
		snprintf(buf, sizeof(buf), "::/%u", p);
		if (!CHECK((acl_parse(buf, &c) == 0) == (p <= 128)))
			test_note("\"%s\"", buf);
		else if (p <= 128)
			CHECK(c.family == AF_INET6 && c.prefix == p);
	}
	/* The last allowed host bit, and the first forbidden one, at every length. */
	for (p = 1; p <= 32; p++) {
		uint32_t v = 1u << (32 - p);

		snprintf(buf, sizeof(buf), "%u.%u.%u.%u/%u", v >> 24, (v >> 16) & 255,
			 (v >> 8) & 255, v & 255, p);
		if (!CHECK(acl_parse(buf, &c) == 0))
			test_note("\"%s\" (lowest network bit) rejected", buf);
		if (p < 32) {
			v >>= 1;
			snprintf(buf, sizeof(buf), "%u.%u.%u.%u/%u", v >> 24, (v >> 16) & 255,
				 (v >> 8) & 255, v & 255, p);
			errno = 0;
			if (!CHECK(acl_parse(buf, &c) == -1 && errno == EDOM))
				test_note("\"%s\" (highest host bit) not EDOM", buf);
		}
	}
}

/* A string longer than any address is refused, without overflowing anything. */
static void parse_long(void)
{
	char buf[600];
	struct cidr c;

	memset(buf, '1', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	errno = 0;
	CHECK(acl_parse(buf, &c) == -1 && errno == EINVAL);
	memset(buf, ':', sizeof(buf) - 1);
	CHECK(acl_parse(buf, &c) == -1 && errno == EINVAL);
	snprintf(buf, sizeof(buf), "%0300d/8", 10);
	CHECK(acl_parse(buf, &c) == -1 && errno == EINVAL);
	snprintf(buf, sizeof(buf), "10.0.0.0/%0300d", 8);
	CHECK(acl_parse(buf, &c) == -1 && errno == EINVAL);
	/* The longest textual IPv6 address with a prefix still parses. */
	CHECK(acl_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", &c) == 0);
	CHECK(c.family == AF_INET6 && c.prefix == 128);
}

/* Parse S into a block; the test's own data, so a failure is a harness error. */
static struct cidr blk(const char *s)
{
	struct cidr c;

	if (acl_parse(s, &c) < 0) {
		fprintf(stderr, "bad block in a test: %s\n", s);
		test_bail("bad block in a test");
	}
	return c;
}

/* A peer address as the parent sees it after accept (IPv4-mapped already unmapped). */
static struct addr peer(const char *s)
{
	struct addr a;
	int has_port;

	memset(&a, 0, sizeof(a));
	if (addr_parse(s, &a, &has_port) < 0) {
		fprintf(stderr, "bad address in a test: %s\n", s);
		test_bail("bad address in a test");
	}
	addr_set_port(&a, 40000);
	return a;
}

/* What the kernel hands a dual-stack "::" listener for an IPv4 client, turned into a peer. */
static struct addr mapped_peer(const char *v4)
{
	struct sockaddr_in6 in6;
	char buf[64];
	struct addr a;

	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(40000);
	snprintf(buf, sizeof(buf), "::ffff:%s", v4);
	if (inet_pton(AF_INET6, buf, &in6.sin6_addr) != 1 ||
	    addr_from_sockaddr(&a, (struct sockaddr *)&in6, sizeof(in6)) < 0)
		test_bail("cannot build a mapped peer");
	return a;
}

struct match_case {
	const char *block;
	const char *addr;
	int match;
};

static const struct match_case match_cases[] = {
	{ "192.0.2.0/24", "192.0.2.0", 1 },
	{ "192.0.2.0/24", "192.0.2.1", 1 },
	{ "192.0.2.0/24", "192.0.2.255", 1 },
	{ "192.0.2.0/24", "192.0.3.0", 0 },
	{ "192.0.2.0/24", "192.0.1.255", 0 },
	{ "192.0.2.0/24", "::ffff:192.0.2.7", 1 }, /* parsed, so unmapped */
	{ "192.0.2.0/24", "::192.0.2.7", 0 },	   /* IPv4-compatible: real IPv6 */
	{ "192.0.2.0/24", "2001:db8::1", 0 },
	{ "192.0.2.128/25", "192.0.2.128", 1 },
	{ "192.0.2.128/25", "192.0.2.255", 1 },
	{ "192.0.2.128/25", "192.0.2.127", 0 },
	{ "127.0.0.2/31", "127.0.0.2", 1 },
	{ "127.0.0.2/31", "127.0.0.3", 1 },
	{ "127.0.0.2/31", "127.0.0.4", 0 },
	{ "127.0.0.2/31", "127.0.0.1", 0 },
	{ "127.0.0.2", "127.0.0.2", 1 },
	{ "127.0.0.2", "127.0.0.3", 0 },
	{ "0.0.0.0/0", "0.0.0.0", 1 },
	{ "0.0.0.0/0", "255.255.255.255", 1 },
	{ "0.0.0.0/0", "::1", 0 },
	{ "0.0.0.0/0", "::", 0 },
	{ "::/0", "::1", 1 },
	{ "::/0", "2001:db8::1", 1 },
	{ "::/0", "127.0.0.1", 0 },
	/* ::/0 holds ::ffff:0:0/96 on paper, but a mapped peer is IPv4 here. */
	{ "::/0", "::ffff:127.0.0.1", 0 },
	{ "::ffff:127.0.0.0/104", "127.0.0.1", 1 },
	{ "::ffff:127.0.0.0/104", "::ffff:127.9.9.9", 1 },
	{ "::ffff:127.0.0.0/104", "128.0.0.1", 0 },
	{ "2001:db8::/32", "2001:db8::", 1 },
	{ "2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "2001:db8::/32", "2001:db9::", 0 },
	{ "2001:db8::/32", "2001:db7:ffff::", 0 },
	{ "2001:db8::/33", "2001:db8:7fff::1", 1 },
	{ "2001:db8::/33", "2001:db8:8000::", 0 },
	{ "fe80::/10", "febf::1", 1 },
	{ "fe80::/10", "fec0::1", 0 },
	{ "::1", "::1", 1 },
	{ "::1", "::2", 0 },
	{ "::1", "127.0.0.1", 0 },
	{ "::/96", "::192.0.2.1", 1 },
	{ "::/96", "192.0.2.1", 0 },
};

static void match_table(void)
{
	const struct match_case *mc;
	struct cidr c;
	struct addr a;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(match_cases); i++) {
		mc = &match_cases[i];
		c = blk(mc->block);
		a = peer(mc->addr);
		if (!CHECK(acl_match(&c, 1, &a) == mc->match))
			test_note("%s in %s: got %d, want %d", mc->addr, mc->block,
				  acl_match(&c, 1, &a), mc->match);
	}
}

/* An IPv4 client of a v6only = false "::" listener is matched as the IPv4 address. */
static void match_mapped_peer(void)
{
	struct cidr v4 = blk("127.0.0.0/8"), v6all = blk("::/0"), one = blk("127.0.0.9");
	struct addr a = mapped_peer("127.0.0.9");

	CHECK(a.u.sa.sa_family == AF_INET);
	CHECK(acl_match(&v4, 1, &a) == 1);
	CHECK(acl_match(&one, 1, &a) == 1);
	CHECK(acl_match(&v6all, 1, &a) == 0);
	/* A deny of the IPv4 address cannot be bypassed through the mapped form. */
	CHECK(acl_permit(NULL, 0, &one, 1, &a) == 0);
	CHECK(acl_permit(&v6all, 1, NULL, 0, &a) == 0);
	CHECK(acl_permit(&v4, 1, NULL, 0, &a) == 1);
}

static void match_list(void)
{
	struct cidr v[4];
	struct addr a;

	v[0] = blk("10.0.0.0/8");
	v[1] = blk("2001:db8::/32");
	v[2] = blk("192.0.2.1");
	v[3] = blk("::1");
	a = peer("192.0.2.1");
	CHECK(acl_match(v, 4, &a) == 1);
	CHECK(acl_match(v, 2, &a) == 0); /* only the first N count */
	CHECK(acl_match(v, 0, &a) == 0);
	CHECK(acl_match(NULL, 0, &a) == 0);
	a = peer("::1");
	CHECK(acl_match(v, 4, &a) == 1);
	CHECK(acl_match(v, 3, &a) == 0);
	a = peer("10.255.255.255");
	CHECK(acl_match(v, 1, &a) == 1);
	a = peer("11.0.0.0");
	CHECK(acl_match(v, 4, &a) == 0);

	/* Another family (a unix socket address) matches nothing, not even /0. */
	memset(&a, 0, sizeof(a));
	a.u.sa.sa_family = AF_UNIX;
	v[0] = blk("0.0.0.0/0");
	v[1] = blk("::/0");
	CHECK(acl_match(v, 2, &a) == 0);
}

struct permit_case {
	const char *allow[3];
	const char *deny[3];
	const char *addr;
	int permit;
};

static const struct permit_case permit_cases[] = {
	/* No lists: everyone. */
	{ { NULL }, { NULL }, "192.0.2.1", 1 },
	{ { NULL }, { NULL }, "::1", 1 },
	/* Deny only: everyone else. */
	{ { NULL }, { "192.0.2.0/24" }, "192.0.2.1", 0 },
	{ { NULL }, { "192.0.2.0/24" }, "192.0.3.1", 1 },
	{ { NULL }, { "192.0.2.0/24" }, "::1", 1 },
	/* Allow only: nobody else, not even the other family. */
	{ { "127.0.0.0/8" }, { NULL }, "127.0.0.5", 1 },
	{ { "127.0.0.0/8" }, { NULL }, "10.0.0.1", 0 },
	{ { "127.0.0.0/8" }, { NULL }, "::1", 0 },
	{ { "::1" }, { NULL }, "127.0.0.1", 0 },
	{ { "::1", "127.0.0.1" }, { NULL }, "127.0.0.1", 1 },
	/* Both: deny wins, narrower or wider than the allow. */
	{ { "127.0.0.0/8" }, { "127.0.0.2" }, "127.0.0.2", 0 },
	{ { "127.0.0.0/8" }, { "127.0.0.2" }, "127.0.0.3", 1 },
	{ { "127.0.0.2" }, { "127.0.0.0/8" }, "127.0.0.2", 0 },
	{ { "127.0.0.2" }, { "0.0.0.0/0" }, "127.0.0.2", 0 },
	{ { "0.0.0.0/0", "::/0" }, { "::1" }, "::1", 0 },
	{ { "0.0.0.0/0", "::/0" }, { "::1" }, "::2", 1 },
	{ { "0.0.0.0/0", "::/0" }, { "::1" }, "127.0.0.1", 1 },
	/* The same block in both lists. */
	{ { "192.0.2.0/24" }, { "192.0.2.0/24" }, "192.0.2.9", 0 },
	/* Not in the allow list and in the deny list: denied either way. */
	{ { "10.0.0.0/8" }, { "192.0.2.0/24" }, "192.0.2.9", 0 },
	{ { "10.0.0.0/8" }, { "192.0.2.0/24" }, "172.16.0.1", 0 },
	/* A mapped deny rule is an IPv4 rule. */
	{ { NULL }, { "::ffff:127.0.0.0/104" }, "127.0.0.1", 0 },
	{ { NULL }, { "::ffff:127.0.0.0/104" }, "::ffff:127.0.0.1", 0 },
};

static size_t blocks(const char *const *s, struct cidr *out)
{
	size_t n;

	for (n = 0; n < 3 && s[n]; n++)
		out[n] = blk(s[n]);
	return n;
}

static void permit_table(void)
{
	const struct permit_case *pc;
	struct cidr allow[3], deny[3];
	size_t i, na, nd;
	struct addr a;

	for (i = 0; i < ARRAY_SIZE(permit_cases); i++) {
		pc = &permit_cases[i];
		na = blocks(pc->allow, allow);
		nd = blocks(pc->deny, deny);
		a = peer(pc->addr);
		if (!CHECK(acl_permit(na ? allow : NULL, na, nd ? deny : NULL, nd, &a) ==
			   pc->permit))
			test_note("case %zu: %s is %s, want %s", i, pc->addr,
				  pc->permit ? "denied" : "permitted",
				  pc->permit ? "permitted" : "denied");
	}
}

/* A tiny deterministic generator, so a failing seed can be replayed (ACL_SEED). */
static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* The model: the first PREFIX bits of A and B agree. */
static int model_match(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned i;

	for (i = 0; i < prefix; i++)
		if (((a[i / 8] >> (7 - i % 8)) & 1) != ((b[i / 8] >> (7 - i % 8)) & 1))
			return 0;
	return 1;
}

/*
 * Random blocks of every length against random addresses that agree with
 * the block for a random number of leading bits: acl_match() must agree
 * with the bitwise model every time.
 */
static void match_random(void)
{
	char host[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 8];
	const char *env = getenv("ACL_SEED");
	uint8_t net[16], a[16];
	unsigned prefix, max, i, agree, round;
	struct cidr c;
	struct addr p;
	int fam, want, got;

	rng_state = env ? strtoull(env, NULL, 0) : 0x5eed5eedULL;
	if (!rng_state)
		rng_state = 1;
	printf("# match_random: ACL_SEED=%llu\n", (unsigned long long)rng_state);
	for (round = 0; round < 20000; round++) {
		fam = round & 1 ? AF_INET6 : AF_INET;
		max = fam == AF_INET ? 32 : 128;
		prefix = rng() % (max + 1);
		for (i = 0; i < 16; i++)
			net[i] = (uint8_t)rng();
		/* Clear the host bits, so the block is valid. */
		for (i = prefix; i < max; i++)
			net[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
		/* An address that agrees for AGREE bits, then differs (unless AGREE == max). */
		agree = rng() % (max + 1);
		for (i = 0; i < 16; i++)
			a[i] = (uint8_t)rng();
		for (i = 0; i < max; i++) {
			unsigned bit = 0x80 >> (i % 8);

			if (i < agree)
				a[i / 8] = (uint8_t)((a[i / 8] & ~bit) | (net[i / 8] & bit));
			else if (i == agree)
				a[i / 8] = (uint8_t)((a[i / 8] & ~bit) | (~net[i / 8] & bit));
		}
		/* A random IPv6 block must not be IPv4-mapped (it would become IPv4). */
		if (fam == AF_INET6 &&
		    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)net) &&
		    prefix >= 96)
			continue;
		inet_ntop(fam, net, host, sizeof(host));
		snprintf(text, sizeof(text), "%s/%u", host, prefix);
		if (!CHECK(acl_parse(text, &c) == 0)) {
			test_note("\"%s\" rejected", text);
			return;
		}
		inet_ntop(fam, a, host, sizeof(host));
		p = peer(host);
		if (p.u.sa.sa_family != fam)
			continue; /* a mapped IPv6 address: unmapped by addr_parse */
		want = model_match(net, a, prefix);
		got = acl_match(&c, 1, &p);
		if (!CHECK(got == want)) {
			test_note("%s in %s: got %d, want %d", host, text, got, want);
			return;
		}
	}
}

int main(void)
{
	TEST_RUN(parse_table);
	TEST_RUN(parse_every_prefix);
	TEST_RUN(parse_long);
	TEST_RUN(match_table);
	TEST_RUN(match_mapped_peer);
	TEST_RUN(match_list);
	TEST_RUN(permit_table);
	TEST_RUN(match_random);
	return test_summary();
}
