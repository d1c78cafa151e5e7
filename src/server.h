/* SPDX-License-Identifier: MIT */
/* The running daemon: listeners, children, the event loop, reload and shutdown. */
#ifndef ACCEPTD_SERVER_H
#define ACCEPTD_SERVER_H

#include "acceptd.h"

/*
 * Take ownership of CONF and bind every listener it names. On failure logs
 * the address, port and system error, closes whatever it opened and
 * returns -1.
 */
int server_listen(struct conf *conf);

/*
 * Serve until SIGTERM or SIGINT, then shut down: children get SIGTERM, and
 * SIGKILL after shutdown_timeout; all are reaped. LOG_LEVEL_OVERRIDE >= 0
 * pins the level over daemon.log_level (the -l option). Returns 0 after a
 * clean stop, or an exit code from sysexits.h.
 */
int server_run(int log_level_override);

#endif
