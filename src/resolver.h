/* SPDX-License-Identifier: MIT */
/*
 * The name resolver: one long-lived process that answers the children's
 * reverse lookups, so that no connection's child loads the resolver or runs
 * a thread, and the lookup's deadline is a poll() in the child.
 */
#ifndef ACCEPTD_RESOLVER_H
#define ACCEPTD_RESOLVER_H

#include <sys/types.h>

#include "addr.h"
#include "peer.h"

/*
 * Start the resolver process. *FD gets the parent's end, which the children
 * inherit and ask on (close-on-exec). Returns its pid, or -1 with errno.
 */
pid_t resolver_start(int *fd);

/*
 * In a child: ask the resolver behind FD for PEER's name as MODE asks,
 * waiting at most TIMEOUT_MS. HOST gets the sanitised name ("" when none);
 * CLAIMED the unconfirmed PTR name when confirmation failed. Returns enum
 * lookup: LOOKUP_FAILED when the resolver is not there or drops the query.
 */
int resolver_lookup(int fd, const struct addr *peer, int mode, int timeout_ms,
		    char host[PEER_HOSTLEN], char claimed[PEER_HOSTLEN]);

/*
 * In the parent: send the query for PEER without waiting. *ANSWER_FD gets
 * the descriptor on which the answer arrives (readable: resolver_answer()).
 * Returns 0, or -1 with errno (EAGAIN: the resolver is behind).
 */
int resolver_ask(int fd, const struct addr *peer, int mode, int *answer_fd);

/* Read the answer from a readable ANSWER_FD: enum lookup, with HOST and CLAIMED as above. */
int resolver_answer(int answer_fd, char host[PEER_HOSTLEN], char claimed[PEER_HOSTLEN]);

#endif
