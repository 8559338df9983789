/* test_http_parse.c: unit tests of the HTTP/1.x head parsers (enricher/http_parse.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

/* Compares a view with a C string. */
static void test_http_parse_view_eq(struct http_view v, const char *want)
{
	size_t n = strlen(want);

	if (v.len != n || (n && memcmp(v.p, want, n) != 0))
		fail_msg("view \"%.*s\" != \"%s\"", (int)v.len, v.p ? v.p : "", want);
}

#define VIEW_EQ(v, s) test_http_parse_view_eq((v), (s))

/* Parses a string literal from an exact-size heap copy, so that ASan sees any over-read. */
static int test_http_parse_req(const char *s, size_t len, struct http_request_head *out,
			       uint8_t **keep)
{
	uint8_t *b = malloc(len ? len : 1);

	assert_non_null(b);
	memcpy(b, s, len);
	*keep = b;
	return http_parse_request(b, len, out);
}

static const char curl_get[] =
    "GET /users/42?verbose=1&x=y HTTP/1.1\r\n"
    "Host: localhost:8080\r\n"
    "User-Agent: curl/8.5.0\r\n"
    "Accept: */*\r\n"
    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
    "\r\n";

static void test_get_full(void **state)
{
	struct http_request_head h;
	uint8_t *b;

	(void)state;
	assert_int_equal(test_http_parse_req(curl_get, strlen(curl_get), &h, &b), 0);
	VIEW_EQ(h.method, "GET");
	VIEW_EQ(h.target, "/users/42?verbose=1&x=y");
	VIEW_EQ(h.path, "/users/42");
	VIEW_EQ(h.query, "verbose=1&x=y");
	VIEW_EQ(h.host, "localhost");
	assert_int_equal(h.host_port, 8080);
	VIEW_EQ(h.user_agent, "curl/8.5.0");
	VIEW_EQ(h.traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
	assert_int_equal(h.content_length, -1);
	assert_int_equal(h.version_minor, 1);
	assert_int_equal(h.header_len, strlen(curl_get));
	assert_false(h.truncated);
	free(b);
}

static void test_post_body(void **state)
{
	static const char req[] = "POST /api/items HTTP/1.0\r\n"
				  "host: example.com\r\n"
				  "CONTENT-LENGTH: 13\r\n"
				  "Content-Type: application/json\r\n"
				  "\r\n"
				  "{\"a\":\"hello\"}";
	struct http_request_head h;
	uint8_t *b;

	(void)state;
	assert_int_equal(test_http_parse_req(req, strlen(req), &h, &b), 0);
	VIEW_EQ(h.method, "POST");
	VIEW_EQ(h.path, "/api/items");
	assert_int_equal(h.query.len, 0);
	VIEW_EQ(h.host, "example.com");
	assert_int_equal(h.host_port, 0);
	assert_int_equal(h.content_length, 13);
	assert_int_equal(h.version_minor, 0);
	assert_int_equal(h.header_len, strlen(req) - 13);
	assert_false(h.truncated);
	free(b);
}

static void test_methods(void **state)
{
	static const char *const ok[] = {"HEAD",     "PURGE",	"M-SEARCH",
					 "PROPFIND", "OPTIONS", "X_CUSTOM.1"};
	static const char *const bad[] = {"G(T", "GE\tT", "", "ABCDEFGHIJKLMNOPQRSTU" /* 21 */};
	char buf[128];
	struct http_request_head h;
	uint8_t *b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(buf, sizeof(buf), "%s /x HTTP/1.1\r\n\r\n", ok[i]);
		assert_int_equal(test_http_parse_req(buf, strlen(buf), &h, &b), 0);
		VIEW_EQ(h.method, ok[i]);
		VIEW_EQ(h.path, "/x");
		free(b);
	}
	/* 20 characters is the limit. */
	snprintf(buf, sizeof(buf), "ABCDEFGHIJKLMNOPQRST /x HTTP/1.1\r\n\r\n");
	assert_int_equal(test_http_parse_req(buf, strlen(buf), &h, &b), 0);
	free(b);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s /x HTTP/1.1\r\n\r\n", bad[i]);
		assert_int_equal(test_http_parse_req(buf, strlen(buf), &h, &b), -1);
		free(b);
	}
}

