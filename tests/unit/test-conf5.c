/* SPDX-License-Identifier: MIT */
/*
 * conf_load() on the fixtures of the super-server keys (issue 5): exec, env,
 * user/group, daemon.user, v6only, allow/deny, limits, rate/burst,
 * idle_timeout, resolve*, proxy_*: exact values when valid, every exact
 * "FILE:LINE: KEY: message" when not. Cases that depend on the uid run as
 * root, and again as nobody in a child that gave root up.
 */
#include "conf.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acl.h"
#include "addr.h"
#include "builtin.h"
#include "peer.h"
#include "conftest.h"
#include "proxy.h"

#define NOBODY 65534

/* The blocks of a list as acl_format() prints them, space-separated. */
static const char *cidrs_str(const struct cidr *v, size_t n)
{
	static char out[512];
	char one[ADDR_HOSTLEN + 8];
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		acl_format(&v[i], one, sizeof(one));
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? " " : "", one);
	}
	return out;
}

/* A string vector as "a|b|c". */
static const char *strv_str(char *const *v)
{
	static char out[512];
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; v && v[i]; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "|" : "", v[i]);
	return out;
}

/* What a service gets when it sets none of the new keys. */
static void defaults(void)
{
	const struct service *s;
	struct conf *conf;

	conf = load_valid(data("valid-minimal.conf"));
	REQUIRE(conf);
	CHECK(!conf->has_user);
	s = conf_service(conf, "echo");
	REQUIRE(s);
	CHECK(s->builtin == BUILTIN_ECHO && s->argv == NULL && s->env == NULL);
	CHECK(!s->has_user);
	CHECK(s->v6only == 1);
	CHECK(s->nallow == 0 && s->ndeny == 0);
	CHECK(s->max_connections == 0 && s->max_per_source == 0);
	CHECK(s->rate == 0);
	CHECK(s->idle_timeout == 0);
	CHECK(s->resolve == RESOLVE_NAME);
	CHECK(s->resolve_timeout == 2000);
	CHECK(s->resolve_cache_ttl == 60);
	CHECK(s->proxy == 0 && s->nproxy_trusted == 0);
	CHECK(s->proxy_timeout == 3000);
	conf_free(conf);
}

static void valid_exec(void)
{
	const struct service *s;
	struct conf *conf;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	conf = load_valid(data("valid-exec.conf"));
	REQUIRE(conf);
	s = conf_service(conf, "cat");
	REQUIRE(s);
	CHECK(s->builtin == -1);
	CHECK_STR(strv_str(s->argv), "/bin/cat|-u|");
	CHECK(s->argv && s->argv[3] == NULL);
	/* env is passed on as written: PATH may be set, values may hold '=' or be empty. */
	CHECK_STR(strv_str(s->env), "LANG=C.UTF-8|PATH=/bin|EMPTY=|_x1=a=b|JOURNAL_STREAM_X=1");
	s = conf_service(conf, "sh");
	REQUIRE(s);
	CHECK_STR(strv_str(s->argv), "/bin/sh");
	CHECK(s->env == NULL);

	f = open_memstream(&out, &len);
	REQUIRE(f);
	conf_print(conf, f);
	fclose(f);
	CHECK_STR(out, "cat: exec /bin/cat -u , listen 127.0.0.1:7007, backlog 128\n"
		       "sh: exec /bin/sh, listen 127.0.0.1:7008, backlog 128\n");
	free(out);
	conf_free(conf);
}

