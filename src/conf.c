/* SPDX-License-Identifier: MIT */
/* libconfig file to a new, validated struct conf; pure: no sockets, no logging, never exits. */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libconfig.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "builtin.h"
#include "peer.h"
#include "proxy.h"
#include "log.h"
#include "util.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
#define LABEL_MAX  (sizeof("services[]") + SERVICE_NAME_MAX + 1) /* also fits "services[#N]" */
#define BAD_ADDR   "is not a numeric IPv4 or IPv6 address with an optional port"
#define SHOW_MAX   80 /* bytes of a user's string quoted in a message */

/* What a key must hold; the type check and its message come from this. */
enum kind {
	KIND_INT, /* CONFIG_TYPE_INT or _INT64, range-checked as 64-bit */
	KIND_STRING,
	KIND_STRINGS, /* array or list of strings */
	KIND_GROUP,
	KIND_GROUPS, /* list (or array) of groups */
	KIND_BOOL,
	KIND_NUMBER, /* integer or float */
};

/* One known key of a group: unknown keys are errors, so this is also the schema. */
struct key {
	const char *name;
	enum kind kind;
	int required;
	long long min, max; /* KIND_INT: accepted range */
	int def;	    /* value when absent (documented in etc/acceptd.conf) */
};

/* The one table of keys, ranges and defaults. */
static const struct key top_keys[] = {
	{ "daemon", KIND_GROUP, 0, 0, 0, 0 },
	{ "services", KIND_GROUPS, 1, 0, 0, 0 },
};

static const struct key daemon_keys[] = {
	{ "max_connections", KIND_INT, 0, 1, 1000000, DEFAULT_MAX_CONNECTIONS },
	{ "shutdown_timeout", KIND_INT, 0, 0, 3600, DEFAULT_SHUTDOWN_TIMEOUT },
	{ "spares", KIND_INT, 0, 0, SPARES_MAX, DEFAULT_SPARES },
	{ "log_level", KIND_STRING, 0, 0, 0, DEFAULT_LOG_LEVEL },
	{ "log_connections", KIND_STRING, 0, 0, 0, LOG_CONN_BOTH },
	{ "pidfile", KIND_STRING, 0, 0, 0, 0 },
	{ "user", KIND_STRING, 0, 0, 0, 0 },
};

static const struct key service_keys[] = {
	{ "name", KIND_STRING, 1, 0, 0, 0 },
	{ "listen", KIND_STRINGS, 1, 0, 0, 0 },
	/* Required only when a listen entry has no port of its own; checked by hand. */
	{ "port", KIND_INT, 0, 1, 65535, 0 },
	{ "backlog", KIND_INT, 0, 1, 65535, DEFAULT_BACKLOG },
	/* Exactly one of builtin and exec: checked by hand. */
	{ "builtin", KIND_STRING, 0, 0, 0, 0 },
	{ "exec", KIND_STRINGS, 0, 0, 0, 0 },
	{ "env", KIND_STRINGS, 0, 0, 0, 0 },
	{ "user", KIND_STRING, 0, 0, 0, 0 },
	{ "group", KIND_STRING, 0, 0, 0, 0 },
	{ "v6only", KIND_BOOL, 0, 0, 0, 1 },
	{ "allow", KIND_STRINGS, 0, 0, 0, 0 },
	{ "deny", KIND_STRINGS, 0, 0, 0, 0 },
	{ "max_connections", KIND_INT, 0, 0, 1000000, 0 },
	{ "max_per_source", KIND_INT, 0, 0, 1000000, 0 },
	{ "rate", KIND_NUMBER, 0, 0, 1000000, 0 },
	{ "burst", KIND_INT, 0, 1, 1000000, 0 },
	{ "idle_timeout", KIND_INT, 0, 0, 86400, 0 },
	{ "resolve", KIND_STRING, 0, 0, 0, RESOLVE_NAME },
	{ "resolve_timeout", KIND_NUMBER, 0, 0, 0, DEFAULT_RESOLVE_TIMEOUT },
	{ "resolve_cache_ttl", KIND_INT, 0, 0, 86400, DEFAULT_RESOLVE_CACHE_TTL },
	{ "proxy_protocol", KIND_STRING, 0, 0, 0, 0 },
	{ "proxy_trusted", KIND_STRINGS, 0, 0, 0, 0 },
	{ "proxy_timeout", KIND_NUMBER, 0, 0, 0, DEFAULT_PROXY_TIMEOUT },
};

/* Environment names acceptd sets for exec, or that must never reach a child. */
static const char *const env_reserved[] = {
	"PROTO",	   "TCPLOCALIP",    "TCPLOCALPORT", "TCPREMOTEIP",
	"TCPREMOTEPORT",   "TCPREMOTEHOST", "REMOTE_ADDR",  "REMOTE_PORT",
	"ACCEPTD_SERVICE", "NOTIFY_SOCKET", "LISTEN_FDS",   "LISTEN_PID",
	"LISTEN_FDNAMES",  "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM",
};

static const char *const log_conn_names[] = {
	[LOG_CONN_BOTH] = "both",
	[LOG_CONN_END] = "end",
	[LOG_CONN_NONE] = "none",
};

/* A group being checked: its setting (NULL when absent), its keys, and how messages name it. */
struct sect {
	const config_setting_t *s;
	const struct key *keys;
	size_t nkeys;
	char label[LABEL_MAX]; /* "", "daemon", "services[echo]" or "services[#2]" */
};

/* A parsed listen entry and where it was written, for the conflict check. */
struct listen_src {
	size_t svc; /* index in conf->services */
	size_t idx; /* index in that service's listen array */
	const config_setting_t *s;
};

static void strings_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* State of one conf_load() call. Settings point into the config_t, alive until the end. */
struct ctx {
	const char *path;   /* main file, as given */
	const char *incdir; /* where libconfig opens @include files; NULL: the cwd */
	struct conf_errors *errs;
	size_t nerr; /* problems this call found */
	int nomem;
	int read_errno;	   /* why the main file could not be read, or 0 */
	size_t dropped;	   /* errors past CONF_ERRORS_MAX, counted only */
	size_t scanned;	   /* bytes the pre-scan has read, over every inclusion */
	unsigned includes; /* @include directives the pre-scan has followed */
	struct listen_src *ls;
	size_t nls, als;		/* entries in ls, and room for */
	const config_setting_t **names; /* per service: its name, when valid and unique */
	size_t *name_slot;		/* hash of the valid names: index + 1, 0 when free */
	size_t name_mask;	 /* slots - 1 (a power of two, at least twice the services) */
	const struct conf *conf; /* being built: services see the daemon settings */
};

/* Append MSG (taken over; NULL means out of memory). */
static void errs_push(struct ctx *c, char *msg)
{
	char **v;

	if (!msg) {
		c->nomem = 1;
		return;
	}
	v = realloc(c->errs->msg, (c->errs->n + 1) * sizeof(*v));
	if (!v) {
		free(msg);
		c->nomem = 1;
		return;
	}
	v[c->errs->n++] = msg;
	c->errs->msg = v;
}

/* A problem found: kept up to CONF_ERRORS_MAX, counted beyond. */
static void errs_add(struct ctx *c, char *msg)
{
	c->nerr++;
	/* One mistake repeated a million times must not cost a message (and memory) each. */
	if (msg && c->nerr > CONF_ERRORS_MAX) {
		free(msg);
		c->dropped++;
		return;
	}
	errs_push(c, msg);
}

/*
 * "FILE:LINE". libconfig names an included file as written in @include, but
 * opens it under the include dir (even when absolute), so name it that way.
 */
static char *loc_new(const struct ctx *c, const char *file, unsigned line)
{
	const char *sep;
	char *loc;
	int rc;

	if (!file)
		file = c->path;
	/* The root group has line 0: point at the top of the file. */
	if (line == 0)
		line = 1;
	if (c->incdir && strcmp(file, c->path) != 0) {
		sep = c->incdir[strlen(c->incdir) - 1] == '/' ? "" : "/";
		rc = asprintf(&loc, "%s%s%s:%u", c->incdir, sep, file, line);
	} else {
		rc = asprintf(&loc, "%s:%u", file, line);
	}
	return rc < 0 ? NULL : loc;
}

