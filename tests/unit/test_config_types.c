/* test_config_types.c: table-driven tests of every value type, from YAML and from the environment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define ERRLEN 4096

struct yaml_case {
	const char *yaml;
	int rc;
	const char *needle; /* in the error (rc -1), NULL when fine */
};

static void run_yaml_cases(const struct yaml_case *cases, size_t n)
{
	struct obi_config c;
	char err[ERRLEN];
	size_t i;

	for (i = 0; i < n; i++) {
		int rc;

		config_init_defaults(&c);
		err[0] = '\0';
		rc = config_apply_yaml(&c, cases[i].yaml, strlen(cases[i].yaml), "t.yaml", err,
				       sizeof(err));
		if (rc != cases[i].rc || (cases[i].needle && !strstr(err, cases[i].needle)))
			fail_msg("yaml \"%s\": rc %d, err \"%s\"", cases[i].yaml, rc, err);
		config_free(&c);
	}
}

static void run_env_cases(const struct yaml_case *cases, size_t n)
{
	struct obi_config c;
	char err[ERRLEN];
	size_t i;

	for (i = 0; i < n; i++) {
		char *env[] = {(char *)cases[i].yaml, NULL};
		int rc;

		config_init_defaults(&c);
		err[0] = '\0';
		rc = config_apply_env(&c, env, err, sizeof(err));
		if (rc != cases[i].rc || (cases[i].needle && !strstr(err, cases[i].needle)))
			fail_msg("env \"%s\": rc %d, err \"%s\"", cases[i].yaml, rc, err);
		config_free(&c);
	}
}

static int apply(struct obi_config *c, const char *yaml, char *err)
{
	int rc;

	config_init_defaults(c);
	rc = config_apply_yaml(c, yaml, strlen(yaml), "t.yaml", err, ERRLEN);
	if (rc)
		print_message("apply: %s\n", err);
	return rc;
}

