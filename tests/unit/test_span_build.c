/* test_span_build.c: unit tests of kernel HTTP record -> span (enricher/span_build.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "span_build.h"
#include "span_testutil.h"

#define TEST_OFFSET ((int64_t)1775595600000000000) /* 2026-04-07T21:00:00Z minus monotonic 0 */

static const struct span_service test_svc = {
    .name = "users",
    .namespace_ = "shop",
    .instance_id = "host:1234",
    .sdk_language = "go",
    .exe_path = "/usr/bin/users",
    .resource_attrs = "",
    .pid = 1234,
};

/* Captured by curl 8.5 against nginx 1.24 (loopback). */
static const char curl_req[] = "GET /files/big.bin?v=2 HTTP/1.1\r\n"
			       "Host: 127.0.0.1:8080\r\n"
			       "User-Agent: curl/8.5.0\r\n"
			       "Accept: */*\r\n"
			       "\r\n";
static const char nginx_resp[] = "HTTP/1.1 200 OK\r\n"
				 "Server: nginx/1.24.0\r\n"
				 "Date: Tue, 07 Apr 2026 21:00:48 GMT\r\n"
				 "Content-Type: application/octet-stream\r\n"
				 "Content-Length: 1048576\r\n"
				 "Last-Modified: Tue, 07 Apr 2026 20:00:00 GMT\r\n"
				 "Connection: keep-alive\r\n"
				 "ETag: \"69d4f1c0-100000\"\r\n"
				 "Accept-Ranges: bytes\r\n"
				 "\r\n";

static void test_span_build_v4(uint8_t a[16], uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, 16);
	a[10] = 0xff;
	a[11] = 0xff;
	a[12] = b0;
	a[13] = b1;
	a[14] = b2;
	a[15] = b3;
}

/* A record plus its trailing bytes, as the ring delivers them; free() the result. */
struct test_span_build_rec {
	struct obi_rec_http rec;
	uint8_t *data;
	size_t len;
};

static void test_span_build_make(struct test_span_build_rec *r, uint8_t role, const char *req,
				 size_t req_len, const char *resp, size_t resp_len)
{
	size_t i;

	memset(&r->rec, 0, sizeof(r->rec));
	r->rec.hdr.type = OBI_REC_HTTP;
	r->rec.hdr.abi_version = OBI_ABI_VERSION;
	r->rec.hdr.pid = 1234;
	r->rec.role = role;
	r->rec.start_ns = 48479048000ull;
	r->rec.end_ns = r->rec.start_ns + 397234;
	r->rec.resp_start_ns = r->rec.start_ns + 300000;
	r->rec.req_bytes = req_len;
	r->rec.resp_bytes = resp_len;
	r->rec.req_cap = (uint16_t)req_len;
	r->rec.resp_cap = (uint16_t)resp_len;
	r->rec.trace_flags = 1;
	for (i = 0; i < 16; i++)
		r->rec.trace_id[i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < 8; i++)
		r->rec.span_id[i] = (uint8_t)(0x10 + i);
	test_span_build_v4(r->rec.laddr, 127, 0, 0, 1);
	test_span_build_v4(r->rec.raddr, 127, 0, 0, 2);
	r->len = req_len + resp_len;
	/* Exact-size heap copy: ASan flags any read past the captured bytes. */
	r->data = malloc(r->len ? r->len : 1);
	assert_non_null(r->data);
	memcpy(r->data, req, req_len);
	memcpy(r->data + req_len, resp, resp_len);
}

static int test_span_build_run(struct test_span_build_rec *r, struct span *s)
{
	return span_build_http(&r->rec, r->data, r->len, TEST_OFFSET, &test_svc, s);
}

