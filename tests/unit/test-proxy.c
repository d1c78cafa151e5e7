/* SPDX-License-Identifier: MIT */
/*
 * proxy_parse() on every case of PROTOCOLS.md §1 (haproxy's proxy-protocol.txt):
 * v1 and v2, valid, truncated at every length, malformed; the version masks;
 * CRC32C computed here independently; and random mutations, whose verdicts
 * must never change as more bytes arrive.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util.h"

#define ANY (PROXY_V1 | PROXY_V2)

static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

static const char *status_name(int rc)
{
	return rc == PROXY_OK	   ? "OK" :
	       rc == PROXY_NEED	   ? "NEED" :
	       rc == PROXY_INVALID ? "INVALID" :
				     "?";
}

static const char *fmt(const struct addr *a)
{
	static char buf[2][ADDR_STRLEN];
	static int i;

	i = !i;
	return addr_format(a, buf[i], sizeof(buf[i]));
}

/* Parse N bytes of BUF, and check the status and what goes with it. Returns the status. */
static int parse(const void *buf, size_t n, int allowed, struct proxy_header *h)
{
	int rc = proxy_parse(buf, n, allowed, h);

	if (rc == PROXY_INVALID && !CHECK(h->error && *h->error))
		test_note("INVALID without a reason");
	if (rc == PROXY_OK && !CHECK(h->len > 0 && h->len <= n))
		test_note("OK with len %zu of %zu bytes", h->len, n);
	if (rc == PROXY_NEED && !CHECK(h->need == 0 || h->need > n))
		test_note("NEED with need %zu, but %zu bytes are there", h->need, n);
	return rc;
}

/* Every proper prefix of the header BUF[0..LEN) must be PROXY_NEED: never INVALID or OK. */
static void every_prefix_needs_more(const char *what, const void *buf, size_t len, int allowed)
{
	struct proxy_header h;
	size_t k;
	int rc;

	for (k = 0; k < len; k++) {
		rc = parse(buf, k, allowed, &h);
		if (!CHECK(rc == PROXY_NEED)) {
			test_note("%s, first %zu of %zu bytes (allowed %d): %s (%s)", what, k, len,
				  allowed, status_name(rc), rc == PROXY_INVALID ? h.error : "");
			return;
		}
	}
}

/* The v1 line S must be OK, taking exactly strlen(S) bytes, also with data after it. */
static void v1_ok(const char *s, struct proxy_header *h)
{
	char buf[256];
	size_t n = strlen(s);
	int rc;

	rc = parse(s, n, PROXY_V1, h);
	if (!CHECK(rc == PROXY_OK && h->len == n && h->version == 1))
		test_note("\"%.*s\\r\\n\": %s (%s), len %zu", (int)n - 2, s, status_name(rc),
			  rc == PROXY_INVALID ? h->error : "", h->len);
	/* The client's first bytes right behind it are not part of it. */
	snprintf(buf, sizeof(buf), "%sGET / HTTP/1.0\r\n\r\n", s);
	rc = parse(buf, strlen(buf), ANY, h);
	CHECK(rc == PROXY_OK && h->len == n);
	every_prefix_needs_more(s, s, n, PROXY_V1);
	every_prefix_needs_more(s, s, n, ANY);
	/* Leave H as the first parse made it. */
	parse(s, n, PROXY_V1, h);
}

static void v1_tcp4(void)
{
	struct proxy_header h;

	v1_ok("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", &h);
	CHECK(h.local == 0);
	CHECK(strcmp(fmt(&h.src), "192.168.0.1:56324") == 0);
	CHECK(strcmp(fmt(&h.dst), "192.168.0.11:443") == 0);
	CHECK(h.src.u.sa.sa_family == AF_INET && h.src.len == sizeof(struct sockaddr_in));

	/* Ports 0 and 65535, addresses 0.0.0.0 and 255.255.255.255. */
	v1_ok("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", &h);
	CHECK(strcmp(fmt(&h.src), "0.0.0.0:0") == 0);
	CHECK(strcmp(fmt(&h.dst), "255.255.255.255:65535") == 0);
}

static void v1_tcp6(void)
{
	struct proxy_header h;

	v1_ok("PROXY TCP6 2001:db8::1 2001:db8::2 1234 80\r\n", &h);
	CHECK(h.local == 0);
	CHECK(strcmp(fmt(&h.src), "[2001:db8::1]:1234") == 0);
	CHECK(strcmp(fmt(&h.dst), "[2001:db8::2]:80") == 0);
	CHECK(h.src.u.sa.sa_family == AF_INET6 && h.src.len == sizeof(struct sockaddr_in6));

	/* Full and compressed forms, and an embedded dotted quad. */
	v1_ok("PROXY TCP6 2001:0db8:0000:0000:0000:0000:0000:0001 ::1 1 2\r\n", &h);
	CHECK(strcmp(fmt(&h.src), "[2001:db8::1]:1") == 0);
	CHECK(strcmp(fmt(&h.dst), "[::1]:2") == 0);

	/* An IPv4-mapped client is an IPv4 client (logs, ACLs, per-source counts). */
	v1_ok("PROXY TCP6 ::ffff:192.0.2.1 ::ffff:192.0.2.2 1000 2000\r\n", &h);
	CHECK(strcmp(fmt(&h.src), "192.0.2.1:1000") == 0);
	CHECK(strcmp(fmt(&h.dst), "192.0.2.2:2000") == 0);
}

