/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the config loader on a file image. The input is a main
 * file and, after a line "@@@", a file it may @include as "inc.conf"; both
 * are written to a private directory and loaded like acceptd -t would.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void write_file(const char *name, const uint8_t *p, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	if (n && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_errors errs = { 0, NULL };
	const uint8_t *sep = NULL;
	struct conf *conf;
	char path[128];
	size_t i;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/acceptd-fuzz.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	for (i = 0; i + 5 <= size; i++)
		if (memcmp(data + i, "\n@@@\n", 5) == 0) {
			sep = data + i;
			break;
		}
	write_file("main.conf", data, sep ? (size_t)(sep - data) + 1 : size);
	write_file("inc.conf", sep ? sep + 5 : data, sep ? size - (size_t)(sep + 5 - data) : 0);
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	conf = conf_load(path, &errs);
	/* Exactly one outcome: a conf without errors, or errors without a conf. */
	if ((conf != NULL) == (errs.n != 0))
		__builtin_trap();
	if (conf) {
		FILE *null = fopen("/dev/null", "w");

		if (null) {
			conf_print(conf, null);
			fclose(null);
		}
	}
	conf_free(conf);
	conf_errors_clear(&errs);
	return 0;
}
