/* SPDX-License-Identifier: MIT */
/*
 * builtin.c: chargen lines byte for byte (RFC 864), daytime for fixed times
 * (RFC 867, UTC whatever TZ says), time (RFC 868) including the 2036 wrap,
 * the name table, and each service run over a socketpair.
 */
#include "builtin.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "util.h"

#define LINE (CHARGEN_LINE + 2)

/* The RFC 864 line N, computed here: characters 0x20 + (N + i) mod 95, then CRLF. */
static void model_line(unsigned long n, char out[LINE])
{
	int i;

	for (i = 0; i < CHARGEN_LINE; i++)
		out[i] = (char)(' ' + (int)((n % 95 + (unsigned long)i) % 95));
	out[CHARGEN_LINE] = '\r';
	out[CHARGEN_LINE + 1] = '\n';
}

static void chargen_fixed_lines(void)
{
	/* Written out in full: line 0 starts with the space, line 94 with '~'. */
	static const char line0[] =
		" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n";
	static const char line1[] =
		"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh\r\n";
	static const char line94[] =
		"~ !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdef\r\n";
	static const char line40[] =
		"HIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~ !\"#$%&'()*+,-./0\r\n";
	char buf[LINE + 1];

	REQUIRE(sizeof(line0) - 1 == 74 && sizeof(line1) - 1 == 74 && sizeof(line94) - 1 == 74);
	REQUIRE(sizeof(line40) - 1 == 74);
	memset(buf, 0x7f, sizeof(buf));
	builtin_chargen_line(0, buf);
	CHECK(memcmp(buf, line0, LINE) == 0);
	CHECK(buf[LINE] == 0x7f); /* not a byte more */
	builtin_chargen_line(1, buf);
	CHECK(memcmp(buf, line1, LINE) == 0);
	builtin_chargen_line(94, buf);
	CHECK(memcmp(buf, line94, LINE) == 0);
	builtin_chargen_line(40, buf);
	CHECK(memcmp(buf, line40, LINE) == 0);
	/* The ring has 95 characters: line 95 is line 0 again. */
	builtin_chargen_line(95, buf);
	CHECK(memcmp(buf, line0, LINE) == 0);
	builtin_chargen_line(96, buf);
	CHECK(memcmp(buf, line1, LINE) == 0);
	builtin_chargen_line(95 * 1000 + 94, buf);
	CHECK(memcmp(buf, line94, LINE) == 0);
}

static void chargen_model(void)
{
	char got[LINE], want[LINE];
	unsigned long n;
	int i;

	for (n = 0; n < 2000; n++) {
		builtin_chargen_line(n, got);
		model_line(n, want);
		if (!CHECK(memcmp(got, want, LINE) == 0)) {
			test_note("line %lu differs", n);
			break;
		}
		/* Only printable ASCII, every line, and no CR or LF inside. */
		for (i = 0; i < CHARGEN_LINE; i++)
			if (!CHECK(got[i] >= 0x20 && got[i] <= 0x7e))
				return;
	}
}

struct daytime_case {
	time_t t;
	const char *want;
};

static const struct daytime_case daytime_cases[] = {
	{ 0, "Thursday, January 01, 1970 00:00:00-UTC\r\n" },
	{ 951782400, "Tuesday, February 29, 2000 00:00:00-UTC\r\n" },	/* leap day, century */
	{ 1709210096, "Thursday, February 29, 2024 12:34:56-UTC\r\n" }, /* leap day */
	{ 1704067199, "Sunday, December 31, 2023 23:59:59-UTC\r\n" },
	{ 1704067200, "Monday, January 01, 2024 00:00:00-UTC\r\n" },
	{ 2085978496, "Thursday, February 07, 2036 06:28:16-UTC\r\n" },		/* RFC 868's wrap */
	{ (time_t)2147483648LL, "Tuesday, January 19, 2038 03:14:08-UTC\r\n" }, /* past int32 */
	{ -1, "Wednesday, December 31, 1969 23:59:59-UTC\r\n" },
};

static void daytime_fixed(void)
{
	char buf[128];
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(daytime_cases); i++) {
		memset(buf, 0, sizeof(buf));
		n = builtin_daytime(daytime_cases[i].t, buf, sizeof(buf));
		if (!CHECK(n == strlen(daytime_cases[i].want) &&
			   strcmp(buf, daytime_cases[i].want) == 0))
			test_note("t=%lld: \"%s\" (%zu), want \"%s\"",
				  (long long)daytime_cases[i].t, buf, n, daytime_cases[i].want);
	}
}