static void v1_unknown(void)
{
	char buf[PROXY_V1_MAX + 8];
	struct proxy_header h;
	size_t n;

	v1_ok("PROXY UNKNOWN\r\n", &h);
	CHECK(h.len == 15 && h.local == 1);
	/* "The receiver must ignore anything presented before the CRLF." */
	v1_ok("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n", &h);
	CHECK(h.local == 1);
	v1_ok("PROXY UNKNOWN 192.0.2.1 192.0.2.2 1 2\r\n", &h);
	CHECK(h.local == 1);

	/* The longest UNKNOWN line: 107 bytes with its CRLF. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "PROXY UNKNOWN ", 14);
	memset(buf + 14, 'x', PROXY_V1_MAX - 2 - 14);
	memcpy(buf + PROXY_V1_MAX - 2, "\r\n", 3);
	n = strlen(buf);
	REQUIRE(n == 107);
	v1_ok(buf, &h);
	CHECK(h.len == 107 && h.local == 1);
}

/* The spec's worst cases: TCP4 56 bytes, TCP6 104, UNKNOWN 15. */
static void v1_worst_case(void)
{
	static const char tcp4[] = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
	static const char tcp6[] = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
				   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	struct proxy_header h;

	REQUIRE(strlen(tcp4) == 56 && strlen(tcp6) == 104);
	v1_ok(tcp4, &h);
	CHECK(h.len == 56);
	CHECK(strcmp(fmt(&h.src), "255.255.255.255:65535") == 0);
	v1_ok(tcp6, &h);
	CHECK(h.len == 104);
	CHECK(strcmp(fmt(&h.dst), "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535") == 0);
	v1_ok("PROXY UNKNOWN\r\n", &h);
	CHECK(h.len == 15);
}

/* No CRLF within 107 bytes: the 107th byte decides. */
static void v1_no_crlf(void)
{
	char buf[300];
	struct proxy_header h;
	int rc;

	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "PROXY UNKNOWN ", 14);
	/* 106 bytes and no LF yet: the 107th may still be the LF. */
	CHECK(parse(buf, 106, PROXY_V1, &h) == PROXY_NEED);
	buf[105] = '\r';
	CHECK(parse(buf, 106, PROXY_V1, &h) == PROXY_NEED);
	/* 107 bytes without a LF: never a header. */
	buf[105] = 'x';
	rc = parse(buf, 107, PROXY_V1, &h);
	if (!CHECK(rc == PROXY_INVALID))
		test_note("107 bytes without LF: %s", status_name(rc));
	CHECK(parse(buf, 108, PROXY_V1, &h) == PROXY_INVALID);
	CHECK(parse(buf, sizeof(buf), ANY, &h) == PROXY_INVALID);
	/* A CRLF just too late (bytes 107 and 108). */
	buf[106] = '\r';
	buf[107] = '\n';
	CHECK(parse(buf, 108, PROXY_V1, &h) == PROXY_INVALID);
	/* A line that starts right but then goes on and on. */
	memset(buf, '1', sizeof(buf));
	memcpy(buf, "PROXY TCP4 ", 11);
	CHECK(parse(buf, 107, PROXY_V1, &h) == PROXY_INVALID);
	CHECK(parse(buf, 106, PROXY_V1, &h) == PROXY_NEED);
}

