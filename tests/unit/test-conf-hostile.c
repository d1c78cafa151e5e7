/* SPDX-License-Identifier: MIT */
/*
 * conf_load() on hostile files (issue 7, item 7), all written at run time in
 * a private directory: 10,000 services, 10 MB, tokens libconfig lexes in
 * quadratic time, files that are not regular (a FIFO must not hang, an
 * @include of a directory must not exit the process), @include loops and
 * bombs, NUL bytes, non-UTF-8 and control bytes, absurd numbers. Each gets
 * its exact "FILE:LINE: KEY: message" or is accepted, within bounded time:
 * durations are printed, never asserted.
 */
#include "conf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "test.h"
#include "util.h"

static char dir[64]; /* the private directory; messages are compared without "DIR/" */

/* DIR/NAME, in one of a few static buffers. */
static const char *path_of(const char *name)
{
	static char buf[4][PATH_MAX];
	static unsigned i;
	char *p = buf[i++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

/* Write NAME in the directory from a format; returns its path. */
static const char *__attribute__((format(printf, 2, 3))) put(const char *name, const char *fmt, ...)
{
	const char *path = path_of(name);
	va_list ap;
	FILE *f;

	f = fopen(path, "w");
	if (!f)
		test_bail("cannot write a fixture");
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0)
		test_bail("cannot write a fixture");
	return path;
}

/* Write LEN bytes of BUF as NAME. */
static const char *put_bytes(const char *name, const char *buf, size_t len)
{
	const char *path = path_of(name);
	FILE *f = fopen(path, "w");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		test_bail("cannot write a fixture");
	return path;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define SERVICE \
	"services = ( { name = \"a\"; listen = [ \"127.0.0.1:7\" ]; builtin = \"echo\"; } );\n"

/*
 * Load PATH; it must fail with exactly the messages WANT (NULL-terminated, any
 * order, "DIR/" taken out), or succeed when WANT is empty. Prints how long it took.
 */
static struct conf *expect_v(const char *what, const char *path, const char *const *want)
{
	struct conf_errors errs = { 0 };
	size_t i, j, nwant, plen = strlen(dir) + 1;
	int used[32] = { 0 };
	struct conf *conf;
	const char *m;
	double t0;

	for (nwant = 0; want[nwant]; nwant++)
		;
	t0 = now();
	conf = conf_load(path, &errs);
	printf("# %s: %.3f s\n", what, now() - t0);
	if (!CHECK((conf == NULL) == (nwant > 0)) || !CHECK(errs.n == nwant))
		test_note("%s: %zu messages, want %zu", what, errs.n, nwant);
	for (i = 0; i < errs.n; i++) {
		m = errs.msg[i];
		if (strncmp(m, dir, plen - 1) == 0 && m[plen - 1] == '/')
			m += plen;
		for (j = 0; j < nwant; j++)
			if (!used[j] && strcmp(m, want[j]) == 0)
				break;
		if (!CHECK(j < nwant))
			test_note("%s: unexpected: %s", what, m);
		else
			used[j] = 1;
	}
	for (j = 0; j < nwant; j++)
		if (!used[j] && !CHECK(0))
			test_note("%s: missing:    %s", what, want[j]);
	conf_errors_clear(&errs);
	return conf;
}

#define EXPECT(what, path, ...)                                                             \
	do {                                                                                \
		const char *const want_[] = { __VA_ARGS__, NULL };                          \
		conf_free(expect_v(what, path, want_[0] && *want_[0] ? want_ : want_ + 1)); \
	} while (0)

/* 10,000 services, each on its own port (IPv4 and IPv6): accepted, quickly; then mistakes in it. */
static void conflict_check_quadratic_10000_services(void)
{
	struct conf_errors errs = { 0 };
	const char *path = path_of("10k.conf");
	struct conf *conf;
	char msg[256];
	double t0;
	FILE *f;
	int i;

	f = fopen(path, "w");
	REQUIRE(f);
	fprintf(f, "services = (\n");
	for (i = 0; i < 10000; i++)
		fprintf(f,
			"  { name = \"s%d\"; listen = [ \"127.0.0.1\", \"::1\" ]; port = %d; "
			"builtin = \"echo\"; },\n",
			i, 10000 + i);
	/* Line 10,002: the port of s0 again, and s5's name again. */
	fprintf(f,
		"  { name = \"s5\"; listen = [ \"0.0.0.0:10000\" ]; builtin = \"echo\"; }\n);\n");
	REQUIRE(fclose(f) == 0);
	t0 = now();
	conf = conf_load(path, &errs);
	printf("# 10,000 services with two mistakes: %.3f s\n", now() - t0);
	CHECK(conf == NULL && errs.n == 2);
	snprintf(msg, sizeof(msg),
		 "%s:10002: services[#10001].name: duplicate service name \"s5\" (first at %s:7)",
		 path, path);
	CHECK(errs.n > 0 && strcmp(errs.msg[0], msg) == 0);
	snprintf(msg, sizeof(msg),
		 "%s:10002: services[#10001].listen: 0.0.0.0:10000 conflicts with 127.0.0.1:10000 "
		 "of service \"s0\" (%s:2)",
		 path, path);
	if (!CHECK(errs.n > 1 && strcmp(errs.msg[1], msg) == 0))
		test_note("got %s", errs.n > 1 ? errs.msg[1] : "nothing");
	conf_errors_clear(&errs);

	/* Without them: accepted, every service and address in place. */
	f = fopen(path, "w");
	REQUIRE(f);
	fprintf(f, "services = (\n");
	for (i = 0; i < 10000; i++)
		fprintf(f,
			"  { name = \"s%d\"; listen = [ \"127.0.0.1\", \"::1\" ]; port = %d; "
			"builtin = \"echo\"; }%s\n",
			i, 10000 + i, i < 9999 ? "," : "");
	fprintf(f, ");\n");
	REQUIRE(fclose(f) == 0);
	t0 = now();
	conf = conf_load(path, &errs);
	printf("# 10,000 services: %.3f s\n", now() - t0);
	REQUIRE(conf);
	CHECK(conf->nservices == 10000);
	CHECK(conf->services[9999].nlisten == 2 &&
	      addr_port(&conf->services[9999].listen[1]) == 19999);
	conf_free(conf);
}

/*
 * The sorted conflict check against the obvious one (every pair, the first
 * earlier entry that conflicts): random services on two ports, with
 * wildcards, dual-stack "::" and duplicates, one listen entry a line.
 */
static int naive_conflict(const struct addr *a, int a_v6only, const struct addr *b, int b_v6only)
{
	if (addr_conflict(a, b))
		return 1;
	if (!a_v6only && a->u.sa.sa_family == AF_INET6 && addr_is_any(a) &&
	    b->u.sa.sa_family == AF_INET && addr_port(a) == addr_port(b))
		return 1;
	return !b_v6only && b->u.sa.sa_family == AF_INET6 && addr_is_any(b) &&
	       a->u.sa.sa_family == AF_INET && addr_port(a) == addr_port(b);
}

static void conflicts_like_pairwise(void)
{
	static const char *const hosts[] = { "127.0.0.1", "127.0.0.2",		"0.0.0.0", "[::1]",
					     "[::]",	  "[::ffff:127.0.0.1]", "[::2]" };
	struct {
		struct addr a;
		int v6only, svc, line;
	} e[64];
	char want[64][256], sa[ADDR_STRLEN], sb[ADDR_STRLEN];
	const char *w[65];
	unsigned seed = 7;
	int round, n, s, ns, k, nk, i, j, line, v6only, nw, hp;
	FILE *f;

	for (round = 0; round < 200; round++) {
		f = fopen(path_of("pairs.conf"), "w");
		REQUIRE(f);
		fprintf(f, "services = (\n");
		line = 2;
		n = 0;
		ns = 1 + (int)(rand_r(&seed) % 6);
		for (s = 0; s < ns; s++) {
			v6only = rand_r(&seed) % 3 != 0;
			fprintf(f,
				"{ name = \"s%d\"; builtin = \"echo\"; v6only = %s; listen = [\n",
				s, v6only ? "true" : "false");
			line++;
			nk = 1 + (int)(rand_r(&seed) % 4);
			for (k = 0; k < nk; k++) {
				snprintf(sa, sizeof(sa), "%s:%d",
					 hosts[rand_r(&seed) % ARRAY_SIZE(hosts)],
					 7 + (int)(rand_r(&seed) % 2));
				/* libconfig gives an element the line of the token after it. */
				fprintf(f, "\"%s\"%s\n", sa,
					k < nk - 1 ? "," :
					s < ns - 1 ? " ] }," :
						     " ] }");
				REQUIRE(addr_parse(sa, &e[n].a, &hp) == 0);
				e[n].v6only = v6only;
				e[n].svc = s;
				e[n].line = line++;
				n++;
			}
		}
		fprintf(f, ");\n");
		REQUIRE(fclose(f) == 0);
		for (j = 0, nw = 0; j < n; j++)
			for (i = 0; i < j; i++) {
				if (!naive_conflict(&e[i].a, e[i].v6only, &e[j].a, e[j].v6only))
					continue;
				snprintf(
					want[nw], sizeof(want[nw]),
					"pairs.conf:%d: services[s%d].listen: %s conflicts with %s of "
					"service \"s%d\" (%s:%d)",
					e[j].line, e[j].svc, addr_format(&e[j].a, sb, sizeof(sb)),
					addr_format(&e[i].a, sa, sizeof(sa)), e[i].svc,
					path_of("pairs.conf"), e[i].line);
				w[nw] = want[nw];
				nw++;
				break;
			}
		w[nw] = NULL;
		conf_free(expect_v("random listen entries", path_of("pairs.conf"), w));
		if (test_fail_file)
			return;
	}
}

/* Too big, or tokens that libconfig lexes in quadratic time: refused at once. */
static void long_token_quadratic_time_10mb(void)
{
	static const char *const kinds[] = { "a string", "a comment", "a run of blanks", "a word" };
	size_t len = 10u << 20, i;
	char *buf, msg[160];
	const char *p;

	buf = malloc(len);
	REQUIRE(buf);
	/* 10 MB of short comment lines: too big, said before reading it all. */
	for (i = 0; i + 100 <= len; i += 100) {
		memset(buf + i, '#', 99); /* lines of 100 bytes: (4 MiB - 204) starts one */
		buf[i + 99] = '\n';
	}
	p = put_bytes("10mb.conf", buf, len);
	EXPECT("10 MB of comments", p, "10mb.conf: larger than 4194304 bytes (4 MiB), the limit");
	/* Just under the limit: accepted. */
	memcpy(buf + (4u << 20) - 204, SERVICE, strlen(SERVICE)); /* at the start of a line */
	p = put_bytes("4mb.conf", buf, (4u << 20) - 204 + strlen(SERVICE));
	EXPECT("4 MiB of comments and a service", p, "");

	/* One token of 100,000 bytes each: a string, a comment, blanks, a word. */
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		static const char *const before[] = { "x = \"", "# ", "", "x = " };
		static const char *const after[] = { "\";", "", "", ";" };
		int n;

		n = snprintf(buf, 64, "%s", before[i]);
		memset(buf + n, i == 2 ? ' ' : 'x', 100000);
		n += 100000;
		n += snprintf(buf + n, 256, "%s\n" SERVICE, after[i]);
		p = put_bytes("token.conf", buf, (size_t)n);
		snprintf(msg, sizeof(msg), "token.conf:1: %s of %d bytes (at most 65536)", kinds[i],
			 i < 2 ? 100002 : 100000);
		EXPECT(kinds[i], p, msg);
	}
	/* A string of many short lines is one token too; its line is where it starts. */
	memcpy(buf, "x = 1;\ny = \"", 12);
	for (i = 12; i < 12 + 100000; i++)
		buf[i] = i % 50 ? 'y' : '\n';
	memcpy(buf + i, "\";\n" SERVICE, 3 + strlen(SERVICE));
	p = put_bytes("mlstring.conf", buf, i + 3 + strlen(SERVICE));
	EXPECT("a string of many lines", p,
	       "mlstring.conf:2: a string of 100002 bytes (at most 65536)");
	free(buf);
}

static void many_settings_quadratic_time(void)
{
	char *buf;
	size_t n = 0;
	int i;

	buf = malloc(1 << 20);
	REQUIRE(buf);
	/* A group of 101 settings (a valid one has at most 23): libconfig is quadratic in them. */
	n = (size_t)sprintf(buf, "daemon = {\n");
	for (i = 0; i < 101; i++)
		n += (size_t)sprintf(buf + n, "k%d = %d;\n", i, i);
	n += (size_t)sprintf(buf + n, "};\n" SERVICE);
	EXPECT("101 settings in a group", put_bytes("keys.conf", buf, n),
	       "keys.conf:102: more than 100 settings in one group");
	/* 100,000 top-level settings (800,000 took libconfig minutes): refused as quickly. */
	n = 0;
	for (i = 0; i < 100000; i++)
		n += (size_t)sprintf(buf + n, "k%d=1;\n", i);
	EXPECT("100,000 top-level settings", put_bytes("keys2.conf", buf, n),
	       "keys2.conf:101: more than 100 settings in one group");
	/* Nesting: 100 levels are fine for the scan (libconfig itself copes), 101 are not. */
	for (n = 0, i = 0; i < 101; i++)
		n += (size_t)sprintf(buf + n, "x%d = {\n", i);
	for (i = 0; i < 101; i++)
		n += (size_t)sprintf(buf + n, "};\n");
	EXPECT("groups 101 deep", put_bytes("deep.conf", buf, n),
	       "deep.conf:101: nested more than 100 deep");
	n = (size_t)sprintf(buf, "x = ");
	for (i = 0; i < 200000; i++)
		buf[n++] = '(';
	for (i = 0; i < 200000; i++)
		buf[n++] = ')';
	n += (size_t)sprintf(buf + n, ";\n" SERVICE);
	EXPECT("lists 200,000 deep", put_bytes("deep2.conf", buf, n),
	       "deep2.conf:1: nested more than 100 deep");
	free(buf);
}

/* Not a regular file: a clear error, no hang (FIFO), no exit (directory include). */
static void fifo_hangs_include_of_directory_exits(void)
{
	const char *fifo = path_of("fifo"), *p;

	REQUIRE(mkfifo(fifo, 0600) == 0);
	EXPECT("the main file a FIFO", fifo, "fifo: cannot read: a FIFO, not a regular file");
	if (access("/dev/zero", R_OK) == 0) {
		struct conf_errors errs = { 0 };

		CHECK(conf_load("/dev/zero", &errs) == NULL && errs.n == 1 &&
		      strcmp(errs.msg[0],
			     "/dev/zero: cannot read: a character device, not a regular file") ==
			      0);
		conf_errors_clear(&errs);
	}
	REQUIRE(mkdir(path_of("subdir"), 0700) == 0);
	p = put("inc-fifo.conf", "@include \"fifo\"\n" SERVICE);
	EXPECT("@include of a FIFO", p,
	       "inc-fifo.conf:1: @include \"fifo\": a FIFO, not a regular file");
	p = put("inc-dir.conf", "daemon = { };\n  @include \"subdir\"\n" SERVICE);
	EXPECT("@include of a directory (libconfig exits the process)", p,
	       "inc-dir.conf:2: @include \"subdir\": a directory, not a regular file");
	p = put("inc-zero.conf", "@include \"../../../../../../../../dev/zero\"\n" SERVICE);
	EXPECT("@include of /dev/zero", p,
	       "inc-zero.conf:1: @include \"../../../../../../../../dev/zero\": a character "
	       "device, not a regular file");
	/* Not an @include: in a comment, a string, or not at the start of its line. */
	p = put("inc-not.conf", "/*\n@include \"fifo\"\n*/ x = \"\n@include \\\"fifo\\\"\n\";\n"
				"y = 1; @include \"fifo\"\n" SERVICE);
	EXPECT("@include where libconfig sees none", p, "inc-not.conf:6: syntax error");
}

static void include_loops_and_bombs(void)
{
	char name[32];
	const char *p;
	int i;

	p = put("self.conf", "@include \"self.conf\"\n" SERVICE);
	EXPECT("a file that includes itself", p,
	       "self.conf:1: @include: nested more than 10 deep (does a file include itself?)");
	put("b.conf", "# b\n@include \"a.conf\"\n");
	p = put("a.conf", "@include \"b.conf\"\n");
	EXPECT("A includes B includes A", p,
	       "a.conf:1: @include: nested more than 10 deep (does a file include itself?)");
	/* A chain 1,000 deep: libconfig stops at 10. */
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "c%d.conf", i);
		put(name, "@include \"c%d.conf\"\n", i + 1);
	}
	put("c1000.conf", SERVICE);
	EXPECT("a chain of 1,000 includes", path_of("c0.conf"),
	       "c10.conf:1: @include: nested more than 10 deep (does a file include itself?)");
	/* Ten deep is fine. */
	put("c10.conf", SERVICE);
	EXPECT("a chain of 10 includes", path_of("c1.conf"), "");
	/* A bomb: each of 8 files includes the next 3 times: 3^8 inclusions. */
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "bomb%d.conf", i);
		put(name,
		    "@include \"bomb%d.conf\"\n@include \"bomb%d.conf\"\n@include \"bomb%d.conf\"\n",
		    i + 1, i + 1, i + 1);
	}
	put("bomb8.conf", "# nothing\n");
	EXPECT("an include bomb", path_of("bomb0.conf"),
	       "bomb7.conf:1: @include \"bomb8.conf\": more than 100 @include directives in all "
	       "(does a file include another many times, or itself?)");
}

