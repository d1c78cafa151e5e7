/* SPDX-License-Identifier: MIT */
/* The running daemon: listeners, children, the event loop, reload and shutdown. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "acl.h"
#include "activation.h"
#include "builtin.h"
#include "child.h"
#include "conf.h"
#include "exec.h"
#include "listen.h"
#include "log.h"
#include "namecache.h"
#include "notify.h"
#include "rate.h"
#include "resolver.h"
#include "sig.h"
#include "spare.h"
#include "srctab.h"
#include "util.h"

#define ACCEPT_BATCH	 32   /* accepts per wakeup per listener, so no listener starves the rest */
#define BACKOFF_MIN_MS	 50   /* first pause after EMFILE, ENFILE, ENOMEM or a failed fork */
#define BACKOFF_MAX_MS	 2000 /* the pause doubles up to this */
#define FULL_NOTICE_USEC 10000000   /* at most one "max_connections reached" notice per 10 s */
#define REFUSAL_LOG_MAX	 50	    /* denied/limited entries per second; the rest are counted */
#define STATUS_USEC	 1000000    /* STATUS= at most once a second */
#define TAG_SIGNAL	 UINT64_MAX /* epoll data of the signalfd */
#define TAG_REPORT	 (UINT64_MAX - 1)
#define TAG_NEWS	 (UINT64_MAX - 2)
#define TAG_PARKED	 (UINT64_C(1) << 62) /* | the struct parked's address */
#define SPARE_HOLD_USEC	 100000		     /* after a spare could not be forked, wait this long */
#define SPARE_LOST_USEC	 1000000	     /* a spare asked for and not reported by then: lost */
#define SOURCE_WAIT_USEC 200000		     /* over max_per_source: how long one waits for room */
#define SOURCE_WAIT_MAX	 64		     /* connections waiting so at once; more are refused */

/*
 * A service's running state. It is found by name on reload, so counts and
 * the rate bucket carry over; it outlives its service while children of it
 * are still running.
 */
struct svc_state {
	struct svc_state *next;
	char name[SERVICE_NAME_MAX + 1];
	const struct service *svc; /* NULL once a reload removed the service */
	int active;		   /* running children */
	struct srctab sources;	   /* running children per source address */
	struct bucket bucket;
	uint64_t rate_until; /* paused by the rate limit until then; 0: not */
};

/* What the parent remembers of a running child, for the connection-ended entry. */
struct child {
	uint64_t start; /* monotonic usec */
	struct addr peer;
	struct addr local;
	struct svc_state *st;
	/*
	 * The peer's name ("" for none), once known: from the cache or the
	 * resolver at the start, else from the child's report. Inline, not
	 * strdup()'d: the parent's heap is shared with the children, and
	 * each malloc()/free() there cost it a copied page.
	 */
	char host[PEER_HOSTLEN];
	int named;
	int mode;   /* enum resolve of the service when it was accepted */
	int lookup; /* enum lookup, from the report */
	uint64_t bytes_in;
	uint64_t bytes_out;
	int have_bytes;
	char reason[24];   /* why it ended early, from the child, or "" */
	struct addr proxy; /* the proxy's address, when a PROXY header named the client */
	int proxied;
	int verdict_fd;	      /* the waiting child's pipe (PROXY with max_per_source), or -1 */
	int accepted_pending; /* the parent logs connection-accepted when the name comes */
	int source_released;  /* no longer counted for max_per_source: its connection is over */
	uint64_t verdict_due; /* over max_per_source behind a PROXY header: refused then, or 0 */
};

/*
 * An exec connection waiting for its name. The parent asks the resolver
 * without waiting and starts the program when the answer comes, or when
 * resolve_timeout has passed: then clone(CLONE_VM | CLONE_VFORK) serves it
 * (exec_spawn), where a child forked only to wait for its name would first
 * copy the daemon's page tables. It counts as running from its accept
 * (max_connections, max_per_source), and the children forked meanwhile
 * close its two descriptors (srv.closefds) so that none holds the socket.
 */
struct parked {
	struct conn c;
	struct svc_state *st;
	int fd;		   /* the resolver's answer comes here */
	size_t slot;	   /* in srv.parked[], and its fds in srv.closefds */
	uint64_t start;	   /* accepted, monotonic usec */
	uint64_t deadline; /* start + resolve_timeout */
};

/*
 * A connection over max_per_source, waiting a moment for one of its
 * source's connections to end. The client of a connection sees it close
 * when its process closes the socket, in exit(); the parent learns of it
 * when it reaps that process, a little later. A client that connects
 * again at once, as a sequential client does, would be refused for a
 * connection that is over. Built-in children report their end before
 * they close; exec'd programs do not, so their clients wait here.
 */
struct waiting {
	struct conn c;
	struct svc_state *st;
	uint64_t deadline; /* then refused, if still over */
};

/*
 * The whole running state: the only mutable globals besides log.c's. The
 * parent writes it on every connection, so it has pages of its own, made
 * parent memory (parent_only) by server_run(): in .data, each first write
 * after a fork would copy the page for a child that never reads it.
 */
#define SRV_ALIGN 4096
static struct __attribute__((aligned(SRV_ALIGN))) {
	struct conf *conf;
	struct inherited *inh; /* sockets from systemd, kept for the life of the process */
	size_t ninh;
	struct svc_state *states;
	struct pool state_pool; /* of svc_state: written per connection, parent memory */
	struct namecache names; /* peer names the children looked up; cleared on reload */
	struct listener *lis;
	size_t nlis;
	/*
	 * What a child closes: listeners, epoll, signalfd, report reader,
	 * news reader, waiting connections (nclosestatic of them), then each
	 * parked connection's two.
	 */
	int *closefds;
	size_t nclosefds, nclosestatic, closecap;
	struct parked **parked; /* exec connections waiting for their names */
	size_t nparked, parkcap;
	struct pool parked_pool;
	unsigned parked_flushes; /* an event loop turn ignores parked events after a flush */
	struct waiting *waiting; /* connections over max_per_source, for a moment */
	size_t nwaiting, waitcap;
	size_t verdicts_due;   /* children with a verdict_due */
	uint64_t verdict_next; /* the earliest verdict_due, or earlier */
	int epfd;
	int sigfd;
	int report_rd; /* children's reports arrive here (non-blocking) */
	int keep_fd;   /* the daemon's own (the pidfile), closed by children; or -1 */
	int report_wr; /* children write here */
	/*
	 * Spares (spare.c): children forked ahead of their connections. Their
	 * sockets are malloc()'d, not parent memory: a forked child reads them
	 * to close them.
	 */
	int *spare_fds;
	pid_t *spare_pids;
	unsigned *spare_depths; /* each one's place in its line of successors */
	size_t nspares;
	unsigned spares_want;	 /* daemon.spares; 0 when no service needs a forked child */
	unsigned spares_pending; /* asked for, not reported yet */
	unsigned spare_gen;	 /* bumped when the idle ones are let go */
	int news_rd;		 /* new spares are told here (read when needed) */
	int news_wr;		 /* spares write here */
	int news_polled;	 /* news_rd in the epoll set: waiting for a spare */
	int spares_live;	 /* spares exist, or news of one may still come */
	uint64_t spares_asked;	 /* the last one asked for, monotonic usec */
	uint64_t spares_hold;	 /* none asked for before then (a fork failed) */

	/* the name resolver process (resolver.c), while a service resolves names */
	pid_t resolver_pid;
	int resolver_fd; /* the children ask here */
	uint64_t resolver_started;
	uint64_t resolver_restart_at; /* 0: no restart pending */
	pid_t *pids;		      /* parallel to children[]: a dense array scans fast */
	struct child *children;
	size_t nchildren;
	size_t cap;
	unsigned long total;
	int log_level_override;
	/* back-off after resource exhaustion on the accept path */
	int backoff;
	uint64_t backoff_until;
	unsigned backoff_ms;
	unsigned long failures;
	uint64_t last_full_notice;
	/* denied/limited entries logged this second, and those not logged */
	uint64_t refusal_second;
	unsigned refusals_logged;
	unsigned long refusals_unlogged;
	/* STATUS= for the service manager, sent when stale and a second has passed */
	int status_stale;
	uint64_t status_sent;
	/* WATCHDOG=1 every half interval, from the loop itself: a stuck loop stops the pings */
	uint64_t watchdog_usec;
	uint64_t watchdog_next;
	/* shutdown */
	int stopping;
	uint64_t kill_at; /* 0: no SIGKILL pending */
} srv = { .epfd = -1,
	  .sigfd = -1,
	  .report_rd = -1,
	  .keep_fd = -1,
	  .report_wr = -1,
	  .news_rd = -1,
	  .news_wr = -1,
	  .resolver_fd = -1,
	  .state_pool = { .size = sizeof(struct svc_state) },
	  .parked_pool = { .size = sizeof(struct parked) } };

/* Whether old listener O is the socket for address A with V6ONLY: (family, address, port, v6only). */
static int listener_same(const struct listener *o, const struct addr *a, int v6only)
{
	/* IPV6_V6ONLY changes what a wildcard takes; a specific address is itself either way. */
	int v6only_matters = a->u.sa.sa_family == AF_INET6 && addr_is_any(a);

	return o->fd >= 0 && !o->inherited && addr_equal(&o->addr, a) &&
	       (!v6only_matters || o->v6only == v6only);
}

/* Whether CONF keeps old listener O (some entry of it is the same socket). */
static int listener_kept(const struct listener *o, const struct conf *conf)
{
	const struct service *svc;
	size_t i, j;

	for (i = 0; i < conf->nservices; i++) {
		svc = &conf->services[i];
		for (j = 0; j < svc->nlisten; j++)
			if (listener_same(o, &svc->listen[j], svc->v6only))
				return 1;
	}
	return 0;
}

