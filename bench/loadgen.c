/* SPDX-License-Identifier: MIT */
/*
 * loadgen: a closed-loop TCP load generator for fork-per-connection servers.
 *
 * One thread, one epoll set, non-blocking sockets. C connections are kept in
 * flight; each one that ends is replaced at once by a new one, until the
 * duration (-d) or the count (-n) is reached.
 *
 *   echo   connect, send P bytes, read P bytes back, compare, close
 *   exec   the same (named apart so results say which service was measured)
 *   burst  connect, close at once
 *   hold   open N (= -c) connections, verify each with one round trip, keep
 *          them all open until SIGUSR1/SIGTERM or -d seconds, then close them;
 *          SIGUSR2 verifies every held connection again with one more round
 *          trip. A held connection the server closes counts as an error.
 *
 * Source addresses rotate over -s FIRST-LAST (IPv4, e.g. 127.0.0.2-127.0.0.254,
 * or 127.1.0.1-127.1.255.254 for "many distinct clients"), bound with
 * IP_BIND_ADDRESS_NO_PORT so the kernel still picks (and reuses) ports.
 *
 * -r FILE (hold): once all are held (and after each SIGUSR2 round), FILE is
 * (re)written with the number of connections held, by rename. -e: exit 1 if
 * any connection failed (refused, reset, timed out, short or wrong echo, or
 * closed while held) or, in hold mode, not all N were held; otherwise 0.
 *
 * Output: one line "loadgen key=value ..." (machine-readable) and one human
 * line on stderr. Latency is per connection, from connect() to close().
 * cpu_share is this process's CPU time (user + system) over wall time: it
 * shows whether the load generator could be the bottleneck.
 */
#ifndef _GNU_SOURCE /* config.h may define it already */
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum mode { M_ECHO, M_EXEC, M_BURST, M_HOLD };
enum state { S_FREE, S_CONNECTING, S_SENDING, S_READING, S_HELD };
enum err { E_REFUSED, E_RESET, E_TIMEOUT, E_SHORT, E_MISMATCH, E_OTHER, E_MAX };
static const char *const err_names[E_MAX] = { "refused", "reset",    "timeout",
					      "short",	 "mismatch", "other" };

struct conn {
	int fd;
	enum state state;
	uint64_t start;	   /* usec, monotonic */
	uint64_t deadline; /* usec */
	uint32_t seed;	   /* payload pattern */
	size_t sent, got;
	int reprobe; /* hold: a held connection being verified again */
};

static struct {
	enum mode mode;
	const char *mode_name;
	int conc;
	double duration;
	long count;
	size_t payload;
	struct sockaddr_in dst;
	uint32_t src_first, src_last, src_next; /* host order; 0: no bind */
	int timeout_ms;
	const char *ready_file;
	const char *label;
	int strict; /* -e */
} opt = { .mode = M_ECHO,
	  .mode_name = "echo",
	  .conc = 1,
	  .duration = 5,
	  .payload = 64,
	  .timeout_ms = 10000 };

static struct conn *conns;
static int epfd;
static uint64_t t0, stop_at;
static long started, completed, errors[E_MAX], inflight;
static uint32_t *lat; /* usec */
static size_t nlat, caplat;
static uint32_t seq;
static volatile sig_atomic_t release, reprobe;
static long reprobing; /* hold: connections being verified again */
static int round_open; /* hold: a SIGUSR2 round is under way */
static unsigned char *expect, *rbuf;

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen [-m echo|exec|burst|hold] [-c CONC] [-d SECONDS | -n COUNT] [-p BYTES]\n"
		"               [-s FIRST-LAST] [-t TIMEOUT_MS] [-r READY_FILE] [-l LABEL] [-e] HOST PORT\n");
	exit(2);
}

static void fill(unsigned char *buf, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(seed >> 16);
	}
}

static void lat_add(uint64_t usec)
{
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 65536;
		lat = realloc(lat, caplat * sizeof(*lat));
		if (!lat)
			die("realloc");
	}
	lat[nlat++] = usec > UINT32_MAX ? UINT32_MAX : (uint32_t)usec;
}

