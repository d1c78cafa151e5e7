/* SPDX-License-Identifier: MIT */
/* Signals as events: blocked and read from a signalfd; reset in every child. */
#include "sig.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "util.h"

static const int handled[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGUSR1 };

/*
 * The kernel's struct sigaction. All-zero means SIG_DFL, no flags, empty
 * mask on every layout (with or without sa_restorer), and it is at least as
 * large as any architecture's, so it is valid for both setting and reading.
 */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask[2];
};

/* Signals whose disposition is not SIG_DFL: a child resets only these. */
static uint64_t nondefault;

/*
 * The system call itself: glibc's sigaction() refuses the two signals it
 * reserves (32, 33), which whoever started us may have ignored (GNU make does).
 */
static int ksigaction(int s, const struct ksigaction *act, struct ksigaction *old)
{
	return (int)syscall(SYS_rt_sigaction, s, act, old, sizeof(uint64_t));
}

int sig_init(void)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	struct ksigaction old;
	sigset_t set;
	size_t i;
	int s;

	/* A client that vanishes mid-write is an EPIPE, never a dead daemon. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -1;
	/*
	 * Only SIG_IGN survives execve, and acceptd installs no handler but
	 * this one: record the inherited ignores once, so that a child resets
	 * a handful of signals instead of making 64 system calls per connection.
	 */
	for (s = 1; s <= 64; s++) {
		memset(&old, 0, sizeof(old));
		if (ksigaction(s, NULL, &old) == 0 && old.handler != SIG_DFL)
			nondefault |= UINT64_C(1) << (s - 1);
	}
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

CHILD_PATH void sig_child_reset(void)
{
	/*
	 * On the stack and through syscall(), which the child calls anyway: a
	 * constant in .rodata, or sigemptyset() and sigprocmask() in libc,
	 * would each cost the child a page fault, and on a virtual machine a
	 * fault costs more than all of these system calls together.
	 */
	const struct ksigaction dfl = { 0 };
	uint64_t none = 0;
	int s;

	/* Both survive fork and execve: an exec'd program must start with neither. */
	for (s = 1; s <= 64; s++)
		if (nondefault & (UINT64_C(1) << (s - 1)))
			(void)ksigaction(s, &dfl, NULL);
	(void)syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
}
