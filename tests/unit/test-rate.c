/* SPDX-License-Identifier: MIT */
/* rate.c: the token bucket: burst, refill, exact waits, the clamp after a smaller burst. */
#include "rate.h"

#include <stdio.h>

#include "test.h"
#include "util.h"

#define SEC 1000000ULL
#define T0  (1000 * SEC) /* an arbitrary monotonic start */

/* The wait that B (a copy: probing must not change it) reports at NOW. */
static uint64_t due_at(const struct bucket *b, double rate, double burst, uint64_t now)
{
	struct bucket copy = *b;

	return rate_due(&copy, rate, burst, now);
}

/* Take every token there is at NOW; returns how many. */
static unsigned drain(struct bucket *b, double rate, double burst, uint64_t now)
{
	unsigned n = 0;

	while (rate_due(b, rate, burst, now) == 0 && n < 10000000) {
		rate_spend(b);
		n++;
	}
	return n;
}

/*
 * The wait after an empty bucket is exact: once it has passed a token is
 * there, and not even 2 usec earlier (the service never pauses longer than
 * it must, give or take rounding up to a whole usec).
 */
static void check_exact(const struct bucket *b, double rate, double burst, uint64_t now,
			const char *what)
{
	uint64_t d = due_at(b, rate, burst, now);

	if (!CHECK(d > 0)) {
		test_note("%s: no wait at all", what);
		return;
	}
	if (!CHECK(due_at(b, rate, burst, now + d) == 0))
		test_note("%s: after the %llu usec it asked for, still %llu to go", what,
			  (unsigned long long)d,
			  (unsigned long long)due_at(b, rate, burst, now + d));
	if (d >= 2 && !CHECK(due_at(b, rate, burst, now + d - 2) > 0))
		test_note("%s: a token was there at %llu usec, but it asked for %llu", what,
			  (unsigned long long)(d - 2), (unsigned long long)d);
}

/* A new bucket is full: BURST connections at once, then the next waits 1/rate. */
static void burst(void)
{
	struct bucket b;

	rate_init(&b, 5, T0);
	CHECK(drain(&b, 10, 5, T0) == 5);
	CHECK(due_at(&b, 10, 5, T0) == 100001);
	check_exact(&b, 10, 5, T0, "rate 10 burst 5");

	rate_init(&b, 1, T0);
	CHECK(drain(&b, 1, 1, T0) == 1);
	CHECK(due_at(&b, 1, 1, T0) == SEC + 1);

	rate_init(&b, 1000, T0);
	CHECK(drain(&b, 1, 1000, T0) == 1000);
}

struct wait_case {
	double rate;
	uint64_t want; /* usec to the next token from an empty bucket */
};

/* floor(1e6 / rate) + 1: rounded up to the next whole microsecond. */
static const struct wait_case wait_cases[] = {
	{ 1, 1000001 },	   { 2, 500001 },	  { 4, 250001 },  { 10, 100001 }, { 0.5, 2000001 },
	{ 0.25, 4000001 }, { 0.001, 1000000001 }, { 3, 333334 },  { 7, 142858 },  { 1000, 1001 },
	{ 1000000, 2 },	   { 1.5, 666667 },	  { 100, 10001 },
};

static void exact_waits(void)
{
	const struct wait_case *wc;
	struct bucket b;
	uint64_t d;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(wait_cases); i++) {
		wc = &wait_cases[i];
		rate_init(&b, 1, T0);
		REQUIRE(rate_due(&b, wc->rate, 1, T0) == 0);
		rate_spend(&b);
		d = due_at(&b, wc->rate, 1, T0);
		if (!CHECK(d == wc->want))
			test_note("rate %g: wait %llu usec, want %llu", wc->rate,
				  (unsigned long long)d, (unsigned long long)wc->want);
		check_exact(&b, wc->rate, 1, T0, "exact_waits");
	}
}

/* Partly refilled buckets: the wait is what is left of the token, and exact. */
static void partial_refill(void)
{
	struct bucket b;
	uint64_t d;
	unsigned step;

	rate_init(&b, 1, T0);
	rate_spend(&b);
	/* 0.4 of a token after 100 ms at 4/s: 150 ms to go. */
	d = due_at(&b, 4, 1, T0 + 100000);
	if (!CHECK(d >= 150000 && d <= 150001))
		test_note("wait %llu, want 150000 (+1)", (unsigned long long)d);
	/* At every point of the interval, the wait ends at the same moment. */
	for (step = 0; step < 250000; step += 997) {
		d = due_at(&b, 4, 1, T0 + step);
		if (!CHECK(T0 + step + d >= T0 + 250000 && T0 + step + d <= T0 + 250002)) {
			test_note("at +%u usec: wait %llu ends at +%llu, want +250000", step,
				  (unsigned long long)d, (unsigned long long)(step + d));
			break;
		}
		check_exact(&b, 4, 1, T0 + step, "partial_refill");
	}
}

