/* SPDX-License-Identifier: MIT */
/* sd_notify: readiness and status for the service manager; silent without NOTIFY_SOCKET. */
#include "notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "systemd.h"

/* One datagram: a STATUS= line longer than this is cut, never the other assignments. */
static void __attribute__((format(printf, 1, 2))) notifyf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	(void)systemd_notify(buf);
}

void notify_ready(const char *status)
{
	notifyf("READY=1\nSTATUS=%s", status);
}

void notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notifyf("RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
		(unsigned long long)ts.tv_sec * 1000000ull +
			(unsigned long long)ts.tv_nsec / 1000ull);
}

unsigned long long notify_watchdog_usec(void)
{
	/* WATCHDOG_* stay for a re-check; exec'd programs get a clean environment. */
	return systemd_watchdog_usec();
}

void notify_watchdog(void)
{
	(void)systemd_notify("WATCHDOG=1");
}

void notify_stopping(void)
{
	(void)systemd_notify("STOPPING=1\nSTATUS=stopping");
}

void notify_status(const char *status)
{
	notifyf("STATUS=%s", status);
}
