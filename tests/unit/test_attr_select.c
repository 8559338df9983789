/* test_attr_select.c: attributes.select decisions (attr_select.c) from real YAML, table-driven. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr_select.h"
#include "config.h"

#define ERRLEN 4096

struct as_case {
	const char *name, *attr;
	bool def, want;
};

static void as_run(const char *yaml, const struct as_case *cases, size_t n)
{
	struct obi_config c;
	struct attr_select *s = NULL;
	char err[ERRLEN] = "";

	config_init_defaults(&c);
	if (config_apply_yaml(&c, yaml, strlen(yaml), "t.yaml", err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	assert_int_equal(attr_select_new(&c.attributes.select, &s), 0);
	for (size_t i = 0; i < n; i++) {
		bool got = attr_select_keep_def(s, cases[i].name, cases[i].attr, cases[i].def);

		if (got != cases[i].want)
			fail_msg("%s / %s (default %d): got %d", cases[i].name, cases[i].attr,
				 cases[i].def, got);
		if (cases[i].def && attr_select_keep(s, cases[i].name, cases[i].attr) != got)
			fail_msg("attr_select_keep differs for %s / %s", cases[i].name,
				 cases[i].attr);
	}
	attr_select_free(s);
	config_free(&c);
}

/* The examples of OBI's documentation, in both name forms. */
static void test_obi_examples(void **state)
{
	static const char yaml[] =
	    "attributes:\n  select:\n"
	    "    beyla_network_flow_bytes:\n      include: [beyla.ip, src.name, dst.port]\n"
	    "    sql_client_duration:\n      include: ['*']\n      exclude: [db_statement]\n"
	    "    http_client_request_duration:\n      exclude: ['k8s.pod.*']\n"
	    "    traces:\n      include: [db.query.text]\n      exclude: [user_agent.original]\n";
	static const struct as_case cases[] = {
	    /* include replaces the default set */
	    {"beyla_network_flow_bytes_total", "beyla.ip", true, true},
	    {"beyla.network.flow.bytes", "src_name", true, true},
	    {"beyla_network_flow_bytes", "k8s.src.owner.name", true, false},
	    /* include everything but one, opt-in ones too */
	    {"sql_client_duration_seconds_bucket", "db.operation", false, true},
	    {"sql.client.duration", "db.statement", true, false},
	    /* default set minus a glob */
	    {"http_client_request_duration_seconds", "k8s_pod_name", true, false},
	    {"http.client.request.duration", "http.route", true, true},
	    {"http.client.request.duration", "url.path", false, false},
	    /* traces: an opt-in attribute on, a default one off, others keep their default */
	    {"traces", "db.query.text", false, true},
	    {"traces", "user_agent_original", true, false},
	    {"traces", "http.route", true, true},
	    {"traces", "db.query.parameters", false, false},
	    /* a metric not listed keeps defaults */
	    {"http_server_request_duration_seconds", "k8s.pod.name", true, true},
	    {"http_server_request_duration_seconds", "url.path", false, false},
	};

	(void)state;
	as_run(yaml, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Wildcard entries apply together; an exact name beats them alone. */
static void test_wildcards_and_exact(void **state)
{
	static const char yaml[] =
	    "attributes:\n  select:\n"
	    "    'http_*':\n      exclude: [server.*]\n"
	    "    '*':\n      exclude: [client.address]\n"
	    "    http_server_request_duration:\n      include: [server.port]\n";
	static const struct as_case cases[] = {
	    {"http.client.request.duration", "server.port", true, false},
	    {"http.client.request.duration", "client.address", true, false},
	    {"http.client.request.duration", "http.route", true, true},
	    {"http_server_request_duration_seconds_count", "server.port", true, true},
	    {"http_server_request_duration_seconds_count", "client.address", true, false},
	    {"rpc.server.duration", "client_address", true, false},
	    {"rpc.server.duration", "server.address", true, true},
	};

	(void)state;
	as_run(yaml, cases, sizeof(cases) / sizeof(cases[0]));
}

/* No selection: every attribute keeps its default; NULL arguments too. */
static void test_empty(void **state)
{
	static const struct as_case cases[] = {
	    {"traces", "url.path", true, true},
	    {"http.server.request.duration", "url.path", false, false},
	};
	char longname[400];

	(void)state;
	as_run("log_level: info\n", cases, 2);
	assert_true(attr_select_keep(NULL, "traces", "x"));
	assert_false(attr_select_keep_def(NULL, "traces", "x", false));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_true(attr_select_keep(NULL, longname, longname));
}

/* Bad globs in include / exclude are configuration errors with the file and line. */
static void test_bad_globs(void **state)
{
	static const char yaml[] = "attributes:\n  select:\n    traces:\n      include: ['[a']\n";
	struct obi_config c;
	char err[ERRLEN];

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, yaml, strlen(yaml), "s.yaml", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "s.yaml:"));
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_obi_examples),
	    cmocka_unit_test(test_wildcards_and_exact),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_bad_globs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
