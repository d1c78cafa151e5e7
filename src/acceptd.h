/* SPDX-License-Identifier: MIT */
/* Shared types: the validated configuration and its defaults. */
#ifndef ACCEPTD_H
#define ACCEPTD_H

#include <stddef.h>
#include <sys/types.h>

#include "acl.h"
#include "addr.h"

#define SERVICE_NAME_MAX 64

/* Defaults: the one place they are defined (documented in etc/acceptd.conf and the README). */
#define DEFAULT_MAX_CONNECTIONS	  4096 /* concurrent children */
#define DEFAULT_SHUTDOWN_TIMEOUT  10   /* seconds */
#define DEFAULT_SPARES		  0    /* children forked ahead of their connections */
#define SPARES_MAX		  64
#define DEFAULT_BACKLOG		  128  /* listen() queue */
#define DEFAULT_RESOLVE_TIMEOUT	  2000 /* ms */
#define DEFAULT_RESOLVE_CACHE_TTL 60   /* seconds */
#define DEFAULT_PROXY_TIMEOUT	  3000 /* ms: covers a TCP retransmit */
#define DEFAULT_LOG_LEVEL	  LOG_INFO

/* daemon.log_connections */
enum log_conn {
	LOG_CONN_BOTH, /* one entry at accept, one at end */
	LOG_CONN_END,  /* one entry at end, carrying every field */
	LOG_CONN_NONE,
};

/* One service: where it listens and what it runs. */
struct service {
	char name[SERVICE_NAME_MAX + 1];
	int builtin;  /* enum builtin, see builtin.h; -1 for an exec service */
	char **argv;  /* exec: program and arguments, NULL-terminated; NULL for a builtin */
	char **env;   /* exec: extra "NAME=value" entries, NULL-terminated, or NULL */
	int has_user; /* the child switches to uid/gid before serving */
	uid_t uid;
	gid_t gid;
	unsigned port; /* default port for listen entries without one; 0 if unset */
	int backlog;
	int v6only;	    /* IPV6_V6ONLY on its IPv6 sockets (default 1) */
	struct cidr *allow; /* when non-empty, only these sources */
	size_t nallow;
	struct cidr *deny; /* never these sources; wins over allow */
	size_t ndeny;
	int max_connections;   /* concurrent children of this service; 0: only the global cap */
	int max_per_source;    /* concurrent children per source address; 0: no limit */
	double rate;	       /* new connections per second; 0: no limit */
	double burst;	       /* token bucket size */
	int idle_timeout;      /* builtins: seconds without progress before closing; 0: none */
	int resolve;	       /* enum resolve (peer.h) */
	int resolve_timeout;   /* milliseconds a lookup may take */
	int resolve_cache_ttl; /* seconds the parent reuses a name; 0: look up every time */
	int proxy;	       /* PROXY_V1 | PROXY_V2 bits (proxy.h); 0: off */
	struct cidr *proxy_trusted; /* the only sources that may (and must) send a header */
	size_t nproxy_trusted;
	int proxy_timeout; /* milliseconds for the whole header */
	size_t nlisten;
	struct addr *listen; /* every entry has its port filled in */
};

/* A whole, validated configuration. Owned by one user; freed with conf_free(). */
struct conf {
	char *path; /* file it was read from */
	int max_connections;
	int shutdown_timeout; /* seconds */
	int spares;	      /* children kept forked ahead of their connections (spare.c) */
	int log_level;	      /* LOG_* from syslog.h */
	int log_connections;  /* enum log_conn */
	char *pidfile;	      /* NULL: none configured */
	int has_user;	      /* daemon.user: the parent drops to uid/gid after binding */
	uid_t uid;
	gid_t gid;
	size_t nservices;
	struct service *services;
};

#endif