/*
 * Listener L for an address of SVC: taken over from OLD when bound there
 * already (a backlog change is only noted: it is applied once the whole
 * reload is sure to succeed); deferred when it overlaps an old listener that
 * CONF drops (0.0.0.0 replacing 127.0.0.1 on one port), since that one must
 * go first; else bound now.
 */
static int listener_bind(struct listener *l, const struct service *svc, const struct addr *a,
			 const struct listener *old, size_t nold, const struct conf *conf)
{
	char abuf[ADDR_STRLEN];
	size_t o;

	l->fd = -1;
	l->addr = *a;
	l->backlog = svc->backlog;
	l->wildcard = addr_is_any(a);
	l->v6only = a->u.sa.sa_family == AF_INET6 ? svc->v6only : 0;
	l->svc = svc;
	for (o = 0; o < nold; o++) {
		if (listener_same(&old[o], a, l->v6only)) {
			/* Kept: connections queued on it survive a reload. */
			l->fd = old[o].fd;
			l->relisten = old[o].backlog != l->backlog;
			return 0;
		}
	}
	for (o = 0; o < nold; o++) {
		if (old[o].fd >= 0 && !old[o].inherited && addr_conflict(&old[o].addr, a) &&
		    !listener_kept(&old[o], conf)) {
			l->deferred = 1;
			return 0;
		}
	}
	l->fd = listen_open(a, l->backlog, l->v6only);
	if (l->fd < 0) {
		log_err("cannot bind %s for service %s", addr_format(a, abuf, sizeof(abuf)),
			svc->name);
		return -1;
	}
	return 0;
}

/* Close the sockets in LIS (N of them) that this reload bound itself, and free LIS. */
static void listeners_discard(struct listener *lis, size_t n, const struct listener *old,
			      size_t nold)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (lis[i].fd < 0 || lis[i].inherited)
			continue;
		for (j = 0; j < nold; j++)
			if (old[j].fd == lis[i].fd)
				break;
		if (j == nold)
			close(lis[i].fd);
	}
	free(lis);
}

/*
 * Listeners for CONF: a service with sockets from systemd gets those and
 * binds nothing; the others bind their listen entries, reusing sockets from
 * OLD (NOLD of them) whose address matches. Nothing in OLD changes.
 */
static struct listener *listeners_open(const struct conf *conf, struct listener *old, size_t nold,
				       size_t *nout)
{
	struct listener *lis;
	size_t n = srv.ninh, i, j, k = 0;
	int saved, activated;

	for (i = 0; i < conf->nservices; i++)
		n += conf->services[i].nlisten;
	lis = calloc(n ? n : 1, sizeof(*lis));
	if (!lis)
		return NULL;
	for (i = 0; i < conf->nservices; i++) {
		const struct service *svc = &conf->services[i];

		activated = 0;
		for (j = 0; j < srv.ninh; j++) {
			if (activation_service(&srv.inh[j], conf) != svc)
				continue;
			lis[k++] = (struct listener){ .fd = srv.inh[j].fd,
						      .addr = srv.inh[j].addr,
						      .backlog = -1,
						      .wildcard = addr_is_any(&srv.inh[j].addr),
						      .inherited = 1,
						      .svc = svc };
			activated = 1;
		}
		for (j = 0; !activated && j < svc->nlisten; j++, k++)
			if (listener_bind(&lis[k], svc, &svc->listen[j], old, nold, conf) < 0)
				goto fail;
	}
	*nout = k;
	return lis;
fail:
	saved = errno;
	listeners_discard(lis, k + 1, old, nold);
	errno = saved;
	return NULL;
}

static void state_free_if_unused(struct svc_state *st)
{
	struct svc_state **pp;

	if (st->svc || st->active)
		return;
	for (pp = &srv.states; *pp; pp = &(*pp)->next) {
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	}
	srctab_free(&st->sources);
	pool_release(&srv.state_pool, st);
}

static int state_cmp(const void *a, const void *b)
{
	return strcmp((*(struct svc_state *const *)a)->name, (*(struct svc_state *const *)b)->name);
}

/*
 * Give every service of CONF its state (kept by name, else new), mark the
 * others removed, and point the listeners at them. Returns 0 or -1 (ENOMEM,
 * nothing changed). The old states are looked up in a sorted array: with
 * thousands of services a linear search per service made start and reload
 * quadratic (9 s for 10,000 services).
 */
static int states_sync(const struct conf *conf, struct listener *lis, size_t nlis)
{
	struct svc_state *st, *next, *fresh = NULL, **sorted = NULL, **of = NULL, key, *kp = &key;
	struct svc_state **found;
	uint64_t now = now_usec();
	size_t i, nold = 0;

	for (st = srv.states; st; st = st->next)
		nold++;
	sorted = malloc((nold ? nold : 1) * sizeof(*sorted));
	of = calloc(conf->nservices ? conf->nservices : 1, sizeof(*of));
	if (!sorted || !of)
		goto fail;
	nold = 0;
	for (st = srv.states; st; st = st->next)
		sorted[nold++] = st;
	qsort(sorted, nold, sizeof(*sorted), state_cmp);
	/* Allocate first, so a failure changes nothing. */
	for (i = 0; i < conf->nservices; i++) {
		memcpy(key.name, conf->services[i].name, sizeof(key.name));
		found = bsearch(&kp, sorted, nold, sizeof(*sorted), state_cmp);
		if (found) {
			of[i] = *found;
			continue;
		}
		st = pool_zalloc(&srv.state_pool);
		if (!st)
			goto fail;
		memcpy(st->name, conf->services[i].name, sizeof(st->name));
		rate_init(&st->bucket, conf->services[i].burst, now);
		st->next = fresh;
		fresh = st;
		of[i] = st;
	}
	while (fresh) {
		next = fresh->next;
		fresh->next = srv.states;
		srv.states = fresh;
		fresh = next;
	}
	for (st = srv.states; st; st = st->next)
		st->svc = NULL;
	for (i = 0; i < conf->nservices; i++)
		of[i]->svc = &conf->services[i];
	for (st = srv.states; st; st = st->next)
		/* A service that no longer has a rate limit is not paused by the old one. */
		if (!st->svc || st->svc->rate == 0)
			st->rate_until = 0;
	for (i = 0; i < nlis; i++)
		lis[i].st = of[lis[i].svc - conf->services];
	for (st = srv.states; st; st = next) {
		next = st->next;
		state_free_if_unused(st);
	}
	free(sorted);
	free(of);
	return 0;
fail:
	while (fresh) {
		next = fresh->next;
		pool_release(&srv.state_pool, fresh);
		fresh = next;
	}
	free(sorted);
	free(of);
	errno = ENOMEM;
	return -1;
}

int server_listen(struct conf *conf, struct inherited *inh, size_t ninh)
{
	srv.inh = inh;
	srv.ninh = ninh;
	srv.lis = listeners_open(conf, NULL, 0, &srv.nlis);
	if (!srv.lis)
		return -1;
	srv.conf = conf;
	return 0;
}

static int epoll_tag(int op, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(srv.epfd, op, fd, &ev);
}

/*
 * Room for N elements of SIZE in the malloc()'d array V of *CAP, grown by
 * doubling: the array (V or its new place), or NULL with V unchanged.
 */
static void *array_reserve(void *v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap : 16;

	if (n <= *cap)
		return v;
	while (c < n)
		c *= 2;
	v = realloc(v, c * size);
	if (v)
		*cap = c;
	return v;
}

static int closefds_reserve(size_t n)
{
	int *v = array_reserve(srv.closefds, &srv.closecap, n, sizeof(*v));

	if (!v)
		return -1;
	srv.closefds = v;
	return 0;
}

/* The descriptors every child closes first: the parent's, none of which a connection needs. */
static int closefds_update(void)
{
	size_t i, n = 0;
	int *v;

	if (closefds_reserve(srv.nlis + 5 + srv.nwaiting + 2 * srv.nparked) < 0)
		return -1;
	v = srv.closefds;
	for (i = 0; i < srv.nlis; i++)
		v[n++] = srv.lis[i].fd;
	v[n++] = srv.epfd;
	v[n++] = srv.sigfd;
	v[n++] = srv.report_rd;
	v[n++] = srv.news_rd;
	if (srv.keep_fd >= 0)
		v[n++] = srv.keep_fd;
	for (i = 0; i < srv.nwaiting; i++)
		v[n++] = srv.waiting[i].c.fd;
	srv.nclosestatic = n;
	for (i = 0; i < srv.nparked; i++) {
		v[n++] = srv.parked[i]->c.fd;
		v[n++] = srv.parked[i]->fd;
	}
	srv.nclosefds = n;
	return 0;
}

int server_close_in_children(int fd)
{
	srv.keep_fd = fd;
	return closefds_update();
}

static int may_accept(void)
{
	/* No spare, and one coming: the backlog holds the connection meanwhile, rather than a fork. */
	return !srv.stopping && !srv.backoff && (srv.nspares || !srv.spares_pending) &&
	       srv.nchildren + srv.nparked < (size_t)srv.conf->max_connections;
}

/* Whether L's service could take a connection now: its own cap and its rate limit. */
static int service_may_accept(const struct listener *l)
{
	const struct service *svc = l->svc;

	if (svc->max_connections && l->st->active >= svc->max_connections)
		return 0;
	return !l->st->rate_until;
}

/*
 * Poll the listeners only while a connection could be taken: while full or
 * backing off, the kernel's backlog holds the queue and we never spin.
 */
