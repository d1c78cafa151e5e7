/* SPDX-License-Identifier: MIT */
/* Token bucket for new connections per second; pure, the time is passed in. */
#include "rate.h"

void rate_init(struct bucket *b, double burst, uint64_t now)
{
	b->tokens = burst;
	b->last = now;
}

uint64_t rate_due(struct bucket *b, double rate, double burst, uint64_t now)
{
	double wait;

	if (now > b->last) {
		b->tokens += (double)(now - b->last) * rate / 1e6;
		b->last = now;
	}
	/* Also after a reload that made the bucket smaller. */
	if (b->tokens > burst)
		b->tokens = burst;
	if (b->tokens >= 1.0)
		return 0;
	wait = (1.0 - b->tokens) * 1e6 / rate;
	return (uint64_t)wait + 1;
}

void rate_spend(struct bucket *b)
{
	b->tokens -= 1.0;
}