static char *loc_setting(const struct ctx *c, const config_setting_t *s)
{
	return loc_new(c, config_setting_source_file(s), config_setting_source_line(s));
}

/* Append "FILE:LINE: LABEL.KEY: message" for setting S; LABEL or KEY may be NULL or "". */
static void __attribute__((format(printf, 5, 6)))
conf_error(struct ctx *c, const config_setting_t *s, const char *label, const char *key,
	   const char *fmt, ...)
{
	char *loc, *msg = NULL, *line = NULL;
	int has_label = label && *label, has_key = key && *key;
	va_list ap;
	int rc;

	/* Past the limit only the count is kept: do not format what is dropped. */
	if (c->nerr >= CONF_ERRORS_MAX) {
		errs_add(c, strdup(""));
		return;
	}
	loc = loc_setting(c, s);
	if (!loc)
		goto fail;
	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		msg = NULL;
		goto fail;
	}
	if (asprintf(&line, "%s: %s%s%s: %s", loc, has_label ? label : "",
		     has_label && has_key ? "." : "", has_key ? key : "", msg) < 0)
		line = NULL;
fail:
	/* errs_add() takes a NULL line as out of memory. */
	errs_add(c, line);
	free(msg);
	free(loc);
}

/* Length of the valid UTF-8 sequence at S (1-4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
	/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/*
 * A user's string fit to quote in one message line: control bytes and bytes
 * that are not UTF-8 become '?' (a message may reach the journal, whose text
 * is UTF-8), long ones are cut.
 */
static const char *show(const char *s, char *buf, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, n;

	while (u[i] && o < len - 1) {
		n = utf8_len(u + i);
		if (n > 1 && o + n < len) {
			memcpy(buf + o, s + i, n);
			o += n;
			i += n;
			continue;
		}
		if (n > 1)
			break; /* a character that does not fit: cut before it */
		buf[o++] = n == 0 || u[i] < 32 || u[i] == 127 ? '?' : s[i];
		i++;
	}
	buf[o] = '\0';
	if (u[i] && len > 4) {
		/* Cut at a character boundary, then mark the cut. */
		o = o < len - 4 ? o : len - 4;
		while (o > 0 && (buf[o] & 0xc0) == 0x80)
			o--;
		memcpy(buf + o, "...", 4);
	}
	return buf;
}

/* The value of string setting S; never NULL, whatever libconfig keeps for "". */
static const char *setting_str(const config_setting_t *s)
{
	const char *v = config_setting_get_string(s);

	return v ? v : "";
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "nothing";
	}
}

static int kind_match(enum kind kind, int type)
{
	switch (kind) {
	case KIND_INT:
		return type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
	case KIND_STRING:
		return type == CONFIG_TYPE_STRING;
	case KIND_STRINGS:
	case KIND_GROUPS:
		return type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST;
	case KIND_GROUP:
		return type == CONFIG_TYPE_GROUP;
	case KIND_BOOL:
		return type == CONFIG_TYPE_BOOL;
	case KIND_NUMBER:
		return type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64 ||
		       type == CONFIG_TYPE_FLOAT;
	}
	return 0;
}

static const char *kind_name(enum kind kind)
{
	switch (kind) {
	case KIND_INT:
		return "an integer";
	case KIND_STRING:
		return "a string";
	case KIND_STRINGS:
		return "an array of strings";
	case KIND_GROUP:
		return "a group";
	case KIND_GROUPS:
		return "a list of groups";
	case KIND_BOOL:
		return "true or false";
	case KIND_NUMBER:
		return "a number";
	}
	return "?";
}

/* NAME's entry in G's table; NAME is always one of ours. */
static const struct key *group_key(const struct sect *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->nkeys; i++)
		if (strcmp(g->keys[i].name, name) == 0)
			return &g->keys[i];
	return NULL;
}

static int group_default(const struct sect *g, const char *name)
{
	const struct key *k = group_key(g, name);

	return k ? k->def : 0;
}

/* A typo must not be ignored silently: every member must be in the table. */
static void group_check_unknown(struct ctx *c, const struct sect *g)
{
	const config_setting_t *m;
	const char *name;
	int i, n;

	if (!g->s)
		return;
	n = config_setting_length(g->s);
	for (i = 0; i < n; i++) {
		m = config_setting_get_elem(g->s, (unsigned)i);
		name = config_setting_name(m);
		if (name && !group_key(g, name))
			conf_error(c, m, g->label, name, "unknown key");
	}
}

/*
 * The member NAME of G if present and of the right type, else NULL. libconfig's
 * lookups cannot tell missing from mistyped, so look at the member itself.
 */
static const config_setting_t *group_get(struct ctx *c, const struct sect *g, const char *name)
{
	const struct key *k = group_key(g, name);
	const config_setting_t *s;

	if (!k || !g->s)
		return NULL;
	s = config_setting_get_member(g->s, name);
	if (!s) {
		if (k->required)
			conf_error(c, g->s, g->label, name, "missing required key");
		return NULL;
	}
	if (!kind_match(k->kind, config_setting_type(s))) {
		conf_error(c, s, g->label, name, "expected %s, got %s", kind_name(k->kind),
			   type_name(config_setting_type(s)));
		return NULL;
	}
	return s;
}

/* Integer NAME of G into *OUT (default when absent). Returns 1 if set, 0 if absent, -1 if bad. */
static int group_int(struct ctx *c, const struct sect *g, const char *name, int *out)
{
	const struct key *k = group_key(g, name);
	const config_setting_t *s;
	long long v;

	if (!k)
		return -1;
	*out = k->def;
	if (!g->s || !config_setting_get_member(g->s, name))
		return 0;
	s = group_get(c, g, name);
	if (!s)
		return -1;
	if (config_setting_type(s) == CONFIG_TYPE_INT64)
		v = config_setting_get_int64(s);
	else
		v = config_setting_get_int(s);
	if (v < k->min || v > k->max) {
		conf_error(c, s, g->label, name, "%lld is out of range (%lld-%lld)", v, k->min,
			   k->max);
		return -1;
	}
	*out = (int)v;
	return 1;
}

static int id_parse(const char *s, int is_group, unsigned *id, gid_t *primary);

static void daemon_load(struct ctx *c, const config_setting_t *s, struct conf *conf)
{
	struct sect g = { s, daemon_keys, ARRAY_SIZE(daemon_keys), "daemon" };
	char buf[SHOW_MAX];
	const config_setting_t *v;
	const char *str;
	int i;

	group_check_unknown(c, &g);
	group_int(c, &g, "max_connections", &conf->max_connections);
	group_int(c, &g, "shutdown_timeout", &conf->shutdown_timeout);
	group_int(c, &g, "spares", &conf->spares);

	conf->log_level = group_default(&g, "log_level");
	v = group_get(c, &g, "log_level");
	if (v) {
		str = setting_str(v);
		i = log_level_parse(str);
		if (i < 0)
			conf_error(c, v, g.label, "log_level",
				   "\"%s\" is not one of debug, info, notice, warning, err",
				   show(str, buf, sizeof(buf)));
		else
			conf->log_level = i;
	}

	conf->log_connections = group_default(&g, "log_connections");
	v = group_get(c, &g, "log_connections");
	if (v) {
		str = setting_str(v);
		for (i = 0; i < (int)ARRAY_SIZE(log_conn_names); i++)
			if (strcmp(str, log_conn_names[i]) == 0)
				break;
		if (i == (int)ARRAY_SIZE(log_conn_names))
			conf_error(c, v, g.label, "log_connections",
				   "\"%s\" is not one of both, end, none",
				   show(str, buf, sizeof(buf)));
		else
			conf->log_connections = i;
	}

	v = group_get(c, &g, "pidfile");
	if (v) {
		str = setting_str(v);
		/* The daemon may chdir("/"); a relative path would then mean something else. */
		if (str[0] != '/') {
			conf_error(c, v, g.label, "pidfile", "\"%s\" is not an absolute path",
				   show(str, buf, sizeof(buf)));
		} else {
			conf->pidfile = strdup(str);
			if (!conf->pidfile)
				c->nomem = 1;
		}
	}

	v = group_get(c, &g, "user");
	if (v) {
		unsigned id;
		gid_t primary = 0;

		if (id_parse(setting_str(v), 0, &id, &primary) < 0) {
			conf_error(c, v, g.label, "user", "unknown user \"%s\"",
				   show(setting_str(v), buf, sizeof(buf)));
		} else {
			conf->has_user = 1;
			conf->uid = id;
			conf->gid = primary;
			if (geteuid() != 0 && (conf->uid != geteuid() || conf->gid != getegid()))
				conf_error(c, v, g.label, "user",
					   "acceptd runs as uid %u and cannot switch to uid %u",
					   (unsigned)geteuid(), (unsigned)conf->uid);
		}
	}
}

