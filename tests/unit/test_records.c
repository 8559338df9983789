/* test_records.c: unit tests of RECORDS batches (enricher/records.c) and the process table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enricher.h"
#include "log.h"

#define TEST_MONO_TO_UNIX 1775595000000000000ll /* 2026-04-07, added to record times */
#define TEST_PID 4242
#define TEST_BATCH_MAX 16384

static const char test_req_a[] = "GET /users/42?verbose=1 HTTP/1.1\r\n"
				 "Host: localhost:8080\r\n"
				 "User-Agent: curl/8.5.0\r\n"
				 "Accept: */*\r\n\r\n";
static const char test_resp_a[] = "HTTP/1.1 200 OK\r\n"
				  "Server: nginx/1.24.0\r\n"
				  "Content-Type: text/html\r\n"
				  "Content-Length: 612\r\n\r\n";
static const char test_req_b[] = "POST /api/v1/orders HTTP/1.1\r\n"
				 "Host: backend:9090\r\n"
				 "Content-Length: 5\r\n\r\nhello";
static const char test_resp_b[] = "HTTP/1.1 503 Service Unavailable\r\n"
				  "Content-Length: 0\r\n\r\n";

struct test_batch {
	uint8_t b[TEST_BATCH_MAX];
	size_t len;
};

struct test_fx {
	struct enricher *e;
	FILE *out;
	char *buf;
	size_t len;
	struct test_batch *batch; /* owned here so that a failed assertion leaks nothing */
};

/* Adds a process through the real wire path: build, frame, validate, decode, put. */
static int test_add_proc(struct enricher *e, uint32_t pid, const char *exe, const char *cmdline,
			 size_t cmdline_len, const char *svc, const char *res)
{
	static uint8_t payload[OBI_WIRE_MAX_MSG], msg[OBI_WIRE_MAX_MSG];
	struct obi_wire_proc f = {.pid = pid, .ns_pid = pid, .ppid = 1, .start_unix_ns = 1};
	struct wire_proc_view v;
	struct wire_msg m;
	ssize_t n;

	n = wire_build_proc(payload, sizeof(payload), &f, exe, cmdline, cmdline_len, NULL, svc,
			    res);
	assert_true(n > 0);
	n = wire_encode(msg, sizeof(msg), OBI_MSG_PROC_ADD, 1, payload, (size_t)n);
	assert_true(n > 0);
	assert_int_equal(wire_validate(msg, (size_t)n, OBI_WIRE_ROLE_PROBE, &m), WIRE_OK);
	assert_int_equal(wire_get_proc(&m, &v), WIRE_OK);
	return proc_table_put(&e->procs, &v, &e->cfg, e->hostname);
}

