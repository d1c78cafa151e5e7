/* SPDX-License-Identifier: MIT */
/* One connection's child: resolve, log, serve, _exit; and what it reports to the parent. */
#include "child.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "builtin.h"
#include "exec.h"
#include "sig.h"
#include "util.h"

int conn_fields(struct log_field *f, struct conn_text *t, const char *service,
		const struct addr *peer, const struct addr *local, const struct peer_name *name,
		pid_t pid)
{
	int n = 0;

	addr_host(peer, t->raddr, sizeof(t->raddr));
	addr_host(local, t->laddr, sizeof(t->laddr));
	snprintf(t->rport, sizeof(t->rport), "%u", addr_port(peer));
	snprintf(t->lport, sizeof(t->lport), "%u", addr_port(local));
	snprintf(t->pid, sizeof(t->pid), "%ld", (long)pid);
	f[n++] = (struct log_field){ "ACCEPTD_SERVICE", service };
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
	if (pid)
		f[n++] = (struct log_field){ "CHILD_PID", t->pid };
	return n;
}

/* Best effort: a lost report only thins out the connection-ended entry. */
static void child_report(int fd, struct child_report *r)
{
	r->pid = getpid();
	while (send(fd, r, sizeof(*r), MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

void child_main(const struct conn *c, int report_fd, int log_accepted, const int *close_fds,
		size_t nclose)
{
	struct log_field f[CONN_FIELDS];
	struct builtin_stats st = { 0, 0 };
	struct child_report r;
	struct peer_name name;
	struct conn_text t;
	char host[PEER_HOSTLEN], claimed[PEER_HOSTLEN];
	int n, rc;
	size_t i;

	sig_child_reset();
	log_child();
	for (i = 0; i < nclose; i++)
		close(close_fds[i]);

	name.mode = c->svc->resolve;
	if (c->cached) {
		snprintf(host, sizeof(host), "%s", c->cached_host);
		name.lookup = c->cached_lookup;
	} else {
		name.lookup = peer_lookup(&c->peer, c->svc->resolve, c->svc->resolve_timeout, host,
					  claimed);
	}
	name.host = host;
	if (name.mode != RESOLVE_NONE) {
		/* For the connection-ended entry, and for the parent's name cache. */
		memset(&r, 0, sizeof(r));
		r.type = REPORT_HOST;
		r.lookup = name.lookup;
		r.cached = c->cached;
		memcpy(r.host, host, sizeof(r.host));
		child_report(report_fd, &r);
	}
	n = conn_fields(f, &t, c->svc->name, &c->peer, &c->local, &name, getpid());
	if (log_accepted)
		log_event(MSGID_CONN_ACCEPTED, LOG_INFO, f, n, "connection from %s [%s]:%s to %s on [%s]:%s",
			  host[0] ? host : t.raddr, t.raddr, t.rport, c->svc->name, t.laddr, t.lport);

	if (exec_drop_privileges(c->svc) < 0) {
		log_err("%s: cannot switch to uid %u gid %u", c->svc->name, (unsigned)c->svc->uid,
			(unsigned)c->svc->gid);
		_exit(126);
	}
	if (c->svc->argv)
		exec_run(c, host);
	rc = builtin_serve(c->svc->builtin, c->fd, c->svc->idle_timeout, &st);
	memset(&r, 0, sizeof(r));
	if (rc < 0 && errno == ETIMEDOUT) {
		/* Not an error: the connection-ended entry says why it ended. */
		r.idle = 1;
		rc = 0;
	} else if (rc < 0) {
		log_warn("%s: connection from [%s]:%s", c->svc->name, t.raddr, t.rport);
	}
	r.type = REPORT_END;
	r.bytes_in = st.bytes_in;
	r.bytes_out = st.bytes_out;
	child_report(report_fd, &r);
	_exit(rc < 0 ? 1 : 0);
}