static void conn_close(struct conn *c)
{
	close(c->fd); /* also removes it from the epoll set */
	c->fd = -1;
	c->state = S_FREE;
	inflight--;
}

static void conn_fail(struct conn *c, enum err e)
{
	errors[e]++;
	if (opt.mode == M_HOLD && (c->state == S_HELD || c->reprobe)) {
		completed--; /* it was held: no longer */
		if (c->reprobe) {
			c->reprobe = 0;
			reprobing--;
		}
	}
	conn_close(c);
}

static enum err classify(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return E_REFUSED;
	case ECONNRESET:
	case EPIPE:
		return E_RESET;
	case ETIMEDOUT:
		return E_TIMEOUT;
	default:
		return E_OTHER;
	}
}

static void conn_done(struct conn *c)
{
	uint64_t t = now_usec();

	if (opt.mode == M_HOLD) {
		/* Verified: keep it open; only the server's end or an error wakes it. */
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };

		if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
			die("epoll_ctl");
		c->state = S_HELD;
		if (c->reprobe) {
			c->reprobe = 0;
			reprobing--;
			return;
		}
		lat_add(t - c->start);
		completed++;
		return;
	}
	close(c->fd);
	lat_add(now_usec() - c->start);
	c->fd = -1;
	c->state = S_FREE;
	inflight--;
	completed++;
}

static int conn_start(struct conn *c)
{
	struct epoll_event ev;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (opt.src_first) {
		struct sockaddr_in src = { .sin_family = AF_INET };

		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		src.sin_addr.s_addr = htonl(opt.src_next);
		if (opt.src_next++ == opt.src_last)
			opt.src_next = opt.src_first;
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			die("bind source address");
	}
	c->fd = fd;
	c->start = now_usec();
	c->deadline = c->start + (uint64_t)opt.timeout_ms * 1000u;
	c->seed = ++seq;
	c->sent = c->got = 0;
	started++;
	inflight++;
	ev = (struct epoll_event){ .events = EPOLLOUT, .data.ptr = c };
	if (connect(fd, (struct sockaddr *)&opt.dst, sizeof(opt.dst)) < 0 && errno != EINPROGRESS) {
		c->state = S_CONNECTING;
		conn_fail(c, classify(errno));
		return -1;
	}
	c->state = S_CONNECTING;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
	return 0;
}

static void conn_event(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .data.ptr = c };
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	switch (c->state) {
	case S_CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			conn_fail(c, classify(err));
			return;
		}
		if (opt.mode == M_BURST) {
			conn_done(c);
			return;
		}
		c->state = S_SENDING;
		/* the socket is writable: send at once */
		__attribute__((fallthrough));
	case S_SENDING:
		fill(rbuf, opt.payload, c->seed); /* the bytes to send, regenerated */
		while (c->sent < opt.payload) {
			n = send(c->fd, rbuf + c->sent, opt.payload - c->sent, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN)
					return; /* still EPOLLOUT */
				conn_fail(c, classify(errno));
				return;
			}
			c->sent += (size_t)n;
		}
		c->state = S_READING;
		ev.events = EPOLLIN;
		if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
			die("epoll_ctl");
		return;
	case S_READING:
		fill(expect, opt.payload, c->seed);
		for (;;) {
			n = recv(c->fd, rbuf, opt.payload - c->got, 0);
			if (n < 0) {
				if (errno == EAGAIN)
					return;
				conn_fail(c, classify(errno));
				return;
			}
			if (n == 0) {
				conn_fail(c, E_SHORT);
				return;
			}
			if (memcmp(rbuf, expect + c->got, (size_t)n) != 0) {
				conn_fail(c, E_MISMATCH);
				return;
			}
			c->got += (size_t)n;
			if (c->got == opt.payload) {
				conn_done(c);
				return;
			}
		}
	case S_HELD: {
		/* An echo server sends nothing unasked: this is its end, an error or junk. */
		char b;

		n = recv(c->fd, &b, 1, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return;
		conn_fail(c, n < 0 ? classify(errno) : n == 0 ? E_SHORT : E_MISMATCH);
		return;
	}
	default:
		(void)events;
		return;
	}
}

