/* SPDX-License-Identifier: MIT */
/* One connection's child: resolve, log, serve, _exit; and what it reports to the parent. */
#ifndef ACCEPTD_CHILD_H
#define ACCEPTD_CHILD_H

#include <stdint.h>
#include <sys/types.h>

#include "acceptd.h"
#include "log.h"
#include "peer.h"

/* What the parent knows of a connection when it forks. */
struct conn {
	const struct service *svc;
	int fd;
	struct addr peer; /* IPv4-mapped already turned into IPv4 */
	struct addr local;
	int cached; /* the parent's name cache answered: no lookup */
	const char *cached_host;
	int cached_lookup;
	int verdict_fd; /* PROXY with max_per_source: the parent's go (1) or no (0), or -1 */
};

/* What is known of the peer's name, for the log fields. */
struct peer_name {
	const char *host; /* NULL or "": none */
	int mode;	  /* enum resolve */
	int lookup;	  /* enum lookup */
};

/* A child's datagram to the parent over the report socket. */
enum { REPORT_HOST = 1, REPORT_END = 2, REPORT_PROXY = 3 };
struct child_report {
	pid_t pid;
	int type;
	uint64_t bytes_in;
	uint64_t bytes_out;
	int have_bytes;		 /* REPORT_END: a builtin counted bytes_in/bytes_out */
	char reason[24];	 /* REPORT_END: why it ended early ("idle-timeout", ...), or "" */
	struct addr src;	 /* REPORT_PROXY: the client the header advertised */
	struct addr dst;	 /* REPORT_PROXY: the address it connected to */
	int lookup;		 /* REPORT_HOST: enum lookup */
	char host[PEER_HOSTLEN]; /* REPORT_HOST: sanitised name, "" when there is none */
};

/* Everything a connection's log entries say about it. */
struct conn_info {
	const char *service;
	const struct addr *peer;
	const struct addr *local;
	const struct addr *proxy;     /* the proxy that sent a PROXY header, or NULL */
	const struct peer_name *name; /* NULL: not looked up */
	pid_t pid;		      /* 0: no child (refused in the parent) */
};

/* Buffers behind the fields conn_fields() fills in. */
struct conn_text {
	char raddr[ADDR_HOSTLEN];
	char rport[8];
	char laddr[ADDR_HOSTLEN];
	char lport[8];
	char paddr[ADDR_HOSTLEN];
	char pport[8];
	char pid[16];
};

#define CONN_FIELDS 11 /* fields conn_fields() may fill */

/* Fill F with the connection fields of design §6 for CI; returns how many. */
int conn_fields(struct log_field *f, struct conn_text *t, const struct conn_info *ci);

/* The daemon's descriptors, none of which a connection needs: a new child closes them. */
struct daemon_fds {
	const int *fds; /* listeners, epoll, signalfd, report reader, parked connections' */
	size_t n;
	const int *spares; /* the idle spares' sockets (spare.c) */
	size_t nspares;
};

/* First thing in a new child of the daemon: reset signals, log directly, close D's descriptors. */
void child_detach(const struct daemon_fds *d);

/*
 * Runs in a connection's child (after child_detach()) and never returns:
 * have the peer's name looked up (by the resolver behind RESOLVER_FD, or
 * -1), log, serve, report to REPORT_FD, _exit(). LOG_ACCEPTED: log the
 * connection-accepted entry.
 */
void child_main(const struct conn *c, int report_fd, int resolver_fd, int log_accepted)
	__attribute__((noreturn));

#endif