/* Every scalar type, good and bad, from YAML. */
static void test_scalar_types(void **state)
{
	static const struct yaml_case cases[] = {
	    {"ebpf: {track_request_headers: True}", 0, NULL},
	    {"ebpf: {track_request_headers: maybe}", -1, "invalid boolean \"maybe\""},
	    {"ebpf: {max_connections: 4096}", 0, NULL},
	    {"ebpf: {max_connections: lots}", -1, "t.yaml:1: ebpf.max_connections: invalid number"},
	    {"ebpf: {max_connections: 10}", -1, "10 out of range 256-1048576"},
	    {"attributes: {metric_span_names_limit: -5}", 0, NULL},
	    {"attributes: {metric_span_names_limit: 9223372036854775808}", -1, "invalid number"},
	    {"attributes: {metric_span_names_limit: -9223372036854775808}", 0, NULL},
	    {"ebpf: {drain_interval: 20ms}", 0, NULL},
	    {"ebpf: {drain_interval: 20}", -1, "a unit is required"},
	    {"attributes: {kubernetes: {informers_sync_timeout: 0s}}", -1, "below the minimum"},
	    {"ebpf: {ringbuf_size: 8MiB}", 0, NULL},
	    {"ebpf: {ringbuf_size: 8 apples}", -1, "invalid size"},
	    {"service_name: shop", 0, NULL},
	    {"routes: {unmatched: low-cardinality}", 0, NULL},
	    {"routes: {unmatched: sometimes}", -1, "invalid value \"sometimes\": expected one of"},
	    {"routes: {wildcard_char: '%'}", 0, NULL},
	    {"routes: {wildcard_char: '#'}", -1, "other than '/', '?' and '#'"},
	    {"routes: {wildcard_char: '**'}", -1, "must be a single character"},
	    {"otel_traces_export: {sampler: {name: traceidratio, arg: '0.25'}}", 0, NULL},
	    {"otel_traces_export: {sampler: {arg: 'half'}}", -1, "not a ratio"},
	    {"otel_traces_export: {endpoint: 'http://otelcol:4317'}", 0, NULL},
	    {"otel_traces_export: {endpoint: 'otelcol:4317'}", -1, "is not a URL"},
	    {"executable_path: '(?:^|/)nginx$'", 0, NULL},
	    {"executable_path: '\\d+-worker'", 0, NULL},
	    {"executable_path: '(?i)nginx'", -1, "RE2 flag groups"},
	    {"executable_path: '(unclosed'", -1, "invalid regex \"(unclosed\""},
	    {"executable_path: 'a{100}{100}'", -1, "counted repetitions"},
	    {"discovery: {instrument: [{exe_path: '*/{nginx,python3}'}]}", 0, NULL},
	    {"discovery: {instrument: [{exe_path: '*[ab'}]}", -1, "unterminated [ class"},
	    {"discovery: {instrument: [{exe_path: '*{a,{b,c}}'}]}", -1, "nests"},
	    {"discovery: {instrument: [{exe_path: 'x}'}]}", -1, "} without {"},
	};

	(void)state;
	run_yaml_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* The same handlers from the environment, including OBI's older alias names. */
static void test_env_types(void **state)
{
	static const struct yaml_case cases[] = {
	    {"OTEL_TRACES_SAMPLER=always_off", 0, NULL},
	    {"OTEL_TRACES_SAMPLER=jaeger_remote", -1, "OTEL_TRACES_SAMPLER (environment)"},
	    {"OTEL_EBPF_METRICS_FEATURES=application,application_service_graph", 0, NULL},
	    {"OTEL_EBPF_METRICS_FEATURES=application,nope", -1, "invalid value \"nope\""},
	    {"OTEL_EBPF_OTEL_TRACES_INSTRUMENTATIONS=http,grpc", 0, NULL},
	    {"OTEL_EBPF_OTLP_TRACES_MAX_EXPORT_BATCH_SIZE=0", -1, "0 out of range 1-1048576"},
	    {"OTEL_EBPF_AUTO_TARGET_LANGUAGE={go,java", -1, "unterminated {"},
	    {"OTEL_EBPF_TARGET_PID=12,100-200", 0, NULL},
	    {"OTEL_EBPF_TARGET_PID=200-100", -1, "backwards range"},
	    {"OTEL_EBPF_TARGET_PID=abc", -1, "not a PID"},
	    {"OTEL_EXPORTER_OTLP_HEADERS=a=b,c=d", 0, NULL},
	    {"OTEL_EXPORTER_OTLP_HEADERS=a=b,junk", -1, "entry 2 is not key=value"},
	    {"OTEL_EXPORTER_OTLP_HEADERS=a=%zz", -1, "bad %-escape"},
	    {"OTEL_EXPORTER_OTLP_HEADERS==v", -1, "empty key"},
	    {"OTEL_RESOURCE_ATTRIBUTES=deployment.environment=prod", 0, NULL},
	    {"OTEL_EBPF_BPF_CONTEXT_PROPAGATION=headers,tcp", 0, NULL},
	    {"OTEL_EBPF_BPF_CONTEXT_PROPAGATION=carrier-pigeon", -1, "expected one of"},
	    {"OTEL_EBPF_KUBE_METADATA_ENABLE=autodetect", 0, NULL},
	    {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://[::1]:4318/v1/traces", 0, NULL},
	    {"OTEL_EBPF_PROMETHEUS_PORT=70000", -1, "out of range 0-65535"},
	};

	(void)state;
	run_env_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_flags(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	char *const all[] = {"OTEL_EBPF_METRICS_FEATURES=*", NULL};
	char *const none[] = {"OTEL_EBPF_BPF_CONTEXT_PROPAGATION=disabled", NULL};

	(void)state;
	assert_int_equal(apply(&c, "metrics: {features: [application, network]}", err), 0);
	assert_true(c.metrics.features == ((1ull << 0) | (1ull << 8)));
	assert_int_equal(config_apply_env(&c, all, err, sizeof(err)), 0);
	assert_true(c.metrics.features == (1ull << 17) - 1); /* every named feature */
	config_free(&c);
	assert_int_equal(apply(&c, "ebpf: {context_propagation: all}", err), 0);
	assert_true(c.ebpf.context_propagation == 15);
	assert_int_equal(config_apply_env(&c, none, err, sizeof(err)), 0);
	assert_true(c.ebpf.context_propagation == 0);
	config_free(&c);
}

static void test_strlist(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	char *const env[] = {"OTEL_EBPF_PROMETHEUS_EXTRA_RESOURCE_ATTRIBUTES= a , b.c ,,", NULL};
	char *const globs[] = {"OTEL_EBPF_NETWORK_INTERFACES=eth{0,1},lo", NULL};

	(void)state;
	assert_int_equal(
	    apply(&c, "routes:\n  patterns:\n    - /factorial/{num}\n    - /u/:id\n", err), 0);
	assert_int_equal(c.routes.patterns.n, 2);
	assert_string_equal(c.routes.patterns.v[0], "/factorial/{num}");
	assert_string_equal(c.routes.patterns.v[1], "/u/:id");
	/* a later list replaces, not appends */
	assert_int_equal(config_apply_yaml(&c, "routes: {patterns: [/x]}", 24, "t", err, ERRLEN),
			 0);
	assert_int_equal(c.routes.patterns.n, 1);
	/* an empty list is set and empty, unlike an absent one */
	assert_int_equal(config_apply_yaml(&c, "routes: {patterns: []}", 22, "t", err, ERRLEN), 0);
	assert_int_equal(c.routes.patterns.n, 0);
	assert_true(c.routes.patterns.set);
	assert_int_equal(config_apply_env(&c, env, err, sizeof(err)), 0);
	assert_int_equal(c.prometheus.extra_resource_attributes.n, 2);
	assert_string_equal(c.prometheus.extra_resource_attributes.v[1], "b.c");
	assert_int_equal(config_apply_env(&c, globs, err, sizeof(err)), 0);
	assert_int_equal(c.network.interfaces.n, 2); /* the comma inside {} does not split */
	assert_string_equal(c.network.interfaces.v[0], "eth{0,1}");
	config_free(&c);
	assert_int_equal(apply(&c, "routes: {patterns: [factorial]}", err), -1);
	assert_non_null(strstr(err, "must start with /"));
	config_free(&c);
	assert_int_equal(apply(&c, "routes: {patterns: [[/a]]}", err), -1);
	assert_non_null(strstr(err, "list items must be single values"));
	config_free(&c);
}

static const char *map_get(const struct config_map *m, const char *k)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->kv[i].k, k) == 0)
			return m->kv[i].v;
	return NULL;
}

