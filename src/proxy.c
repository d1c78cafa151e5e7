/* SPDX-License-Identifier: MIT */
/* PROXY protocol v1 and v2 (receive side): a pure parser and a deadline-bound reader. */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

#define TLV_CRC32C 0x03

/* Address block sizes by family nibble: UNSPEC, INET, INET6, UNIX. */
static const size_t v2_block[4] = { 0, 12, 36, 216 };

int proxy_mode_parse(const char *s)
{
	if (strcmp(s, "off") == 0)
		return 0;
	if (strcmp(s, "v1") == 0)
		return PROXY_V1;
	if (strcmp(s, "v2") == 0)
		return PROXY_V2;
	if (strcmp(s, "any") == 0)
		return PROXY_V1 | PROXY_V2;
	return -1;
}

static int invalid(struct proxy_header *h, const char *why)
{
	h->error = why;
	return PROXY_INVALID;
}

/* CRC-32C (Castagnoli), bitwise: headers are small and this runs once per connection. */
static uint32_t crc32c(const uint8_t *p, size_t n, size_t skip_at)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		/* The checksum's own 4 bytes count as zero. */
		crc ^= i >= skip_at && i < skip_at + 4 ? 0 : p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* v1 decimal: 0 or no leading zero, at most MAX. Returns the value, or -1. */
static long v1_number(const char *s, size_t n, long max)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* A v1 address of FAMILY in [S, S+N): exact, no leading zeros in IPv4. */
static int v1_addr(int family, const char *s, size_t n, struct addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	const char *p, *dot;
	int octets = 0;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		for (p = buf; octets < 4; p = dot + 1) {
			dot = strchr(p, '.');
			if (!dot)
				dot = p + strlen(p);
			if (v1_number(p, (size_t)(dot - p), 255) < 0)
				return -1;
			octets++;
			if (!*dot)
				break;
		}
		if (octets != 4 || inet_pton(AF_INET, buf, &a->u.in4.sin_addr) != 1)
			return -1;
		a->u.in4.sin_family = AF_INET;
		a->len = sizeof(a->u.in4);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &a->u.in6.sin6_addr) != 1)
		return -1;
	a->u.in6.sin6_family = AF_INET6;
	a->len = sizeof(a->u.in6);
	addr_unmap(a);
	return 0;
}

static int parse_v1(const uint8_t *buf, size_t n, struct proxy_header *h)
{
	const char *s = (const char *)buf, *field[4], *end, *p, *sp;
	size_t len, flen[4];
	int family, i;
	long port;

	/* The line ends at the first LF, which must follow a CR, within 107 bytes. */
	for (len = 0; len < n && len < PROXY_V1_MAX; len++) {
		if (buf[len] == '\n')
			break;
		if (buf[len] == '\r' && len + 1 < n && buf[len + 1] != '\n')
			return invalid(h, "v1: a CR not followed by LF");
	}
	if (len == n)
		return n >= PROXY_V1_MAX ? invalid(h, "v1: no CRLF within 107 bytes") : PROXY_NEED;
	if (len == PROXY_V1_MAX)
		return invalid(h, "v1: no CRLF within 107 bytes");
	if (len == 0 || buf[len - 1] != '\r')
		return invalid(h, "v1: a LF not preceded by CR");
	/* A NUL would end an address early for inet_pton(): an inexact match. */
	if (memchr(buf, '\0', len))
		return invalid(h, "v1: a NUL byte in the line");
	end = s + len - 1; /* the CR */
	h->version = 1;
	h->len = len + 1;

	if (end - s >= 13 && memcmp(s, "PROXY UNKNOWN", 13) == 0 &&
	    (end - s == 13 || s[13] == ' ')) {
		/* "The receiver must ignore anything presented before the CRLF." */
		h->local = 1;
		return PROXY_OK;
	}
	if (end - s < 11 || memcmp(s, "PROXY TCP", 9) != 0 || (s[9] != '4' && s[9] != '6') ||
	    s[10] != ' ')
		return invalid(h, "v1: not PROXY TCP4, TCP6 or UNKNOWN");
	family = s[9] == '4' ? AF_INET : AF_INET6;
	/* Exactly four fields separated by single spaces. */
	p = s + 11;
	for (i = 0; i < 4; i++) {
		sp = i < 3 ? memchr(p, ' ', (size_t)(end - p)) : end;
		if (!sp)
			return invalid(h, "v1: too few fields");
		field[i] = p;
		flen[i] = (size_t)(sp - p);
		if (flen[i] == 0)
			return invalid(h, "v1: an empty field (two spaces?)");
		p = sp + 1;
	}
	if (memchr(field[3], ' ', flen[3]))
		return invalid(h, "v1: too many fields");
	if (v1_addr(family, field[0], flen[0], &h->src) < 0 ||
	    v1_addr(family, field[1], flen[1], &h->dst) < 0)
		return invalid(h, "v1: a malformed address, or one of the wrong family");
	port = v1_number(field[2], flen[2], 65535);
	if (port < 0)
		return invalid(h, "v1: a malformed source port");
	addr_set_port(&h->src, (unsigned)port);
	port = v1_number(field[3], flen[3], 65535);
	if (port < 0)
		return invalid(h, "v1: a malformed destination port");
	addr_set_port(&h->dst, (unsigned)port);
	return PROXY_OK;
}

