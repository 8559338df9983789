/* test_otlp_grpc.c: the OTLP/gRPC transport (h2c via libcurl) against a grpc-js server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "monotime.h"
#include "otlp_grpc.h"
#include "otlp_http.h"
#include "otlp_testutil.h"

static const struct span_service svc = {.name = "grpc-svc",
					.namespace_ = "",
					.instance_id = "h:2",
					.sdk_language = "java",
					.exe_path = "/bin/j",
					.resource_attrs = "",
					.pid = 2};
static const struct otlp_host host = {
    .host_name = "h", .sdk_name = "opentelemetry-ebpf-instrumentation", .sdk_version = "0.1.0"};
static const struct otlp_scope scope = {.name = "obi", .version = "0.1.0"};
static const struct otlp_header headers[] = {{"Authorization", "Bearer g-secret"}};

#define N_SPANS 25

struct fixture {
	struct otlp_t_rx rx;
	struct evloop loop;
	struct otlp_http x;
	struct otlp_http_config cfg;
	char url[128];
	struct span *spans[N_SPANS];
	const struct span *p[N_SPANS];
	cJSON *lines[64];
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
	for (int i = 0; i < N_SPANS; i++) {
		f->spans[i] = otlp_t_span(&svc, (uint8_t)i, SPAN_KIND_CLIENT);
		f->p[i] = f->spans[i];
	}
	f->cfg = (struct otlp_http_config){
	    .url = f->url,
	    .grpc = true,
	    .gzip = true,
	    .headers = headers,
	    .n_headers = 1,
	    .timeout_ns = 3000000000ULL,
	    .batch_max_spans = 10,
	    .batch_timeout_ns = 50000000ULL,
	    .queue_max_spans = 1000,
	    .max_request_bytes = 4u << 20,
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
		f->n_lines = otlp_t_rx_stop(&f->rx, f->lines, 64);
	otlp_http_free(&f->x);
	evloop_free(&f->loop);
	for (int i = 0; i < N_SPANS; i++)
		span_t_free(f->spans[i]);
	for (size_t i = 0; i < f->n_lines; i++)
		cJSON_Delete(f->lines[i]);
	free(f);
	return 0;
}

static void fx_run(struct fixture *f, const char *faults, size_t n_spans)
{
	char err[256];
	uint64_t end;

	assert_int_equal(otlp_t_rx_start(&f->rx, "tests/otlp/grpc_receiver.js", faults), 0);
	/* The endpoint, with a trailing slash: the method path is appended once. */
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/", f->rx.port);
	assert_int_equal(otlp_http_init(&f->x, &f->loop, &f->cfg, err, sizeof(err)), 0);
	otlp_http_export(&f->x, f->p, n_spans);
	end = monotime_ns() + 8000000000ULL;
	while (!otlp_http_idle(&f->x) && monotime_ns() < end)
		assert_int_equal(evloop_run_once(&f->loop, 50), 0);
	assert_true(otlp_http_idle(&f->x));
	f->n_lines = otlp_t_rx_stop(&f->rx, f->lines, 64);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Spans in calls answered OK (or partially): each span id exactly once. */
static size_t delivered_once(const struct fixture *f)
{
	char seen[N_SPANS] = {0};
	size_t total = 0;

	for (size_t i = 0; i < f->n_lines; i++) {
		const cJSON *l = f->lines[i], *rs, *ss, *sp;
		const char *fault = jstr(l, "fault");

		if (strcmp(fault, "ok") && strncmp(fault, "partial", 7))
			continue;
		cJSON_ArrayForEach(
		    rs, cJSON_GetObjectItem(cJSON_GetObjectItem(l, "request"), "resourceSpans"))
		{
			cJSON_ArrayForEach(ss, cJSON_GetObjectItem(rs, "scopeSpans"))
			{
				cJSON_ArrayForEach(sp, cJSON_GetObjectItem(ss, "spans"))
				{
					unsigned b;

					assert_int_equal(sscanf(jstr(sp, "spanId"), "%2x", &b), 1);
					b -= 0x10;
					assert_true(b < N_SPANS);
					assert_int_equal(seen[b], 0);
					seen[b] = 1;
					total++;
				}
			}
		}
	}
	return total;
}

static void check_healthy(struct fixture *f)
{
	const cJSON *md;

	fx_run(f, "", N_SPANS);
	assert_int_equal(f->n_lines, 3);
	assert_int_equal(delivered_once(f), N_SPANS);
	assert_string_equal(jstr(f->lines[0], "path"), OTLP_GRPC_TRACES_PATH);
	md = cJSON_GetObjectItem(f->lines[0], "metadata");
	assert_string_equal(jstr(md, "authorization"), "Bearer g-secret");
	assert_int_equal(f->x.st.spans_exported, N_SPANS);
	assert_int_equal(f->x.st.retries, 0);
}

