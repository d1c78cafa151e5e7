/* SPDX-License-Identifier: MIT */
/* Signals as events: blocked and read from a signalfd; reset in every child. */
#include "sig.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
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
	/* The kernel's struct sigaction: handler, flags, restorer, mask. */
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} kdfl = { SIG_DFL, 0, NULL, 0 };
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t set;
	int s;

	/* Both survive fork and execve: an exec'd program must start with neither. */
	sigemptyset(&sa.sa_mask);
	/* Fails harmlessly for KILL and STOP. */
	for (s = 1; s < NSIG; s++)
		(void)sigaction(s, &sa, NULL);
	/*
	 * glibc's sigaction() refuses the two signals it reserves for itself
	 * (32, 33), and whoever started us may have ignored them (GNU make
	 * does): reset them with the system call itself.
	 */
	for (s = 32; s < SIGRTMIN; s++)
		(void)syscall(SYS_rt_sigaction, s, &kdfl, NULL, sizeof(uint64_t));
	sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
}