static void poll_update(void)
{
	int want = may_accept(), on;
	char abuf[ADDR_STRLEN];
	size_t i;

	/* Waiting for a spare: its news is what wakes the loop. */
	on = !srv.nspares && srv.spares_pending && !srv.stopping;
	if (on != srv.news_polled &&
	    epoll_tag(on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, srv.news_rd, TAG_NEWS) == 0)
		srv.news_polled = on;

	for (i = 0; i < srv.nlis; i++) {
		struct listener *l = &srv.lis[i];

		on = want && service_may_accept(l);
		if (l->polled == on || l->fd < 0)
			continue;
		if (epoll_tag(on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, l->fd, i) < 0)
			log_warn("epoll %s", addr_format(&l->addr, abuf, sizeof(abuf)));
		else
			l->polled = on;
	}
	if (!srv.stopping && srv.nchildren + srv.nparked >= (size_t)srv.conf->max_connections) {
		uint64_t now = now_usec();

		if (!srv.last_full_notice || now - srv.last_full_notice >= FULL_NOTICE_USEC) {
			srv.last_full_notice = now;
			log_notice(
				"max_connections (%d) reached: new connections wait in the backlog",
				srv.conf->max_connections);
		}
	}
}

/* Stop polling all listeners because of resource exhaustion; log the first failure only. */
static void backoff_start(const char *what, int err)
{
	srv.backoff_ms = srv.backoff_ms ? srv.backoff_ms * 2 : BACKOFF_MIN_MS;
	if (srv.backoff_ms > BACKOFF_MAX_MS)
		srv.backoff_ms = BACKOFF_MAX_MS;
	if (!srv.failures++)
		log_event(MSGID_ACCEPT_FAILED, LOG_ERR, NULL, 0,
			  "%s: %s: pausing new connections, retrying in %u ms", what, strerror(err),
			  srv.backoff_ms);
	srv.backoff = 1;
	srv.backoff_until = now_usec() + srv.backoff_ms * 1000ull;
}

static void backoff_success(void)
{
	if (srv.failures)
		log_notice("accepting again after %lu failed attempts", srv.failures);
	srv.failures = 0;
	srv.backoff_ms = 0;
}

/*
 * The children's records are the parent's alone, and written on every
 * connection: kept out of the children (parent_alloc), fork() neither
 * copies nor write-protects them, and a held child does not end up owning
 * the old copy of every page the parent writes there after its fork.
 */
static int children_reserve(void)
{
	size_t cap = srv.cap ? srv.cap * 2 : 64;
	struct child *c;
	pid_t *p;

	if (srv.nchildren < srv.cap)
		return 0;
	c = parent_alloc(cap * sizeof(*c));
	p = parent_alloc(cap * sizeof(*p));
	if (!c || !p) {
		parent_free(c, cap * sizeof(*c));
		parent_free(p, cap * sizeof(*p));
		errno = ENOMEM;
		return -1;
	}
	if (srv.nchildren) { /* srv.children is NULL before the first */
		memcpy(c, srv.children, srv.nchildren * sizeof(*c));
		memcpy(p, srv.pids, srv.nchildren * sizeof(*p));
	}
	parent_free(srv.children, srv.cap * sizeof(*c));
	parent_free(srv.pids, srv.cap * sizeof(*p));
	srv.children = c;
	srv.pids = p;
	srv.cap = cap;
	return 0;
}

/*
 * Who logs connection-accepted for C. The parent, whenever it can know all
 * the entry says: at the fork when there is no name to look up (or the
 * cache has it), else when the child reports the name it looked up.
 * journald then takes each entry from a sender it knows instead of building
 * a client context (a dozen /proc reads) for every child. Only behind a
 * PROXY header does the child log it: the entry names the client that the
 * child read from the header.
 */
enum { ACCEPTED_UNLOGGED, ACCEPTED_BY_CHILD, ACCEPTED_AT_FORK, ACCEPTED_ON_NAME };
static int accepted_logger(const struct conn *c)
{
	if (srv.conf->log_connections != LOG_CONN_BOTH)
		return ACCEPTED_UNLOGGED;
	if (c->svc->proxy)
		return ACCEPTED_BY_CHILD;
	if (c->svc->resolve == RESOLVE_NONE || c->cached)
		return ACCEPTED_AT_FORK;
	return ACCEPTED_ON_NAME;
}

static void log_accepted(const char *service, const struct addr *peer, const struct addr *local,
			 const struct peer_name *name, pid_t pid)
{
	const char *host = name && name->host ? name->host : "";
	struct log_field f[CONN_FIELDS];
	struct conn_info ci = { service, peer, local, NULL, name, pid };
	struct conn_text t;
	int n = conn_fields(f, &t, &ci);

	log_event(MSGID_CONN_ACCEPTED, LOG_INFO, f, n,
		  "connection from %s [%s]:%s to %s on [%s]:%s", host[0] ? host : t.raddr, t.raddr,
		  t.rport, service, t.laddr, t.lport);
}

/* C runs from now on: it counts against the service's limits. */
static void conn_count(const struct conn *c, struct svc_state *st)
{
	st->active++;
	if (srctab_inc(&st->sources, &c->peer) < 0)
		log_warn("%s: per-source count of a new connection", st->name);
	if (c->svc->rate)
		rate_spend(&st->bucket);
	srv.total++;
	srv.status_stale = 1;
}

/* C, counted, ends before it got a process. */
static void conn_uncount(const struct conn *c, struct svc_state *st)
{
	st->active--;
	srctab_dec(&st->sources, &c->peer);
	state_free_if_unused(st);
	srv.status_stale = 1;
}

/* What a new child closes first: the daemon's descriptors. */
static struct daemon_fds daemon_fds(void)
{
	return (struct daemon_fds){ srv.closefds, srv.nclosefds, srv.spare_fds, srv.nspares };
}

/* Forget idle spare I and close its socket: it ends on end-of-file. */
static void spare_forget(size_t i)
{
	close(srv.spare_fds[i]);
	srv.nspares--;
	srv.spare_fds[i] = srv.spare_fds[srv.nspares];
	srv.spare_pids[i] = srv.spare_pids[srv.nspares];
	srv.spare_depths[i] = srv.spare_depths[srv.nspares];
}

/*
 * Let every idle spare go, and forget those asked for: they are copies of
 * a configuration or a resolver that is gone. The next are forked anew.
 */
static void spares_let_go(void)
{
	while (srv.nspares)
		spare_forget(srv.nspares - 1);
	srv.spares_pending = 0;
	srv.spare_gen++;
}

/*
 * The spares CONF keeps: daemon.spares, if any service needs a forked
 * child (the others are spawned: exec_spawn()).
 */
static unsigned spares_wanted(const struct conf *conf)
{
	size_t i;

	for (i = 0; i < conf->nservices; i++)
		if (!exec_spawnable(&conf->services[i], 1))
			return (unsigned)conf->spares;
	return 0;
}

static void spare_add(pid_t pid, int fd, unsigned depth)
{
	srv.spare_fds[srv.nspares] = fd;
	srv.spare_pids[srv.nspares] = pid;
	srv.spare_depths[srv.nspares++] = depth;
}

/* A spare forked another (R->pid; 0: it could not), whose socket is FD (or -1). */
static void spare_reported(const struct spare_news *r, int fd)
{
	if (r->gen != srv.spare_gen) {
		/* Of a generation let go: it ends on end-of-file. */
		if (fd >= 0)
			close(fd);
		return;
	}
	if (srv.spares_pending)
		srv.spares_pending--;
	if (r->pid <= 0 || fd < 0) {
		srv.spares_hold = now_usec() + SPARE_HOLD_USEC;
		if (fd >= 0)
			close(fd);
		return;
	}
	if (srv.stopping || srv.nspares >= srv.spares_want) {
		close(fd);
		return;
	}
	spare_add(r->pid, fd, r->depth);
}

/*
 * Take in the spares forked since the last time. Not on every report: the
 * daemon reads the news when it needs a spare, and is woken for it only
 * while it waits for one (poll_update()), not once more per connection.
 */
static void spares_collect(void)
{
	struct spare_news n = { 0, 0, 0 }; /* fd_recv() fills it */
	int fd;

	while (spare_news(srv.news_rd, &n, &fd) > 0)
		spare_reported(&n, fd);
}

/* An idle spare that may fork another (not at the end of its line), or -1. */
static ssize_t spare_forker(void)
{
	size_t i;

	for (i = 0; i < srv.nspares; i++)
		if (srv.spare_depths[i] < SPARE_DEPTH_MAX)
			return (ssize_t)i;
	return -1;
}

/*
 * Keep spares_want spares, idle or coming: ask an idle one to fork the
 * missing; only when none may, fork one here (at the start, after a
 * reload, at the end of a line of successors).
 */
static void spares_fill(void)
{
	struct daemon_fds d;
	uint64_t now;
	ssize_t i;
	pid_t pid;
	int fd;

	/* Without spares (the default), not even a system call per loop turn. */
	if (!srv.spares_want && !srv.spares_live)
		return;
	spares_collect();
	now = now_usec();
	/*
	 * Lost: its forker died before it reported (killed while it held the
	 * connection it was given). Written off before anything else: counted
	 * as coming, it would make up the number wanted, and with none idle the
	 * listeners would stay paused for a spare that never comes.
	 */
	if (srv.spares_pending && now >= srv.spares_asked + SPARE_LOST_USEC)
		srv.spares_pending = 0;
	/*
	 * Switched off by a reload: once no forker can still report (one asked
	 * before the reload reports within SPARE_LOST_USEC, or is written off
	 * as lost), stop reading the news, as if spares had never been on.
	 */
	if (!srv.spares_want && !srv.nspares && now >= srv.spares_asked + SPARE_LOST_USEC)
		srv.spares_live = 0;
	if (srv.stopping || srv.nspares + srv.spares_pending >= srv.spares_want)
		return;
	if (now < srv.spares_hold)
		return;
	while (srv.nspares + srv.spares_pending < srv.spares_want) {
		i = spare_forker();
		if (i >= 0) {
			if (spare_ask(srv.spare_fds[i]) < 0) {
				spare_forget((size_t)i); /* it died */
				continue;
			}
			srv.spares_pending++;
			srv.spares_asked = now;
			continue;
		}
		d = daemon_fds();
		pid = spare_start(srv.spare_gen, srv.news_wr, srv.report_wr, srv.resolver_fd, &d,
				  &fd);
		if (pid < 0) {
			srv.spares_hold = now + SPARE_HOLD_USEC;
			return;
		}
		spare_add(pid, fd, 1);
		srv.spares_live = 1;
	}
}