/* Tokens come back at RATE, but never beyond BURST however long the pause. */
static void refill(void)
{
	struct bucket b;

	rate_init(&b, 3, T0);
	CHECK(drain(&b, 2, 3, T0) == 3);
	/* Half a second at 2/s: one token. */
	CHECK(drain(&b, 2, 3, T0 + SEC / 2) == 1);
	CHECK(due_at(&b, 2, 3, T0 + SEC / 2) == SEC / 2 + 1);
	/* A long idle period: full again, but only BURST. */
	CHECK(drain(&b, 2, 3, T0 + 3600 * SEC) == 3);
	CHECK(drain(&b, 2, 3, T0 + 3600 * SEC) == 0);
	/* An enormous gap does not overflow into something silly. */
	CHECK(drain(&b, 2, 3, UINT64_MAX / 2) == 3);
}

/* A steady stream of demand gets BURST at once, then exactly RATE per second. */
static void steady_demand(void)
{
	static const struct {
		double rate, burst;
	} cases[] = { { 10, 5 }, { 3, 1 }, { 0.5, 2 }, { 250, 250 }, { 7, 20 } };
	struct bucket b;
	uint64_t now, end, d;
	unsigned long served, want;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		rate_init(&b, cases[i].burst, T0);
		now = T0;
		end = T0 + 20 * SEC;
		served = 0;
		while (now <= end) {
			d = rate_due(&b, cases[i].rate, cases[i].burst, now);
			if (d) {
				now += d; /* the service sleeps exactly this long */
				continue;
			}
			rate_spend(&b);
			served++;
		}
		want = (unsigned long)cases[i].burst + (unsigned long)(cases[i].rate * 20);
		/* Each wait rounds up by at most 1 usec: over 20 s that loses at most one token. */
		if (!CHECK(served == want || served + 1 == want))
			test_note("rate %g burst %g: %lu served in 20 s, want %lu", cases[i].rate,
				  cases[i].burst, served, want);
	}
}

/* A reload that shrinks the burst clamps what is in the bucket at once. */
static void clamp_after_shrink(void)
{
	struct bucket b;

	rate_init(&b, 10, T0);
	CHECK(drain(&b, 1, 2, T0) == 2);
	CHECK(due_at(&b, 1, 2, T0) == SEC + 1);
	/* And stays clamped while it refills. */
	CHECK(drain(&b, 1, 2, T0 + 100 * SEC) == 2);

	/* Shrunk below one token's worth of what was there: still one at a time. */
	rate_init(&b, 50, T0);
	CHECK(drain(&b, 5, 1, T0) == 1);
	CHECK(due_at(&b, 5, 1, T0) == SEC / 5 + 1);

	/* A larger burst after a reload fills up over time, not at once. */
	rate_init(&b, 2, T0);
	CHECK(drain(&b, 1, 2, T0) == 2);
	CHECK(drain(&b, 1, 10, T0) == 0);
	CHECK(drain(&b, 1, 10, T0 + 4 * SEC) == 4);
	CHECK(drain(&b, 1, 10, T0 + 100 * SEC) == 10);
}

/* A clock read that is older than the last refill adds nothing and breaks nothing. */
static void time_backwards(void)
{
	struct bucket b;

	rate_init(&b, 1, T0);
	rate_spend(&b);
	CHECK(due_at(&b, 1, 1, T0 - 5 * SEC) == SEC + 1);
	CHECK(rate_due(&b, 1, 1, T0 - 5 * SEC) > 0);
	CHECK(b.last == T0);
	CHECK(due_at(&b, 1, 1, T0 + SEC / 2) == SEC / 2 + 1);
}

int main(void)
{
	TEST_RUN(burst);
	TEST_RUN(exact_waits);
	TEST_RUN(partial_refill);
	TEST_RUN(refill);
	TEST_RUN(steady_demand);
	TEST_RUN(clamp_after_shrink);
	TEST_RUN(time_backwards);
	return test_summary();
}
