/* SPDX-License-Identifier: MIT */
/* Concurrent connections per source address: a small open-addressing hash table. */
#include "srctab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* IPv4 is stored in the first 4 bytes with family AF_INET; count 0 marks a free slot. */
struct srcent {
	uint8_t key[16];
	uint16_t family;
	uint32_t count;
};

static void key_of(const struct addr *a, uint8_t key[16], uint16_t *family)
{
	memset(key, 0, 16);
	*family = a->u.sa.sa_family;
	if (*family == AF_INET)
		memcpy(key, &a->u.in4.sin_addr, 4);
	else
		memcpy(key, a->u.in6.sin6_addr.s6_addr, 16);
}

/* FNV-1a: the keys are attacker-chosen, but a collision costs only a longer probe. */
static size_t hash(const uint8_t key[16], uint16_t family)
{
	uint32_t h = 2166136261u ^ family;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

/* The slot holding KEY, or the free slot where it would go. */
static size_t probe(const struct srcent *v, size_t cap, const uint8_t key[16], uint16_t family)
{
	size_t i = hash(key, family) & (cap - 1);

	while (v[i].count && (v[i].family != family || memcmp(v[i].key, key, 16) != 0))
		i = (i + 1) & (cap - 1);
	return i;
}

unsigned srctab_get(const struct srctab *t, const struct addr *a)
{
	uint8_t key[16];
	uint16_t family;

	if (!t->cap)
		return 0;
	key_of(a, key, &family);
	return t->v[probe(t->v, t->cap, key, family)].count;
}

/*
 * The tables are parent memory (parent_alloc): the parent writes them on
 * every connection, and in the malloc heap each write after a fork would
 * leave the child its own copy of the page. The first table fills a page.
 */
#define SRCTAB_FIRST 128

static int grow(struct srctab *t)
{
	size_t cap = t->cap ? t->cap * 2 : SRCTAB_FIRST, i, j;
	struct srcent *v;

	v = parent_alloc(cap * sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < t->cap; i++) {
		if (!t->v[i].count)
			continue;
		j = probe(v, cap, t->v[i].key, t->v[i].family);
		v[j] = t->v[i];
	}
	parent_free(t->v, t->cap * sizeof(*t->v));
	t->v = v;
	t->cap = cap;
	return 0;
}

int srctab_inc(struct srctab *t, const struct addr *a)
{
	uint8_t key[16];
	uint16_t family;
	size_t i;

	/* At most half full, so probes stay short and always find a free slot. */
	if ((t->n + 1) * 2 > t->cap && grow(t) < 0) {
		errno = ENOMEM;
		return -1;
	}
	key_of(a, key, &family);
	i = probe(t->v, t->cap, key, family);
	if (!t->v[i].count) {
		memcpy(t->v[i].key, key, 16);
		t->v[i].family = family;
		t->n++;
	}
	t->v[i].count++;
	return 0;
}

void srctab_dec(struct srctab *t, const struct addr *a)
{
	uint8_t key[16];
	uint16_t family;
	size_t i, j, home;

	if (!t->cap)
		return;
	key_of(a, key, &family);
	i = probe(t->v, t->cap, key, family);
	if (!t->v[i].count || --t->v[i].count)
		return;
	t->n--;
	/* Backward-shift deletion: later entries of the run move up, so no tombstones. */
	for (j = (i + 1) & (t->cap - 1); t->v[j].count; j = (j + 1) & (t->cap - 1)) {
		home = hash(t->v[j].key, t->v[j].family) & (t->cap - 1);
		/* Move j into the hole at i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			t->v[i] = t->v[j];
			t->v[j].count = 0;
			i = j;
		}
	}
}

void srctab_free(struct srctab *t)
{
	parent_free(t->v, t->cap * sizeof(*t->v));
	t->v = NULL;
	t->cap = t->n = 0;
}
