/* test_route_match.c: unit tests of the route pattern matcher (specificity, syntax, bounds). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route.h"

static struct route_matcher *compile(const char *const *p, size_t n)
{
	struct route_matcher *m = NULL;
	char err[128];
	size_t bad = 99;

	assert_int_equal(route_matcher_new(p, n, &m, &bad, err, sizeof(err)), 0);
	assert_non_null(m);
	return m;
}

static const char *find(const struct route_matcher *m, const char *path)
{
	return route_matcher_find(m, path, strlen(path));
}

#define assert_route(m, path, want)                                                                \
	do {                                                                                       \
		const char *got_ = find((m), (path));                                              \
		if ((want) == NULL)                                                                \
			assert_null(got_);                                                         \
		else                                                                               \
			assert_string_equal(got_ ? got_ : "(null)", (want));                       \
	} while (0)

static void test_specificity(void **state)
{
	static const char *const p[] = {"/users/*",	      "/users/{id}", "/users/me",
					"/users/{id}/orders", "/a/b/x/d",    "/a/{p}/x/c",
					"/a/{x}/c",	      "/a/b/{y}"};
	struct route_matcher *m = compile(p, sizeof(p) / sizeof(p[0]));

	(void)state;
	assert_route(m, "/users/me", "/users/me");   /* literal beats parameter and * */
	assert_route(m, "/users/42", "/users/{id}"); /* parameter beats trailing * */
	assert_route(m, "/users/42/orders", "/users/{id}/orders");
	assert_route(m, "/users/42/orders/7", "/users/*");	   /* only * takes the rest */
	assert_route(m, "/users/me/orders", "/users/{id}/orders"); /* backtracks from me */
	assert_route(m, "/users", "/users/*");			   /* * also matches nothing */
	assert_route(m, "/a/b/c", "/a/b/{y}");	   /* first differing segment decides */
	assert_route(m, "/a/b/x/c", "/a/{p}/x/c"); /* dead literal branch, then param */
	assert_route(m, "/a/q/c", "/a/{x}/c");
	assert_route(m, "/b", NULL);
	route_matcher_free(m);
}

static void test_syntax(void **state)
{
	static const char *const p[] = {"/x/:id/y", "/z/{}/w", "/mid/*/end", "/re/{id:[0-9]+}",
					"/",	    "/Case/x", "/k/:/v"};
	struct route_matcher *m = compile(p, sizeof(p) / sizeof(p[0]));

	(void)state;
	assert_route(m, "/x/5/y", "/x/:id/y");
	assert_route(m, "/z/abc/w", "/z/{}/w"); /* empty names are parameters (OBI) */
	assert_route(m, "/k/abc/v", "/k/:/v");
	assert_route(m, "/mid/a/end", "/mid/*/end"); /* * before the end: one segment */
	assert_route(m, "/mid/a/b/end", NULL);
	assert_route(m, "/mid/a/other", NULL);
	/* gorilla's {name:regex} is not a parameter in OBI: only the literal text matches */
	assert_route(m, "/re/5", NULL);
	assert_route(m, "/re/{id:[0-9]+}", "/re/{id:[0-9]+}");
	assert_route(m, "/", "/");
	assert_route(m, "", "/");
	assert_route(m, "/case/x", NULL); /* case-sensitive */
	assert_route(m, "/Case/x", "/Case/x");
	route_matcher_free(m);
}

static void test_slashes_query_encoding(void **state)
{
	static const char *const p[] = {"/users/{id}", "/list/", "/a//b", "/files/a%20b",
					"/q/{x}/r"};
	struct route_matcher *m = compile(p, sizeof(p) / sizeof(p[0]));
	static const char nul_path[] = "/users/7\0/extra";

	(void)state;
	assert_route(m, "/users/7/", "/users/{id}"); /* one trailing slash is ignored */
	assert_route(m, "users/7", "/users/{id}");   /* so is a missing leading one */
	assert_route(m, "/list", "/list/");
	assert_route(m, "/list/", "/list/");
	assert_route(m, "/users/7?next=/users/8/x", "/users/{id}"); /* query never matters */
	assert_route(m, "/users/7#frag/x", "/users/{id}");
	assert_route(m, "/users/7?", "/users/{id}");
	assert_route(m, "/users//", NULL); /* an empty segment is no parameter value */
	assert_route(m, "/q//r", NULL);
	assert_route(m, "/a//b", "/a//b");		 /* but matches a literal empty segment */
	assert_route(m, "/files/a%20b", "/files/a%20b"); /* raw bytes, no decoding */
	assert_route(m, "/files/a b", NULL);
	assert_string_equal(route_matcher_find(m, nul_path, sizeof(nul_path) - 1), "/users/{id}");
	assert_null(route_matcher_find(m, NULL, 0));
	assert_null(route_matcher_find(NULL, "/x", 2));
	route_matcher_free(m);
}

