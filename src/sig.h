/* SPDX-License-Identifier: MIT */
/* Signals as events: blocked and read from a signalfd; reset in every child. */
#ifndef ACCEPTD_SIG_H
#define ACCEPTD_SIG_H

/* Block CHLD HUP TERM INT USR1, ignore PIPE; return a CLOEXEC non-blocking signalfd, or -1. */
int sig_init(void);

/* Read one pending signal from FD: its number, 0 if none, -1 on error. */
int sig_read(int fd);

/* In a child: default dispositions and an empty mask, so exec'd programs start clean. */
void sig_child_reset(void);

#endif
