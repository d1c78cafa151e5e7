/* SPDX-License-Identifier: MIT */
/* conf_load() on the fixtures in $TESTDATA: exact values when valid, exact messages when not. */
#include "conf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "addr.h"
#include "builtin.h"
#include "conftest.h"

static char srcdir[PATH_MAX + 16];

/* Listen entry I of S as addr_format() prints it, or "" when there is none. */
static const char *listen_str(const struct service *s, size_t i)
{
	static char buf[ADDR_STRLEN];

	if (!s || i >= s->nlisten)
		return "";
	return addr_format(&s->listen[i], buf, sizeof(buf));
}

static void valid_minimal(void)
{
	const struct service *s;
	struct conf *conf;

	conf = load_valid(data("valid-minimal.conf"));
	REQUIRE(conf);
	CHECK_STR(conf->path, data("valid-minimal.conf"));
	CHECK(conf->max_connections == DEFAULT_MAX_CONNECTIONS);
	CHECK(conf->max_connections == 4096);
	CHECK(conf->shutdown_timeout == 10);
	CHECK(conf->spares == 0);
	CHECK(conf->log_level == LOG_INFO);
	CHECK(conf->log_connections == LOG_CONN_BOTH);
	CHECK(conf->pidfile == NULL);
	CHECK(conf->nservices == 1);
	s = conf_service(conf, "echo");
	CHECK(s == &conf->services[0]);
	if (s) {
		CHECK(s->builtin == BUILTIN_ECHO);
		CHECK(s->port == 7);
		CHECK(s->backlog == DEFAULT_BACKLOG);
		CHECK(s->backlog == 128);
		CHECK(s->nlisten == 1);
		CHECK_STR(listen_str(s, 0), "127.0.0.1:7");
	}
	conf_free(conf);
}

static void valid_full(void)
{
	const struct service *s;
	struct conf *conf;

	conf = load_valid(data("valid-full.conf"));
	REQUIRE(conf);
	CHECK(conf->max_connections == 1000000);
	CHECK(conf->shutdown_timeout == 0);
	CHECK(conf->spares == 64);
	CHECK(conf->log_level == LOG_DEBUG);
	CHECK(conf->log_connections == LOG_CONN_END);
	CHECK_STR(conf->pidfile, "/run/acceptd/acceptd.pid");
	REQUIRE(conf->nservices == 1);
	s = &conf->services[0];
	CHECK(s->port == 65535);
	CHECK(s->backlog == 65535);
	CHECK(s->nlisten == 2);
	CHECK_STR(listen_str(s, 0), "127.0.0.1:65535");
	CHECK_STR(listen_str(s, 1), "[::1]:65535");
	conf_free(conf);
}

static void valid_multi(void)
{
	const struct service *s;
	struct conf *conf;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	conf = load_valid(data("valid-multi.conf"));
	REQUIRE(conf);
	CHECK(conf->log_level == LOG_WARNING);
	CHECK(conf->log_connections == LOG_CONN_NONE);
	CHECK(conf->nservices == 3);
	CHECK(conf_service(conf, "nope") == NULL);
	CHECK(conf_service(conf, "") == NULL);

	s = conf_service(conf, "echo");
	CHECK(s && s->nlisten == 2);
	CHECK_STR(listen_str(s, 0), "127.0.0.1:7");
	CHECK_STR(listen_str(s, 1), "[::1]:7");

	s = conf_service(conf, "echo-v6.alt_2");
	CHECK(s && s->port == 7008 && s->backlog == 1 && s->nlisten == 3);
	CHECK_STR(listen_str(s, 0), "[::1]:7008");
	CHECK_STR(listen_str(s, 1), "[::1]:7009");
	CHECK_STR(listen_str(s, 2), "127.0.0.1:7009");
	CHECK(s && s->listen[1].u.sa.sa_family == AF_INET6);

	/* An IPv4-mapped address is stored, bound and logged as IPv4. */
	s = conf_service(conf, "mapped");
	CHECK(s && s->nlisten == 1 && s->listen[0].u.sa.sa_family == AF_INET);
	CHECK_STR(listen_str(s, 0), "127.0.0.2:7010");

	f = open_memstream(&out, &len);
	REQUIRE(f);
	conf_print(conf, f);
	fclose(f);
	CHECK_STR(out, "echo: builtin echo, listen 127.0.0.1:7 [::1]:7, backlog 128\n"
		       "echo-v6.alt_2: builtin echo, listen [::1]:7008 [::1]:7009 127.0.0.1:7009, "
		       "backlog 1\n"
		       "mapped: builtin echo, listen 127.0.0.2:7010, backlog 128\n");
	free(out);
	conf_free(conf);
}