static int test_setup(void **state)
{
	struct test_fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	log_init("test_records", LOG_LVL_ERROR);
	fx->e = calloc(1, sizeof(*fx->e));
	fx->batch = calloc(1, sizeof(*fx->batch));
	if (!fx->e || !fx->batch)
		return -1;
	config_init_defaults(&fx->e->cfg);
	proc_table_init(&fx->e->procs);
	fx->out = open_memstream(&fx->buf, &fx->len);
	if (!fx->out)
		return -1;
	printer_init(&fx->e->printer, CONFIG_PRINTER_JSON, fx->out);
	fx->e->bad_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000000000ull, 10);
	snprintf(fx->e->hostname, sizeof(fx->e->hostname), "testhost");
	fx->e->mono_to_unix_ns = TEST_MONO_TO_UNIX;
	if (test_add_proc(fx->e, TEST_PID, "/usr/sbin/nginx", "nginx\0-g\0daemon off;", 20, NULL,
			  NULL) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int test_teardown(void **state)
{
	struct test_fx *fx = *state;

	records_shutdown(fx->e);
	proc_table_clear(&fx->e->procs);
	config_free(&fx->e->cfg);
	fclose(fx->out);
	free(fx->buf);
	free(fx->e);
	free(fx->batch);
	free(fx);
	return 0;
}

static void test_v4(uint8_t a[16], uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = b0;
	a[13] = b1;
	a[14] = b2;
	a[15] = b3;
}

/* Appends an HTTP record; returns its offset in the batch. */
static size_t test_add_http(struct test_batch *b, uint32_t pid, uint8_t role, const void *req,
			    size_t req_len, const void *resp, size_t resp_len)
{
	struct obi_rec_http r;
	size_t off = b->len, size = sizeof(r) + req_len + resp_len;

	assert_true(off + size <= sizeof(b->b));
	memset(&r, 0, sizeof(r));
	r.hdr.type = OBI_REC_HTTP;
	r.hdr.abi_version = OBI_ABI_VERSION;
	r.hdr.size = (uint16_t)size;
	r.hdr.pid = pid;
	r.hdr.tid = pid;
	r.hdr.ktime_ns = 2000000;
	r.conn_id = 0x1122334455667788ull;
	r.start_ns = 1000000;
	r.resp_start_ns = 1200000;
	r.end_ns = 1397234;
	r.req_bytes = req_len;
	r.resp_bytes = resp_len;
	r.role = role;
	r.trace_flags = 1;
	for (int i = 0; i < 16; i++)
		r.trace_id[i] = (uint8_t)(0xa0 + i);
	for (int i = 0; i < 8; i++)
		r.span_id[i] = (uint8_t)(0x10 + i + role);
	r.req_cap = (uint16_t)req_len;
	r.resp_cap = (uint16_t)resp_len;
	r.exch_seq = 1;
	if (role == OBI_ROLE_CLIENT) {
		test_v4(r.laddr, 10, 0, 0, 1);
		test_v4(r.raddr, 10, 0, 0, 2);
		r.lport = 40000;
		r.rport = 9090;
	} else {
		test_v4(r.laddr, 127, 0, 0, 1);
		test_v4(r.raddr, 192, 168, 1, 10);
		r.lport = 8080;
		r.rport = 51234;
	}
	memcpy(b->b + off, &r, sizeof(r));
	if (req_len)
		memcpy(b->b + off + sizeof(r), req, req_len);
	if (resp_len)
		memcpy(b->b + off + sizeof(r) + req_len, resp, resp_len);
	b->len += size;
	return off;
}

static size_t test_add_a(struct test_batch *b)
{
	return test_add_http(b, TEST_PID, OBI_ROLE_SERVER, test_req_a, strlen(test_req_a),
			     test_resp_a, strlen(test_resp_a));
}

static size_t test_add_b(struct test_batch *b)
{
	return test_add_http(b, TEST_PID, OBI_ROLE_CLIENT, test_req_b, strlen(test_req_b),
			     test_resp_b, strlen(test_resp_b));
}

/* Sets one field of the record at off (records are not aligned within a batch). */
#define TEST_SET(b, off, type, field, val)                                                         \
	do {                                                                                       \
		type r_;                                                                           \
		memcpy(&r_, (b)->b + (off), sizeof(r_));                                           \
		r_.field = (val);                                                                  \
		memcpy((b)->b + (off), &r_, sizeof(r_));                                           \
	} while (0)
#define TEST_SET_HDR(b, off, field, val) TEST_SET(b, off, struct obi_rec_hdr, field, val)
#define TEST_SET_HTTP(b, off, field, val) TEST_SET(b, off, struct obi_rec_http, field, val)

/* Forgets the output and the counters. */
static void test_reset(struct test_fx *fx)
{
	fclose(fx->out);
	free(fx->buf);
	fx->buf = NULL;
	fx->len = 0;
	fx->out = open_memstream(&fx->buf, &fx->len);
	assert_non_null(fx->out);
	printer_init(&fx->e->printer, CONFIG_PRINTER_JSON, fx->out);
	memset(&fx->e->st, 0, sizeof(fx->e->st));
}

/* Runs the batch; the printed output is in fx->buf. */
static void test_run(struct test_fx *fx, struct test_batch *b)
{
	records_handle_batch(fx->e, b->b, b->len);
	fflush(fx->out);
}

/* Output lines (at most max), each parsed; returns how many lines there were. */
static size_t test_lines(struct test_fx *fx, cJSON **objs, char lines[][4096], size_t max)
{
	size_t n = 0;
	const char *s = fx->buf ? fx->buf : "";

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t l;

		assert_non_null(nl);
		l = (size_t)(nl - s);
		if (n < max) {
			assert_true(l < 4096);
			memcpy(lines[n], s, l);
			lines[n][l] = '\0';
			objs[n] = cJSON_Parse(lines[n]);
			assert_non_null(objs[n]);
		}
		n++;
		s = nl + 1;
	}
	return n;
}

static const char *test_jstr(const cJSON *o, const char *path)
{
	char key[128], *dot;
	const cJSON *it;

	snprintf(key, sizeof(key), "%s", path);
	dot = strchr(key, '/');
	if (dot) {
		*dot = '\0';
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		assert_non_null(o);
		path = path + (dot - key) + 1;
	}
	it = cJSON_GetObjectItemCaseSensitive(o, path);
	if (!it)
		fail_msg("missing key %s", path);
	assert_true(cJSON_IsString(it));
	return it->valuestring;
}

static double test_jnum(const cJSON *o, const char *sub, const char *key)
{
	const cJSON *it;

	if (sub)
		o = cJSON_GetObjectItemCaseSensitive(o, sub);
	assert_non_null(o);
	it = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!it)
		fail_msg("missing key %s", key);
	assert_true(cJSON_IsNumber(it));
	return it->valuedouble;
}

