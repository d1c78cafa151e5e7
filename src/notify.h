/* SPDX-License-Identifier: MIT */
/* sd_notify: readiness and status for the service manager; silent without NOTIFY_SOCKET. */
#ifndef ACCEPTD_NOTIFY_H
#define ACCEPTD_NOTIFY_H

/* READY=1 with a STATUS= line. */
void notify_ready(const char *status);

/* RELOADING=1 (with MONOTONIC_USEC=, harmless before systemd 253). */
void notify_reloading(void);

/* The watchdog interval in usec when the manager asked for pings ($WATCHDOG_USEC), else 0. */
unsigned long long notify_watchdog_usec(void);

/* WATCHDOG=1. */
void notify_watchdog(void);

/* STOPPING=1. */
void notify_stopping(void);

/* STATUS= only. */
void notify_status(const char *status);

#endif
