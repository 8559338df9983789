/* test_otlp_encode.c: OTLP trace encoding checked by decoders we did not write (protoc, OTel JS).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "otlp_encode.h"
#include "otlp_testutil.h"

static const struct span_service svc_a = {
    .name = "svc-a",
    .namespace_ = "shop",
    .instance_id = "host-1:1234",
    .sdk_language = "python",
    .exe_path = "/usr/bin/python3",
    .resource_attrs = "deployment.environment=prod, team=a%2Cb ,service.name=ignored",
    .pid = 1234};
static const struct span_service svc_b = {.name = "svc-b",
					  .namespace_ = "",
					  .instance_id = "host-1:99",
					  .sdk_language = "go",
					  .exe_path = "/srv/b",
					  .resource_attrs = "",
					  .pid = 99};
static const struct otlp_host host = {.host_name = "host-1",
				      .host_id = "0123abcd",
				      .sdk_name = "opentelemetry-ebpf-instrumentation",
				      .sdk_version = "0.1.0",
				      .resource_attrs = "team=obi-team,k8s.cluster.name=c1"};
static const struct otlp_scope scope = {
    .name = "github.com/open-telemetry/opentelemetry-ebpf-instrumentation", .version = "0.1.0"};

struct batch {
	struct span *s[4];
	const struct span *p[4];
	size_t n;
};

static int batch_setup(void **state)
{
	struct batch *b = calloc(1, sizeof(*b));
	char path[SPAN_STR_MAX];

	b->s[0] = otlp_t_span(&svc_a, 1, SPAN_KIND_SERVER);
	for (int i = 0; i < 8; i++)
		b->s[0]->parent_span_id[i] = (uint8_t)(0xf0 + i);
	b->s[1] = otlp_t_span(&svc_b, 2, SPAN_KIND_CLIENT);
	b->s[2] = otlp_t_span(&svc_a, 3, SPAN_KIND_SERVER);
	b->s[3] = otlp_t_span(NULL, 4, SPAN_KIND_SERVER);
	/* A full-length path must arrive whole: no fixed cap cuts strings. */
	memset(path, 'p', SPAN_STR_MAX - 1);
	path[0] = '/';
	path[SPAN_STR_MAX - 1] = '\0';
	span_t_set(b->s[2], SPAN_A_URL_PATH, path);
	b->n = 4;
	for (size_t i = 0; i < b->n; i++)
		b->p[i] = b->s[i];
	*state = b;
	return 0;
}

static int batch_teardown(void **state)
{
	struct batch *b = *state;

	for (size_t i = 0; i < b->n; i++)
		span_t_free(b->s[i]);
	free(b);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	return system("bash tests/otlp/setup.sh") == 0 ? 0 : -1;
}

static cJSON *attr(const cJSON *attrs, const char *key)
{
	const cJSON *kv;

	cJSON_ArrayForEach(kv, attrs)
	{
		if (!strcmp(cJSON_GetObjectItem(kv, "key")->valuestring, key))
			return cJSON_GetObjectItem(kv, "value");
	}
	return NULL;
}

static const char *attr_str(const cJSON *attrs, const char *key, const char *type)
{
	cJSON *v = attr(attrs, key);
	cJSON *s = v ? cJSON_GetObjectItem(v, type) : NULL;

	return s && cJSON_IsString(s) ? s->valuestring : NULL;
}