static void test_check_a(const cJSON *o, const char *line)
{
	char want[96];

	assert_string_equal(test_jstr(o, "type"), "HTTP");
	assert_string_equal(test_jstr(o, "kind"), "SERVER");
	assert_string_equal(test_jstr(o, "name"), "GET");
	assert_string_equal(test_jstr(o, "status"), "UNSET");
	assert_string_equal(test_jstr(o, "traceId"), "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
	assert_string_equal(test_jstr(o, "spanId"), "1112131415161718");
	assert_string_equal(test_jstr(o, "parentSpanId"), "");
	assert_string_equal(test_jstr(o, "traceFlags"), "01");
	/* 64-bit nanoseconds are exact raw numbers: compare the text */
	snprintf(want, sizeof(want), "\"startUnixNano\":%lld,\"endUnixNano\":%lld",
		 TEST_MONO_TO_UNIX + 1000000ll, TEST_MONO_TO_UNIX + 1397234ll);
	assert_non_null(strstr(line, want));
	assert_string_equal(test_jstr(o, "service/name"), "nginx");
	assert_string_equal(test_jstr(o, "service/namespace"), "");
	assert_string_equal(test_jstr(o, "service/instanceId"), "testhost:4242");
	assert_string_equal(test_jstr(o, "service/sdkLanguage"), "generic");
	assert_true(test_jnum(o, "service", "pid") == TEST_PID);
	assert_string_equal(test_jstr(o, "attributes/http.request.method"), "GET");
	assert_string_equal(test_jstr(o, "attributes/url.path"), "/users/42");
	assert_string_equal(test_jstr(o, "attributes/url.query"), "verbose=1");
	assert_string_equal(test_jstr(o, "attributes/server.address"), "127.0.0.1");
	assert_string_equal(test_jstr(o, "attributes/client.address"), "192.168.1.10");
	assert_string_equal(test_jstr(o, "attributes/user_agent.original"), "curl/8.5.0");
	assert_string_equal(test_jstr(o, "attributes/network.protocol.version"), "1.1");
	assert_true(test_jnum(o, "attributes", "server.port") == 8080);
	assert_true(test_jnum(o, "attributes", "http.response.status_code") == 200);
	assert_true(test_jnum(o, "attributes", "http.request.body.size") == 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(o, "attributes"), "url.full"));
}

static void test_check_b(const cJSON *o)
{
	assert_string_equal(test_jstr(o, "type"), "HTTPClient");
	assert_string_equal(test_jstr(o, "kind"), "CLIENT");
	assert_string_equal(test_jstr(o, "name"), "POST");
	assert_string_equal(test_jstr(o, "status"), "ERROR");
	assert_string_equal(test_jstr(o, "spanId"), "1213141516171819");
	assert_string_equal(test_jstr(o, "service/name"), "nginx");
	assert_string_equal(test_jstr(o, "service/instanceId"), "testhost:4242");
	assert_string_equal(test_jstr(o, "attributes/http.request.method"), "POST");
	assert_string_equal(test_jstr(o, "attributes/url.path"), "/api/v1/orders");
	assert_string_equal(test_jstr(o, "attributes/url.full"),
			    "http://backend:9090/api/v1/orders");
	assert_string_equal(test_jstr(o, "attributes/server.address"), "10.0.0.2");
	assert_true(test_jnum(o, "attributes", "server.port") == 9090);
	assert_true(test_jnum(o, "attributes", "http.response.status_code") == 503);
	assert_true(test_jnum(o, "attributes", "http.request.body.size") == 5);
	assert_null(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(o, "attributes"), "client.address"));
}

static void test_free_objs(cJSON **objs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(objs[i]);
}

static struct test_batch *test_batch_new(struct test_fx *fx)
{
	memset(fx->batch, 0, sizeof(*fx->batch));
	return fx->batch;
}

static void test_records_mixed_batch(void **state)
{
	struct test_fx *fx = *state;
	struct test_batch *b = test_batch_new(fx);
	static char lines[4][4096];
	cJSON *objs[4] = {0};
	uint8_t big[OBI_REQ_CAP_MAX + 1];
	static const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n";
	size_t n;

	memset(big, 'A', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\n", 16);
	test_add_a(b);
	/* framed correctly but req_cap above the ABI maximum */
	test_add_http(b, TEST_PID, OBI_ROLE_SERVER, big, sizeof(big), NULL, 0);
	test_add_http(b, TEST_PID, OBI_ROLE_SERVER, garbage, sizeof(garbage) - 1, test_resp_a,
		      strlen(test_resp_a));
	test_add_http(b, 999, OBI_ROLE_SERVER, test_req_a, strlen(test_req_a), NULL, 0);
	test_add_b(b);
	test_run(fx, b);

	n = test_lines(fx, objs, lines, 4);
	assert_int_equal(n, 2);
	test_check_a(objs[0], lines[0]);
	test_check_b(objs[1]);
	assert_int_equal(fx->e->st.records, 5);
	assert_int_equal(fx->e->st.bad_records, 1);
	assert_int_equal(fx->e->st.not_http, 1);
	assert_int_equal(fx->e->st.unknown_pid, 1);
	assert_int_equal(fx->e->st.spans, 2);
	assert_int_equal(fx->e->printer.count, 2);
	test_free_objs(objs, n);
}

static void test_records_bad_size_ends_batch(void **state)
{
	struct test_fx *fx = *state;
	static char lines[4][4096];
	cJSON *objs[4] = {0};
	const uint16_t sizes[] = {0, 1, sizeof(struct obi_rec_hdr) - 1, 0xffff};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) + 1; i++) {
		struct test_batch *b = test_batch_new(fx);
		size_t off, n;

		test_reset(fx);
		test_add_a(b);
		off = test_add_b(b);
		test_add_b(b);
		if (i < sizeof(sizes) / sizeof(sizes[0]))
			TEST_SET_HDR(b, off, size, sizes[i]);
		else /* one byte past the end of the batch */
			TEST_SET_HDR(b, off, size, (uint16_t)(b->len - off + 1));
		test_run(fx, b);
		n = test_lines(fx, objs, lines, 4);
		assert_int_equal(n, 1);
		test_check_a(objs[0], lines[0]);
		assert_int_equal(fx->e->st.records, 1);
		assert_int_equal(fx->e->st.bad_records, 1);
		assert_int_equal(fx->e->st.spans, 1);
		test_free_objs(objs, n);
	}
}

