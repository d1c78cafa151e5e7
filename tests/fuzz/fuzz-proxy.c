/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the PROXY v1/v2 parser on arbitrary bytes, every version mask. */
#include <stdint.h>
#include <string.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h;
	int allowed, rc;

	for (allowed = 1; allowed <= 3; allowed++) {
		rc = proxy_parse(data, size, allowed, &h);
		/* The invariants the reader relies on. */
		if (rc == PROXY_OK && (h.len == 0 || h.len > size))
			__builtin_trap();
		if (rc == PROXY_NEED && h.need && h.need <= size)
			__builtin_trap();
		if (rc == PROXY_INVALID && !h.error)
			__builtin_trap();
		if (rc == PROXY_OK && !h.local && h.src.u.sa.sa_family != AF_INET &&
		    h.src.u.sa.sa_family != AF_INET6)
			__builtin_trap();
	}
	return 0;
}