static void test_targets(void **state)
{
	static const struct {
		const char *line, *path, *query;
	} cases[] = {
	    {"GET http://example.com:8080/a/b?c=d HTTP/1.1\r\n\r\n", "/a/b", "c=d"},
	    {"GET http://example.com HTTP/1.1\r\n\r\n", "/", ""},
	    {"GET https://example.com?q=1 HTTP/1.1\r\n\r\n", "/", "q=1"},
	    {"GET /p#frag HTTP/1.1\r\n\r\n", "/p", ""},
	    {"GET /p?q=1#frag HTTP/1.1\r\n\r\n", "/p", "q=1"},
	    {"GET /?a HTTP/1.1\r\n\r\n", "/", "a"},
	    {"GET /p? HTTP/1.1\r\n\r\n", "/p", ""},
	    {"OPTIONS * HTTP/1.1\r\n\r\n", "*", ""},
	    {"CONNECT example.com:443 HTTP/1.1\r\n\r\n", "example.com:443", ""},
	    {"GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", "/caf\xc3\xa9", ""},
	};
	struct http_request_head h;
	uint8_t *b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(test_http_parse_req(cases[i].line, strlen(cases[i].line), &h, &b),
				 0);
		VIEW_EQ(h.path, cases[i].path);
		VIEW_EQ(h.query, cases[i].query);
		free(b);
	}
}

static void test_host_forms(void **state)
{
	static const struct {
		const char *host;
		const char *want;
		uint16_t port;
	} cases[] = {
	    {"Host: example.com", "example.com", 0},
	    {"Host: example.com:8443", "example.com", 8443},
	    {"HOST:example.com:80  ", "example.com", 80},
	    {"Host: [::1]:8080", "[::1]", 8080},
	    {"Host: [2001:db8::1]", "[2001:db8::1]", 0},
	    {"Host: example.com:", "example.com", 0},
	    {"Host: example.com:99999", "example.com:99999", 0},
	    {"Host: example.com:abc", "example.com:abc", 0},
	    {"Host: ", "", 0},
	};
	char buf[256];
	struct http_request_head h;
	uint8_t *b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n%s\r\nHost: second\r\n\r\n",
			 cases[i].host);
		assert_int_equal(test_http_parse_req(buf, strlen(buf), &h, &b), 0);
		VIEW_EQ(h.host, cases[i].want);
		assert_int_equal(h.host_port, cases[i].port);
		free(b);
	}
}

static void test_content_length(void **state)
{
	static const struct {
		const char *hdr;
		int64_t want;
	} cases[] = {
	    {"Content-Length: 0", 0},
	    {"Content-Length: 1048576", 1048576},
	    {"content-length:42", 42},
	    {"Content-Length: -1", -1},
	    {"Content-Length: +5", -1},
	    {"Content-Length: 12a", -1},
	    {"Content-Length: 1 2", -1},
	    {"Content-Length: ", -1},
	    {"Content-Length: 99999999999999999999999", -1},
	    {"Content-Length: 5\r\nContent-Length: 5", 5},
	    {"Content-Length: 5\r\nContent-Length: 6", -1},
	    {"X-Content-Length: 5", -1},
	};
	char buf[256];
	struct http_request_head h;
	uint8_t *b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "PUT /x HTTP/1.1\r\n%s\r\n\r\n", cases[i].hdr);
		assert_int_equal(test_http_parse_req(buf, strlen(buf), &h, &b), 0);
		assert_int_equal(h.content_length, cases[i].want);
		free(b);
	}
}

static void test_lf_only(void **state)
{
	static const char req[] = "GET /lf?x=1 HTTP/1.1\nHost: h:81\nUser-Agent: nc\n\n";
	struct http_request_head h;
	uint8_t *b;

	(void)state;
	assert_int_equal(test_http_parse_req(req, strlen(req), &h, &b), 0);
	VIEW_EQ(h.path, "/lf");
	VIEW_EQ(h.host, "h");
	assert_int_equal(h.host_port, 81);
	VIEW_EQ(h.user_agent, "nc");
	assert_int_equal(h.header_len, strlen(req));
	assert_false(h.truncated);
	free(b);
}

static void test_truncated_prefixes(void **state)
{
	/* Success exactly from "GET /" on: method, SP and one target byte. */
	size_t min_ok = strlen("GET /"), line_end = strlen("GET /users/42?verbose=1&x=y HTTP/1.1");
	size_t n, full = strlen(curl_get);

	(void)state;
	for (n = 0; n <= full; n++) {
		struct http_request_head h;
		uint8_t *b;
		int r = test_http_parse_req(curl_get, n, &h, &b);

		if (n < min_ok) {
			assert_int_equal(r, -1);
		} else {
			assert_int_equal(r, 0);
			VIEW_EQ(h.method, "GET");
			assert_true(h.path.len >= 1 && h.path.p[0] == '/');
			assert_int_equal(h.version_minor, 1);
			assert_int_equal(h.truncated, n != full);
			assert_int_equal(h.header_len, n == full ? full : 0);
			if (n >= line_end)
				VIEW_EQ(h.path, "/users/42");
			/* The Host line only counts once complete. */
			if (n >=
			    strlen(
				"GET /users/42?verbose=1&x=y HTTP/1.1\r\nHost: localhost:8080\r\n"))
				VIEW_EQ(h.host, "localhost");
			else
				assert_int_equal(h.host.len, 0);
		}
		free(b);
	}
}

