/* SPDX-License-Identifier: MIT */
/*
 * The name resolver process.
 *
 * glibc's getnameinfo() has no deadline, and the first lookup in a process
 * loads the resolver: nsswitch.conf, resolv.conf, hosts, a malloc arena.
 * Done in each connection's child, that cost every child ~50 page faults and
 * a thread to bound the lookup by resolve_timeout: 1.5 ms of CPU per
 * connection on the machines we measure, more than the fork itself.
 *
 * So one process, forked from the daemon when a service resolves names,
 * does the lookups for all children, its resolver loaded once and warm. A
 * child asks with one datagram on the inherited socket, carrying one end of
 * a new socket pair, and waits for the answer on the other end with poll():
 * that wait is the deadline. A lookup that outlives it stays the resolver's
 * problem, and a query whose child has gone is skipped. Lookups run in a
 * pool of threads that grows with the queries waiting (up to THREADS_MAX),
 * so a slow name delays only itself. The parent never asks and never waits:
 * DNS still cannot stall the accept loop.
 *
 * The resolver parses what DNS servers send; it runs as nobody when started
 * as root, with no_new_privs, and holds no descriptor but its socket.
 */
#include "resolver.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "sig.h"
#include "util.h"

#define QUEUE_MAX    4096	   /* queries waiting for a thread; more are dropped */
#define THREADS_MAX  64		   /* lookups at once */
#define THREAD_STACK (1024 * 1024) /* glibc's needs well under 64 KiB; NSS modules vary */

/* A child's question; its socket pair's other end rides along (SCM_RIGHTS). */
struct query {
	struct addr peer;
	int mode; /* RESOLVE_NAME or RESOLVE_CONFIRMED */
};

/* The answer, sent only up to the name's terminating NUL. */
struct answer {
	int result; /* enum lookup */
	char host[NI_MAXHOST];
};

struct job {
	struct query q;
	int fd; /* where the answer goes */
};

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct job *jobs; /* ring of QUEUE_MAX */
	size_t head, n;
	unsigned threads, idle;
};

static void *worker(void *arg)
{
	struct workers *p = arg;
	struct answer a;
	struct pollfd pfd;
	struct job j;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		p->idle++;
		while (p->n == 0)
			pthread_cond_wait(&p->more, &p->lock);
		p->idle--;
		j = p->jobs[p->head];
		p->head = (p->head + 1) % QUEUE_MAX;
		p->n--;
		pthread_mutex_unlock(&p->lock);

		/* Its child gave up (deadline) or ended: nobody waits for this answer. */
		pfd = (struct pollfd){ .fd = j.fd };
		if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR))) {
			close(j.fd);
			continue;
		}
		a.result = peer_resolve(&j.q.peer, j.q.mode, a.host);
		(void)send(j.fd, &a, offsetof(struct answer, host) + strlen(a.host) + 1,
			   MSG_NOSIGNAL | MSG_DONTWAIT);
		close(j.fd);
	}
	return NULL;
}

/* Queue a lookup; one more thread when every thread is busy. */
static void job_add(struct workers *p, const struct query *q, int fd)
{
	pthread_attr_t attr;
	pthread_t tid;

	pthread_mutex_lock(&p->lock);
	if (p->n == QUEUE_MAX) {
		pthread_mutex_unlock(&p->lock);
		close(fd); /* the child reads end-of-file: "failed" */
		return;
	}
	p->jobs[(p->head + p->n) % QUEUE_MAX] = (struct job){ *q, fd };
	p->n++;
	if (p->n > p->idle && p->threads < THREADS_MAX && pthread_attr_init(&attr) == 0) {
		if (pthread_attr_setstacksize(&attr, THREAD_STACK) == 0 &&
		    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
		    pthread_create(&tid, &attr, worker, p) == 0)
			p->threads++;
		pthread_attr_destroy(&attr);
	}
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->lock);
}

/* Close every descriptor but 0-2 and KEEP. */
static void fds_close_others(int keep)
{
	struct rlimit rl;
	int fd, max = 65536;

	if (close_range(3, (unsigned)keep - 1, 0) == 0 &&
	    close_range((unsigned)keep + 1, ~0U, 0) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)max)
		max = (int)rl.rlim_cur;
	for (fd = 3; fd < max; fd++)
		if (fd != keep)
			close(fd);
}

/*
 * Least privilege: nobody, when started as root; never more (no_new_privs).
 * Without the user, or the capabilities to switch (a container's root), the
 * lookups run with the daemon's credentials, as they did in its children:
 * exiting instead would only make the daemon restart it every second.
 */
