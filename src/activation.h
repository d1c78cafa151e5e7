/* SPDX-License-Identifier: MIT */
/* systemd socket activation: take the passed sockets and match them to services by name. */
#ifndef ACCEPTD_ACTIVATION_H
#define ACCEPTD_ACTIVATION_H

#include <stddef.h>

#include "acceptd.h"

/* A socket passed by systemd. Never re-optioned, re-bound or closed on reload. */
struct inherited {
	int fd;
	char name[256];	  /* FileDescriptorName=, "unknown" when unnamed */
	int unnamed;	  /* "unknown" or a unit's default name ("acceptd.socket") */
	struct addr addr; /* from getsockname() */
};

/*
 * Take the sockets systemd passed ($LISTEN_FDS, $LISTEN_FDNAMES), and unset
 * LISTEN_* so no child sees them. Each must be a listening TCP socket.
 * Returns how many (0 when not socket-activated) with *OUT allocated, or -1
 * with a message in ERR.
 */
int activation_collect(struct inherited **out, char *err, size_t errlen);

/* The service of CONF that socket I belongs to, or NULL. */
const struct service *activation_service(const struct inherited *i, const struct conf *conf);

/*
 * Check that every passed socket belongs to a service of CONF: its name
 * equals a service's, or it is unnamed and CONF has exactly one service.
 * Returns 0, or -1 with a message in ERR.
 */
int activation_check(const struct inherited *inh, size_t n, const struct conf *conf, char *err,
		     size_t errlen);

#endif