static void test_server_nginx_1mib(void **state)
{
	struct test_span_build_rec r;
	struct span *s = span_t_new();
	size_t i;

	(void)state;
	test_span_build_make(&r, OBI_ROLE_SERVER, curl_req, strlen(curl_req), nginx_resp,
			     strlen(nginx_resp));
	r.rec.resp_bytes = strlen(nginx_resp) + 1048576;
	r.rec.lport = 8080;
	r.rec.rport = 51234;
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);

	assert_int_equal(s->kind, SPAN_KIND_SERVER);
	assert_int_equal(s->status, SPAN_STATUS_UNSET);
	assert_int_equal(s->start_ns, 48479048000ull + (uint64_t)TEST_OFFSET);
	assert_int_equal(s->end_ns, 48479048000ull + 397234 + (uint64_t)TEST_OFFSET);
	for (i = 0; i < 16; i++)
		assert_int_equal(s->trace_id[i], 0xa0 + i);
	for (i = 0; i < 8; i++) {
		assert_int_equal(s->span_id[i], 0x10 + i);
		assert_int_equal(s->parent_span_id[i], 0);
	}
	assert_int_equal(s->trace_flags, 1);
	assert_string_equal(span_str(s, SPAN_A_NAME), "GET");
	assert_string_equal(span_str(s, SPAN_A_HTTP_METHOD), "GET");
	assert_string_equal(span_str(s, SPAN_A_URL_PATH), "/files/big.bin");
	assert_string_equal(span_str(s, SPAN_A_URL_QUERY), "v=2");
	assert_string_equal(span_str(s, SPAN_A_HTTP_ROUTE), "");
	assert_string_equal(span_str(s, SPAN_A_URL_FULL), ""); /* server spans have no url.full */
	assert_false(span_has(s, SPAN_A_HTTP_ROUTE)); /* an empty string is an absent attribute */
	assert_false(span_has(s, SPAN_A_URL_FULL));
	assert_int_equal(s->type, SPAN_TYPE_HTTP);
	assert_string_equal(span_str(s, SPAN_A_HTTP_HOST), "127.0.0.1");
	assert_string_equal(span_str(s, SPAN_A_USER_AGENT), "curl/8.5.0");
	assert_string_equal(span_str(s, SPAN_A_NET_PROTO_VERSION), "1.1");
	assert_int_equal(span_int(s, SPAN_A_HTTP_STATUS_CODE), 200);
	assert_int_equal(s->req_bytes, strlen(curl_req));
	assert_int_equal(s->resp_bytes, strlen(nginx_resp) + 1048576);
	assert_int_equal(span_int(s, SPAN_A_HTTP_REQ_BODY_SIZE), 0);
	assert_int_equal(span_int(s, SPAN_A_HTTP_RESP_BODY_SIZE), 1048576);
	assert_string_equal(s->host_addr, "127.0.0.1");
	assert_int_equal(s->host_port, 8080);
	assert_string_equal(s->peer_addr, "127.0.0.2");
	assert_int_equal(s->peer_port, 51234);
	assert_ptr_equal(s->svc, &test_svc);
	free(r.data);
	span_t_free(s);
}