/* FNV-1a: names are short and chosen by the administrator, not by clients. */
static size_t name_hash(const char *s)
{
	size_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Check the name; when it is valid and unique, store it and name the service by it from now on. */
static void service_name(struct ctx *c, struct sect *g, struct conf *conf, size_t idx)
{
	struct service *sv = &conf->services[idx];
	const config_setting_t *v;
	char buf[SHOW_MAX], *first;
	const char *name;
	size_t i, len, slot;

	v = group_get(c, g, "name");
	if (!v)
		return;
	name = setting_str(v);
	len = strlen(name);
	if (len == 0) {
		conf_error(c, v, g->label, "name", "must not be empty");
		return;
	}
	if (len > SERVICE_NAME_MAX) {
		conf_error(c, v, g->label, "name", "too long (%zu characters, at most %d)", len,
			   SERVICE_NAME_MAX);
		return;
	}
	if (name[strspn(name, NAME_CHARS)]) {
		conf_error(c, v, g->label, "name", "\"%s\" may only contain A-Z a-z 0-9 _ . -",
			   show(name, buf, sizeof(buf)));
		return;
	}
	/* A hash, not a scan of the services before: thousands of services stay O(n). */
	for (slot = name_hash(name) & c->name_mask; c->name_slot[slot];
	     slot = (slot + 1) & c->name_mask) {
		i = c->name_slot[slot] - 1;
		if (strcmp(conf->services[i].name, name) != 0)
			continue;
		first = loc_setting(c, c->names[i]);
		if (!first) {
			c->nomem = 1;
			return;
		}
		conf_error(c, v, g->label, "name", "duplicate service name \"%s\" (first at %s)",
			   name, first);
		free(first);
		return;
	}
	memcpy(sv->name, name, len + 1);
	c->names[idx] = v;
	c->name_slot[slot] = idx + 1;
	snprintf(g->label, sizeof(g->label), "services[%s]", name);
}

/* Parse the listen entries; returns the first valid one without a port, or NULL. */
static const config_setting_t *service_listen(struct ctx *c, const struct sect *g,
					      struct conf *conf, size_t idx)
{
	struct service *sv = &conf->services[idx];
	const config_setting_t *v, *e, *noport = NULL;
	struct listen_src *ls;
	char buf[SHOW_MAX];
	const char *str;
	int i, n, has_port;
	size_t cap;

	v = group_get(c, g, "listen");
	if (!v)
		return NULL;
	n = config_setting_length(v);
	if (n == 0) {
		conf_error(c, v, g->label, "listen", "must not be empty");
		return NULL;
	}
	sv->listen = calloc((size_t)n, sizeof(*sv->listen));
	if (!sv->listen) {
		c->nomem = 1;
		return NULL;
	}
	/* Doubling: growing by one service at a time copies O(n^2) bytes over 10,000 services. */
	if (c->nls + (size_t)n > c->als) {
		cap = c->als ? c->als : 16;
		while (cap < c->nls + (size_t)n)
			cap *= 2;
		ls = realloc(c->ls, cap * sizeof(*ls));
		if (!ls) {
			c->nomem = 1;
			return NULL;
		}
		c->ls = ls;
		c->als = cap;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(v, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			conf_error(c, e, g->label, "listen", "expected a string, got %s",
				   type_name(config_setting_type(e)));
			continue;
		}
		str = setting_str(e);
		if (addr_parse(str, &sv->listen[sv->nlisten], &has_port) < 0) {
			conf_error(c, e, g->label, "listen", "\"%s\" " BAD_ADDR,
				   show(str, buf, sizeof(buf)));
			continue;
		}
		if (!has_port && !noport)
			noport = e;
		c->ls[c->nls].svc = idx;
		c->ls[c->nls].idx = sv->nlisten;
		c->ls[c->nls].s = e;
		c->nls++;
		sv->nlisten++;
	}
	return noport;
}

/*
 * A NULL-terminated copy of the strings in array or list V, or NULL (with
 * an error for each element that is not a string, or nomem set).
 */
static char **strings_copy(struct ctx *c, const struct sect *g, const char *key,
			   const config_setting_t *v)
{
	const config_setting_t *e;
	int i, n = config_setting_length(v), bad = 0;
	char **out;

	out = calloc((size_t)n + 1, sizeof(*out));
	if (!out) {
		c->nomem = 1;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(v, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			conf_error(c, e, g->label, key, "expected a string, got %s",
				   type_name(config_setting_type(e)));
			bad = 1;
			continue;
		}
		out[i] = strdup(setting_str(e));
		if (!out[i])
			c->nomem = 1;
	}
	if (bad || c->nomem) {
		strings_free(out);
		return NULL;
	}
	return out;
}

/* exec and env; exactly one of builtin and exec. */
static void service_exec(struct ctx *c, const struct sect *g, struct service *sv)
{
	const config_setting_t *v, *b;
	char buf[SHOW_MAX];
	struct stat st;
	size_t i, j, n;

	v = group_get(c, g, "exec");
	b = config_setting_get_member(g->s, "builtin");
	if (v && b)
		conf_error(c, v, g->label, "exec", "a service has builtin or exec, not both");
	else if (!v && !b && !config_setting_get_member(g->s, "exec"))
		conf_error(c, g->s, g->label, "builtin",
			   "missing required key (a service needs builtin or exec)");
	if (v) {
		if (config_setting_length(v) == 0) {
			conf_error(c, v, g->label, "exec", "must not be empty");
		} else if ((sv->argv = strings_copy(c, g, "exec", v))) {
			/* No shell and no PATH search: the program is named exactly. */
			if (sv->argv[0][0] != '/')
				conf_error(c, v, g->label, "exec", "\"%s\" is not an absolute path",
					   show(sv->argv[0], buf, sizeof(buf)));
			else if (stat(sv->argv[0], &st) < 0)
				conf_error(c, v, g->label, "exec", "\"%s\": %s",
					   show(sv->argv[0], buf, sizeof(buf)), strerror(errno));
			else if (!S_ISREG(st.st_mode) || access(sv->argv[0], X_OK) < 0)
				conf_error(c, v, g->label, "exec",
					   "\"%s\" is not an executable file",
					   show(sv->argv[0], buf, sizeof(buf)));
		}
	}

	v = group_get(c, g, "env");
	if (!v)
		return;
	if (!sv->argv && !config_setting_get_member(g->s, "exec"))
		conf_error(c, v, g->label, "env", "only an exec service has an environment");
	sv->env = strings_copy(c, g, "env", v);
	for (i = 0; sv->env && sv->env[i]; i++) {
		const char *e = sv->env[i];

		n = strspn(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
		if (n == 0 || e[n] != '=' || (e[0] >= '0' && e[0] <= '9')) {
			conf_error(c, v, g->label, "env", "\"%s\" is not NAME=value",
				   show(e, buf, sizeof(buf)));
			continue;
		}
		for (j = 0; j < ARRAY_SIZE(env_reserved); j++)
			if (strlen(env_reserved[j]) == n && strncmp(e, env_reserved[j], n) == 0)
				conf_error(c, v, g->label, "env", "%s is set by acceptd",
					   env_reserved[j]);
	}
}

/* A user or group given by name or number; returns 0 and sets *ID, or -1. */
static int id_parse(const char *s, int is_group, unsigned *id, gid_t *primary)
{
	struct passwd *pw;
	struct group *gr;
	unsigned long v;
	char *end;

	if (*s >= '0' && *s <= '9') {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || *end || v >= (unsigned long)(uid_t)-1)
			return -1;
		*id = (unsigned)v;
		if (!is_group) {
			pw = getpwuid((uid_t)v);
			*primary = pw ? pw->pw_gid : (gid_t)v;
		}
		return 0;
	}
	if (is_group) {
		gr = getgrnam(s);
		if (!gr)
			return -1;
		*id = gr->gr_gid;
		return 0;
	}
	pw = getpwnam(s);
	if (!pw)
		return -1;
	*id = pw->pw_uid;
	*primary = pw->pw_gid;
	return 0;
}

/* user and group: looked up now, so -t catches a typo and the child needs no NSS. */
static void service_user(struct ctx *c, const struct sect *g, struct service *sv)
{
	const config_setting_t *u, *gr;
	char buf[SHOW_MAX];
	unsigned id;
	gid_t primary = 0;

	u = group_get(c, g, "user");
	gr = group_get(c, g, "group");
	if (gr && !u && !config_setting_get_member(g->s, "user")) {
		conf_error(c, gr, g->label, "group", "needs user as well");
		return;
	}
	if (!u)
		return;
	if (id_parse(setting_str(u), 0, &id, &primary) < 0) {
		conf_error(c, u, g->label, "user", "unknown user \"%s\"",
			   show(setting_str(u), buf, sizeof(buf)));
		return;
	}
	sv->uid = id;
	sv->gid = primary;
	if (gr) {
		if (id_parse(setting_str(gr), 1, &id, &primary) < 0) {
			conf_error(c, gr, g->label, "group", "unknown group \"%s\"",
				   show(setting_str(gr), buf, sizeof(buf)));
			return;
		}
		sv->gid = id;
	}
	sv->has_user = 1;
	/* Once daemon.user has dropped the parent's privileges, its children cannot switch. */
	if (c->conf->has_user && c->conf->uid != 0 &&
	    (sv->uid != c->conf->uid || sv->gid != c->conf->gid))
		conf_error(
			c, u, g->label, "user",
			"daemon.user (uid %u gid %u) leaves no privilege to switch to uid %u gid %u",
			(unsigned)c->conf->uid, (unsigned)c->conf->gid, (unsigned)sv->uid,
			(unsigned)sv->gid);
	/* Only root can switch; anyone can "switch" to what it already is. */
	else if (geteuid() != 0 && (sv->uid != geteuid() || sv->gid != getegid()))
		conf_error(c, u, g->label, "user",
			   "acceptd runs as uid %u and cannot switch to uid %u gid %u",
			   (unsigned)geteuid(), (unsigned)sv->uid, (unsigned)sv->gid);
}

/* A CIDR list into *OUT / *N; every bad entry is reported. */
static void service_cidrs(struct ctx *c, const struct sect *g, const char *key, struct cidr **out,
			  size_t *n)
{
	const config_setting_t *v, *e;
	char buf[SHOW_MAX];
	const char *str;
	int i, len;

	v = group_get(c, g, key);
	if (!v)
		return;
	len = config_setting_length(v);
	*out = calloc(len ? (size_t)len : 1, sizeof(**out));
	if (!*out) {
		c->nomem = 1;
		return;
	}
	for (i = 0; i < len; i++) {
		e = config_setting_get_elem(v, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			conf_error(c, e, g->label, key, "expected a string, got %s",
				   type_name(config_setting_type(e)));
			continue;
		}
		str = setting_str(e);
		if (acl_parse(str, &(*out)[*n]) == 0)
			(*n)++;
		else if (errno == EDOM)
			conf_error(c, e, g->label, key,
				   "\"%s\" has bits set after the prefix length (a typo?)",
				   show(str, buf, sizeof(buf)));
		else
			conf_error(c, e, g->label, key,
				   "\"%s\" is not an address or ADDRESS/PREFIX block",
				   show(str, buf, sizeof(buf)));
	}
}

/* A number setting (integer or float) as a double. */
static double setting_number(const config_setting_t *v)
{
	return config_setting_type(v) == CONFIG_TYPE_FLOAT ? config_setting_get_float(v) :
							     (double)config_setting_get_int64(v);
}

/*
 * A duration KEY of G in seconds (integer or float), MIN to 60, into *MS as
 * milliseconds; the default when absent. MIN_TEXT is MIN as the message shows it.
 */
static void group_msec(struct ctx *c, const struct sect *g, const char *key, double min,
		       const char *min_text, int *ms)
{
	const config_setting_t *v;
	double secs;

	*ms = group_default(g, key);
	v = group_get(c, g, key);
	if (!v)
		return;
	secs = setting_number(v);
	if (!(secs >= min && secs <= 60.0))
		conf_error(c, v, g->label, key, "%.10g is out of range (%s-60 seconds)", secs,
			   min_text);
	else
		*ms = (int)(secs * 1000.0 + 0.5);
}

/* resolve, resolve_timeout, resolve_cache_ttl. */
static void service_resolve(struct ctx *c, const struct sect *g, struct service *sv)
{
	const config_setting_t *v;
	char buf[SHOW_MAX];
	int mode;

	sv->resolve = group_default(g, "resolve");
	v = group_get(c, g, "resolve");
	if (v) {
		mode = peer_resolve_parse(setting_str(v));
		if (mode < 0)
			conf_error(c, v, g->label, "resolve",
				   "\"%s\" is not one of none, name, confirmed",
				   show(setting_str(v), buf, sizeof(buf)));
		else
			sv->resolve = mode;
	}
	group_msec(c, g, "resolve_timeout", 0.001, "0.001", &sv->resolve_timeout);
	group_int(c, g, "resolve_cache_ttl", &sv->resolve_cache_ttl);
}

/* proxy_protocol, proxy_trusted, proxy_timeout. */
static void service_proxy(struct ctx *c, const struct sect *g, struct service *sv)
{
	const config_setting_t *v;
	char buf[SHOW_MAX];
	int mode, proxy_off;

	/* Only a valid "off" (or none) makes proxy_trusted pointless; a typo is reported once. */
	proxy_off = !config_setting_get_member(g->s, "proxy_protocol");
	v = group_get(c, g, "proxy_protocol");
	if (v) {
		mode = proxy_mode_parse(setting_str(v));
		proxy_off = mode == 0;
		if (mode < 0)
			conf_error(c, v, g->label, "proxy_protocol",
				   "\"%s\" is not one of off, v1, v2, any",
				   show(setting_str(v), buf, sizeof(buf)));
		else
			sv->proxy = mode;
	}
	service_cidrs(c, g, "proxy_trusted", &sv->proxy_trusted, &sv->nproxy_trusted);
	v = config_setting_get_member(g->s, "proxy_trusted");
	/* The spec forbids guessing: without trusted sources no header may be read. */
	if (sv->proxy && !v)
		conf_error(c, config_setting_get_member(g->s, "proxy_protocol"), g->label,
			   "proxy_trusted", "missing required key (proxy_protocol needs it)");
	else if (v && !sv->proxy && proxy_off)
		conf_error(c, v, g->label, "proxy_trusted", "needs proxy_protocol other than off");
	else if (v && config_setting_length(v) == 0 &&
		 (config_setting_type(v) == CONFIG_TYPE_ARRAY ||
		  config_setting_type(v) == CONFIG_TYPE_LIST))
		conf_error(c, v, g->label, "proxy_trusted", "must not be empty");
	group_msec(c, g, "proxy_timeout", 0.1, "0.1", &sv->proxy_timeout);
}

/* v6only, access control and limits. */
static void service_limits(struct ctx *c, const struct sect *g, struct service *sv)
{
	const config_setting_t *v;
	int burst;

	sv->v6only = group_default(g, "v6only");
	v = group_get(c, g, "v6only");
	if (v)
		sv->v6only = config_setting_get_bool(v);
	service_cidrs(c, g, "allow", &sv->allow, &sv->nallow);
	service_cidrs(c, g, "deny", &sv->deny, &sv->ndeny);
	group_int(c, g, "max_connections", &sv->max_connections);
	group_int(c, g, "max_per_source", &sv->max_per_source);
	if (group_int(c, g, "idle_timeout", &sv->idle_timeout) > 0 && sv->idle_timeout > 0 &&
	    config_setting_get_member(g->s, "exec"))
		/* An exec'd program owns its socket; acceptd cannot watch it. */
		conf_error(c, config_setting_get_member(g->s, "idle_timeout"), g->label,
			   "idle_timeout", "only a builtin service has an idle timeout");

	v = group_get(c, g, "rate");
	if (v) {
		sv->rate = setting_number(v);
		if (!(sv->rate >= 0.001 && sv->rate <= 1000000.0)) {
			conf_error(c, v, g->label, "rate", "%.10g is out of range (0.001-1000000)",
				   sv->rate);
			sv->rate = 0;
		}
	}
	/* The default burst lets one second's worth through at once. */
	if (group_int(c, g, "burst", &burst) > 0) {
		sv->burst = burst;
		if (!config_setting_get_member(g->s, "rate"))
			conf_error(c, config_setting_get_member(g->s, "burst"), g->label, "burst",
				   "needs rate as well");
	} else {
		sv->burst = (double)(long long)sv->rate;
		if (sv->burst < sv->rate)
			sv->burst += 1.0;
		if (sv->burst < 1.0)
			sv->burst = 1.0;
	}
}

static void service_load(struct ctx *c, const config_setting_t *s, struct conf *conf, size_t idx)
{
	struct sect g = { s, service_keys, ARRAY_SIZE(service_keys), "" };
	struct service *sv = &conf->services[idx];
	const config_setting_t *v, *noport;
	char buf[SHOW_MAX], known[128];
	const char *str;
	size_t i, len;
	int port, b;

	sv->builtin = -1;
	snprintf(g.label, sizeof(g.label), "services[#%zu]", idx + 1);
	service_name(c, &g, conf, idx);
	group_check_unknown(c, &g);
	noport = service_listen(c, &g, conf, idx);

	/* addr_parse() never gives port 0 with a port, so 0 means "take the service's". */
	if (group_int(c, &g, "port", &port) > 0) {
		sv->port = (unsigned)port;
		for (i = 0; i < sv->nlisten; i++)
			if (!addr_port(&sv->listen[i]))
				addr_set_port(&sv->listen[i], sv->port);
	} else if (noport && !config_setting_get_member(s, "port")) {
		conf_error(c, s, g.label, "port",
			   "missing required key (listen entry \"%s\" has no port)",
			   show(setting_str(noport), buf, sizeof(buf)));
	}

	group_int(c, &g, "backlog", &sv->backlog);

	v = group_get(c, &g, "builtin");
	if (v) {
		str = setting_str(v);
		b = builtin_find(str);
		if (b < 0) {
			known[0] = '\0';
			for (b = 0; b < BUILTIN_MAX; b++) {
				len = strlen(known);
				snprintf(known + len, sizeof(known) - len, "%s%s", b ? ", " : "",
					 builtin_name(b));
			}
			conf_error(c, v, g.label, "builtin",
				   "\"%s\" is not a known builtin (known: %s)",
				   show(str, buf, sizeof(buf)), known);
		} else {
			sv->builtin = b;
		}
	}
	service_exec(c, &g, sv);
	service_user(c, &g, sv);
	service_limits(c, &g, sv);
	service_resolve(c, &g, sv);
	service_proxy(c, &g, sv);
}

static void services_load(struct ctx *c, const config_setting_t *s, struct conf *conf)
{
	const config_setting_t *e;
	char label[LABEL_MAX];
	int i, n;

	n = config_setting_length(s);
	if (n == 0) {
		conf_error(c, s, NULL, "services", "must not be empty");
		return;
	}
	conf->services = calloc((size_t)n, sizeof(*conf->services));
	c->names = calloc((size_t)n, sizeof(*c->names));
	for (c->name_mask = 1; c->name_mask < 2 * (size_t)n; c->name_mask *= 2)
		;
	c->name_slot = calloc(c->name_mask, sizeof(*c->name_slot));
	c->name_mask--;
	if (!conf->services || !c->names || !c->name_slot) {
		c->nomem = 1;
		return;
	}
	conf->nservices = (size_t)n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			snprintf(label, sizeof(label), "services[#%d]", i + 1);
			conf_error(c, e, label, NULL, "expected a group, got %s",
				   type_name(config_setting_type(e)));
			continue;
		}
		service_load(c, e, conf, (size_t)i);
	}
}

