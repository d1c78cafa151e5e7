/* SPDX-License-Identifier: MIT */
/* Concurrent connections per source address: a small open-addressing hash table. */
#ifndef ACCEPTD_SRCTAB_H
#define ACCEPTD_SRCTAB_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct srcent;

struct srctab {
	struct srcent *v;
	size_t cap; /* a power of two, or 0 */
	size_t n;   /* entries in use */
};

/* Connections from A's address (the port is ignored). */
unsigned srctab_get(const struct srctab *t, const struct addr *a);

/* One more from A. Returns 0, or -1 with ENOMEM (the table is unchanged). */
int srctab_inc(struct srctab *t, const struct addr *a);

/* One fewer from A; the entry goes when it reaches zero. */
void srctab_dec(struct srctab *t, const struct addr *a);

/* Free the table. */
void srctab_free(struct srctab *t);

#endif
