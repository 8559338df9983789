/* test_metrics_export.c: RED metrics and obi's counters exported to the node receivers (HTTP
 * protobuf, JSON with gzip, gRPC with gzip), decoded by the OpenTelemetry JS protobuf root;
 * temporality over two rounds; faults (503 then 200, 400, partial success). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "enricher.h"
#include "metrics_int.h"
#include "monotime.h"
#include "otlp_testutil.h"

static const struct span_service svc = {.name = "exp-svc",
					.namespace_ = "ns",
					.instance_id = "h:9",
					.sdk_language = "python",
					.exe_path = "/usr/bin/python3",
					.resource_attrs = "",
					.pid = 9};
static const struct otlp_host host = {
    .host_name = "h", .sdk_name = "opentelemetry-ebpf-instrumentation", .sdk_version = "0.1.0"};
static const struct otlp_scope scope = {.name = "obi", .version = "0.1.0"};

#define N_OK 7
#define N_ERR 3
#define N_CLIENT 4

struct fixture {
	struct otlp_t_rx rx;
	struct evloop loop;
	struct metrics *m;
	struct metrics_cfg cfg;
	char url[128];
	cJSON *lines[16];
	size_t n_lines;
};

static int group_setup(void **state)
{
	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return system("bash tests/otlp/setup.sh") == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

static int fx_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(evloop_init(&f->loop), 0);
	for (int i = 0; i < METRICS_HISTS; i++)
		metrics_bounds_default(&f->cfg.agg.bounds[i], (enum metrics_hist)i);
	f->cfg.agg.limit = 100;
	f->cfg.interval_ns = 3600000000000ULL; /* the tests flush by hand */
	f->cfg.http = (struct otlp_http_config){
	    .signal = OTLP_SIGNAL_METRICS,
	    .url = f->url,
	    .timeout_ns = 2000000000ULL,
	    .batch_max_spans = 100000,
	    .batch_timeout_ns = 1000000ULL,
	    .queue_max_spans = 100000,
	    .max_request_bytes = 20u << 20,
	    .backoff = {.initial_ns = 100000000ULL,
			.max_ns = 400000000ULL,
			.max_elapsed_ns = 5000000000ULL},
	    .host = &host,
	    .scope = &scope,
	};
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fixture *f = *state;

	if (f->rx.pid)
		f->n_lines = otlp_t_rx_stop(&f->rx, f->lines, 16);
	metrics_free(f->m);
	evloop_free(&f->loop);
	for (size_t i = 0; i < f->n_lines; i++)
		cJSON_Delete(f->lines[i]);
	free(f);
	return 0;
}

static void fx_start(struct fixture *f, const char *script, const char *faults)
{
	char err[256];

	assert_int_equal(otlp_t_rx_start(&f->rx, script, faults), 0);
	if (f->cfg.http.grpc)
		snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->rx.port);
	else
		snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/v1/metrics", f->rx.port);
	assert_int_equal(metrics_new_cfg(&f->m, &f->loop, &f->cfg, err, sizeof(err)), 0);
}

static void record(struct fixture *f, int n, int kind, int status)
{
	for (int i = 0; i < n; i++) {
		struct span *s = otlp_t_span(&svc, (uint8_t)i, kind);

		span_t_status(s, status);
		s->status = status >= 500 ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET;
		s->end_ns = s->start_ns + 3000000; /* 3 ms: the 0.005 bucket */
		span_set_int(s, SPAN_A_HTTP_REQ_BODY_SIZE, 100);
		metrics_on_span(f->m, s);
		span_t_free(s);
	}
}

static void flush_wait(struct fixture *f)
{
	uint64_t end = monotime_ns() + 8000000000ULL;

	metrics_flush(f->m);
	while (!metrics_idle(f->m) && monotime_ns() < end)
		assert_int_equal(evloop_run_once(&f->loop, 50), 0);
	assert_true(metrics_idle(f->m));
}

