/* SPDX-License-Identifier: MIT */
/*
 * forkrate: fork() + _exit() + waitpid() cycles per second, the physical
 * ceiling of any fork-per-connection server on this machine.
 *
 *   -d SECONDS  how long to run (default 2)
 *   -m MIB      first allocate and touch MIB MiB (fork cost grows with the
 *               parent's mapped, touched address space)
 *   -v          vfork() instead of fork() (for comparison)
 *
 * Prints "forkrate key=value ..." and a human line on stderr.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double tv_usec(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e6 + (double)tv->tv_usec;
}

/* One child, which exits at once; the parent returns (a vfork child never does). */
static pid_t __attribute__((noinline)) spawn_one(int use_vfork)
{
	pid_t pid = use_vfork ? vfork() : fork();

	if (pid == 0)
		_exit(0);
	return pid;
}

int main(int argc, char **argv)
{
	double secs = 2;
	long mib = 0, n = 0;
	int c, use_vfork = 0, status;
	uint64_t t0, t1, end;
	char *mem = NULL;
	struct rusage self, kids;
	double cpu0, cpu;
	pid_t pid;

	while ((c = getopt(argc, argv, "d:m:v")) != -1) {
		switch (c) {
		case 'd':
			secs = atof(optarg);
			break;
		case 'm':
			mib = atol(optarg);
			break;
		case 'v':
			use_vfork = 1;
			break;
		default:
			fprintf(stderr, "usage: forkrate [-d SECONDS] [-m MIB] [-v]\n");
			return 2;
		}
	}
	if (mib > 0) {
		mem = malloc((size_t)mib << 20);
		if (!mem) {
			perror("forkrate: malloc");
			return 1;
		}
		memset(mem, 1, (size_t)mib << 20);
	}
	getrusage(RUSAGE_SELF, &self);
	cpu0 = tv_usec(&self.ru_utime) + tv_usec(&self.ru_stime);
	t0 = now_usec();
	end = t0 + (uint64_t)(secs * 1e6);
	do {
		pid = spawn_one(use_vfork);
		if (pid < 0) {
			perror("forkrate: fork");
			return 1;
		}
		while (waitpid(pid, &status, 0) < 0)
			;
		n++;
	} while ((t1 = now_usec()) < end);
	/* CPU time (parent and children) per cycle: less sensitive to other load than the rate. */
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	cpu = tv_usec(&self.ru_utime) + tv_usec(&self.ru_stime) + tv_usec(&kids.ru_utime) +
	      tv_usec(&kids.ru_stime) - cpu0;
	printf("forkrate %s=1 mib=%ld cycles=%ld secs=%.3f rate=%.1f usec_per_cycle=%.1f cpu_usec_per_cycle=%.1f\n",
	       use_vfork ? "vfork" : "fork", mib, n, (double)(t1 - t0) / 1e6,
	       (double)n * 1e6 / (double)(t1 - t0), (double)(t1 - t0) / (double)n, cpu / (double)n);
	fprintf(stderr, "forkrate: %s%s: %.0f cycles/s (%.1f us each, %.1f us of CPU)\n",
		use_vfork ? "vfork" : "fork", mib ? " with a touched parent" : "",
		(double)n * 1e6 / (double)(t1 - t0), (double)(t1 - t0) / (double)n,
		cpu / (double)n);
	free(mem);
	return 0;
}