/* UTC, whatever the time zone of the process. */
static void daytime_tz(void)
{
	char buf[128];
	const char *zones[] = { "America/New_York", "Asia/Kolkata", "EST5EDT", "UTC-14" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(zones); i++) {
		setenv("TZ", zones[i], 1);
		tzset();
		builtin_daytime(1709210096, buf, sizeof(buf));
		if (!CHECK(strcmp(buf, "Thursday, February 29, 2024 12:34:56-UTC\r\n") == 0))
			test_note("TZ=%s: \"%s\"", zones[i], buf);
	}
	unsetenv("TZ");
	tzset();
}

/* A buffer too small gives 0, never a cut line without its CRLF. */
static void daytime_small_buffer(void)
{
	const char *want = "Thursday, January 01, 1970 00:00:00-UTC\r\n";
	size_t len = strlen(want);
	char buf[128];

	CHECK(builtin_daytime(0, buf, len + 1) == len);
	CHECK(strcmp(buf, want) == 0);
	CHECK(builtin_daytime(0, buf, len) == 0);
	CHECK(builtin_daytime(0, buf, 10) == 0);
}

static void time_values(void)
{
	CHECK(builtin_time(0) == 2208988800u);
	CHECK(builtin_time(1) == 2208988801u);
	CHECK(builtin_time(-1) == 2208988799u);
	CHECK(builtin_time(-2208988800LL) == 0u); /* 1900-01-01 00:00 */
	CHECK(builtin_time(1700000000) == 3908988800u);
	/* February 2036: 2^32 seconds after 1900, and the counter wraps. */
	CHECK(builtin_time(2085978495) == 0xffffffffu);
	CHECK(builtin_time(2085978496) == 0u);
	CHECK(builtin_time(2085978497) == 1u);
	CHECK(builtin_time((time_t)2147483648LL) == 61505152u);
	/* A second era later, the same again. */
	CHECK(builtin_time(2085978496LL + 4294967296LL) == 0u);
}

static void names(void)
{
	static const char *const want[] = { "echo", "discard", "chargen", "daytime", "time" };
	int b;

	CHECK(BUILTIN_MAX == 5);
	for (b = 0; b < BUILTIN_MAX; b++) {
		CHECK(strcmp(builtin_name(b), want[b]) == 0);
		CHECK(builtin_find(want[b]) == b);
	}
	CHECK(builtin_find("ECHO") == -1);
	CHECK(builtin_find("qotd") == -1);
	CHECK(builtin_find("") == -1);
	CHECK(builtin_find("echo ") == -1);
	CHECK(strcmp(builtin_name(-1), "?") == 0);
	CHECK(strcmp(builtin_name(BUILTIN_MAX), "?") == 0);
}

/* ---- the services themselves, over a socketpair ---- */

/* A served socketpair: the child runs builtin B on its end, the test talks on *PEER. */
struct served {
	pid_t pid;
	int peer;
	int report; /* the child writes rc, errno and the stats here */
};

struct outcome {
	int rc, err;
	struct builtin_stats st;
};

static int serve_start(struct served *s, int b, int idle_timeout)
{
	int sv[2], rp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(rp) < 0)
		return -1;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		struct outcome o = { 0, 0, { 0, 0 } };

		close(sv[0]);
		close(rp[0]);
		o.rc = builtin_serve(b, sv[1], idle_timeout, &o.st);
		o.err = errno;
		if (write(rp[1], &o, sizeof(o)) != (ssize_t)sizeof(o))
			_exit(3);
		_exit(0);
	}
	close(sv[1]);
	close(rp[1]);
	s->peer = sv[0];
	s->report = rp[0];
	return 0;
}