/* The TLVs in [P, P+N): each bounded by the header, a CRC32C verified. */
static int v2_tlvs(const uint8_t *hdr, size_t total, size_t off, struct proxy_header *h)
{
	size_t vlen;
	uint32_t want;

	while (off < total) {
		if (total - off < 3)
			return invalid(h, "v2: a truncated TLV");
		vlen = (size_t)hdr[off + 1] << 8 | hdr[off + 2];
		if (vlen > total - off - 3)
			return invalid(h, "v2: a TLV overruns the header");
		if (hdr[off] == TLV_CRC32C) {
			if (vlen != 4)
				return invalid(h, "v2: a CRC32C TLV of the wrong size");
			memcpy(&want, hdr + off + 3, 4);
			if (crc32c(hdr, total, off + 3) != ntohl(want))
				return invalid(h, "v2: CRC32C mismatch");
		}
		off += 3 + vlen;
	}
	return PROXY_OK;
}

static int parse_v2(const uint8_t *buf, size_t n, struct proxy_header *h)
{
	size_t len, total, need = 0;
	uint8_t cmd, fam;

	if (n < 16)
		return PROXY_NEED;
	cmd = buf[12] & 0x0f;
	fam = buf[13];
	len = (size_t)buf[14] << 8 | buf[15];
	total = 16 + len;
	h->version = 2;
	if (cmd > 1)
		return invalid(h, "v2: a command other than LOCAL or PROXY");
	if ((fam >> 4) > 3 || (fam & 0x0f) > 2)
		return invalid(h, "v2: an unknown address family or protocol");
	if (total > PROXY_V2_MAX)
		return invalid(h, "v2: header longer than acceptd accepts");
	if (n < total) {
		h->need = total;
		return PROXY_NEED;
	}
	h->len = total;
	/* PROXY over datagrams on a TCP service: nothing acceptd could serve. */
	if (cmd == 1 && (fam & 0x0f) == 2)
		return invalid(h, "v2: a datagram transport on a TCP service");
	if (cmd == 0 || (fam >> 4) == 0 || (fam >> 4) == 3 || (fam & 0x0f) == 0) {
		/*
		 * LOCAL (the proxy's own check, any family), UNSPEC, a client on
		 * a unix socket, or an unspecified transport: serve with the
		 * real endpoints, but skip all of len. TLVs follow the family's
		 * address block when there is room for it.
		 */
		h->local = 1;
		need = v2_block[fam >> 4];
		return v2_tlvs(buf, total, 16 + (len >= need ? need : len), h);
	}
	memset(&h->src, 0, sizeof(h->src));
	memset(&h->dst, 0, sizeof(h->dst));
	need = v2_block[fam >> 4];
	if ((fam >> 4) == 1) {
		if (len < need)
			return invalid(h, "v2: address block shorter than IPv4 needs");
		h->src.u.in4.sin_family = h->dst.u.in4.sin_family = AF_INET;
		memcpy(&h->src.u.in4.sin_addr, buf + 16, 4);
		memcpy(&h->dst.u.in4.sin_addr, buf + 20, 4);
		memcpy(&h->src.u.in4.sin_port, buf + 24, 2);
		memcpy(&h->dst.u.in4.sin_port, buf + 26, 2);
		h->src.len = h->dst.len = sizeof(struct sockaddr_in);
	} else if ((fam >> 4) == 2) {
		if (len < need)
			return invalid(h, "v2: address block shorter than IPv6 needs");
		h->src.u.in6.sin6_family = h->dst.u.in6.sin6_family = AF_INET6;
		memcpy(&h->src.u.in6.sin6_addr, buf + 16, 16);
		memcpy(&h->dst.u.in6.sin6_addr, buf + 32, 16);
		memcpy(&h->src.u.in6.sin6_port, buf + 48, 2);
		memcpy(&h->dst.u.in6.sin6_port, buf + 50, 2);
		h->src.len = h->dst.len = sizeof(struct sockaddr_in6);
		addr_unmap(&h->src);
		addr_unmap(&h->dst);
	}
	return v2_tlvs(buf, total, 16 + need, h);
}

