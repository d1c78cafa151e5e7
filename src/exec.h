/* SPDX-License-Identifier: MIT */
/* Child side of a service: credentials, and exec'ing a program inetd-style. */
#ifndef ACCEPTD_EXEC_H
#define ACCEPTD_EXEC_H

#include "child.h"

/*
 * Switch to the service's group and user (supplementary groups cleared) and
 * check that it took. Returns 0 (also when the service names no user), or
 * -1 with errno.
 */
int exec_drop_privileges(const struct service *svc);

/*
 * Runs in the child and never returns: the socket on fds 0 and 1, stderr
 * to a journal stream tagged with the service name (acceptd's stderr when
 * there is no journal), a clean environment with the UCSPI variables, and
 * execve() without a shell. HOST is the peer's name or "".
 */
void exec_run(const struct conn *c, const char *host) __attribute__((noreturn));

#endif