static void rx_stop(struct fixture *f)
{
	f->n_lines = otlp_t_rx_stop(&f->rx, f->lines, 16);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *jpath(const cJSON *o, const char *k, int idx)
{
	const cJSON *a = cJSON_GetObjectItem(o, k);

	return idx < 0 ? a : cJSON_GetArrayItem(a, idx);
}

static const cJSON *metric(const cJSON *req, int rm, const char *name)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, jpath(jpath(jpath(req, "resourceMetrics", rm), "scopeMetrics", 0),
				    "metrics", -1)) if (!strcmp(jstr(m, "name"), name)) return m;
	return NULL;
}

/* The value of attribute key in an attribute list, as the normal form's string. */
static const char *attr(const cJSON *attrs, const char *key, char *buf, size_t n)
{
	const cJSON *kv, *v;

	cJSON_ArrayForEach(kv, attrs) if (!strcmp(jstr(kv, "key"), key))
	{
		v = cJSON_GetObjectItem(kv, "value");
		if (jstr(v, "stringValue"))
			return jstr(v, "stringValue");
		if (jstr(v, "intValue"))
			return jstr(v, "intValue");
		if (cJSON_GetObjectItem(v, "boolValue"))
			return cJSON_IsTrue(cJSON_GetObjectItem(v, "boolValue")) ? "true" : "false";
		snprintf(buf, n, "?");
		return buf;
	}
	return NULL;
}

static long long count_of(const cJSON *dp)
{
	return atoll(jstr(dp, "count"));
}

/* Checks the server duration histogram of request req: counts, buckets, attributes. */
static void check_server_duration(const cJSON *req, long long ok, long long err, int temporality)
{
	const cJSON *h = cJSON_GetObjectItem(metric(req, 0, "http.server.request.duration"),
					     "histogram"),
		    *dp;
	long long total = 0;
	char b[8];

	assert_non_null(h);
	assert_int_equal(cJSON_GetObjectItem(h, "aggregationTemporality")->valueint, temporality);
	cJSON_ArrayForEach(dp, cJSON_GetObjectItem(h, "dataPoints"))
	{
		const cJSON *at = cJSON_GetObjectItem(dp, "attributes");
		const char *code = attr(at, "http.response.status_code", b, sizeof(b));

		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(dp, "explicitBounds")), 15);
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(dp, "bucketCounts")), 16);
		assert_int_equal(
		    atoll(cJSON_GetArrayItem(cJSON_GetObjectItem(dp, "bucketCounts"), 1)
			      ->valuestring),
		    count_of(dp)); /* every span took 3 ms */
		assert_string_equal(attr(at, "http.request.method", b, sizeof(b)), "GET");
		assert_string_equal(attr(at, "server.address", b, sizeof(b)), "127.0.0.1");
		assert_string_equal(attr(at, "server.port", b, sizeof(b)), "8080");
		assert_null(attr(at, "url.path", b, sizeof(b)));
		if (!strcmp(code, "503")) {
			assert_string_equal(attr(at, "error.type", b, sizeof(b)), "503");
			assert_int_equal(count_of(dp), err);
		} else {
			assert_string_equal(code, "200");
			assert_null(attr(at, "error.type", b, sizeof(b)));
			assert_int_equal(count_of(dp), ok);
		}
		total += count_of(dp);
	}
	assert_int_equal(total, ok + err);
}

