/* test_route_table.c: unit tests of route settings, ignored patterns, policies, low-card. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "route.h"

static const char *lc(struct route_lc *s, const char *route, char *buf, size_t bufsz,
		      struct route_lc_event *ev)
{
	size_t n = strlen(route);

	assert_true(n < bufsz);
	memcpy(buf, route, n + 1);
	n = route_lc_apply(s, buf, n, '*', ev);
	assert_int_equal(n, strlen(buf));
	return buf;
}

static void test_low_cardinality(void **state)
{
	struct route_lc *s = route_lc_new(3, 64);
	struct route_lc_event ev;
	char b[256];

	(void)state;
	assert_non_null(s);
	assert_string_equal(lc(s, "/users/alice", b, sizeof(b), &ev), "/users/alice");
	assert_string_equal(lc(s, "/users/bob/profile", b, sizeof(b), &ev), "/users/bob/profile");
	assert_string_equal(lc(s, "/users/carol", b, sizeof(b), &ev), "/users/carol");
	assert_int_equal(ev.collapsed, 0);
	assert_false(ev.new_node_collapsed);
	/* the fourth distinct child collapses, and says where */
	assert_string_equal(lc(s, "/users/dave/profile", b, sizeof(b), &ev), "/users/*/profile");
	assert_int_equal(ev.collapsed, 1);
	assert_true(ev.new_node_collapsed);
	assert_string_equal(ev.prefix, "/users/");
	/* said once per node */
	assert_string_equal(lc(s, "/users/eve", b, sizeof(b), &ev), "/users/*");
	assert_int_equal(ev.collapsed, 1);
	assert_false(ev.new_node_collapsed);
	/* the first N still pass through unchanged */
	assert_string_equal(lc(s, "/users/alice", b, sizeof(b), &ev), "/users/alice");
	assert_string_equal(lc(s, "/users/bob/profile", b, sizeof(b), &ev), "/users/bob/profile");
	/* heuristic wildcards are not new values */
	assert_string_equal(lc(s, "/orders/*/items", b, sizeof(b), &ev), "/orders/*/items");
	assert_int_equal(ev.collapsed, 0);
	/* a node below the wildcard is bounded too (it already has "profile" from dave) */
	assert_string_equal(lc(s, "/users/zed/a", b, sizeof(b), &ev), "/users/*/a");
	assert_string_equal(lc(s, "/users/zed/b", b, sizeof(b), &ev), "/users/*/b");
	assert_string_equal(lc(s, "/users/zed/c", b, sizeof(b), &ev), "/users/*/*");
	assert_true(ev.new_node_collapsed);
	assert_string_equal(ev.prefix, "/users/*/");
	/* empty segments are no values: never written as the wildcard (the route never grows) */
	assert_string_equal(lc(s, "//users//x//", b, sizeof(b), &ev), "//users//*//");
	route_lc_free(s);
}

static void test_low_cardinality_memory_bound(void **state)
{
	struct route_lc *s = route_lc_new(1000, 8); /* room for 8 nodes only */
	struct route_lc_event ev;
	char b[64], r[64];
	unsigned collapsed = 0;

	(void)state;
	assert_non_null(s);
	for (int i = 0; i < 100; i++) {
		snprintf(r, sizeof(r), "/v%d/x", i);
		lc(s, r, b, sizeof(b), &ev);
		collapsed += ev.collapsed;
	}
	assert_true(collapsed > 90); /* once full, new values collapse instead of growing */
	assert_string_equal(lc(s, "/v0/x", b, sizeof(b), &ev), "/v0/x");
	route_lc_free(s);
	/* 0 disables the bound */
	s = route_lc_new(0, 8);
	assert_string_equal(lc(s, "/a/b/c", b, sizeof(b), &ev), "/a/b/c");
	route_lc_free(s);
	assert_null(route_lc_new(3, 0));
	assert_int_equal(route_lc_apply(NULL, b, 3, '*', NULL), 3);
}

static void test_parse(void **state)
{
	enum route_unmatched u;
	enum route_ignore_mode m;

	(void)state;
	assert_int_equal(route_unmatched_parse("heuristic", &u), 0);
	assert_int_equal(u, ROUTE_UNMATCHED_HEURISTIC);
	assert_int_equal(route_unmatched_parse("low-cardinality", &u), 0);
	assert_int_equal(u, ROUTE_UNMATCHED_LOW_CARDINALITY);
	assert_int_equal(route_unmatched_parse("", &u), 0);
	assert_int_equal(u, ROUTE_UNMATCHED_WILDCARD);
	assert_int_equal(route_unmatched_parse("unset", &u), 0);
	assert_int_equal(u, ROUTE_UNMATCHED_UNSET);
	assert_int_equal(route_unmatched_parse("path", &u), 0);
	assert_int_equal(u, ROUTE_UNMATCHED_PATH);
	assert_int_equal(route_unmatched_parse("Heuristic", &u), -1);
	assert_int_equal(route_unmatched_parse(NULL, &u), -1);
	assert_int_equal(route_ignore_mode_parse("traces", &m), 0);
	assert_int_equal(m, ROUTE_IGNORE_TRACES);
	assert_int_equal(route_ignore_mode_parse("metrics", &m), 0);
	assert_int_equal(route_ignore_mode_parse("all", &m), 0);
	assert_int_equal(route_ignore_mode_parse("both", &m), -1);
}