/*
 * Give C to an idle spare instead of forking: 0 with its pid in *PID, or -1
 * when there is none that takes it (C is still ours). The spare forks its
 * successor before it serves, unless its line has ended: asking an idle one
 * instead would keep that fork off the connection's path, but cost a
 * wake-up of one more process per connection, and context switches are dear
 * on virtual machines (measured: up to 14 % more CPU per connection).
 */
static __attribute__((noinline)) int spare_hand(const struct conn *c, int log_accepted, pid_t *pid)
{
	size_t i;
	int successor;

	if (!srv.nspares)
		spares_collect();
	while (srv.nspares) {
		i = srv.nspares - 1; /* the newest: the warmest */
		successor = srv.spare_depths[i] < SPARE_DEPTH_MAX &&
			    srv.nspares + srv.spares_pending <= srv.spares_want;
		if (spare_give(srv.spare_fds[i], c, log_accepted, successor) < 0) {
			spare_forget(i); /* it died */
			continue;
		}
		*pid = srv.spare_pids[i];
		close(srv.spare_fds[i]);
		srv.nspares--;
		if (successor) {
			srv.spares_pending++;
			srv.spares_asked = now_usec();
		}
		return 0;
	}
	return -1;
}

/* An idle spare ended (killed, or the daemon's end was closed): 1 if PID was one. */
static int spare_ended(pid_t pid)
{
	size_t i;

	for (i = 0; i < srv.nspares; i++) {
		if (srv.spare_pids[i] == pid) {
			spare_forget(i);
			return 1;
		}
	}
	return 0;
}

/*
 * Start C's child. PARKED: C waited for its name, and is counted already.
 * Inlined into both callers: a forked child returns from fork() in here, and
 * inlined into server_run() (via accept_on()) it runs on pages the child
 * touches anyway, in one stack frame less (a page fault each, measured).
 */
static inline __attribute__((always_inline)) void spawn(struct conn *c, struct svc_state *st,
							const struct parked *parked)
{
	/* What the child needs of srv, which it cannot read (parent memory). */
	struct daemon_fds dfds = daemon_fds();
	int report_wr = srv.report_wr, resolver_fd = srv.resolver_fd;
	int verdict[2] = { -1, -1 };
	struct child *ch;
	uint64_t start;
	pid_t pid;
	int err, spawned = 0, logger = accepted_logger(c);

	if (children_reserve() < 0) {
		err = errno;
		close(c->fd);
		if (parked)
			conn_uncount(c, st);
		backoff_start("cannot track a new child", err);
		return;
	}
	/*
	 * Behind a PROXY header only the parent can count the advertised client:
	 * the child waits for its verdict on a pipe before serving.
	 */
	if (c->svc->proxy && c->svc->max_per_source) {
		if (pipe2(verdict, O_CLOEXEC) < 0) {
			err = errno;
			close(c->fd);
			backoff_start("pipe", err);
			return;
		}
		c->verdict_fd = verdict[0];
	}
	/* Before fork(): the child may run first, and the duration includes all of it. */
	start = parked ? parked->start : now_usec();
	/* Never behind a PROXY header (exec_spawnable), so there is no verdict pipe. */
	if (exec_spawnable(c->svc, c->cached)) {
		spawned = exec_spawn(c, c->cached ? c->cached_host : "", &pid) == 0;
		if (spawned)
			goto forked;
	}
	/* Not a parked one: it may refer to a configuration that a reload is freeing. */
	if (!parked && srv.spares_want && spare_hand(c, logger == ACCEPTED_BY_CHILD, &pid) == 0)
		goto forked;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(c->fd);
		if (verdict[0] >= 0) {
			close(verdict[0]);
			close(verdict[1]);
		}
		if (parked)
			conn_uncount(c, st);
		backoff_start("fork", err);
		return;
	}
	if (pid == 0) {
		if (verdict[1] >= 0)
			close(verdict[1]);
		child_detach(&dfds);
		child_main(c, report_wr, resolver_fd, logger == ACCEPTED_BY_CHILD);
	}
forked:
	if (logger == ACCEPTED_AT_FORK) {
		struct peer_name name = { c->cached ? c->cached_host : "", c->svc->resolve,
					  c->cached_lookup };

		log_accepted(c->svc->name, &c->peer, &c->local, &name, pid);
	}
	close(c->fd);
	if (verdict[0] >= 0)
		close(verdict[0]);
	ch = &srv.children[srv.nchildren];
	srv.pids[srv.nchildren++] = pid;
	memset(ch, 0, sizeof(*ch));
	ch->verdict_fd = verdict[1];
	ch->start = start;
	ch->peer = c->peer;
	ch->local = c->local;
	ch->st = st;
	ch->mode = c->svc->resolve;
	ch->accepted_pending = logger == ACCEPTED_ON_NAME;
	/* Known already: a child does not report it (and a spawned program sends no reports). */
	if (c->cached) {
		str_copy(ch->host, c->cached_host, sizeof(ch->host));
		ch->lookup = c->cached_lookup;
		ch->named = 1;
	}
	if (!parked)
		conn_count(c, st);
	if (srv.failures)
		backoff_success();
}

/*
 * Whether C should wait for its name in the parent (struct parked): an
 * exec service that the name alone keeps from being spawned.
 */
static int parkable(const struct conn *c)
{
	return c->svc->resolve != RESOLVE_NONE && !c->cached && srv.resolver_fd >= 0 &&
	       exec_spawnable(c->svc, 1);
}

/* Ask for C's name and park it. -1: not parked (the child then asks itself). */
static __attribute__((noinline)) int park(const struct conn *c, struct svc_state *st)
{
	struct parked *p, **v;

	v = array_reserve(srv.parked, &srv.parkcap, srv.nparked + 1, sizeof(*v));
	if (!v)
		return -1;
	srv.parked = v;
	if (closefds_reserve(srv.nclosefds + 2) < 0)
		return -1;
	p = pool_zalloc(&srv.parked_pool);
	if (!p)
		return -1;
	if (resolver_ask(srv.resolver_fd, &c->peer, c->svc->resolve, &p->fd) < 0) {
		pool_release(&srv.parked_pool, p);
		return -1;
	}
	if (epoll_tag(EPOLL_CTL_ADD, p->fd, TAG_PARKED | (uintptr_t)p) < 0) {
		close(p->fd);
		pool_release(&srv.parked_pool, p);
		return -1;
	}
	p->c = *c;
	p->st = st;
	p->start = now_usec();
	p->deadline = p->start + (uint64_t)c->svc->resolve_timeout * 1000u;
	p->slot = srv.nparked;
	srv.parked[srv.nparked++] = p;
	srv.closefds[srv.nclosefds++] = c->fd;
	srv.closefds[srv.nclosefds++] = p->fd;
	conn_count(c, st);
	return 0;
}

/*
 * Keep an answer (a child's report, or the resolver's to the parent) for
 * repeat clients of SVC (NULL: gone in a reload) looked up as MODE;
 * timeouts and failures are not answers.
 */
static void names_remember(const struct service *svc, int mode, const struct addr *peer,
			   const char *host, int lookup)
{
	/* A PROXY service's names belong to clients the parent never sees itself. */
	if (!svc || !svc->resolve_cache_ttl || svc->resolve != mode || svc->proxy)
		return;
	if (lookup != LOOKUP_FOUND && lookup != LOOKUP_NONAME && lookup != LOOKUP_UNCONFIRMED)
		return;
	namecache_put(&srv.names, peer, mode, host, lookup,
		      now_usec() + (uint64_t)svc->resolve_cache_ttl * 1000000u);
}

/* P's name came (or LOOKUP_TIMEOUT, LOOKUP_FAILED): start its program, with what is known. */
static __attribute__((noinline)) void unpark(struct parked *p, int lookup, const char *host)
{
	struct parked *last = srv.parked[--srv.nparked];

	/* The last one takes P's place, and its descriptors P's in closefds. */
	last->slot = p->slot;
	srv.parked[p->slot] = last;
	srv.closefds[srv.nclosestatic + 2 * p->slot] = last->c.fd;
	srv.closefds[srv.nclosestatic + 2 * p->slot + 1] = last->fd;
	srv.nclosefds -= 2;
	/*
	 * Removed, not just closed: a child forked a moment ago may still hold
	 * a copy of the descriptor, and epoll forgets a file only when the
	 * last descriptor of it is closed; its answer would then come as an
	 * event for a freed struct parked.
	 */
	(void)epoll_ctl(srv.epfd, EPOLL_CTL_DEL, p->fd, NULL);
	close(p->fd);
	names_remember(p->c.svc, p->c.svc->resolve, &p->c.peer, host, lookup);
	p->c.cached = 1;
	p->c.cached_host = host;
	p->c.cached_lookup = lookup;
	spawn(&p->c, p->st, p);
	pool_release(&srv.parked_pool, p);
}

/* Not inlined: its buffers would deepen server_run()'s frame, which every child inherits. */
static __attribute__((noinline)) void parked_answer(struct parked *p)
{
	char host[PEER_HOSTLEN], claimed[PEER_HOSTLEN];

	unpark(p, resolver_answer(p->fd, host, claimed), host);
}

/*
 * Start every parked connection now, without its name ("failed"): before a
 * reload frees the services they refer to, and at shutdown.
 */
static void parked_flush(void)
{
	while (srv.nparked)
		unpark(srv.parked[srv.nparked - 1], LOOKUP_FAILED, "");
	srv.parked_flushes++;
}