int proxy_parse(const uint8_t *buf, size_t n, int allowed, struct proxy_header *h)
{
	static const char v1_sig[] = "PROXY ";
	size_t m;

	memset(h, 0, sizeof(*h));
	/* v2: the 12-byte signature and version 2 in the high nibble of byte 13. */
	m = n < 12 ? n : 12;
	if ((allowed & PROXY_V2) && memcmp(buf, v2_sig, m) == 0) {
		if (n < 13)
			return PROXY_NEED;
		if ((buf[12] & 0xf0) != 0x20)
			return invalid(h, "v2: version is not 2");
		return parse_v2(buf, n, h);
	}
	m = n < 6 ? n : 6;
	if ((allowed & PROXY_V1) && memcmp(buf, v1_sig, m) == 0) {
		if (n < 6)
			return PROXY_NEED;
		return parse_v1(buf, n, h);
	}
	return invalid(h, allowed == PROXY_V1 ? "no PROXY v1 header" :
			  allowed == PROXY_V2 ? "no PROXY v2 header" :
						"no PROXY header");
}

int proxy_read(int fd, int allowed, int timeout_ms, struct proxy_header *h)
{
	uint8_t buf[PROXY_V2_MAX];
	uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000u;
	int rc, low;
	ssize_t n;

	for (;;) {
		if (fd_wait_until(fd, POLLIN, deadline) == 0) {
			h->error = "no complete header before the deadline";
			return PROXY_INVALID;
		}
		/* Peek: what follows the header belongs to the service, untouched. */
		n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			h->error = n == 0 ? "closed before a complete header" : strerror(errno);
			return PROXY_INVALID;
		}
		rc = proxy_parse(buf, (size_t)n, allowed, h);
		if (rc == PROXY_INVALID)
			return rc;
		if (rc == PROXY_OK)
			break;
		/*
		 * Partial: without a low-water mark, poll() would report the
		 * same bytes readable at once, a busy loop. Wait for the rest,
		 * or for one more byte while a v1 line has no end yet.
		 */
		low = (int)(h->need > (size_t)n ? h->need : (size_t)n + 1);
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &low, sizeof(low));
	}
	low = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &low, sizeof(low));
	/* Consume exactly the header; the peek proved the bytes are there. */
	n = recv(fd, buf, h->len, MSG_WAITALL);
	if (n != (ssize_t)h->len) {
		h->error = "the header vanished while reading it";
		return PROXY_INVALID;
	}
	return PROXY_OK;
}