static void privileges_drop(void)
{
	struct passwd *pw;

	(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (geteuid() != 0)
		return;
	pw = getpwnam("nobody");
	if (!pw || setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		return; /* as it is: see above */
}

/* One query from SOCK: 1 with *Q and *FD, 0 for one to ignore, -1 at the end. */
static int query_read(int sock, struct query *q, int *fd)
{
	int fds[FDS_MAX], nfds;
	ssize_t n;

	n = fd_recv(sock, q, sizeof(*q), fds, &nfds, 0);
	if (n == 0)
		return -1; /* every asker is gone: the daemon has ended */
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (nfds == 1 && n == sizeof(*q) &&
	    (q->mode == RESOLVE_NAME || q->mode == RESOLVE_CONFIRMED) &&
	    q->peer.len <= sizeof(q->peer.u) &&
	    (q->peer.u.sa.sa_family == AF_INET || q->peer.u.sa.sa_family == AF_INET6)) {
		*fd = fds[0];
		return 1;
	}
	fds_close(fds, nfds);
	return 0;
}

__attribute__((noreturn)) static void resolver_main(int sock, pid_t parent)
{
	struct workers p = { .lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER };
	struct query q;
	int fd, rc;

	sig_child_reset();
	/* It serves the daemon's children only: it ends with the daemon. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	(void)prctl(PR_SET_NAME, "acceptd-resolve");
	fds_close_others(sock);
	privileges_drop();
	p.jobs = calloc(QUEUE_MAX, sizeof(*p.jobs));
	if (!p.jobs)
		_exit(EX_OSERR);
	while ((rc = query_read(sock, &q, &fd)) >= 0)
		if (rc > 0)
			job_add(&p, &q, fd);
	_exit(0);
}

pid_t resolver_start(int *fd)
{
	pid_t pid, parent = getpid();
	int sock;

	/* SEQPACKET: queries queue by bytes, not by datagram count (max_dgram_qlen). */
	pid = fork_paired(SOCK_SEQPACKET, fd, &sock);
	if (pid == 0)
		resolver_main(sock, parent);
	return pid;
}

/* Copy the name, sanitised and cut to fit. */
CHILD_PATH static void name_copy(char dst[PEER_HOSTLEN], const char *src)
{
	str_copy(dst, src, PEER_HOSTLEN);
	str_sanitize(dst);
}

/* Send the query for PEER to FD, with ANSWER_FD attached: sendmsg()'s result. */
CHILD_PATH static ssize_t query_send(int fd, const struct addr *peer, int mode, int answer_fd)
{
	struct query q;

	memset(&q, 0, sizeof(q));
	q.peer = *peer;
	q.mode = mode;
	return fd_send(fd, &q, sizeof(q), &answer_fd, 1, MSG_DONTWAIT);
}

CHILD_PATH int resolver_ask(int fd, const struct addr *peer, int mode, int *answer_fd)
{
	int sv[2], err;

	if (fd < 0) {
		errno = ENOTCONN;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (query_send(fd, peer, mode, sv[1]) < 0) {
		err = errno;
		close(sv[0]);
		close(sv[1]);
		errno = err;
		return -1;
	}
	close(sv[1]);
	*answer_fd = sv[0];
	return 0;
}

CHILD_PATH int resolver_answer(int fd, char host[PEER_HOSTLEN], char claimed[PEER_HOSTLEN])
{
	struct answer a;
	ssize_t n;
	int rc;

	host[0] = claimed[0] = '\0';
	/* End-of-file (0): the resolver dropped the query, or ended. */
	do
		n = recv(fd, &a, sizeof(a), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n <= (ssize_t)offsetof(struct answer, host) ||
	    a.host[n - offsetof(struct answer, host) - 1])
		return LOOKUP_FAILED;
	rc = a.result >= LOOKUP_FOUND && a.result <= LOOKUP_FAILED ? a.result : LOOKUP_FAILED;
	if (rc == LOOKUP_FOUND)
		name_copy(host, a.host);
	else if (rc == LOOKUP_UNCONFIRMED)
		name_copy(claimed, a.host);
	return rc;
}

CHILD_PATH int resolver_lookup(int fd, const struct addr *peer, int mode, int timeout_ms,
			       char host[PEER_HOSTLEN], char claimed[PEER_HOSTLEN])
{
	uint64_t deadline;
	int answer_fd, rc;

	host[0] = claimed[0] = '\0';
	/* Before the clock: a child that looks nothing up never touches the vDSO's pages. */
	if (mode == RESOLVE_NONE)
		return LOOKUP_OFF;
	deadline = now_usec() + (uint64_t)timeout_ms * 1000u;
	/* The resolver behind on its queue is a lookup that takes long: wait, to the deadline. */
	while (resolver_ask(fd, peer, mode, &answer_fd) < 0) {
		if (errno != EAGAIN)
			return LOOKUP_FAILED;
		if (fd_wait_until(fd, POLLOUT, deadline) <= 0)
			return LOOKUP_TIMEOUT;
	}
	rc = fd_wait_until(answer_fd, POLLIN, deadline);
	rc = rc > 0  ? resolver_answer(answer_fd, host, claimed) :
	     rc == 0 ? LOOKUP_TIMEOUT :
		       LOOKUP_FAILED;
	close(answer_fd);
	return rc;
}
