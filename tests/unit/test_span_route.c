/* test_span_route.c: routes applied to spans (span_route.c) from real YAML through the config
 * layer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "route.h"
#include "span_route.h"
#include "span_testutil.h"

#define ERRLEN 4096

struct sr_fixture {
	struct obi_config cfg;
	struct span_route *r;
	struct route_lc *lc;
};

static void sr_setup(struct sr_fixture *f, const char *yaml)
{
	char err[ERRLEN] = "";

	memset(f, 0, sizeof(*f));
	config_init_defaults(&f->cfg);
	if (config_apply_yaml(&f->cfg, yaml, strlen(yaml), "t.yaml", err, sizeof(err)) != 0 ||
	    config_validate(&f->cfg, CONFIG_PROC_ENRICHER, err, sizeof(err)) != 0)
		fail_msg("config \"%s\": %s", yaml, err);
	if (span_route_new(&f->cfg.routes, &f->r, err, sizeof(err)) != 0)
		fail_msg("span_route_new: %s", err);
}

static void sr_teardown(struct sr_fixture *f)
{
	route_lc_free(f->lc);
	span_route_free(f->r);
	config_free(&f->cfg);
}

/* An empty span; its text lives in one static arena, so one such span at a time. */
static void sr_span(struct span *sp)
{
	static char text[SPAN_TEXT_CAP];

	span_init(sp, text, sizeof(text));
	sp->type = SPAN_TYPE_HTTP;
}

/* A span as span_build leaves it: name = method, no route. */
static void sr_apply(struct sr_fixture *f, enum span_kind kind, const char *method,
		     const char *path, struct span *sp)
{
	sr_span(sp);
	sp->kind = kind;
	span_t_set(sp, SPAN_A_HTTP_METHOD, method);
	span_t_set(sp, SPAN_A_NAME, method);
	span_t_set(sp, SPAN_A_URL_PATH, path);
	span_route_apply(f->r, &f->lc, sp);
}

static void sr_expect(struct sr_fixture *f, const char *path, const char *route, const char *name)
{
	struct span sp;

	sr_apply(f, SPAN_KIND_SERVER, "GET", path, &sp);
	if (strcmp(span_str(&sp, SPAN_A_HTTP_ROUTE), route) != 0 ||
	    strcmp(span_str(&sp, SPAN_A_NAME), name) != 0)
		fail_msg("%s: route \"%s\" name \"%s\", want \"%s\" \"%s\"", path,
			 span_str(&sp, SPAN_A_HTTP_ROUTE), span_str(&sp, SPAN_A_NAME), route, name);
}

/* The ConfigMap of issue 8: the pattern wins, everything else is the default heuristic. */
static void test_issue_configmap(void **state)
{
	struct sr_fixture f;

	(void)state;
	sr_setup(&f, "trace_printer: text\nroutes:\n  patterns:\n    - /factorial/{num}\n");
	sr_expect(&f, "/factorial/5", "/factorial/{num}", "GET /factorial/{num}");
	sr_expect(&f, "/factorial/5/", "/factorial/{num}", "GET /factorial/{num}");
	sr_expect(&f, "/users/123/orders", "/users/*/orders", "GET /users/*/orders");
	sr_expect(&f, "/factorial", "/factorial", "GET /factorial");
	assert_int_equal(span_route_stats(f.r).routed, 4);
	sr_teardown(&f);
}