/* hold: one more round trip on every held connection. */
static void reprobe_all(uint64_t now)
{
	struct epoll_event ev = { .events = EPOLLOUT };
	int i;

	for (i = 0; i < opt.conc; i++) {
		struct conn *c = &conns[i];

		if (c->state != S_HELD)
			continue;
		c->state = S_SENDING;
		c->reprobe = 1;
		c->deadline = now + (uint64_t)opt.timeout_ms * 1000u;
		c->seed = ++seq;
		c->sent = c->got = 0;
		ev.data.ptr = c;
		if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
			die("epoll_ctl");
		reprobing++;
	}
}

/* hold: FILE gets the number of connections held, atomically (by rename). */
static void report_held(void)
{
	char tmp[4096];
	FILE *f;

	if (!opt.ready_file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", opt.ready_file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%ld\n", completed);
	if (fclose(f) == 0)
		(void)rename(tmp, opt.ready_file);
}

static void on_signal(int sig)
{
	if (sig == SIGUSR2)
		reprobe = 1;
	else
		release = 1;
}

static int want_more(uint64_t now)
{
	if (opt.mode == M_HOLD)
		return started < opt.conc;
	if (opt.count)
		return started < opt.count;
	return now < stop_at;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t pct(double p)
{
	size_t i;

	if (!nlat)
		return 0;
	i = (size_t)(p * (double)(nlat - 1) + 0.5);
	return lat[i];
}

static uint32_t parse_ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		usage();
	return ntohl(a.s_addr);
}