/* "services[echo]" or "services[#2]", as messages name service I. */
static const char *service_label(const struct conf *conf, size_t i, char *buf, size_t len)
{
	if (conf->services[i].name[0])
		snprintf(buf, len, "services[%s]", conf->services[i].name);
	else
		snprintf(buf, len, "services[#%zu]", i + 1);
	return buf;
}

/* A listen entry as the conflict check sorts it: equal keys are the same address:port. */
struct listen_key {
	unsigned port;
	int family;
	int any;		/* 0.0.0.0 or :: */
	unsigned char host[16]; /* the address, IPv4 in the first 4 bytes */
	uint32_t scope;		/* IPv6 scope id */
	size_t ls;		/* index in ctx.ls: the order the entries were written */
};

static void listen_key_fill(struct listen_key *k, const struct addr *a, size_t ls)
{
	memset(k, 0, sizeof(*k));
	k->port = addr_port(a);
	k->family = a->u.sa.sa_family;
	k->any = addr_is_any(a);
	if (k->family == AF_INET) {
		memcpy(k->host, &a->u.in4.sin_addr, 4);
	} else {
		memcpy(k->host, &a->u.in6.sin6_addr, 16);
		k->scope = a->u.in6.sin6_scope_id;
	}
	k->ls = ls;
}