/* Errors that concern one connection only (see accept(2)): take the next one. */
static int accept_transient(int err)
{
	switch (err) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM: /* a firewall rule */
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
		return 1;
	default:
		return 0;
	}
}

/*
 * Denied and limited connections cost no fork, but a flood of them must not
 * become a flood of journal entries: at most REFUSAL_LOG_MAX a second, the
 * rest counted and reported.
 */
/* A new second: report what the last one did not log, and start counting again. */
static void refusal_log_flush(uint64_t second)
{
	if (srv.refusals_unlogged)
		log_notice("%lu more refused connections were not logged", srv.refusals_unlogged);
	srv.refusal_second = second;
	srv.refusals_logged = 0;
	srv.refusals_unlogged = 0;
}

static int refusal_log_ok(void)
{
	uint64_t second = now_usec() / 1000000u;

	if (second != srv.refusal_second)
		refusal_log_flush(second);
	if (srv.refusals_logged < REFUSAL_LOG_MAX) {
		srv.refusals_logged++;
		return 1;
	}
	srv.refusals_unlogged++;
	return 0;
}

/* Close C at once and log why: connection-denied or connection-limited, at notice. */
static void refuse(const struct conn *c, const char *msgid, const char *why)
{
	struct conn_info ci = { c->svc->name, &c->peer, &c->local, NULL, NULL, 0 };
	struct log_field f[CONN_FIELDS];
	struct conn_text t;
	int n;

	close(c->fd);
	if (!refusal_log_ok())
		return;
	n = conn_fields(f, &t, &ci);
	log_event(msgid, LOG_NOTICE, f, n, "connection from [%s]:%s to %s on [%s]:%s refused: %s",
		  t.raddr, t.rport, c->svc->name, t.laddr, t.lport, why);
}

static void reports_read(void);
static void reap(void);

/*
 * A repeat client's name from the cache, into C (not for PROXY services:
 * theirs comes later). Inlined: it is on the accept path of every connection.
 */
static inline __attribute__((always_inline)) void name_cached(struct conn *c)
{
	const struct service *svc = c->svc;

	c->cached = svc->resolve != RESOLVE_NONE && svc->resolve_cache_ttl && !svc->proxy &&
		    namecache_get(&srv.names, &c->peer, svc->resolve, now_usec(), &c->cached_host,
				  &c->cached_lookup);
}

static void source_refuse(const struct conn *c)
{
	char why[64];

	snprintf(why, sizeof(why), "max_per_source (%d) reached", c->svc->max_per_source);
	refuse(c, MSGID_CONN_LIMITED, why);
}

/*
 * The news not read yet this turn: the children's reports and exits. A
 * client that connects again as soon as its last connection closed may be
 * here before the report or the exit of that connection's child, and must
 * not be refused for it under max_per_source.
 */
static void children_catch_up(void)
{
	reports_read();
	reap();
}

/* Whether PEER has fewer than MAX connections to ST's service, after catching up if not. */
static int source_below(struct svc_state *st, const struct addr *peer, int max)
{
	if (srctab_get(&st->sources, peer) < (unsigned)max)
		return 1;
	children_catch_up();
	return srctab_get(&st->sources, peer) < (unsigned)max;
}

/* Let C, over max_per_source, wait for room (waiting_run()). -1: it cannot, refuse it. */
static int source_wait(const struct conn *c, struct svc_state *st)
{
	struct waiting *v;

	if (srv.stopping || srv.nwaiting >= SOURCE_WAIT_MAX)
		return -1;
	v = array_reserve(srv.waiting, &srv.waitcap, srv.nwaiting + 1, sizeof(*v));
	if (!v)
		return -1;
	srv.waiting = v;
	v[srv.nwaiting++] = (struct waiting){ *c, st, now_usec() + SOURCE_WAIT_USEC };
	/* Every child forked meanwhile closes it. */
	if (closefds_update() < 0) {
		srv.nwaiting--;
		return -1;
	}
	return 0;
}

/* Everything the parent checks between accept and fork; 1: go ahead and fork. */
static int admit(const struct listener *l, const struct conn *c)
{
	const struct service *svc = l->svc;

	/*
	 * A PROXY service takes connections from its trusted proxies only (the
	 * spec forbids guessing whether a header comes); allow, deny and the
	 * per-source limit then apply to the client the header names.
	 */
	if (svc->proxy) {
		if (acl_match(svc->proxy_trusted, svc->nproxy_trusted, &c->peer))
			return 1;
		refuse(c, MSGID_CONN_DENIED, "not a trusted PROXY protocol sender");
		return 0;
	}
	/* In the parent, before any fork: a denied peer costs nothing. */
	if (!acl_permit(svc->allow, svc->nallow, svc->deny, svc->ndeny, &c->peer)) {
		refuse(c, MSGID_CONN_DENIED, "not allowed");
		return 0;
	}
	if (svc->max_per_source && !source_below(l->st, &c->peer, svc->max_per_source)) {
		if (source_wait(c, l->st) == 0)
			return 0;
		source_refuse(c);
		return 0;
	}
	return 1;
}

/*
 * The rate limit is checked before accept(): a connection over the rate
 * waits in the kernel's backlog until its token is due, never longer.
 */
static int rate_ok(struct listener *l)
{
	uint64_t wait;

	if (!l->svc->rate)
		return 1;
	wait = rate_due(&l->st->bucket, l->svc->rate, l->svc->burst, now_usec());
	if (!wait)
		return 1;
	l->st->rate_until = now_usec() + wait;
	return 0;
}

static void accept_on(struct listener *l)
{
	struct sockaddr_storage ss;
	struct conn c;
	socklen_t len;
	char abuf[ADDR_STRLEN], what[ADDR_STRLEN + 16];
	int i, fd;

	for (i = 0; i < ACCEPT_BATCH && may_accept() && service_may_accept(l) && rate_ok(l); i++) {
		len = sizeof(ss);
		/*
		 * Blocking, unlike the listener: the parent never does I/O on
		 * it, and the child and exec'd programs want blocking I/O.
		 */
		fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (accept_transient(errno))
				continue;
			snprintf(what, sizeof(what), "accept on %s",
				 addr_format(&l->addr, abuf, sizeof(abuf)));
			backoff_start(what, errno);
			return;
		}
		c.svc = l->svc;
		c.fd = fd;
		c.verdict_fd = -1;
		if (addr_from_sockaddr(&c.peer, (struct sockaddr *)&ss, len) < 0) {
			close(fd);
			continue;
		}
		c.local = l->addr;
		if (l->wildcard) {
			/* Only a wildcard listener leaves the local address to find out. */
			len = sizeof(ss);
			if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
				(void)addr_from_sockaddr(&c.local, (struct sockaddr *)&ss, len);
		}
		name_cached(&c);
		if (admit(l, &c) && !(parkable(&c) && park(&c, l->st) == 0))
			spawn(&c, l->st, NULL);
	}
}

/* W's source is below max_per_source now: start it as accept_on() would have. */
static __attribute__((noinline)) void waiting_start(struct conn *c, struct svc_state *st)
{
	name_cached(c); /* again: the cache may have changed since */
	if (!(parkable(c) && park(c, st) == 0))
		spawn(c, st, NULL);
}

/* Take waiting connection I out of the list, and out of what children close. */
static void waiting_remove(size_t i)
{
	srv.waiting[i] = srv.waiting[--srv.nwaiting];
	(void)closefds_update(); /* shrinks: cannot fail */
}

/*
 * Start each waiting connection whose source is below its limit now (and
 * that the other limits let in; else it waits on, as in the backlog), and
 * refuse those still over it at their deadline. After children_catch_up().
 */
static void waiting_run(uint64_t now)
{
	struct svc_state *st;
	struct waiting *w;
	struct conn c;
	size_t i = 0;

	while (i < srv.nwaiting) {
		w = &srv.waiting[i];
		c = w->c;
		st = w->st;
		if (srctab_get(&st->sources, &c.peer) < (unsigned)c.svc->max_per_source) {
			if (!may_accept() ||
			    (c.svc->max_connections && st->active >= c.svc->max_connections)) {
				i++;
				continue;
			}
			waiting_remove(i);
			waiting_start(&c, st);
		} else if (now >= w->deadline) {
			waiting_remove(i);
			source_refuse(&c);
		} else {
			i++;
		}
	}
}

/* Refuse every waiting connection: before a reload frees their services, and at shutdown. */
static void waiting_flush(void)
{
	struct conn c;

	while (srv.nwaiting) {
		c = srv.waiting[srv.nwaiting - 1].c;
		waiting_remove(srv.nwaiting - 1);
		source_refuse(&c);
	}
}

static ssize_t child_find(pid_t pid)
{
	size_t i;

	for (i = 0; i < srv.nchildren; i++)
		if (srv.pids[i] == pid)
			return (ssize_t)i;
	return -1;
}

static int refusal_log_ok(void);

/*
 * A PROXY header named the real client: from now on it is the peer, also
 * for the per-source count, which is enforced here, where the counts are.
 */
/* Tell a child waiting behind a PROXY header whether it may serve (one byte), once. */
static void child_verdict(struct child *ch, int go)
{
	if (ch->verdict_fd < 0)
		return;
	/* A pipe with room for it: this never blocks. */
	if (write(ch->verdict_fd, go ? "1" : "0", 1) < 0)
		log_warn("%s: verdict for a proxied connection", ch->st->name);
	close(ch->verdict_fd);
	ch->verdict_fd = -1;
}