static void test_duplicates_first_wins(void **state)
{
	static const char *const p[] = {"/a/{x}", "/a/:y", "/a/{x}"};
	struct route_matcher *m = compile(p, 3);

	(void)state;
	assert_route(m, "/a/1", "/a/{x}");
	route_matcher_free(m);
}

static void test_invalid_patterns(void **state)
{
	char longp[ROUTE_PATTERN_MAX + 2], deep[ROUTE_DEPTH_MAX * 2 + 8];
	const char *bad[] = {"", "/a b", "/a?x=1", "/a#b", "/a\tb", longp, deep};
	struct route_matcher *m = NULL;
	char err[128];
	size_t idx = 0;

	(void)state;
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	deep[0] = '\0';
	for (int i = 0; i < ROUTE_DEPTH_MAX + 1; i++)
		strcat(deep, "/a");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *list[] = {"/ok", bad[i]};
		assert_int_equal(route_matcher_new(list, 2, &m, &idx, err, sizeof(err)), -1);
		assert_null(m);
		assert_int_equal(idx, 1);
		assert_true(strlen(err) > 0);
	}
	{
		const char *list[] = {NULL};
		assert_int_equal(route_matcher_new(list, 1, &m, &idx, err, sizeof(err)), -1);
	}
	/* 64 segments is the limit, not an error */
	deep[strlen(deep) - 2] = '\0';
	{
		const char *list[] = {deep};
		assert_int_equal(route_matcher_new(list, 1, &m, &idx, err, sizeof(err)), 0);
		assert_route(m, deep, deep);
		route_matcher_free(m);
	}
	/* an empty set compiles and matches nothing */
	assert_int_equal(route_matcher_new(NULL, 0, &m, &idx, err, sizeof(err)), 0);
	assert_route(m, "/", NULL);
	route_matcher_free(m);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Attacker-sized input: a path of 1 MiB with half a million segments, and patterns built so
 * that a naive backtracking matcher would explore 2^63 branches. Must be fast and correct.
 */
static void test_bounded_work(void **state)
{
	enum { N = 1 << 20 };
	char *path = malloc(N + 1), *pat[ROUTE_DEPTH_MAX];
	struct route_matcher *m;
	double t0;

	(void)state;
	assert_non_null(path);
	for (size_t i = 0; i < N; i += 2)
		memcpy(path + i, "/a", 2);
	path[N] = '\0';
	/* pattern i: i literal "a" segments, then parameters up to depth 63, then "z" */
	for (int i = 0; i < ROUTE_DEPTH_MAX - 1; i++) {
		pat[i] = malloc(ROUTE_DEPTH_MAX * 4 + 4);
		assert_non_null(pat[i]);
		pat[i][0] = '\0';
		for (int d = 0; d < ROUTE_DEPTH_MAX - 1; d++)
			strcat(pat[i], d < i ? "/a" : "/:p");
		strcat(pat[i], "/z");
	}
	m = compile((const char *const *)pat, ROUTE_DEPTH_MAX - 1);
	t0 = now_s();
	for (int r = 0; r < 20; r++)
		assert_null(route_matcher_find(m, path, N));
	/* 64 segments: a..a then "q" instead of z: every branch fails at the last segment */
	path[ROUTE_DEPTH_MAX * 2 - 1] = 'q';
	path[ROUTE_DEPTH_MAX * 2] = '\0';
	for (int r = 0; r < 1000; r++)
		assert_null(route_matcher_find(m, path, ROUTE_DEPTH_MAX * 2));
	path[ROUTE_DEPTH_MAX * 2 - 1] = 'z';
	assert_string_equal(find(m, path), pat[ROUTE_DEPTH_MAX - 2]); /* the most literal one */
	assert_true(now_s() - t0 < 5.0); /* linear work takes milliseconds; 2^63 never ends */
	route_matcher_free(m);
	for (int i = 0; i < ROUTE_DEPTH_MAX - 1; i++)
		free(pat[i]);
	free(path);
}

static void test_many_patterns(void **state)
{
	char *pats[ROUTE_PATTERNS_MAX];
	struct route_matcher *m;
	char path[64];

	(void)state;
	for (int i = 0; i < ROUTE_PATTERNS_MAX; i++) {
		pats[i] = malloc(48);
		assert_non_null(pats[i]);
		snprintf(pats[i], 48, "/svc%d/{id}/item%d", i % 97, i);
	}
	m = compile((const char *const *)pats, ROUTE_PATTERNS_MAX);
	snprintf(path, sizeof(path), "/svc%d/77/item%d", 4000 % 97, 4000);
	assert_string_equal(find(m, path), pats[4000]);
	assert_route(m, "/svc1/77/item2", NULL);
	route_matcher_free(m);
	for (int i = 0; i < ROUTE_PATTERNS_MAX; i++)
		free(pats[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_specificity),
	    cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_slashes_query_encoding),
	    cmocka_unit_test(test_duplicates_first_wins),
	    cmocka_unit_test(test_invalid_patterns),
	    cmocka_unit_test(test_bounded_work),
	    cmocka_unit_test(test_many_patterns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
