/* SPDX-License-Identifier: MIT */
/* The RFC built-in services: name table and the serving functions (child side). */
#include "builtin.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Send all of BUF; MSG_NOSIGNAL so a vanished client is EPIPE, not a signal. */
static int send_all(int fd, const char *buf, size_t len, struct builtin_stats *st)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		st->bytes_out += (uint64_t)n;
	}
	return 0;
}

/* RFC 862: send back everything until the client closes. */
static int serve_echo(int fd, struct builtin_stats *st)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		st->bytes_in += (uint64_t)n;
		if (send_all(fd, buf, (size_t)n, st) < 0)
			return -1;
	}
}

/* RFC 863: read and drop everything until the client closes. */
static int serve_discard(int fd, struct builtin_stats *st)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		st->bytes_in += (uint64_t)n;
	}
}

#define CHARGEN_FIRST 0x20 /* the ring is the 95 printable characters, space first */
#define CHARGEN_RING  95

void builtin_chargen_line(unsigned long n, char buf[CHARGEN_LINE + 2])
{
	int i;

	for (i = 0; i < CHARGEN_LINE; i++)
		buf[i] = (char)(CHARGEN_FIRST + (n + (unsigned long)i) % CHARGEN_RING);
	buf[CHARGEN_LINE] = '\r';
	buf[CHARGEN_LINE + 1] = '\n';
}

/*
 * RFC 864: lines until the client goes away. The pattern repeats every 95
 * lines, so one cycle is built once and sent over and over; blocking sends
 * let TCP flow control pace us. Input is read and dropped as it comes.
 */
static int serve_chargen(int fd, struct builtin_stats *st)
{
	static char cycle[CHARGEN_RING * (CHARGEN_LINE + 2)];
	char buf[4096];
	unsigned long i;
	ssize_t n;

	for (i = 0; i < CHARGEN_RING; i++)
		builtin_chargen_line(i, cycle + i * (CHARGEN_LINE + 2));
	for (;;) {
		if (send_all(fd, cycle, sizeof(cycle), st) < 0)
			return -1;
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			st->bytes_in += (uint64_t)n;
		/* A client that closed its side may still read: only a failed send ends this. */
	}
}

size_t builtin_daytime(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return 0;
	/* The RFC's own example shape, "Tuesday, February 22, 1982 17:37:43-PST", in UTC. */
	return strftime(buf, len, "%A, %B %d, %Y %H:%M:%S-UTC\r\n", &tm);
}

/* RFC 867: one line with the date and time, then close. */
static int serve_daytime(int fd, struct builtin_stats *st)
{
	char buf[128];
	size_t n = builtin_daytime(time(NULL), buf, sizeof(buf));

	if (n == 0) {
		errno = EOVERFLOW;
		return -1;
	}
	return send_all(fd, buf, n, st);
}

#define RFC868_EPOCH 2208988800ull /* seconds from 1900-01-01 to 1970-01-01 */

uint32_t builtin_time(time_t t)
{
	return (uint32_t)((uint64_t)((int64_t)t + (int64_t)RFC868_EPOCH) & 0xffffffffu);
}

/* RFC 868: 32 bits, network order, then close. */
static int serve_time(int fd, struct builtin_stats *st)
{
	uint32_t v = htonl(builtin_time(time(NULL)));

	return send_all(fd, (const char *)&v, sizeof(v), st);
}

static const struct {
	const char *name;
	int (*serve)(int fd, struct builtin_stats *st);
} builtins[BUILTIN_MAX] = {
	[BUILTIN_ECHO] = { "echo", serve_echo },
	[BUILTIN_DISCARD] = { "discard", serve_discard },
	[BUILTIN_CHARGEN] = { "chargen", serve_chargen },
	[BUILTIN_DAYTIME] = { "daytime", serve_daytime },
	[BUILTIN_TIME] = { "time", serve_time },
};

int builtin_find(const char *name)
{
	int b;

	for (b = 0; b < BUILTIN_MAX; b++)
		if (strcmp(builtins[b].name, name) == 0)
			return b;
	return -1;
}

const char *builtin_name(int b)
{
	return b >= 0 && b < BUILTIN_MAX ? builtins[b].name : "?";
}

int builtin_serve(int b, int fd, int idle_timeout, struct builtin_stats *st)
{
	struct timeval tv = { idle_timeout, 0 };
	int rc;

	/*
	 * Socket timeouts bound each blocking call: a silent client and one
	 * that never reads what echo or chargen send are cut off alike.
	 */
	if (idle_timeout > 0 && (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
				 setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0))
		return -1;
	rc = builtins[b].serve(fd, st);
	if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		errno = ETIMEDOUT;
	/* A client that resets is how these conversations often end. */
	if (rc < 0 && (errno == ECONNRESET || errno == EPIPE))
		rc = 0;
	return rc;
}
