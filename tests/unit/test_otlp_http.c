/* test_otlp_http.c: the OTLP/HTTP exporter end to end against tests/otlp/receiver.js (node). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "monotime.h"
#include "otlp_http.h"
#include "otlp_testutil.h"

static const struct span_service svc = {.name = "http-svc",
					.namespace_ = "ns",
					.instance_id = "h:1",
					.sdk_language = "go",
					.exe_path = "/bin/x",
					.resource_attrs = "",
					.pid = 1};
static const struct otlp_host host = {
    .host_name = "h", .sdk_name = "opentelemetry-ebpf-instrumentation", .sdk_version = "0.1.0"};
static const struct otlp_scope scope = {.name = "obi", .version = "0.1.0"};
static const struct otlp_header headers[] = {{"Authorization", "Bearer s3cret"},
					     {"X-Tenant", "t1"}};

#define N_SPANS 25

static char certs[64]; /* the TLS tests' certificates, made once per run */

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

static void rx_stop(struct fixture *f)
{
	f->n_lines = otlp_t_rx_stop(&f->rx, f->lines, 64);
}

static int group_setup(void **state)
{
	(void)state;
	char cmd[128];

	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(certs, sizeof(certs), "/tmp/obi-otlp-certs-XXXXXX");
	if (!mkdtemp(certs))
		return -1;
	snprintf(cmd, sizeof(cmd), "bash tests/otlp/mkcerts.sh %s", certs);
	if (system(cmd) != 0)
		return -1;
	return system("bash tests/otlp/setup.sh") == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	curl_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", certs);
	return system(cmd) == 0 ? 0 : -1;
}

static int fx_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(evloop_init(&f->loop), 0);
	for (int i = 0; i < N_SPANS; i++) {
		f->spans[i] = otlp_t_span(&svc, (uint8_t)i, SPAN_KIND_SERVER);
		f->p[i] = f->spans[i];
	}
	f->cfg = (struct otlp_http_config){
	    .url = f->url,
	    .headers = headers,
	    .n_headers = 2,
	    .timeout_ns = 2000000000ULL,
	    .batch_max_spans = 10,
	    .batch_timeout_ns = 50000000ULL,
	    .queue_max_spans = 1000,
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
		rx_stop(f);
	otlp_http_free(&f->x);
	evloop_free(&f->loop);
	for (int i = 0; i < N_SPANS; i++)
		span_t_free(f->spans[i]);
	for (size_t i = 0; i < f->n_lines; i++)
		cJSON_Delete(f->lines[i]);
	free(f);
	return 0;
}

/* Starts the receiver with faults and the exporter pointed at it. */
static void fx_start(struct fixture *f, const char *faults)
{
	char err[256];

	assert_int_equal(otlp_t_rx_start(&f->rx, "tests/otlp/receiver.js", faults), 0);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/v1/traces", f->rx.port);
	assert_int_equal(otlp_http_init(&f->x, &f->loop, &f->cfg, err, sizeof(err)), 0);
}

static void run_until_idle(struct fixture *f, uint64_t max_ns)
{
	uint64_t end = monotime_ns() + max_ns;

	while (!otlp_http_idle(&f->x) && monotime_ns() < end)
		assert_int_equal(evloop_run_once(&f->loop, 50), 0);
	assert_true(otlp_http_idle(&f->x));
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jint(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItem(o, k) ? cJSON_GetObjectItem(o, k)->valueint : -1;
}

/* Span ids delivered in requests the receiver answered 200 (or partial): each exactly once. */
static size_t delivered_once(const struct fixture *f)
{
	static char seen[N_SPANS];
	size_t total = 0;

	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < f->n_lines; i++) {
		const cJSON *l = f->lines[i], *rs, *ss, *sp;
		const char *fault = jstr(l, "fault");

		if (strcmp(fault, "200") && strncmp(fault, "partial", 7))
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
					b -= 0x10; /* otlp_t_span: span_id[0] = 0x10 + seed */
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

static void test_healthy_protobuf_headers(void **state)
{
	struct fixture *f = *state;
	const cJSON *h;

	fx_start(f, "");
	assert_int_equal(otlp_http_export(&f->x, f->p, N_SPANS), N_SPANS);
	run_until_idle(f, 5000000000ULL);
	rx_stop(f);
	assert_int_equal(f->n_lines, 3); /* 10 + 10 + the 5 the batch timer sent */
	assert_int_equal(delivered_once(f), N_SPANS);
	h = cJSON_GetObjectItem(f->lines[0], "headers");
	assert_string_equal(jstr(h, "authorization"), "Bearer s3cret");
	assert_string_equal(jstr(h, "x-tenant"), "t1");
	assert_string_equal(jstr(f->lines[0], "contentType"), "application/x-protobuf");
	assert_string_equal(jstr(f->lines[0], "path"), "/v1/traces");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(f->lines[0], "encoding")));
	assert_int_equal(f->x.st.spans_exported, N_SPANS);
	assert_int_equal(f->x.st.requests, 3);
	assert_int_equal(f->x.st.retries, 0);
}

