/* SPDX-License-Identifier: MIT */
/*
 * One connection's child: resolve, log, serve, _exit; and what it reports to the parent.
 *
 * The path of a child that logs nothing keeps to a few pages of code: fork()
 * hands a child no page tables for code, so each page it runs costs it a page
 * fault, which on a virtual machine costs more than the system calls of a short
 * connection. So no printf here unless the child logs (str_copy() instead), and
 * what it runs is marked CHILD_PATH.
 */
#include "child.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acl.h"
#include "builtin.h"
#include "exec.h"
#include "proxy.h"
#include "resolver.h"
#include "sig.h"
#include "util.h"

int conn_fields(struct log_field *f, struct conn_text *t, const struct conn_info *ci)
{
	const struct peer_name *name = ci->name;
	int n = 0;

	addr_host(ci->peer, t->raddr, sizeof(t->raddr));
	addr_host(ci->local, t->laddr, sizeof(t->laddr));
	snprintf(t->rport, sizeof(t->rport), "%u", addr_port(ci->peer));
	snprintf(t->lport, sizeof(t->lport), "%u", addr_port(ci->local));
	snprintf(t->pid, sizeof(t->pid), "%ld", (long)ci->pid);
	f[n++] = (struct log_field){ "ACCEPTD_SERVICE", ci->service };
	f[n++] = (struct log_field){ "REMOTE_ADDR", t->raddr };
	f[n++] = (struct log_field){ "REMOTE_PORT", t->rport };
	if (name && name->host && *name->host)
		f[n++] = (struct log_field){ "REMOTE_HOST", name->host };
	if (name && name->mode == RESOLVE_CONFIRMED &&
	    (name->lookup == LOOKUP_FOUND || name->lookup == LOOKUP_UNCONFIRMED))
		f[n++] = (struct log_field){ "REMOTE_HOST_CONFIRMED",
					     name->lookup == LOOKUP_FOUND ? "1" : "0" };
	if (name && name->mode != RESOLVE_NONE)
		f[n++] = (struct log_field){ "REMOTE_HOST_LOOKUP", peer_lookup_name(name->lookup) };
	f[n++] = (struct log_field){ "LOCAL_ADDR", t->laddr };
	f[n++] = (struct log_field){ "LOCAL_PORT", t->lport };
	if (ci->proxy) {
		addr_host(ci->proxy, t->paddr, sizeof(t->paddr));
		snprintf(t->pport, sizeof(t->pport), "%u", addr_port(ci->proxy));
		f[n++] = (struct log_field){ "PROXY_ADDR", t->paddr };
		f[n++] = (struct log_field){ "PROXY_PORT", t->pport };
	}
	if (ci->pid)
		f[n++] = (struct log_field){ "CHILD_PID", t->pid };
	return n;
}

