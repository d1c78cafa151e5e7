/* SPDX-License-Identifier: MIT */
/* The parent's bounded cache of peer names, filled from the children's lookups. */
#ifndef ACCEPTD_NAMECACHE_H
#define ACCEPTD_NAMECACHE_H

#include <stdint.h>

#include "addr.h"

#define NAMECACHE_SLOTS 1024 /* direct-mapped: a collision replaces, so it never grows */

struct namecache_slot;

struct namecache {
	struct namecache_slot *slot; /* NAMECACHE_SLOTS, allocated on first use */
};

/*
 * A fresh entry for A's address looked up as MODE (enum resolve): returns 1
 * with *HOST (owned by the cache, "" for no name) and *LOOKUP (enum lookup),
 * else 0.
 */
int namecache_get(const struct namecache *c, const struct addr *a, int mode, uint64_t now,
		  const char **host, int *lookup);

/* Remember HOST and LOOKUP for A and MODE until EXPIRES (usec). Failure only loses the entry. */
void namecache_put(struct namecache *c, const struct addr *a, int mode, const char *host,
		   int lookup, uint64_t expires);

/* Forget everything (reload: names may have changed with the resolver setup). */
void namecache_clear(struct namecache *c);

#endif