static void test_records_abi_mismatch_skipped(void **state)
{
	struct test_fx *fx = *state;
	struct test_batch *b = test_batch_new(fx);
	static char lines[4][4096];
	cJSON *objs[4] = {0};
	size_t off, n;

	off = test_add_a(b);
	TEST_SET_HDR(b, off, abi_version, OBI_ABI_VERSION + 1);
	off = test_add_a(b);
	TEST_SET_HDR(b, off, abi_version, 0);
	test_add_b(b);
	test_run(fx, b);
	n = test_lines(fx, objs, lines, 4);
	assert_int_equal(n, 1);
	test_check_b(objs[0]);
	assert_int_equal(fx->e->st.records, 3);
	assert_int_equal(fx->e->st.bad_records, 2);
	assert_int_equal(fx->e->st.spans, 1);
	test_free_objs(objs, n);
}

static void test_records_trailing_fragment(void **state)
{
	struct test_fx *fx = *state;
	struct test_batch *b = test_batch_new(fx);
	static char lines[4][4096];
	cJSON *objs[4] = {0};
	size_t n;

	test_add_a(b);
	/* 23 bytes that look like the start of a record */
	memcpy(b->b + b->len, b->b, sizeof(struct obi_rec_hdr) - 1);
	b->len += sizeof(struct obi_rec_hdr) - 1;
	test_run(fx, b);
	n = test_lines(fx, objs, lines, 4);
	assert_int_equal(n, 1);
	test_check_a(objs[0], lines[0]);
	assert_int_equal(fx->e->st.records, 1);
	assert_int_equal(fx->e->st.bad_records, 1);
	test_free_objs(objs, n);

	/* a lone byte; and nothing at all */
	memset(&fx->e->st, 0, sizeof(fx->e->st));
	records_handle_batch(fx->e, b->b, 1);
	assert_int_equal(fx->e->st.bad_records, 1);
	assert_int_equal(fx->e->st.records, 0);
	records_handle_batch(fx->e, b->b, 0);
	assert_int_equal(fx->e->st.bad_records, 1);
	assert_int_equal(fx->e->st.records, 0);
	assert_int_equal(fx->e->printer.count, 1);
}

static void test_records_bad_inside(void **state)
{
	struct test_fx *fx = *state;
	struct test_batch *b = test_batch_new(fx);
	static char lines[4][4096];
	cJSON *objs[4] = {0};
	struct obi_rec_proc exec = {.hdr = {.type = OBI_REC_EXEC,
					    .abi_version = OBI_ABI_VERSION,
					    .size = sizeof(exec),
					    .pid = TEST_PID}};
	struct obi_rec_hdr shorthttp = {.type = OBI_REC_HTTP,
					.abi_version = OBI_ABI_VERSION,
					.size = sizeof(shorthttp),
					.pid = TEST_PID};
	struct obi_rec_hdr unknown = {
	    .type = 0, .abi_version = OBI_ABI_VERSION, .size = sizeof(unknown)};
	uint8_t bigresp[OBI_RESP_CAP + 1];
	size_t off, n;

	memset(bigresp, 'x', sizeof(bigresp));
	memcpy(bigresp, test_resp_a, strlen(test_resp_a));
	memcpy(b->b + b->len, &exec, sizeof(exec));
	b->len += sizeof(exec);
	memcpy(b->b + b->len, &shorthttp, sizeof(shorthttp));
	b->len += sizeof(shorthttp);
	memcpy(b->b + b->len, &unknown, sizeof(unknown));
	b->len += sizeof(unknown);
	off = test_add_a(b); /* role 0 */
	TEST_SET_HTTP(b, off, role, OBI_ROLE_UNKNOWN);
	off = test_add_a(b); /* role 3 */
	TEST_SET_HTTP(b, off, role, 3);
	/* resp_cap above OBI_RESP_CAP, total still consistent */
	test_add_http(b, TEST_PID, OBI_ROLE_SERVER, test_req_a, strlen(test_req_a), bigresp,
		      sizeof(bigresp));
	off = test_add_a(b); /* caps one byte short of the record size */
	TEST_SET_HTTP(b, off, resp_cap, (uint16_t)(r_.resp_cap - 1));
	off = test_add_a(b); /* caps one byte more than the record size */
	TEST_SET_HTTP(b, off, req_cap, (uint16_t)(r_.req_cap + 1));
	test_add_b(b);
	test_run(fx, b);
	n = test_lines(fx, objs, lines, 4);
	assert_int_equal(n, 1);
	test_check_b(objs[0]);
	assert_int_equal(fx->e->st.records, 9);
	assert_int_equal(fx->e->st.bad_records, 8);
	assert_int_equal(fx->e->st.not_http, 0);
	assert_int_equal(fx->e->st.unknown_pid, 0);
	test_free_objs(objs, n);
}

