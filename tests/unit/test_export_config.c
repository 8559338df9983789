/* test_export_config.c: OTLP traces settings from env/YAML (endpoint, protocol, headers, TLS,
 * limits, sampler) and the exit 2 of bad values, through the real config loader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "export_config.h"

static const struct otlp_host host = {.host_name = "h", .sdk_name = "s", .sdk_version = "1"};
static const struct otlp_scope scope = {.name = "obi", .version = "1"};

/* Loads env (and YAML text when yaml is not NULL) as obi-enricher does; returns the exit code. */
static int load(struct obi_config *c, char *const *env, const char *yaml)
{
	char path[] = "/tmp/test_export_config.XXXXXX";
	char *argv[] = {"obi-enricher", "-config", path, NULL};
	enum config_action act;
	int fd = -1, rc;

	if (yaml) {
		fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
		close(fd);
	}
	rc = config_load(c, yaml ? 3 : 1, argv, env, CONFIG_PROC_ENRICHER, &act);
	if (yaml)
		unlink(path);
	return rc;
}

struct ep_case {
	const char *env[4];
	const char *url; /* NULL: export disabled */
	bool grpc, json;
};

static void test_endpoint_rules(void **state)
{
	static const struct ep_case cases[] = {
	    /* shared endpoint: /v1/traces appended for HTTP, a trailing / trimmed */
	    {{"OTEL_EXPORTER_OTLP_ENDPOINT=http://otelcol:4318"}, "http://otelcol:4318/v1/traces"},
	    {{"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318/base/"}, "http://c:4318/base/v1/traces"},
	    /* the port guess: ...4317 is gRPC (also 14317), which uses host:port as given */
	    {{"OTEL_EXPORTER_OTLP_ENDPOINT=http://otelcol:4317"}, "http://otelcol:4317", true},
	    {{"OTEL_EXPORTER_OTLP_ENDPOINT=http://otelcol:14317"}, "http://otelcol:14317", true},
	    {{"OTEL_EXPORTER_OTLP_ENDPOINT=http://[::1]:4317"}, "http://[::1]:4317", true},
	    {{"OTEL_EXPORTER_OTLP_ENDPOINT=https://otlp.example/otlp"},
	     "https://otlp.example/otlp/v1/traces"},
	    /* a signal endpoint is verbatim and wins */
	    {{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://t:4318/custom",
	      "OTEL_EXPORTER_OTLP_ENDPOINT=http://s:4317"},
	     "http://t:4318/custom"},
	    /* protocol: signal env > shared env > guess */
	    {{"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL=http/json"},
	     "http://c:4317/v1/traces",
	     false,
	     true},
	    {{"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL=http/json",
	      "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc"},
	     "http://c:4318",
	     true},
	    {{"OTEL_EBPF_OPEN_PORT=80"}, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct obi_config c;
		struct export_traces x;
		char err[256] = "";

		assert_int_equal(load(&c, (char *const *)cases[i].env, NULL), 0);
		assert_int_equal(export_config_traces(&x, &c, &host, &scope, err, sizeof(err)), 0);
		if (!cases[i].url) {
			assert_false(x.enabled);
		} else {
			if (!x.enabled || strcmp(x.http.url, cases[i].url) ||
			    x.http.grpc != cases[i].grpc || x.http.json != cases[i].json)
				fail_msg("case %zu: url %s grpc %d json %d", i,
					 x.enabled ? x.http.url : "(off)", x.http.grpc,
					 x.http.json);
		}
		export_config_free(&x);
		config_free(&c);
	}
}

/* The ConfigMap of the product's documentation, unchanged. */
static void test_configmap(void **state)
{
	const char *yaml = "trace_printer: text\n"
			   "otel_traces_export:\n"
			   "  endpoint: http://otelcol:4317\n"
			   "  sampler:\n"
			   "    name: parentbased_traceidratio\n"
			   "    arg: \"0.01\"\n"
			   "routes:\n"
			   "  patterns:\n"
			   "    - /factorial/{num}\n";
	char *env[] = {"OTEL_EBPF_OPEN_PORT=80", NULL};
	struct obi_config c;
	struct export_traces x;
	struct sampler s;
	char err[256];

	(void)state;
	assert_int_equal(load(&c, env, yaml), 0);
	assert_int_equal(export_config_traces(&x, &c, &host, &scope, err, sizeof(err)), 0);
	assert_true(x.enabled && x.http.grpc);
	assert_string_equal(x.http.url, "http://otelcol:4317");
	assert_int_equal(export_config_sampler(&s, &c, err, sizeof(err)), 0);
	assert_string_equal(sampler_name(&s), "parentbased_traceidratio");
	assert_true(s.ratio > 0.0099 && s.ratio < 0.0101);
	export_config_free(&x);
	config_free(&c);
}

static void test_headers_tls_limits(void **state)
{
	char *env[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=https://c:4318",
		       "OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20shared,x-a=1",
		       "OTEL_EXPORTER_OTLP_TRACES_HEADERS=authorization=Bearer%20traces",
		       "OTEL_EXPORTER_OTLP_CERTIFICATE=/ca.pem",
		       "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE=/c.pem",
		       "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY=/k.pem",
		       "OTEL_EXPORTER_OTLP_COMPRESSION=gzip",
		       "OTEL_EXPORTER_OTLP_TIMEOUT=2500",
		       "OTEL_EBPF_OTLP_TRACES_BATCH_MAX_SIZE=100",
		       "OTEL_EBPF_OTLP_TRACES_QUEUE_SIZE=0",
		       "OTEL_EBPF_BACKOFF_INITIAL_INTERVAL=250ms",
		       NULL};
	struct obi_config c;
	struct export_traces x;
	char err[256];

	(void)state;
	assert_int_equal(load(&c, env, NULL), 0);
	assert_int_equal(export_config_traces(&x, &c, &host, &scope, err, sizeof(err)), 0);
	/* the traces header replaces the shared one of the same name (case-blind) */
	assert_int_equal(x.http.n_headers, 2);
	assert_string_equal(x.http.headers[0].key, "x-a");
	assert_string_equal(x.http.headers[1].value, "Bearer traces");
	assert_string_equal(x.http.ca_file, "/ca.pem");
	assert_string_equal(x.http.client_cert, "/c.pem");
	assert_string_equal(x.http.client_key, "/k.pem");
	assert_true(x.http.gzip);
	assert_int_equal(x.http.timeout_ns, 2500ULL * 1000000ULL);
	assert_int_equal(x.http.batch_max_spans, 100);
	assert_int_equal(x.http.queue_max_spans, 400);
	assert_int_equal(x.http.backoff.initial_ns, 250000000ULL);
	assert_int_equal(x.http.backoff.max_ns, 30ULL * 1000000000ULL);
	export_config_free(&x);
	config_free(&c);
}

static void test_signal_overrides(void **state)
{
	char *env[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318",
		       "OTEL_EXPORTER_OTLP_COMPRESSION=gzip",
		       "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=none",
		       "OTEL_EXPORTER_OTLP_TIMEOUT=2500",
		       "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=700",
		       "OTEL_EBPF_OTLP_TRACES_BATCH_MAX_SIZE=100",
		       "OTEL_EBPF_OTLP_TRACES_QUEUE_SIZE=200",
		       NULL};
	struct obi_config c;
	struct export_traces x;
	char err[256] = "";

	(void)state;
	assert_int_equal(load(&c, env, NULL), 0);
	/* the loader checks it too; a config built otherwise gets both keys named */
	c.otlp.traces.queue_size = 150;
	assert_int_equal(export_config_traces(&x, &c, &host, &scope, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "otel_traces_export.queue_size"));
	assert_non_null(strstr(err, "batch_max_size"));
	c.otlp.traces.queue_size = 200;
	assert_int_equal(export_config_traces(&x, &c, &host, &scope, err, sizeof(err)), 0);
	assert_false(x.http.gzip);
	assert_int_equal(x.http.timeout_ns, 700ULL * 1000000ULL);
	export_config_free(&x);
	config_free(&c);
}

/* A bad value is exit 2 naming the setting; a header value never appears in the message. */
static void test_bad_values(void **state)
{
	static const char *const bad[][2] = {
	    {"OTEL_EXPORTER_OTLP_ENDPOINT=grpc://c:4317", "OTEL_EXPORTER_OTLP_ENDPOINT"},
	    {"OTEL_EXPORTER_OTLP_ENDPOINT=c:4317", "OTEL_EXPORTER_OTLP_ENDPOINT"},
	    {"OTEL_EXPORTER_OTLP_PROTOCOL=http/xml", "OTEL_EXPORTER_OTLP_PROTOCOL"},
	    {"OTEL_EXPORTER_OTLP_HEADERS=bad name=s3cr3tvalue", "OTEL_EXPORTER_OTLP_HEADERS"},
	    {"OTEL_EXPORTER_OTLP_TRACES_HEADERS=a=s3cr3t%0d%0aX: y",
	     "OTEL_EXPORTER_OTLP_TRACES_HEADERS"},
	    {"OTEL_EXPORTER_OTLP_COMPRESSION=zstd", "OTEL_EXPORTER_OTLP_COMPRESSION"},
	    {"OTEL_EXPORTER_OTLP_TIMEOUT=10s", "OTEL_EXPORTER_OTLP_TIMEOUT"},
	    {"OTEL_TRACES_SAMPLER=jaeger_remote", "OTEL_TRACES_SAMPLER"},
	    {"OTEL_TRACES_SAMPLER_ARG=1.5", "OTEL_TRACES_SAMPLER_ARG"},
	    {"OTEL_TRACES_SAMPLER_ARG=lots", "OTEL_TRACES_SAMPLER_ARG"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *env[] = {(char *)bad[i][0], "OTEL_EBPF_OPEN_PORT=80", NULL};
		struct obi_config c;
		FILE *tmp = tmpfile();
		int saved = dup(2), rc;
		char out[4096] = "";
		size_t n;

		fflush(stderr);
		dup2(fileno(tmp), 2);
		rc = load(&c, env, NULL);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		rewind(tmp);
		n = fread(out, 1, sizeof(out) - 1, tmp);
		out[n] = 0;
		fclose(tmp);
		if (rc == 0)
			config_free(&c);
		if (rc != 2 || !strstr(out, bad[i][1]) || strstr(out, "s3cr3t"))
			fail_msg("%s: exit %d, stderr: %s", bad[i][0], rc, out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_endpoint_rules),     cmocka_unit_test(test_configmap),
	    cmocka_unit_test(test_headers_tls_limits), cmocka_unit_test(test_signal_overrides),
	    cmocka_unit_test(test_bad_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
