/* SPDX-License-Identifier: MIT */
/* The parent's bounded cache of peer names, filled from the children's lookups. */
#include "namecache.h"

#include <stdlib.h>
#include <string.h>

struct namecache_slot {
	uint8_t key[16];
	uint16_t family;
	uint8_t mode;
	uint8_t lookup;
	uint64_t expires; /* 0: empty */
	char *host;
};

static size_t slot_of(const struct addr *a, uint8_t key[16], uint16_t *family)
{
	uint32_t h = 2166136261u;
	int i;

	memset(key, 0, 16);
	*family = a->u.sa.sa_family;
	if (*family == AF_INET)
		memcpy(key, &a->u.in4.sin_addr, 4);
	else
		memcpy(key, a->u.in6.sin6_addr.s6_addr, 16);
	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return (h ^ *family) % NAMECACHE_SLOTS;
}

int namecache_get(const struct namecache *c, const struct addr *a, int mode, uint64_t now,
		  const char **host, int *lookup)
{
	const struct namecache_slot *s;
	uint8_t key[16];
	uint16_t family;

	if (!c->slot)
		return 0;
	s = &c->slot[slot_of(a, key, &family)];
	if (!s->expires || now >= s->expires || s->family != family || s->mode != mode ||
	    memcmp(s->key, key, 16) != 0)
		return 0;
	*host = s->host;
	*lookup = s->lookup;
	return 1;
}

void namecache_put(struct namecache *c, const struct addr *a, int mode, const char *host,
		   int lookup, uint64_t expires)
{
	struct namecache_slot *s;
	uint8_t key[16];
	uint16_t family;
	char *copy;

	if (!c->slot && !(c->slot = calloc(NAMECACHE_SLOTS, sizeof(*c->slot))))
		return;
	copy = strdup(host);
	if (!copy)
		return;
	s = &c->slot[slot_of(a, key, &family)];
	free(s->host);
	memcpy(s->key, key, 16);
	s->family = family;
	s->mode = (uint8_t)mode;
	s->lookup = (uint8_t)lookup;
	s->expires = expires;
	s->host = copy;
}

void namecache_clear(struct namecache *c)
{
	size_t i;

	if (!c->slot)
		return;
	for (i = 0; i < NAMECACHE_SLOTS; i++)
		free(c->slot[i].host);
	free(c->slot);
	c->slot = NULL;
}