static void test_resp_head_cut(void **state)
{
	/* Only 256 response bytes are captured: the end is unknown, Content-Length decides. */
	struct test_span_build_rec r;
	struct span *s = span_t_new();
	char big[600];

	(void)state;
	snprintf(big, sizeof(big),
		 "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\nX-Pad: %0300d\r\n\r\n", 0);
	test_span_build_make(&r, OBI_ROLE_SERVER, curl_req, strlen(curl_req), big, 256);
	r.rec.resp_bytes = strlen(big) + 1048576;
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_int_equal(span_int(s, SPAN_A_HTTP_STATUS_CODE), 200);
	assert_int_equal(span_int(s, SPAN_A_HTTP_RESP_BODY_SIZE), 1048576);
	free(r.data);

	/* No Content-Length either (chunked): the whole response counts. */
	snprintf(big, sizeof(big),
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Pad: %0300d\r\n", 0);
	test_span_build_make(&r, OBI_ROLE_SERVER, curl_req, strlen(curl_req), big, 256);
	r.rec.resp_bytes = 5000;
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_int_equal(span_int(s, SPAN_A_HTTP_RESP_BODY_SIZE), 5000);
	free(r.data);
	span_t_free(s);
}

static void test_post_body_sizes(void **state)
{
	static const char req[] = "POST /api/orders HTTP/1.1\r\n"
				  "Host: orders.shop\r\n"
				  "Content-Type: application/json\r\n"
				  "Content-Length: 27\r\n"
				  "\r\n"
				  "{\"item\":42,\"qty\":1,\"x\":\"y\"}";
	static const char resp[] = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}";
	struct test_span_build_rec r;
	struct span *s = span_t_new();
	size_t head = strlen(req) - 27;

	(void)state;
	test_span_build_make(&r, OBI_ROLE_SERVER, req, strlen(req), resp, strlen(resp));
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_int_equal(span_int(s, SPAN_A_HTTP_REQ_BODY_SIZE), 27);
	assert_int_equal(span_int(s, SPAN_A_HTTP_RESP_BODY_SIZE), 2);
	assert_int_equal(span_int(s, SPAN_A_HTTP_STATUS_CODE), 201);
	assert_int_equal(s->status, SPAN_STATUS_UNSET);
	free(r.data);

	/* Head longer than the capture: Content-Length is used for the request body. */
	test_span_build_make(&r, OBI_ROLE_SERVER, req, head - 1, resp, strlen(resp));
	r.rec.req_bytes = strlen(req);
	r.rec.flags = OBI_HTTP_F_REQ_TRUNC;
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_int_equal(span_int(s, SPAN_A_HTTP_REQ_BODY_SIZE), 27);
	assert_string_equal(span_str(s, SPAN_A_HTTP_HOST), "orders.shop");
	free(r.data);

	/* Cut before Content-Length: unknown, 0. */
	test_span_build_make(&r, OBI_ROLE_SERVER, req, 30, resp, strlen(resp));
	r.rec.req_bytes = strlen(req);
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_int_equal(span_int(s, SPAN_A_HTTP_REQ_BODY_SIZE), 0);
	assert_string_equal(span_str(s, SPAN_A_URL_PATH), "/api/orders");
	free(r.data);
	span_t_free(s);
}

static void test_status_mapping(void **state)
{
	static const struct {
		const char *resp;
		uint8_t role;
		int code;
		enum span_status st;
	} cases[] = {
	    {"HTTP/1.1 200 OK\r\n\r\n", OBI_ROLE_SERVER, 200, SPAN_STATUS_UNSET},
	    {"HTTP/1.1 200 OK\r\n\r\n", OBI_ROLE_CLIENT, 200, SPAN_STATUS_UNSET},
	    {"HTTP/1.1 302 Found\r\n\r\n", OBI_ROLE_CLIENT, 302, SPAN_STATUS_UNSET},
	    {"HTTP/1.1 404 Not Found\r\n\r\n", OBI_ROLE_SERVER, 404, SPAN_STATUS_UNSET},
	    {"HTTP/1.1 404 Not Found\r\n\r\n", OBI_ROLE_CLIENT, 404, SPAN_STATUS_ERROR},
	    {"HTTP/1.1 499 x\r\n\r\n", OBI_ROLE_SERVER, 499, SPAN_STATUS_UNSET},
	    {"HTTP/1.1 503 Service Unavailable\r\n\r\n", OBI_ROLE_SERVER, 503, SPAN_STATUS_ERROR},
	    {"HTTP/1.1 503 Service Unavailable\r\n\r\n", OBI_ROLE_CLIENT, 503, SPAN_STATUS_ERROR},
	    {"", OBI_ROLE_SERVER, 0, SPAN_STATUS_ERROR},
	    {"", OBI_ROLE_CLIENT, 0, SPAN_STATUS_ERROR},
	    {"garbage\r\n", OBI_ROLE_SERVER, 0, SPAN_STATUS_ERROR},
	    {"HTTP/1.1 999 x\r\n\r\n", OBI_ROLE_SERVER, 0, SPAN_STATUS_ERROR},
	};
	struct test_span_build_rec r;
	struct span *s = span_t_new();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_span_build_make(&r, cases[i].role, curl_req, strlen(curl_req), cases[i].resp,
				     strlen(cases[i].resp));
		assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
		if (span_int(s, SPAN_A_HTTP_STATUS_CODE) != cases[i].code ||
		    s->status != cases[i].st)
			fail_msg("case %zu: code %d status %d", i,
				 (int)span_int(s, SPAN_A_HTTP_STATUS_CODE), s->status);
		/* no response (or no valid status): no http.response.status_code at all */
		assert_int_equal(span_has(s, SPAN_A_HTTP_STATUS_CODE), cases[i].code > 0);
		assert_int_equal(s->kind, cases[i].role == OBI_ROLE_CLIENT ? SPAN_KIND_CLIENT
									   : SPAN_KIND_SERVER);
		free(r.data);
	}
	span_t_free(s);
}

