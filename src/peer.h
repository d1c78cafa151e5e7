/* SPDX-License-Identifier: MIT */
/* The peer's host name: reverse lookup bounded by a deadline, forward confirmation (child only). */
#ifndef ACCEPTD_PEER_H
#define ACCEPTD_PEER_H

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
 * Look up PEER's name as MODE asks, giving up after TIMEOUT_MS: the lookup
 * runs in a thread that is abandoned on expiry, since glibc's resolver has
 * no deadline of its own. HOST gets the sanitised name ("" when none);
 * *CLAIMED the unconfirmed PTR name when confirmation failed. Returns enum
 * lookup. Runs in the child only, once: DNS never stalls the parent.
 */
int peer_lookup(const struct addr *peer, int mode, int timeout_ms, char host[PEER_HOSTLEN],
		char claimed[PEER_HOSTLEN]);

#endif
