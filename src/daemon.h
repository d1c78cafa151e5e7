/* SPDX-License-Identifier: MIT */
/* Classic daemonising and the pidfile. */
#ifndef ACCEPTD_DAEMON_H
#define ACCEPTD_DAEMON_H

/* Fork, setsid, fork, chdir /, stdio to /dev/null. Returns 0 in the daemon, -1 on error; the parents exit. */
int daemon_detach(void);

/* Write our pid to PATH atomically (temporary file, then rename). Returns 0 or -1. */
int daemon_pidfile_write(const char *path);

/* Remove PATH if it still holds our pid. */
void daemon_pidfile_remove(const char *path);

#endif