/* NUL bytes: libconfig silently cut "ec\0ho" to "ec", and dropped "\x00" ("echoevil"). */
static void nul_byte_cuts_string_silently(void)
{
	static const char raw[] = "services = ( { name = \"ec\0ho\"; listen = [ \"127.0.0.1:7\" ]; "
				  "builtin = \"echo\"; } );\n";
	const char *p;

	p = put_bytes("nul.conf", raw, sizeof(raw) - 1);
	EXPECT("a NUL byte in a name", p, "nul.conf:1: a NUL byte (is this a configuration file?)");
	p = put_bytes("nul2.conf", "\0\0\0\0", 4);
	EXPECT("NUL bytes only", p, "nul2.conf:1: a NUL byte (is this a configuration file?)");
	p = put("x00.conf",
		"services = ( { name = \"echo\\x00evil\"; listen = [ \"127.0.0.1:7\" ];\n"
		"exec = [ \"/bin/true\\x00\" ]; } );\n");
	EXPECT("\\x00 in a string", p, "x00.conf:1: name: a string holds \\x00 (a NUL byte)");
	/* Other escapes are fine. */
	p = put("x01.conf", "services = ( { name = \"a\"; listen = [ \"127.0.0.1:7\" ]; "
			    "builtin = \"ec\\x68o\"; } );\n");
	EXPECT("\\x68 in a string", p, "");
}