static void test_client_url_full(void **state)
{
	static const struct {
		const char *req;
		uint16_t rport;
		int v6;
		const char *url, *host_header;
	} cases[] = {
	    {"GET /users/42?x=1 HTTP/1.1\r\nHost: users.shop:8080\r\n\r\n", 8080, 0,
	     "http://users.shop:8080/users/42?x=1", "users.shop"},
	    {"GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n", 80, 0, "http://example.com/a",
	     "example.com"},
	    {"GET /a HTTP/1.0\r\n\r\n", 80, 0, "http://10.0.0.7/a", ""},
	    {"GET /a?b HTTP/1.0\r\n\r\n", 8080, 0, "http://10.0.0.7:8080/a?b", ""},
	    {"GET /a HTTP/1.0\r\n\r\n", 8080, 1, "http://[2001:db8::7]:8080/a", ""},
	    {"GET /a HTTP/1.1\r\nHost: [2001:db8::7]:9000\r\n\r\n", 9000, 1,
	     "http://[2001:db8::7]:9000/a", "[2001:db8::7]"},
	    {"GET http://proxy.example/x?y=1#f HTTP/1.1\r\nHost: proxy.example\r\n\r\n", 3128, 0,
	     "http://proxy.example/x?y=1", "proxy.example"},
	};
	static const uint8_t v6peer[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					   0,	 0,    0,    0,	   0, 0, 0, 0x05};
	static const uint8_t v6srv[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					  0,	0,    0,    0,	  0, 0, 0, 0x07};
	struct test_span_build_rec r;
	struct span *s = span_t_new();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_span_build_make(&r, OBI_ROLE_CLIENT, cases[i].req, strlen(cases[i].req),
				     "HTTP/1.1 200 OK\r\n\r\n", 19);
		test_span_build_v4(r.rec.laddr, 10, 0, 0, 5);
		test_span_build_v4(r.rec.raddr, 10, 0, 0, 7);
		if (cases[i].v6) {
			memcpy(r.rec.laddr, v6peer, 16);
			memcpy(r.rec.raddr, v6srv, 16);
		}
		r.rec.lport = 40000;
		r.rec.rport = cases[i].rport;
		assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
		assert_int_equal(s->kind, SPAN_KIND_CLIENT);
		assert_string_equal(span_str(s, SPAN_A_URL_FULL), cases[i].url);
		assert_string_equal(span_str(s, SPAN_A_HTTP_HOST), cases[i].host_header);
		/* Client: host = remote (server) side, peer = local side. */
		assert_string_equal(s->host_addr, cases[i].v6 ? "2001:db8::7" : "10.0.0.7");
		assert_int_equal(s->host_port, cases[i].rport);
		assert_string_equal(s->peer_addr, cases[i].v6 ? "2001:db8::5" : "10.0.0.5");
		assert_int_equal(s->peer_port, 40000);
		free(r.data);
	}
	span_t_free(s);
}

static void test_server_v6(void **state)
{
	struct test_span_build_rec r;
	struct span *s = span_t_new();

	(void)state;
	test_span_build_make(&r, OBI_ROLE_SERVER, curl_req, strlen(curl_req),
			     "HTTP/1.0 200 OK\r\n\r\n", 19);
	memset(r.rec.laddr, 0, 16);
	r.rec.laddr[15] = 1; /* ::1 */
	memset(r.rec.raddr, 0, 16);
	r.rec.raddr[0] = 0xfe;
	r.rec.raddr[1] = 0x80;
	r.rec.raddr[15] = 0x2a;
	r.rec.lport = 80;
	r.rec.rport = 33000;
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_string_equal(s->host_addr, "::1");
	assert_string_equal(s->peer_addr, "fe80::2a");
	assert_int_equal(s->host_port, 80);
	assert_int_equal(s->peer_port, 33000);
	free(r.data);
	span_t_free(s);
}

