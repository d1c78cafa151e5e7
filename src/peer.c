/* SPDX-License-Identifier: MIT */
/* The peer's host name: reverse lookup bounded by a deadline, forward confirmation (child only). */
#include "peer.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * What the lookup thread works on. Static: a child makes one lookup, on a
 * timeout the thread still owns the job, and the child ends soon anyway. A
 * calloc() here would first consolidate the small chunks that the parent
 * freed, writing to heap pages the child shares with the parent.
 */
struct job {
	struct addr peer;
	int mode;
	int done_fd; /* written when the result is ready */
	int result;
	char host[NI_MAXHOST];
};

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

static void *lookup_thread(void *arg)
{
	struct job *j = arg;
	int rc;

	rc = getnameinfo(&j->peer.u.sa, j->peer.len, j->host, sizeof(j->host), NULL, 0,
			 NI_NAMEREQD);
	if (rc == 0)
		j->result = j->mode == RESOLVE_CONFIRMED && !confirm(&j->peer, j->host) ?
				    LOOKUP_UNCONFIRMED :
				    LOOKUP_FOUND;
	else if (rc == EAI_NONAME)
		j->result = LOOKUP_NONAME;
	else if (rc == EAI_AGAIN)
		j->result = LOOKUP_TIMEOUT; /* the resolver's own timeout, reached first */
	else
		j->result = LOOKUP_FAILED;
	(void)write_all(j->done_fd, "", 1);
	return NULL;
}

/* Copy the name, sanitised and cut to fit. */
static void name_copy(char dst[PEER_HOSTLEN], const char *src)
{
	str_copy(dst, src, PEER_HOSTLEN);
	str_sanitize(dst);
}

int peer_lookup(const struct addr *peer, int mode, int timeout_ms, char host[PEER_HOSTLEN],
		char claimed[PEER_HOSTLEN])
{
	static struct job job;
	struct job *j = &job;
	struct pollfd pfd;
	pthread_attr_t attr;
	pthread_t tid;
	int p[2], rc;

	host[0] = claimed[0] = '\0';
	if (mode == RESOLVE_NONE)
		return LOOKUP_OFF;
	if (pipe2(p, O_CLOEXEC) < 0)
		return LOOKUP_FAILED;
	j->peer = *peer;
	j->mode = mode;
	j->done_fd = p[1];
	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) != 0 ||
	    pthread_create(&tid, &attr, lookup_thread, j) != 0) {
		close(p[0]);
		close(p[1]);
		return LOOKUP_FAILED;
	}
	pthread_attr_destroy(&attr);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	do
		rc = poll(&pfd, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	/*
	 * On a timeout the abandoned thread still owns the job and will write to the
	 * pipe: leave both ends open (a closed read end would mean SIGPIPE).
	 * They are close-on-exec, and the child ends soon anyway.
	 */
	if (rc <= 0)
		return LOOKUP_TIMEOUT;
	/* The thread is past its write and touches nothing more. */
	close(p[0]);
	close(p[1]);
	if (j->result == LOOKUP_FOUND)
		name_copy(host, j->host);
	else if (j->result == LOOKUP_UNCONFIRMED)
		name_copy(claimed, j->host);
	return j->result;
}
