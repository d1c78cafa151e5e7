/* SPDX-License-Identifier: MIT */
/* Small helpers: descriptor flags, monotonic time, full reads and writes. */
#ifndef ACCEPTD_UTIL_H
#define ACCEPTD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Code that every connection's child runs. fork() does not copy the page
 * tables of code, so a child faults in each page of it it runs, and the
 * kernel maps up to 64 KiB around a fault: gathered in one place (.text.hot)
 * the whole path costs one fault instead of one for each place it lies in.
 */
#define CHILD_PATH __attribute__((hot))

/* Monotonic clock in microseconds. */
uint64_t now_usec(void);

/* Set or clear O_NONBLOCK on FD. Returns 0 or -1. */
int fd_set_nonblock(int fd, int on);

/* Set FD_CLOEXEC on FD. Returns 0 or -1. */
int fd_set_cloexec(int fd);

/* write() all of BUF, retrying on EINTR and short writes. Returns 0 or -1. */
int write_all(int fd, const void *buf, size_t len);

/* Replace bytes a log or environment must not carry: < 33, > 126 and '%' become '?'. */
void str_sanitize(char *s);

/* poll() FD for EVENTS until DEADLINE (now_usec()), through EINTR: > 0 ready, 0 time is up, -1. */
int fd_wait_until(int fd, short events, uint64_t deadline);

/*
 * One datagram of LEN bytes from BUF on SOCK, carrying the NFDS (<= FDS_MAX)
 * descriptors FDS (SCM_RIGHTS), with FLAGS for sendmsg() (MSG_DONTWAIT);
 * never raises SIGPIPE. Returns sendmsg()'s result, retried on EINTR.
 */
#define FDS_MAX 4
ssize_t fd_send(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags);

/*
 * Receive one datagram of at most LEN bytes into BUF from SOCK, with up to
 * FDS_MAX descriptors (close-on-exec) into FDS, *NFDS of them; FLAGS for
 * recvmsg(). Returns its length (MSG_TRUNC: the real one), 0 at the end,
 * or -1 with errno (EINTR too).
 */
ssize_t fd_recv(int sock, void *buf, size_t len, int fds[FDS_MAX], int *nfds, int flags);

/*
 * fork() with a socket pair of TYPE (close-on-exec) between parent and
 * child: the parent gets its end in *MINE, the child its own in *THEIRS,
 * and each has closed the other's. Returns fork()'s result; -1 (errno) with
 * nothing left open.
 */
pid_t fork_paired(int type, int *mine, int *theirs);

/* Close the N descriptors in FDS. */
void fds_close(const int *fds, int n);

/* Copy SRC into DST of SIZE (> 0) bytes, cut to fit; always terminated. No printf: see child.c. */
void str_copy(char *dst, const char *src, size_t size);

/* strdup() that returns NULL on NULL. */
char *xstrdup(const char *s);

/*
 * Memory only the parent uses: page-aligned, zeroed and not inherited by
 * fork() (MADV_DONTFORK), so fork neither copies nor write-protects it. A
 * child must never touch it, and neither can the daemon that
 * daemon_detach() forks: allocate it in the process that serves. NULL on
 * failure; free with parent_free(), giving the same SIZE.
 */
void *parent_alloc(size_t size);
void parent_free(void *p, size_t size);

/*
 * Make [P, P + SIZE) parent memory in the same way, for a static object the
 * parent writes on every connection: P and SIZE must be whole pages (else
 * -1 with EINVAL, and nothing changes).
 */
int parent_only(void *p, size_t size);

/*
 * Objects of one size in parent_alloc memory, for state the parent writes
 * on every connection. In the malloc heap, each such write after a fork
 * leaves the child holding its own copy of the page: 4 KiB more for every
 * held connection. Initialise with { .size = sizeof(obj) }.
 */
struct pool {
	size_t size;
	void *free;   /* free objects, linked through their first word */
	void *chunks; /* chunks, linked through their first word */
};

/* A zeroed object, or NULL (ENOMEM). */
void *pool_zalloc(struct pool *pool);
void pool_release(struct pool *pool, void *obj);
/* Unmap every chunk: all objects are gone. */
void pool_destroy(struct pool *pool);

#endif