/* Lines that must be refused once complete; each checked with V1 and with ANY allowed. */
static const struct {
	const char *line;
	const char *why;
} v1_bad[] = {
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n", "lone LF at the end" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2\n 1 2\r\n", "lone LF inside" },
	{ "PROXY TCP4 192.0.2.1\r192.0.2.2 1 2\r\n", "lone CR inside" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\r\n", "CR CR LF" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\rX", "CR then not LF" },
	{ "PROXY\r\n", "no protocol" },
	{ "PROXY \r\n", "empty protocol" },
	{ "PROXY TCP4\r\n", "no fields" },
	{ "PROXY TCP4 \r\n", "no fields, trailing space" },
	{ "PROXY  TCP4 192.0.2.1 192.0.2.2 1 2\r\n", "double space after PROXY" },
	{ "PROXY TCP4  192.0.2.1 192.0.2.2 1 2\r\n", "double space after TCP4" },
	{ "PROXY TCP4 192.0.2.1  192.0.2.2 1 2\r\n", "double space between addresses" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2  1 2\r\n", "double space before the source port" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1  2\r\n", "double space before the destination port" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1 2 \r\n", "trailing space" },
	{ " PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n", "leading space" },
	{ "PROXY\tTCP4 192.0.2.1 192.0.2.2 1 2\r\n", "tab for a space" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1\t2\r\n", "tab between the ports" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1 2 3\r\n", "a trailing field" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1 2 x\r\n", "a trailing word" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1\r\n", "a missing port" },
	{ "PROXY TCP4 192.0.2.1 1 2\r\n", "a missing address" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 01 2\r\n", "leading zero in the source port" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1 02\r\n", "leading zero in the destination port" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 00 2\r\n", "port 00" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 065535 2\r\n", "port with leading zero, 6 digits" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 65536 2\r\n", "source port 65536" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1 65536\r\n", "destination port 65536" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 99999 2\r\n", "port 99999" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 123456 2\r\n", "port of 6 digits" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 4294967297 2\r\n", "port 2^32 + 1" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 -1 2\r\n", "negative port" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 +1 2\r\n", "port with a sign" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 0x10 2\r\n", "hex port" },
	{ "PROXY TCP4 192.0.2.1 192.0.2.2 1a 2\r\n", "port with a letter" },
	{ "PROXY TCP4 192.000.2.1 192.0.2.2 1 2\r\n", "leading zeros in an octet" },
	{ "PROXY TCP4 192.0.2.01 192.0.2.2 1 2\r\n", "leading zero in the last octet" },
	{ "PROXY TCP4 192.0.2.1 010.0.2.2 1 2\r\n", "leading zero in the destination" },
	{ "PROXY TCP4 256.0.2.1 192.0.2.2 1 2\r\n", "octet 256" },
	{ "PROXY TCP4 192.0.2 192.0.2.2 1 2\r\n", "three octets" },
	{ "PROXY TCP4 192.0.2.1.5 192.0.2.2 1 2\r\n", "five octets" },
	{ "PROXY TCP4 192.0.2. 192.0.2.2 1 2\r\n", "empty last octet" },
	{ "PROXY TCP4 .192.0.2 192.0.2.2 1 2\r\n", "empty first octet" },
	{ "PROXY TCP4 0x7f.0.0.1 192.0.2.2 1 2\r\n", "hex octet" },
	{ "PROXY TCP4 3221225985 192.0.2.2 1 2\r\n", "address as one number" },
	{ "PROXY TCP4 localhost 192.0.2.2 1 2\r\n", "a name" },
	{ "PROXY TCP4 2001:db8::1 2001:db8::2 1 2\r\n", "TCP4 with IPv6 addresses" },
	{ "PROXY TCP4 192.0.2.1 2001:db8::2 1 2\r\n", "TCP4 with an IPv6 destination" },
	{ "PROXY TCP6 192.0.2.1 192.0.2.2 1 2\r\n", "TCP6 with IPv4 addresses" },
	{ "PROXY TCP6 2001:db8::1 192.0.2.2 1 2\r\n", "TCP6 with an IPv4 destination" },
	{ "PROXY TCP6 [2001:db8::1] ::2 1 2\r\n", "bracketed IPv6" },
	{ "PROXY TCP6 fe80::1%lo ::2 1 2\r\n", "IPv6 with a zone" },
	{ "PROXY TCP6 2001:db8:::1 ::2 1 2\r\n", "three colons" },
	{ "PROXY TCP6 1::2::3 ::2 1 2\r\n", "two ::" },
	{ "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::2 1 2\r\n", "nine groups" },
	{ "PROXY TCP6 00001::1 ::2 1 2\r\n", "a group of five digits" },
	{ "PROXY TCP5 192.0.2.1 192.0.2.2 1 2\r\n", "TCP5" },
	{ "PROXY TCP 192.0.2.1 192.0.2.2 1 2\r\n", "TCP without a version" },
	{ "PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n", "UDP4" },
	{ "PROXY tcp4 192.0.2.1 192.0.2.2 1 2\r\n", "lower-case tcp4" },
	{ "PROXY TCP46 192.0.2.1 192.0.2.2 1 2\r\n", "TCP46" },
	{ "PROXY UNKNOWNX\r\n", "UNKNOWNX" },
	{ "PROXY UNKNOWN\n", "UNKNOWN with a lone LF" },
	{ "PROXY UNKNOWN\r\r\n", "UNKNOWN, CR CR LF" },
	{ "PROXY unknown\r\n", "lower-case unknown" },
	{ "PROXYTCP4 192.0.2.1 192.0.2.2 1 2\r\n", "no space after PROXY" },
	{ "proxy TCP4 192.0.2.1 192.0.2.2 1 2\r\n", "lower-case proxy" },
	{ "GET / HTTP/1.0\r\n\r\n", "not a header at all" },
	{ "\r\nPROXY UNKNOWN\r\n", "an empty line first" },
	{ "SSH-2.0-OpenSSH_9.2\r\n", "another protocol" },
};

static void v1_malformed(void)
{
	struct proxy_header h;
	size_t i, n;
	int rc, allowed;

	for (i = 0; i < ARRAY_SIZE(v1_bad); i++) {
		n = strlen(v1_bad[i].line);
		for (allowed = PROXY_V1; allowed <= ANY; allowed += ANY - PROXY_V1) {
			rc = parse(v1_bad[i].line, n, allowed, &h);
			if (!CHECK(rc == PROXY_INVALID))
				test_note("%s (allowed %d): %s, want INVALID", v1_bad[i].why,
					  allowed, status_name(rc));
		}
	}
}

/* Bytes that a C-string parser would stop at must not shorten a field into validity. */
static void v1_nul(void)
{
	static const char nul4[] = "PROXY TCP4 192.0.2.1\0 192.0.2.2 1 2\r\n";
	static const char nul4b[] = "PROXY TCP4 192.0.2.1 192.0.2.2\0 1 2\r\n";
	static const char nul6[] = "PROXY TCP6 2001:db8::1\0x ::2 1 2\r\n";
	static const char nulp[] = "PROXY TCP4 192.0.2.1 192.0.2.2 1\0 2\r\n";
	struct proxy_header h;
	int rc;

	rc = parse(nul4, sizeof(nul4) - 1, PROXY_V1, &h);
	if (!CHECK(rc == PROXY_INVALID))
		test_note("TCP4 source \"192.0.2.1\\0\": %s (src %s)", status_name(rc),
			  rc == PROXY_OK ? fmt(&h.src) : "-");
	rc = parse(nul4b, sizeof(nul4b) - 1, PROXY_V1, &h);
	if (!CHECK(rc == PROXY_INVALID))
		test_note("TCP4 destination \"192.0.2.2\\0\": %s", status_name(rc));
	rc = parse(nul6, sizeof(nul6) - 1, PROXY_V1, &h);
	if (!CHECK(rc == PROXY_INVALID))
		test_note("TCP6 source \"2001:db8::1\\0x\": %s (src %s)", status_name(rc),
			  rc == PROXY_OK ? fmt(&h.src) : "-");
	rc = parse(nulp, sizeof(nulp) - 1, PROXY_V1, &h);
	if (!CHECK(rc == PROXY_INVALID))
		test_note("port \"1\\0\": %s", status_name(rc));
}

