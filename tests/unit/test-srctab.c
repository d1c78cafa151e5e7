/* SPDX-License-Identifier: MIT */
/*
 * srctab.c: per-source counts. Fixed cases, forced growth, and random
 * inc/dec sequences checked against a plain array after every step
 * (SRCTAB_SEED replays one).
 */
#include "srctab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util.h"

static struct addr mk(const char *s, unsigned port)
{
	struct addr a;
	int has_port;

	memset(&a, 0, sizeof(a));
	if (addr_parse(s, &a, &has_port) < 0)
		test_bail("bad address in a test");
	addr_set_port(&a, port);
	return a;
}

/* Address number I of a pool: IPv4 for even I, IPv6 for odd, all distinct. */
static struct addr pool_addr(unsigned i, unsigned port)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (i % 2 == 0) {
		a.u.in4.sin_family = AF_INET;
		a.u.in4.sin_addr.s_addr = htonl(0x0a000000u + i / 2);
		a.len = sizeof(a.u.in4);
	} else {
		a.u.in6.sin6_family = AF_INET6;
		a.u.in6.sin6_addr.s6_addr[0] = 0x20;
		a.u.in6.sin6_addr.s6_addr[1] = 0x01;
		a.u.in6.sin6_addr.s6_addr[2] = 0x0d;
		a.u.in6.sin6_addr.s6_addr[3] = 0xb8;
		a.u.in6.sin6_addr.s6_addr[12] = (uint8_t)(i >> 24);
		a.u.in6.sin6_addr.s6_addr[13] = (uint8_t)(i >> 16);
		a.u.in6.sin6_addr.s6_addr[14] = (uint8_t)(i >> 8);
		a.u.in6.sin6_addr.s6_addr[15] = (uint8_t)i;
		a.len = sizeof(a.u.in6);
	}
	addr_set_port(&a, port);
	return a;
}

/* The table's bookkeeping: a power-of-two capacity, at most half full. */
static int shape_ok(const struct srctab *t)
{
	if (t->cap == 0)
		return t->n == 0 && t->v == NULL;
	return (t->cap & (t->cap - 1)) == 0 && t->n * 2 <= t->cap && t->v != NULL;
}

static void basics(void)
{
	struct srctab t = { 0 };
	struct addr a = mk("192.0.2.1", 1000), b = mk("192.0.2.2", 1000), c = mk("::1", 5);

	/* An empty table answers and forgives. */
	CHECK(srctab_get(&t, &a) == 0);
	srctab_dec(&t, &a);
	CHECK(t.n == 0 && t.cap == 0);

	REQUIRE(srctab_inc(&t, &a) == 0);
	CHECK(srctab_get(&t, &a) == 1);
	CHECK(srctab_get(&t, &b) == 0);
	CHECK(t.n == 1 && shape_ok(&t));
	REQUIRE(srctab_inc(&t, &a) == 0);
	REQUIRE(srctab_inc(&t, &b) == 0);
	REQUIRE(srctab_inc(&t, &c) == 0);
	CHECK(srctab_get(&t, &a) == 2 && srctab_get(&t, &b) == 1 && srctab_get(&t, &c) == 1);
	CHECK(t.n == 3);

	/* The port is not part of the source. */
	a = mk("192.0.2.1", 2000);
	CHECK(srctab_get(&t, &a) == 2);
	srctab_dec(&t, &a);
	CHECK(srctab_get(&t, &a) == 1);
	srctab_dec(&t, &a);
	CHECK(srctab_get(&t, &a) == 0);
	CHECK(t.n == 2);
	/* Below zero: nothing happens, to it or to the others. */
	srctab_dec(&t, &a);
	CHECK(srctab_get(&t, &a) == 0 && t.n == 2);
	CHECK(srctab_get(&t, &b) == 1 && srctab_get(&t, &c) == 1);
	/* A source never seen. */
	srctab_dec(&t, &(struct addr){ .len = 0 });
	b = mk("198.51.100.1", 1);
	srctab_dec(&t, &b);
	CHECK(t.n == 2);
	srctab_free(&t);
	CHECK(t.v == NULL && t.n == 0 && t.cap == 0);
	srctab_free(&t);
}

/* Same bytes in another family are another source: 32.1.13.184 is not 2001:db8::. */
static void families(void)
{
	struct srctab t = { 0 };
	struct addr v4 = mk("32.1.13.184", 1), v6 = mk("2001:db8::", 1), z4 = mk("0.0.0.0", 1),
		    z6 = mk("::", 1), one4 = mk("0.0.0.1", 1), one6 = mk("::1", 1);

	REQUIRE(srctab_inc(&t, &v4) == 0);
	CHECK(srctab_get(&t, &v6) == 0);
	REQUIRE(srctab_inc(&t, &v6) == 0);
	REQUIRE(srctab_inc(&t, &v6) == 0);
	CHECK(srctab_get(&t, &v4) == 1 && srctab_get(&t, &v6) == 2);
	REQUIRE(srctab_inc(&t, &z4) == 0);
	CHECK(srctab_get(&t, &z6) == 0);
	REQUIRE(srctab_inc(&t, &one6) == 0);
	CHECK(srctab_get(&t, &one4) == 0);
	/* A mapped address is stored as what addr_parse() made of it: IPv4. */
	v4 = mk("::ffff:32.1.13.184", 9);
	CHECK(srctab_get(&t, &v4) == 1);
	srctab_dec(&t, &v6);
	srctab_dec(&t, &v6);
	CHECK(srctab_get(&t, &v6) == 0 && srctab_get(&t, &v4) == 1);
	srctab_free(&t);
}

