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

/*
 * Whether a connection to SVC can be spawned from the parent without a fork
 * (exec_spawn): an exec service, no PROXY header to read, no name to look
 * up (resolve none, or NAME_KNOWN from the parent's cache), no `user`
 * (the child would have to switch credentials).
 */
int exec_spawnable(const struct service *svc, int name_known);

/*
 * In the parent: start the program of C's service exactly as exec_run()
 * would (fds, journal stream, environment, signals), vfork-style: the child
 * shares the parent's memory until execve, so no page table is copied.
 * 0 and *PID, or -1 with errno; then nothing ran, and the caller forks
 * instead, which reports the failure the usual way.
 */
int exec_spawn(const struct conn *c, const char *host, pid_t *pid);

#endif