/* Not PROXY at all: refused as soon as a byte differs, not after a deadline. */
static void v1_early_reject(void)
{
	struct proxy_header h;

	CHECK(parse("G", 1, PROXY_V1, &h) == PROXY_INVALID);
	CHECK(parse("PROXZ", 5, PROXY_V1, &h) == PROXY_INVALID);
	CHECK(parse("PROXY", 5, PROXY_V1, &h) == PROXY_NEED);
	CHECK(parse("PROXYX", 6, PROXY_V1, &h) == PROXY_INVALID);
	CHECK(parse("P", 1, ANY, &h) == PROXY_NEED);
	CHECK(parse("\r", 1, ANY, &h) == PROXY_NEED); /* could be the v2 signature */
	CHECK(parse("\r", 1, PROXY_V1, &h) == PROXY_INVALID);
	CHECK(parse("", 0, PROXY_V1, &h) == PROXY_NEED);
}

/* ---- v2 ---- */

/* CRC-32C (Castagnoli, reflected 0x82f63b78), table-driven: independent of proxy.c's. */
static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void crc_known(void)
{
	/* The standard check value of CRC-32C, and RFC 3720's all-zero vector. */
	static const uint8_t zeros[32];

	CHECK(crc32c((const uint8_t *)"123456789", 9) == 0xe3069283u);
	CHECK(crc32c(zeros, sizeof(zeros)) == 0x8a9136aau);
}

/* A v2 header being built: 16 bytes, then the body; len is kept in bytes 14-15. */
struct v2 {
	uint8_t b[70000];
	size_t n;
};

static void v2_start(struct v2 *v, uint8_t ver_cmd, uint8_t fam)
{
	memcpy(v->b, sig, 12);
	v->b[12] = ver_cmd;
	v->b[13] = fam;
	v->n = 16;
	v->b[14] = v->b[15] = 0;
}

static void v2_put(struct v2 *v, const void *p, size_t n)
{
	memcpy(v->b + v->n, p, n);
	v->n += n;
	v->b[14] = (uint8_t)((v->n - 16) >> 8);
	v->b[15] = (uint8_t)(v->n - 16);
}

static void v2_u16(struct v2 *v, unsigned x)
{
	uint8_t b[2] = { (uint8_t)(x >> 8), (uint8_t)x };

	v2_put(v, b, 2);
}

static void v2_ip(struct v2 *v, int family, const char *s)
{
	uint8_t b[16];

	if (inet_pton(family, s, b) != 1)
		test_bail("bad address in a test");
	v2_put(v, b, family == AF_INET ? 4 : 16);
}

static void v2_tlv(struct v2 *v, uint8_t type, const void *val, size_t n)
{
	uint8_t t[3] = { type, (uint8_t)(n >> 8), (uint8_t)n };

	v2_put(v, t, 3);
	v2_put(v, val, n);
}

/* Append a CRC32C TLV, computed over the whole header with its value zeroed. */
static void v2_crc(struct v2 *v, int corrupt)
{
	static const uint8_t zero[4];
	size_t at;
	uint32_t crc;

	v2_tlv(v, 0x03, zero, 4);
	at = v->n - 4;
	crc = crc32c(v->b, v->n) ^ (corrupt ? 1u : 0u);
	v->b[at] = (uint8_t)(crc >> 24);
	v->b[at + 1] = (uint8_t)(crc >> 16);
	v->b[at + 2] = (uint8_t)(crc >> 8);
	v->b[at + 3] = (uint8_t)crc;
}

/* TCP over IPv4: 192.0.2.1:12345 -> 192.0.2.2:443 */
static void v2_inet(struct v2 *v, uint8_t ver_cmd, uint8_t fam)
{
	v2_start(v, ver_cmd, fam);
	v2_ip(v, AF_INET, "192.0.2.1");
	v2_ip(v, AF_INET, "192.0.2.2");
	v2_u16(v, 12345);
	v2_u16(v, 443);
}

/* TCP over IPv6: [2001:db8::1]:54321 -> [2001:db8::2]:8443 */
static void v2_inet6(struct v2 *v, uint8_t ver_cmd, uint8_t fam)
{
	v2_start(v, ver_cmd, fam);
	v2_ip(v, AF_INET6, "2001:db8::1");
	v2_ip(v, AF_INET6, "2001:db8::2");
	v2_u16(v, 54321);
	v2_u16(v, 8443);
}

/* V must parse OK taking all of it, also with data behind; every prefix needs more. */
static int v2_ok(const char *what, const struct v2 *v, struct proxy_header *h)
{
	static uint8_t buf[sizeof(((struct v2 *)0)->b) + 64];
	int rc, ok;

	rc = parse(v->b, v->n, PROXY_V2, h);
	ok = CHECK(rc == PROXY_OK && h->len == v->n && h->version == 2);
	if (!ok)
		test_note("%s: %s (%s), len %zu of %zu", what, status_name(rc),
			  rc == PROXY_INVALID ? h->error : "", h->len, v->n);
	memcpy(buf, v->b, v->n);
	memcpy(buf + v->n, "\r\n\r\nhello", 9);
	rc = parse(buf, v->n + 9, ANY, h);
	if (!CHECK(rc == PROXY_OK && h->len == v->n))
		test_note("%s with data behind it: %s, len %zu", what, status_name(rc), h->len);
	every_prefix_needs_more(what, v->b, v->n, PROXY_V2);
	every_prefix_needs_more(what, v->b, v->n, ANY);
	rc = parse(v->b, v->n, PROXY_V2, h);
	return ok && rc == PROXY_OK;
}