static void test_truncated_long_url(void **state)
{
	char buf[1024];
	struct http_request_head h;
	uint8_t *b;

	(void)state;
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	assert_int_equal(test_http_parse_req(buf, sizeof(buf), &h, &b), 0);
	assert_true(h.truncated);
	assert_int_equal(h.path.len, sizeof(buf) - 4);
	assert_int_equal(h.version_minor, 1);
	free(b);
}

/* A literal with its exact length, embedded NULs included. */
#define S(lit) lit, sizeof(lit) - 1

static void test_garbage(void **state)
{
	static const struct {
		const char *s;
		size_t len;
	} cases[] = {
	    {S("")},
	    {S("GET")},
	    {S("GET ")},
	    {S("GET  / HTTP/1.1\r\n")},
	    {S("GET /\r\n")},		   /* HTTP/0.9 */
	    {S("GET / HTTP/2.0\r\n\r\n")}, /* not 1.x */
	    {S("GET / HTTP/1.2\r\n\r\n")}, /* unknown minor */
	    {S("GET / HTTP/1.1x\r\n\r\n")},
	    {S("GET / HTTP/1.1\rX\r\n")},
	    {S("GET / FOO/1.1\r\n\r\n")},
	    {S("GET /a\x01 HTTP/1.1\r\n\r\n")}, /* control byte in target */
	    {S("GET /a\x7f HTTP/1.1\r\n\r\n")},
	    {S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")}, /* TLS ClientHello */
	    {S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")},
	    {S("\0\0\0\0GET / HTTP/1.1\r\n\r\n")},
	    {S("GET\0/ HTTP/1.1\r\n\r\n")},
	    {S("HTTP/1.1 200 OK\r\n\r\n")},
	    {S("get\t/ HTTP/1.1\r\n\r\n")},
	};
	struct http_request_head h;
	uint8_t *b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (test_http_parse_req(cases[i].s, cases[i].len, &h, &b) != -1)
			fail_msg("case %zu parsed", i);
		free(b);
	}
	assert_int_equal(http_parse_request(NULL, 0, &h), -1);
}

static void test_binary_headers(void **state)
{
	/* NULs and high bytes in headers are tolerated (sanitized later), malformed lines skipped.
	 */
	static const char req[] = "GET /b HTTP/1.1\r\n"
				  "X-Bin: \x00\xff\xfe\r\n"
				  "no colon line\r\n"
				  ": empty name\r\n"
				  " folded continuation\r\n"
				  "User-Agent: a\x01"
				  "b\r\n"
				  "\r\n";
	struct http_request_head h;
	uint8_t *b;

	(void)state;
	assert_int_equal(test_http_parse_req(req, sizeof(req) - 1, &h, &b), 0);
	assert_int_equal(h.user_agent.len, 3);
	assert_int_equal(h.header_len, sizeof(req) - 1);
	free(b);
}

static int test_http_parse_resp(const char *s, struct http_response_head *out)
{
	size_t len = strlen(s);
	uint8_t *b = malloc(len ? len : 1);
	int r;

	assert_non_null(b);
	memcpy(b, s, len);
	r = http_parse_response(b, len, out);
	free(b);
	return r;
}

static void test_status_lines(void **state)
{
	static const struct {
		const char *s;
		int ret, status;
	} cases[] = {
	    {"HTTP/1.1 200 OK\r\n\r\n", 0, 200},
	    {"HTTP/1.1 404 Not Found\r\n\r\n", 0, 404},
	    {"HTTP/1.0 503 Service Unavailable\r\n\r\n", 0, 503},
	    {"HTTP/1.1 204\r\n\r\n", 0, 204},
	    {"HTTP/1.1 100 Continue\r\n\r\n", 0, 100},
	    {"HTTP/1.1 599 x\r\n\r\n", 0, 599},
	    {"HTTP/1.1 200", 0, 200},
	    {"HTTP/1.1 999 Weird\r\n\r\n", -1, 0},
	    {"HTTP/1.1 099 Weird\r\n\r\n", -1, 0},
	    {"HTTP/1.1 20", -1, 0},
	    {"HTTP/1.1 20x OK\r\n", -1, 0},
	    {"HTTP/1.1 2000 OK\r\n", -1, 0},
	    {"HTTP/2 200\r\n\r\n", -1, 0},
	    {"HTTP/1.1  200 OK\r\n", -1, 0},
	    {"http/1.1 200 OK\r\n", -1, 0},
	    {"", -1, 0},
	    {"HTTP/1.", -1, 0},
	};
	struct http_response_head r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (test_http_parse_resp(cases[i].s, &r) != cases[i].ret)
			fail_msg("case %zu: %s", i, cases[i].s);
		assert_int_equal(r.status, cases[i].status);
	}
}