static void valid_limits(void)
{
	const struct service *s;
	struct conf *conf;

	conf = load_valid(data("valid-limits.conf"));
	REQUIRE(conf);

	s = conf_service(conf, "all");
	REQUIRE(s);
	CHECK(s->v6only == 0);
	/* A mapped block is an IPv4 block. */
	CHECK_STR(cidrs_str(s->allow, s->nallow), "127.0.0.0/8 ::1/128 192.0.2.0/24 2001:db8::/32");
	CHECK_STR(cidrs_str(s->deny, s->ndeny), "127.0.0.2/32 0.0.0.0/0");
	CHECK(s->max_connections == 1000000 && s->max_per_source == 1);
	/* burst defaults to the rate rounded up: one second's worth at once. */
	CHECK(s->rate == 2.5 && s->burst == 3);
	CHECK(s->idle_timeout == 86400);
	CHECK(s->resolve == RESOLVE_CONFIRMED && s->resolve_timeout == 500);
	CHECK(s->resolve_cache_ttl == 0);
	CHECK(s->proxy == (PROXY_V1 | PROXY_V2));
	CHECK_STR(cidrs_str(s->proxy_trusted, s->nproxy_trusted), "127.0.0.1/32 ::1/128");
	CHECK(s->proxy_timeout == 100);

	s = conf_service(conf, "high");
	REQUIRE(s);
	CHECK(s->builtin == BUILTIN_CHARGEN && s->v6only == 1);
	CHECK(s->max_connections == 0 && s->max_per_source == 1000000);
	CHECK(s->rate == 1000000 && s->burst == 1);
	CHECK(s->idle_timeout == 0);
	CHECK(s->resolve == RESOLVE_NONE && s->resolve_timeout == 60000);
	CHECK(s->resolve_cache_ttl == 86400);
	CHECK(s->proxy == PROXY_V2 && s->proxy_timeout == 60000);
	CHECK_STR(cidrs_str(s->proxy_trusted, s->nproxy_trusted), "0.0.0.0/0");

	s = conf_service(conf, "low");
	REQUIRE(s);
	CHECK(s->builtin == BUILTIN_DAYTIME);
	CHECK(s->rate == 0.001 && s->burst == 1);
	CHECK(s->resolve == RESOLVE_NAME && s->resolve_timeout == 1);
	CHECK(s->proxy == PROXY_V1 && s->proxy_timeout == 3000);

	s = conf_service(conf, "int-rate");
	REQUIRE(s);
	CHECK(s->builtin == BUILTIN_TIME);
	CHECK(s->rate == 10 && s->burst == 1000000);
	CHECK(s->proxy == 0 && s->nproxy_trusted == 0);

	s = conf_service(conf, "discard");
	REQUIRE(s);
	CHECK(s->builtin == BUILTIN_DISCARD && s->rate == 3 && s->burst == 3);
	conf_free(conf);
}

/* A dual-stack "::" next to IPv4 on other ports, and v6only ones next to anything. */
static void valid_dualstack(void)
{
	struct conf *conf;
	const struct service *s;

	conf = load_valid(data("valid-dualstack.conf"));
	REQUIRE(conf);
	CHECK(conf->nservices == 5);
	s = conf_service(conf, "dual");
	CHECK(s && s->v6only == 0);
	s = conf_service(conf, "v6-specific");
	CHECK(s && s->v6only == 0);
	s = conf_service(conf, "v6only");
	CHECK(s && s->v6only == 1);
	conf_free(conf);
}

/* Load PATH and return conf_print()'s text (static), or NULL when invalid. */
static const char *printed(const char *path)
{
	static char text[4096];
	struct conf *conf;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	conf = load_valid(path);
	if (!conf)
		return NULL;
	f = open_memstream(&out, &len);
	if (!f)
		test_bail("out of memory");
	conf_print(conf, f);
	fclose(f);
	snprintf(text, sizeof(text), "%s", out);
	free(out);
	conf_free(conf);
	return text;
}

/* As root, any user and group can be named; -t shows what they resolve to. */
static void valid_users_root(void)
{
	CHECK_STR(printed(data("valid-user-root.conf")),
		  "by-name: builtin echo, listen 127.0.0.1:7007, backlog 128, uid 65534 gid 65534\n"
		  "with-group: builtin echo, listen 127.0.0.1:7008, backlog 128, uid 1 gid 0\n"
		  "numeric: exec /bin/cat, listen 127.0.0.1:7009, backlog 128, uid 4242 gid 4343\n"
		  "numeric-known: builtin echo, listen 127.0.0.1:7010, backlog 128, uid 1 gid 1\n"
		  "root: builtin echo, listen 127.0.0.1:7011, backlog 128, uid 0 gid 0\n");
	CHECK_STR(printed(data("valid-daemon-user-root.conf")),
		  "same: builtin echo, listen 127.0.0.1:7007, backlog 128, uid 65534 gid 65534\n"
		  "same-numeric: builtin echo, listen 127.0.0.1:7008, backlog 128, "
		  "uid 65534 gid 65534\n"
		  "none: builtin echo, listen 127.0.0.1:7009, backlog 128\n");
	/* The fixture an unprivileged acceptd refuses is fine for root. */
	CHECK(printed(data("bad-user-nonroot.conf")) != NULL);
	{
		struct conf *conf = load_valid(data("valid-daemon-user-root.conf"));

		CHECK(conf && conf->has_user && conf->uid == NOBODY && conf->gid == NOBODY);
		conf_free(conf);
	}
}