int main(int argc, char **argv)
{
	struct epoll_event evs[256];
	struct rlimit rl;
	struct rusage ru;
	uint64_t now, t_end, hold_until = 0;
	long tot_err = 0;
	int c, i, n, held_reported = 0, setup_max;
	double wall, cpu;

	while ((c = getopt(argc, argv, "m:c:d:n:p:s:t:r:l:e")) != -1) {
		switch (c) {
		case 'm':
			opt.mode_name = optarg;
			if (!strcmp(optarg, "echo"))
				opt.mode = M_ECHO;
			else if (!strcmp(optarg, "exec"))
				opt.mode = M_EXEC;
			else if (!strcmp(optarg, "burst"))
				opt.mode = M_BURST;
			else if (!strcmp(optarg, "hold"))
				opt.mode = M_HOLD;
			else
				usage();
			break;
		case 'c':
			opt.conc = atoi(optarg);
			break;
		case 'd':
			opt.duration = atof(optarg);
			break;
		case 'n':
			opt.count = atol(optarg);
			break;
		case 'p':
			opt.payload = (size_t)atol(optarg);
			break;
		case 's': {
			char *dash = strchr(optarg, '-');

			if (dash)
				*dash = '\0';
			opt.src_first = parse_ip(optarg);
			opt.src_last = dash ? parse_ip(dash + 1) : opt.src_first;
			if (opt.src_last < opt.src_first)
				usage();
			break;
		}
		case 't':
			opt.timeout_ms = atoi(optarg);
			break;
		case 'r':
			opt.ready_file = optarg;
			break;
		case 'l':
			opt.label = optarg;
			break;
		case 'e':
			opt.strict = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || opt.conc < 1 || opt.payload < 1)
		usage();
	opt.dst.sin_family = AF_INET;
	opt.dst.sin_addr.s_addr = htonl(parse_ip(argv[optind]));
	opt.dst.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	/* Start the rotation somewhere else each run, so a large range means new addresses. */
	opt.src_next = opt.src_first;
	if (opt.src_last > opt.src_first)
		opt.src_next = opt.src_first + (uint32_t)(((uint64_t)getpid() * 2654435761u +
							   (uint64_t)time(NULL)) %
							  (opt.src_last - opt.src_first + 1));

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)opt.conc + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)opt.conc + 64 ? rl.rlim_max :
								    (rlim_t)opt.conc + 64;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGUSR2, opt.mode == M_HOLD ? on_signal : SIG_IGN);
	conns = calloc((size_t)opt.conc, sizeof(*conns));
	expect = malloc(opt.payload);
	rbuf = malloc(opt.payload);
	if (!conns || !expect || !rbuf)
		die("malloc");
	for (i = 0; i < opt.conc; i++)
		conns[i].fd = -1;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1");

	/* In hold mode, at most 64 connections are being set up at a time (like a backlog). */
	setup_max = opt.mode == M_HOLD ? 64 : opt.conc;
	t0 = now_usec();
	stop_at = t0 + (uint64_t)(opt.duration * 1e6);
	for (;;) {
		long setting_up = inflight - (opt.mode == M_HOLD ? completed : 0);

		now = now_usec();
		for (i = 0; i < opt.conc && setting_up < setup_max && want_more(now) && !release;
		     i++) {
			if (conns[i].state != S_FREE)
				continue;
			conn_start(&conns[i]);
			setting_up++;
		}
		if (opt.mode == M_HOLD) {
			if (!held_reported && started == opt.conc && inflight == completed) {
				held_reported = 1;
				hold_until = now + (uint64_t)(opt.duration * 1e6);
				fprintf(stderr, "loadgen: holding %ld connections (%ld errors)\n",
					completed, started - completed);
				report_held();
			}
			if (round_open && !reprobing) {
				round_open = 0;
				fprintf(stderr,
					"loadgen: verified again, holding %ld connections\n",
					completed);
				report_held();
			}
			if (held_reported && reprobe && !reprobing) {
				reprobe = 0;
				reprobe_all(now);
				if (reprobing)
					round_open = 1;
				else
					report_held(); /* nothing left to verify */
			}
			if (release || (held_reported && now >= hold_until) ||
			    (started == opt.conc && inflight == 0))
				break;
		} else if (inflight == 0 && (!want_more(now) || release)) {
			break;
		}
		n = epoll_wait(epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), 20);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++)
			conn_event(evs[i].data.ptr, evs[i].events);
		now = now_usec();
		for (i = 0; i < opt.conc; i++)
			if (conns[i].state != S_FREE && conns[i].state != S_HELD &&
			    now >= conns[i].deadline)
				conn_fail(&conns[i], E_TIMEOUT);
	}
	t_end = now_usec();
	if (opt.mode == M_HOLD) {
		for (i = 0; i < opt.conc; i++)
			if (conns[i].state != S_FREE)
				conn_close(&conns[i]);
		/* Connections per second of the opening phase: what was measured then. */
	}
	getrusage(RUSAGE_SELF, &ru);
	wall = (double)(t_end - t0) / 1e6;
	if (opt.mode == M_HOLD && hold_until)
		wall = (double)(hold_until - (uint64_t)(opt.duration * 1e6) - t0) / 1e6;
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (nlat) /* lat is NULL when nothing completed */
		qsort(lat, nlat, sizeof(*lat), cmp_u32);
	for (i = 0; i < E_MAX; i++)
		tot_err += errors[i];
	printf("loadgen label=%s mode=%s c=%d p=%zu wall=%.3f completed=%ld errors=%ld",
	       opt.label ? opt.label : "-", opt.mode_name, opt.conc, opt.payload, wall, completed,
	       tot_err);
	for (i = 0; i < E_MAX; i++)
		printf(" err_%s=%ld", err_names[i], errors[i]);
	printf(" cps=%.1f p50_us=%u p90_us=%u p99_us=%u max_us=%u cpu_s=%.3f cpu_share=%.4f\n",
	       wall > 0 ? (double)completed / wall : 0.0, pct(0.50), pct(0.90), pct(0.99),
	       nlat ? lat[nlat - 1] : 0, cpu, (double)cpu / ((double)(t_end - t0) / 1e6));
	fprintf(stderr,
		"%s %s c=%d: %ld connections in %.2f s = %.0f/s, %ld errors; latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; loadgen CPU %.1f %%\n",
		opt.label ? opt.label : "loadgen", opt.mode_name, opt.conc, completed, wall,
		wall > 0 ? (double)completed / wall : 0.0, tot_err, pct(0.50) / 1e3,
		pct(0.90) / 1e3, pct(0.99) / 1e3, nlat ? lat[nlat - 1] / 1e3 : 0.0,
		100.0 * cpu / ((double)(t_end - t0) / 1e6));
	if (opt.strict && (tot_err || (opt.mode == M_HOLD && completed < opt.conc)))
		return 1;
	return 0;
}
