/* SPDX-License-Identifier: MIT */
/* Child side of a service: credentials, and exec'ing a program inetd-style. */
#include "exec.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "systemd.h"

#define EXEC_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ENV_OURS  10 /* variables acceptd sets itself, PATH included */

int exec_drop_privileges(const struct service *svc)
{
	if (!svc->has_user)
		return 0;
	/* Already there (daemon.user): nothing to drop, and no privilege to do it. */
	if (getuid() == svc->uid && geteuid() == svc->uid && getgid() == svc->gid &&
	    getegid() == svc->gid && getgroups(0, NULL) == 0)
		return 0;
	return daemon_drop_privileges(svc->uid, svc->gid);
}

/* "NAME=value" in ENV at *N; failure only costs the variable. */
static void env_add(char **env, size_t *n, const char *name, const char *value)
{
	if (asprintf(&env[*n], "%s=%s", name, value) >= 0)
		(*n)++;
}

void exec_run(const struct conn *c, const char *host)
{
	const struct service *svc = c->svc;
	char raddr[ADDR_HOSTLEN], laddr[ADDR_HOSTLEN], rport[8], lport[8];
	char **env;
	size_t n = 0, i, nextra = 0;
	int fd;

	while (svc->env && svc->env[nextra])
		nextra++;
	env = calloc(ENV_OURS + nextra + 1, sizeof(*env));
	if (!env)
		goto fail;
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

	/* dup2 clears close-on-exec on the copies: exactly 0, 1 and 2 survive execve. */
	if (dup2(c->fd, STDIN_FILENO) < 0 || dup2(c->fd, STDOUT_FILENO) < 0)
		goto fail;
	if (c->fd > STDERR_FILENO)
		close(c->fd);
	fd = systemd_journal_stream(svc->name, LOG_INFO);
	if (fd >= 0) {
		if (fd != STDERR_FILENO) {
			(void)dup2(fd, STDERR_FILENO);
			close(fd);
		}
	}
	execve(svc->argv[0], svc->argv, env);
fail:
	log_err("%s: cannot execute %s", svc->name, svc->argv[0]);
	_exit(127);
}