/* Names are [A-Za-z0-9_.-] only: control and non-UTF-8 bytes never reach a journal field or the environment. */
static void non_utf8_and_control_bytes(void)
{
	const char *p;

	p = put("utf.conf",
		"services = ( { name = \"\xff\xfe"
		"caf\xc3\xa9\"; listen = [ \"127.0.0.1:7\" ];\n"
		"builtin = \"echo\"; },\n"
		"{ name = \"e\x1b[31m\\n\"; listen = [ \"127.0.0.1:8\" ]; builtin = \"echo\"; },\n"
		"{ name = \"b\"; listen = [ \"127.0.0.1:9\" ]; exec = [ \"/nonexistent/\xc3\" ];\n"
		"  env = [ \"\xc3\xa9=1\", \"OK=\x01\xff\" ]; user = \"\xe2\x82\"; } );\n"
		"daemon = { pidfile = \"/run/\xff\\t\"; log_level = \"\xf0\x9f\x98\x80\"; };\n");
	EXPECT("control and non-UTF-8 bytes", p,
	       "utf.conf:1: services[#1].name: \"??caf\xc3\xa9\" may only contain A-Z a-z 0-9 _ . -",
	       "utf.conf:3: services[#2].name: \"e?[31m?\" may only contain A-Z a-z 0-9 _ . -",
	       "utf.conf:4: services[b].exec: \"/nonexistent/?\": No such file or directory",
	       "utf.conf:5: services[b].env: \"\xc3\xa9=1\" is not NAME=value",
	       "utf.conf:5: services[b].user: unknown user \"??\"",
	       "utf.conf:6: daemon.log_level: \"\xf0\x9f\x98\x80\" is not one of debug, info, "
	       "notice, warning, err");
}

