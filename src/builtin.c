/* SPDX-License-Identifier: MIT */
/* The RFC built-in services: name table and the serving functions (child side). */
#include "builtin.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
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

static const struct {
	const char *name;
	int (*serve)(int fd, struct builtin_stats *st);
} builtins[BUILTIN_MAX] = {
	[BUILTIN_ECHO] = { "echo", serve_echo },
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

int builtin_serve(int b, int fd, struct builtin_stats *st)
{
	int rc = builtins[b].serve(fd, st);

	/* A client that resets is how these conversations often end. */
	if (rc < 0 && (errno == ECONNRESET || errno == EPIPE))
		rc = 0;
	return rc;
}