static void test_response_headers(void **state)
{
	static const char nginx[] = "HTTP/1.1 200 OK\r\n"
				    "Server: nginx/1.24.0\r\n"
				    "Date: Tue, 07 Apr 2026 21:00:48 GMT\r\n"
				    "Content-Type: application/octet-stream\r\n"
				    "Content-Length: 1048576\r\n"
				    "Connection: keep-alive\r\n"
				    "\r\n";
	struct http_response_head r;
	char cut[64];

	(void)state;
	assert_int_equal(test_http_parse_resp(nginx, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.version_minor, 1);
	assert_int_equal(r.content_length, 1048576);
	assert_int_equal(r.header_len, strlen(nginx));

	/* Cut inside the headers: status known, end unknown. */
	snprintf(cut, sizeof(cut), "%.40s", nginx);
	assert_int_equal(test_http_parse_resp(cut, &r), 0);
	assert_int_equal(r.header_len, 0);
	assert_int_equal(r.content_length, -1);

	assert_int_equal(test_http_parse_resp("HTTP/1.1 304 Not Modified\n\n", &r), 0);
	assert_int_equal(r.header_len, 27);
}

static void test_traceparent(void **state)
{
	static const char *const good[] = {
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00 \t",
	};
	static const char *const bad[] = {
	    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
	    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	    "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	    "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
	    "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	    "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
	    "00-gbf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
	    "",
	};
	static const uint8_t want_tid[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
					     0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
	static const uint8_t want_sid[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
	uint8_t tid[16], sid[8], fl;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(tid, 0, sizeof(tid));
		assert_int_equal(http_parse_traceparent(good[i], strlen(good[i]), tid, sid, &fl),
				 0);
		assert_memory_equal(tid, want_tid, 16);
		assert_memory_equal(sid, want_sid, 8);
		assert_int_equal(fl, i == 2 ? 0 : 1);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (http_parse_traceparent(bad[i], strlen(bad[i]), tid, sid, &fl) != -1)
			fail_msg("accepted %s", bad[i]);
	/* Length bounds the read even without a NUL. */
	assert_int_equal(http_parse_traceparent(good[0], 54, tid, sid, &fl), -1);
	assert_int_equal(http_parse_traceparent(NULL, 0, tid, sid, &fl), -1);
}

/* Transfer-Encoding: the last coding decides; the end of a chunked body from its tail. */
static void test_chunked(void **state)
{
	static const struct {
		const char *te;
		bool chunked;
	} cases[] = {
	    {"chunked", true},	      {"Chunked", true},   {"gzip, chunked", true},
	    {"chunked, gzip", false}, {"xchunked", false}, {"identity", false},
	    {"gzip,chunked ", true},  {"chunkedx", false},
	};
	struct http_response_head r;
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = snprintf(buf, sizeof(buf),
				 "HTTP/1.1 200 OK\r\nTransfer-Encoding: %s\r\n\r\n", cases[i].te);

		assert_int_equal(http_parse_response((const uint8_t *)buf, (size_t)n, &r), 0);
		if (r.chunked != cases[i].chunked)
			fail_msg("Transfer-Encoding: %s -> chunked %d", cases[i].te, r.chunked);
	}
	assert_true(http_parse_chunked_end((const uint8_t *)"ab\r\n0\r\n\r\n", 9, false));
	assert_true(http_parse_chunked_end((const uint8_t *)"0\r\n\r\n", 5, true));
	assert_false(http_parse_chunked_end((const uint8_t *)"0\r\n\r\n", 5, false));
	/* A chunk of 0x10 bytes is not the last chunk. */
	assert_false(http_parse_chunked_end((const uint8_t *)"\n10\r\n\r\n", 8, false));
	assert_false(http_parse_chunked_end((const uint8_t *)"ab\r\n", 4, true));
	assert_false(http_parse_chunked_end((const uint8_t *)"x", 0, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_full),
	    cmocka_unit_test(test_post_body),
	    cmocka_unit_test(test_methods),
	    cmocka_unit_test(test_targets),
	    cmocka_unit_test(test_host_forms),
	    cmocka_unit_test(test_content_length),
	    cmocka_unit_test(test_lf_only),
	    cmocka_unit_test(test_truncated_prefixes),
	    cmocka_unit_test(test_truncated_long_url),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_binary_headers),
	    cmocka_unit_test(test_status_lines),
	    cmocka_unit_test(test_response_headers),
	    cmocka_unit_test(test_traceparent),
	    cmocka_unit_test(test_chunked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
