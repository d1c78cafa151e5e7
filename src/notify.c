/* SPDX-License-Identifier: MIT */
/* sd_notify: readiness and status for the service manager; silent without NOTIFY_SOCKET. */
#include "notify.h"

#include <stdint.h>
#include <time.h>

#include <systemd/sd-daemon.h>

/* unset_env = 0: the parent keeps notifying until it exits; children clear their environment. */
void notify_ready(const char *status)
{
	(void)sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	(void)sd_notifyf(0, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
			 (unsigned long long)ts.tv_sec * 1000000ull +
				 (unsigned long long)ts.tv_nsec / 1000ull);
}

unsigned long long notify_watchdog_usec(void)
{
	uint64_t usec = 0;

	/* unset_env = 0: WATCHDOG_* stay for a re-check; exec'd programs get a clean environment. */
	return sd_watchdog_enabled(0, &usec) > 0 ? (unsigned long long)usec : 0;
}

void notify_watchdog(void)
{
	(void)sd_notify(0, "WATCHDOG=1");
}

void notify_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void notify_status(const char *status)
{
	(void)sd_notifyf(0, "STATUS=%s", status);
}
