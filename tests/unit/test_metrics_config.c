/* test_metrics_config.c: the metrics exporter's settings from the environment: endpoint and
 * protocol rules for /v1/metrics, header merging, enablement, buckets, interval, temporality. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "metrics_int.h"

static const struct otlp_host host = {.host_name = "h", .sdk_name = "obi", .sdk_version = "0"};

struct res {
	int rc;
	struct otlp_http_config out;
	struct metrics_export_store st;
	struct obi_config c;
	char err[256];
};

/* Loads env (NULL-terminated) into a fresh config and derives the exporter's settings. */
static struct res *load(char **env)
{
	struct res *r = calloc(1, sizeof(*r));

	config_init_defaults(&r->c);
	assert_int_equal(config_apply_env(&r->c, env, r->err, sizeof(r->err)), 0);
	r->rc = metrics_export_config(&r->c, &host, &r->out, &r->st, r->err, sizeof(r->err));
	return r;
}

static void done(struct res *r)
{
	config_free(&r->c);
	free(r);
}

static void test_shared_endpoint_gets_path(void **state)
{
	char *env[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://otelcol:4318/", NULL};
	struct res *r = load(env);

	(void)state;
	assert_int_equal(r->rc, 0);
	assert_string_equal(r->out.url, "http://otelcol:4318/v1/metrics");
	assert_false(r->out.grpc);
	assert_false(r->out.json);
	assert_int_equal(r->out.signal, OTLP_SIGNAL_METRICS);
	done(r);
}

static void test_signal_endpoint_verbatim(void **state)
{
	char *env[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://a:4318",
		       "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=https://b:9000/custom/", NULL};
	struct res *r = load(env);

	(void)state;
	assert_int_equal(r->rc, 0);
	assert_string_equal(r->out.url, "https://b:9000/custom/");
	done(r);
}

/* The port guess: ...4317 is gRPC (14317 too), and gRPC uses only scheme://host:port. */
static void test_grpc_guess(void **state)
{
	char *env[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://otelcol:14317/ignored", NULL};
	char *v6[] = {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://[::1]:4317", NULL};
	struct res *r = load(env);

	(void)state;
	assert_int_equal(r->rc, 0);
	assert_true(r->out.grpc);
	assert_string_equal(r->out.url, "http://otelcol:14317");
	assert_int_equal(r->out.max_request_bytes, 4u << 20);
	done(r);
	r = load(v6);
	assert_true(r->out.grpc);
	assert_string_equal(r->out.url, "http://[::1]:4317");
	done(r);
}

static void test_protocol_precedence(void **state)
{
	char *env[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4317",
		       "OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
		       "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http/json", NULL};
	char *shared[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4317",
			  "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", NULL};
	struct res *r = load(env);

	(void)state;
	assert_int_equal(r->rc, 0);
	assert_false(r->out.grpc);
	assert_true(r->out.json);
	assert_string_equal(r->out.url, "http://c:4317/v1/metrics");
	done(r);
	r = load(shared);
	assert_false(r->out.grpc);
	assert_false(r->out.json);
	done(r);
}

static void test_headers_merge(void **state)
{
	char *env[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318",
		       "OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20a,X-Shared=1",
		       "OTEL_EXPORTER_OTLP_METRICS_HEADERS=authorization=Bearer%20m", NULL};
	struct res *r = load(env);

	(void)state;
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->out.n_headers, 2);
	assert_string_equal(r->out.headers[0].value, "Bearer m");
	assert_string_equal(r->out.headers[1].key, "X-Shared");
	done(r);
}

static void test_disabled(void **state)
{
	char *none[] = {NULL};
	char *nofeature[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318",
			     "OTEL_EBPF_METRICS_FEATURES=network", NULL};
	struct res *r = load(none);

	(void)state;
	assert_int_equal(r->rc, 1);
	done(r);
	r = load(nofeature);
	assert_int_equal(r->rc, 1);
	done(r);
}

/* Export off: metrics_new leaves a NULL module and every call takes it. */
static void test_null_module(void **state)
{
	char *none[] = {NULL};
	struct res *r = load(none);
	struct evloop l;
	struct metrics *m = (struct metrics *)1;
	struct metrics_table t = {.n = 0};
	struct span sp = {.kind = SPAN_KIND_SERVER};

	(void)state;
	assert_int_equal(evloop_init(&l), 0);
	assert_int_equal(metrics_new(&m, &l, &r->c, &host, r->err, sizeof(r->err)), 0);
	assert_null(m);
	metrics_on_span(m, &sp);
	metrics_flush(m);
	assert_true(metrics_idle(m));
	assert_int_equal(metrics_set_internal(m, NULL, 0), 0);
	assert_null(metrics_stats(m));
	metrics_table_exporter(&t, "metrics", metrics_sender_stats(m));
	assert_int_equal(t.n, 0);
	metrics_free(m);
	evloop_free(&l);
	done(r);
}

/* A module from config keeps its own copies of what the sender's settings point to. */
static void test_new_from_config(void **state)
{
	char *env[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318",
		       "OTEL_EXPORTER_OTLP_HEADERS=X-A=1", NULL};
	char *bad[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318",
		       "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=debug", NULL};
	struct res *r = load(env);
	struct evloop l;
	struct metrics *m;

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	assert_int_equal(evloop_init(&l), 0);
	assert_int_equal(metrics_new(&m, &l, &r->c, &host, r->err, sizeof(r->err)), 0);
	assert_non_null(m);
	assert_string_equal(m->x.url, "http://127.0.0.1:4318/v1/metrics");
	assert_ptr_equal(m->x.cfg.url, m->store.url);
	assert_ptr_equal(m->x.cfg.scope, &m->store.scope);
	assert_string_equal(m->x.cfg.headers[0].key, "X-A");
	assert_true(m->cfg.interval_ns == 60000000000ULL);
	metrics_free(m);
	done(r);
	r = load(bad);
	assert_int_equal(metrics_new(&m, &l, &r->c, &host, r->err, sizeof(r->err)), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(r->err, "protocol"));
	done(r);
	evloop_free(&l);
	curl_global_cleanup();
}

static void test_agg_settings(void **state)
{
	char *env[] = {"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318",
		       "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=Delta",
		       "OTEL_METRIC_EXPORT_INTERVAL=5000", "OTEL_EBPF_METRICS_TTL=2m", NULL};
	char *interval[] = {"OTEL_METRIC_EXPORT_INTERVAL=5000", "OTEL_EBPF_METRICS_INTERVAL=250ms",
			    NULL};
	struct metrics_agg_config ac;
	struct res *r = load(env);

	(void)state;
	assert_int_equal(metrics_agg_config_from(&r->c, &ac, r->err, sizeof(r->err)), 0);
	assert_true(ac.delta);
	assert_true(ac.ttl_ns == 120000000000ULL);
	assert_int_equal(ac.bounds[METRICS_H_DURATION].n, 15);
	assert_int_equal(ac.bounds[METRICS_H_RESP_SIZE].n, 10);
	assert_int_equal(ac.limit, METRICS_CARDINALITY_LIMIT);
	assert_true(metrics_interval_ns(&r->c) == 5000000000ULL);
	done(r);
	r = load(interval);
	assert_true(metrics_interval_ns(&r->c) == 250000000ULL);
	assert_int_equal(metrics_agg_config_from(&r->c, &ac, r->err, sizeof(r->err)), 0);
	assert_false(ac.delta);
	done(r);
}

static void test_buckets_yaml(void **state)
{
	const char *y = "otel_metrics_export:\n  buckets:\n    duration_histogram: [0.1, 1]\n";
	const char *bad = "otel_metrics_export:\n  buckets:\n    request_size_histogram: [5, 1]\n";
	struct obi_config c;
	struct metrics_agg_config ac;
	char err[256];

	(void)state;
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, y, strlen(y), "t.yaml", err, sizeof(err)), 0);
	assert_int_equal(metrics_agg_config_from(&c, &ac, err, sizeof(err)), 0);
	assert_int_equal(ac.bounds[METRICS_H_DURATION].n, 2);
	assert_true(ac.bounds[METRICS_H_DURATION].v[1] == 1.0);
	config_free(&c);
	config_init_defaults(&c);
	assert_int_equal(config_apply_yaml(&c, bad, strlen(bad), "t.yaml", err, sizeof(err)), 0);
	assert_int_equal(metrics_agg_config_from(&c, &ac, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "request_size_histogram"));
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shared_endpoint_gets_path),
	    cmocka_unit_test(test_signal_endpoint_verbatim),
	    cmocka_unit_test(test_grpc_guess),
	    cmocka_unit_test(test_protocol_precedence),
	    cmocka_unit_test(test_headers_merge),
	    cmocka_unit_test(test_disabled),
	    cmocka_unit_test(test_null_module),
	    cmocka_unit_test(test_new_from_config),
	    cmocka_unit_test(test_agg_settings),
	    cmocka_unit_test(test_buckets_yaml),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
