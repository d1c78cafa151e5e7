/* SPDX-License-Identifier: MIT */
/*
 * util.c's parent memory: parent_alloc, parent_only and the pools built on it. What the
 * parent writes there on every connection must not end up in its children
 * (4 KiB per held connection for each page), so the test forks and checks
 * that a child really does not have it.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "util.h"

struct obj {
	uint64_t a, b;
	char name[40];
};

/* Distinct, zeroed, aligned objects, more than one chunk's worth; released ones come back. */
static void pool_objects(void)
{
	enum { N = 3000 };
	struct pool pool = { .size = sizeof(struct obj) };
	static struct obj *v[N];
	struct obj *again;
	size_t i, j, zero;

	for (i = 0; i < N; i++) {
		v[i] = pool_zalloc(&pool);
		REQUIRE(v[i]);
		REQUIRE(((uintptr_t)v[i] & (sizeof(max_align_t) - 1)) == 0);
		for (zero = 1, j = 0; j < sizeof(*v[i]); j++)
			zero &= ((const unsigned char *)v[i])[j] == 0;
		REQUIRE(zero);
		memset(v[i], 0xa5, sizeof(*v[i])); /* overlapping objects would clobber others */
		v[i]->a = i;
	}
	for (i = 0; i < N; i++)
		CHECK(v[i]->a == i && v[i]->b == 0xa5a5a5a5a5a5a5a5ull);
	pool_release(&pool, v[17]);
	again = pool_zalloc(&pool);
	CHECK(again == v[17]);
	CHECK(again && again->a == 0 && again->name[39] == 0);
	pool_destroy(&pool);
	CHECK(!pool.chunks && !pool.free);
}

/* Exit status of a child that reads P: killed by SIGSEGV when P is not there. */
static int child_reads(const volatile char *p)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		test_bail("fork");
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL); /* not ASan's report: the signal is the answer */
		_exit(p[0] == 42 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) < 0)
		test_bail("waitpid");
	return status;
}

static void not_inherited(void)
{
	struct pool pool = { .size = sizeof(struct obj) };
	char *p = parent_alloc(100);
	struct obj *o = pool_zalloc(&pool);
	char *heap = malloc(1);
	int st;

	REQUIRE(p && o && heap);
	p[0] = 42;
	o->name[0] = 42;
	heap[0] = 42;
	st = child_reads(heap); /* the control: ordinary memory is there */
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = child_reads(p);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	st = child_reads(o->name);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	CHECK(p[0] == 42 && o->name[0] == 42); /* and the parent still has it */
	free(heap);
	pool_destroy(&pool);
	parent_free(p, 100);
}

/*
 * A static the parent writes per connection (server.c's srv): whole pages
 * only. 64 KiB: whole pages with 4 KiB pages and with 64 KiB ones.
 */
static struct {
	char c[100];
} __attribute__((aligned(65536))) page_static;

static void static_not_inherited(void)
{
	int st;

	CHECK(parent_only(page_static.c + 1, sizeof(page_static)) < 0 && errno == EINVAL);
	CHECK(parent_only(page_static.c, 100) < 0 && errno == EINVAL);
	REQUIRE(parent_only(&page_static, sizeof(page_static)) == 0);
	page_static.c[0] = 42;
	st = child_reads(page_static.c);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	CHECK(page_static.c[0] == 42);
}

/* util.c's printf-free copy for the child's path: cut to fit, always terminated. */
static void copy(void)
{
	char d[6];

	memset(d, 'x', sizeof(d));
	str_copy(d, "abc", sizeof(d));
	CHECK(strcmp(d, "abc") == 0);
	str_copy(d, "abcdefgh", sizeof(d));
	CHECK(strcmp(d, "abcde") == 0);
	str_copy(d, "abcde", sizeof(d));
	CHECK(strcmp(d, "abcde") == 0);
	str_copy(d, "", sizeof(d));
	CHECK(d[0] == '\0');
	str_copy(d, "abc", 1);
	CHECK(d[0] == '\0');
}

int main(void)
{
	TEST_RUN(pool_objects);
	TEST_RUN(not_inherited);
	TEST_RUN(static_not_inherited);
	TEST_RUN(copy);
	return test_summary();
}
