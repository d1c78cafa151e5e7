/* SPDX-License-Identifier: MIT */
/* Listening sockets: bind one per configured address. */
#ifndef ACCEPTD_LISTEN_H
#define ACCEPTD_LISTEN_H

#include "acceptd.h"

/* A listening socket and the service it feeds. */
struct listener {
	int fd;
	struct addr addr; /* as configured (or as getsockname() says, when inherited) */
	int backlog;
	int wildcard;	 /* bound to 0.0.0.0 or ::, so the local address needs getsockname() */
	int inherited;	 /* from systemd: never re-optioned, re-bound or closed on reload */
	int polled;	 /* currently in the epoll set */
	int v6only;	 /* IPV6_V6ONLY as set */
	int relisten;	 /* reload: kept, with a new backlog to apply */
	int deferred;	 /* reload: bound only after the old listener it overlaps is gone */
	int swapped_out; /* reload: closed to make room for a deferred one (rebound on failure) */
	const struct service *svc;
	struct svc_state *st; /* the service's running state (server.c) */
};

struct svc_state;

/*
 * Open a listening socket for A: CLOEXEC, NONBLOCK, SO_REUSEADDR, IPV6_V6ONLY
 * set to V6ONLY on IPv6, bind, listen(BACKLOG). Returns the fd, or -1 with
 * errno (nothing left open).
 */
int listen_open(const struct addr *a, int backlog, int v6only);

#endif