static int serve_end(struct served *s, struct outcome *o)
{
	int status = 0;
	ssize_t n;

	n = read(s->report, o, sizeof(*o));
	close(s->report);
	if (s->peer >= 0)
		close(s->peer);
	waitpid(s->pid, &status, 0);
	return n == (ssize_t)sizeof(*o) && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Read until EOF or LEN bytes into BUF; returns how many. */
static size_t read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static void serve_echo(void)
{
	static const char msg[] = "hello, echo\r\n\0binary\xff";
	struct served s;
	struct outcome o;
	char buf[128];

	REQUIRE(serve_start(&s, BUILTIN_ECHO, 0) == 0);
	REQUIRE(write(s.peer, msg, sizeof(msg)) == (ssize_t)sizeof(msg));
	shutdown(s.peer, SHUT_WR);
	CHECK(read_all(s.peer, buf, sizeof(buf)) == sizeof(msg));
	CHECK(memcmp(buf, msg, sizeof(msg)) == 0);
	REQUIRE(serve_end(&s, &o) == 0);
	CHECK(o.rc == 0);
	CHECK(o.st.bytes_in == sizeof(msg) && o.st.bytes_out == sizeof(msg));
}

static void serve_discard(void)
{
	struct served s;
	struct outcome o;
	char buf[8192];
	int i;

	memset(buf, 'd', sizeof(buf));
	REQUIRE(serve_start(&s, BUILTIN_DISCARD, 0) == 0);
	for (i = 0; i < 100; i++)
		REQUIRE(write(s.peer, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	shutdown(s.peer, SHUT_WR);
	/* Nothing comes back: EOF at once. */
	CHECK(read_all(s.peer, buf, sizeof(buf)) == 0);
	REQUIRE(serve_end(&s, &o) == 0);
	CHECK(o.rc == 0);
	CHECK(o.st.bytes_in == 100 * sizeof(buf) && o.st.bytes_out == 0);
}

static void serve_chargen(void)
{
	enum { LINES = 1000 };
	static char buf[LINES * LINE];
	char want[LINE];
	struct served s;
	struct outcome o;
	unsigned long n;

	REQUIRE(serve_start(&s, BUILTIN_CHARGEN, 0) == 0);
	/* Input is read and dropped, it changes nothing. */
	REQUIRE(write(s.peer, "ignored\r\n", 9) == 9);
	REQUIRE(read_all(s.peer, buf, sizeof(buf)) == sizeof(buf));
	for (n = 0; n < LINES; n++) {
		model_line(n, want);
		if (!CHECK(memcmp(buf + n * LINE, want, LINE) == 0)) {
			test_note("line %lu differs", n);
			break;
		}
	}
	/* The client goes away: the service ends normally. */
	close(s.peer);
	s.peer = -1;
	REQUIRE(serve_end(&s, &o) == 0);
	if (!CHECK(o.rc == 0))
		test_note("rc %d: %s", o.rc, strerror(o.err));
	CHECK(o.st.bytes_out >= sizeof(buf));
	CHECK(o.st.bytes_in <= 9);
}

static void serve_daytime(void)
{
	char buf[128], lo[128], hi[128];
	struct served s;
	struct outcome o;
	time_t before, after;
	size_t n;

	before = time(NULL);
	REQUIRE(serve_start(&s, BUILTIN_DAYTIME, 0) == 0);
	n = read_all(s.peer, buf, sizeof(buf) - 1);
	after = time(NULL);
	buf[n] = '\0';
	REQUIRE(serve_end(&s, &o) == 0);
	CHECK(o.rc == 0 && o.st.bytes_out == n && n > 2);
	builtin_daytime(before, lo, sizeof(lo));
	builtin_daytime(after, hi, sizeof(hi));
	/* One of the seconds the exchange took (two at most, a second apart). */
	if (!CHECK(strcmp(buf, lo) == 0 || strcmp(buf, hi) == 0 ||
		   (after - before > 1 && buf[n - 2] == '\r')))
		test_note("got \"%s\", want \"%s\" or \"%s\"", buf, lo, hi);
}

static void serve_time(void)
{
	unsigned char buf[16];
	struct served s;
	struct outcome o;
	time_t before, after;
	uint32_t v;
	size_t n;

	before = time(NULL);
	REQUIRE(serve_start(&s, BUILTIN_TIME, 0) == 0);
	n = read_all(s.peer, (char *)buf, sizeof(buf));
	after = time(NULL);
	REQUIRE(serve_end(&s, &o) == 0);
	CHECK(o.rc == 0 && n == 4 && o.st.bytes_out == 4);
	/* Network order: most significant byte first. */
	v = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (!CHECK(v >= builtin_time(before) && v <= builtin_time(after)))
		test_note("got %u, want %u..%u", v, builtin_time(before), builtin_time(after));
}

/* A silent client is given up on after idle_timeout, with ETIMEDOUT. */
static void serve_idle_timeout(void)
{
	struct served s;
	struct outcome o;
	struct timespec a, b;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &a);
	REQUIRE(serve_start(&s, BUILTIN_ECHO, 1) == 0);
	REQUIRE(serve_end(&s, &o) == 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	CHECK(o.rc == -1 && o.err == ETIMEDOUT);
	if (!CHECK(secs >= 0.9))
		test_note("gave up after %.2f s, idle_timeout is 1 s", secs);
}

int main(void)
{
	TEST_RUN(chargen_fixed_lines);
	TEST_RUN(chargen_model);
	TEST_RUN(daytime_fixed);
	TEST_RUN(daytime_tz);
	TEST_RUN(daytime_small_buffer);
	TEST_RUN(time_values);
	TEST_RUN(names);
	TEST_RUN(serve_echo);
	TEST_RUN(serve_discard);
	TEST_RUN(serve_chargen);
	TEST_RUN(serve_daytime);
	TEST_RUN(serve_time);
	TEST_RUN(serve_idle_timeout);
	return test_summary();
}
