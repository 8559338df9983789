/* test_span_filter.c: filter.application (span_filter.c) from real YAML through the config layer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "span_filter.h"
#include "span_testutil.h"

#define ERRLEN 4096

static const struct span_service tf_svc = {.name = "shop", .namespace_ = "prod", .pid = 7};

static struct span_filter *tf_new(struct obi_config *c, const char *yaml)
{
	char err[ERRLEN] = "";
	struct span_filter *f = NULL;

	config_init_defaults(c);
	if (config_apply_yaml(c, yaml, strlen(yaml), "t.yaml", err, sizeof(err)) != 0)
		fail_msg("config \"%s\": %s", yaml, err);
	assert_int_equal(span_filter_new(&c->filter.application, &f, err, sizeof(err)), 0);
	return f;
}

/* A test span; its text lives in one static arena, so one such span at a time. */
static void tf_span(struct span *sp, const char *path, int status, enum span_kind kind)
{
	static char text[SPAN_TEXT_CAP];

	span_init(sp, text, sizeof(text));
	sp->type = SPAN_TYPE_HTTP;
	sp->kind = kind;
	sp->svc = &tf_svc;
	span_t_set(sp, SPAN_A_HTTP_METHOD, "GET");
	span_t_set(sp, SPAN_A_URL_PATH, path);
	span_t_set(sp, SPAN_A_HTTP_ROUTE, path);
	snprintf(sp->host_addr, sizeof(sp->host_addr), "127.0.0.1");
	snprintf(sp->peer_addr, sizeof(sp->peer_addr), "127.0.0.2");
	sp->host_port = 8080;
	span_t_status(sp, status);
}

/* OBI's documented example: url_path not_match /metrics. */
static void test_not_match(void **state)
{
	struct obi_config c;
	struct span_filter *f =
	    tf_new(&c, "filter:\n  application:\n    url_path: {not_match: /metrics}\n");
	struct span sp;

	(void)state;
	assert_non_null(f);
	tf_span(&sp, "/metrics", 200, SPAN_KIND_SERVER);
	assert_false(span_filter_keep(f, &sp));
	assert_false(span_filter_apply(f, &sp));
	assert_true(sp.drop_traces && sp.drop_metrics);
	tf_span(&sp, "/metrics/x", 200, SPAN_KIND_SERVER);
	assert_true(span_filter_apply(f, &sp));
	assert_false(sp.drop_traces || sp.drop_metrics);
	assert_int_equal(span_filter_dropped(f), 1);
	span_filter_free(f);
	config_free(&c);
}

/* Every attribute must pass; dots and underscores name the same attribute; numbers as text. */
static void test_all_must_pass(void **state)
{
	struct obi_config c;
	struct span_filter *f =
	    tf_new(&c, "filter:\n  application:\n    http.response.status_code: {match: '5*'}\n"
		       "    url.path: {match: '/api/{orders,users}*'}\n"
		       "    service_name: {not_match: 'test-*'}\n");
	struct span sp;

	(void)state;
	tf_span(&sp, "/api/orders/1", 503, SPAN_KIND_SERVER);
	assert_true(span_filter_keep(f, &sp));
	tf_span(&sp, "/api/orders/1", 200, SPAN_KIND_SERVER);
	assert_false(span_filter_keep(f, &sp));
	tf_span(&sp, "/api/carts/1", 500, SPAN_KIND_SERVER);
	assert_false(span_filter_keep(f, &sp));
	tf_span(&sp, "/api/users", 502, SPAN_KIND_SERVER);
	assert_true(span_filter_keep(f, &sp));
	/* No response: the status attribute is absent, "" does not match 5*. */
	tf_span(&sp, "/api/users", 0, SPAN_KIND_SERVER);
	assert_false(span_filter_keep(f, &sp));
	span_filter_free(f);
	config_free(&c);
}

/* client.address exists on server spans only; server.port is compared as text. */
static void test_kind_specific(void **state)
{
	struct obi_config c;
	struct span_filter *f =
	    tf_new(&c, "filter:\n  application:\n    client_address: {match: '127.*'}\n"
		       "    server_port: {match: '80?0'}\n");
	struct span sp;

	(void)state;
	tf_span(&sp, "/", 200, SPAN_KIND_SERVER);
	assert_true(span_filter_keep(f, &sp));
	tf_span(&sp, "/", 200, SPAN_KIND_CLIENT);
	assert_false(span_filter_keep(f, &sp));
	span_filter_free(f);
	config_free(&c);
}

/* An attribute spans never have is ignored (with a warning); no entry left means no filter. */
static void test_unknown_and_empty(void **state)
{
	struct obi_config c;
	struct span_filter *f =
	    tf_new(&c, "filter:\n  application:\n    k8s_pod_name: {match: 'x'}\n");
	struct span sp;

	(void)state;
	assert_null(f);
	tf_span(&sp, "/", 200, SPAN_KIND_SERVER);
	assert_true(span_filter_keep(NULL, &sp));
	assert_true(span_filter_apply(NULL, &sp));
	config_free(&c);
	f = tf_new(&c, "log_level: info\n");
	assert_null(f);
	config_free(&c);
	assert_true(span_filter_attr_known("user_agent_original"));
	assert_true(span_filter_attr_known("http.route"));
	assert_false(span_filter_attr_known("http.routes"));
}

/* The config layer rejects both or neither of match / not_match, and bad globs. */
static void test_bad_config(void **state)
{
	static const char *const bad[] = {
	    "filter:\n  application:\n    url_path: {match: /a, not_match: /b}\n",
	    "filter:\n  application:\n    url_path: {}\n",
	    "filter:\n  application:\n    url_path: {match: '[a'}\n",
	    "filter:\n  application:\n    url_path: {regex: x}\n",
	};
	struct obi_config c;
	char err[ERRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_init_defaults(&c);
		if (config_apply_yaml(&c, bad[i], strlen(bad[i]), "f.yaml", err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err, "f.yaml:"));
		config_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_match),	  cmocka_unit_test(test_all_must_pass),
	    cmocka_unit_test(test_kind_specific), cmocka_unit_test(test_unknown_and_empty),
	    cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