/* Absurd numbers: out of range, or (what libconfig would silently truncate) refused before. */
static void big_integer_truncated_silently(void)
{
	static const struct {
		const char *setting, *want;
	} cases[] = {
		{ "port = 0", "services[a].port: 0 is out of range (1-65535)" },
		{ "port = 65536", "services[a].port: 65536 is out of range (1-65535)" },
		{ "port = -1", "services[a].port: -1 is out of range (1-65535)" },
		{ "port = 9223372036854775808",
		  "port: 9223372036854775808 does not fit in 64 bits" },
		{ "port = 9223372036854775808L",
		  "port: 9223372036854775808L does not fit in 64 bits" },
		{ "port = -9223372036854775809L",
		  "port: -9223372036854775809L does not fit in 64 bits" },
		{ "port = 9223372036854775807L",
		  "services[a].port: 9223372036854775807 is out of range (1-65535)" },
		{ "port = -9223372036854775808L",
		  "services[a].port: -9223372036854775808 is out of range (1-65535)" },
		{ "port = 4294967303",
		  "port: 4294967303 does not fit in 32 bits: libconfig would silently read another "
		  "number (write 4294967303L)" },
		{ "port = 0x100000007",
		  "port: 0x100000007 does not fit in 32 bits: libconfig would silently read another "
		  "number (write 0x100000007L)" },
		{ "port = 0xFFFFFFFF",
		  "port: 0xFFFFFFFF does not fit in 32 bits: libconfig would silently read another "
		  "number (write 0xFFFFFFFFL)" },
		{ "port = 2147483648",
		  "port: 2147483648 does not fit in 32 bits: libconfig would silently read another "
		  "number (write 2147483648L)" },
		{ "port = -2147483648", "services[a].port: -2147483648 is out of range (1-65535)" },
		{ "port = 0xFFFFFFFFFFFFFFFFL",
		  "port: 0xFFFFFFFFFFFFFFFFL does not fit in 64 bits" },
		{ "port = 0x10007", "services[a].port: 65543 is out of range (1-65535)" },
		/* Leading zeros do not hide the digits from the check. */
		{ "port = 0000000000000000000000000000000000000000000000000004294967303",
		  "port: 4294967303 does not fit in 32 bits: libconfig would silently read another "
		  "number (write 4294967303L)" },
		{ "port = 7.0", "services[a].port: expected an integer, got a float" },
		{ "port = 1e999", "services[a].port: expected an integer, got a float" },
		{ "backlog = -1", "services[a].backlog: -1 is out of range (1-65535)" },
		{ "backlog = 2147483647",
		  "services[a].backlog: 2147483647 is out of range (1-65535)" },
		{ "max_connections = -1",
		  "services[a].max_connections: -1 is out of range (0-1000000)" },
		{ "max_per_source = 1000001L",
		  "services[a].max_per_source: 1000001 is out of range (0-1000000)" },
		{ "idle_timeout = -1", "services[a].idle_timeout: -1 is out of range (0-86400)" },
		{ "idle_timeout = 1.5",
		  "services[a].idle_timeout: expected an integer, got a float" },
		{ "rate = 1e999", "services[a].rate: inf is out of range (0.001-1000000)" },
		{ "rate = -0.0", "services[a].rate: -0 is out of range (0.001-1000000)" },
		{ "rate = 1; burst = 0x7FFFFFFF",
		  "services[a].burst: 2147483647 is out of range (1-1000000)" },
		{ "resolve_timeout = -1e999",
		  "services[a].resolve_timeout: -inf is out of range (0.001-60 seconds)" },
		{ "resolve_timeout = 9223372036854775807L",
		  "services[a].resolve_timeout: 9.223372037e+18 is out of range (0.001-60 seconds)" },
		{ "proxy_protocol = \"v1\"; proxy_trusted = [ \"127.0.0.1\" ]; proxy_timeout = 0.01",
		  "services[a].proxy_timeout: 0.01 is out of range (0.1-60 seconds)" },
		{ "resolve_cache_ttl = 86401L",
		  "services[a].resolve_cache_ttl: 86401 is out of range (0-86400)" },
	};
	char want[256];
	const char *p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		p = put("n.conf",
			"services = ( { name = \"a\"; listen = [ \"127.0.0.1\" ];\n"
			"  builtin = \"echo\"; %s%s; } );\n",
			strncmp(cases[i].setting, "port", 4) ? "port = 7; " : "", cases[i].setting);
		snprintf(want, sizeof(want), "n.conf:2: %s", cases[i].want);
		EXPECT(cases[i].setting, p, want);
	}
	p = put("n.conf",
		"daemon = { max_connections = -2147483648; shutdown_timeout = 0x7FFFFFFF; };\n" SERVICE);
	EXPECT("daemon limits", p,
	       "n.conf:1: daemon.max_connections: -2147483648 is out of range (1-1000000)",
	       "n.conf:1: daemon.shutdown_timeout: 2147483647 is out of range (0-3600)");
	/* Numbers inside strings, comments and names are none of the scan's business. */
	p = put("n.conf", "# port = 4294967303\nservices = ( { name = \"a4294967303\";\n"
			  "listen = [ \"127.0.0.1:7\" ]; builtin = \"echo\"; } );\n");
	EXPECT("big numbers in a comment and a name", p, "");
}