static void test_map(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	char *const env[] = {"OTEL_EXPORTER_OTLP_HEADERS= Authorization = Basic%20dXNlcg%3D%3D , "
			     "x-tenant=a%2Cb,x-tenant=c",
			     NULL};

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(c.attributes.kubernetes.resource_labels.n, 3);
	assert_string_equal(map_get(&c.attributes.kubernetes.resource_labels, "service.name"),
			    "app.kubernetes.io/name");
	assert_int_equal(config_apply_env(&c, env, err, sizeof(err)), 0);
	assert_int_equal(c.otlp.headers.n, 2);
	assert_string_equal(map_get(&c.otlp.headers, "Authorization"), "Basic dXNlcg==");
	assert_string_equal(map_get(&c.otlp.headers, "x-tenant"), "c"); /* the last one wins */
	config_free(&c);
	assert_int_equal(apply(&c,
			       "attributes:\n  kubernetes:\n    resource_labels:\n"
			       "      service.name: [app, app.kubernetes.io/name]\n"
			       "      deployment.environment: env\n",
			       err),
			 0);
	assert_int_equal(c.attributes.kubernetes.resource_labels.n, 2);
	assert_string_equal(map_get(&c.attributes.kubernetes.resource_labels, "service.name"),
			    "app,app.kubernetes.io/name");
	config_free(&c);
	/* a list where a map belongs */
	assert_int_equal(apply(&c, "attributes: {kubernetes: {resource_labels: [a, b]}}", err), -1);
	assert_non_null(strstr(err, "attributes.kubernetes.resource_labels: expected a mapping"));
	config_free(&c);
}