/* CH's client, named by its PROXY header, is over max_per_source (proxy_over()): refuse it. */
static void proxy_refuse(pid_t pid, struct child *ch)
{
	const struct service *svc = ch->st->svc;
	struct conn_info ci = { ch->st->name, &ch->peer, &ch->local, &ch->proxy, NULL, pid };
	struct log_field f[CONN_FIELDS];
	struct conn_text t;
	int n;

	child_verdict(ch, 0);
	snprintf(ch->reason, sizeof(ch->reason), "max_per_source");
	if (!refusal_log_ok())
		return;
	n = conn_fields(f, &t, &ci);
	log_event(MSGID_CONN_LIMITED, LOG_NOTICE, f, n,
		  "connection from [%s]:%s via [%s]:%s to %s refused: max_per_source (%d) reached",
		  t.raddr, t.rport, t.paddr, t.pport, ch->st->name, svc->max_per_source);
}

/* Whether CH's client, counted, is over its service's max_per_source. */
static int proxy_over(const struct child *ch)
{
	const struct service *svc = ch->st->svc;

	return svc && svc->max_per_source &&
	       srctab_get(&ch->st->sources, &ch->peer) > (unsigned)svc->max_per_source;
}

static void proxy_learned(struct child *ch, const struct child_report *r)
{
	const struct service *svc = ch->st->svc;
	struct addr src = r->src, dst = r->dst;
	uint64_t wait;

	if (src.len == 0 || (src.u.sa.sa_family != AF_INET && src.u.sa.sa_family != AF_INET6) ||
	    ch->source_released)
		return;
	ch->proxy = ch->peer;
	ch->proxied = 1;
	srctab_dec(&ch->st->sources, &ch->peer);
	ch->peer = src;
	ch->local = dst;
	if (srctab_inc(&ch->st->sources, &ch->peer) < 0)
		log_warn("%s: per-source count", ch->st->name);
	if (!proxy_over(ch)) {
		child_verdict(ch, 1);
		return;
	}
	/*
	 * Over, as far as the parent knows yet. As for a connection accepted
	 * over the limit (struct waiting), one of the client's connections
	 * may have closed already, its process not reaped yet: decide a
	 * moment later (verdicts_run()), within the time the child waits.
	 */
	wait = (uint64_t)svc->proxy_timeout * 500u; /* half of it, in usec */
	if (wait > SOURCE_WAIT_USEC)
		wait = SOURCE_WAIT_USEC;
	ch->verdict_due = now_usec() + wait;
	if (!srv.verdicts_due++ || ch->verdict_due < srv.verdict_next)
		srv.verdict_next = ch->verdict_due;
}

/* The connection-accepted entry that waited for the child's name (accepted_logger). */
static void accepted_log_pending(struct child *ch, pid_t pid, const char *host)
{
	struct peer_name name = { host, ch->mode, ch->lookup };

	if (!ch->accepted_pending)
		return;
	ch->accepted_pending = 0;
	log_accepted(ch->st->name, &ch->peer, &ch->local, host ? &name : NULL, pid);
}

/* CH's connection is over: it no longer counts for max_per_source (once). */
static void source_release(struct child *ch)
{
	if (ch->source_released)
		return;
	ch->source_released = 1;
	srctab_dec(&ch->st->sources, &ch->peer);
}

static void reports_read(void)
{
	struct child_report r;
	struct child *ch;
	ssize_t n, i;

	for (;;) {
		n = recv(srv.report_rd, &r, sizeof(r), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if (n != sizeof(r) || (i = child_find(r.pid)) < 0)
			continue;
		ch = &srv.children[i];
		if (r.type == REPORT_HOST && !ch->named) {
			r.host[sizeof(r.host) - 1] = '\0';
			str_copy(ch->host, r.host, sizeof(ch->host));
			ch->lookup = r.lookup;
			ch->named = 1;
			names_remember(ch->st->svc, ch->mode, &ch->peer, r.host, r.lookup);
			accepted_log_pending(ch, srv.pids[i], r.host);
		} else if (r.type == REPORT_END) {
			/*
			 * The child reports its end before it exits, and so before its
			 * client sees the connection close: a client that connects
			 * again at once is no longer over max_per_source.
			 */
			source_release(ch);
			ch->bytes_in = r.bytes_in;
			ch->bytes_out = r.bytes_out;
			ch->have_bytes = r.have_bytes;
			r.reason[sizeof(r.reason) - 1] = '\0';
			/* The parent's own reason (max_per_source) stays. */
			if (!ch->reason[0])
				memcpy(ch->reason, r.reason, sizeof(ch->reason));
		} else if (r.type == REPORT_PROXY && !ch->proxied) {
			proxy_learned(ch, &r);
		}
	}
}

static void child_ended(size_t i, int status)
{
	struct log_field f[CONN_FIELDS + 6];
	struct child *ch = &srv.children[i];
	struct peer_name name;
	struct conn_info ci;
	struct conn_text t;
	char st[16], dur[24], bin[24], bout[24], how[32];
	uint64_t usec = now_usec() - ch->start;
	int n;

	/* A child that died before it reported a name: its connection was accepted all the same. */
	accepted_log_pending(ch, srv.pids[i], NULL);
	if (srv.conf->log_connections != LOG_CONN_NONE) {
		name = (struct peer_name){ ch->host, ch->mode, ch->lookup };
		ci = (struct conn_info){ ch->st->name,
					 &ch->peer,
					 &ch->local,
					 ch->proxied ? &ch->proxy : NULL,
					 ch->named ? &name : NULL,
					 srv.pids[i] };
		n = conn_fields(f, &t, &ci);
		if (WIFSIGNALED(status)) {
			snprintf(st, sizeof(st), "%d", WTERMSIG(status));
			f[n++] = (struct log_field){ "EXIT_SIGNAL", st };
			snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
		} else {
			snprintf(st, sizeof(st), "%d", WEXITSTATUS(status));
			f[n++] = (struct log_field){ "EXIT_STATUS", st };
			snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
		}
		if (ch->reason[0]) {
			f[n++] = (struct log_field){ "END_REASON", ch->reason };
			str_copy(how, ch->reason, sizeof(how));
		}
		snprintf(dur, sizeof(dur), "%llu", (unsigned long long)usec);
		f[n++] = (struct log_field){ "DURATION_USEC", dur };
		if (ch->have_bytes) {
			snprintf(bin, sizeof(bin), "%llu", (unsigned long long)ch->bytes_in);
			snprintf(bout, sizeof(bout), "%llu", (unsigned long long)ch->bytes_out);
			f[n++] = (struct log_field){ "BYTES_IN", bin };
			f[n++] = (struct log_field){ "BYTES_OUT", bout };
		}
		log_event(MSGID_CONN_ENDED, LOG_INFO, f, n,
			  "connection from %s [%s]:%s to %s ended: %s after %llu.%03llu s",
			  ch->named && *ch->host ? ch->host : t.raddr, t.raddr, t.rport,
			  ch->st->name, how, (unsigned long long)(usec / 1000000),
			  (unsigned long long)(usec / 1000 % 1000));
	}
	if (ch->verdict_fd >= 0)
		close(ch->verdict_fd);
	if (ch->verdict_due)
		srv.verdicts_due--;
	ch->st->active--;
	source_release(ch);
	state_free_if_unused(ch->st);
	srv.status_stale = 1;
	srv.nchildren--;
	srv.pids[i] = srv.pids[srv.nchildren];
	srv.children[i] = srv.children[srv.nchildren];
}

static int resolver_needed(const struct conf *conf)
{
	size_t i;

	for (i = 0; i < conf->nservices; i++)
		if (conf->services[i].resolve != RESOLVE_NONE)
			return 1;
	return 0;
}

/* Start the name resolver if a service needs it, and it is not there and not held off. */
static void resolver_ensure(void)
{
	uint64_t now = now_usec();
	pid_t pid;

	if (srv.stopping || srv.resolver_pid > 0 || !resolver_needed(srv.conf) ||
	    now < srv.resolver_restart_at)
		return;
	pid = resolver_start(&srv.resolver_fd);
	if (pid < 0) {
		log_warn("cannot start the name resolver; retrying in a second");
		srv.resolver_restart_at = now + 1000000u;
		return;
	}
	srv.resolver_pid = pid;
	srv.resolver_started = now;
	srv.resolver_restart_at = 0;
	/* The idle spares would ask the old one. */
	spares_let_go();
}

/*
 * The resolver ended, which it does not by itself: children that ask now
 * get "failed" until it is back. It is restarted, at most once a second.
 */
static void resolver_ended(int status)
{
	if (WIFSIGNALED(status))
		log_warnx("the name resolver (pid %ld) was killed by signal %d%s",
			  (long)srv.resolver_pid, WTERMSIG(status),
			  srv.stopping ? "" : "; restarting");
	else
		log_warnx("the name resolver (pid %ld) exited with status %d%s",
			  (long)srv.resolver_pid, WEXITSTATUS(status),
			  srv.stopping ? "" : "; restarting");
	close(srv.resolver_fd);
	srv.resolver_fd = -1;
	srv.resolver_pid = 0;
	srv.resolver_restart_at = srv.resolver_started + 1000000u;
	resolver_ensure();
}

static void reap(void)
{
	ssize_t i;
	pid_t pid;
	int status, reaped = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		reaped = 1;
		/*
		 * A child queues its reports before it exits, so once waitpid()
		 * has it, they are here: read them now, not before the loop.
		 */
		reports_read();
		if (pid == srv.resolver_pid) {
			resolver_ended(status);
			continue;
		}
		i = child_find(pid);
		if (i >= 0)
			child_ended((size_t)i, status);
		else
			(void)spare_ended(pid);
	}
	/*
	 * A child gone frees a process slot and descriptors: try again at once.
	 * Only then: reap() also runs before a max_per_source verdict.
	 */
	if (reaped)
		srv.backoff = 0;
}

/*
 * Decide the verdicts proxy_learned() put off: go for a client no longer
 * over its limit, no at the due time. After children_catch_up().
 */