static void test_ids_and_times(void **state)
{
	struct test_span_build_rec r;
	struct span *s = span_t_new();

	(void)state;
	test_span_build_make(&r, OBI_ROLE_SERVER, curl_req, strlen(curl_req),
			     "HTTP/1.1 200 OK\r\n\r\n", 19);
	memset(r.rec.parent_span_id, 0x77, 8);
	r.rec.trace_flags = 0;
	r.rec.end_ns = r.rec.start_ns - 5; /* clock oddity: never a negative duration */
	assert_int_equal(span_build_http(&r.rec, r.data, r.len, -1000, NULL, s), SPAN_BUILD_OK);
	assert_int_equal(s->start_ns, r.rec.start_ns - 1000);
	assert_int_equal(s->end_ns, s->start_ns);
	assert_int_equal(s->parent_span_id[0], 0x77);
	assert_int_equal(s->parent_span_id[7], 0x77);
	assert_int_equal(s->trace_flags, 0);
	assert_null(s->svc);
	free(r.data);
	span_t_free(s);
}

static void test_not_http(void **state)
{
	static const char *const reqs[] = {
	    "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
	    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	    "",
	    "HTTP/1.1 200 OK\r\n\r\n",
	    "*3\r\n$3\r\nSET\r\n",
	};
	struct test_span_build_rec r;
	struct span *s = span_t_new();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		test_span_build_make(&r, OBI_ROLE_SERVER, reqs[i], strlen(reqs[i]), "", 0);
		assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_NOT_HTTP);
		free(r.data);
	}
	/* Bogus caps larger than the data are clamped, never read past it. */
	test_span_build_make(&r, OBI_ROLE_SERVER, "GET / HTTP/1.1\r\n\r\n", 18, "HTTP/1.1 200", 12);
	r.rec.req_cap = 1024;
	r.rec.resp_cap = 256;
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_int_equal(span_int(s, SPAN_A_HTTP_STATUS_CODE), 0);
	/* the body sizes are there even without a response */
	assert_true(span_has(s, SPAN_A_HTTP_REQ_BODY_SIZE));
	assert_true(span_has(s, SPAN_A_HTTP_RESP_BODY_SIZE));
	free(r.data);
	assert_int_equal(span_build_http(&r.rec, NULL, 0, 0, NULL, s), SPAN_BUILD_NOT_HTTP);
	span_t_free(s);
}

static void test_sanitize(void **state)
{
	static const char req[] =
	    "GET /a\xff"
	    "b\xc3\xa9/\xe2\x82\xac/\xc0\xaf/\xed\xa0\x80?q=\x80z HTTP/1.1\r\n"
	    "Host: evil\x1b[31m.com\r\n"
	    "User-Agent: ua\x00\x7f\xc2\x9b"
	    "end\tx\r\n"
	    "\r\n";
	struct test_span_build_rec r;
	struct span *s = span_t_new();

	(void)state;
	test_span_build_make(&r, OBI_ROLE_CLIENT, req, sizeof(req) - 1, "HTTP/1.1 200 OK\r\n\r\n",
			     19);
	r.rec.rport = 80;
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	/* Valid UTF-8 (é, €) is kept; 0xff, overlong C0 AF, surrogate ED A0 80 become '?'. */
	assert_string_equal(span_str(s, SPAN_A_URL_PATH), "/a?b\xc3\xa9/\xe2\x82\xac/\?\?/\?\?\?");
	assert_string_equal(span_str(s, SPAN_A_URL_QUERY), "q=?z");
	assert_string_equal(span_str(s, SPAN_A_HTTP_HOST), "evil?[31m.com");
	/* NUL, DEL, the C1 CSI (C2 9B) and TAB are all replaced. */
	assert_string_equal(span_str(s, SPAN_A_USER_AGENT), "ua????end?x");
	assert_string_equal(span_str(s, SPAN_A_URL_FULL),
			    "http://evil?[31m.com/a?b\xc3\xa9/\xe2\x82\xac/\?\?/\?\?\?\?q=?z");
	free(r.data);
	span_t_free(s);
}

