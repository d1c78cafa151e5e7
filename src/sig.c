/* SPDX-License-Identifier: MIT */
/* Signals as events: blocked and read from a signalfd; reset in every child. */
#include "sig.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const int handled[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGUSR1 };

int sig_init(void)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	sigset_t set;
	size_t i;

	/* A client that vanishes mid-write is an EPIPE, never a dead daemon. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -1;
	sigemptyset(&set);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&set, handled[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int sig_read(int fd)
{
	struct signalfd_siginfo si;
	ssize_t n;

	do
		n = read(fd, &si, sizeof(si));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n != sizeof(si)) {
		errno = EIO;
		return -1;
	}
	return (int)si.ssi_signo;
}

void sig_child_reset(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t set;
	int s;

	/* Both survive fork and execve: an exec'd program must start with neither. */
	sigemptyset(&sa.sa_mask);
	for (s = 1; s < NSIG; s++)
		(void)sigaction(s, &sa,
				NULL); /* fails harmlessly for KILL, STOP and RT internals */
	sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
}