static void verdicts_run(uint64_t now)
{
	uint64_t next = 0;
	struct child *ch;
	size_t i;

	for (i = 0; i < srv.nchildren && srv.verdicts_due; i++) {
		ch = &srv.children[i];
		if (!ch->verdict_due)
			continue;
		if (!proxy_over(ch)) {
			child_verdict(ch, 1);
		} else if (now >= ch->verdict_due) {
			proxy_refuse(srv.pids[i], ch);
		} else {
			if (!next || ch->verdict_due < next)
				next = ch->verdict_due;
			continue;
		}
		ch->verdict_due = 0;
		srv.verdicts_due--;
	}
	srv.verdict_next = next;
}

static void status_text(char *buf, size_t len)
{
	snprintf(buf, len, "services %zu, sockets %zu, connections active %zu, total %lu",
		 srv.conf->nservices, srv.nlis, srv.nchildren + srv.nparked, srv.total);
}

static void log_listeners(void)
{
	char abuf[ADDR_STRLEN], what[256];
	size_t i;

	for (i = 0; i < srv.nlis; i++) {
		const struct listener *l = &srv.lis[i];

		conf_service_what(l->svc, what, sizeof(what));
		if (l->inherited)
			log_info("listening on %s for %s (%s, socket %d from systemd)",
				 addr_format(&l->addr, abuf, sizeof(abuf)), l->svc->name, what,
				 l->fd);
		else
			log_info("listening on %s for %s (%s, backlog %d)",
				 addr_format(&l->addr, abuf, sizeof(abuf)), l->svc->name, what,
				 l->backlog);
	}
}

/* Remove listener L from the epoll set and close it. */
static void listener_close(struct listener *l)
{
	if (l->polled)
		(void)epoll_ctl(srv.epfd, EPOLL_CTL_DEL, l->fd, NULL);
	l->polled = 0;
	/*
	 * A child forked a moment ago holds a copy until it gets to run and
	 * close it: shutdown() takes the socket out of LISTEN for every holder,
	 * so the address is free at once. Never on systemd's sockets: for those
	 * only our copy goes (at exit).
	 */
	if (!l->inherited)
		(void)shutdown(l->fd, SHUT_RDWR);
	close(l->fd);
	l->fd = -1;
}

/*
 * Bind the deferred listeners of LIS: first close the old listeners they
 * overlap (which CONF drops), then bind. If one cannot bind, the old ones are
 * bound again and -1 returned: nothing changed but the loss of connections
 * queued on the old sockets.
 */
static int listeners_swap(struct listener *lis, size_t nlis, const struct conf *conf)
{
	char abuf[ADDR_STRLEN];
	struct listener *ol;
	size_t i, o;
	int saved;

	for (o = 0; o < srv.nlis; o++) {
		ol = &srv.lis[o];
		if (ol->fd < 0 || ol->inherited || listener_kept(ol, conf))
			continue;
		for (i = 0; i < nlis; i++)
			if (lis[i].deferred && addr_conflict(&ol->addr, &lis[i].addr))
				break;
		if (i < nlis) {
			listener_close(ol);
			ol->swapped_out = 1;
		}
	}
	for (i = 0; i < nlis; i++) {
		if (!lis[i].deferred)
			continue;
		lis[i].fd = listen_open(&lis[i].addr, lis[i].backlog, lis[i].v6only);
		if (lis[i].fd < 0) {
			log_err("cannot bind %s for service %s",
				addr_format(&lis[i].addr, abuf, sizeof(abuf)), lis[i].svc->name);
			goto fail;
		}
	}
	for (o = 0; o < srv.nlis; o++)
		srv.lis[o].swapped_out = 0;
	return 0;
fail:
	saved = errno;
	for (i = 0; i < nlis; i++) {
		if (lis[i].deferred && lis[i].fd >= 0) {
			close(lis[i].fd);
			lis[i].fd = -1;
		}
	}
	for (o = 0; o < srv.nlis; o++) {
		ol = &srv.lis[o];
		if (!ol->swapped_out)
			continue;
		ol->swapped_out = 0;
		ol->fd = listen_open(&ol->addr, ol->backlog, ol->v6only);
		if (ol->fd < 0)
			log_err("cannot bind %s again: it is not served until the next reload",
				addr_format(&ol->addr, abuf, sizeof(abuf)));
	}
	errno = saved;
	return -1;
}

/*
 * SIGHUP: parse the whole new file first; apply it only if it is valid and
 * every new listener binds. Otherwise nothing changes.
 */
static void reload(void)
{
	struct conf_errors errs = { 0, NULL };
	struct listener *lis;
	struct conf *conf, *old;
	char status[160], abuf[ADDR_STRLEN];
	size_t nlis, i, j;

	log_info("reloading %s", srv.conf->path);
	notify_reloading();
	conf = conf_load(srv.conf->path, &errs);
	if (!conf) {
		for (i = 0; i < errs.n; i++)
			log_errx("%s", errs.msg[i]);
		snprintf(status, sizeof(status), "reload failed: %zu errors in %s", errs.n,
			 srv.conf->path);
		conf_errors_clear(&errs);
		goto fail;
	}
	if (activation_check(srv.inh, srv.ninh, conf, status, sizeof(status)) < 0) {
		log_errx("%s", status);
		snprintf(status, sizeof(status),
			 "reload failed: a socket from systemd matches no service");
		conf_free(conf);
		goto fail;
	}
	lis = listeners_open(conf, srv.lis, srv.nlis, &nlis);
	if (!lis) {
		snprintf(status, sizeof(status), "reload failed: cannot bind a new address");
		conf_free(conf);
		goto fail;
	}
	if (states_sync(conf, lis, nlis) < 0) {
		listeners_discard(lis, nlis, srv.lis, srv.nlis);
		conf_free(conf);
		snprintf(status, sizeof(status), "reload failed: out of memory");
		goto fail;
	}
	if (listeners_swap(lis, nlis, conf) < 0) {
		/* Back to the old services: their states all exist, so this cannot fail. */
		(void)states_sync(srv.conf, srv.lis, srv.nlis);
		listeners_discard(lis, nlis, srv.lis, srv.nlis);
		conf_free(conf);
		snprintf(status, sizeof(status), "reload failed: cannot bind a new address");
		goto fail;
	}
	/* From here on nothing fails: apply backlog changes, drop what is gone. */
	for (i = 0; i < nlis; i++) {
		if (lis[i].relisten && listen(lis[i].fd, lis[i].backlog) < 0)
			log_warn("listen %s backlog %d",
				 addr_format(&lis[i].addr, abuf, sizeof(abuf)), lis[i].backlog);
		lis[i].relisten = 0;
		lis[i].deferred = 0;
	}
	for (i = 0; i < srv.nlis; i++) {
		if (srv.lis[i].fd < 0)
			continue;
		for (j = 0; j < nlis; j++)
			if (lis[j].fd == srv.lis[i].fd)
				break;
		if (j == nlis && !srv.lis[i].inherited)
			listener_close(&srv.lis[i]);
		else if (srv.lis[i].polled)
			(void)epoll_ctl(srv.epfd, EPOLL_CTL_DEL, srv.lis[i].fd, NULL);
	}
	free(srv.lis);
	srv.lis = lis;
	srv.nlis = nlis;
	old = srv.conf;
	srv.conf = conf;
	namecache_clear(&srv.names);
	resolver_ensure();
	log_set_level(srv.log_level_override >= 0 ? srv.log_level_override : conf->log_level);
	if (closefds_update() < 0)
		log_warn("reload");
	/* Parked connections refer to the old services: start them before those are freed. */
	parked_flush();
	waiting_flush();
	/* So do the idle spares: the next ones are copies of the new configuration. */
	spares_let_go();
	srv.spares_want = spares_wanted(conf);
	spares_fill();
	conf_free(old);
	poll_update();
	status_text(status, sizeof(status));
	log_event(MSGID_RELOADED, LOG_INFO, NULL, 0, "reloaded %s: %s", conf->path, status);
	log_listeners();
	notify_ready(status);
	srv.status_sent = now_usec();
	return;
fail:
	/* READY=1 even so: the old configuration is still serving. */
	log_event(MSGID_RELOAD_FAILED, LOG_ERR, NULL, 0, "%s; the running configuration stays",
		  status);
	notify_ready(status);
	srv.status_sent = now_usec();
}

static void stop(int sig)
{
	size_t i;

	if (srv.stopping)
		return;
	srv.stopping = 1;
	log_event(MSGID_STOPPING, LOG_INFO, NULL, 0, "stopping on %s: %zu connections open",
		  strsignal(sig), srv.nchildren);
	notify_stopping();
	parked_flush();
	waiting_flush();
	spares_let_go();
	for (i = 0; i < srv.nlis; i++)
		if (srv.lis[i].fd >= 0)
			listener_close(&srv.lis[i]);
	for (i = 0; i < srv.nchildren; i++)
		kill(srv.pids[i], SIGTERM);
	srv.kill_at = now_usec() + (uint64_t)srv.conf->shutdown_timeout * 1000000u;
}

static void signals_handle(void)
{
	char status[160];
	int sig;

	while ((sig = sig_read(srv.sigfd)) > 0) {
		switch (sig) {
		case SIGCHLD:
			reap();
			break;
		case SIGHUP:
			if (!srv.stopping)
				reload();
			break;
		case SIGTERM:
		case SIGINT:
			stop(sig);
			break;
		case SIGUSR1:
			status_text(status, sizeof(status));
			log_info("%s", status);
			break;
		}
	}
}

