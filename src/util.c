/* SPDX-License-Identifier: MIT */
/* Small helpers: descriptor flags, monotonic time, full reads and writes. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int fd_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

int fd_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0)
		return -1;
	return fl & FD_CLOEXEC ? 0 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

CHILD_PATH ssize_t fd_send(int sock, const void *buf, size_t len, const int *fds, int nfds,
			   int flags)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
	} cm;
	struct iovec iov = { (void *)(uintptr_t)buf, len }; /* sendmsg() only reads it */
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c = &cm.h; /* CMSG_FIRSTHDR(&msg), which the compiler cannot see is set */
	ssize_t n;

	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
		msg.msg_control = cm.buf;
		msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

CHILD_PATH ssize_t fd_recv(int sock, void *buf, size_t len, int fds[FDS_MAX], int *nfds, int flags)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
	} cm;
	/* cppcheck-suppress ctuuninitvar ; BUF is where recvmsg() writes */
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = cm.buf,
			      .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *c;
	ssize_t n;
	size_t i, k;

	*nfds = 0;
	n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	if (n < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k && *nfds < FDS_MAX; i++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	return n;
}

pid_t fork_paired(int type, int *mine, int *theirs)
{
	int sv[2], err;
	pid_t pid;

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(sv[0]);
		close(sv[1]);
		errno = err;
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		*theirs = sv[1];
		return 0;
	}
	close(sv[1]);
	*mine = sv[0];
	return pid;
}

CHILD_PATH void fds_close(const int *fds, int n)
{
	while (n-- > 0)
		close(fds[n]);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

CHILD_PATH int fd_wait_until(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	uint64_t now;
	int rc;

	for (;;) {
		now = now_usec();
		if (now >= deadline)
			return 0;
		rc = poll(&pfd, 1, (int)((deadline - now + 999) / 1000));
		if (rc >= 0 || errno != EINTR)
			return rc;
	}
}

CHILD_PATH void str_copy(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void str_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 33 || (unsigned char)*s > 126 || *s == '%')
			*s = '?';
}

char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) / page * page;
}

int parent_only(void *p, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if ((uintptr_t)p % page || size % page) {
		errno = EINVAL;
		return -1;
	}
	/*
	 * Not under valgrind: in a forked child its view of the address space
	 * still has these pages, and its stack unwinder (--track-fds records
	 * where each descriptor was made) faulted on them and killed the child
	 * (valgrind 3.19, "the 'impossible' happened").
	 */
	if (RUNNING_ON_VALGRIND)
		return 0;
	return madvise(p, size, MADV_DONTFORK);
}

void *parent_alloc(size_t size)
{
	void *p = mmap(NULL, page_round(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Advice only: without it the memory is merely copied to every child. */
	(void)parent_only(p, page_round(size));
	return p;
}

void parent_free(void *p, size_t size)
{
	if (p)
		(void)munmap(p, page_round(size));
}

#define POOL_CHUNK (64 * 1024)

/* Object sizes rounded up so that every object can hold the free list's link. */
static size_t pool_objsize(const struct pool *pool)
{
	size_t a = sizeof(max_align_t);

	return (pool->size + a - 1) / a * a;
}

void *pool_zalloc(struct pool *pool)
{
	size_t size = pool_objsize(pool), off;
	char *chunk;
	void *obj;

	if (!pool->free) {
		/* The chunk's first object slot links the chunks; the rest go on the free list. */
		chunk = parent_alloc(POOL_CHUNK);
		if (!chunk) {
			errno = ENOMEM;
			return NULL;
		}
		*(void **)chunk = pool->chunks;
		pool->chunks = chunk;
		for (off = size; off + size <= POOL_CHUNK; off += size) {
			*(void **)(chunk + off) = pool->free;
			pool->free = chunk + off;
		}
	}
	obj = pool->free;
	pool->free = *(void **)obj;
	return memset(obj, 0, size);
}

void pool_release(struct pool *pool, void *obj)
{
	if (!obj)
		return;
	*(void **)obj = pool->free;
	pool->free = obj;
}

void pool_destroy(struct pool *pool)
{
	void *chunk, *next;

	for (chunk = pool->chunks; chunk; chunk = next) {
		next = *(void **)chunk;
		parent_free(chunk, POOL_CHUNK);
	}
	pool->chunks = NULL;
	pool->free = NULL;
}
