/* SPDX-License-Identifier: MIT */
/*
 * Spare processes.
 *
 * fork() costs the process that calls it: copying page tables, and then a
 * copied page for each page it writes while the child holds it. In the
 * accept loop that was a third of all the CPU a connection costs, every bit
 * of it serial in one process, and on the path of every connection. So the
 * forking is done ahead of time, by the children themselves.
 *
 * A spare is a child of the daemon that waits on a socket of its own for a
 * connection. The daemon hands one over with one datagram (the socket, and
 * the verdict pipe if there is one, ride along), and the spare becomes that
 * connection's child: child_main(), then _exit(), like any other. Still one
 * new process per connection, never reused; only the fork happened earlier.
 *
 * Before it serves, a spare forks its successor, with CLONE_PARENT, so that
 * every spare is the daemon's own child: the daemon reaps them, sees their
 * exit status and signals them like the children it forks. The successor's
 * socket reaches the daemon on the news socket, which the daemon reads when
 * it needs a spare. (A process that only forks, woken to fork a spare for
 * each connection, was measured slower than forking in the accept loop: on
 * a virtual machine a context switch is dear.)
 *
 * The successors of successors form a line of forks, and the kernel links
 * each anonymous mapping of a process to those of all its living ancestors
 * (anon_vma chains): with connections held open, the cost of fork and exit
 * grew with their number (13 connections a second with 5,000 held). So a
 * line ends after SPARE_DEPTH_MAX spares, and the daemon forks the next.
 *
 * A spare is a copy of the daemon at one moment: of one configuration and
 * one resolver. A reload (or a new resolver) closes every idle spare's
 * socket, and each ends on end-of-file; the new generation starts from the
 * daemon. An idle spare dies with the daemon (PDEATHSIG).
 */
#include "spare.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

enum { SPARE_CONN = 1, SPARE_FORK = 2 };

/* The daemon's word to a spare; for a connection, its socket (and verdict pipe) ride along. */
struct spare_msg {
	int type;
	int successor;	  /* SPARE_CONN: fork a replacement first */
	int log_accepted; /* as for child_main() */
	int cached;
	int cached_lookup;
	const struct service *svc; /* valid in the spare: a copy of the daemon's configuration */
	struct addr peer;
	struct addr local;
	char host[PEER_HOSTLEN]; /* the cached name, sent up to its NUL */
};

/* The spares' own, set before the first one waits: parent memory is not theirs. */
static char comm[16]; /* the daemon's name, which a spare takes back when it serves */
static pid_t daemon_pid;
static int news_out = -1; /* new spares are told to the daemon here */
static unsigned depth;	  /* in the line of spares that starts at the daemon: 1 for its own */

/* An idle spare ends with the daemon, which is its parent. */
CHILD_PATH static void spare_guard(void)
{
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != daemon_pid)
		_exit(0);
}

/*
 * Fork a new spare beside this one (CLONE_PARENT: the daemon's child too)
 * and report it with the daemon's end of its socket. The new one closes
 * *SOCK and the N descriptors FDS, and waits on its own socket: returns 1
 * in it, 0 in this one.
 */
CHILD_PATH static int spare_fork(int *sock, unsigned gen, const int *fds, int n)
{
	struct spare_news r;
	int sv[2] = { -1, -1 };
	long pid = -1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0)
		/* fork(), but a sibling: glibc's fork() has no CLONE_PARENT. */
		pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), NULL, NULL, NULL,
			      NULL);
	if (pid == 0) {
		close(*sock);
		close(sv[0]);
		fds_close(fds, n);
		*sock = sv[1];
		depth++;
		spare_guard();
		return 1;
	}
	r.pid = pid > 0 ? (pid_t)pid : 0; /* 0: the daemon holds off for a while */
	r.gen = gen;
	r.depth = depth + 1;
	(void)fd_send(news_out, &r, sizeof(r), &sv[0], pid > 0, 0);
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	return 0;
}