static void test_unmatched_modes(void **state)
{
	struct sr_fixture f;

	(void)state;
	sr_setup(&f, "routes: {patterns: ['/a/{id}'], unmatched: unset}\n");
	sr_expect(&f, "/a/1", "/a/{id}", "GET /a/{id}");
	sr_expect(&f, "/users/123", "", "GET");
	sr_teardown(&f);

	sr_setup(&f, "routes: {unmatched: path}\n");
	sr_expect(&f, "/users/123", "/users/123", "GET /users/123");
	sr_teardown(&f);

	sr_setup(&f, "routes: {unmatched: wildcard}\n");
	sr_expect(&f, "/users/123", "/**", "GET /**");
	sr_teardown(&f);

	sr_setup(&f, "routes: {unmatched: heuristic, wildcard_char: '%'}\n");
	sr_expect(&f, "/api/v1/users/8f14e45f-ceea-467f-a0e8-7d5e1f3c9a2b/orders",
		  "/api/v1/users/%/orders", "GET /api/v1/users/%/orders");
	sr_teardown(&f);
}

/* low-cardinality: the first N children of a node pass, later ones collapse; per service. */
static void test_low_cardinality(void **state)
{
	struct sr_fixture f;
	struct route_lc *other = NULL;
	struct span sp;
	char path[64];

	(void)state;
	sr_setup(&f, "routes: {unmatched: low-cardinality, max_path_segment_cardinality: 3}\n");
	sr_expect(&f, "/shop/shoes", "/shop/shoes", "GET /shop/shoes");
	sr_expect(&f, "/shop/hats", "/shop/hats", "GET /shop/hats");
	sr_expect(&f, "/shop/bags", "/shop/bags", "GET /shop/bags");
	sr_expect(&f, "/shop/coats", "/shop/*", "GET /shop/*");
	sr_expect(&f, "/shop/shoes", "/shop/shoes", "GET /shop/shoes");
	assert_non_null(f.lc);
	assert_true(span_route_stats(f.r).lc_collapsed >= 1);
	/* Another service has its own state: its first children pass. */
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/shop/%s",
			 (const char *[]){"coats", "gloves", "ties"}[i]);
		sr_span(&sp);
		span_t_set(&sp, SPAN_A_HTTP_METHOD, "GET");
		span_t_set(&sp, SPAN_A_URL_PATH, path);
		span_route_apply(f.r, &other, &sp);
		assert_string_equal(span_str(&sp, SPAN_A_HTTP_ROUTE), path);
	}
	route_lc_free(other);
	sr_teardown(&f);
}

static void sr_drop(const char *yaml, bool traces, bool metrics)
{
	struct sr_fixture f;
	struct span sp;

	sr_setup(&f, yaml);
	sr_apply(&f, SPAN_KIND_SERVER, "GET", "/health?probe=1", &sp);
	assert_int_equal(sp.drop_traces, traces);
	assert_int_equal(sp.drop_metrics, metrics);
	sr_apply(&f, SPAN_KIND_SERVER, "GET", "/healthz", &sp);
	assert_false(sp.drop_traces || sp.drop_metrics);
	sr_apply(&f, SPAN_KIND_SERVER, "GET", "/internal/metrics/x", &sp);
	assert_int_equal(sp.drop_traces, traces);
	assert_int_equal(sp.drop_metrics, metrics);
	assert_int_equal(span_route_stats(f.r).ignored, 2);
	sr_teardown(&f);
}

static void test_ignore_modes(void **state)
{
	(void)state;
	sr_drop("routes: {ignored_patterns: [/health, /internal/*]}\n", true, true);
	sr_drop("routes: {ignored_patterns: [/health, /internal/*], ignore_mode: all}\n", true,
		true);
	sr_drop("routes: {ignored_patterns: [/health, /internal/*], ignore_mode: traces}\n", true,
		false);
	sr_drop("routes: {ignored_patterns: [/health, /internal/*], ignore_mode: metrics}\n", false,
		true);
}

/* A flag another stage set stays set; an ignored span still gets its route. */
static void test_flags_kept(void **state)
{
	struct sr_fixture f;
	struct span sp;

	(void)state;
	sr_setup(&f, "routes: {ignored_patterns: [/health], ignore_mode: metrics}\n");
	sr_span(&sp);
	span_t_set(&sp, SPAN_A_HTTP_METHOD, "GET");
	span_t_set(&sp, SPAN_A_URL_PATH, "/health");
	sp.drop_traces = true;
	span_route_apply(f.r, &f.lc, &sp);
	assert_true(sp.drop_traces);
	assert_true(sp.drop_metrics);
	assert_string_equal(span_str(&sp, SPAN_A_NAME), "GET /health");
	sr_teardown(&f);
}