/* Many sources at once: the table grows several times and loses none. */
static void growth(void)
{
	enum { N = 20000 };
	struct srctab t = { 0 };
	struct addr a;
	size_t caps = 0, last = 0;
	unsigned i, bad = 0;

	for (i = 0; i < N; i++) {
		a = pool_addr(i, 40000 + i % 1000);
		if (srctab_inc(&t, &a) < 0)
			test_bail("out of memory");
		if (i % 3 == 0 && srctab_inc(&t, &a) < 0)
			test_bail("out of memory");
		if (t.cap != last) {
			caps++;
			last = t.cap;
		}
	}
	CHECK(t.n == N && shape_ok(&t));
	CHECK(caps >= 8); /* 64 ... 65536 */
	for (i = 0; i < N; i++) {
		a = pool_addr(i, 1);
		if (srctab_get(&t, &a) != (i % 3 == 0 ? 2u : 1u))
			bad++;
	}
	if (!CHECK(bad == 0))
		test_note("%u of %u sources with a wrong count after growing", bad, N);
	/* Remove every other one; the rest stay findable. */
	for (i = 0; i < N; i += 2) {
		a = pool_addr(i, 7);
		srctab_dec(&t, &a);
		if (i % 3 == 0)
			srctab_dec(&t, &a);
	}
	CHECK(t.n == N / 2);
	for (bad = 0, i = 0; i < N; i++) {
		a = pool_addr(i, 1);
		if (srctab_get(&t, &a) != (i % 2 ? (i % 3 == 0 ? 2u : 1u) : 0u))
			bad++;
	}
	if (!CHECK(bad == 0))
		test_note("%u of %u sources with a wrong count after deletions", bad, N);
	for (i = 1; i < N; i += 2) {
		a = pool_addr(i, 7);
		srctab_dec(&t, &a);
		srctab_dec(&t, &a);
	}
	CHECK(t.n == 0);
	for (bad = 0, i = 0; i < N; i++) {
		a = pool_addr(i, 1);
		if (srctab_get(&t, &a))
			bad++;
	}
	CHECK(bad == 0);
	srctab_free(&t);
}

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/*
 * Random increments and decrements over a pool of POOL sources, checked
 * against an array after every step. A small pool keeps the table at its
 * smallest sizes, where runs of collisions wrap around the end and
 * backward-shift deletion has the most to do; a large one makes it grow
 * and shrink in use.
 */
static int random_run(unsigned pool, unsigned steps, unsigned check_every)
{
	struct srctab t = { 0 };
	unsigned *model, i, j, k, live = 0;
	struct addr a;
	int ok = 1;

	model = calloc(pool, sizeof(*model));
	if (!model)
		test_bail("out of memory");
	for (i = 0; i < steps && ok; i++) {
		k = rng() % pool;
		a = pool_addr(k * 7919u, rng() % 65536);
		/* Lean towards adding while few are live, towards removing when many. */
		if (rng() % pool >= live || model[k] == 0) {
			if (srctab_inc(&t, &a) < 0)
				test_bail("out of memory");
			if (model[k]++ == 0)
				live++;
		} else {
			srctab_dec(&t, &a);
			if (--model[k] == 0)
				live--;
		}
		if (!CHECK(t.n == live && shape_ok(&t))) {
			test_note("pool %u, step %u: n %zu cap %zu, model %u", pool, i, t.n, t.cap,
				  live);
			ok = 0;
		}
		if (i % check_every && i != steps - 1)
			continue;
		for (j = 0; j < pool && ok; j++) {
			a = pool_addr(j * 7919u, 0);
			if (!CHECK(srctab_get(&t, &a) == model[j])) {
				test_note("pool %u, step %u: source %u has %u, model %u", pool, i,
					  j, srctab_get(&t, &a), model[j]);
				ok = 0;
			}
		}
	}
	/* Drain everything: the table ends empty. */
	for (j = 0; j < pool; j++) {
		a = pool_addr(j * 7919u, 0);
		while (model[j]--)
			srctab_dec(&t, &a);
	}
	CHECK(t.n == 0);
	srctab_free(&t);
	free(model);
	return ok;
}

static void random_model(void)
{
	const char *env = getenv("SRCTAB_SEED");

	rng_state = env ? strtoull(env, NULL, 0) : 0x243f6a8885a308d3ULL;
	if (!rng_state)
		rng_state = 1;
	printf("# random_model: SRCTAB_SEED=%llu\n", (unsigned long long)rng_state);
	if (!random_run(20, 100000, 1))
		return;
	if (!random_run(31, 100000, 1))
		return;
	if (!random_run(60, 60000, 1))
		return;
	if (!random_run(3000, 200000, 997))
		return;
}

int main(void)
{
	TEST_RUN(basics);
	TEST_RUN(families);
	TEST_RUN(growth);
	TEST_RUN(random_model);
	return test_summary();
}
