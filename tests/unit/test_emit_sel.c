/* test_emit_sel.c: per-selector exports and sampler (emit_sel.c) from real YAML: which selector
 * a span's process came from, unset vs `[]` exports, a selector's sampler, bad input. */
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
	    cmocka_unit_test(test_no_selectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
