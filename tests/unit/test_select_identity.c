/* test_select_identity.c: OBI's service identity precedence as the enricher applies it to a
 * PROC_ADD (selector name > configured service_name for the OPEN_PORT/EXE criteria > the
 * target's OTEL_SERVICE_NAME > service.name in its OTEL_RESOURCE_ATTRIBUTES > exe name), the
 * namespace likewise, service.instance.id and telemetry.sdk.language. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "enricher.h"
#include "wire.h"

struct icase {
	const char *what;
	uint16_t selector;
	const char *sel_name, *sel_ns, *svc, *svc_ns, *res, *cfg_name, *cfg_ns;
	uint8_t lang;
	const char *want_name, *want_ns, *want_lang;
};

static const struct icase icases[] = {
    {"selector name wins", 1, "sel", "sel-ns", "env", "env-ns", "service.name=res", "cfg", "cfgns",
     OBI_LANG_PYTHON, "sel", "sel-ns", "python"},
    {"configured name for the env criteria", 0, NULL, NULL, "env", "env-ns", NULL, "cfg", "cfgns",
     OBI_LANG_GO, "cfg", "cfgns", "go"},
    {"configured name not for a discovery selector", 2, NULL, NULL, "env", "env-ns", NULL, "cfg",
     "cfgns", OBI_LANG_NODEJS, "env", "env-ns", "nodejs"},
    {"process OTEL_SERVICE_NAME over resource attributes", 1, NULL, NULL, "env", NULL,
     "service.name=res,service.namespace=resns", NULL, NULL, OBI_LANG_JAVA, "env", "resns", "java"},
    {"resource attributes", 1, NULL, NULL, NULL, NULL, "a=b,service.name=res%20x", NULL, NULL,
     OBI_LANG_RUST, "res x", "", "rust"},
    {"executable name", 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, OBI_LANG_GENERIC, "srv", "",
     "generic"},
    {"not examined yet", 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, OBI_LANG_UNKNOWN, "srv", "",
     "generic"},
    {"selector namespace alone", 3, NULL, "only-ns", "env", "env-ns", NULL, NULL, NULL,
     OBI_LANG_DOTNET, "env", "only-ns", "dotnet"},
};

static void test_identity_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(icases) / sizeof(icases[0]); i++) {
		const struct icase *t = &icases[i];
		struct obi_wire_proc f = {.pid = 4242,
					  .ns_pid = 4242,
					  .ppid = 1,
					  .selector = t->selector,
					  .language = t->lang};
		struct wire_proc_parts pp = {.exe = "/opt/app/srv",
					     .svc_name = t->svc,
					     .svc_ns = t->svc_ns,
					     .res_attrs = t->res,
					     .sel_name = t->sel_name,
					     .sel_ns = t->sel_ns};
		uint8_t payload[1024];
		struct wire_msg m = {.type = OBI_MSG_PROC_ADD};
		struct wire_proc_view v;
		static struct proc_table pt;
		struct obi_config cfg = {0};
		struct proc_entry *p;
		ssize_t n = wire_build_proc_parts(payload, sizeof(payload), &f, &pp);

		assert_true(n > 0);
		m.payload = payload;
		m.len = (size_t)n;
		assert_int_equal(wire_get_proc(&m, &v), WIRE_OK);
		cfg.service_name = (char *)t->cfg_name;
		cfg.service_namespace = (char *)t->cfg_ns;
		proc_table_init(&pt);
		assert_int_equal(proc_table_put(&pt, &v, &cfg, "host"), 0);
		p = proc_table_get(&pt, 4242);
		assert_non_null(p);
		if (strcmp(p->svc.name, t->want_name) || strcmp(p->svc.namespace_, t->want_ns) ||
		    strcmp(p->svc.sdk_language, t->want_lang))
			fail_msg("case \"%s\": name %s ns %s lang %s", t->what, p->svc.name,
				 p->svc.namespace_, p->svc.sdk_language);
		assert_string_equal(p->svc.instance_id, "host:4242");
		assert_int_equal(p->selector, t->selector);
		proc_table_clear(&pt);
	}
}

/* A language out of range and non-zero padding are refused on the wire. */
static void test_identity_wire_refuses(void **state)
{
	struct obi_wire_proc f = {.pid = 7};
	uint8_t payload[256];
	struct wire_msg m = {.type = OBI_MSG_PROC_ADD, .payload = payload};
	struct wire_proc_view v;
	ssize_t n = wire_build_proc(payload, sizeof(payload), &f, "/x", NULL, 0, NULL, NULL, NULL);

	(void)state;
	assert_true(n > 0);
	m.len = (size_t)n;
	assert_int_equal(wire_get_proc(&m, &v), WIRE_OK);
	payload[offsetof(struct obi_wire_proc, language)] = OBI_LANG__MAX;
	assert_int_equal(wire_get_proc(&m, &v), WIRE_EPAYLOAD);
	payload[offsetof(struct obi_wire_proc, language)] = OBI_LANG_GO;
	payload[offsetof(struct obi_wire_proc, pad) + 4] = 1;
	assert_int_equal(wire_get_proc(&m, &v), WIRE_EPAYLOAD);
	payload[offsetof(struct obi_wire_proc, pad) + 4] = 0;
	/* a selector name longer than its bound */
	memcpy(payload + offsetof(struct obi_wire_proc, sel_name_len),
	       &(uint16_t){OBI_WIRE_SVC_MAX + 1}, 2);
	assert_int_equal(wire_get_proc(&m, &v), WIRE_EPAYLOAD);
	/* the builder never emits an out-of-range language */
	f.language = 200;
	n = wire_build_proc(payload, sizeof(payload), &f, "/x", NULL, 0, NULL, NULL, NULL);
	m.len = (size_t)n;
	assert_int_equal(wire_get_proc(&m, &v), WIRE_OK);
	assert_int_equal(v.fixed.language, OBI_LANG_GENERIC);
	assert_string_equal(wire_lang_name(200), "generic");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identity_table),
	    cmocka_unit_test(test_identity_wire_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
