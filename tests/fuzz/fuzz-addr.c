/* SPDX-License-Identifier: MIT */
/* libFuzzer target: address and CIDR parsing, and formatting what parsed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, buf[ADDR_STRLEN + 8];
	struct addr a, b;
	struct cidr c;
	int has_port, again;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (addr_parse(s, &a, &has_port) == 0) {
		/* What addr_format() writes must parse back to the same address. */
		addr_format(&a, buf, sizeof(buf));
		if (has_port && addr_port(&a) &&
		    (addr_parse(buf, &b, &again) != 0 || !again || !addr_equal(&a, &b)))
			__builtin_trap();
	}
	if (acl_parse(s, &c) == 0) {
		acl_format(&c, buf, sizeof(buf));
		/* A bare address is its own block: it must match itself. */
		if (!strchr(s, '/') && addr_parse(s, &b, &again) == 0 && !acl_match(&c, 1, &b))
			__builtin_trap();
	}
	free(s);
	return 0;
}