static void valid_port_override(void)
{
	const struct service *s;
	struct conf *conf;

	conf = load_valid(data("valid-port-override.conf"));
	REQUIRE(conf);
	s = conf_service(conf, "echo");
	REQUIRE(s);
	CHECK(s->port == 0);
	CHECK(s->nlisten == 2);
	CHECK_STR(listen_str(s, 0), "127.0.0.1:7001");
	CHECK_STR(listen_str(s, 1), "[::1]:7002");
	conf_free(conf);
}

/* @include resolves beside the main file, whatever the cwd. */
static void valid_include(void)
{
	const struct service *s;
	struct conf *conf;

	REQUIRE(chdir("/") == 0);
	conf = load_valid(data("valid-include.conf"));
	REQUIRE(conf);
	CHECK(conf->log_level == LOG_NOTICE);
	CHECK(conf->nservices == 1);
	s = conf_service(conf, "included");
	CHECK(s && s->nlisten == 1);
	CHECK_STR(listen_str(s, 0), "127.0.0.1:7007");
	conf_free(conf);
}

/* A path without a directory, and one with "./", read relative to the cwd. */
static void valid_include_relative(void)
{
	struct conf *conf;

	REQUIRE(chdir(datadir) == 0);
	conf = load_valid("valid-include.conf");
	CHECK(conf && conf_service(conf, "included"));
	CHECK(conf && strcmp(conf->path, "valid-include.conf") == 0);
	conf_free(conf);
	conf = load_valid("./valid-include.conf");
	CHECK(conf && conf_service(conf, "included"));
	conf_free(conf);
	REQUIRE(chdir("/") == 0);
}

static void valid_int64(void)
{
	const struct service *s;
	struct conf *conf;

	conf = load_valid(data("valid-int64.conf"));
	REQUIRE(conf);
	CHECK(conf->max_connections == 1000000);
	CHECK(conf->shutdown_timeout == 3600);
	s = conf_service(conf, "echo");
	CHECK(s && s->port == 7007 && s->backlog == 64);
	CHECK_STR(listen_str(s, 0), "127.0.0.1:7007");
	conf_free(conf);
}

static void valid_same_addr_diff_ports(void)
{
	struct conf *conf;

	conf = load_valid(data("valid-same-addr-diff-ports.conf"));
	REQUIRE(conf);
	CHECK(conf->nservices == 2);
	CHECK_STR(listen_str(conf_service(conf, "a"), 1), "127.0.0.1:7002");
	CHECK_STR(listen_str(conf_service(conf, "b"), 0), "127.0.0.1:7003");
	conf_free(conf);
}

/* 0.0.0.0 and :: on one port are different families: both may be bound (v6only). */
static void valid_wildcards(void)
{
	struct conf *conf;

	conf = load_valid(data("valid-wildcards.conf"));
	REQUIRE(conf);
	CHECK_STR(listen_str(conf_service(conf, "any4"), 0), "0.0.0.0:7");
	CHECK_STR(listen_str(conf_service(conf, "any6"), 0), "[::]:7");
	conf_free(conf);
}

static void valid_hex_log_err(void)
{
	const struct service *s;
	struct conf *conf;

	conf = load_valid(data("valid-hex-log-err.conf"));
	REQUIRE(conf);
	CHECK(conf->max_connections == 16);
	CHECK(conf->log_level == LOG_ERR);
	CHECK(conf->log_connections == LOG_CONN_BOTH);
	REQUIRE(conf->nservices == 1);
	s = &conf->services[0];
	CHECK(strlen(s->name) == SERVICE_NAME_MAX);
	CHECK(s->port == 7000);
	conf_free(conf);
}

