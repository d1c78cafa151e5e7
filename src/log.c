/* SPDX-License-Identifier: MIT */
/* Logging: native journal protocol over a non-blocking socket, or stderr lines with the same facts. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define LOG_IDENT      "acceptd"
#define LOG_MSGMAX     2048 /* bytes of MESSAGE; longer ones are cut */
#define LOG_FIELDS_MAX 24   /* fields of one event, MESSAGE and friends included */
#define CHILD_WAIT_MS  1000 /* how long a child waits for a congested journal */
#define IOV_MAX_MSG    (5 * (LOG_FIELDS_MAX + 4)) /* iovecs of one message, at most */

static int log_level = LOG_INFO;
static int journal_fd = -1;   /* connected, non-blocking; -1: stderr backend */
static int stderr_is_journal; /* stderr is already a journal stream ($JOURNAL_STREAM) */
static int starting = 1;      /* before READY: errors also go to stderr */
/*
 * Thread-local only for where that puts them: next to the thread's control
 * block, a page that fork() has already copied for the child (the kernel
 * writes the child's tid there). In .bss, log_child() would cost every child
 * a copy of one more page.
 */
static __thread int in_child;
static __thread struct queue *queue; /* non-NULL: the parent is batching (log_batch) */

/*
 * Messages that found the journal's socket full. The count lives in a shared
 * anonymous page, so that what forked children drop is counted with what the
 * parent drops; only the parent reports it. Without the page (mmap failed),
 * a private counter counts the parent's drops alone.
 */
static unsigned long private_drops;
static unsigned long *drops = &private_drops;
static unsigned long drops_reported; /* parent: the count its last delivered report covered */

