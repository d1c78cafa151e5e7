/* SPDX-License-Identifier: MIT */
/* systemd socket activation: take the passed sockets and match them to services by name. */
#include "activation.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"
#include "systemd.h"
#include "util.h"

/* Without FileDescriptorName= a socket is "unknown", or named after its unit ("acceptd.socket"). */
static int name_is_unnamed(const char *name)
{
	size_t n = strlen(name);

	return strcmp(name, "unknown") == 0 || (n > 7 && strcmp(name + n - 7, ".socket") == 0);
}

int activation_collect(struct inherited **out, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct inherited *inh = NULL;
	char **names = NULL;
	socklen_t len;
	int n, i, rc = -1;

	*out = NULL;
	n = systemd_listen_fds(&names);
	if (n < 0) {
		snprintf(err, errlen, "cannot take sockets from systemd: %s", strerror(errno));
		return -1;
	}
	if (n == 0)
		return 0;
	inh = calloc((size_t)n, sizeof(*inh));
	if (!inh) {
		snprintf(err, errlen, "cannot take sockets from systemd: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct inherited *s = &inh[i];

		s->fd = SYSTEMD_LISTEN_FDS_START + i;
		str_copy(s->name, names && names[i] ? names[i] : "unknown", sizeof(s->name));
		s->unnamed = name_is_unnamed(s->name);
		if (systemd_is_tcp_listener(s->fd) <= 0) {
			snprintf(err, errlen,
				 "socket %d (\"%s\") from systemd is not a listening TCP socket",
				 s->fd, s->name);
			goto out;
		}
		/*
		 * The accept loop takes connections until EAGAIN. systemd's own
		 * sockets are non-blocking already; other activators' (such as
		 * systemd-socket-activate) may not be. O_NONBLOCK is a file flag,
		 * not a socket option, and harmless to a manager that polls.
		 */
		if (fd_set_nonblock(s->fd, 1) < 0) {
			snprintf(err, errlen, "socket %d (\"%s\") from systemd: %s", s->fd, s->name,
				 strerror(errno));
			goto out;
		}
		len = sizeof(ss);
		if (getsockname(s->fd, (struct sockaddr *)&ss, &len) < 0 ||
		    addr_from_sockaddr(&s->addr, (struct sockaddr *)&ss, len) < 0) {
			snprintf(err, errlen, "socket %d (\"%s\") from systemd: %s", s->fd, s->name,
				 strerror(errno));
			goto out;
		}
	}
	*out = inh;
	inh = NULL;
	rc = n;
out:
	free(inh);
	if (names) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return rc;
}

const struct service *activation_service(const struct inherited *i, const struct conf *conf)
{
	const struct service *svc = conf_service(conf, i->name);

	/* A service really called "acceptd.socket" wins over the unnamed rule. */
	if (!svc && i->unnamed && conf->nservices == 1)
		svc = &conf->services[0];
	return svc;
}

int activation_check(const struct inherited *inh, size_t n, const struct conf *conf, char *err,
		     size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (activation_service(&inh[i], conf))
			continue;
		if (inh[i].unnamed)
			snprintf(
				err, errlen,
				"socket %d from systemd has no FileDescriptorName= (\"%s\"), which is allowed only with exactly one service; %zu are configured",
				inh[i].fd, inh[i].name, conf->nservices);
		else
			snprintf(
				err, errlen,
				"socket %d from systemd is named \"%s\", but no service has that name",
				inh[i].fd, inh[i].name);
		return -1;
	}
	return 0;
}