static void test_objects(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	const struct config_selector *s;
	const struct config_attr_filter *f;
	const struct config_attr_select *a;
	const char *yaml = "discovery:\n"
			   "  instrument:\n"
			   "    - exe_path: '*/python3*'\n"
			   "      open_ports: 8000-8999\n"
			   "      cmd_args: '*http.server*'\n"
			   "    - open_ports: [80, 443]\n"
			   "      name: web\n"
			   "      k8s_pod_labels: {app: 'front*'}\n"
			   "      exports: [traces]\n"
			   "      sampler: {name: traceidratio, arg: '0.5'}\n"
			   "      routes: {incoming: ['/api/{id}']}\n"
			   "  exclude_instrument:\n"
			   "    - exe_path: '*/nginx'\n"
			   "  default_exclude_instrument: []\n"
			   "filter:\n"
			   "  application:\n"
			   "    url_path: {not_match: /metrics}\n"
			   "attributes:\n"
			   "  select:\n"
			   "    http_server_request_duration:\n"
			   "      include: ['*']\n"
			   "      exclude: [url.path]\n";

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(c.discovery.default_exclude_instrument.n, 2); /* OBI's defaults */
	config_free(&c);
	assert_int_equal(apply(&c, yaml, err), 0);
	assert_int_equal(c.discovery.instrument.n, 2);
	s = config_objlist_at(&c.discovery.instrument, sizeof(*s), 0);
	assert_string_equal(s->exe_path, "*/python3*");
	assert_true(config_portlist_contains(&s->open_ports, 8500));
	assert_string_equal(s->cmd_args, "*http.server*");
	s = config_objlist_at(&c.discovery.instrument, sizeof(*s), 1);
	assert_string_equal(s->name, "web");
	assert_true(config_portlist_contains(&s->open_ports, 443));
	assert_string_equal(map_get(&s->k8s_pod_labels, "app"), "front*");
	assert_int_equal(s->exports.n, 1);
	assert_int_equal(s->sampler.name, CONFIG_SAMPLER_TRACEIDRATIO);
	assert_string_equal(s->sampler.arg, "0.5");
	assert_string_equal(s->routes_incoming.v[0], "/api/{id}");
	assert_int_equal(c.discovery.exclude_instrument.n, 1);
	assert_int_equal(c.discovery.default_exclude_instrument.n, 0);
	assert_true(c.discovery.default_exclude_instrument.set);
	f = config_objlist_at(&c.filter.application, sizeof(*f), 0);
	assert_int_equal(c.filter.application.n, 1);
	assert_string_equal(f->key, "url_path");
	assert_string_equal(f->not_match, "/metrics");
	assert_null(f->match);
	a = config_objlist_at(&c.attributes.select, sizeof(*a), 0);
	assert_string_equal(a->key, "http_server_request_duration");
	assert_string_equal(a->exclude.v[0], "url.path");
	config_free(&c);
}

