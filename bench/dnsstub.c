/* SPDX-License-Identifier: MIT */
/*
 * dnsstub: a tiny authoritative-looking DNS responder on UDP, for benchmarks
 * that must never ask a real resolver. It synthesises answers for all of
 * 127.0.0.0/8 (and anything else in in-addr.arpa):
 *
 *   PTR d.c.b.a.in-addr.arpa  ->  ha-b-c-d.bench.test
 *   A   ha-b-c-d.bench.test   ->  a.b.c.d
 *   AAAA, other names          ->  no data / NXDOMAIN
 *
 * Written in C (not Python) so that it costs the machine as little as
 * possible: every server that resolves uses it, and it shares the CPUs.
 *
 * usage: dnsstub [ADDR [PORT]]   (default 127.0.0.1 53)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Read the question name as dotted text; returns the offset after it, or -1. */
static int qname(const unsigned char *p, int n, int off, char *out, size_t outlen)
{
	size_t o = 0;

	while (off < n && p[off]) {
		int l = p[off++];

		if (l > 63 || off + l > n || o + (size_t)l + 2 > outlen)
			return -1;
		if (o)
			out[o++] = '.';
		memcpy(out + o, p + off, (size_t)l);
		o += (size_t)l;
		off += l;
	}
	if (off >= n)
		return -1;
	out[o] = '\0';
	return off + 1;
}

/* Append NAME in wire format at *O of BUF. */
static void put_name(unsigned char *buf, int *o, const char *name)
{
	const char *s = name, *dot;

	while (*s) {
		size_t l;

		dot = strchr(s, '.');
		l = dot ? (size_t)(dot - s) : strlen(s);
		buf[(*o)++] = (unsigned char)l;
		memcpy(buf + *o, s, l);
		*o += (int)l;
		s += l + (dot ? 1 : 0);
	}
	buf[(*o)++] = 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET }, from;
	unsigned char q[512], r[1024];
	char name[256], host[128];
	unsigned a, b, c, d;
	int fd, n, off, o, qtype, ancount, rcode;
	socklen_t flen;

	inet_pton(AF_INET, argc > 1 ? argv[1] : "127.0.0.1", &sin.sin_addr);
	sin.sin_port = htons((unsigned short)(argc > 2 ? atoi(argv[2]) : 53));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("dnsstub: bind");
		return 1;
	}
	for (;;) {
		flen = sizeof(from);
		n = (int)recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
		if (n < 12 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1)
			continue;
		off = qname(q, n, 12, name, sizeof(name));
		if (off < 0 || off + 4 > n)
			continue;
		qtype = q[off] << 8 | q[off + 1];
		off += 4;
		/* Header and question, copied. */
		memcpy(r, q, (size_t)off);
		r[2] = 0x84 | (q[2] & 0x01); /* QR, AA, RD copied */
		r[3] = 0x80;		     /* RA */
		r[6] = r[7] = r[8] = r[9] = r[10] = r[11] = 0;
		o = off;
		ancount = 0;
		rcode = 3; /* NXDOMAIN */
		if (sscanf(name, "%u.%u.%u.%u.in-addr.arpa", &d, &c, &b, &a) == 4 &&
		    strcasestr(name, ".in-addr.arpa")) {
			rcode = 0;
			if (qtype == 12) {
				int rdlen_at;

				snprintf(host, sizeof(host), "h%u-%u-%u-%u.bench.test", a, b, c, d);
				r[o++] = 0xc0; /* name: pointer to the question */
				r[o++] = 12;
				r[o++] = 0;
				r[o++] = 12; /* PTR */
				r[o++] = 0;
				r[o++] = 1; /* IN */
				r[o++] = 0;
				r[o++] = 0;
				r[o++] = 0x0e;
				r[o++] = 0x10; /* TTL 3600 */
				rdlen_at = o;
				o += 2;
				put_name(r, &o, host);
				r[rdlen_at] = (unsigned char)((o - rdlen_at - 2) >> 8);
				r[rdlen_at + 1] = (unsigned char)(o - rdlen_at - 2);
				ancount = 1;
			}
		} else if (sscanf(name, "h%u-%u-%u-%u.bench.test", &a, &b, &c, &d) == 4) {
			rcode = 0;
			if (qtype == 1) {
				r[o++] = 0xc0;
				r[o++] = 12;
				r[o++] = 0;
				r[o++] = 1;
				r[o++] = 0;
				r[o++] = 1;
				r[o++] = 0;
				r[o++] = 0;
				r[o++] = 0x0e;
				r[o++] = 0x10;
				r[o++] = 0;
				r[o++] = 4;
				r[o++] = (unsigned char)a;
				r[o++] = (unsigned char)b;
				r[o++] = (unsigned char)c;
				r[o++] = (unsigned char)d;
				ancount = 1;
			}
		}
		r[3] |= (unsigned char)rcode;
		r[7] = (unsigned char)ancount;
		(void)sendto(fd, r, (size_t)o, 0, (struct sockaddr *)&from, flen);
	}
}