static void test_json_gzip(void **state)
{
	struct fixture *f = *state;

	f->cfg.json = true;
	f->cfg.gzip = true;
	fx_start(f, "");
	assert_int_equal(otlp_http_export(&f->x, f->p, N_SPANS), N_SPANS);
	run_until_idle(f, 5000000000ULL);
	rx_stop(f);
	assert_int_equal(delivered_once(f), N_SPANS);
	assert_string_equal(jstr(f->lines[0], "contentType"), "application/json");
	assert_string_equal(jstr(f->lines[0], "encoding"), "gzip");
	assert_int_equal(f->x.st.spans_exported, N_SPANS);
}

static void test_503_then_200(void **state)
{
	struct fixture *f = *state;

	fx_start(f, "503");
	otlp_http_export(&f->x, f->p, 10);
	run_until_idle(f, 5000000000ULL);
	rx_stop(f);
	assert_int_equal(f->n_lines, 2);
	assert_int_equal(delivered_once(f), 10);
	assert_int_equal(jint(f->lines[1], "spans"), 10); /* the same request again */
	assert_int_equal(f->x.st.retries, 1);
	assert_int_equal(f->x.st.spans_exported, 10);
	assert_int_equal(f->x.st.spans_failed, 0);
}

static void check_retry_after(struct fixture *f, const char *faults)
{
	double t0, t1;

	fx_start(f, faults);
	otlp_http_export(&f->x, f->p, 10);
	run_until_idle(f, 8000000000ULL);
	rx_stop(f);
	assert_int_equal(f->n_lines, 2);
	t0 = cJSON_GetObjectItem(f->lines[0], "t")->valuedouble;
	t1 = cJSON_GetObjectItem(f->lines[1], "t")->valuedouble;
	/* Our own back-off would retry after 50-150 ms: the server's delay must win. */
	if (t1 - t0 < 950)
		fail_msg("retried after %.0f ms despite Retry-After", t1 - t0);
	assert_int_equal(delivered_once(f), 10);
}

static void test_429_retry_after_seconds(void **state)
{
	check_retry_after(*state, "429:ra=1");
}

static void test_429_retry_after_http_date(void **state)
{
	check_retry_after(*state, "429:date=2");
}

static void test_400_413_never_retried(void **state)
{
	struct fixture *f = *state;

	fx_start(f, "400,413");
	otlp_http_export(&f->x, f->p, 10);
	run_until_idle(f, 5000000000ULL);
	otlp_http_export(&f->x, f->p + 10, 10);
	run_until_idle(f, 5000000000ULL);
	rx_stop(f);
	assert_int_equal(f->n_lines, 2);
	assert_int_equal(f->x.st.retries, 0);
	assert_int_equal(f->x.st.spans_failed, 20);
	assert_int_equal(f->x.st.spans_exported, 0);
}

static void test_hang_past_timeout(void **state)
{
	struct fixture *f = *state;
	uint64_t t0 = monotime_ns();

	f->cfg.timeout_ns = 300000000ULL;
	fx_start(f, "hang");
	otlp_http_export(&f->x, f->p, 10);
	run_until_idle(f, 5000000000ULL);
	assert_true(monotime_ns() - t0 >= 300000000ULL);
	rx_stop(f);
	assert_int_equal(f->n_lines, 2);
	assert_int_equal(delivered_once(f), 10);
	assert_int_equal(f->x.st.retries, 1);
	assert_int_equal(f->x.st.spans_exported, 10);
}

static void test_partial_success(void **state)
{
	struct fixture *f = *state;

	fx_start(f, "partial:3");
	otlp_http_export(&f->x, f->p, 10);
	run_until_idle(f, 5000000000ULL);
	rx_stop(f);
	assert_int_equal(f->n_lines, 1);
	assert_int_equal(f->x.st.spans_rejected, 3);
	assert_int_equal(f->x.st.spans_exported, 7);
	assert_int_equal(f->x.st.retries, 0);
}

static int closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd); /* bound, never listening: connections are refused */
	return ntohs(a.sin_port);
}

static void test_unreachable_queue_bound(void **state)
{
	struct fixture *f = *state;
	char err[256];

	f->cfg.queue_max_spans = 10;
	f->cfg.backoff.max_elapsed_ns = 700000000ULL;
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/v1/traces", closed_port());
	assert_int_equal(otlp_http_init(&f->x, &f->loop, &f->cfg, err, sizeof(err)), 0);
	assert_int_equal(otlp_http_export(&f->x, f->p, N_SPANS), 10);
	assert_int_equal(f->x.st.spans_dropped_queue, N_SPANS - 10);
	run_until_idle(f, 5000000000ULL);
	assert_true(f->x.st.requests >= 2); /* connection refused is retried */
	assert_int_equal(f->x.st.spans_failed, 10);
	assert_int_equal(f->x.st.spans_exported, 0);
}

