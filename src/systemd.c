/* SPDX-License-Identifier: MIT */
/* The service manager's protocols, spoken directly (see systemd.h for why). */
#include "systemd.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif

#define JOURNAL_STDOUT "/run/systemd/journal/stdout"

#ifndef HAVE_LIBSYSTEMD
/* A decimal number that fills the whole string, or -1. */
static long long parse_ull(const char *s)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > LLONG_MAX)
		return -1;
	return (long long)v;
}

/* Is $VAR this process's PID? Protocols that name a PID ignore variables meant for another. */
static int env_is_our_pid(const char *var)
{
	long long pid = parse_ull(getenv(var));

	return pid > 0 && pid == (long long)getpid();
}

int systemd_notify(const char *state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;
	ssize_t n;
	int fd;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	/* "@name" is the abstract namespace: a leading NUL, and no terminator. */
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	do
		n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				       (path[0] == '/')));
	while (n < 0 && errno == EINTR);
	close(fd);
	return n < 0 ? -1 : 0;
}

/* LISTEN_FDNAMES: N names separated by ':'; absent means all "unknown". */
static int split_names(const char *s, int n, char ***out)
{
	char **names = calloc((size_t)n + 1, sizeof(*names));
	const char *p = s;
	int i;

	if (!names)
		return -1;
	for (i = 0; i < n; i++) {
		size_t len = s ? strcspn(p, ":") : 0;

		names[i] = s ? strndup(p, len) : strdup("unknown");
		if (!names[i])
			goto fail;
		if (s) {
			p += len;
			/* One name per descriptor, no more and no fewer. */
			if ((i < n - 1 && *p != ':') || (i == n - 1 && *p)) {
				errno = EINVAL;
				goto fail;
			}
			p++;
		}
	}
	*out = names;
	return 0;
fail:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return -1;
}

int systemd_listen_fds(char ***names)
{
	long long n = parse_ull(getenv("LISTEN_FDS"));
	int ours = env_is_our_pid("LISTEN_PID"), rc = -1, i;

	*names = NULL;
	if (!ours || !getenv("LISTEN_FDS")) {
		rc = 0;
		goto out;
	}
	if (n < 0 || n > INT_MAX - SYSTEMD_LISTEN_FDS_START) {
		errno = EINVAL;
		goto out;
	}
	for (i = 0; i < (int)n; i++)
		if (fd_set_cloexec(SYSTEMD_LISTEN_FDS_START + i) < 0)
			goto out;
	if (n > 0 && split_names(getenv("LISTEN_FDNAMES"), (int)n, names) < 0)
		goto out;
	rc = (int)n;
out:
	/* Never passed on: a child or an exec'd program is not the process they were meant for. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return rc;
}

int systemd_is_tcp_listener(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(int), slen = sizeof(ss);
	int type = 0, listening = 0;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISSOCK(st.st_mode))
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -1;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &slen) < 0)
		return -1;
	return type == SOCK_STREAM && listening &&
	       (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
}

int systemd_journal_stream(const char *ident, int priority, int nonblock)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = JOURNAL_STDOUT };
	char header[256];
	int fd, n;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -1;
	/* A unix stream connect completes at once or fails (EAGAIN: journald's backlog is full). */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || shutdown(fd, SHUT_RD) < 0)
		goto fail;
	/* The header fits the empty socket buffer; the program's own writes may block. */
	if (nonblock && fd_set_nonblock(fd, 0) < 0)
		goto fail;
	/*
	 * journald's stream header: identifier, unit (empty), priority,
	 * level prefix, then forwarding to syslog, kmsg and console, all off.
	 */
	n = snprintf(header, sizeof(header), "%s\n\n%d\n0\n0\n0\n0\n", ident, priority);
	if (n < 0 || (size_t)n >= sizeof(header)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if (write_all(fd, header, (size_t)n) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

unsigned long long systemd_watchdog_usec(void)
{
	long long usec = parse_ull(getenv("WATCHDOG_USEC"));

	/* WATCHDOG_PID is optional; when present it must be ours. */
	if (getenv("WATCHDOG_PID") && !env_is_our_pid("WATCHDOG_PID"))
		return 0;
	return usec > 0 ? (unsigned long long)usec : 0;
}

#else /* HAVE_LIBSYSTEMD */

int systemd_notify(const char *state)
{
	int rc = sd_notify(0, state);

	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

int systemd_listen_fds(char ***names)
{
	int n = sd_listen_fds_with_names(1, names);
	int i;

	if (n < 0) {
		errno = -n;
		return -1;
	}
	/* Unnamed sockets come back as NULL names with some activators. */
	for (i = 0; *names && i < n; i++)
		if (!(*names)[i] && !((*names)[i] = strdup("unknown")))
			return -1;
	return n;
}

int systemd_is_tcp_listener(int fd)
{
	int rc = sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0);

	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

int systemd_journal_stream(const char *ident, int priority, int nonblock)
{
	/* libsystemd's connect may wait; only the built-in path offers NONBLOCK. */
	int fd = sd_journal_stream_fd(ident, priority, 0);

	(void)nonblock;
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

unsigned long long systemd_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? (unsigned long long)usec : 0;
}

#endif /* HAVE_LIBSYSTEMD */