static void test_protoc_decodes(void **state)
{
	struct batch *b = *state;
	struct otlp_buf out = {0};
	struct otlp_encode_stats st = {0};
	char cmd[1024], *path, *txt;
	int rc;

	assert_int_equal(otlp_encode_traces_pb(b->p, b->n, &host, &scope, &out, &st), 0);
	assert_int_equal(st.resources, 3);
	path = otlp_t_write_tmp(out.data, out.len);
	snprintf(
	    cmd, sizeof(cmd),
	    "protoc -I %s --decode=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"
	    " opentelemetry/proto/collector/trace/v1/trace_service.proto < %s",
	    OTLP_T_OFFICIAL_PROTOS, path);
	txt = otlp_t_run(cmd, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(otlp_t_count(txt, "resource_spans {"), 3);
	assert_int_equal(otlp_t_count(txt, "  spans {"), 4);
	assert_non_null(strstr(txt, "string_value: \"svc-a\""));
	assert_non_null(strstr(txt, "kind: SPAN_KIND_CLIENT"));
	assert_non_null(strstr(txt, "start_time_unix_nano: 1775595648479048001"));
	assert_non_null(strstr(txt, "string_value: \"unknown_service\""));
	free(txt);
	unlink(path);
	free(path);
	otlp_buf_free(&out);
}

static void check_span_a0(const cJSON *sp)
{
	const cJSON *attrs = cJSON_GetObjectItem(sp, "attributes");

	assert_string_equal(cJSON_GetObjectItem(sp, "traceId")->valuestring,
			    "a1a2a3a4a5a6a7a8a9aaabacadaeafb0");
	assert_string_equal(cJSON_GetObjectItem(sp, "spanId")->valuestring, "1112131415161718");
	assert_string_equal(cJSON_GetObjectItem(sp, "parentSpanId")->valuestring,
			    "f0f1f2f3f4f5f6f7");
	assert_int_equal(cJSON_GetObjectItem(sp, "kind")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(sp, "flags")->valueint, 0x301);
	assert_string_equal(cJSON_GetObjectItem(sp, "name")->valuestring, "GET");
	assert_string_equal(cJSON_GetObjectItem(sp, "startTimeUnixNano")->valuestring,
			    "1775595648479048001");
	assert_string_equal(cJSON_GetObjectItem(sp, "endTimeUnixNano")->valuestring,
			    "1775595648479445235");
	assert_string_equal(attr_str(attrs, "http.response.status_code", "intValue"), "200");
	assert_string_equal(attr_str(attrs, "http.request.body.size", "intValue"), "0");
	assert_string_equal(attr_str(attrs, "http.response.body.size", "intValue"), "512");
	assert_string_equal(attr_str(attrs, "url.path", "stringValue"), "/users/1");
	assert_string_equal(attr_str(attrs, "client.address", "stringValue"), "127.0.0.2");
	assert_string_equal(attr_str(attrs, "server.port", "intValue"), "8080");
	assert_null(attr(attrs, "url.full"));
	assert_null(attr(attrs, "url.query"));
}

static void check_resource_a(const cJSON *rs)
{
	const cJSON *attrs = cJSON_GetObjectItem(cJSON_GetObjectItem(rs, "resource"), "attributes");

	assert_string_equal(attr_str(attrs, "service.name", "stringValue"), "svc-a");
	assert_string_equal(attr_str(attrs, "service.namespace", "stringValue"), "shop");
	assert_string_equal(attr_str(attrs, "service.instance.id", "stringValue"), "host-1:1234");
	assert_string_equal(attr_str(attrs, "telemetry.sdk.language", "stringValue"), "python");
	assert_string_equal(attr_str(attrs, "host.name", "stringValue"), "host-1");
	assert_string_equal(attr_str(attrs, "host.id", "stringValue"), "0123abcd");
	assert_string_equal(attr_str(attrs, "process.pid", "intValue"), "1234");
	assert_string_equal(attr_str(attrs, "deployment.environment", "stringValue"), "prod");
	/* The process's own list wins over obi's, percent-decoded and trimmed. */
	assert_string_equal(attr_str(attrs, "team", "stringValue"), "a,b");
	assert_string_equal(attr_str(attrs, "k8s.cluster.name", "stringValue"), "c1");
	assert_int_equal(cJSON_GetArraySize(attrs), 13);
}

static void test_js_decodes_pb(void **state)
{
	struct batch *b = *state;
	struct otlp_buf out = {0};
	struct otlp_encode_stats st = {0};
	cJSON *j, *rss, *ss, *spans;

	assert_int_equal(otlp_encode_traces_pb(b->p, b->n, &host, &scope, &out, &st), 0);
	j = otlp_t_js_decode("traces", "pb", out.data, out.len);
	assert_non_null(j);
	rss = cJSON_GetObjectItem(j, "resourceSpans");
	assert_int_equal(cJSON_GetArraySize(rss), 3);
	check_resource_a(cJSON_GetArrayItem(rss, 0));
	ss = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(rss, 0), "scopeSpans"), 0);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(ss, "scope"), "name")->valuestring, scope.name);
	spans = cJSON_GetObjectItem(ss, "spans");
	assert_int_equal(cJSON_GetArraySize(spans), 2);
	check_span_a0(cJSON_GetArrayItem(spans, 0));
	assert_int_equal(
	    strlen(attr_str(cJSON_GetObjectItem(cJSON_GetArrayItem(spans, 1), "attributes"),
			    "url.path", "stringValue")),
	    SPAN_STR_MAX - 1);
	/* A root span has no parentSpanId at all (an all-zero id would be invalid). */
	ss = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(rss, 1), "scopeSpans"), 0);
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(ss, "spans"), 0),
					"parentSpanId"));
	cJSON_Delete(j);
	otlp_buf_free(&out);
}

