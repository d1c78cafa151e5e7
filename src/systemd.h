/* SPDX-License-Identifier: MIT */
/*
 * The service manager's side of the interface, spoken directly: sd_notify(3),
 * sd_listen_fds(3), sd_watchdog_enabled(3) and sd_journal_stream_fd(3). Each
 * is a few lines of protocol; linking libsystemd for them maps six more
 * libraries into the parent, and every fork copies those mappings
 * (DEVELOPERS.md). ./configure --with-libsystemd uses the library instead.
 */
#ifndef ACCEPTD_SYSTEMD_H
#define ACCEPTD_SYSTEMD_H

#define SYSTEMD_LISTEN_FDS_START 3

/* Send STATE to $NOTIFY_SOCKET. 0 when sent or when there is no manager, -1 on error. */
int systemd_notify(const char *state);

/*
 * The sockets passed for this process: their number (from fd
 * SYSTEMD_LISTEN_FDS_START on, now close-on-exec), 0 if none, -1 with errno.
 * *NAMES gets a malloc'd array of malloc'd names ("unknown" where unnamed).
 * LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from the environment.
 */
int systemd_listen_fds(char ***names);

/* 1 if FD is a listening TCP socket (IPv4 or IPv6), 0 if not, -1 on error. */
int systemd_is_tcp_listener(int fd);

/*
 * A stream to journald for an exec'd program's stderr, lines tagged IDENT;
 * fd or -1. NONBLOCK: fail rather than wait for a journald whose backlog is
 * full (the returned stream is blocking either way).
 */
int systemd_journal_stream(const char *ident, int priority, int nonblock);

/* The watchdog interval in usec if the manager asked this process for pings, else 0. */
unsigned long long systemd_watchdog_usec(void);

#endif