/* The shipped files: a test, since `acceptd -t` on them is what packagers run. */
static void etc_files(void)
{
	char path[sizeof(srcdir) + 32];
	const struct service *s;
	struct conf *conf;

	snprintf(path, sizeof(path), "%s/etc/acceptd.conf", srcdir);
	conf = load_valid(path);
	REQUIRE(conf);
	CHECK(conf->pidfile == NULL);
	s = conf_service(conf, "echo");
	CHECK(s && s->builtin == BUILTIN_ECHO && s->nlisten == 2);
	CHECK_STR(listen_str(s, 0), "127.0.0.1:7");
	CHECK_STR(listen_str(s, 1), "[::1]:7");
	conf_free(conf);

	snprintf(path, sizeof(path), "%s/etc/example.conf", srcdir);
	conf = load_valid(path);
	REQUIRE(conf);
	CHECK(conf->nservices == 1);
	CHECK(conf->nservices == 1 && conf->services[0].nlisten == 1);
	CHECK_STR(listen_str(&conf->services[0], 0), "127.0.0.1:7007");
	conf_free(conf);
}

/* Messages are appended, never replace what ERRS held; conf_errors_clear() empties it. */
static void errors_append(void)
{
	struct conf_errors errs = { 0 };

	CHECK(conf_load(data("bad-three.conf"), &errs) == NULL);
	CHECK(errno == EINVAL);
	CHECK(errs.n == 3);
	CHECK(conf_load(data("bad-port-0.conf"), &errs) == NULL);
	CHECK(errs.n == 4);
	conf_errors_clear(&errs);
	CHECK(errs.n == 0 && errs.msg == NULL);
	conf_errors_clear(&errs);
	conf_free(NULL);

	CHECK(conf_load(data("no-such-file.conf"), &errs) == NULL);
	CHECK(errno == ENOENT);
	conf_errors_clear(&errs);
}

