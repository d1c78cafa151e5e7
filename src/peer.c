/* SPDX-License-Identifier: MIT */
/* The peer's host name: reverse lookup, forward confirmation (in the resolver process). */
#include "peer.h"

#include <netdb.h>
#include <string.h>

#include "util.h"

static const char *const lookup_names[] = {
	[LOOKUP_OFF] = "off",	      [LOOKUP_FOUND] = "found",
	[LOOKUP_NONAME] = "no-name",  [LOOKUP_UNCONFIRMED] = "unconfirmed",
	[LOOKUP_TIMEOUT] = "timeout", [LOOKUP_FAILED] = "failed",
};

static const char *const resolve_names[] = {
	[RESOLVE_NONE] = "none",
	[RESOLVE_NAME] = "name",
	[RESOLVE_CONFIRMED] = "confirmed",
};

const char *peer_lookup_name(int l)
{
	return l >= 0 && l < (int)ARRAY_SIZE(lookup_names) ? lookup_names[l] : "?";
}

int peer_resolve_parse(const char *s)
{
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(resolve_names); i++)
		if (strcmp(s, resolve_names[i]) == 0)
			return i;
	return -1;
}

/* Does NAME's forward lookup include PEER's address? */
static int confirm(const struct addr *peer, const char *name)
{
	struct addrinfo hints = { .ai_family = peer->u.sa.sa_family, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	struct addr a;
	int ok = 0;

	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return 0;
	for (ai = res; ai && !ok; ai = ai->ai_next) {
		if (addr_from_sockaddr(&a, ai->ai_addr, ai->ai_addrlen) < 0)
			continue;
		addr_set_port(&a, addr_port(peer));
		/* Scope ids differ between a link-local peer and its DNS answer; compare bytes. */
		if (a.u.sa.sa_family == AF_INET6)
			a.u.in6.sin6_scope_id = peer->u.in6.sin6_scope_id;
		ok = addr_equal(&a, peer);
	}
	freeaddrinfo(res);
	return ok;
}

int peer_resolve(const struct addr *peer, int mode, char host[NI_MAXHOST])
{
	int rc;

	host[0] = '\0';
	rc = getnameinfo(&peer->u.sa, peer->len, host, NI_MAXHOST, NULL, 0, NI_NAMEREQD);
	if (rc == 0)
		return mode == RESOLVE_CONFIRMED && !confirm(peer, host) ? LOOKUP_UNCONFIRMED :
									   LOOKUP_FOUND;
	host[0] = '\0';
	if (rc == EAI_NONAME)
		return LOOKUP_NONAME;
	if (rc == EAI_AGAIN)
		return LOOKUP_TIMEOUT; /* the resolver's own timeout, reached first */
	return LOOKUP_FAILED;
}