static void test_long_target_truncation(void **state)
{
	/* A 2000-byte path with a multi-byte character straddling the 1023-byte limit. */
	char *req = malloc(2100);
	struct test_span_build_rec r;
	struct span *s = span_t_new();
	size_t n;

	(void)state;
	memcpy(req, "GET /", 5);
	memset(req + 5, 'a', 2000);
	/* Path index k is req[4 + k]: euro signs at path 1018..1020 and 1021..1023. */
	memcpy(req + 1022, "\xe2\x82\xac\xe2\x82\xac", 6);
	test_span_build_make(&r, OBI_ROLE_SERVER, req, 1028, "", 0);
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	n = strlen(span_str(s, SPAN_A_URL_PATH));
	assert_true(n <= SPAN_STR_MAX - 1);
	assert_int_equal(n, 1021); /* the second euro sign did not fit whole */
	assert_memory_equal(span_str(s, SPAN_A_URL_PATH) + 1018, "\xe2\x82\xac", 3);
	free(r.data);
	free(req);
	span_t_free(s);
}

/* "Expect: 100-continue": the interim response is skipped for status and body size. */
static void test_interim_100_continue(void **state)
{
	static const char req[] = "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n"
				  "Expect: 100-continue\r\n\r\n";
	static const char resp[] = "HTTP/1.1 100 Continue\r\n\r\n"
				   "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
	struct test_span_build_rec r;
	struct span s;
	char text[SPAN_TEXT_CAP];

	(void)state;
	span_init(&s, text, sizeof(text));
	test_span_build_make(&r, OBI_ROLE_SERVER, req, strlen(req), resp, strlen(resp));
	r.rec.req_bytes = strlen(req) + 5000;
	assert_int_equal(test_span_build_run(&r, &s), SPAN_BUILD_OK);
	assert_int_equal(span_int(&s, SPAN_A_HTTP_STATUS_CODE), 201);
	assert_int_equal(span_int(&s, SPAN_A_HTTP_REQ_BODY_SIZE), 5000);
	assert_int_equal(span_int(&s, SPAN_A_HTTP_RESP_BODY_SIZE), 2);
	free(r.data);
}

/* Dotted-quad formatting at every digit-count boundary, compared with inet_ntop. */
static void test_ipv4_octets(void **state)
{
	static const uint8_t octets[] = {0, 1, 9, 10, 42, 99, 100, 199, 200, 255};
	struct test_span_build_rec r;
	struct span s;
	char text[SPAN_TEXT_CAP], want[INET_ADDRSTRLEN];

	(void)state;
	span_init(&s, text, sizeof(text));
	for (size_t i = 0; i < sizeof(octets); i++) {
		uint8_t v4[4] = {octets[i], octets[(i + 3) % sizeof(octets)],
				 octets[(i + 5) % sizeof(octets)],
				 octets[(i + 7) % sizeof(octets)]};

		test_span_build_make(&r, OBI_ROLE_SERVER, curl_req, strlen(curl_req), nginx_resp,
				     strlen(nginx_resp));
		test_span_build_v4(r.rec.laddr, v4[0], v4[1], v4[2], v4[3]);
		assert_int_equal(test_span_build_run(&r, &s), SPAN_BUILD_OK);
		assert_non_null(inet_ntop(AF_INET, v4, want, sizeof(want)));
		assert_string_equal(s.host_addr, want);
		free(r.data);
	}
}

/* A 750-byte head like real servers send (cookies, CSP, caching). */
static size_t test_long_head(char *buf, size_t sz, const char *status, const char *framing)
{
	size_t n = (size_t)snprintf(buf, sz, "HTTP/1.1 %s\r\n%s", status, framing);

	for (int i = 0; i < 11; i++)
		n += (size_t)snprintf(buf + n, sz - n, "X-Pad-%d: %056d\r\n", i, 0);
	n += (size_t)snprintf(buf + n, sz - n, "\r\n");
	return n;
}