/* By port, family, address, scope, then as written: a run of equal addresses starts with its first. */
static int listen_key_cmp(const void *pa, const void *pb)
{
	const struct listen_key *a = pa, *b = pb;
	int d;

	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	d = memcmp(a->host, b->host, sizeof(a->host));
	if (d)
		return d;
	if (a->scope != b->scope)
		return a->scope < b->scope ? -1 : 1;
	return a->ls < b->ls ? -1 : a->ls > b->ls;
}

/* One address:port (family, address, scope; the port is compared by the caller). */
static int listen_key_same(const struct listen_key *a, const struct listen_key *b)
{
	return a->family == b->family && a->scope == b->scope &&
	       memcmp(a->host, b->host, sizeof(a->host)) == 0;
}

#define NONE ((size_t)-1)

static size_t min_idx(size_t a, size_t b)
{
	return a < b ? a : b;
}

/*
 * For each entry J, the first entry I < J (as written) that claims the same
 * address:port: an equal address, a wildcard of its family on its port, or
 * (any of them) a dual-stack "::" and an IPv4 address on one port. That is
 * what comparing every pair gives, but sorted by port: a config with
 * thousands of services is checked in O(n log n), not O(n^2). Fills
 * FIRST[J] (NONE when J conflicts with nothing written before it).
 */
