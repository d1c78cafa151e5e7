/* SPDX-License-Identifier: MIT */
/* Classic daemonising and the pidfile. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int daemon_detach(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	/* The second fork: a session leader that is not us, so no terminal can ever come back. */
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return -1;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* dup2 clears CLOEXEC on the copies, as stdio needs. */
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return -1;
	}
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

/*
 * The pidfile, kept open (for writing, as it was created) by the daemon
 * only: children close it (server_close_in_children()).
 */
static int pid_fd = -1;

int daemon_pidfile_write(const char *path)
{
	char tmp[4096], buf[32];
	int fd, len, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write_all(fd, buf, (size_t)len) < 0 || fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		goto fail;
	/* rename() is atomic: a reader sees the old file or the whole new one. */
	if (rename(tmp, path) < 0)
		goto fail;
	pid_fd = fd;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int daemon_drop_privileges(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return -1;
	/* Trust, but verify: a partial switch must never serve a connection. */
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
	    getgroups(0, NULL) != 0 || (uid != 0 && setuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int daemon_pidfile_fd(void)
{
	return pid_fd;
}

int daemon_pidfile_remove(const char *path)
{
	struct stat ours, there;
	char buf[32];
	ssize_t n;
	int fd, rc = 0, saved = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		goto out;
	buf[n] = '\0';
	/* Someone else's pidfile (a second instance started later) is not ours to remove. */
	if (strtol(buf, NULL, 10) != (long)getpid() || unlink(path) == 0)
		goto out;
	saved = errno;
	rc = -1;
	/*
	 * Not removable: daemon.user dropped the right to write to its
	 * directory. Emptied then, through the descriptor that created it, so
	 * that no stale pid is left for a later process to be mistaken for us.
	 */
	if ((saved == EACCES || saved == EPERM || saved == EROFS) && pid_fd >= 0 &&
	    fstat(pid_fd, &ours) == 0 && stat(path, &there) == 0 && ours.st_dev == there.st_dev &&
	    ours.st_ino == there.st_ino && ftruncate(pid_fd, 0) == 0)
		rc = 1;
out:
	if (pid_fd >= 0)
		close(pid_fd);
	pid_fd = -1;
	errno = saved;
	return rc;
}