static const char get_req[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
static const char head_req[] = "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n";

/* Body sizes are wire minus head, whatever the head's length; no-body responses are 0. */
static void test_long_head_sizes(void **state)
{
	static const struct {
		const char *req, *status, *framing;
		uint64_t body;
	} cases[] = {
	    {get_req, "200 OK", "Transfer-Encoding: chunked\r\n", 38},
	    {head_req, "200 OK", "Content-Length: 5000\r\n", 0},
	    {get_req, "304 Not Modified", "", 0},
	    {get_req, "204 No Content", "", 0},
	    {get_req, "200 OK", "Content-Length: 5000\r\n", 5000},
	};
	struct test_span_build_rec r;
	struct span *s = span_t_new();
	char head[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t hl = test_long_head(head, sizeof(head), cases[i].status, cases[i].framing);

		assert_true(hl > 700);
		test_span_build_make(&r, OBI_ROLE_SERVER, cases[i].req, strlen(cases[i].req), head,
				     hl);
		r.rec.resp_bytes = hl + cases[i].body;
		assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
		assert_int_equal(span_int(s, SPAN_A_HTTP_RESP_BODY_SIZE), cases[i].body);
		free(r.data);
		/* A head cut by the capture: no-body responses still say 0, not Content-Length. */
		test_span_build_make(&r, OBI_ROLE_SERVER, cases[i].req, strlen(cases[i].req), head,
				     200);
		r.rec.resp_bytes = hl + cases[i].body;
		assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
		if (cases[i].body == 0 || strstr(cases[i].framing, "Length"))
			assert_int_equal(span_int(s, SPAN_A_HTTP_RESP_BODY_SIZE), cases[i].body);
		free(r.data);
	}
	span_t_free(s);
}

/* When a quiet response is over by its framing, and when it is not. */
static void test_response_complete(void **state)
{
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "5\r\nhello\r\n0\r\n\r\n";
	static const char cl[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
	static const char close_framed[] = "HTTP/1.0 200 OK\r\n\r\nabc";
	struct test_span_build_rec r;
	size_t n;

	(void)state;
	/* Whole chunked response captured; then cut before the last chunk. */
	test_span_build_make(&r, OBI_ROLE_SERVER, get_req, strlen(get_req), chunked,
			     strlen(chunked));
	assert_true(span_build_response_complete(&r.rec, r.data, r.len));
	free(r.data);
	n = strlen(chunked) - 5;
	test_span_build_make(&r, OBI_ROLE_SERVER, get_req, strlen(get_req), chunked, n);
	assert_false(span_build_response_complete(&r.rec, r.data, r.len));
	/* Longer than its capture: the kernel's tail decides. */
	r.rec.resp_bytes = 5000;
	r.rec.flags |= OBI_HTTP_F_TAIL;
	memcpy(r.rec.resp_tail, "a\r\n0\r\n\r\n", 8);
	assert_true(span_build_response_complete(&r.rec, r.data, r.len));
	memcpy(r.rec.resp_tail, "tail-xyz", 8);
	assert_false(span_build_response_complete(&r.rec, r.data, r.len));
	free(r.data);
	/* Content-Length: reached or not. */
	test_span_build_make(&r, OBI_ROLE_SERVER, get_req, strlen(get_req), cl, strlen(cl));
	assert_true(span_build_response_complete(&r.rec, r.data, r.len));
	r.rec.resp_bytes -= 1;
	assert_false(span_build_response_complete(&r.rec, r.data, r.len));
	free(r.data);
	/* HEAD: complete at its head whatever Content-Length says. */
	test_span_build_make(&r, OBI_ROLE_SERVER, head_req, strlen(head_req), cl, strlen(cl) - 10);
	assert_true(span_build_response_complete(&r.rec, r.data, r.len));
	free(r.data);
	/* Framed by the close: never complete before it. */
	test_span_build_make(&r, OBI_ROLE_SERVER, get_req, strlen(get_req), close_framed,
			     strlen(close_framed));
	assert_false(span_build_response_complete(&r.rec, r.data, r.len));
	free(r.data);
	/* Head beyond the capture: unknown framing, reported as it is. */
	test_span_build_make(&r, OBI_ROLE_SERVER, get_req, strlen(get_req), cl, 20);
	r.rec.resp_bytes = 5000;
	assert_true(span_build_response_complete(&r.rec, r.data, r.len));
	free(r.data);
}

/* The CUT flag becomes the span's obi.http.response.cut. */
static void test_cut_flag(void **state)
{
	static const char cl[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
	struct test_span_build_rec r;
	struct span *s = span_t_new();

	(void)state;
	test_span_build_make(&r, OBI_ROLE_SERVER, get_req, strlen(get_req), cl, strlen(cl));
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_false(span_int(s, SPAN_A_HTTP_RESP_CUT));
	assert_false(span_has(s, SPAN_A_HTTP_RESP_CUT)); /* only a cut response has it */
	r.rec.flags |= OBI_HTTP_F_CUT;
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_true(span_int(s, SPAN_A_HTTP_RESP_CUT));
	free(r.data);
	span_t_free(s);
}

/* TP_HEAD: the kernel left the incoming traceparent to the enricher (server records only). */
static void test_tp_head(void **state)
{
	static const char tp_req[] = "GET /t HTTP/1.1\r\nHost: a\r\n"
				     "TraceParent: 00-4bf92f3577b34da6a3ce929d0e0e4736-"
				     "00f067aa0ba902b7-00\r\n\r\n";
	static const uint8_t tid[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
					0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
	static const uint8_t pid[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
	static const uint8_t zero[8];
	struct test_span_build_rec r;
	struct span *s = span_t_new();

	(void)state;
	test_span_build_make(&r, OBI_ROLE_SERVER, tp_req, strlen(tp_req), "HTTP/1.1 200 OK\r\n\r\n",
			     19);
	/* Without the flag the kernel's ids stand (it resolved, or tracking is off). */
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_int_equal(s->trace_id[0], 0xa0);
	assert_memory_equal(s->parent_span_id, zero, 8);
	r.rec.flags |= OBI_HTTP_F_TP_HEAD;
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_memory_equal(s->trace_id, tid, 16);
	assert_memory_equal(s->parent_span_id, pid, 8);
	assert_int_equal(s->trace_flags, 0);
	assert_int_equal(s->span_id[0], 0x10); /* the span id stays the kernel's */
	/* A client record's head carries its own outgoing traceparent: not its parent. */
	r.rec.role = OBI_ROLE_CLIENT;
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_int_equal(s->trace_id[0], 0xa0);
	free(r.data);
	/* An invalid value (all-zero trace id) is not taken. */
	test_span_build_make(&r, OBI_ROLE_SERVER, tp_req, strlen(tp_req), "HTTP/1.1 200 OK\r\n\r\n",
			     19);
	memset(r.data + strlen("GET /t HTTP/1.1\r\nHost: a\r\nTraceParent: 00-"), '0', 32);
	r.rec.flags |= OBI_HTTP_F_TP_HEAD;
	assert_int_equal(test_span_build_run(&r, s), SPAN_BUILD_OK);
	assert_int_equal(s->trace_id[0], 0xa0);
	assert_memory_equal(s->parent_span_id, zero, 8);
	free(r.data);
	span_t_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_server_nginx_1mib),
	    cmocka_unit_test(test_resp_head_cut),
	    cmocka_unit_test(test_ipv4_octets),
	    cmocka_unit_test(test_interim_100_continue),
	    cmocka_unit_test(test_post_body_sizes),
	    cmocka_unit_test(test_status_mapping),
	    cmocka_unit_test(test_client_url_full),
	    cmocka_unit_test(test_server_v6),
	    cmocka_unit_test(test_ids_and_times),
	    cmocka_unit_test(test_not_http),
	    cmocka_unit_test(test_long_head_sizes),
	    cmocka_unit_test(test_response_complete),
	    cmocka_unit_test(test_cut_flag),
	    cmocka_unit_test(test_tp_head),
	    cmocka_unit_test(test_sanitize),
	    cmocka_unit_test(test_long_target_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
