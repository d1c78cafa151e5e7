/* SPDX-License-Identifier: MIT */
/* Child side of a service: credentials, and exec'ing a program inetd-style. */
#include "exec.h"

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "sig.h"
#include "systemd.h"
#include "util.h"

#define EXEC_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ENV_OURS  10 /* variables acceptd sets itself, PATH included */

/* Whether SVC's user and group differ from ours (with daemon.user they may not). */
static int creds_differ(const struct service *svc)
{
	return svc->has_user &&
	       (getuid() != svc->uid || geteuid() != svc->uid || getgid() != svc->gid ||
		getegid() != svc->gid || getgroups(0, NULL) != 0);
}

CHILD_PATH int exec_drop_privileges(const struct service *svc)
{
	/* Already there (daemon.user): nothing to drop, and no privilege to do it. */
	if (!creds_differ(svc))
		return 0;
	return daemon_drop_privileges(svc->uid, svc->gid);
}

/* "NAME=value" in ENV at *N; failure only costs the variable. */
static void env_add(char **env, size_t *n, const char *name, const char *value)
{
	if (asprintf(&env[*n], "%s=%s", name, value) >= 0)
		(*n)++;
}

/*
 * The environment: the configured env, then PATH (unless env set it) and the
 * UCSPI variables. Entries past the configured ones are the caller's to free
 * (exec_env_free); NULL when out of memory.
 */
static char **exec_env(const struct conn *c, const char *host)
{
	const struct service *svc = c->svc;
	char raddr[ADDR_HOSTLEN], laddr[ADDR_HOSTLEN], rport[8], lport[8];
	char **env;
	size_t n = 0, i, nextra = 0;

	while (svc->env && svc->env[nextra])
		nextra++;
	env = calloc(ENV_OURS + nextra + 1, sizeof(*env));
	if (!env)
		return NULL;
	addr_host(&c->peer, raddr, sizeof(raddr));
	addr_host(&c->local, laddr, sizeof(laddr));
	snprintf(rport, sizeof(rport), "%u", addr_port(&c->peer));
	snprintf(lport, sizeof(lport), "%u", addr_port(&c->local));
	/* The configured env first; acceptd's own names cannot be set there (conf.c checks). */
	for (i = 0; i < nextra; i++)
		env[n++] = svc->env[i];
	/* The default PATH unless env gave one: getenv() would take the first. */
	for (i = 0; i < nextra && strncmp(svc->env[i], "PATH=", 5) != 0; i++)
		;
	if (i == nextra)
		env_add(env, &n, "PATH", EXEC_PATH);
	env_add(env, &n, "PROTO", "TCP");
	env_add(env, &n, "TCPLOCALIP", laddr);
	env_add(env, &n, "TCPLOCALPORT", lport);
	env_add(env, &n, "TCPREMOTEIP", raddr);
	env_add(env, &n, "TCPREMOTEPORT", rport);
	if (host[0])
		env_add(env, &n, "TCPREMOTEHOST", host);
	env_add(env, &n, "REMOTE_ADDR", raddr);
	env_add(env, &n, "REMOTE_PORT", rport);
	env_add(env, &n, "ACCEPTD_SERVICE", svc->name);
	env[n] = NULL;
	return env;
}

static void exec_env_free(char **env, const struct service *svc)
{
	size_t i = 0;

	while (svc->env && svc->env[i])
		i++;
	for (; env[i]; i++)
		free(env[i]);
	free(env);
}

/*
 * The socket on 0 and 1, stderr to a journal stream connected from this
 * process (so journald credits the program's lines to its PID), execve.
 * Returns only on failure, with errno. NONBLOCK: see systemd_journal_stream.
 */
static void exec_into(const struct conn *c, char **env, int nonblock)
{
	const struct service *svc = c->svc;
	int fd;

	/* dup2 clears close-on-exec on the copies: exactly 0, 1 and 2 survive execve. */
	if (dup2(c->fd, STDIN_FILENO) < 0 || dup2(c->fd, STDOUT_FILENO) < 0)
		return;
	if (c->fd > STDERR_FILENO)
		close(c->fd);
	fd = systemd_journal_stream(svc->name, LOG_INFO, nonblock);
	if (fd >= 0 && fd != STDERR_FILENO) {
		(void)dup2(fd, STDERR_FILENO);
		close(fd);
	}
	execve(svc->argv[0], svc->argv, env);
}

void exec_run(const struct conn *c, const char *host)
{
	char **env = exec_env(c, host);

	if (env)
		exec_into(c, env, 0);
	log_err("%s: cannot execute %s", c->svc->name, c->svc->argv[0]);
	_exit(127);
}

int exec_spawnable(const struct service *svc, int name_known)
{
	if (!svc->argv || svc->proxy || (svc->resolve != RESOLVE_NONE && !name_known))
		return 0;
	/*
	 * The spawned child only makes system calls; changing credentials is
	 * not for it. Not even checking whether they differ (five system calls
	 * on the accept path): a service that names a user is forked.
	 */
	return !svc->has_user;
}

/* What the spawned child needs; it shares the parent's memory until it execs. */
struct spawn_args {
	const struct conn *c;
	char **env;
	int err; /* set by the child when it cannot exec */
};

#define SPAWN_STACK (256 * 1024)

/*
 * The child of clone(CLONE_VM | CLONE_VFORK): exec_run() without logging,
 * on its own stack, while the parent waits. Everything it does is a system
 * call on its own descriptor table and signal handlers; on failure it leaves
 * errno in ARG for the parent and exits.
 */
static int spawn_child(void *arg)
{
	struct spawn_args *a = arg;

	sig_child_reset();
	/* Non-blocking: a journald with a full backlog must not stall the parent, which waits. */
	exec_into(a->c, a->env, 1);
	a->err = errno ? errno : ENOEXEC;
	/*
	 * The system call, not _exit(): a noreturn call on this stack makes
	 * ASan warn about an unknown stack switch.
	 */
	syscall(SYS_exit, 127);
	return 127;
}

int exec_spawn(const struct conn *c, const char *host, pid_t *pid)
{
	static char *stack;
	struct spawn_args a = { c, NULL, 0 };
	int status;

	/* Once, reused: the parent sleeps until the child has exec'd or exited. */
	if (!stack) {
		void *p = mmap(NULL, SPAWN_STACK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

		if (p == MAP_FAILED)
			return -1;
		stack = p;
	}
	a.env = exec_env(c, host);
	if (!a.env)
		return -1;
	*pid = clone(spawn_child, stack + SPAWN_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	exec_env_free(a.env, c->svc);
	if (*pid < 0)
		return -1;
	if (a.err) {
		/* Reaped here, so the event loop never sees it; the fork path reports the failure. */
		while (waitpid(*pid, &status, 0) < 0 && errno == EINTR)
			;
		errno = a.err;
		return -1;
	}
	return 0;
}