/* Client spans are routed from their url.path too (OBI's HTTPClient spans). */
static void test_client_span(void **state)
{
	struct sr_fixture f;
	struct span sp;

	(void)state;
	sr_setup(&f, "routes: {patterns: ['/v1/items/:id']}\n");
	sr_apply(&f, SPAN_KIND_CLIENT, "POST", "/v1/items/42", &sp);
	assert_string_equal(span_str(&sp, SPAN_A_HTTP_ROUTE), "/v1/items/:id");
	assert_string_equal(span_str(&sp, SPAN_A_NAME), "POST /v1/items/:id");
	sr_apply(&f, SPAN_KIND_CLIENT, "DELETE", "/v2/items/42", &sp);
	assert_string_equal(span_str(&sp, SPAN_A_HTTP_ROUTE), "/v2/items/*");
	sr_teardown(&f);
}

/* A path of the span's full size, and every byte value, never overflow route or name. */
static void test_long_and_hostile(void **state)
{
	struct sr_fixture f;
	struct span sp;
	char path[SPAN_STR_MAX];

	(void)state;
	sr_setup(&f, "routes: {unmatched: path}\n");
	sr_span(&sp);
	span_t_set(&sp, SPAN_A_HTTP_METHOD, "PROPFINDPROPFINDPROPFINDPROPFIN");
	/* url.path at its bound (SPAN_STR_MAX - 1 bytes) */
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	span_t_set(&sp, SPAN_A_URL_PATH, path);
	assert_int_equal(span_str_len(&sp, SPAN_A_URL_PATH), sizeof(path) - 1);
	span_route_apply(f.r, &f.lc, &sp);
	assert_int_equal(strlen(span_str(&sp, SPAN_A_HTTP_ROUTE)), sizeof(path) - 1);
	assert_true(strlen(span_str(&sp, SPAN_A_NAME)) <= span_attr_defs[SPAN_A_NAME].max);
	assert_int_equal(
	    strncmp(span_str(&sp, SPAN_A_NAME), "PROPFINDPROPFINDPROPFINDPROPFIN /aaa", 36), 0);
	sr_teardown(&f);
}

/* Bad patterns never reach the enricher: the config layer names the key and the source. */
static void test_bad_patterns_rejected(void **state)
{
	static const char *const bad[] = {
	    "routes: {patterns: [relative/path]}\n", "routes: {patterns: ['/a?b']}\n",
	    "routes: {patterns: ['/a/{b']}\n",	     "routes: {ignored_patterns: ['/a b']}\n",
	    "routes: {unmatched: sometimes}\n",	     "routes: {wildcard_char: '/'}\n",
	};
	struct obi_config c;
	char err[ERRLEN];
	char deep[2048] = "routes: {patterns: ['";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_init_defaults(&c);
		err[0] = '\0';
		if (config_apply_yaml(&c, bad[i], strlen(bad[i]), "bad.yaml", err, sizeof(err)) ==
		    0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err, "bad.yaml:1: routes."));
		config_free(&c);
	}
	for (int i = 0; i < 65; i++)
		strcat(deep, "/s");
	strcat(deep, "']}\n");
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, deep, strlen(deep), "d.yaml", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 64 segments"));
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_issue_configmap),  cmocka_unit_test(test_unmatched_modes),
	    cmocka_unit_test(test_low_cardinality),  cmocka_unit_test(test_ignore_modes),
	    cmocka_unit_test(test_flags_kept),	     cmocka_unit_test(test_client_span),
	    cmocka_unit_test(test_long_and_hostile), cmocka_unit_test(test_bad_patterns_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