/* Wait for work on SOCK: fork spares when asked, and serve the connection that comes. */
CHILD_PATH static void __attribute__((noreturn))
spare_wait(int sock, unsigned gen, int report_fd, int resolver_fd)
{
	struct spare_msg m;
	struct conn c;
	int fds[FDS_MAX], nfds;
	ssize_t n;

	for (;;) {
		n = fd_recv(sock, &m, sizeof(m), fds, &nfds, 0);
		if (n < 0 && errno == EINTR)
			continue;
		/* End-of-file: a reload, a stop, or the daemon's end. */
		if (n <= 0)
			_exit(0);
		if (m.type == SPARE_FORK && nfds == 0) {
			(void)spare_fork(&sock, gen, NULL, 0);
			continue;
		}
		if (m.type != SPARE_CONN || n <= (ssize_t)offsetof(struct spare_msg, host) ||
		    n > (ssize_t)sizeof(m) || m.host[n - offsetof(struct spare_msg, host) - 1] ||
		    nfds < 1 || nfds > 2) {
			fds_close(fds, nfds);
			continue;
		}
		if (m.successor && spare_fork(&sock, gen, fds, nfds))
			continue;
		break;
	}
	close(sock);
	/* A connection's child outlives the daemon, as one forked by it does. */
	(void)prctl(PR_SET_PDEATHSIG, 0);
	(void)prctl(PR_SET_NAME, comm);
	c.svc = m.svc;
	c.fd = fds[0];
	c.peer = m.peer;
	c.local = m.local;
	c.cached = m.cached;
	c.cached_host = m.host;
	c.cached_lookup = m.cached_lookup;
	c.verdict_fd = nfds > 1 ? fds[1] : -1;
	child_main(&c, report_fd, resolver_fd, m.log_accepted);
}

pid_t spare_start(unsigned gen, int news, int report_fd, int resolver_fd,
		  const struct daemon_fds *d, int *fd)
{
	pid_t pid, parent = getpid();
	int sock;

	pid = fork_paired(SOCK_SEQPACKET, fd, &sock);
	if (pid == 0) {
		child_detach(d);
		daemon_pid = parent;
		news_out = news;
		depth = 1;
		(void)prctl(PR_GET_NAME, comm);
		(void)prctl(PR_SET_NAME, SPARE_COMM);
		spare_guard();
		spare_wait(sock, gen, report_fd, resolver_fd);
	}
	return pid;
}

/* A copy of A that carries none of the bytes past its length: they were never set. */
static void addr_put(struct addr *dst, const struct addr *a)
{
	size_t len = a->len < sizeof(a->u) ? a->len : sizeof(a->u);

	memcpy(&dst->u, &a->u, len);
	dst->len = (socklen_t)len;
}

int spare_give(int fd, const struct conn *c, int log_accepted, int successor)
{
	int fds[2] = { c->fd, c->verdict_fd };
	struct spare_msg m;
	size_t len;

	memset(&m, 0, offsetof(struct spare_msg, host));
	m.type = SPARE_CONN;
	m.successor = successor;
	m.log_accepted = log_accepted;
	m.cached = c->cached;
	m.cached_lookup = c->cached ? c->cached_lookup : 0; /* unset without a name */
	m.svc = c->svc;
	addr_put(&m.peer, &c->peer);
	addr_put(&m.local, &c->local);
	str_copy(m.host, c->cached ? c->cached_host : "", sizeof(m.host));
	len = offsetof(struct spare_msg, host) + strlen(m.host) + 1;
	return fd_send(fd, &m, len, fds, c->verdict_fd >= 0 ? 2 : 1, MSG_DONTWAIT) < 0 ? -1 : 0;
}

int spare_ask(int fd)
{
	struct spare_msg m;

	memset(&m, 0, offsetof(struct spare_msg, host));
	m.type = SPARE_FORK;
	return fd_send(fd, &m, offsetof(struct spare_msg, host), NULL, 0, MSG_DONTWAIT) < 0 ? -1 :
											      0;
}

int spare_news(int news_fd, struct spare_news *n, int *fd)
{
	int fds[FDS_MAX], nfds;
	ssize_t len;

	*fd = -1;
	do
		len = fd_recv(news_fd, n, sizeof(*n), fds, &nfds, MSG_DONTWAIT);
	while (len < 0 && errno == EINTR);
	if (len < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	if (len != sizeof(*n) || nfds > 1 || (n->pid > 0) != (nfds == 1)) {
		fds_close(fds, nfds);
		n->pid = 0; /* as a failed fork: the daemon asks again, later */
		return 1;
	}
	if (nfds)
		*fd = fds[0];
	return 1;
}
