/* SPDX-License-Identifier: MIT */
/* The running daemon: listeners, children, the event loop, reload and shutdown. */
#ifndef ACCEPTD_SERVER_H
#define ACCEPTD_SERVER_H

#include "acceptd.h"
#include "activation.h"

/*
 * Take ownership of CONF and of INH (NINH sockets from systemd, already
 * checked against CONF), and bind every other listener CONF names. On
 * failure logs the address, port and system error, closes whatever it
 * bound and returns -1.
 */
int server_listen(struct conf *conf, struct inherited *inh, size_t ninh);

/*
 * Serve until SIGTERM or SIGINT, then shut down: children get SIGTERM, and
 * SIGKILL after shutdown_timeout; all are reaped. LOG_LEVEL_OVERRIDE >= 0
 * pins the level over daemon.log_level (the -l option). Returns 0 after a
 * clean stop, or an exit code from sysexits.h.
 */
int server_run(int log_level_override);

/* FD is the daemon's own: every child closes it first. Returns 0, or -1 with errno. */
int server_close_in_children(int fd);

#endif
