/* SPDX-License-Identifier: MIT */
/* Logging: native journal protocol over a non-blocking socket, or stderr lines with the same facts. */
#ifndef ACCEPTD_LOG_H
#define ACCEPTD_LOG_H

#include <stdarg.h>
#include <syslog.h>

/* MESSAGE_IDs: fixed forever, listed in the man page and README. */
#define MSGID_STARTED	    "a5da346f1dd24f4fb877a3ff704ed230"
#define MSGID_READY	    "c4904366355a4ad0bdeaf5f480d15a75"
#define MSGID_RELOADED	    "f631be6fa3b24e038cd3d8428ef84b27"
#define MSGID_RELOAD_FAILED "19e5984a7e824a7883a331604c8b27a6"
#define MSGID_CONN_ACCEPTED "c571f65a45a440ad923e31b0447b0671"
#define MSGID_CONN_DENIED   "004c7791a484488fa477ac07d1ad947b"
#define MSGID_CONN_LIMITED  "2acfb645a4c64495921eb2eb11f97bb1"
#define MSGID_CONN_ENDED    "a346225a21cc43428f213d04c06d8124"
#define MSGID_STOPPING	    "c048d7dc61e44435921aa4a6804eec03"
#define MSGID_ACCEPT_FAILED "ef2e8492a00140f185afed58c8299dfe"

/* One structured field of an event. A NULL value is skipped. */
struct log_field {
	const char *key;
	const char *value;
};

#define LOG_STDERR  0
#define LOG_JOURNAL 1

/*
 * Choose the backend: the journal when its socket accepts a connection and
 * stderr is not a terminal (someone at a terminal wants to read the log),
 * else stderr. Safe to call again (on reload) to re-detect.
 */
void log_init(int level);

/* Which backend log_init() chose: LOG_STDERR or LOG_JOURNAL. */
int log_backend(void);

/* Messages above LEVEL are dropped. */
void log_set_level(int level);

/* "debug", "info", "notice", "warning", "err" to LOG_*, or -1. */
int log_level_parse(const char *name);

/* Start-up is over: errors no longer go to stderr as well as to the journal. */
void log_started(void);

/*
 * Call in a forked child: sends may then wait (briefly) for the journal
 * instead of dropping, since only this connection waits.
 */
void log_child(void);

/*
 * Messages that found the journal's socket full are counted, the children's
 * too, and the parent reports them itself ("N log messages dropped", a
 * warning) ahead of its next message, retrying until the report is sent and
 * at exit. Reporting them through the full socket they were dropped from
 * lost the report and its count.
 */

/*
 * The parent's event loop: with ON, its messages to the journal are queued
 * and sent together by log_flush() (one system call, one wake-up of
 * journald); off sends what is queued and sends each message at once again.
 */
void log_batch(int on);

/*
 * Send the queued messages and the pending report of dropped ones. The event
 * loop calls this at the end of every turn, before it sleeps.
 */
void log_flush(void);

/*
 * Whether a report of dropped messages is still waiting for room in the
 * journal's socket: an idle event loop may then wake up to retry it.
 */
int log_report_pending(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn and log_err append ": strerror(errno)"; the x forms do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log at err and exit with CODE. Only before the daemon is ready. */
void fatal(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void fatalx(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/*
 * One structured event: MESSAGE_ID MSGID, PRIORITY PRIO, the N FIELDS, and
 * a human MESSAGE. To the journal as fields; to stderr as the message
 * followed by KEY=value pairs.
 */
void log_event(const char *msgid, int prio, const struct log_field *fields, int n, const char *fmt,
	       ...) __attribute__((format(printf, 5, 6)));

#endif