/* The JSON mapping must decode to exactly what the protobuf encoding decodes to. */
static void test_json_matches_pb(void **state)
{
	struct batch *b = *state;
	struct otlp_buf pb = {0}, js = {0};
	struct otlp_encode_stats st = {0};
	cJSON *a, *c;

	assert_int_equal(otlp_encode_traces_pb(b->p, b->n, &host, &scope, &pb, &st), 0);
	assert_int_equal(otlp_encode_traces_json(b->p, b->n, &host, &scope, &js, &st), 0);
	assert_non_null(memmem(js.data, js.len, "\"intValue\":\"200\"", 16));
	assert_non_null(memmem(js.data, js.len, "\"traceId\":\"a1a2a3a4", 19));
	a = otlp_t_js_decode("traces", "pb", pb.data, pb.len);
	c = otlp_t_js_decode("traces", "json", js.data, js.len);
	assert_non_null(a);
	assert_non_null(c);
	if (!cJSON_Compare(a, c, true)) {
		char *x = cJSON_Print(a), *y = cJSON_Print(c);

		fprintf(stderr, "protobuf decodes to:\n%s\nJSON decodes to:\n%s\n", x, y);
		free(x);
		free(y);
		fail();
	}
	cJSON_Delete(a);
	cJSON_Delete(c);
	otlp_buf_free(&pb);
	otlp_buf_free(&js);
}

static void test_bad_resource_env_discarded_whole(void **state)
{
	struct span_service bad = svc_b;
	struct span *s = otlp_t_span(&bad, 5, SPAN_KIND_SERVER);
	const struct span *p = s;
	struct otlp_buf out = {0};
	struct otlp_encode_stats st = {0};
	cJSON *j, *attrs;

	(void)state;
	bad.resource_attrs = "good=1,no-equals-sign,x=%zz";
	assert_int_equal(otlp_encode_traces_pb(&p, 1, &host, &scope, &out, &st), 0);
	assert_int_equal(st.bad_resource_env, 1);
	j = otlp_t_js_decode("traces", "pb", out.data, out.len);
	assert_non_null(j);
	attrs = cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "resourceSpans"), 0),
				"resource"),
	    "attributes");
	assert_null(attr(attrs, "good"));
	assert_string_equal(attr_str(attrs, "team", "stringValue"), "obi-team");
	cJSON_Delete(j);
	otlp_buf_free(&out);
	span_t_free(s);
}