static void v2_invalid(const char *what, const struct v2 *v, size_t n)
{
	struct proxy_header h;
	int rc;

	rc = parse(v->b, n, PROXY_V2, &h);
	if (!CHECK(rc == PROXY_INVALID))
		test_note("%s: %s, want INVALID", what, status_name(rc));
	rc = parse(v->b, n, ANY, &h);
	if (!CHECK(rc == PROXY_INVALID))
		test_note("%s (any): %s, want INVALID", what, status_name(rc));
}

static struct v2 V; /* large: not on the stack */

static void v2_proxy_inet(void)
{
	struct proxy_header h;

	v2_inet(&V, 0x21, 0x11);
	REQUIRE(V.n == 28);
	if (v2_ok("PROXY TCP4", &V, &h)) {
		CHECK(h.local == 0);
		CHECK(strcmp(fmt(&h.src), "192.0.2.1:12345") == 0);
		CHECK(strcmp(fmt(&h.dst), "192.0.2.2:443") == 0);
		CHECK(h.src.len == sizeof(struct sockaddr_in));
	}
}

static void v2_proxy_inet6(void)
{
	struct proxy_header h;

	v2_inet6(&V, 0x21, 0x21);
	REQUIRE(V.n == 52);
	if (v2_ok("PROXY TCP6", &V, &h)) {
		CHECK(h.local == 0);
		CHECK(strcmp(fmt(&h.src), "[2001:db8::1]:54321") == 0);
		CHECK(strcmp(fmt(&h.dst), "[2001:db8::2]:8443") == 0);
		CHECK(h.src.len == sizeof(struct sockaddr_in6));
	}
	/* IPv4-mapped addresses in an INET6 block are IPv4 clients. */
	v2_start(&V, 0x21, 0x21);
	v2_ip(&V, AF_INET6, "::ffff:192.0.2.7");
	v2_ip(&V, AF_INET6, "::ffff:192.0.2.8");
	v2_u16(&V, 1);
	v2_u16(&V, 2);
	if (v2_ok("PROXY TCP6, mapped", &V, &h)) {
		CHECK(strcmp(fmt(&h.src), "192.0.2.7:1") == 0);
		CHECK(strcmp(fmt(&h.dst), "192.0.2.8:2") == 0);
	}
}

/* LOCAL: the proxy's own connection (health checks): real endpoints, all of len skipped. */
static void v2_local(void)
{
	struct proxy_header h;
	static const uint8_t uid[] = "unique-id";

	v2_start(&V, 0x20, 0x00);
	if (v2_ok("LOCAL UNSPEC, len 0", &V, &h))
		CHECK(h.local == 1 && h.len == 16);

	/* LOCAL with TLVs. */
	v2_start(&V, 0x20, 0x00);
	v2_tlv(&V, 0x04, "\0\0\0", 3);
	v2_tlv(&V, 0x05, uid, sizeof(uid) - 1);
	if (v2_ok("LOCAL UNSPEC with TLVs", &V, &h))
		CHECK(h.local == 1);
}

/*
 * LOCAL with an address block: "the receiver must ignore the family and the
 * addresses" but skip len ("must not assume zero is presented for LOCAL").
 */
static void v2_local_with_addresses(void)
{
	struct proxy_header h;

	v2_inet(&V, 0x20, 0x11);
	if (v2_ok("LOCAL with an INET block", &V, &h))
		CHECK(h.local == 1 && h.len == 28);
	v2_inet6(&V, 0x20, 0x21);
	if (v2_ok("LOCAL with an INET6 block", &V, &h))
		CHECK(h.local == 1 && h.len == 52);
}

/* UNSPEC with PROXY: accepted with the real endpoints (the spec allows that or refusal). */
static void v2_unspec(void)
{
	struct proxy_header h;

	v2_start(&V, 0x21, 0x00);
	if (v2_ok("PROXY UNSPEC", &V, &h))
		CHECK(h.local == 1);
	v2_start(&V, 0x21, 0x00);
	v2_tlv(&V, 0x04, "", 0);
	if (v2_ok("PROXY UNSPEC with a NOOP TLV", &V, &h))
		CHECK(h.local == 1);
}

/* A client on a unix socket (AF_UNIX STREAM, 216-byte block): served with the real endpoints. */
static void v2_unix(void)
{
	struct proxy_header h;
	uint8_t path[108];

	v2_start(&V, 0x21, 0x31);
	memset(path, 0, sizeof(path));
	memcpy(path, "/run/haproxy/client.sock", 24);
	v2_put(&V, path, sizeof(path));
	memset(path, 0, sizeof(path));
	memcpy(path, "/run/acceptd/front.sock", 23);
	v2_put(&V, path, sizeof(path));
	REQUIRE(V.n == 16 + 216);
	if (v2_ok("PROXY UNIX STREAM", &V, &h))
		CHECK(h.local == 1 && h.len == 232);
}