static void test_object_errors(void **state)
{
	static const struct yaml_case cases[] = {
	    {"discovery:\n  instrument:\n    - exe_path: '*x'\n      exe_pth: y\n", -1,
	     "t.yaml:4: unknown key \"discovery.instrument[1].exe_pth\""},
	    {"discovery:\n  instrument:\n    - name: x\n", -1,
	     "t.yaml:3: discovery.instrument[1]: selector has no criterion"},
	    {"discovery: {instrument: {exe_path: x}}", -1, "expected a list of objects"},
	    {"discovery: {instrument: exe_path}", -1, "expected a list of objects"},
	    {"discovery: {instrument: [x]}", -1, "expected an object"},
	    {"discovery: {instrument: [{exe_path: x, exports: [spans]}]}", -1,
	     "not one of metrics, traces, logs"},
	    {"discovery: {instrument: [{open_ports: 90-80}]}", -1, "start is above end"},
	    {"discovery: {instrument: [{exe_path: x, sampler: {name: sometimes}}]}", -1,
	     "discovery.instrument[1].sampler.name: invalid value"},
	    {"discovery: {services: [{exe_path: '(a'}]}", -1, "invalid regex"},
	    {"filter: {application: {url_path: {match: a, not_match: b}}}", -1,
	     "needs exactly one of match and not_match"},
	    {"filter: {application: {url_path: {}}}", -1, "needs exactly one"},
	    {"filter: {application: [url_path]}", -1, "expected a mapping, not a list"},
	    {"attributes: {select: {traces: {include: ['[x']}}}", -1, "unterminated [ class"},
	};

	(void)state;
	run_yaml_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_regex_compile(void **state)
{
	regex_t re;
	char why[256];

	(void)state;
	assert_int_equal(
	    config_regex_compile("(?:^|/)(beyla$|alloy$|otelcol[^/]*$)", &re, why, sizeof(why)), 0);
	assert_int_equal(regexec(&re, "/usr/bin/otelcol-contrib", 0, NULL, 0), 0);
	assert_int_equal(regexec(&re, "/usr/bin/alloy", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(&re, "/usr/bin/alloyx", 0, NULL, 0), 0);
	regfree(&re);
	assert_int_equal(config_regex_compile("^w\\d+$", &re, why, sizeof(why)), 0);
	assert_int_equal(regexec(&re, "w42", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(&re, "wx", 0, NULL, 0), 0);
	regfree(&re);
	assert_null(config_glob_problem("{*beyla,*alloy,*otelcol-contrib[!/]*}"));
	assert_non_null(config_glob_problem("a\\"));
}

/* The dump of every new type reads back to the same values. */
static void test_dump_round_trip(void **state)
{
	struct obi_config c, back;
	char err[ERRLEN];
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	const char *yaml;

	(void)state;
	yaml = "discovery:\n  instrument:\n    - {exe_path: '*/py*', open_ports: '80',"
	       " sampler: {name: always_off}}\n"
	       "routes: {patterns: ['/a/{b}', '/q\"x\\\\']}\n"
	       "filter: {application: {url_path: {match: '/x*'}}}\n"
	       "metrics: {features: [application, network]}\n"
	       "attributes: {kubernetes: {resource_labels: {a: b}}}\n";
	assert_int_equal(apply(&c, yaml, err), 0);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	config_dump(&c, f);
	fclose(f);
	config_init_defaults(&back);
	if (config_apply_yaml(&back, out, len, "dump", err, sizeof(err)) != 0)
		fail_msg("dump does not read back: %s\n%s", err, out);
	assert_int_equal(back.discovery.instrument.n, 1);
	assert_string_equal(((struct config_selector *)back.discovery.instrument.items)->exe_path,
			    "*/py*");
	assert_int_equal(((struct config_selector *)back.discovery.instrument.items)->sampler.name,
			 CONFIG_SAMPLER_ALWAYS_OFF);
	assert_int_equal(back.routes.patterns.n, 2);
	assert_string_equal(back.routes.patterns.v[1], "/q\"x\\\\");
	assert_int_equal(back.filter.application.n, 1);
	assert_true(back.metrics.features == c.metrics.features);
	assert_int_equal(back.attributes.kubernetes.resource_labels.n, 1);
	assert_int_equal(back.discovery.default_exclude_instrument.n, 2);
	free(out);
	config_free(&back);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scalar_types),
	    cmocka_unit_test(test_env_types),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_strlist),
	    cmocka_unit_test(test_map),
	    cmocka_unit_test(test_objects),
	    cmocka_unit_test(test_object_errors),
	    cmocka_unit_test(test_regex_compile),
	    cmocka_unit_test(test_dump_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
