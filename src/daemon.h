/* SPDX-License-Identifier: MIT */
/* Classic daemonising and the pidfile. */
#ifndef ACCEPTD_DAEMON_H
#define ACCEPTD_DAEMON_H

#include <sys/types.h>

/* Fork, setsid, fork, chdir /, stdio to /dev/null. Returns 0 in the daemon, -1 on error; the parents exit. */
int daemon_detach(void);

/*
 * Write our pid to PATH atomically (temporary file, then rename), and keep
 * it open (daemon_pidfile_fd()). Returns 0 or -1.
 */
int daemon_pidfile_write(const char *path);

/* The pidfile's descriptor, or -1: for the daemon only, children close it. */
int daemon_pidfile_fd(void);

/* Clear supplementary groups, switch to GID and UID for good, and check it took. Returns 0 or -1. */
int daemon_drop_privileges(uid_t uid, gid_t gid);

/*
 * Remove PATH if it still holds our pid. Returns 0 (removed, or not ours),
 * 1 when it could only be emptied (no right to remove it: errno), -1 on
 * error (errno).
 */
int daemon_pidfile_remove(const char *path);

#endif