/* What a send to the journal did. */
#define SENT   0
#define FULL   1  /* the socket was full: not sent */
#define FAILED -1 /* no journal to send to: the caller writes stderr instead */

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",	  [LOG_CRIT] = "crit",
	[LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

int log_level_parse(const char *name)
{
	int i;

	for (i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

static int journal_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* $JOURNAL_STREAM is "dev:ino" of the stream systemd connected to stderr. */
static int stderr_journal_stream(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

static void drops_map(void)
{
	void *p;

	if (drops != &private_drops)
		return;
	p = mmap(NULL, sizeof(*drops), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	drops = p;
	*drops = private_drops;
}

static void drops_report_at_exit(void);

void log_init(int level)
{
	static int once;

	log_level = level;
	if (!once++) {
		drops_map();
		(void)atexit(drops_report_at_exit);
	}
	if (journal_fd >= 0) {
		log_flush(); /* what is queued goes where it was meant to */
		close(journal_fd);
		journal_fd = -1;
	}
	stderr_is_journal = stderr_journal_stream();
	/* Someone at a terminal wants to read the log there. */
	if (isatty(STDERR_FILENO) && !stderr_is_journal)
		return;
	journal_fd = journal_connect();
}

int log_backend(void)
{
	return journal_fd >= 0 ? LOG_JOURNAL : LOG_STDERR;
}

void log_set_level(int level)
{
	log_level = level;
}

void log_started(void)
{
	starting = 0;
}

CHILD_PATH void log_child(void)
{
	in_child = 1;
	queue = NULL; /* the parent's, and not mapped here (MADV_DONTFORK) */
}

static void drop_counted(void)
{
	__atomic_add_fetch(drops, 1, __ATOMIC_RELAXED);
}

/*
 * journald went away (restarted): connect again, keeping the descriptor
 * number that the children's close lists know (dup3).
 */
static int journal_reconnect(void)
{
	int fd = journal_connect();

	if (fd < 0)
		return -1;
	if (dup3(fd, journal_fd, O_CLOEXEC) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Send one datagram: SENT, FULL or FAILED. The parent never waits: a full
 * socket buffer is FULL at once (the caller decides whether that is a drop).
 * A child may wait a little. A journald that went away (restart) gets one
 * reconnect; failing that (FAILED), the caller falls back to stderr.
 */
static int journal_send(struct iovec *iov, int iovcnt)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
	struct pollfd pfd;
	int retried = 0;

	for (;;) {
		if (sendmsg(journal_fd, &mh, MSG_NOSIGNAL) >= 0)
			return SENT;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			pfd = (struct pollfd){ .fd = journal_fd, .events = POLLOUT };
			if (in_child && !retried++ && poll(&pfd, 1, CHILD_WAIT_MS) > 0)
				continue;
			return FULL;
		}
		if (retried++ || journal_reconnect() < 0)
			return FAILED;
	}
}

/* iovec wants void *; the journal only reads it. */
static void *unconst(const char *s)
{
	return (void *)(uintptr_t)s;
}

/* KEY=value, or the binary form when the value holds a newline. */
static int journal_field(struct iovec *iov, char *lenbuf, const char *key, const char *value)
{
	uint64_t n = strlen(value);
	int i;

	if (!strchr(value, '\n')) {
		iov[0] = (struct iovec){ unconst(key), strlen(key) };
		iov[1] = (struct iovec){ "=", 1 };
		iov[2] = (struct iovec){ unconst(value), n };
		iov[3] = (struct iovec){ "\n", 1 };
		return 4;
	}
	for (i = 0; i < 8; i++)
		lenbuf[i] = (char)(n >> (8 * i)); /* little-endian 64-bit length */
	iov[0] = (struct iovec){ unconst(key), strlen(key) };
	iov[1] = (struct iovec){ "\n", 1 };
	iov[2] = (struct iovec){ lenbuf, 8 };
	iov[3] = (struct iovec){ unconst(value), n };
	iov[4] = (struct iovec){ "\n", 1 };
	return 5;
}

static void stderr_write(int prio, const char *msgid, const struct log_field *f, int n,
			 const char *msg)
{
	char line[LOG_MSGMAX + 1024];
	size_t len;
	int i, sep = 0;

	len = (size_t)snprintf(line, sizeof(line), "%s[%ld]: %s", LOG_IDENT, (long)getpid(), msg);
	if (msgid) {
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					" | MESSAGE_ID=%s PRIORITY=%d", msgid, prio);
		sep = 1;
	}
	for (i = 0; i < n && len < sizeof(line); i++) {
		if (!f[i].value)
			continue;
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s=%s",
					sep ? " " : " | ", f[i].key, f[i].value);
		sep = 1;
	}
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* One write per line, so lines of parent and children do not interleave. */
	(void)write_all(STDERR_FILENO, line, len);
}

/* One message as the iovecs of one journal datagram; LENBUFS holds binary lengths. */
static int journal_iov(struct iovec *iov, char (*lenbufs)[8], int prio, const char *msgid,
		       const struct log_field *f, int n, const char *msg, char *priobuf)
{
	int i, k = 0, nf = 0;

	priobuf[0] = (char)('0' + prio);
	priobuf[1] = '\0';
	k += journal_field(iov + k, lenbufs[nf++], "MESSAGE", msg);
	k += journal_field(iov + k, lenbufs[nf++], "PRIORITY", priobuf);
	k += journal_field(iov + k, lenbufs[nf++], "SYSLOG_IDENTIFIER", LOG_IDENT);
	if (msgid)
		k += journal_field(iov + k, lenbufs[nf++], "MESSAGE_ID", msgid);
	for (i = 0; i < n && nf < LOG_FIELDS_MAX + 4; i++)
		if (f[i].value)
			k += journal_field(iov + k, lenbufs[nf++], f[i].key, f[i].value);
	return k;
}

/* One message as one journal datagram: what journal_send() did. */
static int journal_emit(int prio, const char *msgid, const struct log_field *f, int n,
			const char *msg)
{
	struct iovec iov[IOV_MAX_MSG];
	char lenbufs[LOG_FIELDS_MAX + 4][8];
	char priobuf[2];

	return journal_send(iov, journal_iov(iov, lenbufs, prio, msgid, f, n, msg, priobuf));
}

/*
 * The parent reports the messages dropped since its last report, ahead of
 * the next message, and counts them as reported only once the report is
 * sent. The report used to be a message like any other: sent into the same
 * full socket it was itself dropped, and its count lost with it (a run that
 * dropped 1.3 % of its entries reported 2). Now a report that finds the
 * socket full stays pending and is tried again with the next message, from
 * the event loop (log_flush) and at exit; it never counts as a drop.
 */
static void drops_report(void)
{
	unsigned long total, n;
	char msg[96];
	int rc;

	if (in_child || LOG_WARNING > log_level)
		return;
	total = __atomic_load_n(drops, __ATOMIC_RELAXED);
	n = total - drops_reported;
	if (!n)
		return;
	snprintf(msg, sizeof(msg), "%lu log messages dropped: the journal was not keeping up", n);
	if (journal_fd >= 0) {
		rc = journal_emit(LOG_WARNING, NULL, NULL, 0, msg);
		if (rc == FULL)
			return;
		if (rc == FAILED)
			stderr_write(LOG_WARNING, NULL, NULL, 0, msg);
	} else {
		stderr_write(LOG_WARNING, NULL, NULL, 0, msg);
	}
	drops_reported = total;
}

int log_report_pending(void)
{
	return !in_child && LOG_WARNING <= log_level &&
	       __atomic_load_n(drops, __ATOMIC_RELAXED) != drops_reported;
}

/*
 * A report still pending at exit would be lost with the process: the parent,
 * which has nothing left to stall, waits a little for the journal, then
 * writes the report to stderr if the journal still has no room.
 */
static void drops_report_at_exit(void)
{
	struct pollfd pfd = { .fd = journal_fd, .events = POLLOUT };

	log_batch(0);
	if (in_child || LOG_WARNING > log_level ||
	    __atomic_load_n(drops, __ATOMIC_RELAXED) == drops_reported)
		return;
	if (journal_fd >= 0) {
		(void)poll(&pfd, 1, CHILD_WAIT_MS);
		drops_report();
		if (__atomic_load_n(drops, __ATOMIC_RELAXED) == drops_reported)
			return;
		close(journal_fd);
		journal_fd = -1;
	}
	drops_report(); /* to stderr */
}

/*
 * The parent's messages wait for the end of the event loop's turn and go
 * out together, with one sendmmsg(). A send to an idle journald wakes it on
 * the other CPU, which the sender pays for (an interprocessor interrupt, a
 * hypervisor exit on a virtual machine), and a busy turn has several
 * messages (accepts and ends). Measured on the 2-CPU VM, 4,000 entries to a
 * private journald: 35-42 us of sender CPU each one by one, 9-10 us each in
 * batches of 8. The queue is parent memory (parent_alloc), so fork() does
 * not copy it; a child never queues.
 */
#define QUEUE_MSGS  32
#define QUEUE_BYTES (32 * 1024) /* copies of the messages' strings */

struct queued {
	int prio;
	const char *msgid; /* a MSGID_* constant */
	int n;
	struct log_field f[LOG_FIELDS_MAX];
	const char *msg;
};

struct queue {
	size_t nmsgs, used;
	struct queued m[QUEUE_MSGS];
	struct mmsghdr mm[QUEUE_MSGS];
	struct iovec iov[QUEUE_MSGS][IOV_MAX_MSG];
	char lenbufs[QUEUE_MSGS][LOG_FIELDS_MAX + 4][8];
	char priobufs[QUEUE_MSGS][2];
	char text[QUEUE_BYTES];
};

/* A copy of S in the queue's text, whose room the caller made sure of. */
static const char *queue_strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = memcpy(queue->text + queue->used, s, len);

	queue->used += len;
	return p;
}

/* FMT into MSG, with ": strerror(SAVED)" after it unless SAVED is 0. */
static void __attribute__((format(printf, 4, 0)))
msg_format(char *msg, size_t size, int saved, const char *fmt, va_list ap)
{
	size_t len;

	vsnprintf(msg, size, fmt, ap);
	if (saved) {
		len = strlen(msg);
		snprintf(msg + len, size - len, ": %s", strerror(saved));
	}
}

/*
 * Queue a message, formatted in place: not in a buffer on the stack. Every
 * stack page the parent writes after a fork stays behind as the child's own
 * copy, so each one costs 4 KiB per held connection; the parent's path
 * through here stays shallow (noinline: no 2 KiB buffer in its frame).
 * Returns -1 when it does not fit even an empty queue, without using AP.
 */
static int __attribute__((noinline, format(printf, 6, 0)))
queue_vlog(int prio, const char *msgid, const struct log_field *f, int n, int saved,
	   const char *fmt, va_list ap)
{
	size_t need = LOG_MSGMAX;
	struct queued *q;
	char *msg;
	int i;

	for (i = 0; i < n; i++)
		if (f[i].value)
			need += strlen(f[i].key) + strlen(f[i].value) + 2;
	if (queue->nmsgs == QUEUE_MSGS || queue->used + need > sizeof(queue->text))
		log_flush();
	if (queue->used + need > sizeof(queue->text))
		return -1;
	q = &queue->m[queue->nmsgs++];
	*q = (struct queued){ .prio = prio, .msgid = msgid };
	msg = queue->text + queue->used;
	msg_format(msg, LOG_MSGMAX, saved, fmt, ap);
	q->msg = msg;
	queue->used += strlen(msg) + 1;
	for (i = 0; i < n && q->n < LOG_FIELDS_MAX; i++) {
		if (!f[i].value)
			continue;
		q->f[q->n].key = queue_strdup(f[i].key);
		q->f[q->n].value = queue_strdup(f[i].value);
		q->n++;
	}
	return 0;
}

/*
 * Send what is queued, in order. What finds the socket full is dropped and
 * counted, as a single send would have; with journald gone for good it goes
 * to stderr instead.
 */
static void queue_send(void)
{
	size_t i, nmsgs = queue->nmsgs;
	int sent, retried = 0;

	for (i = 0; i < nmsgs; i++) {
		struct queued *q = &queue->m[i];

		queue->mm[i].msg_hdr = (struct msghdr){
			.msg_iov = queue->iov[i],
			.msg_iovlen = (size_t)journal_iov(queue->iov[i], queue->lenbufs[i], q->prio,
							  q->msgid, q->f, q->n, q->msg,
							  queue->priobufs[i]),
		};
	}
	for (i = 0; i < nmsgs;) {
		sent = sendmmsg(journal_fd, queue->mm + i, (unsigned)(nmsgs - i), MSG_NOSIGNAL);
		if (sent > 0) {
			i += (size_t)sent;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN) {
			for (; i < nmsgs; i++)
				drop_counted();
		} else if (retried++ || journal_reconnect() < 0) {
			for (; i < nmsgs; i++)
				stderr_write(queue->m[i].prio, queue->m[i].msgid, queue->m[i].f,
					     queue->m[i].n, queue->m[i].msg);
		}
	}
	queue->nmsgs = 0;
	queue->used = 0;
}

void log_flush(void)
{
	if (in_child)
		return;
	/* The report of earlier drops goes ahead of the messages, as it would have. */
	drops_report();
	if (queue && queue->nmsgs)
		queue_send();
}

void log_batch(int on)
{
	if (in_child) /* the queue is not mapped in a child (MADV_DONTFORK) */
		return;
	if (on && !queue)
		queue = parent_alloc(sizeof(*queue)); /* NULL: messages go one by one */
	if (!on && queue) {
		log_flush();
		parent_free(queue, sizeof(*queue));
		queue = NULL;
	}
}

static void log_emit(int prio, const char *msgid, const struct log_field *f, int n, const char *msg)
{
	int rc;

	/* What was queued goes first. */
	if (!in_child && queue && queue->nmsgs)
		log_flush();
	drops_report();
	if (journal_fd < 0) {
		stderr_write(prio, msgid, f, n, msg);
		return;
	}
	/* Start-up errors also go where the person starting us looks, unless that is the journal. */
	if (starting && prio <= LOG_ERR && !stderr_is_journal)
		stderr_write(prio, msgid, f, n, msg);
	rc = journal_emit(prio, msgid, f, n, msg);
	if (rc == FULL)
		drop_counted();
	else if (rc == FAILED)
		stderr_write(prio, msgid, f, n, msg);
}

/* The message formatted on the stack and sent at once. */
static void __attribute__((noinline, format(printf, 6, 0)))
vlog_now(int prio, const char *msgid, const struct log_field *f, int n, int saved, const char *fmt,
	 va_list ap)
{
	char msg[LOG_MSGMAX];

	msg_format(msg, sizeof(msg), saved, fmt, ap);
	log_emit(prio, msgid, f, n, msg);
}

static void __attribute__((format(printf, 6, 0)))
vlog(int prio, const char *msgid, const struct log_field *f, int n, int with_errno, const char *fmt,
     va_list ap)
{
	int saved = errno;

	if (prio > log_level)
		return;
	/* errno 0 appends nothing: "Success" says nothing. */
	if (!(queue && journal_fd >= 0 && !in_child && !starting) ||
	    queue_vlog(prio, msgid, f, n, with_errno ? saved : 0, fmt, ap) < 0)
		vlog_now(prio, msgid, f, n, with_errno ? saved : 0, fmt, ap);
	/*
	 * Only if it changed: errno lives in the thread's control block, whose
	 * page every child shares until the parent writes it, and a write after
	 * each fork would copy it (most entries come right after one).
	 */
	if (errno != saved)
		errno = saved;
}

#define LOG_FN(fn, prio, with_errno)                            \
	void fn(const char *fmt, ...)                           \
	{                                                       \
		va_list ap;                                     \
		va_start(ap, fmt);                              \
		vlog(prio, NULL, NULL, 0, with_errno, fmt, ap); \
		va_end(ap);                                     \
	}

LOG_FN(log_debug, LOG_DEBUG, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_notice, LOG_NOTICE, 0)
LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_warnx, LOG_WARNING, 0)
LOG_FN(log_err, LOG_ERR, 1)
LOG_FN(log_errx, LOG_ERR, 0)

void log_event(const char *msgid, int prio, const struct log_field *fields, int n, const char *fmt,
	       ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, msgid, fields, n, 0, fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn, format(printf, 3, 0)))
vfatal(int code, int with_errno, const char *fmt, va_list ap)
{
	char msg[LOG_MSGMAX];

	msg_format(msg, sizeof(msg), with_errno ? errno : 0, fmt, ap);
	log_emit(LOG_ERR, NULL, NULL, 0, msg);
	exit(code);
}

void fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfatal(code, 1, fmt, ap);
	va_end(ap);
}

void fatalx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfatal(code, 0, fmt, ap);
	va_end(ap);
}
