/* SPDX-License-Identifier: MIT */
/* The RFC built-in services: name table and the serving functions (child side). */
#include "builtin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define IO_SLICE_MS 200 /* how often a wait to send looks at the send queue */

/* One connection as the builtins see it. */
struct io {
	int fd;
	int idle_ms; /* 0: wait forever */
	struct builtin_stats *st;
};

/*
 * Wait for EVENTS on the connection, at most the idle timeout. Any progress
 * starts the wait afresh, so only a client that does nothing for that long
 * is cut off: a byte to read, room to send, or - while we wait for room -
 * the client taking bytes from the send queue (SIOCOUTQ shrinking), since a
 * slow reader frees room only in large steps. Returns 0, or -1 with errno
 * (ETIMEDOUT when idle).
 */
CHILD_PATH static int io_wait(const struct io *io, short events)
{
	struct pollfd p = { .fd = io->fd, .events = events };
	uint64_t deadline, now;
	int rc, slice, outq, last = -1;

	if (io->idle_ms <= 0)
		return 0;
	deadline = now_usec() + (uint64_t)io->idle_ms * 1000u;
	for (;;) {
		now = now_usec();
		if (now >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		slice = (int)((deadline - now) / 1000u) + 1;
		if ((events & POLLOUT) && slice > IO_SLICE_MS)
			slice = IO_SLICE_MS;
		rc = poll(&p, 1, slice);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
		if ((events & POLLOUT) && ioctl(io->fd, SIOCOUTQ, &outq) == 0) {
			if (last >= 0 && outq < last)
				deadline = now_usec() + (uint64_t)io->idle_ms * 1000u;
			last = outq;
		}
	}
}

/* recv() up to LEN bytes, counted; 0 at EOF. */
CHILD_PATH static ssize_t io_recv(const struct io *io, char *buf, size_t len)
{
	ssize_t n;

	if (io_wait(io, POLLIN) < 0)
		return -1;
	do
		n = recv(io->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		io->st->bytes_in += (uint64_t)n;
	return n;
}

/*
 * Send all of BUF; MSG_NOSIGNAL so a vanished client is EPIPE, not a signal.
 * With an idle timeout, sends take what fits now (MSG_DONTWAIT) after poll()
 * said there is room, so a slow reader is never mistaken for an idle one.
 */
CHILD_PATH static int io_send(const struct io *io, const char *buf, size_t len)
{
	int flags = MSG_NOSIGNAL | (io->idle_ms > 0 ? MSG_DONTWAIT : 0);
	ssize_t n;

	while (len > 0) {
		if (io_wait(io, POLLOUT) < 0)
			return -1;
		n = send(io->fd, buf, len, flags);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		io->st->bytes_out += (uint64_t)n;
	}
	return 0;
}

/* RFC 862: send back everything until the client closes. */
CHILD_PATH static int serve_echo(const struct io *io)
{
	char buf[65536];
	ssize_t n;

	while ((n = io_recv(io, buf, sizeof(buf))) > 0)
		if (io_send(io, buf, (size_t)n) < 0)
			return -1;
	return n < 0 ? -1 : 0;
}

/* RFC 863: read and drop everything until the client closes. */
static int serve_discard(const struct io *io)
{
	char buf[65536];
	ssize_t n;

	while ((n = io_recv(io, buf, sizeof(buf))) > 0)
		;
	return n < 0 ? -1 : 0;
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
static int serve_chargen(const struct io *io)
{
	static char cycle[CHARGEN_RING * (CHARGEN_LINE + 2)];
	char buf[4096];
	unsigned long i;
	ssize_t n;

	for (i = 0; i < CHARGEN_RING; i++)
		builtin_chargen_line(i, cycle + i * (CHARGEN_LINE + 2));
	for (;;) {
		if (io_send(io, cycle, sizeof(cycle)) < 0)
			return -1;
		while ((n = recv(io->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			io->st->bytes_in += (uint64_t)n;
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
static int serve_daytime(const struct io *io)
{
	char buf[128];
	size_t n = builtin_daytime(time(NULL), buf, sizeof(buf));

	if (n == 0) {
		errno = EOVERFLOW;
		return -1;
	}
	return io_send(io, buf, n);
}

#define RFC868_EPOCH 2208988800ull /* seconds from 1900-01-01 to 1970-01-01 */

uint32_t builtin_time(time_t t)
{
	return (uint32_t)((uint64_t)((int64_t)t + (int64_t)RFC868_EPOCH) & 0xffffffffu);
}

/* RFC 868: 32 bits, network order, then close. */
static int serve_time(const struct io *io)
{
	uint32_t v = htonl(builtin_time(time(NULL)));

	return io_send(io, (const char *)&v, sizeof(v));
}

static const struct {
	const char *name;
	int (*serve)(const struct io *io);
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

CHILD_PATH int builtin_serve(int b, int fd, int idle_timeout, struct builtin_stats *st)
{
	struct io io = { fd, idle_timeout * 1000, st };
	int rc;

	rc = builtins[b].serve(&io);
	/*
	 * An idle client may have megabytes of chargen queued: a reset instead
	 * of a FIN frees them at once, and tells the client it was cut off.
	 * (The linger is built here, not above: its initialiser is a constant
	 * in .rodata, a page fault in every child.)
	 */
	if (rc < 0 && errno == ETIMEDOUT) {
		struct linger reset = { 1, 0 };

		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		errno = ETIMEDOUT;
	}
	/* A client that resets is how these conversations often end. */
	if (rc < 0 && (errno == ECONNRESET || errno == EPIPE))
		rc = 0;
	return rc;
}