/* Fixtures whose messages do not depend on who runs the test. */
static const struct bad_case bad_cases[] = {
	{ "bad-exec-relative.conf",
	  { "bad-exec-relative.conf:5: services[rel].exec: \"bin/cat\" is not an absolute path",
	    "bad-exec-relative.conf:10: services[dot].exec: \"./cat\" is not an absolute path",
	    "bad-exec-relative.conf:15: services[bare].exec: \"cat\" is not an absolute path",
	    "bad-exec-relative.conf:20: services[empty-name].exec: \"\" is not an absolute "
	    "path" } },
	{ "bad-exec-missing.conf",
	  { "bad-exec-missing.conf:5: services[missing].exec: "
	    "\"/nonexistent/acceptd-test-program\": No such file or directory",
	    "bad-exec-missing.conf:10: services[not-a-dir].exec: \"/etc/passwd/cat\": "
	    "Not a directory" } },
	{ "bad-exec-noexec.conf",
	  { "bad-exec-noexec.conf:5: services[noexec].exec: \"/etc/passwd\" is not an "
	    "executable file" } },
	{ "bad-exec-dir.conf",
	  { "bad-exec-dir.conf:5: services[dir].exec: \"/bin/\" is not an executable file",
	    "bad-exec-dir.conf:10: services[root].exec: \"/\" is not an executable file",
	    "bad-exec-dir.conf:15: services[devnull].exec: \"/dev/null\" is not an executable "
	    "file" } },
	{ "bad-exec-empty.conf",
	  { "bad-exec-empty.conf:5: services[empty].exec: must not be empty" } },
	{ "bad-exec-types.conf",
	  { "bad-exec-types.conf:5: services[string].exec: expected an array of strings, "
	    "got a string",
	    "bad-exec-types.conf:11: services[element].exec: expected a string, got an "
	    "integer" } },
	{ "bad-exec-both.conf",
	  { "bad-exec-both.conf:6: services[both].exec: a service has builtin or exec, not "
	    "both" } },
	{ "bad-exec-neither.conf",
	  { "bad-exec-neither.conf:2: services[neither].builtin: missing required key (a "
	    "service needs builtin or exec)",
	    "bad-exec-neither.conf:6: services[env-only].builtin: missing required key (a "
	    "service needs builtin or exec)",
	    "bad-exec-neither.conf:9: services[env-only].env: only an exec service has an "
	    "environment" } },
#define ENV_BAD(s)  "bad-env.conf:6: services[names].env: \"" s "\" is not NAME=value"
#define ENV_OURS(n) "bad-env.conf:12: services[reserved].env: " n " is set by acceptd"
	{ "bad-env.conf",
	  { ENV_BAD("1X=a"), ENV_BAD("NOEQUALS"), ENV_BAD("=v"), ENV_BAD("A-B=c"), ENV_BAD(" A=b"),
	    ENV_BAD("A B=c"), ENV_BAD("\xc3\x84=1"), ENV_BAD(""), ENV_OURS("PROTO"),
	    ENV_OURS("TCPLOCALIP"), ENV_OURS("TCPLOCALPORT"), ENV_OURS("TCPREMOTEIP"),
	    ENV_OURS("TCPREMOTEPORT"), ENV_OURS("TCPREMOTEHOST"), ENV_OURS("REMOTE_ADDR"),
	    ENV_OURS("REMOTE_PORT"), ENV_OURS("ACCEPTD_SERVICE"), ENV_OURS("NOTIFY_SOCKET"),
	    ENV_OURS("LISTEN_FDS"), ENV_OURS("LISTEN_PID"), ENV_OURS("LISTEN_FDNAMES"),
	    ENV_OURS("WATCHDOG_USEC"), ENV_OURS("WATCHDOG_PID"), ENV_OURS("JOURNAL_STREAM"),
	    /* Names that only look like ours are fine; a non-string is not. */
	    "bad-env.conf:22: services[not-reserved].env: expected a string, got an integer" } },
	{ "bad-exec-idle.conf",
	  { "bad-exec-idle.conf:7: services[exec-idle].idle_timeout: only a builtin service has an "
	    "idle timeout" } },
	{ "bad-env-builtin.conf",
	  { "bad-env-builtin.conf:6: services[echo].env: only an exec service has an "
	    "environment" } },
	{ "bad-user.conf",
	  { "bad-user.conf:6: services[unknown-user].user: unknown user \"no-such-user-acceptd\"",
	    "bad-user.conf:13: services[unknown-group].group: unknown group "
	    "\"no-such-group-acceptd\"",
	    "bad-user.conf:19: services[group-only].group: needs user as well",
	    "bad-user.conf:25: services[uid-too-big].user: unknown user \"4294967295\"",
	    "bad-user.conf:31: services[uid-junk].user: unknown user \"12x\"",
	    "bad-user.conf:38: services[gid-too-big].group: unknown group \"99999999999\"",
	    "bad-user.conf:44: services[types].user: expected a string, got an integer",
	    "bad-user.conf:45: services[types].group: expected a string, got an integer",
	    "bad-user.conf:51: services[empty].user: unknown user \"\"" } },
	{ "bad-daemon-user.conf",
	  { "bad-daemon-user.conf:2: daemon.user: unknown user \"no-such-user-acceptd\"" } },
	{ "bad-daemon-user-type.conf",
	  { "bad-daemon-user-type.conf:2: daemon.user: expected a string, got an integer" } },
	{ "bad-v6only.conf",
	  { "bad-v6only.conf:7: services[string].v6only: expected true or false, got a string",
	    "bad-v6only.conf:14: services[int].v6only: expected true or false, got an "
	    "integer" } },
#define ACL_BITS(line, key, s)                                \
	"bad-acl.conf:" #line ": services[acl]." key ": \"" s \
	"\" has bits set after the prefix length (a typo?)"
#define ACL_BAD(line, key, s)                                 \
	"bad-acl.conf:" #line ": services[acl]." key ": \"" s \
	"\" is not an address or ADDRESS/PREFIX block"
	{ "bad-acl.conf",
	  { ACL_BITS(7, "allow", "10.0.0.1/8"), ACL_BAD(8, "allow", "192.0.2.0/33"),
	    ACL_BAD(9, "allow", "::1/129"), ACL_BAD(10, "allow", "10.0.0.0/08"),
	    ACL_BAD(11, "allow", ""), ACL_BAD(12, "allow", "localhost"),
	    ACL_BITS(13, "allow", "2001:db8::1/32"), ACL_BITS(14, "allow", "::ffff:10.0.0.1/104"),
	    ACL_BITS(17, "deny", "192.0.2.1/24"),
	    "bad-acl.conf:17: services[acl].deny: expected a string, got an integer",
	    ACL_BAD(17, "deny", "[::1]"),
	    "bad-acl.conf:23: services[acl-string].allow: expected an array of strings, got a "
	    "string",
	    "bad-acl.conf:24: services[acl-string].deny: expected an array of strings, got an "
	    "integer" } },
	{ "bad-limits.conf",
	  { "bad-limits.conf:6: services[low].max_connections: -1 is out of range (0-1000000)",
	    "bad-limits.conf:7: services[low].max_per_source: -1 is out of range (0-1000000)",
	    "bad-limits.conf:8: services[low].idle_timeout: -1 is out of range (0-86400)",
	    "bad-limits.conf:9: services[low].resolve_cache_ttl: -1 is out of range (0-86400)",
	    "bad-limits.conf:15: services[high].max_connections: 1000001 is out of range "
	    "(0-1000000)",
	    "bad-limits.conf:16: services[high].max_per_source: 1000001 is out of range "
	    "(0-1000000)",
	    "bad-limits.conf:17: services[high].idle_timeout: 86401 is out of range (0-86400)",
	    "bad-limits.conf:18: services[high].resolve_cache_ttl: 86401 is out of range "
	    "(0-86400)",
	    "bad-limits.conf:24: services[types].max_connections: expected an integer, got a "
	    "float",
	    "bad-limits.conf:25: services[types].max_per_source: expected an integer, got a "
	    "string",
	    "bad-limits.conf:26: services[types].idle_timeout: expected an integer, got a float",
	    "bad-limits.conf:27: services[types].resolve_cache_ttl: expected an integer, got a "
	    "boolean" } },
	{ "bad-rate.conf",
	  { "bad-rate.conf:6: services[zero].rate: 0 is out of range (0.001-1000000)",
	    "bad-rate.conf:12: services[tiny].rate: 0.0009 is out of range (0.001-1000000)",
	    "bad-rate.conf:18: services[negative].rate: -5 is out of range (0.001-1000000)",
	    /* The value as written, not rounded to six digits ("1e+06" reads as in range). */
	    "bad-rate.conf:24: services[huge].rate: 1000001 is out of range (0.001-1000000)",
	    "bad-rate.conf:30: services[huge-float].rate: 10000000 is out of range (0.001-1000000)",
	    "bad-rate.conf:36: services[string].rate: expected a number, got a string" } },
	{ "bad-burst.conf",
	  { "bad-burst.conf:6: services[no-rate].burst: needs rate as well",
	    "bad-burst.conf:13: services[zero].burst: 0 is out of range (1-1000000)",
	    "bad-burst.conf:20: services[high].burst: 1000001 is out of range (1-1000000)",
	    "bad-burst.conf:27: services[float].burst: expected an integer, got a float" } },
	{ "bad-resolve.conf",
	  { "bad-resolve.conf:6: services[mode].resolve: \"yes\" is not one of none, name, "
	    "confirmed",
	    "bad-resolve.conf:7: services[mode].resolve_timeout: 0 is out of range (0.001-60 "
	    "seconds)",
	    "bad-resolve.conf:13: services[timeouts].resolve: \"NAME\" is not one of none, name, "
	    "confirmed",
	    "bad-resolve.conf:14: services[timeouts].resolve_timeout: 60.5 is out of range "
	    "(0.001-60 seconds)",
	    "bad-resolve.conf:20: services[types].resolve: expected a string, got a boolean",
	    "bad-resolve.conf:21: services[types].resolve_timeout: expected a number, got a "
	    "string",
	    "bad-resolve.conf:27: services[tiny].resolve_timeout: 0.0005 is out of range "
	    "(0.001-60 seconds)" } },
	{ "bad-proxy.conf",
	  { "bad-proxy.conf:6: services[mode].proxy_protocol: \"v3\" is not one of off, v1, v2, "
	    "any",
	    "bad-proxy.conf:12: services[no-trusted].proxy_trusted: missing required key "
	    "(proxy_protocol needs it)",
	    "bad-proxy.conf:18: services[trusted-alone].proxy_trusted: needs proxy_protocol "
	    "other than off",
	    "bad-proxy.conf:25: services[trusted-empty].proxy_trusted: must not be empty",
	    "bad-proxy.conf:32: services[trusted-bad].proxy_trusted: \"10.0.0.1/8\" has bits set "
	    "after the prefix length (a typo?)",
	    "bad-proxy.conf:32: services[trusted-bad].proxy_trusted: \"proxy.example\" is not an "
	    "address or ADDRESS/PREFIX block",
	    "bad-proxy.conf:40: services[timeouts].proxy_timeout: 0.05 is out of range (0.1-60 "
	    "seconds)",
	    "bad-proxy.conf:48: services[timeout-high].proxy_timeout: 61 is out of range (0.1-60 "
	    "seconds)",
	    /* One message per mistake: a mistyped proxy_protocol is not also "off". */
	    "bad-proxy.conf:54: services[types].proxy_protocol: expected a string, got an "
	    "integer",
	    "bad-proxy.conf:56: services[types].proxy_timeout: expected a number, got a string",
	    /* A string where a list belongs is not also "empty". */
	    "bad-proxy.conf:63: services[trusted-string].proxy_trusted: expected an array of "
	    "strings, got a string",
	    "bad-proxy.conf:70: services[trusted-but-off].proxy_trusted: needs proxy_protocol "
	    "other than off",
	    "bad-proxy.conf:76: services[timeout-alone].proxy_timeout: 0 is out of range (0.1-60 "
	    "seconds)" } },
	{ "bad-dualstack.conf",
	  { "bad-dualstack.conf:12: services[any4].listen: 0.0.0.0:7 conflicts with [::]:7 of "
	    "service \"dual\" (bad-dualstack.conf:5)",
	    "bad-dualstack.conf:23: services[dual-after].listen: [::]:8 conflicts with "
	    "127.0.0.1:8 of service \"lo4\" (bad-dualstack.conf:18)",
	    "bad-dualstack.conf:29: services[within].listen: 127.0.0.2:9 conflicts with [::]:9 "
	    "of service \"within\" (bad-dualstack.conf:29)" } },
	{ "bad-typo-keys.conf",
	  { "bad-typo-keys.conf:6: services[typos].max_per_sources: unknown key",
	    "bad-typo-keys.conf:7: services[typos].idle-timeout: unknown key",
	    "bad-typo-keys.conf:8: services[typos].allowed: unknown key",
	    "bad-typo-keys.conf:9: services[typos].proxy: unknown key" } },
};