static void test_http_protobuf(void **state)
{
	struct fixture *f = *state;
	const cJSON *req, *res;
	char b[8];

	fx_start(f, "tests/otlp/receiver.js", "");
	record(f, N_OK, SPAN_KIND_SERVER, 200);
	record(f, N_ERR, SPAN_KIND_SERVER, 503);
	record(f, N_CLIENT, SPAN_KIND_CLIENT, 503);
	flush_wait(f);
	rx_stop(f);
	assert_int_equal(f->n_lines, 1);
	assert_string_equal(jstr(f->lines[0], "path"), "/v1/metrics");
	assert_string_equal(jstr(f->lines[0], "contentType"), "application/x-protobuf");
	assert_int_equal(cJSON_GetObjectItem(f->lines[0], "points")->valueint, 9);
	req = cJSON_GetObjectItem(f->lines[0], "request");
	res = jpath(jpath(req, "resourceMetrics", 0), "resource", -1);
	assert_string_equal(attr(cJSON_GetObjectItem(res, "attributes"), "service.name", b, 8),
			    "exp-svc");
	check_server_duration(req, N_OK, N_ERR, 2);
	assert_non_null(metric(req, 0, "http.server.request.body.size"));
	assert_non_null(metric(req, 0, "http.server.response.body.size"));
	assert_string_equal(jstr(metric(req, 0, "http.client.request.duration"), "unit"), "s");
	assert_string_equal(jstr(metric(req, 0, "http.client.response.body.size"), "unit"), "By");
	assert_int_equal(
	    count_of(jpath(
		cJSON_GetObjectItem(metric(req, 0, "http.client.request.body.size"), "histogram"),
		"dataPoints", 0)),
	    N_CLIENT);
	assert_int_equal(f->m->x.st.spans_exported, 9);
}

static void test_json_gzip(void **state)
{
	struct fixture *f = *state;

	f->cfg.http.json = true;
	f->cfg.http.gzip = true;
	fx_start(f, "tests/otlp/receiver.js", "");
	record(f, N_OK, SPAN_KIND_SERVER, 200);
	record(f, N_ERR, SPAN_KIND_SERVER, 503);
	flush_wait(f);
	rx_stop(f);
	assert_int_equal(f->n_lines, 1);
	assert_string_equal(jstr(f->lines[0], "contentType"), "application/json");
	assert_string_equal(jstr(f->lines[0], "encoding"), "gzip");
	check_server_duration(cJSON_GetObjectItem(f->lines[0], "request"), N_OK, N_ERR, 2);
}