/* Several requests, none over the 3000-byte limit, every span delivered once. */
static void split_check(struct fixture *f)
{
	run_until_idle(f, 5000000000ULL);
	rx_stop(f);
	assert_true(f->n_lines > 3);
	for (size_t i = 0; i < f->n_lines; i++)
		assert_true(jint(f->lines[i], "bytes") <= 3000);
	assert_int_equal(delivered_once(f), N_SPANS);
	assert_int_equal(f->x.st.spans_exported, N_SPANS);
}

static void test_split_under_limit(void **state)
{
	struct fixture *f = *state;

	f->cfg.max_request_bytes = 3000;
	fx_start(f, "");
	otlp_http_export(&f->x, f->p, N_SPANS);
	split_check(f);
}

/* Small calls are encoded onto one pending batch; the one that would pass the limit starts
 * the next request instead, and no span is lost or sent twice on the way. */
static void test_split_across_calls(void **state)
{
	struct fixture *f = *state;

	f->cfg.max_request_bytes = 3000;
	fx_start(f, "");
	for (size_t i = 0; i < N_SPANS; i += 3)
		otlp_http_export(&f->x, f->p + i, N_SPANS - i < 3 ? N_SPANS - i : 3);
	split_check(f);
}

/* A throw-away CA, server and client certificates (tests/otlp/mkcerts.sh). */
static const char *cert(const char *name)
{
	static char path[8][128];
	static int k;

	k = (k + 1) % 8;
	snprintf(path[k], sizeof(path[k]), "%s/%s", certs, name);
	return path[k];
}

static void tls_run(struct fixture *f, bool mtls)
{
	char tls[512], err[256];

	snprintf(tls, sizeof(tls), "%s,%s%s%s", cert("server.crt"), cert("server.key"),
		 mtls ? "," : "", mtls ? cert("ca.crt") : "");
	assert_int_equal(otlp_t_rx_start_tls(&f->rx, "tests/otlp/receiver.js", "", tls), 0);
	snprintf(f->url, sizeof(f->url), "https://127.0.0.1:%d/v1/traces", f->rx.port);
	assert_int_equal(otlp_http_init(&f->x, &f->loop, &f->cfg, err, sizeof(err)), 0);
	otlp_http_export(&f->x, f->p, 10);
	run_until_idle(f, 5000000000ULL);
	rx_stop(f);
}

static void test_tls_custom_ca(void **state)
{
	struct fixture *f = *state;

	f->cfg.ca_file = cert("ca.crt");
	tls_run(f, false);
	assert_int_equal(delivered_once(f), 10);
	assert_int_equal(f->x.st.spans_exported, 10);
}

/* A CA that did not sign the server's certificate: refused at once, never retried. */
static void test_tls_wrong_ca(void **state)
{
	struct fixture *f = *state;

	f->cfg.ca_file = cert("other.crt");
	tls_run(f, false);
	assert_int_equal(f->n_lines, 0);
	assert_int_equal(f->x.st.spans_failed, 10);
	assert_int_equal(f->x.st.retries, 0);
}

static void test_mtls(void **state)
{
	struct fixture *f = *state;

	f->cfg.ca_file = cert("ca.crt");
	f->cfg.client_cert = cert("client.crt");
	f->cfg.client_key = cert("client.key");
	tls_run(f, true);
	assert_int_equal(delivered_once(f), 10);
}

static void test_mtls_without_client_cert(void **state)
{
	struct fixture *f = *state;

	f->cfg.ca_file = cert("ca.crt");
	f->cfg.backoff.max_elapsed_ns = 500000000ULL;
	tls_run(f, true);
	assert_int_equal(f->n_lines, 0);
	assert_int_equal(f->x.st.spans_exported, 0);
	assert_int_equal(f->x.st.spans_failed, 10);
}

static void test_bad_config(void **state)
{
	struct fixture *f = *state;
	const struct otlp_header evil[] = {{"X-Ok", "secret-value\r\nX-Injected: 1"}};
	char err[256];

	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:1/v1/traces");
	f->cfg.headers = evil;
	f->cfg.n_headers = 1;
	assert_int_equal(otlp_http_init(&f->x, &f->loop, &f->cfg, err, sizeof(err)), -EINVAL);
	assert_null(strstr(err, "secret")); /* values never appear in errors */
	assert_non_null(strstr(err, "X-Ok"));
	f->cfg.n_headers = 0;
	snprintf(f->url, sizeof(f->url), "ftp://127.0.0.1/v1/traces");
	assert_int_equal(otlp_http_init(&f->x, &f->loop, &f->cfg, err, sizeof(err)), -EINVAL);
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FX(test_healthy_protobuf_headers),
	    FX(test_json_gzip),
	    FX(test_503_then_200),
	    FX(test_429_retry_after_seconds),
	    FX(test_429_retry_after_http_date),
	    FX(test_400_413_never_retried),
	    FX(test_hang_past_timeout),
	    FX(test_partial_success),
	    FX(test_unreachable_queue_bound),
	    FX(test_split_under_limit),
	    FX(test_split_across_calls),
	    FX(test_tls_custom_ca),
	    FX(test_tls_wrong_ca),
	    FX(test_mtls),
	    FX(test_mtls_without_client_cert),
	    FX(test_bad_config),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