/* Milliseconds until the next deadline (back-off end, SIGKILL time), or -1. */
static int next_timeout(void)
{
	uint64_t now = now_usec(), next = 0;
	const struct svc_state *st;
	size_t i;

	if (srv.backoff)
		next = srv.backoff_until;
	if (srv.kill_at && (!next || srv.kill_at < next))
		next = srv.kill_at;
	if (srv.status_stale && (!next || srv.status_sent + STATUS_USEC < next))
		next = srv.status_sent + STATUS_USEC;
	if (srv.watchdog_usec && (!next || srv.watchdog_next < next))
		next = srv.watchdog_next;
	if (srv.resolver_restart_at && !srv.resolver_pid && !srv.stopping &&
	    (!next || srv.resolver_restart_at < next))
		next = srv.resolver_restart_at;
	/*
	 * Connections wait (listeners paused) only for a spare that is coming:
	 * until it is written off. With none coming the accept loop forks, and
	 * spares_fill() tries again on the next turn: no timer for a hold, which
	 * at shutdown, with the hold in the past, made the loop spin.
	 */
	if (!srv.nspares && srv.spares_pending &&
	    (!next || srv.spares_asked + SPARE_LOST_USEC < next))
		next = srv.spares_asked + SPARE_LOST_USEC;
	for (st = srv.states; st; st = st->next)
		if (st->rate_until && (!next || st->rate_until < next))
			next = st->rate_until;
	for (i = 0; i < srv.nparked; i++)
		if (!next || srv.parked[i]->deadline < next)
			next = srv.parked[i]->deadline;
	for (i = 0; i < srv.nwaiting; i++)
		if (!next || srv.waiting[i].deadline < next)
			next = srv.waiting[i].deadline;
	if (srv.verdicts_due && (!next || srv.verdict_next < next))
		next = srv.verdict_next;
	/* Unlogged refusals are reported when their second is over, even if no more come. */
	if (srv.refusals_unlogged && (!next || (srv.refusal_second + 1) * 1000000u < next))
		next = (srv.refusal_second + 1) * 1000000u;
	/* A report of dropped log messages waits for room in the journal: retry each second. */
	if (log_report_pending() && (!next || now + 1000000u < next))
		next = now + 1000000u;
	if (!next)
		return -1;
	return next <= now ? 0 : (int)((next - now + 999) / 1000);
}

static void timers_run(void)
{
	uint64_t now = now_usec();
	struct svc_state *st;
	char status[160];
	size_t i;

	if (srv.status_stale && now >= srv.status_sent + STATUS_USEC && !srv.stopping) {
		status_text(status, sizeof(status));
		notify_status(status);
		srv.status_stale = 0;
		srv.status_sent = now;
	}
	if (srv.watchdog_usec && now >= srv.watchdog_next) {
		notify_watchdog();
		srv.watchdog_next = now + srv.watchdog_usec / 2;
	}
	if (srv.backoff && now >= srv.backoff_until)
		srv.backoff = 0;
	if (srv.resolver_restart_at && now >= srv.resolver_restart_at)
		resolver_ensure();
	for (st = srv.states; st; st = st->next)
		if (st->rate_until && now >= st->rate_until)
			st->rate_until = 0;
	/* Backwards: unpark() moves the last one into the slot it frees. */
	for (i = srv.nparked; i-- > 0;)
		if (now >= srv.parked[i]->deadline)
			unpark(srv.parked[i], LOOKUP_TIMEOUT, "");
	if (srv.refusals_unlogged && now / 1000000u != srv.refusal_second)
		refusal_log_flush(now / 1000000u);
	if (srv.kill_at && now >= srv.kill_at) {
		log_warnx("%zu connections still open after %d s: killing them", srv.nchildren,
			  srv.conf->shutdown_timeout);
		for (i = 0; i < srv.nchildren; i++)
			kill(srv.pids[i], SIGKILL);
		srv.kill_at = 0;
	}
}

static int setup(void)
{
	int sv[2];
	struct timeval tv = { 1, 0 };

	srv.sigfd = sig_init();
	if (srv.sigfd < 0)
		return -1;
	srv.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv.epfd < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	srv.report_rd = sv[0];
	srv.report_wr = sv[1];
	/* A child waits at most a second for a congested parent; its report is optional. */
	(void)setsockopt(srv.report_wr, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	srv.news_rd = sv[0];
	srv.news_wr = sv[1];
	(void)setsockopt(srv.news_wr, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (epoll_tag(EPOLL_CTL_ADD, srv.sigfd, TAG_SIGNAL) < 0 ||
	    epoll_tag(EPOLL_CTL_ADD, srv.report_rd, TAG_REPORT) < 0)
		return -1;
	srv.spares_want = spares_wanted(srv.conf);
	srv.spare_fds = calloc(SPARES_MAX, sizeof(*srv.spare_fds));
	srv.spare_pids = calloc(SPARES_MAX, sizeof(*srv.spare_pids));
	srv.spare_depths = calloc(SPARES_MAX, sizeof(*srv.spare_depths));
	if (!srv.spare_fds || !srv.spare_pids || !srv.spare_depths)
		return -1;
	return closefds_update();
}

/*
 * Events per epoll_wait. They are parent memory: every page of stack the
 * parent writes after a fork stays behind as the child's own copy (4 KiB
 * per held connection), so the loop keeps its stack shallow.
 */
#define EVENTS_MAX 64

/* Release everything, so a leak checker sees the parent end with nothing held. */
static void server_free(void)
{
	struct svc_state *st, *next;
	size_t i;

	for (i = 0; i < srv.nlis; i++)
		if (srv.lis[i].fd >= 0)
			close(srv.lis[i].fd);
	free(srv.lis);
	srv.lis = NULL;
	srv.nlis = 0;
	for (st = srv.states; st; st = next) {
		next = st->next;
		srctab_free(&st->sources);
	}
	pool_destroy(&srv.state_pool);
	free(srv.parked);  /* none left: stop() started them all */
	free(srv.waiting); /* none left: stop() refused them */
	pool_destroy(&srv.parked_pool);
	srv.states = NULL;
	parent_free(srv.children, srv.cap * sizeof(*srv.children));
	parent_free(srv.pids, srv.cap * sizeof(*srv.pids));
	srv.children = NULL;
	srv.pids = NULL;
	srv.cap = 0;
	spares_let_go();
	free(srv.spare_fds);
	free(srv.spare_pids);
	free(srv.spare_depths);
	free(srv.closefds);
	free(srv.inh);
	namecache_clear(&srv.names);
	conf_free(srv.conf);
	srv.conf = NULL;
	if (srv.epfd >= 0)
		close(srv.epfd);
	if (srv.sigfd >= 0)
		close(srv.sigfd);
	if (srv.report_rd >= 0)
		close(srv.report_rd);
	if (srv.report_wr >= 0)
		close(srv.report_wr);
	if (srv.news_rd >= 0)
		close(srv.news_rd);
	if (srv.news_wr >= 0)
		close(srv.news_wr);
	if (srv.resolver_fd >= 0)
		close(srv.resolver_fd);
	if (srv.resolver_pid > 0) {
		kill(srv.resolver_pid, SIGKILL);
		(void)waitpid(srv.resolver_pid, NULL, 0);
	}
}

/* CHILD_PATH: a child returns from fork() in here (spawn() is inlined). */
CHILD_PATH int server_run(int log_level_override)
{
	struct epoll_event *ev;
	char status[160];
	unsigned flushes;
	int i, n;

	/* Here, not earlier: daemon_detach()'s fork would have left it behind. */
	(void)parent_only(&srv, sizeof(srv));
	srv.log_level_override = log_level_override;
	/*
	 * The services' state is parent memory, which daemon_detach()'s fork
	 * would have left behind: it is made here, in the process that serves.
	 */
	if (states_sync(srv.conf, srv.lis, srv.nlis) < 0 || setup() < 0) {
		log_err("cannot set up the event loop");
		return EX_OSERR;
	}
	/* Parent memory, not the stack: see EVENTS_MAX. */
	ev = parent_alloc(EVENTS_MAX * sizeof(*ev));
	if (!ev) {
		log_err("cannot set up the event loop");
		return EX_OSERR;
	}
	resolver_ensure();
	spares_fill();
	poll_update();
	status_text(status, sizeof(status));
	log_listeners();
	log_event(MSGID_READY, LOG_INFO, NULL, 0, "ready: %s", status);
	notify_ready(status);
	srv.status_sent = now_usec();
	srv.watchdog_usec = notify_watchdog_usec();
	srv.watchdog_next = srv.status_sent + srv.watchdog_usec / 2;
	log_started();
	log_batch(1);

	while (!srv.stopping || srv.nchildren > 0) {
		n = epoll_wait(srv.epfd, ev, EVENTS_MAX, next_timeout());
		flushes = srv.parked_flushes;
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait");
			parent_free(ev, EVENTS_MAX * sizeof(*ev));
			return EX_OSERR;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == TAG_SIGNAL)
				signals_handle();
			else if (ev[i].data.u64 == TAG_REPORT)
				reports_read();
			else if (ev[i].data.u64 == TAG_NEWS)
				spares_collect();
			else if (ev[i].data.u64 & TAG_PARKED) {
				/* After a flush this turn, the rest are of freed ones. */
				if (flushes == srv.parked_flushes)
					parked_answer((struct parked *)(uintptr_t)(ev[i].data.u64 &
										   ~TAG_PARKED));
			} else if (ev[i].data.u64 < srv.nlis && srv.lis[ev[i].data.u64].polled)
				accept_on(&srv.lis[ev[i].data.u64]);
		}
		timers_run();
		/* Those over max_per_source, waiting a moment for one of theirs to end. */
		if (srv.nwaiting || srv.verdicts_due) {
			children_catch_up();
			waiting_run(now_usec());
			if (srv.verdicts_due)
				verdicts_run(now_usec());
		}
		spares_fill();
		poll_update();
		/* Before sleeping: this turn's messages, and a pending report of dropped ones. */
		log_flush();
	}
	log_batch(0);
	parent_free(ev, EVENTS_MAX * sizeof(*ev));
	log_info("stopped after %lu connections", srv.total);
	server_free();
	return 0;
}
