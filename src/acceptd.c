/* SPDX-License-Identifier: MIT */
/* main(): options, start-up order and exit codes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "activation.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "server.h"
#include "systemd.h"

#define DEFAULT_CONFIG	SYSCONFDIR "/acceptd/acceptd.conf"
#define DEFAULT_PIDFILE RUNSTATEDIR "/acceptd.pid"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: acceptd [-c FILE] [-f] [-t] [-p PIDFILE] [-l LEVEL] [-h] [-V]\n"
		"\n"
		"  -c, --config FILE      configuration file (default %s)\n"
		"  -f, --foreground       do not daemonize; log to stderr or the journal\n"
		"  -t, --test-config      check the configuration, print a summary, exit\n"
		"  -p, --pidfile PIDFILE  write the daemon's pid here (default %s when daemonizing)\n"
		"  -l, --log-level LEVEL  debug, info, notice, warning or err (overrides the file)\n"
		"  -h, --help             show this help\n"
		"  -V, --version          show the version\n",
		DEFAULT_CONFIG, DEFAULT_PIDFILE);
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "test-config", no_argument, NULL, 't' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf_errors errs = { 0, NULL };
	struct inherited *inh = NULL;
	char err[512];
	int ninh = 0;
	const char *path = DEFAULT_CONFIG, *pidfile = NULL;
	char *pid_path = NULL, *abs_path = NULL;
	int foreground = 0, test = 0, level = -1, c, rc;
	struct conf *conf;
	size_t i;

	while ((c = getopt_long(argc, argv, "c:ftp:l:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'l':
			level = log_level_parse(optarg);
			if (level < 0) {
				fprintf(stderr, "acceptd: unknown log level \"%s\"\n", optarg);
				usage(stderr);
				return EX_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("acceptd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "acceptd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}

	/*
	 * Sockets from systemd first, before anything else opens a descriptor,
	 * so none of ours can take a number in the passed range.
	 */
	if (!test) {
		ninh = activation_collect(&inh, err, sizeof(err));
		if (ninh < 0) {
			fprintf(stderr, "acceptd: %s\n", err);
			return EX_OSERR;
		}
		/*
		 * Whatever else whoever started us left open is not ours, and
		 * must not reach an exec'd program: it sees exactly 0, 1 and 2.
		 */
		(void)close_range(SYSTEMD_LISTEN_FDS_START + (unsigned)ninh, ~0u, 0);
	}

	/* Reload reads the file again after chdir("/"): remember where it is. */
	if (path[0] != '/' && !test) {
		char *cwd = getcwd(NULL, 0);

		if (!cwd || asprintf(&abs_path, "%s/%s", cwd, path) < 0) {
			free(cwd);
			fprintf(stderr, "acceptd: cannot find the current directory\n");
			return EX_OSERR;
		}
		free(cwd);
		path = abs_path;
	}
	conf = conf_load(path, &errs);
	if (!conf) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		conf_errors_clear(&errs);
		return EX_CONFIG;
	}
	if (test) {
		conf_print(conf, stdout);
		conf_free(conf);
		return 0;
	}

	log_init(level >= 0 ? level : conf->log_level);
	log_event(MSGID_STARTED, LOG_INFO, NULL, 0, "acceptd %s starting with %s", PACKAGE_VERSION,
		  path);
	/* A copy: the server frees CONF when a reload replaces it. */
	if (!pidfile)
		pidfile = conf->pidfile ? conf->pidfile : foreground ? NULL : DEFAULT_PIDFILE;
	if (pidfile && !(pid_path = strdup(pidfile)))
		fatal(EX_OSERR, "cannot start");
	if (activation_check(inh, (size_t)ninh, conf, err, sizeof(err)) < 0)
		fatalx(EX_CONFIG, "%s", err);
	/* Bind before detaching, so a bind failure reaches whoever started us, with exit 71. */
	if (server_listen(conf, inh, (size_t)ninh) < 0)
		exit(EX_OSERR);
	if (!foreground) {
		if (daemon_detach() < 0)
			fatal(EX_OSERR, "cannot daemonize");
		/* stderr is /dev/null now: a terminal no longer keeps the log from the journal. */
		log_init(level >= 0 ? level : conf->log_level);
	}
	if (pid_path && (daemon_pidfile_write(pid_path) < 0 ||
			 server_close_in_children(daemon_pidfile_fd()) < 0))
		fatal(EX_OSERR, "cannot write pidfile %s", pid_path);
	/* After binding (ports below 1024) and the pidfile: nothing else needs root. */
	if (conf->has_user && daemon_drop_privileges(conf->uid, conf->gid) < 0)
		fatal(EX_OSERR, "cannot switch to uid %u gid %u", (unsigned)conf->uid,
		      (unsigned)conf->gid);

	rc = server_run(level);

	if (pid_path) {
		switch (daemon_pidfile_remove(pid_path)) {
		case 1:
			log_warn("pidfile %s emptied, not removed", pid_path);
			break;
		case -1:
			log_warn("cannot remove pidfile %s", pid_path);
			break;
		}
	}
	free(pid_path);
	free(abs_path);
	return rc;
}