/* UDP (and unix or unspecified datagrams) on a TCP service are not headers acceptd takes. */
static void v2_udp(void)
{
	uint8_t path[216] = { '/', 'x' };

	v2_inet(&V, 0x21, 0x12);
	v2_invalid("PROXY UDP over IPv4", &V, V.n);
	v2_inet6(&V, 0x21, 0x22);
	v2_invalid("PROXY UDP over IPv6", &V, V.n);
	v2_start(&V, 0x21, 0x32);
	v2_put(&V, path, sizeof(path));
	v2_invalid("PROXY unix datagram", &V, V.n);
	v2_start(&V, 0x21, 0x02);
	v2_invalid("PROXY UNSPEC datagram", &V, V.n);
}

/*
 * An unspecified transport (low nibble 0) with a family: treated like UNSPEC,
 * the real endpoints are used and the address block is skipped, not read as TLVs.
 */
static void v2_unspec_transport(void)
{
	struct proxy_header h;

	v2_inet(&V, 0x21, 0x10);
	if (v2_ok("PROXY INET, unspecified transport", &V, &h))
		CHECK(h.local == 1 && h.len == 28);
	v2_inet6(&V, 0x21, 0x20);
	if (v2_ok("PROXY INET6, unspecified transport", &V, &h))
		CHECK(h.local == 1 && h.len == 52);
	/* A LOCAL header may name any family, datagrams too: all ignored. */
	v2_inet(&V, 0x20, 0x12);
	if (v2_ok("LOCAL with a UDP block", &V, &h))
		CHECK(h.local == 1);
}

static void v2_bad_version(void)
{
	static const uint8_t bad[] = { 0x01, 0x11, 0x31, 0xf1, 0x00, 0x10 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		v2_inet(&V, bad[i], 0x11);
		v2_invalid("version other than 2", &V, V.n);
		/* Decided at byte 13: no need to wait for the rest. */
		v2_invalid("version other than 2, 13 bytes", &V, 13);
	}
}

static void v2_bad_command(void)
{
	static const uint8_t bad[] = { 0x22, 0x23, 0x2f };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		v2_inet(&V, bad[i], 0x11);
		v2_invalid("command other than LOCAL/PROXY", &V, V.n);
	}
}

static void v2_bad_family(void)
{
	static const uint8_t bad[] = { 0x41, 0x51, 0xf1, 0x13, 0x1f, 0x23, 0x44, 0xff };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		v2_inet(&V, 0x21, bad[i]);
		v2_invalid("unknown family or transport", &V, V.n);
	}
}

/* A len too short for the family's address block. */
static void v2_short_block(void)
{
	uint8_t z[64] = { 0 };
	size_t len;

	for (len = 0; len < 12; len++) {
		v2_start(&V, 0x21, 0x11);
		v2_put(&V, z, len);
		v2_invalid("INET block shorter than 12", &V, V.n);
	}
	for (len = 0; len < 36; len++) {
		v2_start(&V, 0x21, 0x21);
		v2_put(&V, z, len);
		v2_invalid("INET6 block shorter than 36", &V, V.n);
	}
	/* INET with IPv6's length is fine: the rest is TLV space (here, one NOOP). */
	v2_inet(&V, 0x21, 0x11);
	v2_tlv(&V, 0x04, z, 21);
	{
		struct proxy_header h;

		v2_ok("INET block with a NOOP TLV", &V, &h);
	}
}

/* Over acceptd's cap (16 + 2048): refused as soon as the length is known. */
static void v2_oversized(void)
{
	struct proxy_header h;
	uint8_t z[2048] = { 0 };

	/* Exactly at the cap: a NOOP TLV filling it. */
	v2_inet(&V, 0x21, 0x11);
	v2_tlv(&V, 0x04, z, 2048 - 12 - 3);
	REQUIRE(V.n == PROXY_V2_MAX);
	v2_ok("header of exactly 16 + 2048 bytes", &V, &h);

	v2_inet(&V, 0x21, 0x11);
	v2_tlv(&V, 0x04, z, 2048 - 12 - 3 + 1);
	REQUIRE(V.n == PROXY_V2_MAX + 1);
	v2_invalid("header of 16 + 2049 bytes", &V, V.n);
	v2_invalid("header of 16 + 2049 bytes, first 16 only", &V, 16);

	V.b[14] = V.b[15] = 0xff;
	v2_invalid("len 65535, first 16 only", &V, 16);
}

/* TLVs of every registered type and the custom ranges: skipped. */
static void v2_tlvs_skipped(void)
{
	static const uint8_t ssl[] = { 0x01, 0,	  0,   0,   0,	 0x21, 0,  7,
				       'T',  'L', 'S', 'v', '1', '.',  '3' };
	struct proxy_header h;
	uint8_t big[300];

	memset(big, 'u', sizeof(big));
	v2_inet(&V, 0x21, 0x11);
	v2_tlv(&V, 0x01, "h2", 2);	     /* ALPN */
	v2_tlv(&V, 0x02, "example.com", 11); /* AUTHORITY */
	v2_tlv(&V, 0x04, "", 0);	     /* NOOP, empty */
	v2_tlv(&V, 0x05, big, 128);	     /* UNIQUE_ID */
	v2_tlv(&V, 0x20, ssl, sizeof(ssl));  /* SSL with a sub-TLV */
	v2_tlv(&V, 0x30, "netns", 5);	     /* NETNS */
	v2_tlv(&V, 0xe0, big, sizeof(big));  /* custom */
	v2_tlv(&V, 0xf7, "x", 1);	     /* experimental */
	v2_tlv(&V, 0xff, "", 0);	     /* future */
	if (v2_ok("PROXY TCP4 with TLVs of every kind", &V, &h)) {
		CHECK(strcmp(fmt(&h.src), "192.0.2.1:12345") == 0);
		CHECK(h.len == V.n);
	}
	v2_inet6(&V, 0x21, 0x21);
	v2_tlv(&V, 0x01, "http/1.1", 8);
	v2_ok("PROXY TCP6 with ALPN", &V, &h);
}

