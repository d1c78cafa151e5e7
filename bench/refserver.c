/* SPDX-License-Identifier: MIT */
/*
 * refserver: the minimal fork-per-connection echo server, the practical
 * ceiling for acceptd's design. accept, fork, echo until EOF, _exit. Children
 * are reaped by the kernel (SIGCHLD set to SA_NOCLDWAIT), or with -w by a
 * waitpid() loop in a SIGCHLD handler, the way a daemon that wants exit
 * statuses must.
 *
 *   -g  the child calls getnameinfo(NI_NAMEREQD) on the peer first (the
 *       reference for acceptd's resolve = "name" without a cache)
 *   -w  reap with waitpid() instead of SA_NOCLDWAIT
 *
 * usage: refserver [-g] [-w] [-b BACKLOG] ADDR PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void reap(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static void serve(int fd, int gni)
{
	char buf[65536];
	ssize_t n, w, off;

	if (gni) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char host[NI_MAXHOST];

		if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
			(void)getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0,
					  NI_NAMEREQD);
	}
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(n < 0);
		for (off = 0; off < n; off += w) {
			w = send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				_exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sigaction sa;
	int c, lfd, fd, gni = 0, waitloop = 0, backlog = 128, one = 1;
	pid_t pid;

	while ((c = getopt(argc, argv, "gwb:")) != -1) {
		switch (c) {
		case 'g':
			gni = 1;
			break;
		case 'w':
			waitloop = 1;
			break;
		case 'b':
			backlog = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	if (inet_pton(AF_INET, argv[optind], &sin.sin_addr) != 1)
		goto usage;
	sin.sin_port = htons((unsigned short)atoi(argv[optind + 1]));

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	if (waitloop) {
		sa.sa_handler = reap;
		sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	} else {
		sa.sa_handler = SIG_DFL;
		sa.sa_flags = SA_NOCLDWAIT;
	}
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(lfd, backlog) < 0) {
		perror("refserver: listen");
		return 1;
	}
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("refserver: accept");
			sleep(1);
			continue;
		}
		pid = fork();
		if (pid == 0) {
			close(lfd);
			serve(fd, gni);
		}
		if (pid < 0)
			perror("refserver: fork");
		close(fd);
	}
usage:
	fprintf(stderr, "usage: refserver [-g] [-w] [-b BACKLOG] ADDR PORT\n");
	return 2;
}