static void test_grpc_gzip(void **state)
{
	struct fixture *f = *state;

	f->cfg.http.grpc = true;
	f->cfg.http.gzip = true;
	f->cfg.http.max_request_bytes = 4u << 20;
	fx_start(f, "tests/otlp/grpc_receiver.js", "unavailable");
	record(f, N_OK, SPAN_KIND_SERVER, 200);
	record(f, N_ERR, SPAN_KIND_SERVER, 503);
	flush_wait(f);
	rx_stop(f);
	assert_int_equal(f->n_lines, 2); /* UNAVAILABLE is retried */
	assert_string_equal(jstr(f->lines[1], "path"),
			    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");
	assert_int_equal(cJSON_GetObjectItem(f->lines[1], "points")->valueint, 6);
	check_server_duration(cJSON_GetObjectItem(f->lines[1], "request"), N_OK, N_ERR, 2);
	assert_int_equal(f->m->x.st.retries, 1);
	assert_int_equal(f->m->x.st.spans_exported, 6);
}

/* Two rounds: cumulative sums keep counting from one start; delta restarts at each export. */
static void two_rounds(struct fixture *f, bool delta)
{
	const cJSON *h0, *h1, *d0, *d1;

	f->cfg.agg.delta = delta;
	fx_start(f, "tests/otlp/receiver.js", "");
	record(f, 3, SPAN_KIND_SERVER, 200);
	flush_wait(f);
	record(f, 2, SPAN_KIND_SERVER, 200);
	flush_wait(f);
	flush_wait(f); /* nothing new: delta sends no point, cumulative the same totals */
	rx_stop(f);
	assert_int_equal(f->n_lines, delta ? 2 : 3);
	h0 = cJSON_GetObjectItem(
	    metric(cJSON_GetObjectItem(f->lines[0], "request"), 0, "http.server.request.duration"),
	    "histogram");
	h1 = cJSON_GetObjectItem(
	    metric(cJSON_GetObjectItem(f->lines[1], "request"), 0, "http.server.request.duration"),
	    "histogram");
	d0 = jpath(h0, "dataPoints", 0);
	d1 = jpath(h1, "dataPoints", 0);
	assert_int_equal(cJSON_GetObjectItem(h1, "aggregationTemporality")->valueint,
			 delta ? 1 : 2);
	assert_int_equal(count_of(d0), 3);
	assert_int_equal(count_of(d1), delta ? 2 : 5);
	if (delta)
		assert_string_equal(jstr(d1, "startTimeUnixNano"), jstr(d0, "timeUnixNano"));
	else
		assert_string_equal(jstr(d1, "startTimeUnixNano"), jstr(d0, "startTimeUnixNano"));
	assert_true(strtoull(jstr(d1, "timeUnixNano"), NULL, 10) >
		    strtoull(jstr(d1, "startTimeUnixNano"), NULL, 10));
}

static void test_cumulative(void **state)
{
	two_rounds(*state, false);
}

static void test_delta(void **state)
{
	two_rounds(*state, true);
}

static void test_503_then_200(void **state)
{
	struct fixture *f = *state;

	fx_start(f, "tests/otlp/receiver.js", "503");
	record(f, N_OK, SPAN_KIND_SERVER, 200);
	flush_wait(f);
	rx_stop(f);
	assert_int_equal(f->n_lines, 2);
	assert_int_equal(f->m->x.st.retries, 1);
	assert_int_equal(f->m->x.st.spans_exported, 3);
	assert_int_equal(f->m->x.st.spans_failed, 0);
	check_server_duration(cJSON_GetObjectItem(f->lines[1], "request"), N_OK, 0, 2);
}

static void test_400_not_retried(void **state)
{
	struct fixture *f = *state;

	fx_start(f, "tests/otlp/receiver.js", "400");
	record(f, N_OK, SPAN_KIND_SERVER, 200);
	flush_wait(f);
	rx_stop(f);
	assert_int_equal(f->n_lines, 1);
	assert_int_equal(f->m->x.st.retries, 0);
	assert_int_equal(f->m->x.st.spans_failed, 3);
	assert_int_equal(f->m->x.st.spans_exported, 0);
}

static void test_partial_success(void **state)
{
	struct fixture *f = *state;

	fx_start(f, "tests/otlp/receiver.js", "partial:2");
	record(f, N_OK, SPAN_KIND_SERVER, 200);
	flush_wait(f);
	rx_stop(f);
	assert_int_equal(f->n_lines, 1);
	assert_int_equal(f->m->x.st.spans_rejected, 2);
	assert_int_equal(f->m->x.st.spans_exported, 1);
	assert_int_equal(f->m->x.st.retries, 0);
}

/* The export timer sends without a flush; gRPC partial success counts rejected_data_points. */
static void test_timer_grpc_partial(void **state)
{
	struct fixture *f = *state;
	uint64_t end = monotime_ns() + 8000000000ULL;

	f->cfg.http.grpc = true;
	f->cfg.interval_ns = 200000000ULL;
	fx_start(f, "tests/otlp/grpc_receiver.js", "partial:2");
	record(f, N_OK, SPAN_KIND_SERVER, 200);
	while (f->m->x.st.spans_exported + f->m->x.st.spans_rejected < 3 && monotime_ns() < end)
		assert_int_equal(evloop_run_once(&f->loop, 50), 0);
	rx_stop(f);
	assert_true(f->n_lines >= 1);
	assert_int_equal(f->m->x.st.spans_rejected, 2);
	assert_int_equal(f->m->x.st.spans_exported, 1);
	assert_true(f->m->st.exports >= 1);
}

/* obi's counters: monotonic sums under service.name=obi, values read at export. */
static void test_internal_counters(void **state)
{
	struct fixture *f = *state;
	uint64_t drops = 5, bad = 0;
	const struct metrics_counter c[] = {
	    {"obi.probe.ring_drops", "Exchanges lost to a full ring.", &drops},
	    {"obi.enricher.bad_records", "Malformed records.", &bad}};
	const cJSON *req, *rm, *m, *sum;
	char b[8];
	int found = 0;

	f->cfg.internal = true;
	fx_start(f, "tests/otlp/receiver.js", "");
	assert_int_equal(metrics_set_internal(f->m, c, 2), 0);
	drops = 12;
	flush_wait(f);
	rx_stop(f);
	assert_int_equal(f->n_lines, 1);
	req = cJSON_GetObjectItem(f->lines[0], "request");
	cJSON_ArrayForEach(rm, cJSON_GetObjectItem(req, "resourceMetrics"))
	{
		if (strcmp(attr(jpath(jpath(rm, "resource", -1), "attributes", -1), "service.name",
				b, 8),
			   "obi"))
			continue;
		cJSON_ArrayForEach(m, jpath(jpath(rm, "scopeMetrics", 0), "metrics", -1))
		{
			sum = cJSON_GetObjectItem(m, "sum");
			assert_non_null(sum);
			assert_true(cJSON_IsTrue(cJSON_GetObjectItem(sum, "isMonotonic")));
			assert_int_equal(
			    cJSON_GetObjectItem(sum, "aggregationTemporality")->valueint, 2);
			if (!strcmp(jstr(m, "name"), "obi.probe.ring_drops")) {
				assert_string_equal(jstr(jpath(sum, "dataPoints", 0), "asInt"),
						    "12");
				found++;
			}
		}
	}
	assert_int_equal(found, 1);
}

/* The enricher's, kernel's, probe's and an exporter's counters under their OTLP names. */
static void test_internal_tables(void **state)
{
	struct fixture *f = *state;
	struct enricher_stats st = {.bad_records = 4};
	struct metrics_table *t = calloc(1, sizeof(*t));
	const cJSON *rm, *m;
	int kernel = 0, enr = 0, otlp = 0, selected = 0;

	f->cfg.internal = true;
	fx_start(f, "tests/otlp/receiver.js", "");
	st.probe[OBI_ST_RB_DROPS] = 17;
	metrics_table_enricher(t, &st);
	metrics_table_exporter(t, "metrics", &f->m->x.st);
	assert_int_equal(metrics_set_internal(f->m, t->c, t->n), 0);
	memset(t, 0, sizeof(*t)); /* copied: the table may go */
	free(t);
	flush_wait(f);
	rx_stop(f);
	cJSON_ArrayForEach(
	    rm, cJSON_GetObjectItem(cJSON_GetObjectItem(f->lines[0], "request"), "resourceMetrics"))
	{
		cJSON_ArrayForEach(m, jpath(jpath(rm, "scopeMetrics", 0), "metrics", -1))
		{
			const char *n = jstr(m, "name"), *v;

			if (!cJSON_GetObjectItem(m, "sum"))
				continue;
			v = jstr(jpath(cJSON_GetObjectItem(m, "sum"), "dataPoints", 0), "asInt");
			if (!strcmp(n, "obi.kernel.ringbuf_drops"))
				kernel += !strcmp(v, "17");
			if (!strcmp(n, "obi.enricher.bad_records"))
				enr += !strcmp(v, "4");
			if (!strcmp(n, "obi.otlp.metrics.requests"))
				otlp++;
			selected += !strcmp(n, "obi.probe.selected");
		}
	}
	assert_int_equal(kernel, 1);
	assert_int_equal(enr, 1);
	assert_int_equal(otlp, 1);
	assert_int_equal(selected, 0);
}

/* Past the series limit: one overflow point; a round over the size limit is split, each
 * request under it, and no span is lost or counted twice. */
static void test_split_and_overflow(void **state)
{
	struct fixture *f = *state;
	long long total = 0, over = 0;
	char b[8];

	f->cfg.agg.limit = 5;
	f->cfg.http.max_request_bytes = 3000;
	fx_start(f, "tests/otlp/receiver.js", "");
	for (int i = 0; i < 30; i++) {
		struct span *s = otlp_t_span(&svc, (uint8_t)i, SPAN_KIND_SERVER);

		span_t_setf(s, SPAN_A_HTTP_ROUTE, "/route/%d", i);
		metrics_on_span(f->m, s);
		span_t_free(s);
	}
	flush_wait(f);
	rx_stop(f);
	assert_true(f->n_lines >= 3);
	for (size_t i = 0; i < f->n_lines; i++) {
		const cJSON *h = cJSON_GetObjectItem(
				metric(cJSON_GetObjectItem(f->lines[i], "request"), 0,
				       "http.server.request.duration"),
				"histogram"),
			    *dp;

		assert_true(cJSON_GetObjectItem(f->lines[i], "bytes")->valueint <= 3000);
		cJSON_ArrayForEach(dp, cJSON_GetObjectItem(h, "dataPoints"))
		{
			const cJSON *at = cJSON_GetObjectItem(dp, "attributes");

			total += count_of(dp);
			if (attr(at, "otel.metric.overflow", b, sizeof(b))) {
				assert_string_equal(attr(at, "otel.metric.overflow", b, sizeof(b)),
						    "true");
				assert_int_equal(cJSON_GetArraySize(at), 1);
				over += count_of(dp);
			}
		}
	}
	assert_int_equal(total, 30);
	assert_int_equal(over, 25);
	assert_int_equal(f->m->x.st.spans_exported, 18); /* 6 series x 3 histograms */
}

/* The same aggregation encoded as protobuf and as JSON decodes to the same request. */
static void test_pb_json_same(void **state)
{
	struct fixture *f = *state;
	struct metrics_series *ss[1];
	struct otlp_attr a[2] = {{.key = "k", .type = OTLP_ATTR_STR, .v.s = "v"},
				 {.key = "n", .type = OTLP_ATTR_INT, .v.i = -3}};
	uint64_t buckets[16] = {1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4};
	struct otlp_hist_point hp = {a, 2, 10, 20, 7, 1.5, 0.001, 12.25, buckets};
	struct otlp_sum_point sp = {a, 1, 10, 20, 42};
	struct otlp_metric m[2] = {{"h", "d", "s", OTLP_METRIC_HISTOGRAM, OTLP_TEMPORALITY_DELTA,
				    false, f->cfg.agg.bounds[0].v, f->cfg.agg.bounds[0].n, &hp,
				    NULL, 1},
				   {"c", NULL, "1", OTLP_METRIC_SUM, OTLP_TEMPORALITY_CUMULATIVE,
				    true, NULL, 0, NULL, &sp, 1}};
	struct otlp_rmetrics rm = {a, 1, m, 2};
	struct otlp_buf pb = {0}, js = {0};
	cJSON *dp, *dj;

	(void)ss;
	assert_int_equal(otlp_encode_metrics_pb(&rm, 1, &scope, &pb), 0);
	assert_int_equal(otlp_encode_metrics_json(&rm, 1, &scope, &js), 0);
	dp = otlp_t_js_decode("metrics", "pb", pb.data, pb.len);
	dj = otlp_t_js_decode("metrics", "json", js.data, js.len);
	assert_non_null(dp);
	assert_non_null(dj);
	assert_true(cJSON_Compare(dp, dj, true));
	assert_string_equal(
	    jstr(jpath(cJSON_GetObjectItem(metric(dp, 0, "h"), "histogram"), "dataPoints", 0),
		 "count"),
	    "7");
	cJSON_Delete(dp);
	cJSON_Delete(dj);
	otlp_buf_free(&pb);
	otlp_buf_free(&js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_http_protobuf, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_json_gzip, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_grpc_gzip, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_cumulative, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_delta, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_503_then_200, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_400_not_retried, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_partial_success, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_internal_counters, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pb_json_same, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_split_and_overflow, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_internal_tables, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_timer_grpc_partial, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
