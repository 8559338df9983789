/* test_printer.c: unit tests of the trace printer (enricher/printer.c): text, JSON, counter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printer.h"
#include "span_testutil.h"

#define TEST_START_NS 1775595648479048000ull /* 2026-04-07 21:00:48.479048 UTC */

static const struct span_service test_svc = {
    .name = "name",
    .namespace_ = "ns",
    .instance_id = "host-1:4242",
    .sdk_language = "generic",
    .exe_path = "/usr/sbin/nginx",
    .resource_attrs = "",
    .pid = 4242,
};

static const uint8_t test_tid[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
				     0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
static const uint8_t test_sid[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};

static struct span *test_printer_span(void)
{
	struct span *s = span_t_new();

	s->type = SPAN_TYPE_HTTP;
	s->kind = SPAN_KIND_SERVER;
	s->status = SPAN_STATUS_UNSET;
	s->start_ns = TEST_START_NS;
	s->end_ns = TEST_START_NS + 397234;
	memcpy(s->trace_id, test_tid, 16);
	memcpy(s->span_id, test_sid, 8);
	s->trace_flags = 1;
	span_t_set(s, SPAN_A_NAME, "GET");
	span_t_set(s, SPAN_A_HTTP_METHOD, "GET");
	span_t_set(s, SPAN_A_URL_PATH, "/users/42");
	span_t_set(s, SPAN_A_URL_QUERY, "verbose=1");
	span_t_set(s, SPAN_A_HTTP_HOST, "localhost");
	span_t_set(s, SPAN_A_USER_AGENT, "curl/8.5.0");
	span_t_status(s, 200);
	span_set_int(s, SPAN_A_HTTP_REQ_BODY_SIZE, 0);
	span_set_int(s, SPAN_A_HTTP_RESP_BODY_SIZE, 512);
	s->req_bytes = 78;
	s->resp_bytes = 512 + 150;
	span_t_set(s, SPAN_A_NET_PROTO_VERSION, "1.1");
	strcpy(s->peer_addr, "127.0.0.1");
	s->peer_port = 51234;
	strcpy(s->host_addr, "127.0.0.1");
	s->host_port = 8080;
	s->svc = &test_svc;
	return s;
}

static void test_text_line(void **state)
{
	static const char want[] =
	    "2026-04-07 21:00:48.479048 (397.234\xc2\xb5s[397.234\xc2\xb5s]) HTTP 200 GET "
	    "/users/42 "
	    "[127.0.0.1 as 127.0.0.1:51234]->[127.0.0.1 as 127.0.0.1:8080] contentLen:0B "
	    "responseLen:512B svc=[ns/name generic] "
	    "traceparent=[00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7[0000000000000000]-"
	    "01]";
	struct span *s = test_printer_span();
	char buf[1024];

	(void)state;
	assert_int_equal(printer_format_text(s, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
	span_t_free(s);
}

static void test_text_client_variants(void **state)
{
	static const char want[] =
	    "2026-04-07 21:00:48.479048 (1.2ms[1.2ms]) HTTPClient 503 POST /api "
	    "[10.0.0.5 as 10.0.0.5:40000]->[2001:db8::7 as 2001:db8::7:443] contentLen:27B "
	    "responseLen:0B svc=[name go] "
	    "traceparent=[00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7[0102030405060708]-"
	    "00]";
	static const struct span_service nsless = {
	    .name = "name", .namespace_ = "", .sdk_language = "go"};
	static const uint8_t parent[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct span *s = test_printer_span();
	char buf[1024], small[40];

	(void)state;
	s->kind = SPAN_KIND_CLIENT;
	span_t_status(s, 503);
	s->end_ns = s->start_ns + 1200000;
	span_t_set(s, SPAN_A_HTTP_METHOD, "POST");
	span_t_set(s, SPAN_A_URL_PATH, "/api");
	strcpy(s->peer_addr, "10.0.0.5");
	s->peer_port = 40000;
	strcpy(s->host_addr, "2001:db8::7");
	s->host_port = 443;
	span_set_int(s, SPAN_A_HTTP_REQ_BODY_SIZE, 27);
	span_set_int(s, SPAN_A_HTTP_RESP_BODY_SIZE, 0);
	s->trace_flags = 0;
	memcpy(s->parent_span_id, parent, 8);
	s->svc = &nsless;
	assert_int_equal(printer_format_text(s, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
	/* Too small: -1, still a NUL-terminated prefix. */
	assert_int_equal(printer_format_text(s, small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, want, sizeof(small) - 1);
	span_t_free(s);
}

static void test_go_durations(void **state)
{
	static const struct {
		uint64_t ns;
		const char *want;
	} cases[] = {
	    {0, "0s"},
	    {1, "1ns"},
	    {850, "850ns"},
	    {999, "999ns"},
	    {1000, "1\xc2\xb5s"},
	    {1500, "1.5\xc2\xb5s"},
	    {397234, "397.234\xc2\xb5s"},
	    {1000000, "1ms"},
	    {1200000, "1.2ms"},
	    {1234567, "1.234567ms"},
	    {999999999, "999.999999ms"},
	    {1000000000, "1s"},
	    {2500000000ull, "2.5s"},
	    {59999999999ull, "59.999999999s"},
	    {60000000000ull, "1m0s"},
	    {61500000000ull, "1m1.5s"},
	    {3600000000000ull, "1h0m0s"},
	    {3723000000001ull, "1h2m3.000000001s"},
	};
	struct span *s = test_printer_span();
	char buf[1024], want[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s->end_ns = s->start_ns + cases[i].ns;
		assert_true(printer_format_text(s, buf, sizeof(buf)) > 0);
		snprintf(want, sizeof(want), " (%s[%s]) HTTP ", cases[i].want, cases[i].want);
		if (!strstr(buf, want))
			fail_msg("%llu ns: want \"%s\" in %s", (unsigned long long)cases[i].ns,
				 want, buf);
	}
	/* end before start (never built so, but the printer must not underflow) */
	s->end_ns = s->start_ns - 1;
	assert_true(printer_format_text(s, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, " (0s[0s]) "));
	span_t_free(s);
}

/* Runs one printer mode over the span, returns what it wrote (free()). Not inlined: GCC's
 * -Wdangling-pointer misreads open_memstream's pointer once this is inlined into callers. */
__attribute__((noinline)) static char *test_printer_capture(enum config_printer mode,
							    const struct span *s, int spans)
{
	struct printer p;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int i;

	assert_non_null(f);
	printer_init(&p, mode, f);
	for (i = 0; i < spans; i++)
		printer_span(&p, s);
	printer_batch_end(&p);
	fclose(f);
	return out;
}

/* The JSON printer's one line for the span, parsed (cJSON_Delete()); fails if it does not parse. */
static cJSON *test_printer_json(const struct span *s)
{
	char *out = test_printer_capture(CONFIG_PRINTER_JSON, s, 1);
	cJSON *root = cJSON_Parse(out);

	free(out);
	assert_non_null(root);
	return root;
}

static const cJSON *test_printer_get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		fail_msg("missing key %s", key);
	return v;
}

static void test_printer_str(const cJSON *o, const char *key, const char *want)
{
	const cJSON *v = test_printer_get(o, key);

	assert_true(cJSON_IsString(v));
	assert_string_equal(v->valuestring, want);
}

static void test_printer_num(const cJSON *o, const char *key, double want)
{
	const cJSON *v = test_printer_get(o, key);

	assert_true(cJSON_IsNumber(v));
	if (v->valuedouble != want)
		fail_msg("%s: %.17g != %.17g", key, v->valuedouble, want);
}

static void test_printer_check_json(const char *text)
{
	cJSON *root = cJSON_Parse(text);
	const cJSON *svc, *a;

	assert_non_null(root);
	test_printer_str(root, "type", "HTTP");
	test_printer_str(root, "kind", "SERVER");
	test_printer_str(root, "name", "GET");
	test_printer_str(root, "start", "2026-04-07T21:00:48.479048Z");
	test_printer_num(root, "durationUs", 397.234);
	test_printer_str(root, "traceId", "4bf92f3577b34da6a3ce929d0e0e4736");
	test_printer_str(root, "spanId", "00f067aa0ba902b7");
	test_printer_str(root, "parentSpanId", "");
	test_printer_str(root, "traceFlags", "01");
	test_printer_str(root, "status", "UNSET");
	assert_true(cJSON_IsNumber(test_printer_get(root, "startUnixNano")));
	assert_true(cJSON_IsNumber(test_printer_get(root, "endUnixNano")));

	svc = test_printer_get(root, "service");
	test_printer_str(svc, "name", "name");
	test_printer_str(svc, "namespace", "ns");
	test_printer_str(svc, "instanceId", "host-1:4242");
	test_printer_num(svc, "pid", 4242);
	test_printer_str(svc, "sdkLanguage", "generic");

	/* No resource attributes: no "resource" object (absent, not an empty one). */
	assert_null(cJSON_GetObjectItemCaseSensitive(root, "resource"));

	a = test_printer_get(root, "attributes");
	test_printer_str(a, "http.request.method", "GET");
	test_printer_str(a, "url.path", "/users/42");
	test_printer_str(a, "url.query", "verbose=1");
	assert_null(cJSON_GetObjectItemCaseSensitive(a, "url.full"));
	test_printer_num(a, "http.response.status_code", 200);
	test_printer_str(a, "server.address", "127.0.0.1");
	test_printer_num(a, "server.port", 8080);
	test_printer_str(a, "client.address", "127.0.0.1");
	test_printer_num(a, "http.request.body.size", 0);
	test_printer_num(a, "http.response.body.size", 512);
	test_printer_str(a, "network.protocol.version", "1.1");
	test_printer_str(a, "user_agent.original", "curl/8.5.0");
	cJSON_Delete(root);
}

static void test_json(void **state)
{
	struct span *s = test_printer_span();
	char *out = test_printer_capture(CONFIG_PRINTER_JSON, s, 2);
	char *nl;

	(void)state;
	/* One object per line; exact 64-bit integers (a double would print 1.775595648479048e+18).
	 */
	nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_non_null(strchr(nl + 1, '\n'));
	assert_null(strchr(strchr(nl + 1, '\n') + 1, '\n'));
	*nl = '\0';
	assert_non_null(strstr(out, "\"startUnixNano\":1775595648479048000,"));
	assert_non_null(strstr(out, "\"endUnixNano\":1775595648479445234,"));
	test_printer_check_json(out);
	free(out);
	span_t_free(s);
}

/* An HTTP span with an empty path ("GET ?x HTTP/1.1") still shows url.path, as "". */
static void test_json_empty_path(void **state)
{
	struct span *s = test_printer_span();
	cJSON *root;

	(void)state;
	span_unset(s, SPAN_A_URL_PATH);
	root = test_printer_json(s);
	test_printer_str(test_printer_get(root, "attributes"), "url.path", "");
	cJSON_Delete(root);
	span_t_free(s);
}

static void test_json_indent(void **state)
{
	struct span *s = test_printer_span();
	char *out = test_printer_capture(CONFIG_PRINTER_JSON_INDENT, s, 1);

	(void)state;
	assert_non_null(strstr(out, "\n\t\"kind\":\t\"SERVER\""));
	assert_non_null(strstr(out, "1775595648479048000"));
	test_printer_check_json(out);
	free(out);
	span_t_free(s);
}

static void test_json_client_escaping(void **state)
{
	struct span *s = test_printer_span();
	cJSON *root, *a;
	char *out;

	(void)state;
	s->kind = SPAN_KIND_CLIENT;
	s->status = SPAN_STATUS_ERROR;
	span_t_status(s, 0);
	span_unset(s, SPAN_A_URL_QUERY);
	span_unset(s, SPAN_A_USER_AGENT);
	memset(s->parent_span_id, 0xab, 8);
	span_t_set(s, SPAN_A_URL_PATH, "/q\"uo\\te");
	span_t_set(s, SPAN_A_URL_FULL, "http://localhost:8080/q\"uo\\te");
	s->start_ns = UINT64_MAX - 1000;
	s->end_ns = UINT64_MAX;
	out = test_printer_capture(CONFIG_PRINTER_JSON, s, 1);
	assert_non_null(strstr(out, "\"endUnixNano\":18446744073709551615,"));
	root = cJSON_Parse(out);
	assert_non_null(root);
	test_printer_str(root, "type", "HTTPClient");
	test_printer_str(root, "kind", "CLIENT");
	test_printer_str(root, "status", "ERROR");
	test_printer_str(root, "parentSpanId", "abababababababab");
	test_printer_num(root, "durationUs", 1.0);
	a = cJSON_GetObjectItemCaseSensitive(root, "attributes");
	test_printer_str(a, "url.path", "/q\"uo\\te");
	test_printer_str(a, "url.full", "http://localhost:8080/q\"uo\\te");
	assert_null(cJSON_GetObjectItemCaseSensitive(a, "url.query"));
	assert_null(cJSON_GetObjectItemCaseSensitive(a, "http.response.status_code"));
	assert_null(cJSON_GetObjectItemCaseSensitive(a, "client.address"));
	assert_null(cJSON_GetObjectItemCaseSensitive(a, "user_agent.original"));
	cJSON_Delete(root);
	free(out);

	/* No service: empty strings, never a crash. */
	s->svc = NULL;
	root = test_printer_json(s);
	test_printer_str(cJSON_GetObjectItemCaseSensitive(root, "service"), "name", "");
	cJSON_Delete(root);
	span_t_free(s);
}

static void test_text_mode_and_disabled(void **state)
{
	struct span *s = test_printer_span();
	char line[1024], want[2100];
	char *out;

	(void)state;
	assert_true(printer_format_text(s, line, sizeof(line)) > 0);
	snprintf(want, sizeof(want), "%s\n%s\n", line, line);
	out = test_printer_capture(CONFIG_PRINTER_TEXT, s, 2);
	assert_string_equal(out, want);
	free(out);
	out = test_printer_capture(CONFIG_PRINTER_DISABLED, s, 2);
	assert_string_equal(out, "");
	free(out);
	span_t_free(s);
}

static void test_counter(void **state)
{
	struct span *s = test_printer_span();
	struct printer p;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int i;

	(void)state;
	assert_non_null(f);
	printer_init(&p, CONFIG_PRINTER_COUNTER, f);
	for (i = 0; i < 3; i++)
		printer_span(&p, s);
	printer_batch_end(&p);
	assert_string_equal(out, "Processed 3 requests\n");
	for (i = 0; i < 2; i++)
		printer_span(&p, s);
	printer_batch_end(&p);
	assert_string_equal(out, "Processed 3 requests\nProcessed 5 requests\n");
	assert_int_equal(p.count, 5);
	fclose(f);
	free(out);
	span_t_free(s);
}

/* http.route: a JSON attribute and " route=[...]" after OBI's text fields; a span dropped
 * from traces (ignored_patterns, filters) is neither printed nor counted. */
static void test_route_and_drop(void **state)
{
	struct span *s = test_printer_span();
	struct printer p;
	char line[1024], *out = NULL;
	size_t len = 0;
	FILE *f;
	cJSON *o, *a;

	(void)state;
	span_t_set(s, SPAN_A_HTTP_ROUTE, "/users/{id}");
	span_t_set(s, SPAN_A_NAME, "GET /users/{id}");
	assert_true(printer_format_text(s, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, " HTTP 200 GET /users/42 ["));
	assert_string_equal(line + strlen(line) - strlen(" route=[/users/{id}]"),
			    " route=[/users/{id}]");
	o = test_printer_json(s);
	test_printer_str(o, "name", "GET /users/{id}");
	a = cJSON_GetObjectItemCaseSensitive(o, "attributes");
	test_printer_str(a, "http.route", "/users/{id}");
	cJSON_Delete(o);
	s->drop_traces = true;
	f = open_memstream(&out, &len);
	assert_non_null(f);
	printer_init(&p, CONFIG_PRINTER_COUNTER, f);
	printer_span(&p, s);
	s->drop_traces = false;
	s->drop_metrics = true; /* dropped from metrics only: still a trace */
	printer_span(&p, s);
	printer_batch_end(&p);
	assert_string_equal(out, "Processed 1 requests\n");
	fclose(f);
	free(out);
	s->drop_traces = true;
	out = test_printer_capture(CONFIG_PRINTER_JSON, s, 2);
	assert_string_equal(out, "");
	free(out);
	span_t_free(s);
}

/* A k8s-decorated service: its resource attributes (escaped as k8s_decorate writes them) show
 * decoded in "resource"; the text line stays OBI's (svc=[ns/name lang], no k8s fields). */
static void test_json_k8s_resource(void **state)
{
	struct span_service svc = test_svc;
	struct span *s = test_printer_span();
	const cJSON *r;
	cJSON *root;
	char *out;

	(void)state;
	svc.resource_attrs = "k8s.namespace.name=shop,k8s.pod.name=web-5d8f9c7b6-x2x4z,"
			     "k8s.pod.start_time=2026-02-06%2015:28:19%20+0000%20UTC,"
			     "k8s.deployment.name=web,team=a%2Cb%3Dc";
	s->svc = &svc;
	root = test_printer_json(s);
	r = test_printer_get(root, "resource");
	test_printer_str(r, "k8s.namespace.name", "shop");
	test_printer_str(r, "k8s.pod.name", "web-5d8f9c7b6-x2x4z");
	test_printer_str(r, "k8s.pod.start_time", "2026-02-06 15:28:19 +0000 UTC");
	test_printer_str(r, "k8s.deployment.name", "web");
	test_printer_str(r, "team", "a,b=c");
	assert_int_equal(cJSON_GetArraySize(r), 5);
	cJSON_Delete(root);

	/* A malformed list is dropped whole, as the exporter drops it; the span still prints. */
	svc.resource_attrs = "k8s.pod.name=web,bad%zz=1";
	root = test_printer_json(s);
	assert_null(cJSON_GetObjectItemCaseSensitive(root, "resource"));
	test_printer_str(test_printer_get(root, "attributes"), "url.path", "/users/42");
	cJSON_Delete(root);

	svc.resource_attrs = "k8s.pod.name=web";
	out = test_printer_capture(CONFIG_PRINTER_TEXT, s, 1);
	assert_non_null(strstr(out, " svc=[ns/name generic] "));
	assert_null(strstr(out, "k8s"));
	free(out);
	span_t_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_line),
	    cmocka_unit_test(test_text_client_variants),
	    cmocka_unit_test(test_go_durations),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_empty_path),
	    cmocka_unit_test(test_json_indent),
	    cmocka_unit_test(test_json_client_escaping),
	    cmocka_unit_test(test_json_k8s_resource),
	    cmocka_unit_test(test_text_mode_and_disabled),
	    cmocka_unit_test(test_counter),
	    cmocka_unit_test(test_route_and_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