/* Best effort: a lost report only thins out the connection-ended entry. */
CHILD_PATH static void child_report(int fd, struct child_report *r)
{
	r->pid = getpid();
	while (send(fd, r, sizeof(*r), MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* End the child early: REASON goes into the connection-ended entry. */
static void __attribute__((noreturn)) child_end(int report_fd, const char *reason, int status)
{
	struct child_report r;

	memset(&r, 0, sizeof(r));
	r.type = REPORT_END;
	str_copy(r.reason, reason, sizeof(r.reason));
	child_report(report_fd, &r);
	_exit(status);
}

/* The parent's verdict on a proxied client: 1 to serve, 0 (or no answer in time) not to. */
static int child_verdict_wait(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char v = '0';
	int rc;

	do
		rc = poll(&p, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc > 0 && read(fd, &v, 1) != 1)
		v = '0';
	close(fd);
	return v == '1';
}

/*
 * The PROXY header, on a service that takes one (the parent checked that the
 * sender is trusted): afterwards the advertised client is the peer for
 * everything, and allow/deny are checked again, on it. Returns 1 when the
 * header named a client, 0 for one that keeps the real endpoints (LOCAL,
 * UNKNOWN: the proxy's own connection, already trusted).
 */
static int child_proxy(struct conn *c, struct addr *proxy, int report_fd)
{
	const struct service *svc = c->svc;
	struct log_field f[CONN_FIELDS];
	struct conn_info ci = { svc->name, &c->peer, &c->local, NULL, NULL, getpid() };
	struct proxy_header h;
	struct child_report r;
	struct conn_text t;
	int n;

	if (proxy_read(c->fd, svc->proxy, svc->proxy_timeout, &h) != PROXY_OK) {
		n = conn_fields(f, &t, &ci);
		log_event(MSGID_CONN_DENIED, LOG_NOTICE, f, n,
			  "connection from [%s]:%s to %s: bad PROXY header: %s", t.raddr, t.rport,
			  svc->name, h.error);
		child_end(report_fd, "proxy-header", 0);
	}
	if (h.local)
		return 0;
	*proxy = c->peer;
	c->peer = h.src;
	c->local = h.dst;
	memset(&r, 0, sizeof(r));
	r.type = REPORT_PROXY;
	r.src = h.src;
	r.dst = h.dst;
	child_report(report_fd, &r);
	if (c->verdict_fd >= 0 && !child_verdict_wait(c->verdict_fd, svc->proxy_timeout))
		/* The parent logged connection-limited; it counted this client over the limit. */
		child_end(report_fd, "max_per_source", 0);
	if (!acl_permit(svc->allow, svc->nallow, svc->deny, svc->ndeny, &c->peer)) {
		ci.proxy = proxy;
		n = conn_fields(f, &t, &ci);
		log_event(MSGID_CONN_DENIED, LOG_NOTICE, f, n,
			  "connection from [%s]:%s via [%s]:%s to %s refused: not allowed", t.raddr,
			  t.rport, t.paddr, t.pport, svc->name);
		child_end(report_fd, "denied", 0);
	}
	return 1;
}

CHILD_PATH void child_detach(const struct daemon_fds *d)
{
	size_t i;

	sig_child_reset();
	log_child();
	for (i = 0; i < d->n; i++)
		close(d->fds[i]);
	for (i = 0; i < d->nspares; i++)
		close(d->spares[i]);
}

CHILD_PATH void child_main(const struct conn *conn, int report_fd, int resolver_fd,
			   int log_accepted)
{
	struct log_field f[CONN_FIELDS];
	struct builtin_stats st = { 0, 0 };
	struct child_report r;
	struct conn c = *conn;
	struct conn_info ci;
	struct peer_name name;
	struct conn_text t;
	struct addr proxy;
	char host[PEER_HOSTLEN], claimed[PEER_HOSTLEN];
	int n, rc, proxied = 0;

	if (c.svc->proxy) {
		proxy = c.peer;
		proxied = child_proxy(&c, &proxy, report_fd);
	}

	name.mode = c.svc->resolve;
	if (c.cached) {
		/* Not copied: str_copy() would touch a page of libc that nothing else here does. */
		name.host = c.cached_host;
		name.lookup = c.cached_lookup;
	} else {
		name.lookup = resolver_lookup(resolver_fd, &c.peer, c.svc->resolve,
					      c.svc->resolve_timeout, host, claimed);
		name.host = host;
	}
	/* Asked or not, done with it: the resolver ends when the daemon and its askers have. */
	if (resolver_fd >= 0)
		close(resolver_fd);
	if (name.mode != RESOLVE_NONE && !c.cached) {
		/* For the connection-ended entry, and for the parent's name cache. */
		memset(&r, 0, sizeof(r));
		r.type = REPORT_HOST;
		r.lookup = name.lookup;
		/* The string only: the rest of HOST is stack garbage, not for the parent. */
		str_copy(r.host, host, sizeof(r.host));
		child_report(report_fd, &r);
	}
	ci = (struct conn_info){ c.svc->name, &c.peer, &c.local, proxied ? &proxy : NULL, &name, 0 };
	/*
	 * The fields only for an entry: formatting them touches printf's pages
	 * of libc, a page fault each in a child that logs nothing.
	 */
	if (log_accepted) {
		ci.pid = getpid();
		n = conn_fields(f, &t, &ci);
		log_event(MSGID_CONN_ACCEPTED, LOG_INFO, f, n,
			  "connection from %s [%s]:%s to %s on [%s]:%s%s%s%s%s",
			  name.host[0] ? name.host : t.raddr, t.raddr, t.rport, c.svc->name,
			  t.laddr, t.lport, proxied ? " via [" : "", proxied ? t.paddr : "",
			  proxied ? "]:" : "", proxied ? t.pport : "");
	}

	if (exec_drop_privileges(c.svc) < 0) {
		log_err("%s: cannot switch to uid %u gid %u", c.svc->name, (unsigned)c.svc->uid,
			(unsigned)c.svc->gid);
		child_end(report_fd, "credentials", 126);
	}
	if (c.svc->argv)
		exec_run(&c, name.host);
	rc = builtin_serve(c.svc->builtin, c.fd, c.svc->idle_timeout, &st);
	memset(&r, 0, sizeof(r));
	if (rc < 0 && errno == ETIMEDOUT) {
		/* Not an error: the connection-ended entry says why it ended. */
		str_copy(r.reason, "idle-timeout", sizeof(r.reason));
		rc = 0;
	} else if (rc < 0) {
		n = conn_fields(f, &t, &ci);
		log_warn("%s: connection from [%s]:%s", c.svc->name, t.raddr, t.rport);
	}
	r.type = REPORT_END;
	r.have_bytes = 1;
	r.bytes_in = st.bytes_in;
	r.bytes_out = st.bytes_out;
	child_report(report_fd, &r);
	_exit(rc < 0 ? 1 : 0);
}