static int conflicts_find(const struct ctx *c, const struct conf *conf, size_t *first)
{
	struct listen_key *k;
	size_t n = 0, i, j, start, end, all[2], wild[2], dual, eq = NONE;
	int f;

	k = calloc(c->nls ? c->nls : 1, sizeof(*k));
	if (!k)
		return -1;
	for (j = 0; j < c->nls; j++) {
		first[j] = NONE;
		listen_key_fill(&k[n], &conf->services[c->ls[j].svc].listen[c->ls[j].idx], j);
		/* Port 0: the entry's port is missing, already reported; it conflicts with nothing. */
		if (k[n].port)
			n++;
	}
	qsort(k, n, sizeof(*k), listen_key_cmp);
	for (start = 0; start < n; start = end) {
		/* One port: the first entry of each family, of each wildcard, of each dual-stack "::". */
		all[0] = all[1] = wild[0] = wild[1] = dual = NONE;
		for (end = start; end < n && k[end].port == k[start].port; end++) {
			f = k[end].family == AF_INET6;
			all[f] = min_idx(all[f], k[end].ls);
			if (k[end].any) {
				wild[f] = min_idx(wild[f], k[end].ls);
				if (f && !conf->services[c->ls[k[end].ls].svc].v6only)
					dual = min_idx(dual, k[end].ls);
			}
		}
		for (i = start; i < end; i++) {
			j = k[i].ls;
			f = k[i].family == AF_INET6;
			/* The first of a run of equal addresses; later ones conflict with it. */
			if (i == start || !listen_key_same(&k[i - 1], &k[i]))
				eq = j;
			first[j] = eq;
			first[j] = min_idx(first[j], k[i].any ? all[f] : wild[f]);
			if (!f)
				first[j] = min_idx(first[j], dual);
			else if (k[i].any && !conf->services[c->ls[j].svc].v6only)
				first[j] = min_idx(first[j], all[0]);
			/* Only entries written before J count; every candidate above is a minimum. */
			if (first[j] >= j)
				first[j] = NONE;
		}
	}
	free(k);
	return 0;
}

/* No two entries, in one service or across services, may claim one address:port. */
static void conflicts_check(struct ctx *c, const struct conf *conf)
{
	char label[LABEL_MAX], other[LABEL_MAX], sa[ADDR_STRLEN], sb[ADDR_STRLEN], *loc;
	const struct addr *a, *b;
	const struct service *sv;
	size_t i, j, *first;

	first = calloc(c->nls ? c->nls : 1, sizeof(*first));
	if (!first || conflicts_find(c, conf, first) < 0) {
		free(first);
		c->nomem = 1;
		return;
	}
	for (j = 0; j < c->nls; j++) {
		i = first[j];
		if (i == NONE)
			continue;
		b = &conf->services[c->ls[j].svc].listen[c->ls[j].idx];
		sv = &conf->services[c->ls[i].svc];
		a = &sv->listen[c->ls[i].idx];
		loc = loc_setting(c, c->ls[i].s);
		if (!loc) {
			c->nomem = 1;
			break;
		}
		if (sv->name[0])
			snprintf(other, sizeof(other), "\"%s\"", sv->name);
		else
			snprintf(other, sizeof(other), "#%zu", c->ls[i].svc + 1);
		conf_error(c, c->ls[j].s, service_label(conf, c->ls[j].svc, label, sizeof(label)),
			   "listen", "%s conflicts with %s of service %s (%s)",
			   addr_format(b, sb, sizeof(sb)), addr_format(a, sa, sizeof(sa)), other,
			   loc);
		free(loc);
	}
	free(first);
}

/*
 * The pre-scan: every file libconfig is going to read, checked first for
 * what libconfig 1.5 handles badly. It hangs opening a FIFO and exits the
 * whole process ("input in flex scanner failed") on an @include of a
 * directory; its scanner rescans a token from its start at every 8 KiB read,
 * so one long string, comment or run of blanks takes quadratic time (a 10 MB
 * string: minutes), as does a group with many settings (each new one is
 * compared with all before it); a NUL byte in a string or a "\x00" escape
 * silently cuts the string short; and an integer without the L suffix is
 * silently truncated to 32 bits (4294967303 reads as 7). The scan follows
 * @include exactly as libconfig does (the include dir joined with the name
 * as written, 10 deep at most), so it reads what libconfig will read.
 */
struct scan {
	const char *file; /* as messages name it: the path given, or an @include name */
	const char *p, *end;
	unsigned line;
	int depth;    /* of @include */
	char key[48]; /* the last setting name, for messages */
};

static void __attribute__((format(printf, 4, 5)))
scan_error(struct ctx *c, const struct scan *sc, unsigned line, const char *fmt, ...)
{
	char *loc, *msg = NULL, *out = NULL;
	va_list ap;
	int rc;

	loc = loc_new(c, sc->file, line);
	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0)
		msg = NULL;
	if (loc && msg && asprintf(&out, "%s: %s", loc, msg) < 0)
		out = NULL;
	errs_add(c, out);
	free(msg);
	free(loc);
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/*
 * Read all of regular file PATH, at most what is left of CONF_BYTES_MAX.
 * Returns the bytes (*LEN of them, NUL-terminated), or NULL: *KIND names what
 * PATH is when it is not a regular file, *TOOBIG is set when it does not fit,
 * else errno says why. Opened non-blocking, so a FIFO cannot hang us.
 */