static void v2_tlv_overrun(void)
{
	uint8_t z[16] = { 0 };

	/* A TLV whose length runs past the end of the header. */
	v2_inet(&V, 0x21, 0x11);
	v2_tlv(&V, 0x04, z, 4);
	V.b[V.n - 5] = 5; /* says 5, has 4 */
	v2_invalid("TLV longer than the header", &V, V.n);
	V.b[V.n - 6] = 0xff;
	V.b[V.n - 5] = 0xff;
	v2_invalid("TLV of 65535 bytes in a short header", &V, V.n);
	/* A TLV cut in its own 3-byte head. */
	v2_inet(&V, 0x21, 0x11);
	v2_put(&V, "\x04", 1);
	v2_invalid("1 byte of a TLV head", &V, V.n);
	v2_inet(&V, 0x21, 0x11);
	v2_put(&V, "\x04\x00", 2);
	v2_invalid("2 bytes of a TLV head", &V, V.n);
	/* In a LOCAL header too. */
	v2_start(&V, 0x20, 0x00);
	v2_tlv(&V, 0x04, z, 4);
	V.b[V.n - 5] = 9;
	v2_invalid("LOCAL: TLV longer than the header", &V, V.n);
	/* The header's len ends the TLVs, not the bytes after it. */
	v2_inet(&V, 0x21, 0x11);
	v2_tlv(&V, 0x04, z, 8);
	V.b[V.n - 9] = 16; /* says 16: 8 more are in the buffer, but beyond len */
	{
		uint8_t buf[128];

		memcpy(buf, V.b, V.n);
		memset(buf + V.n, 0, 16);
		CHECK(proxy_parse(buf, V.n + 16, PROXY_V2, &(struct proxy_header){ 0 }) ==
		      PROXY_INVALID);
	}
}

static void v2_crc32c(void)
{
	struct proxy_header h;

	v2_inet(&V, 0x21, 0x11);
	v2_crc(&V, 0);
	v2_ok("CRC32C right", &V, &h);

	v2_inet(&V, 0x21, 0x11);
	v2_crc(&V, 1);
	v2_invalid("CRC32C wrong in one bit", &V, V.n);

	/* Right CRC, then a byte of the address changed: caught. */
	v2_inet(&V, 0x21, 0x11);
	v2_crc(&V, 0);
	V.b[19] ^= 0x01;
	v2_invalid("address changed under a CRC32C", &V, V.n);

	/* CRC among other TLVs, before and after it, over IPv6. */
	v2_inet6(&V, 0x21, 0x21);
	v2_tlv(&V, 0x01, "h2", 2);
	v2_crc(&V, 0);
	v2_tlv(&V, 0xe1, "after", 5);
	/* The TLV after it changes the header, so recompute with it in place. */
	{
		size_t at = V.n - 8 - 4;
		uint32_t crc;

		memset(V.b + at, 0, 4);
		crc = crc32c(V.b, V.n);
		V.b[at] = (uint8_t)(crc >> 24);
		V.b[at + 1] = (uint8_t)(crc >> 16);
		V.b[at + 2] = (uint8_t)(crc >> 8);
		V.b[at + 3] = (uint8_t)crc;
	}
	v2_ok("CRC32C between other TLVs", &V, &h);

	/* On a LOCAL header as well. */
	v2_start(&V, 0x20, 0x00);
	v2_crc(&V, 0);
	v2_ok("LOCAL with a CRC32C", &V, &h);
	v2_start(&V, 0x20, 0x00);
	v2_crc(&V, 1);
	v2_invalid("LOCAL with a wrong CRC32C", &V, V.n);

	/* A CRC32C TLV of the wrong size. */
	v2_inet(&V, 0x21, 0x11);
	v2_tlv(&V, 0x03, "abc", 3);
	v2_invalid("CRC32C TLV of 3 bytes", &V, V.n);
	v2_inet(&V, 0x21, 0x11);
	v2_tlv(&V, 0x03, "abcde", 5);
	v2_invalid("CRC32C TLV of 5 bytes", &V, V.n);
}

/* Need more at every length, and the total once the length field is in. */
static void v2_need(void)
{
	struct proxy_header h;
	size_t k;

	v2_inet(&V, 0x21, 0x11);
	v2_tlv(&V, 0xe0, "0123456789", 10);
	for (k = 0; k < V.n; k++) {
		if (!CHECK(parse(V.b, k, PROXY_V2, &h) == PROXY_NEED)) {
			test_note("%zu bytes", k);
			break;
		}
		if (k >= 16 && !CHECK(h.need == V.n))
			test_note("%zu bytes: need %zu, want %zu", k, h.need, V.n);
	}
}