/*
 * Tens of thousands of errors: 100 kept, the rest counted in one line. (50
 * arrays of 1,000, not one of 50,000: libconfig grows an array 16 elements
 * at a time, and under ASan every realloc copies, so one huge array takes
 * minutes there.)
 */
static void error_flood_memory(void)
{
	struct conf_errors errs = { 0 };
	char *buf, want[PATH_MAX + 80];
	size_t n = 0, i, j;
	double t0;

	buf = malloc(4u << 20);
	REQUIRE(buf);
	n += (size_t)sprintf(buf + n, "services = (\n");
	for (j = 0; j < 50; j++) {
		n += (size_t)sprintf(
			buf + n, "%s{ name = \"s%zu\"; port = 7; builtin = \"echo\"; listen = [ ",
			j ? "," : "", j);
		for (i = 0; i < 1000; i++)
			n += (size_t)sprintf(buf + n, "%s\"127.0.0.1\"", i ? "," : "");
		n += (size_t)sprintf(buf + n, " ]; }\n");
	}
	n += (size_t)sprintf(buf + n, ");\n");
	put_bytes("flood.conf", buf, n);
	free(buf);
	t0 = now();
	CHECK(conf_load(path_of("flood.conf"), &errs) == NULL);
	printf("# 49,999 conflicts: %.3f s\n", now() - t0);
	CHECK(errs.n == CONF_ERRORS_MAX + 1);
	if (errs.n == CONF_ERRORS_MAX + 1) {
		snprintf(want, sizeof(want), "%s: 49899 more errors not shown (the first 100 are)",
			 path_of("flood.conf"));
		if (!CHECK(strcmp(errs.msg[CONF_ERRORS_MAX], want) == 0))
			test_note("got %s", errs.msg[CONF_ERRORS_MAX]);
	}
	conf_errors_clear(&errs);
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/acc-hostile.XXXXXX", tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		test_bail("mkdtemp failed");
	atexit(cleanup);
	/* Includes resolve beside the main file (absolute paths everywhere). */
	TEST_RUN(conflict_check_quadratic_10000_services);
	TEST_RUN(conflicts_like_pairwise);
	TEST_RUN(long_token_quadratic_time_10mb);
	TEST_RUN(many_settings_quadratic_time);
	TEST_RUN(fifo_hangs_include_of_directory_exits);
	TEST_RUN(include_loops_and_bombs);
	TEST_RUN(nul_byte_cuts_string_silently);
	TEST_RUN(non_utf8_and_control_bytes);
	TEST_RUN(big_integer_truncated_silently);
	TEST_RUN(error_flood_memory);
	return test_summary();
}
