/* test_config_sources.c: precedence of defaults < YAML < env for the new areas, masks, warnings,
 * docs freshness. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define ERRLEN 4096

/* Each row: YAML sets one value, the environment another; env wins, YAML beats the default. */
static void test_precedence_new_areas(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	const char *yaml = "otel_traces_export:\n"
			   "  endpoint: http://yaml:4317\n"
			   "  sampler: {name: traceidratio, arg: '0.5'}\n"
			   "  batch_max_size: 100\n"
			   "metrics: {features: [network]}\n"
			   "attributes:\n"
			   "  kubernetes: {cluster_name: from-yaml, enable: 'true'}\n"
			   "  rename_unresolved_hosts: yaml-host\n"
			   "prometheus_export: {port: 9090}\n";
	char *const env[] = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://env:4318",
			     "OTEL_TRACES_SAMPLER=always_off",
			     "OTEL_EBPF_METRICS_FEATURES=application",
			     "OTEL_EBPF_KUBE_CLUSTER_NAME=from-env",
			     "OTEL_EBPF_OTLP_TRACES_MAX_EXPORT_BATCH_SIZE=7", /* S-era alias */
			     NULL};

	(void)state;
	config_init_defaults(&c);
	assert_null(c.otlp.traces.s.endpoint);
	assert_int_equal(c.otlp.traces.sampler.name, CONFIG_SAMPLER_PARENTBASED_ALWAYS_ON);
	assert_int_equal(c.otlp.traces.batch_max_size, 4096);
	assert_string_equal(c.attributes.rename_unresolved_hosts, "unresolved");
	assert_int_equal(c.routes.unmatched, CONFIG_ROUTES_HEURISTIC);
	assert_true(c.metrics.features == 1);
	assert_int_equal(config_apply_yaml(&c, yaml, strlen(yaml), "p.yaml", err, sizeof(err)), 0);
	assert_string_equal(c.otlp.traces.s.endpoint, "http://yaml:4317");
	assert_int_equal(c.otlp.traces.sampler.name, CONFIG_SAMPLER_TRACEIDRATIO);
	assert_true(c.metrics.features == 1ull << 8);
	assert_int_equal(c.attributes.kubernetes.enable, 1);
	assert_int_equal(config_apply_env(&c, env, err, sizeof(err)), 0);
	assert_string_equal(c.otlp.traces.s.endpoint, "http://env:4318"); /* env beats YAML */
	assert_int_equal(c.otlp.traces.sampler.name, CONFIG_SAMPLER_ALWAYS_OFF);
	assert_string_equal(c.otlp.traces.sampler.arg, "0.5"); /* YAML beats default */
	assert_true(c.metrics.features == 1);
	assert_string_equal(c.attributes.kubernetes.cluster_name, "from-env");
	assert_int_equal(c.otlp.traces.batch_max_size, 7);
	assert_string_equal(c.attributes.rename_unresolved_hosts, "yaml-host");
	assert_int_equal(c.prometheus.port, 9090);
	config_free(&c);
}

/* A process checks the rows it reads, also when a field was changed behind the parser. */
static void test_masks(void **state)
{
	struct obi_config c;
	char err[ERRLEN];

	(void)state;
	config_init_defaults(&c);
	c.open_port.n = 1;
	c.enricher_uid = 0; /* the enricher reads it (setuid in enricher/confine.c) */
	assert_int_equal(config_validate(&c, CONFIG_PROC_ENRICHER, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "probe.enricher_uid"));
	assert_int_equal(config_validate(&c, CONFIG_PROC_PROBE, err, sizeof(err)), -1);
	assert_int_equal(config_validate(&c, CONFIG_PROC_LAUNCHER, err, sizeof(err)), -1);
	c.enricher_uid = 65519;
	c.batch_timeout_ns = 0;	    /* fine for anyone: no minimum */
	c.request_capture_size = 1; /* the probe's alone */
	assert_int_equal(config_validate(&c, CONFIG_PROC_ENRICHER, err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, CONFIG_PROC_PROBE, err, sizeof(err)), -1);
	c.request_capture_size = 512;
	c.routes.max_path_segment_cardinality = 1000000; /* the enricher's alone */
	assert_int_equal(config_validate(&c, CONFIG_PROC_PROBE, err, sizeof(err)), 0);
	assert_int_equal(config_validate(&c, CONFIG_PROC_ENRICHER, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "routes.max_path_segment_cardinality"));
	config_free(&c);
}

/* Several errors of a validation come as several lines. */
static void test_validate_all(void **state)
{
	struct obi_config c;
	char err[ERRLEN];

	(void)state;
	config_init_defaults(&c);
	c.ringbuf_size = 3;
	c.max_connections = 1;
	assert_int_equal(config_validate(&c, CONFIG_PROC_PROBE, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ebpf.ringbuf_size"));
	assert_non_null(strstr(err, "\nconfig: ebpf.max_connections"));
	assert_non_null(strstr(err, "\nconfig: nothing to instrument"));
	config_free(&c);
	/* a selector list is a selection */
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, "discovery: {instrument: [{open_ports: 80}]}", 43,
					   "d.yaml", err, sizeof(err)),
			 0);
	assert_int_equal(config_validate(&c, CONFIG_PROC_PROBE, err, sizeof(err)), 0);
	config_free(&c);
}

/* Options set but not implemented are named once; defaults of such rows are not "set". */
static void test_planned_notes(void **state)
{
	struct obi_config c;
	char err[ERRLEN];
	const char *yaml = "attributes: {host_id: {override: h}, metric_span_names_limit: 5}\n"
			   "log_level: debug\n";
	char *const env[] = {"OTEL_EBPF_TRACES_REPORT_CACHE_LEN=9",
			     "OTEL_EBPF_BPF_WAKEUP_LEN=3", NULL};

	(void)state;
	config_init_defaults(&c);
	assert_null(c.planned_seen);
	assert_int_equal(config_apply_yaml(&c, yaml, strlen(yaml), "w.yaml", err, sizeof(err)), 0);
	assert_int_equal(config_apply_yaml(&c, yaml, strlen(yaml), "w.yaml", err, sizeof(err)), 0);
	assert_int_equal(config_apply_env(&c, env, err, sizeof(err)), 0);
	assert_string_equal(c.planned_seen,
			    "attributes.host_id.override, attributes.metric_span_names_limit, "
			    "OTEL_EBPF_TRACES_REPORT_CACHE_LEN");
	config_free(&c);
}

/* docs/configuration.md is what the table generates (`make docs` after changing a row). */
static void test_docs_fresh(void **state)
{
	char *gen = NULL, *file;
	size_t glen = 0;
	FILE *f = open_memstream(&gen, &glen);
	FILE *d = fopen("docs/configuration.md", "r");
	long flen;

	(void)state;
	assert_non_null(f);
	if (!d)
		fail_msg("docs/configuration.md not found: run the unit tests from the repository "
			 "root (make test-unit)");
	config_write_docs(f);
	fclose(f);
	fseek(d, 0, SEEK_END);
	flen = ftell(d);
	rewind(d);
	file = calloc(1, (size_t)flen + 1);
	assert_non_null(file);
	assert_int_equal(fread(file, 1, (size_t)flen, d), (size_t)flen);
	fclose(d);
	if (glen != (size_t)flen || memcmp(gen, file, glen) != 0)
		fail_msg("docs/configuration.md is stale: run `make docs`");
	free(gen);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_precedence_new_areas), cmocka_unit_test(test_masks),
	    cmocka_unit_test(test_validate_all),	 cmocka_unit_test(test_planned_notes),
	    cmocka_unit_test(test_docs_fresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
