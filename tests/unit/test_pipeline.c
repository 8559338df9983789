/* test_pipeline.c: unit tests of the split of pipelined requests (enricher/pipeline.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

static const char *const reqs[] = {
    "GET /a HTTP/1.1\r\nHost: t\r\n\r\n",
    "HEAD /b HTTP/1.1\r\nHost: t\r\n\r\n",
    "POST /c HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyz",
};
static const char resp_a[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static const char resp_b[] = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";
static const char resp_c[] = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "3\r\nabc\r\n0\r\n\r\n";

struct test_pipe {
	struct obi_rec_http rec;
	uint8_t data[2048];
	size_t len;
};

/* The three requests; responses as given (what the capture holds) with their wire total. */
static void test_pipe_make(struct test_pipe *t, const char *const *resps, size_t nresp,
			   uint64_t resp_wire)
{
	size_t n = 0;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < 3; i++) {
		memcpy(t->data + n, reqs[i], strlen(reqs[i]));
		n += strlen(reqs[i]);
	}
	t->rec.req_cap = (uint16_t)n;
	t->rec.req_bytes = n;
	for (size_t i = 0; i < nresp; i++) {
		memcpy(t->data + n, resps[i], strlen(resps[i]));
		n += strlen(resps[i]);
	}
	t->rec.resp_cap = (uint16_t)(n - t->rec.req_cap);
	t->rec.resp_bytes = resp_wire;
	t->len = n;
}

static void test_exact(void **state)
{
	const char *const resps[] = {resp_a, resp_b, resp_c};
	struct pipeline_part p[PIPELINE_MAX_PARTS];
	struct test_pipe t;
	bool approx = true;

	(void)state;
	test_pipe_make(&t, resps, 3, strlen(resp_a) + strlen(resp_b) + strlen(resp_c));
	assert_int_equal(pipeline_split(&t.rec, t.data, t.len, p, &approx), 3);
	assert_false(approx);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(p[i].req_bytes, strlen(reqs[i]));
	assert_int_equal(p[0].resp_bytes, strlen(resp_a));
	assert_int_equal(p[1].resp_bytes, strlen(resp_b)); /* HEAD: no body despite 99 */
	assert_int_equal(p[2].resp_bytes, strlen(resp_c));
	assert_memory_equal(t.data + p[1].resp_off, resp_b, strlen(resp_b));
	assert_int_equal(p[2].resp_len, strlen(resp_c));
}

/* nginx writes head and body as two iovecs: only heads are captured, the split is exact. */
static void test_bodies_not_captured(void **state)
{
	static const char head_a[] = "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n";
	const char *const resps[] = {head_a, head_a, head_a};
	struct pipeline_part p[PIPELINE_MAX_PARTS];
	struct test_pipe t;
	bool approx = true;

	(void)state;
	test_pipe_make(&t, resps, 3, 3 * (strlen(head_a) + 2000));
	/* The HEAD request answered with a body would be wrong HTTP: make it a GET here. */
	memcpy(t.data + strlen(reqs[0]), "GET ", 4);
	memmove(t.data + strlen(reqs[0]) + 3, t.data + strlen(reqs[0]) + 4, t.len);
	t.rec.req_cap--;
	t.rec.req_bytes--;
	t.len--;
	assert_int_equal(pipeline_split(&t.rec, t.data, t.len, p, &approx), 3);
	assert_false(approx);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(p[i].resp_bytes, strlen(head_a) + 2000);
}

/* A response head beyond the capture: each request keeps a part, the split is approximate. */
static void test_approx(void **state)
{
	const char *const resps[] = {resp_a};
	struct pipeline_part p[PIPELINE_MAX_PARTS];
	struct test_pipe t;
	bool approx = false;
	uint64_t wire = strlen(resp_a) + strlen(resp_b) + strlen(resp_c);

	(void)state;
	test_pipe_make(&t, resps, 1, wire);
	assert_int_equal(pipeline_split(&t.rec, t.data, t.len, p, &approx), 3);
	assert_true(approx);
	assert_int_equal(p[0].resp_bytes + p[1].resp_bytes + p[2].resp_bytes, wire);
}

/* One request with a body, and garbage after a head: not pipelining. */
static void test_not_pipelined(void **state)
{
	static const char post[] = "POST /c HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
	static const char junk[] = "GET /a HTTP/1.1\r\n\r\n\x01\x02 not a request";
	struct pipeline_part p[PIPELINE_MAX_PARTS];
	struct obi_rec_http rec = {0};
	bool approx;

	(void)state;
	rec.req_cap = (uint16_t)strlen(post);
	rec.req_bytes = rec.req_cap;
	assert_int_equal(pipeline_split(&rec, (const uint8_t *)post, strlen(post), p, &approx), 1);
	rec.req_cap = (uint16_t)strlen(junk);
	rec.req_bytes = rec.req_cap;
	assert_int_equal(pipeline_split(&rec, (const uint8_t *)junk, strlen(junk), p, &approx), 1);
	/* Capture lengths larger than the data are clamped. */
	rec.req_cap = 1000;
	assert_int_equal(pipeline_split(&rec, (const uint8_t *)junk, strlen(junk), p, &approx), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact),
	    cmocka_unit_test(test_bodies_not_captured),
	    cmocka_unit_test(test_approx),
	    cmocka_unit_test(test_not_pipelined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
