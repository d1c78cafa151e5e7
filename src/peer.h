/* SPDX-License-Identifier: MIT */
/* The peer's host name: reverse lookup, forward confirmation (in the resolver process). */
#ifndef ACCEPTD_PEER_H
#define ACCEPTD_PEER_H

#include <netdb.h>

#include "addr.h"

#define PEER_HOSTLEN 256 /* longer than any DNS name (253); longer /etc/hosts names are cut */

/* services[].resolve */
enum resolve {
	RESOLVE_NONE,
	RESOLVE_NAME,	   /* PTR name, unconfirmed */
	RESOLVE_CONFIRMED, /* PTR name whose forward lookup includes the peer */
};

/* How a lookup ended, logged as REMOTE_HOST_LOOKUP= */
enum lookup {
	LOOKUP_OFF,	    /* resolve = none */
	LOOKUP_FOUND,	    /* a name (confirmed when asked for) */
	LOOKUP_NONAME,	    /* no PTR record */
	LOOKUP_UNCONFIRMED, /* a PTR name whose forward lookup does not include the peer */
	LOOKUP_TIMEOUT,	    /* no answer within resolve_timeout */
	LOOKUP_FAILED,	    /* any other resolver error */
};

/* The REMOTE_HOST_LOOKUP value for L. */
const char *peer_lookup_name(int l);

/* "none", "name", "confirmed" to enum resolve, or -1. */
int peer_resolve_parse(const char *s);

/*
 * Look up PEER's name as MODE asks, for as long as the system's resolver
 * takes: glibc's has no deadline of its own, so only the resolver process
 * calls this (see resolver.c). HOST gets the name as the resolver gave it,
 * or "". Returns enum lookup.
 */
int peer_resolve(const struct addr *peer, int mode, char host[NI_MAXHOST]);

#endif