/* A service takes only the versions it is configured for. */
static void allowed_masks(void)
{
	static const char v1[] = "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n";
	struct proxy_header h;
	size_t k;
	int rc;

	v2_inet(&V, 0x21, 0x11);
	CHECK(parse(V.b, V.n, PROXY_V2, &h) == PROXY_OK);
	CHECK(parse(V.b, V.n, ANY, &h) == PROXY_OK);
	CHECK(parse(v1, strlen(v1), PROXY_V1, &h) == PROXY_OK);
	CHECK(parse(v1, strlen(v1), ANY, &h) == PROXY_OK);
	/* From the first byte on, the other version is refused. */
	for (k = 1; k <= V.n; k++) {
		rc = parse(V.b, k, PROXY_V1, &h);
		if (!CHECK(rc == PROXY_INVALID)) {
			test_note("v2 header, %zu bytes, on a v1-only service: %s", k,
				  status_name(rc));
			break;
		}
	}
	for (k = 1; k <= strlen(v1); k++) {
		rc = parse(v1, k, PROXY_V2, &h);
		if (!CHECK(rc == PROXY_INVALID)) {
			test_note("v1 header, %zu bytes, on a v2-only service: %s", k,
				  status_name(rc));
			break;
		}
	}
	/* Nothing allowed: nothing is a header. */
	CHECK(parse(V.b, V.n, 0, &h) == PROXY_INVALID);
	CHECK(parse(v1, strlen(v1), 0, &h) == PROXY_INVALID);
}

static void mode_parse(void)
{
	CHECK(proxy_mode_parse("off") == 0);
	CHECK(proxy_mode_parse("v1") == PROXY_V1);
	CHECK(proxy_mode_parse("v2") == PROXY_V2);
	CHECK(proxy_mode_parse("any") == (PROXY_V1 | PROXY_V2));
	CHECK(proxy_mode_parse("") == -1);
	CHECK(proxy_mode_parse("on") == -1);
	CHECK(proxy_mode_parse("V1") == -1);
	CHECK(proxy_mode_parse("v3") == -1);
	CHECK(proxy_mode_parse("v1 ") == -1);
	CHECK(proxy_mode_parse("both") == -1);
}

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/*
 * Random mutations of valid headers, parsed at every length: a verdict
 * never changes as more bytes arrive (INVALID stays INVALID, OK stays OK
 * with the same length), since proxy_read() acts on the first one. Seed:
 * PROXY_SEED.
 */
static void random_stable(void)
{
	static const char *const lines[] = {
		"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
		"PROXY TCP6 2001:db8::1 2001:db8::2 1234 80\r\n",
		"PROXY UNKNOWN\r\n",
	};
	const char *env = getenv("PROXY_SEED");
	static uint8_t buf[512];
	struct proxy_header h;
	size_t n, k, m, len;
	int round, rc, verdict, allowed;

	rng_state = env ? strtoull(env, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	if (!rng_state)
		rng_state = 1;
	printf("# random_stable: PROXY_SEED=%llu\n", (unsigned long long)rng_state);
	for (round = 0; round < 3000; round++) {
		switch (round % 4) {
		case 0:
			v2_inet(&V, 0x21, 0x11);
			break;
		case 1:
			v2_inet6(&V, 0x21, 0x21);
			v2_crc(&V, 0);
			break;
		case 2:
			v2_start(&V, 0x20, 0x00);
			v2_tlv(&V, 0x04, "abc", 3);
			break;
		default:
			k = rng() % 3;
			V.n = strlen(lines[k]);
			memcpy(V.b, lines[k], V.n);
		}
		n = V.n < sizeof(buf) - 32 ? V.n : sizeof(buf) - 32;
		memcpy(buf, V.b, n);
		/* Up to 3 random byte changes, then random trailing bytes. */
		for (k = rng() % 4; k > 0; k--)
			buf[rng() % n] = (uint8_t)(rng() % 3 == 0 ?
							   (uint32_t) "\r\n 0:."[rng() % 6] :
							   rng());
		for (k = 0; k < 32; k++)
			buf[n + k] = (uint8_t)rng();
		len = n + 32;
		allowed = (int)(rng() % 3) + 1;
		verdict = PROXY_NEED;
		m = 0;
		for (k = 0; k <= len; k++) {
			rc = parse(buf, k, allowed, &h);
			if (verdict == PROXY_NEED) {
				verdict = rc;
				m = rc == PROXY_OK ? h.len : k;
				continue;
			}
			if (!CHECK(rc == verdict && (rc != PROXY_OK || h.len == m))) {
				test_note("round %d (allowed %d): %s at %zu bytes, then %s at %zu",
					  round, allowed, status_name(verdict), m, status_name(rc),
					  k);
				return;
			}
		}
	}
}

int main(void)
{
	crc_init();
	TEST_RUN(v1_tcp4);
	TEST_RUN(v1_tcp6);
	TEST_RUN(v1_unknown);
	TEST_RUN(v1_worst_case);
	TEST_RUN(v1_no_crlf);
	TEST_RUN(v1_malformed);
	TEST_RUN(v1_nul);
	TEST_RUN(v1_early_reject);
	TEST_RUN(crc_known);
	TEST_RUN(v2_proxy_inet);
	TEST_RUN(v2_proxy_inet6);
	TEST_RUN(v2_local);
	TEST_RUN(v2_local_with_addresses);
	TEST_RUN(v2_unspec);
	TEST_RUN(v2_unix);
	TEST_RUN(v2_udp);
	TEST_RUN(v2_unspec_transport);
	TEST_RUN(v2_bad_version);
	TEST_RUN(v2_bad_command);
	TEST_RUN(v2_bad_family);
	TEST_RUN(v2_short_block);
	TEST_RUN(v2_oversized);
	TEST_RUN(v2_tlvs_skipped);
	TEST_RUN(v2_tlv_overrun);
	TEST_RUN(v2_crc32c);
	TEST_RUN(v2_need);
	TEST_RUN(allowed_masks);
	TEST_RUN(mode_parse);
	TEST_RUN(random_stable);
	return test_summary();
}
