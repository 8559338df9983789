/* test_emit_sel.c: per-selector exports, sampler and metrics.features (emit_sel.c) from real
 * YAML: which selector a span's process came from, unset vs `[]` exports, a selector's sampler,
 * features against the global list, bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "config.h"
#include "emit_sel.h"

static const char yaml[] = "discovery:\n  instrument:\n"
			   "    - open_ports: 8080\n      exports: [metrics]\n"
			   "    - open_ports: 8081\n      exports: []\n"
			   "    - open_ports: 8082\n      sampler: {name: always_off}\n"
			   "    - open_ports: 8083\n      exports: [traces, metrics]\n"
			   "      sampler: {name: traceidratio, arg: \"0.5\"}\n";

static const struct emit_sel *of(const struct emit_sels *s, unsigned selector)
{
	static struct span_service svc;
	static struct span sp;

	svc.selector = selector;
	sp.svc = &svc;
	return emit_sels_of(s, &sp);
}

static void test_selectors(void **state)
{
	struct obi_config c;
	struct emit_sels s;
	const struct emit_sel *e;
	char err[512] = "";

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, yaml, strlen(yaml), "t.yaml", err, sizeof(err)), 0);
	assert_int_equal(emit_sels_init(&s, &c, err, sizeof(err)), 0);
	assert_null(of(&s, 0)); /* the legacy criteria: global settings */
	assert_null(of(&s, 5)); /* past the list */
	e = of(&s, 1);
	assert_true(e->metrics && !e->traces && !e->own_sampler);
	e = of(&s, 2);
	assert_true(!e->metrics && !e->traces);
	e = of(&s, 3);
	assert_true(e->metrics && e->traces && e->own_sampler);
	assert_string_equal(sampler_name(&e->sampler), "always_off");
	e = of(&s, 4);
	assert_true(e->metrics && e->traces && e->own_sampler);
	assert_string_equal(sampler_name(&e->sampler), "traceidratio");
	assert_true(e->sampler.ratio > 0.49 && e->sampler.ratio < 0.51);
	emit_sels_free(&s);
	config_free(&c);
}

/* A selector's metrics.features replaces the global list: `application` turns the RED metrics
 * on or off for its processes; no list keeps the global one; exports still gate them. */
static void test_metric_features(void **state)
{
	static const char y[] = "metrics:\n  features: [application_span]\n"
				"discovery:\n  instrument:\n"
				"    - open_ports: 8080\n"
				"    - open_ports: 8081\n      metrics: {features: [application]}\n"
				"    - open_ports: 8082\n      metrics: {features: [application]}\n"
				"      exports: [traces]\n";
	struct obi_config c;
	struct emit_sels s;
	char err[512] = "";

	(void)state;
	config_init_defaults(&c);
	assert_false(emit_sels_want_app(&c)); /* no selector at all */
	assert_int_equal(config_apply_yaml(&c, y, strlen(y), "t.yaml", err, sizeof(err)), 0);
	assert_true(emit_sels_want_app(&c));
	assert_int_equal(emit_sels_init(&s, &c, err, sizeof(err)), 0);
	assert_false(s.app_metrics);
	assert_false(of(&s, 1)->metrics); /* the global list, without application */
	assert_true(of(&s, 2)->metrics);
	assert_false(of(&s, 3)->metrics); /* exports: [traces] */
	assert_true(of(&s, 3)->traces);
	emit_sels_free(&s);
	config_free(&c);
}

static void test_no_selectors(void **state)
{
	struct obi_config c;
	struct emit_sels s;
	char err[64];

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(emit_sels_init(&s, &c, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);
	assert_null(of(&s, 1));
	emit_sels_free(&s);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_selectors),
	    cmocka_unit_test(test_metric_features),
	    cmocka_unit_test(test_no_selectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