static char *scan_read(struct ctx *c, const char *path, size_t *len, const char **kind, int *toobig)
{
	size_t cap, n = 0, left = CONF_BYTES_MAX - c->scanned;
	struct stat st;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd, err;

	*kind = NULL;
	*toobig = 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		*kind = file_kind(st.st_mode);
		errno = EINVAL;
		goto fail;
	}
	/* st_size is a hint only (0 for /proc files): grow as needed, to one byte past LEFT. */
	cap = ((size_t)st.st_size < left ? (size_t)st.st_size : left) + 1;
	buf = malloc(cap + 1);
	if (!buf)
		goto fail;
	for (;;) {
		if (n == cap) {
			if (n > left) {
				*toobig = 1;
				errno = EFBIG;
				goto fail;
			}
			cap = cap < (left + 1) / 2 ? cap * 2 : left + 1;
			nb = realloc(buf, cap + 1);
			if (!nb)
				goto fail;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > left) {
		*toobig = 1;
		errno = EFBIG;
		goto fail;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	c->scanned += n;
	return buf;
fail:
	err = errno;
	free(buf);
	close(fd);
	errno = err;
	return NULL;
}

static void scan_file(struct ctx *c, const char *file, int depth, const struct scan *from,
		      unsigned from_line);

/* An @include line of SC at LINE naming NAME (LEN bytes, not NUL-terminated). */
static void scan_include(struct ctx *c, struct scan *sc, unsigned line, const char *name,
			 size_t len)
{
	char *file, buf[SHOW_MAX];

	/* libconfig reports nesting too deep itself, at this line. */
	if (sc->depth >= CONF_INCLUDE_DEPTH)
		return;
	file = strndup(name, len);
	if (!file) {
		c->nomem = 1;
		return;
	}
	/* Reported once: the limit stops a file that includes another many times over. */
	if (++c->includes == CONF_INCLUDES_MAX + 1)
		scan_error(c, sc, line,
			   "@include \"%s\": more than %d @include directives in all "
			   "(does a file include another many times, or itself?)",
			   show(file, buf, sizeof(buf)), CONF_INCLUDES_MAX);
	else if (c->includes <= CONF_INCLUDES_MAX)
		scan_file(c, file, sc->depth + 1, sc, line);
	free(file);
}

/* Whether SC is at an @include line: `^[ \t]*@include[ \t]+"`, libconfig's own pattern. */
static int scan_include_line(struct ctx *c, struct scan *sc)
{
	const char *p = sc->p, *name;
	unsigned line = sc->line;

	while (p < sc->end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(sc->end - p) < 9 || memcmp(p, "@include", 8) != 0 ||
	    (p[8] != ' ' && p[8] != '\t'))
		return 0;
	p += 8;
	while (p < sc->end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == sc->end || *p != '"')
		return 0;
	name = ++p;
	while (p < sc->end && *p != '"')
		if (*p++ == '\n')
			sc->line++;
	if (p == sc->end)
		return 0; /* unterminated: libconfig reports it */
	scan_include(c, sc, line, name, (size_t)(p - name));
	sc->p = p + 1;
	return 1;
}

/* An integer literal NUM (LEN bytes) must mean what it says: libconfig truncates silently. */
static void scan_number(struct ctx *c, const struct scan *sc, const char *num, size_t len)
{
	char text[48], *end;
	int neg, hex, l64;
	unsigned long long v, max;
	size_t i, digits;

	/* Leading zeros change nothing but could push the digits out of TEXT: drop them. */
	i = 0;
	if (len && (num[0] == '-' || num[0] == '+')) {
		text[i++] = *num++;
		len--;
	}
	if (len > 2 && num[0] == '0' && (num[1] == 'x' || num[1] == 'X')) {
		text[i++] = *num++;
		text[i++] = *num++;
		len -= 2;
	}
	while (len > 1 && num[0] == '0' && num[1] >= '0' && num[1] <= '9') {
		num++;
		len--;
	}
	if (i + len >= sizeof(text))
		len = sizeof(text) - 1 - i;
	memcpy(text + i, num, len);
	text[i + len] = '\0';
	i = text[0] == '-' || text[0] == '+';
	neg = text[0] == '-';
	hex = text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X');
	if (hex && i)
		return; /* "-0x7": libconfig's syntax error */
	digits = hex ? strspn(text + i + 2, "0123456789abcdefABCDEF") + 2 :
		       strspn(text + i, "0123456789");
	if (digits == (hex ? 2u : 0u))
		return;
	l64 = strcmp(text + i + digits, "L") == 0 || strcmp(text + i + digits, "LL") == 0;
	if (!l64 && text[i + digits])
		return; /* a float, or something libconfig rejects */
	errno = 0;
	v = strtoull(text + i, &end, hex ? 16 : 10);
	/* What fits libconfig's int (32 bits) or, with L, long long; hex counts as unsigned bits. */
	max = l64 ? (unsigned long long)INT64_MAX + neg : (unsigned long long)INT32_MAX + neg;
	if (errno != ERANGE && v <= max)
		return;
	text[i + digits] = '\0';
	if (!l64 && (errno == ERANGE || v > (unsigned long long)INT64_MAX + neg))
		scan_error(c, sc, sc->line, "%s%s%s does not fit in 64 bits", sc->key,
			   sc->key[0] ? ": " : "", text);
	else if (!l64)
		scan_error(c, sc, sc->line,
			   "%s%s%s does not fit in 32 bits: libconfig would silently read another "
			   "number (write %sL)",
			   sc->key, sc->key[0] ? ": " : "", text, text);
	else
		scan_error(c, sc, sc->line, "%s%s%sL does not fit in 64 bits", sc->key,
			   sc->key[0] ? ": " : "", text);
}

/* Report a token longer than CONF_TOKEN_MAX; WHAT names it. */
static int scan_token(struct ctx *c, const struct scan *sc, unsigned line, const char *what,
		      size_t len)
{
	if (len <= CONF_TOKEN_MAX)
		return 0;
	scan_error(c, sc, line, "%s of %zu bytes (at most %d)", what, len, CONF_TOKEN_MAX);
	return -1;
}

#define IS_BLANK(ch) ((ch) == ' ' || (ch) == '\t' || (ch) == '\r' || (ch) == '\f')
#define IS_WORD(ch)                                                                     \
	(((ch) >= 'a' && (ch) <= 'z') || ((ch) >= 'A' && (ch) <= 'Z') || (ch) == '_' || \
	 (ch) == '*' || (ch) == '-' || ((ch) >= '0' && (ch) <= '9'))

/* Scan the text of one file; stops at the first problem that libconfig must not see. */
static void scan_text(struct ctx *c, struct scan *sc)
{
	unsigned counts[CONF_NEST_MAX + 1], line;
	char kinds[CONF_NEST_MAX + 1];
	const char *start;
	int sp = 0, bol = 1;
	size_t n;

	kinds[0] = '{'; /* the file itself is a group */
	counts[0] = 0;
	while (sc->p < sc->end) {
		/* Only at the start of a line: a second @include on it is libconfig's syntax error. */
		if (bol && scan_include_line(c, sc)) {
			bol = 0;
			continue;
		}
		bol = 0;
		start = sc->p;
		line = sc->line;
		switch (*sc->p) {
		case '\0':
			scan_error(c, sc, line, "a NUL byte (is this a configuration file?)");
			return;
		case '\n':
			sc->line++;
			sc->p++;
			bol = 1;
			continue;
		case '"':
			for (sc->p++; sc->p < sc->end && *sc->p != '"'; sc->p++) {
				if (*sc->p == '\n') {
					sc->line++;
				} else if (*sc->p == '\\' && sc->p + 1 < sc->end) {
					/* libconfig turns \x00 into a NUL that ends the string there. */
					if ((sc->p[1] == 'x' || sc->p[1] == 'X') &&
					    sc->end - sc->p >= 4 && sc->p[2] == '0' &&
					    sc->p[3] == '0') {
						scan_error(c, sc, sc->line,
							   "%s%sa string holds \\x00 (a NUL byte)",
							   sc->key, sc->key[0] ? ": " : "");
						return;
					}
					if (*++sc->p == '\n')
						sc->line++;
				} else if (*sc->p == '\0') {
					break;
				}
			}
			if (sc->p < sc->end && *sc->p == '"')
				sc->p++;
			if (scan_token(c, sc, line, "a string", (size_t)(sc->p - start)) < 0)
				return;
			continue;
		case '#':
			n = strcspn(sc->p, "\n");
			sc->p += n;
			if (scan_token(c, sc, line, "a comment", n) < 0)
				return;
			continue;
		case '/':
			if (sc->p + 1 < sc->end && sc->p[1] == '/') {
				n = strcspn(sc->p, "\n");
				sc->p += n;
				if (scan_token(c, sc, line, "a comment", n) < 0)
					return;
				continue;
			}
			if (sc->p + 1 < sc->end && sc->p[1] == '*') {
				/* libconfig takes these a character at a time: any length is fine. */
				for (sc->p += 2; sc->p < sc->end; sc->p++) {
					if (*sc->p == '\n')
						sc->line++;
					else if (*sc->p == '*' && sc->p + 1 < sc->end &&
						 sc->p[1] == '/')
						break;
				}
				sc->p = sc->p < sc->end ? sc->p + 2 : sc->end;
				continue;
			}
			break;
		case '{':
		case '(':
		case '[':
			if (sp == CONF_NEST_MAX) {
				scan_error(c, sc, line, "nested more than %d deep", CONF_NEST_MAX);
				return;
			}
			kinds[++sp] = *sc->p;
			counts[sp] = 0;
			break;
		case '}':
		case ')':
		case ']':
			if (sp > 0)
				sp--;
			break;
		case '=':
		case ':':
			if (kinds[sp] == '{' && ++counts[sp] == CONF_GROUP_MAX + 1) {
				scan_error(c, sc, line, "more than %d settings in one group",
					   CONF_GROUP_MAX);
				return;
			}
			break;
		default:
			if (IS_BLANK(*sc->p)) {
				while (sc->p < sc->end && IS_BLANK(*sc->p))
					sc->p++;
				if (scan_token(c, sc, line, "a run of blanks",
					       (size_t)(sc->p - start)) < 0)
					return;
				continue;
			}
			if (IS_WORD(*sc->p) || *sc->p == '+' || *sc->p == '.') {
				/* A name, or a number (with its sign, exponent sign and suffix). */
				for (sc->p++; sc->p < sc->end; sc->p++)
					if (!IS_WORD(*sc->p) && *sc->p != '.' &&
					    !((*sc->p == '+') &&
					      (sc->p[-1] == 'e' || sc->p[-1] == 'E')))
						break;
				n = (size_t)(sc->p - start);
				if (scan_token(c, sc, line, "a word", n) < 0)
					return;
				if ((*start >= '0' && *start <= '9') || *start == '-' ||
				    *start == '+') {
					scan_number(c, sc, start, n);
				} else if (*start != '.') {
					if (n >= sizeof(sc->key))
						n = sizeof(sc->key) - 1;
					memcpy(sc->key, start, n);
					sc->key[n] = '\0';
				}
				continue;
			}
			break;
		}
		sc->p++;
	}
}

/*
 * Pre-scan FILE (named as libconfig names it) at include DEPTH; FROM and
 * FROM_LINE are the @include line that names it (NULL for the main file).
 */
static void scan_file(struct ctx *c, const char *file, int depth, const struct scan *from,
		      unsigned from_line)
{
	struct scan sc = { .file = file, .line = 1, .depth = depth };
	char *path = NULL, *text, buf[SHOW_MAX];
	const char *kind;
	size_t len;
	int toobig;

	if (from && c->incdir && asprintf(&path, "%s/%s", c->incdir, file) < 0) {
		c->nomem = 1;
		return;
	}
	text = scan_read(c, path ? path : file, &len, &kind, &toobig);
	free(path);
	if (!text) {
		if (toobig && from)
			scan_error(
				c, from, from_line,
				"@include \"%s\": the configuration is larger than %u bytes in all "
				"(with every file it includes)",
				show(file, buf, sizeof(buf)), CONF_BYTES_MAX);
		else if (toobig)
			errs_add(c, asprintf(&path, "%s: larger than %u bytes (%u MiB), the limit",
					     file, CONF_BYTES_MAX, CONF_BYTES_MAX >> 20) < 0 ?
					    NULL :
					    path);
		/* libconfig would exit the process on a directory: no @include of one. */
		else if (kind && from)
			scan_error(c, from, from_line, "@include \"%s\": %s, not a regular file",
				   show(file, buf, sizeof(buf)), kind);
		/* The main file being a directory: libconfig says so, as before. */
		else if (kind && strcmp(kind, "a directory") != 0) {
			c->read_errno = EINVAL;
			errs_add(c, asprintf(&path, "%s: cannot read: %s, not a regular file", file,
					     kind) < 0 ?
					    NULL :
					    path);
		} else if (errno == ENOMEM)
			c->nomem = 1;
		/* Cannot open it: libconfig's own message says so at the right place. */
		return;
	}
	sc.p = text;
	sc.end = text + len;
	scan_text(c, &sc);
	free(text);
}

/* Why PATH could not be read: libconfig's errno is not reliable (a directory leaves 0). */
static int file_errno(const char *path)
{
	FILE *f;
	int err;

	f = fopen(path, "re");
	if (!f)
		return errno;
	errno = 0;
	err = getc(f) == EOF && ferror(f) && errno ? errno : EIO;
	fclose(f);
	return err;
}

static void read_error(struct ctx *c, const config_t *cfg)
{
	const char *text = config_error_text(cfg);
	char *loc, *line;

	if (!config_error_file(cfg)) {
		c->read_errno = file_errno(c->path);
		if (asprintf(&line, "%s: cannot read: %s", c->path, strerror(c->read_errno)) < 0)
			line = NULL;
		errs_add(c, line);
		return;
	}
	loc = loc_new(c, config_error_file(cfg), (unsigned)config_error_line(cfg));
	if (!loc) {
		c->nomem = 1;
		return;
	}
	if (!text)
		text = "syntax error";
	/* A loop of @include reaches libconfig's depth limit: say what it means. */
	if (strcmp(text, "include file nesting too deep") == 0) {
		if (asprintf(&line,
			     "%s: @include: nested more than %d deep (does a file include itself?)",
			     loc, CONF_INCLUDE_DEPTH) < 0)
			line = NULL;
		errs_add(c, line);
		free(loc);
		return;
	}
	/* Most of libconfig's texts are just "syntax error"; do not say it twice. */
	if (strcmp(text, "syntax error") == 0)
		text = NULL;
	if (asprintf(&line, "%s: syntax error%s%s", loc, text ? ": " : "", text ? text : "") < 0)
		line = NULL;
	errs_add(c, line);
	free(loc);
}

struct conf *conf_load(const char *path, struct conf_errors *errs)
{
	struct ctx c = { .path = path, .errs = errs };
	struct sect root = { NULL, top_keys, ARRAY_SIZE(top_keys), "" };
	const config_setting_t *v;
	struct conf *conf = NULL;
	const char *slash;
	char *dir = NULL, *line;
	config_t cfg;
	int err;

	config_init(&cfg);
	/* @include is relative to the include dir, whose default is the cwd ("/" under systemd). */
	slash = strrchr(path, '/');
	if (slash) {
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
		if (!dir) {
			c.nomem = 1;
			goto fail;
		}
		config_set_include_dir(&cfg, dir);
		c.incdir = dir;
	}
	scan_file(&c, path, 0, NULL, 0);
	if (c.nerr || c.nomem)
		goto fail;
	if (!config_read_file(&cfg, path)) {
		read_error(&c, &cfg);
		goto fail;
	}

	conf = calloc(1, sizeof(*conf));
	if (!conf || !(conf->path = strdup(path))) {
		c.nomem = 1;
		goto fail;
	}
	c.conf = conf;
	root.s = config_root_setting(&cfg);
	group_check_unknown(&c, &root);
	/* Called without a daemon group too: it applies the defaults. */
	daemon_load(&c, group_get(&c, &root, "daemon"), conf);
	v = group_get(&c, &root, "services");
	if (v)
		services_load(&c, v, conf);
	if (!c.nomem)
		conflicts_check(&c, conf);
	if (c.nerr || c.nomem)
		goto fail;

	free(c.names);
	free(c.name_slot);
	free(c.ls);
	config_destroy(&cfg);
	free(dir);
	return conf;

fail:
	if (c.dropped) {
		if (asprintf(&line, "%s: %zu more errors not shown (the first %d are)", path,
			     c.dropped, CONF_ERRORS_MAX) < 0)
			line = NULL;
		errs_push(&c, line);
	}
	if (c.nomem) {
		line = NULL;
		if (asprintf(&line, "%s: out of memory", path) < 0)
			line = NULL;
		errs_push(&c, line);
	}
	err = c.nomem ? ENOMEM : c.read_errno ? c.read_errno : EINVAL;
	conf_free(conf);
	free(c.names);
	free(c.name_slot);
	free(c.ls);
	config_destroy(&cfg);
	free(dir);
	errno = err;
	return NULL;
}

void conf_free(struct conf *conf)
{
	size_t i;

	if (!conf)
		return;
	for (i = 0; i < conf->nservices; i++) {
		free(conf->services[i].listen);
		strings_free(conf->services[i].argv);
		strings_free(conf->services[i].env);
		free(conf->services[i].allow);
		free(conf->services[i].deny);
		free(conf->services[i].proxy_trusted);
	}
	free(conf->services);
	free(conf->pidfile);
	free(conf->path);
	free(conf);
}

void conf_errors_clear(struct conf_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

const char *conf_service_what(const struct service *sv, char *buf, size_t len)
{
	size_t n, i;

	if (!sv->argv) {
		snprintf(buf, len, "builtin %s", builtin_name(sv->builtin));
		return buf;
	}
	n = (size_t)snprintf(buf, len, "exec");
	for (i = 0; sv->argv[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " %s", sv->argv[i]);
	return buf;
}

void conf_print(const struct conf *conf, FILE *f)
{
	char buf[ADDR_STRLEN], what[256];
	const struct service *sv;
	size_t i, j;

	for (i = 0; i < conf->nservices; i++) {
		sv = &conf->services[i];
		fprintf(f, "%s: %s, listen", sv->name, conf_service_what(sv, what, sizeof(what)));
		for (j = 0; j < sv->nlisten; j++)
			fprintf(f, " %s", addr_format(&sv->listen[j], buf, sizeof(buf)));
		fprintf(f, ", backlog %d", sv->backlog);
		if (sv->has_user)
			fprintf(f, ", uid %u gid %u", (unsigned)sv->uid, (unsigned)sv->gid);
		fputc('\n', f);
	}
}

const struct service *conf_service(const struct conf *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->nservices; i++)
		if (strcmp(conf->services[i].name, name) == 0)
			return &conf->services[i];
	return NULL;
}