static void test_records_dead_proc_still_named(void **state)
{
	struct test_fx *fx = *state;
	struct test_batch *b = test_batch_new(fx);
	static char lines[2][4096];
	cJSON *objs[2] = {0};
	size_t n;

	/* records still in flight after the exit are attributed until the reap */
	proc_table_mark_dead(&fx->e->procs, TEST_PID, 5);
	test_add_a(b);
	test_run(fx, b);
	n = test_lines(fx, objs, lines, 2);
	assert_int_equal(n, 1);
	test_check_a(objs[0], lines[0]);
	test_free_objs(objs, n);
	proc_table_reap(&fx->e->procs, 100, 10);
	test_run(fx, b);
	assert_int_equal(fx->e->st.unknown_pid, 1);
	assert_int_equal(fx->e->st.spans, 1);
}

/* --- process table ------------------------------------------------------------------------ */

static void test_proc_put_get_replace(void **state)
{
	struct test_fx *fx = *state;
	struct proc_table *t = &fx->e->procs;
	struct proc_entry *p;

	assert_int_equal(t->n, 1);
	assert_null(proc_table_get(t, 1));
	p = proc_table_get(t, TEST_PID);
	assert_non_null(p);
	assert_int_equal(p->pid, TEST_PID);
	assert_int_equal(p->ns_pid, TEST_PID);
	assert_string_equal(p->exe, "/usr/sbin/nginx");
	assert_string_equal(p->cmdline, "nginx -g daemon off;");
	assert_string_equal(p->name, "nginx");
	assert_string_equal(p->instance_id, "testhost:4242");
	assert_ptr_equal(p->svc.name, p->name);
	assert_int_equal(p->svc.pid, TEST_PID);
	assert_string_equal(p->svc.sdk_language, "generic");
	assert_int_equal(p->dead_since_ns, 0);

	/* same bucket, different pid */
	assert_int_equal(test_add_proc(fx->e, TEST_PID + PROC_TABLE_BUCKETS,
				       "/usr/bin/redis-server", NULL, 0, NULL, NULL),
			 0);
	assert_int_equal(t->n, 2);
	/* exec: the same pid is replaced in place, the neighbour survives */
	proc_table_mark_dead(t, TEST_PID, 77);
	assert_int_equal(test_add_proc(fx->e, TEST_PID, "/usr/bin/python3.12", "python3\0app.py",
				       14, NULL, NULL),
			 0);
	assert_int_equal(t->n, 2);
	p = proc_table_get(t, TEST_PID);
	assert_non_null(p);
	assert_string_equal(p->exe, "/usr/bin/python3.12");
	assert_string_equal(p->name, "python3.12");
	assert_string_equal(p->cmdline, "python3 app.py");
	assert_int_equal(p->dead_since_ns, 0);
	p = proc_table_get(t, TEST_PID + PROC_TABLE_BUCKETS);
	assert_non_null(p);
	assert_string_equal(p->name, "redis-server");
	/* replace the other one of the chain too */
	assert_int_equal(
	    test_add_proc(fx->e, TEST_PID + PROC_TABLE_BUCKETS, "/bin/valkey", NULL, 0, NULL, NULL),
	    0);
	assert_int_equal(t->n, 2);
	assert_string_equal(proc_table_get(t, TEST_PID + PROC_TABLE_BUCKETS)->name, "valkey");
	assert_string_equal(proc_table_get(t, TEST_PID)->name, "python3.12");
}