/* Only as root: daemon.user names a user the parent drops to; services may not differ. */
static const struct bad_case root_cases[] = {
	{ "bad-daemon-user-switch.conf",
	  { "bad-daemon-user-switch.conf:11: services[other-user].user: daemon.user (uid 65534 "
	    "gid 65534) leaves no privilege to switch to uid 1 gid 1",
	    "bad-daemon-user-switch.conf:17: services[other-group].user: daemon.user (uid 65534 "
	    "gid 65534) leaves no privilege to switch to uid 65534 gid 0",
	    "bad-daemon-user-switch.conf:24: services[root].user: daemon.user (uid 65534 gid "
	    "65534) leaves no privilege to switch to uid 0 gid 0" } },
};

/*
 * What an unprivileged acceptd says about users it cannot switch to, for
 * the uid and gid this process runs as now (never root).
 */
static void nonroot_messages(void)
{
	static const struct {
		const char *name;
		unsigned line;
		unsigned uid, gid;
	} svc[] = {
		{ "to-root", 7, 0, 0 },
		{ "to-daemon", 13, 1, 1 },
		{ "to-nobody", 20, NOBODY, NOBODY },
	};
	unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
	char msgs[4][256];
	const char *want[4];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(svc); i++) {
		/* Anyone can "switch" to exactly what it already is. */
		if (svc[i].uid == uid && svc[i].gid == gid)
			continue;
		snprintf(msgs[n], sizeof(msgs[n]),
			 "bad-user-nonroot.conf:%u: services[%s].user: acceptd runs as uid %u and "
			 "cannot switch to uid %u gid %u",
			 svc[i].line, svc[i].name, uid, svc[i].uid, svc[i].gid);
		want[n] = msgs[n];
		n++;
	}
	expect_messages("bad-user-nonroot.conf", want, n);

	snprintf(msgs[0], sizeof(msgs[0]),
		 "bad-daemon-user-nonroot.conf:2: daemon.user: acceptd runs as uid %u and cannot "
		 "switch to uid 0",
		 uid);
	want[0] = msgs[0];
	expect_messages("bad-daemon-user-nonroot.conf", want, 1);
}

/* As root: the same checks from a child that has given root up for good (nobody). */
static void nonroot_as_nobody(void)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			_exit(TEST_EXIT_ERROR);
		/* A tree under a private home directory: nothing to check from here. */
		if (access(data("bad-user-nonroot.conf"), R_OK) < 0)
			_exit(TEST_EXIT_SKIP);
		test_begin();
		nonroot_messages();
		_exit(test_fail_file ? 1 : 0);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == TEST_EXIT_SKIP) {
		printf("# the fixtures are not readable by nobody: unprivileged cases left out\n");
		return;
	}
	if (!CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		test_note("the unprivileged child ended with status %#x", status);
}

int main(void)
{
	conftest_init();

	TEST_RUN(defaults);
	TEST_RUN(valid_exec);
	TEST_RUN(valid_limits);
	TEST_RUN(valid_dualstack);
	BAD_CASES_RUN(bad_cases);
	if (geteuid() == 0) {
		TEST_RUN(valid_users_root);
		BAD_CASES_RUN(root_cases);
		TEST_RUN(nonroot_as_nobody);
	} else {
		printf("# not root: the cases that need root to be valid are left out\n");
		TEST_RUN(nonroot_messages);
	}
	return test_summary();
}
