/* SPDX-License-Identifier: MIT */
/* Listening sockets: bind one per configured address. */
#ifndef ACCEPTD_LISTEN_H
#define ACCEPTD_LISTEN_H

#include "acceptd.h"

/* A listening socket and the service it feeds. */
struct listener {
	int fd;
	struct addr addr;       /* as configured (or as getsockname() says, when inherited) */
	int backlog;
	int wildcard;           /* bound to 0.0.0.0 or ::, so the local address needs getsockname() */
	int inherited;          /* from systemd: never re-optioned, re-bound or closed on reload */
	int polled;             /* currently in the epoll set */
	const struct service *svc;
};

/*
 * Open a listening socket for A: CLOEXEC, NONBLOCK, SO_REUSEADDR, IPV6_V6ONLY on
 * IPv6, bind, listen(BACKLOG). Returns the fd, or -1 with errno (nothing left open).
 */
int listen_open(const struct addr *a, int backlog);

#endif