static void test_proc_dead_reap(void **state)
{
	struct test_fx *fx = *state;
	struct proc_table *t = &fx->e->procs;
	const uint64_t grace = 5000000000ull, t0 = 1000000000000ull;

	assert_int_equal(
	    test_add_proc(fx->e, TEST_PID + PROC_TABLE_BUCKETS, "/bin/b", NULL, 0, NULL, NULL), 0);
	assert_int_equal(test_add_proc(fx->e, 7, "/bin/c", NULL, 0, NULL, NULL), 0);
	assert_int_equal(t->n, 3);
	proc_table_mark_dead(t, 12345, t0); /* unknown: no effect */
	proc_table_mark_dead(t, TEST_PID, t0);
	proc_table_mark_dead(t, TEST_PID, t0 + grace); /* the first death time is kept */
	assert_true(proc_table_get(t, TEST_PID)->dead_since_ns == t0);

	proc_table_reap(t, t0 + 1, grace);
	proc_table_reap(t, t0 + grace, grace);
	assert_int_equal(t->n, 3);
	assert_non_null(proc_table_get(t, TEST_PID));
	proc_table_reap(t, t0 + grace + 1, grace);
	assert_int_equal(t->n, 2);
	assert_null(proc_table_get(t, TEST_PID));
	/* live processes are never reaped, however late */
	proc_table_reap(t, UINT64_MAX, 0);
	assert_int_equal(t->n, 2);
	assert_non_null(proc_table_get(t, TEST_PID + PROC_TABLE_BUCKETS));
	assert_non_null(proc_table_get(t, 7));
	/* the head of a chain can be reaped too */
	proc_table_mark_dead(t, TEST_PID + PROC_TABLE_BUCKETS, t0);
	proc_table_reap(t, t0 + grace + 1, grace);
	assert_int_equal(t->n, 1);
	assert_null(proc_table_get(t, TEST_PID + PROC_TABLE_BUCKETS));
	proc_table_clear(t);
	assert_int_equal(t->n, 0);
	assert_null(proc_table_get(t, 7));
}

/* Name of a freshly added process. */
static struct proc_entry *test_named(struct test_fx *fx, uint32_t pid, const char *exe,
				     const char *svc, const char *res)
{
	assert_int_equal(test_add_proc(fx->e, pid, exe, NULL, 0, svc, res), 0);
	return proc_table_get(&fx->e->procs, pid);
}

static void test_proc_service_naming(void **state)
{
	struct test_fx *fx = *state;
	struct obi_config *cfg = &fx->e->cfg;
	struct proc_entry *p;

	free(cfg->service_name);
	cfg->service_name = strdup("from-config");
	p = test_named(fx, 10, "/usr/bin/app", "from-env", "service.name=from-res");
	assert_string_equal(p->name, "from-config");
	free(cfg->service_name);
	cfg->service_name = strdup(""); /* empty: as if unset */
	p = test_named(fx, 10, "/usr/bin/app", "from-env", "service.name=from-res");
	assert_string_equal(p->name, "from-env");
	free(cfg->service_name);
	cfg->service_name = NULL;

	p = test_named(fx, 10, "/usr/bin/app", "from-env", "service.name=from-res");
	assert_string_equal(p->name, "from-env");
	p = test_named(fx, 10, "/usr/bin/app", NULL, "service.name=from-res");
	assert_string_equal(p->name, "from-res");
	p = test_named(fx, 10, "/usr/bin/app", NULL,
		       "deployment.environment=prod, service.name=from-res ,k=v");
	assert_string_equal(p->name, "from-res");
	p = test_named(fx, 10, "/usr/bin/app", NULL, "service.name=a%20b");
	assert_string_equal(p->name, "a b");
	p = test_named(fx, 10, "/usr/bin/app", NULL, "service.name=caf%C3%A9%2Cbar");
	assert_string_equal(p->name, "caf\xc3\xa9,bar");
	/* keys must match whole */
	p = test_named(fx, 10, "/usr/bin/app", NULL, "my.service.name=x,service.names=y");
	assert_string_equal(p->name, "app");
	/* an empty service.name falls through */
	p = test_named(fx, 10, "/usr/bin/app", NULL, "service.name=");
	assert_string_equal(p->name, "app");
	p = test_named(fx, 10, "/usr/bin/app", NULL, NULL);
	assert_string_equal(p->name, "app");
	p = test_named(fx, 10, "app", NULL, NULL);
	assert_string_equal(p->name, "app");
	p = test_named(fx, 10, "", NULL, NULL);
	assert_string_equal(p->name, "unknown");
	assert_string_equal(p->instance_id, "testhost:10");
	assert_int_equal(fx->e->procs.n, 2);
}

static void test_proc_service_namespace(void **state)
{
	struct test_fx *fx = *state;
	struct obi_config *cfg = &fx->e->cfg;
	struct proc_entry *p;

	p = test_named(fx, 11, "/bin/x", NULL, "service.namespace=shop,service.name=cart");
	assert_string_equal(p->namespace_, "shop");
	assert_string_equal(p->name, "cart");
	assert_string_equal(p->svc.namespace_, "shop");
	p = test_named(fx, 11, "/bin/x", NULL, "service.namespace=a%2Fb");
	assert_string_equal(p->namespace_, "a/b");
	p = test_named(fx, 11, "/bin/x", NULL, "service.name=cart");
	assert_string_equal(p->namespace_, "");
	free(cfg->service_namespace);
	cfg->service_namespace = strdup("from-config");
	p = test_named(fx, 11, "/bin/x", NULL, "service.namespace=shop");
	assert_string_equal(p->namespace_, "from-config");
	assert_string_equal(p->instance_id, "testhost:11");
	assert_string_equal(p->res_attrs, "service.namespace=shop");
	assert_string_equal(p->svc.resource_attrs, "service.namespace=shop");
}