static struct route_table *table(enum route_unmatched um, enum route_ignore_mode im, char wc)
{
	static const char *const pats[] = {"/factorial/{num}", "/users/:id/orders"};
	static const char *const ign[] = {"/health", "/metrics/*"};
	struct route_settings s = {.patterns = pats,
				   .n_patterns = 2,
				   .ignored = ign,
				   .n_ignored = 2,
				   .ignore_mode = im,
				   .unmatched = um,
				   .wildcard_char = wc,
				   .max_path_segment_cardinality = 2};
	struct route_table *t = NULL;
	char err[256];

	assert_int_equal(route_table_new(&s, &t, err, sizeof(err)), 0);
	return t;
}

static void test_resolve(void **state)
{
	struct route_table *t = table(ROUTE_UNMATCHED_HEURISTIC, ROUTE_IGNORE_ALL, '*');
	struct route_result r;
	char buf[256];

	(void)state;
	route_resolve(t, NULL, "/factorial/5?x=1", 16, buf, sizeof(buf), &r);
	assert_string_equal(r.route, "/factorial/{num}");
	assert_true(r.matched);
	assert_int_equal(r.drop, 0);
	route_resolve(t, NULL, "/users/42/orders", 16, buf, sizeof(buf), &r);
	assert_string_equal(r.route, "/users/:id/orders");
	route_resolve(t, NULL, "/api/v1/items/42", 16, buf, sizeof(buf), &r);
	assert_string_equal(r.route, "/api/v1/items/*");
	assert_false(r.matched);
	assert_int_equal(r.len, 15);
	route_resolve(t, NULL, "/health", 7, buf, sizeof(buf), &r);
	assert_int_equal(r.drop, ROUTE_DROP_METRICS | ROUTE_DROP_TRACES);
	assert_string_equal(r.route, "/health"); /* still routed: a kept signal needs it */
	route_resolve(t, NULL, "/metrics/cpu/0", 14, buf, sizeof(buf), &r);
	assert_int_equal(r.drop, ROUTE_DROP_METRICS | ROUTE_DROP_TRACES);
	route_table_free(t);

	t = table(ROUTE_UNMATCHED_UNSET, ROUTE_IGNORE_TRACES, '*');
	route_resolve(t, NULL, "/other/1", 8, buf, sizeof(buf), &r);
	assert_null(r.route);
	route_resolve(t, NULL, "/health?probe", 13, buf, sizeof(buf), &r);
	assert_int_equal(r.drop, ROUTE_DROP_TRACES);
	route_table_free(t);

	t = table(ROUTE_UNMATCHED_PATH, ROUTE_IGNORE_METRICS, '*');
	route_resolve(t, NULL, "/other/1?q", 10, buf, sizeof(buf), &r);
	assert_string_equal(r.route, "/other/1");
	route_resolve(t, NULL, "/health", 7, buf, sizeof(buf), &r);
	assert_int_equal(r.drop, ROUTE_DROP_METRICS);
	route_table_free(t);

	t = table(ROUTE_UNMATCHED_WILDCARD, ROUTE_IGNORE_ALL, '*');
	route_resolve(t, NULL, "/other/1", 8, buf, sizeof(buf), &r);
	assert_string_equal(r.route, "/**");
	route_table_free(t);
}

static void test_resolve_low_cardinality(void **state)
{
	struct route_table *t = table(ROUTE_UNMATCHED_LOW_CARDINALITY, ROUTE_IGNORE_ALL, '_');
	struct route_lc *svc = route_table_lc_new(t);
	struct route_result r;
	char buf[256];

	(void)state;
	assert_non_null(svc);
	route_resolve(t, svc, "/team/alpha", 11, buf, sizeof(buf), &r);
	assert_string_equal(r.route, "/team/alpha");
	route_resolve(t, svc, "/team/beta/7", 12, buf, sizeof(buf), &r);
	assert_string_equal(r.route, "/team/beta/_"); /* heuristic first, its own wildcard char */
	route_resolve(t, svc, "/team/gamma", 11, buf, sizeof(buf), &r);
	assert_string_equal(r.route, "/team/_");
	assert_true(r.lc.new_node_collapsed);
	assert_string_equal(r.lc.prefix, "/team/");
	/* without the service's state, low-cardinality is the heuristic alone */
	route_resolve(t, NULL, "/team/delta", 11, buf, sizeof(buf), &r);
	assert_string_equal(r.route, "/team/delta");
	route_lc_free(svc);
	route_table_free(t);
	t = table(ROUTE_UNMATCHED_HEURISTIC, ROUTE_IGNORE_ALL, '*');
	assert_null(route_table_lc_new(t));
	route_table_free(t);
}

static void test_bad_settings(void **state)
{
	static const char *const bad[] = {"/ok", "/not ok"};
	struct route_settings s = {.patterns = bad, .n_patterns = 2, .wildcard_char = '*'};
	struct route_table *t = NULL;
	char err[256];

	(void)state;
	assert_int_equal(route_table_new(&s, &t, err, sizeof(err)), -1);
	assert_null(t);
	assert_non_null(strstr(err, "routes.patterns[1]"));
	assert_non_null(strstr(err, "/not ok"));
	s.patterns = NULL;
	s.n_patterns = 0;
	s.ignored = bad;
	s.n_ignored = 2;
	assert_int_equal(route_table_new(&s, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "routes.ignored_patterns[1]"));
	s.n_ignored = 0;
	for (const char *w = "/?# \x7f"; *w; w++) {
		s.wildcard_char = *w;
		assert_int_equal(route_table_new(&s, &t, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "routes.wildcard_char"));
	}
	s.wildcard_char = '\0';
	assert_int_equal(route_table_new(&s, &t, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_low_cardinality),
	    cmocka_unit_test(test_low_cardinality_memory_bound),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_resolve_low_cardinality),
	    cmocka_unit_test(test_bad_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