static void test_empty_batch(void **state)
{
	struct otlp_buf out = {0};
	struct otlp_encode_stats st = {0};

	(void)state;
	assert_int_equal(otlp_encode_traces_pb(NULL, 0, &host, &scope, &out, &st), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(otlp_encode_traces_json(NULL, 0, &host, &scope, &out, &st), 0);
	assert_memory_equal(out.data, "{\"resourceSpans\":[]}", out.len);
	otlp_buf_free(&out);
}

/*
 * The exact bytes of a varied batch (interleaved services, every attribute present or absent,
 * strings long enough for 2-byte varints, a 2 KiB url.full, 64-bit sizes) against a stored
 * encoding: the encoder's fast paths must not change a byte of what it writes. An intended
 * change of the output regenerates the file with OBI_GOLDEN_WRITE=1 (and says why in the commit).
 */
#define GOLDEN_PATH "tests/unit/otlp_golden_traces.hex"
#define GOLDEN_N 12

static struct span *golden_span(size_t i)
{
	static const struct span_service *svcs[] = {&svc_a, &svc_b, NULL};
	struct span *s = otlp_t_span(svcs[i % 3], (uint8_t)(i * 17),
				     i % 4 == 1 ? SPAN_KIND_CLIENT : SPAN_KIND_SERVER);
	char buf[SPAN_STR_MAX * 2 + 64];

	if (i % 2)
		for (int k = 0; k < 8; k++)
			s->parent_span_id[k] = (uint8_t)(i + k);
	if (i % 3 == 0)
		span_t_setf(s, SPAN_A_URL_QUERY, "q=%zu&sort=asc", i);
	if (i % 4 == 0)
		span_t_set(s, SPAN_A_HTTP_ROUTE, "/users/{id}");
	if (i == 5) {
		memset(buf, 'u', sizeof(buf) - 1);
		buf[sizeof(buf) - 1] = '\0';
		span_t_set(s, SPAN_A_URL_FULL, buf); /* url.full at its bound: 2111 bytes */
	}
	memset(buf, 'a', 100 + i * 3); /* 100..133 bytes: both varint widths */
	buf[100 + i * 3] = '\0';
	span_t_set(s, SPAN_A_USER_AGENT, buf);
	span_t_status(s, i == 7 ? 0 : 200 + (int)i * 30);
	/* UINT64_MAX as span_build_http stores it: OTLP integers are signed. */
	span_set_int(s, SPAN_A_HTTP_REQ_BODY_SIZE, i == 8 ? INT64_MAX : (int64_t)(i * 1000003));
	span_set_int(s, SPAN_A_HTTP_RESP_BODY_SIZE, (int64_t)1 << (i * 5));
	s->host_port = i == 9 ? 0 : (uint16_t)(80 + i * 7001);
	s->trace_flags = (uint8_t)(i % 2);
	s->status = (enum span_status)(i % 3);
	if (i == 10)
		s->host_addr[0] = s->peer_addr[0] = '\0';
	return s;
}

static void test_golden_bytes(void **state)
{
	struct span *s[GOLDEN_N];
	const struct span *p[GOLDEN_N];
	struct otlp_buf out = {0};
	struct otlp_encode_stats st = {0};
	char *hex, *want;
	int rc;

	(void)state;
	for (size_t i = 0; i < GOLDEN_N; i++)
		p[i] = s[i] = golden_span(i);
	assert_int_equal(otlp_encode_traces_pb(p, GOLDEN_N, &host, &scope, &out, &st), 0);
	hex = malloc(out.len * 2 + 1);
	assert_non_null(hex);
	for (size_t i = 0; i < out.len; i++)
		snprintf(hex + 2 * i, 3, "%02x", out.data[i]);
	if (getenv("OBI_GOLDEN_WRITE")) {
		FILE *f = fopen(GOLDEN_PATH, "w");

		assert_non_null(f);
		fprintf(f, "%s\n", hex);
		fclose(f);
	}
	want = otlp_t_run("cat " GOLDEN_PATH, &rc);
	assert_int_equal(rc, 0);
	want[strcspn(want, "\n")] = '\0';
	assert_string_equal(hex, want);
	free(want);
	free(hex);
	otlp_buf_free(&out);
	for (size_t i = 0; i < GOLDEN_N; i++)
		span_t_free(s[i]);
}

/* Fills s with n bytes of printable text starting with a marker of span i. */
static void rand_text(char *s, size_t n, size_t i, unsigned *seed)
{
	size_t m = (size_t)snprintf(s, n + 1, "<%zu>", i);

	for (size_t k = m < n ? m : n; k < n; k++)
		s[k] = (char)('a' + rand_r(seed) % 26);
	s[n] = '\0';
}

/*
 * Random string lengths on both sides of every varint width the encoder computes (KeyValue,
 * Span, ScopeSpans and ResourceSpans lengths from 1 to 4 bytes: one group is over 2 MiB): the
 * whole request must still parse with protoc, every span once.
 */
static void test_random_lengths_parse(void **state)
{
	enum { N = 2600 };
	struct span **s = calloc(N, sizeof(*s));
	const struct span **p = calloc(N, sizeof(*p));
	unsigned seed = 7;
	struct otlp_buf out = {0};
	struct otlp_encode_stats st = {0};
	char cmd[1024], *path, *txt, mark[32], buf[SPAN_STR_MAX * 2 + 64];
	int rc;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		p[i] = s[i] = otlp_t_span(i % 7 ? &svc_a : &svc_b, (uint8_t)i,
					  i % 3 ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT);
		rand_text(buf, 512 + (size_t)rand_r(&seed) % (SPAN_STR_MAX - 513), i, &seed);
		span_t_set(s[i], SPAN_A_URL_PATH, buf);
		rand_text(buf, (size_t)rand_r(&seed) % 255, i, &seed);
		span_t_set(s[i], SPAN_A_USER_AGENT, buf);
		rand_text(buf, (size_t)rand_r(&seed) % 300, i, &seed);
		span_t_set(s[i], SPAN_A_NAME, buf);
		if (i % 3 == 0) {
			/* up to url.full's bound (the fixed field held 2111 bytes too) */
			rand_text(buf, (size_t)rand_r(&seed) % span_attr_defs[SPAN_A_URL_FULL].max,
				  i, &seed);
			span_t_set(s[i], SPAN_A_URL_FULL, buf);
		}
		s[i]->start_ns = i % 11 ? s[i]->start_ns : 0;
		/* up to 2^70, masked as span_build_http stores sizes: OTLP integers are signed */
		span_set_int(s[i], SPAN_A_HTTP_REQ_BODY_SIZE,
			     (int64_t)(((uint64_t)rand_r(&seed) << (i % 40)) & INT64_MAX));
	}
	assert_int_equal(otlp_encode_traces_pb(p, N, &host, &scope, &out, &st), 0);
	assert_true(out.len > (3u << 20)); /* svc_a's group alone > 2 MiB: a 4-byte length */
	path = otlp_t_write_tmp(out.data, out.len);
	snprintf(
	    cmd, sizeof(cmd),
	    "protoc -I %s --decode=opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest"
	    " opentelemetry/proto/collector/trace/v1/trace_service.proto < %s",
	    OTLP_T_OFFICIAL_PROTOS, path);
	txt = otlp_t_run(cmd, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(otlp_t_count(txt, "  spans {"), N);
	for (size_t i = 0; i < N; i += 97) {
		snprintf(mark, sizeof(mark), "string_value: \"<%zu>", i);
		assert_true(otlp_t_count(txt, mark) >= 1);
	}
	free(txt);
	unlink(path);
	free(path);
	otlp_buf_free(&out);
	for (size_t i = 0; i < N; i++)
		span_t_free(s[i]);
	free(s);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_protoc_decodes, batch_setup, batch_teardown),
	    cmocka_unit_test_setup_teardown(test_js_decodes_pb, batch_setup, batch_teardown),
	    cmocka_unit_test_setup_teardown(test_json_matches_pb, batch_setup, batch_teardown),
	    cmocka_unit_test(test_bad_resource_env_discarded_whole),
	    cmocka_unit_test(test_empty_batch),
	    cmocka_unit_test(test_golden_bytes),
	    cmocka_unit_test(test_random_lengths_parse),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