static const struct bad_case bad_cases[] = {
	{ "no-such-file.conf", { "no-such-file.conf: cannot read: No such file or directory" } },
	{ ".", { ".: cannot read: Is a directory" } },
	{ "bad-syntax.conf", { "bad-syntax.conf:5: syntax error" } },
	{ "bad-duplicate-setting.conf",
	  { "bad-duplicate-setting.conf:7: syntax error: duplicate setting name" } },
	{ "bad-unknown-top.conf", { "bad-unknown-top.conf:2: deamon: unknown key" } },
	{ "bad-unknown-daemon.conf",
	  { "bad-unknown-daemon.conf:3: daemon.max_conections: unknown key" } },
	{ "bad-unknown-service.conf",
	  { "bad-unknown-service.conf:7: services[echo].bakclog: unknown key" } },
	{ "bad-no-services.conf", { "bad-no-services.conf:1: services: missing required key" } },
	{ "bad-empty-file.conf", { "bad-empty-file.conf:1: services: missing required key" } },
	{ "bad-empty-services.conf", { "bad-empty-services.conf:2: services: must not be empty" } },
	{ "bad-services-group.conf",
	  { "bad-services-group.conf:2: services: expected a list of groups, got a group" } },
	{ "bad-service-not-group.conf",
	  { "bad-service-not-group.conf:3: services[#1]: expected a group, got a string" } },
	{ "bad-daemon-type.conf",
	  { "bad-daemon-type.conf:2: daemon: expected a group, got an integer" } },
	{ "bad-name-missing.conf",
	  { "bad-name-missing.conf:9: services[#2].name: missing required key" } },
	{ "bad-name-chars.conf",
	  { "bad-name-chars.conf:4: services[#1].name: \"echo server\" may only contain "
	    "A-Z a-z 0-9 _ . -",
	    "bad-name-chars.conf:10: services[#2].name: \"a/b\" may only contain "
	    "A-Z a-z 0-9 _ . -" } },
	{ "bad-name-long.conf",
	  { "bad-name-long.conf:4: services[#1].name: too long (65 characters, at most 64)" } },
	{ "bad-name-empty.conf",
	  { "bad-name-empty.conf:4: services[#1].name: must not be empty" } },
	{ "bad-name-int.conf",
	  { "bad-name-int.conf:4: services[#1].name: expected a string, got an integer" } },
	{ "bad-name-duplicate.conf",
	  { "bad-name-duplicate.conf:10: services[#2].name: duplicate service name \"echo\" "
	    "(first at bad-name-duplicate.conf:4)" } },
	{ "bad-listen-missing.conf",
	  { "bad-listen-missing.conf:3: services[echo].listen: missing required key" } },
	{ "bad-listen-empty.conf",
	  { "bad-listen-empty.conf:5: services[echo].listen: must not be empty" } },
	{ "bad-listen-string.conf",
	  { "bad-listen-string.conf:5: services[echo].listen: expected an array of strings, "
	    "got a string" } },
	{ "bad-listen-elem-type.conf",
	  { "bad-listen-elem-type.conf:5: services[echo].listen: expected a string, "
	    "got an integer" } },
#define BAD_ADDR(line, s)                                                                    \
	"bad-listen-addr.conf:" #line ": services[echo].listen: \"" s "\" is not a numeric " \
	"IPv4 or IPv6 address with an optional port"
	{ "bad-listen-addr.conf",
	  { BAD_ADDR(6, "1.2.3"), BAD_ADDR(7, "localhost"), BAD_ADDR(8, "[1.2.3.4]:7"),
	    BAD_ADDR(9, "127.0.0.1:0"), BAD_ADDR(10, "127.0.0.1:65536"),
	    BAD_ADDR(11, "127.0.0.1:07"), BAD_ADDR(12, ":7"), BAD_ADDR(13, "[::1]x"),
	    BAD_ADDR(14, "[::1]:"), BAD_ADDR(15, "") } },
	{ "bad-port-0.conf",
	  { "bad-port-0.conf:5: services[echo].port: 0 is out of range (1-65535)" } },
	{ "bad-port-65536.conf",
	  { "bad-port-65536.conf:5: services[echo].port: 65536 is out of range (1-65535)" } },
	{ "bad-port-string.conf",
	  { "bad-port-string.conf:5: services[echo].port: expected an integer, got a string" } },
	{ "bad-port-float.conf",
	  { "bad-port-float.conf:5: services[echo].port: expected an integer, got a float" } },
	{ "bad-port-int64.conf",
	  { "bad-port-int64.conf:6: services[echo].port: 4294967303 is out of range (1-65535)" } },
	{ "bad-port-missing.conf",
	  { "bad-port-missing.conf:3: services[echo].port: missing required key "
	    "(listen entry \"::1:7\" has no port)" } },
	{ "bad-backlog-0.conf",
	  { "bad-backlog-0.conf:6: services[echo].backlog: 0 is out of range (1-65535)" } },
	{ "bad-backlog-70000.conf",
	  { "bad-backlog-70000.conf:6: services[echo].backlog: 70000 is out of range (1-65535)" } },
	{ "bad-backlog-bool.conf",
	  { "bad-backlog-bool.conf:6: services[echo].backlog: expected an integer, "
	    "got a boolean" } },
	{ "bad-builtin-missing.conf",
	  { "bad-builtin-missing.conf:2: services[echo].builtin: missing required key (a service needs builtin or exec)" } },
	{ "bad-builtin-unknown.conf",
	  { "bad-builtin-unknown.conf:6: services[echo].builtin: \"qotd\" is not a known "
	    "builtin (known: echo, discard, chargen, daytime, time)" } },
	{ "bad-builtin-int.conf",
	  { "bad-builtin-int.conf:6: services[echo].builtin: expected a string, got an integer" } },
	{ "bad-conflict-same.conf",
	  { "bad-conflict-same.conf:11: services[b].listen: 127.0.0.1:7007 conflicts with "
	    "127.0.0.1:7007 of service \"a\" (bad-conflict-same.conf:5)" } },
	{ "bad-conflict-wildcard.conf",
	  { "bad-conflict-wildcard.conf:11: services[local].listen: 127.0.0.1:7 conflicts with "
	    "0.0.0.0:7 of service \"any\" (bad-conflict-wildcard.conf:5)" } },
	{ "bad-conflict-within.conf",
	  { "bad-conflict-within.conf:5: services[echo].listen: [::1]:7 conflicts with [::1]:7 "
	    "of service \"echo\" (bad-conflict-within.conf:5)",
	    "bad-conflict-within.conf:5: services[echo].listen: [::]:7 conflicts with [::1]:7 "
	    "of service \"echo\" (bad-conflict-within.conf:5)" } },
	{ "bad-log-level.conf",
	  { "bad-log-level.conf:2: daemon.log_level: \"verbose\" is not one of debug, info, "
	    "notice, warning, err" } },
	{ "bad-log-connections.conf",
	  { "bad-log-connections.conf:2: daemon.log_connections: \"start\" is not one of both, "
	    "end, none" } },
	{ "bad-pidfile-relative.conf",
	  { "bad-pidfile-relative.conf:2: daemon.pidfile: \"run/acceptd.pid\" is not an "
	    "absolute path" } },
	{ "bad-max-connections-0.conf",
	  { "bad-max-connections-0.conf:2: daemon.max_connections: 0 is out of range "
	    "(1-1000000)" } },
	{ "bad-shutdown-timeout.conf",
	  { "bad-shutdown-timeout.conf:2: daemon.shutdown_timeout: 3601 is out of range "
	    "(0-3600)" } },
	{ "bad-spares.conf", { "bad-spares.conf:3: daemon.spares: 65 is out of range (0-64)" } },
	/* Errors inside an included file name that file, not the one that included it. */
	{ "bad-include.conf",
	  { "bad-include.inc:6: services[echo].port: 0 is out of range (1-65535)" } },
	{ "bad-include-syntax.conf", { "bad-include-syntax.inc:5: syntax error" } },
	{ "bad-include-missing.conf",
	  { "bad-include-missing.conf:2: syntax error: cannot open include file" } },
	{ "bad-three.conf",
	  { "bad-three.conf:3: daemon.shutdown_timeout: -1 is out of range (0-3600)",
	    "bad-three.conf:11: services[echo].backlog: 0 is out of range (1-65535)",
	    "bad-three.conf:12: services[echo].builtin: \"qotd\" is not a known builtin "
	    "(known: echo, discard, chargen, daytime, time)" } },
	{ "bad-many.conf",
	  { "bad-many.conf:3: daemon.max_connections: 1000001 is out of range (1-1000000)",
	    "bad-many.conf:4: daemon.log_level: expected a string, got an integer",
	    "bad-many.conf:5: daemon.pidfile: \"acceptd.pid\" is not an absolute path",
	    "bad-many.conf:6: daemon.usr: unknown key",
	    "bad-many.conf:10: services[echo].port: missing required key "
	    "(listen entry \"127.0.0.1\" has no port)",
	    "bad-many.conf:16: services[#2].name: \"bad name\" may only contain "
	    "A-Z a-z 0-9 _ . -",
	    "bad-many.conf:19: services[#2].backlog: expected an integer, got a float",
	    "bad-many.conf:21: services[#2].exec: a service has builtin or exec, not both",
	    "bad-many.conf:24: services[#3].name: duplicate service name \"echo\" "
	    "(first at bad-many.conf:11)",
	    "bad-many.conf:25: services[#3].listen: must not be empty",
	    "bad-many.conf:23: services[#3].builtin: missing required key (a service needs builtin or exec)",
	    "bad-many.conf:29: extra: unknown key" } },
};

int main(void)
{
	const char *env;

	conftest_init();
	env = getenv("top_srcdir");
	if (env) {
		if (!realpath(env, srcdir))
			test_bail("top_srcdir does not exist");
	} else {
		snprintf(srcdir, sizeof(srcdir), "%s/../../..", datadir);
	}

	TEST_RUN(valid_minimal);
	TEST_RUN(valid_full);
	TEST_RUN(valid_multi);
	TEST_RUN(valid_port_override);
	TEST_RUN(valid_include);
	TEST_RUN(valid_include_relative);
	TEST_RUN(valid_int64);
	TEST_RUN(valid_same_addr_diff_ports);
	TEST_RUN(valid_wildcards);
	TEST_RUN(valid_hex_log_err);
	TEST_RUN(etc_files);
	TEST_RUN(errors_append);
	BAD_CASES_RUN(bad_cases);
	return test_summary();
}
