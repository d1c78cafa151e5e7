/* SPDX-License-Identifier: MIT */
/* Listening sockets: bind one per configured address. */
#include "listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int listen_open(const struct addr *a, int backlog, int v6only)
{
	int fd, on = 1, saved;

	fd = socket(a->u.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		goto fail;
	/*
	 * Set either way, never left to net.ipv6.bindv6only: by default each
	 * family gets its own socket, so 0.0.0.0 and :: can share a port.
	 */
	if (a->u.sa.sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
		goto fail;
	if (bind(fd, &a->u.sa, a->len) < 0)
		goto fail;
	if (listen(fd, backlog) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