/* grpc-js inflates what the frame flag says is gzip: a wrong flag or stream fails the call. */
static void test_healthy_gzip(void **state)
{
	check_healthy(*state);
}

static void test_healthy_identity(void **state)
{
	struct fixture *f = *state;

	f->cfg.gzip = false;
	check_healthy(f);
}

static void test_unavailable_then_ok(void **state)
{
	struct fixture *f = *state;

	fx_run(f, "unavailable", 10);
	assert_int_equal(f->n_lines, 2);
	assert_int_equal(delivered_once(f), 10);
	assert_int_equal(f->x.st.retries, 1);
	assert_int_equal(f->x.st.spans_exported, 10);
}

static void test_resource_exhausted_with_retry_info(void **state)
{
	struct fixture *f = *state;
	double t0, t1;

	fx_run(f, "resource_exhausted:retry=1", 10);
	assert_int_equal(f->n_lines, 2);
	t0 = cJSON_GetObjectItem(f->lines[0], "t")->valuedouble;
	t1 = cJSON_GetObjectItem(f->lines[1], "t")->valuedouble;
	if (t1 - t0 < 950) /* RetryInfo says 1 s; our own back-off would be 50-150 ms */
		fail_msg("retried after %.0f ms despite RetryInfo", t1 - t0);
	assert_int_equal(delivered_once(f), 10);
}

static void test_never_retried(void **state)
{
	struct fixture *f = *state;

	/* RESOURCE_EXHAUSTED without RetryInfo, and INVALID_ARGUMENT: both final. */
	fx_run(f, "resource_exhausted,invalid_argument", 20);
	assert_int_equal(f->n_lines, 2);
	assert_int_equal(f->x.st.retries, 0);
	assert_int_equal(f->x.st.spans_failed, 20);
	assert_int_equal(f->x.st.spans_exported, 0);
}

static void test_partial_success(void **state)
{
	struct fixture *f = *state;

	fx_run(f, "partial:4", 10);
	assert_int_equal(f->n_lines, 1);
	assert_int_equal(f->x.st.spans_rejected, 4);
	assert_int_equal(f->x.st.spans_exported, 6);
}

static void test_hang_past_timeout(void **state)
{
	struct fixture *f = *state;

	f->cfg.timeout_ns = 300000000ULL;
	fx_run(f, "hang", 10);
	assert_int_equal(f->n_lines, 2);
	assert_int_equal(f->x.st.retries, 1);
	assert_int_equal(delivered_once(f), 10);
}

static void test_status_parsing(void **state)
{
	struct otlp_grpc_status s;
	static const char msg[] = "grpc-message: bad%20thing%0A\r\n";
	/* google.rpc.Status{code 8, details [Any{RetryInfo, RetryInfo{retry_delay{2s 5ns}}}]},
	 * base64 without padding as gRPC sends it (made with protobufjs from googleapis). */
	static const char det[] =
	    "grpc-status-details-bin: CAgaMgoodHlwZS5nb29nbGVhcGlzLmNvbS9nb29n"
	    "bGUucnBjLlJldHJ5SW5mbxIGCgQIAhAF\r\n";
	const uint8_t frame[] = {0, 0, 0, 0, 2, 0x0a, 0x00};
	const uint8_t *m;
	size_t n;

	(void)state;
	otlp_grpc_status_reset(&s);
	otlp_grpc_status_line(&s, "Grpc-Status: 8\r\n", 16);
	otlp_grpc_status_line(&s, msg, sizeof(msg) - 1);
	assert_true(s.has_status);
	assert_int_equal(s.code, 8);
	assert_string_equal(s.message, "bad thing?");
	assert_int_equal(otlp_grpc_outcome(&s, 200), OTLP_OUTCOME_DROP);
	otlp_grpc_status_line(&s, det, sizeof(det) - 1);
	assert_int_equal(s.retry_delay_ns, 2000000005LL);
	assert_int_equal(otlp_grpc_outcome(&s, 200), OTLP_OUTCOME_RETRY);
	otlp_grpc_status_reset(&s);
	assert_int_equal(otlp_grpc_outcome(&s, 503), OTLP_OUTCOME_RETRY); /* a proxy's answer */
	assert_int_equal(otlp_grpc_outcome(&s, 400), OTLP_OUTCOME_DROP);
	assert_int_equal(otlp_grpc_unframe(frame, sizeof(frame), &m, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(otlp_grpc_unframe(frame, 4, &m, &n), -EINVAL);
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FX(test_healthy_gzip),	  FX(test_healthy_identity),
	    FX(test_unavailable_then_ok), FX(test_resource_exhausted_with_retry_info),
	    FX(test_never_retried),	  FX(test_partial_success),
	    FX(test_hang_past_timeout),	  cmocka_unit_test(test_status_parsing),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
