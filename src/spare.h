/* SPDX-License-Identifier: MIT */
/*
 * Spare processes: children forked ahead of their connections, so that the
 * accept loop hands a connection over instead of forking for it.
 */
#ifndef ACCEPTD_SPARE_H
#define ACCEPTD_SPARE_H

#include <sys/types.h>

#include "child.h"

#define SPARE_COMM	"acceptd-spare" /* an idle spare's name in ps and /proc/PID/comm */
#define SPARE_DEPTH_MAX 32		/* spares in a line of successors (see spare.c) */

/* A new spare, as its forker tells the daemon; its socket rides along. */
struct spare_news {
	pid_t pid; /* 0: the fork failed */
	unsigned gen;
	unsigned depth; /* in its line of successors: 1 for one the daemon forked */
};

/*
 * In the daemon: fork a spare of generation GEN, which closes the daemon's
 * descriptors D and waits on its socket. The spares forked from it are told
 * to NEWS_FD. REPORT_FD and RESOLVER_FD are what the connection's child will
 * report to and ask. *FD gets the daemon's end of its socket. Returns its
 * pid, or -1 with errno.
 */
pid_t spare_start(unsigned gen, int news_fd, int report_fd, int resolver_fd,
		  const struct daemon_fds *d, int *fd);

/*
 * In the daemon: give connection C to the spare behind FD, which serves it
 * as child_main() does (LOG_ACCEPTED as there). SUCCESSOR: it forks its
 * replacement first. Returns 0, or -1 with errno (the spare is gone or
 * broken; C is still the caller's).
 */
int spare_give(int fd, const struct conn *c, int log_accepted, int successor);

/* In the daemon: have the idle spare behind FD fork another. Returns 0, or -1 with errno. */
int spare_ask(int fd);

/*
 * In the daemon: one piece of news from NEWS_FD (non-blocking), into *N and
 * *FD (the new spare's socket, or -1). Returns 1, 0 for none, -1 on error.
 */
int spare_news(int news_fd, struct spare_news *n, int *fd);

#endif