static void test_proc_instance_id(void **state)
{
	struct test_fx *fx = *state;
	struct proc_entry *p;

	p = test_named(fx, 4294967295u, "/bin/x", NULL, NULL);
	assert_string_equal(p->instance_id, "testhost:4294967295");
	snprintf(fx->e->hostname, sizeof(fx->e->hostname), "node-7.example.internal");
	p = test_named(fx, 1, "/bin/x", NULL, NULL);
	assert_string_equal(p->instance_id, "node-7.example.internal:1");
}

/* s with every byte outside printable ASCII shown as \xHH. */
static const char *test_escape(const char *s)
{
	static char out[1024];
	size_t o = 0;

	for (; *s && o + 5 < sizeof(out); s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* No byte below 0x20 nor DEL. */
static void test_assert_printable(const char *s)
{
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			fail_msg("control byte 0x%02x in \"%s\"", (unsigned char)*c,
				 test_escape(s));
}

static void test_proc_control_chars(void **state)
{
	struct test_fx *fx = *state;
	struct proc_entry *p;
	static const char cmd[] = "sh\0-c\0echo\x1b[2J";

	assert_int_equal(
	    test_add_proc(fx->e, 20, "/usr/bin/a\nb", cmd, sizeof(cmd) - 1, "x\ty\r", "k=\x01v"),
	    0);
	p = proc_table_get(&fx->e->procs, 20);
	assert_non_null(p);
	assert_string_equal(p->exe, "/usr/bin/a?b");
	assert_string_equal(p->cmdline, "sh -c echo?[2J");
	assert_string_equal(p->name, "x?y?");
	assert_string_equal(p->res_attrs, "k=?v");
	p = test_named(fx, 22, "/usr/bin/a\nb", NULL, NULL);
	assert_string_equal(p->name, "a?b");
	test_assert_printable(p->exe);
}

/* DEL is a control character too (span_build.c replaces it in span strings). */
static void test_proc_control_del(void **state)
{
	struct test_fx *fx = *state;
	struct proc_entry *p = test_named(fx, 23, "/usr/bin/a\x7f", "svc\x7f", NULL);

	test_assert_printable(p->name);
	test_assert_printable(p->exe);
}

/* Percent-decoding must not smuggle control characters back in. */
static void test_proc_control_percent(void **state)
{
	struct test_fx *fx = *state;
	struct proc_entry *p;

	p = test_named(fx, 24, "/bin/x", NULL, "service.name=a%0Ab,service.namespace=n%1B[2Jx");
	test_assert_printable(p->name);
	test_assert_printable(p->namespace_);
}

/* A percent-encoded NUL must not cut the name short (it is a control character too). */
static void test_proc_percent_nul(void **state)
{
	struct test_fx *fx = *state;
	struct proc_entry *p = test_named(fx, 25, "/bin/x", NULL, "service.name=ab%00cd");

	assert_string_equal(p->name, "ab?cd");
}

/* The printed JSON of a span whose service came from the wire is valid UTF-8. */
static bool test_valid_utf8(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		size_t n = 0;

		if (*u < 0x80)
			n = 1;
		else if (*u >= 0xc2 && *u <= 0xdf)
			n = 2;
		else if ((*u & 0xf0) == 0xe0)
			n = 3;
		else if (*u >= 0xf0 && *u <= 0xf4)
			n = 4;
		if (n == 0)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((u[i] & 0xc0) != 0x80)
				return false;
		u += n;
	}
	return true;
}

static void test_records_service_utf8(void **state)
{
	struct test_fx *fx = *state;
	struct test_batch *b = test_batch_new(fx);

	assert_int_equal(test_add_proc(fx->e, TEST_PID, "/usr/sbin/nginx", NULL, 0, "caf\xe9\xff",
				       "service.namespace=ns%FF"),
			 0);
	test_add_a(b);
	test_run(fx, b);
	assert_int_equal(fx->e->st.spans, 1);
	assert_non_null(fx->buf);
	if (!test_valid_utf8(fx->buf))
		fail_msg("JSON output is not valid UTF-8: %s", test_escape(fx->buf));
}

/* One record of exchange seq with flags and resp_bytes, alone in a fresh batch; run it. */
static void test_run_snap(struct test_fx *fx, uint32_t seq, uint16_t flags, uint64_t resp_bytes)
{
	struct test_batch *b = fx->batch;
	size_t off;

	b->len = 0;
	off = test_add_a(b);
	TEST_SET_HTTP(b, off, exch_seq, seq);
	TEST_SET_HTTP(b, off, flags, flags);
	TEST_SET_HTTP(b, off, resp_bytes, resp_bytes);
	test_run(fx, b);
}

static size_t test_nlines(struct test_fx *fx)
{
	size_t n = 0;

	for (const char *s = fx->buf ? fx->buf : ""; (s = strchr(s, '\n')); s++)
		n++;
	return n;
}

/* Snapshots of quiet exchanges: printed once, at the framing's end or at the final record. */
static void test_records_snapshots(void **state)
{
	struct test_fx *fx = *state;
	uint64_t head = strlen(test_resp_a);

	/* Content-Length 612 not reached: held, then printed by the final. */
	test_run_snap(fx, 1, OBI_HTTP_F_SWEPT, head + 100);
	assert_int_equal(test_nlines(fx), 0);
	test_run_snap(fx, 1, OBI_HTTP_F_SWEPT, head + 300); /* more bytes, still open */
	assert_int_equal(test_nlines(fx), 0);
	test_run_snap(fx, 1, OBI_HTTP_F_SNAPPED | OBI_HTTP_F_CLOSED, head + 612);
	assert_int_equal(test_nlines(fx), 1);
	assert_non_null(strstr(fx->buf, "\"http.response.body.size\":612"));
	/* Complete at the snapshot: printed then, its final dropped. */
	test_run_snap(fx, 2, OBI_HTTP_F_SWEPT, head + 612);
	assert_int_equal(test_nlines(fx), 2);
	test_run_snap(fx, 2, OBI_HTTP_F_SNAPPED, head + 612);
	assert_int_equal(test_nlines(fx), 2);
	assert_int_equal(fx->e->st.snap_dups, 1);
	/* Still flowing at the bound: printed by the cut record, marked. */
	test_run_snap(fx, 3, OBI_HTTP_F_SWEPT, head + 10);
	test_run_snap(fx, 3, OBI_HTTP_F_CUT, head + 20);
	assert_int_equal(test_nlines(fx), 3);
	assert_non_null(strstr(fx->buf, "\"obi.http.response.cut\":true"));
	assert_int_equal(fx->e->st.resp_cut, 1);
	/* A held exchange whose final was lost comes out when the next one is snapshotted. */
	test_run_snap(fx, 4, OBI_HTTP_F_SWEPT, head + 10);
	test_run_snap(fx, 5, OBI_HTTP_F_SWEPT, head + 612);
	assert_int_equal(test_nlines(fx), 5);
	/* One whose final is overdue (the close raced the snapshot) comes out on the timer. */
	test_run_snap(fx, 8, OBI_HTTP_F_SWEPT, head + 10);
	fx->e->cfg.http_response_max_duration_ns = 1000000000ULL;
	records_tick(fx->e, monotime_ns() + 5000000000ULL); /* not yet: 1 s + 5 s */
	fflush(fx->out);
	assert_int_equal(test_nlines(fx), 5);
	records_tick(fx->e, monotime_ns() + 7000000000ULL);
	fflush(fx->out);
	assert_int_equal(test_nlines(fx), 6);
	assert_int_equal(fx->e->st.hold_expired, 1);
	/* And one still held at shutdown is printed then. */
	test_run_snap(fx, 6, OBI_HTTP_F_SWEPT, head + 10);
	assert_int_equal(test_nlines(fx), 6);
	records_shutdown(fx->e);
	fflush(fx->out);
	assert_int_equal(test_nlines(fx), 7);
	/* Snapshot and final at once: impossible, refused. */
	test_run_snap(fx, 7, OBI_HTTP_F_SWEPT | OBI_HTTP_F_CUT, head + 612);
	assert_int_equal(test_nlines(fx), 7);
	assert_int_equal(fx->e->st.bad_records, 1);
}

/* Two pipelined requests in one record: two spans. */
static void test_records_pipelined(void **state)
{
	static const char req[] = "GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p2 HTTP/1.1\r\n"
				  "Host: a\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
				   "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	struct test_fx *fx = *state;

	test_add_http(fx->batch, TEST_PID, OBI_ROLE_SERVER, req, strlen(req), resp, strlen(resp));
	test_run(fx, fx->batch);
	assert_int_equal(test_nlines(fx), 2);
	assert_non_null(strstr(fx->buf, "\"url.path\":\"/p2\",\"http.response.status_code\":404"));
	assert_int_equal(fx->e->st.pipelined, 2);
	assert_int_equal(fx->e->st.pipelined_approx, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_records_mixed_batch),
	    T(test_records_bad_size_ends_batch),
	    T(test_records_abi_mismatch_skipped),
	    T(test_records_trailing_fragment),
	    T(test_records_bad_inside),
	    T(test_records_dead_proc_still_named),
	    T(test_proc_put_get_replace),
	    T(test_proc_dead_reap),
	    T(test_proc_service_naming),
	    T(test_proc_service_namespace),
	    T(test_proc_instance_id),
	    T(test_proc_control_chars),
	    T(test_proc_control_del),
	    T(test_proc_control_percent),
	    T(test_proc_percent_nul),
	    T(test_records_service_utf8),
	    T(test_records_snapshots),
	    T(test_records_pipelined),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
