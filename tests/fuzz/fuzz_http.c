/* fuzz_http.c: libFuzzer harness for the HTTP head parsers and the record -> span builder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "pipeline.h"
#include "span_build.h"

/* Views must lie inside the input (or be the parser's constant "/"). */
static void fuzz_http_check_view(struct http_view v, const uint8_t *buf, size_t len)
{
	if (v.len == 0)
		return;
	if (v.len == 1 && v.p[0] == '/' &&
	    ((const uint8_t *)v.p < buf || (const uint8_t *)v.p >= buf + len))
		return;
	if ((const uint8_t *)v.p < buf || (const uint8_t *)v.p + v.len > buf + len)
		abort();
}

/* Span strings are NUL-terminated within their buffer and free of control bytes. */
static void fuzz_http_check_str(const char *s, size_t sz)
{
	size_t n = strnlen(s, sz), i;

	if (n >= sz)
		abort();
	for (i = 0; i < n; i++)
		if ((uint8_t)s[i] < 0x20 || (uint8_t)s[i] == 0x7f)
			abort();
}

#define FUZZ_HTTP_CHECK_STR(f) fuzz_http_check_str((f), sizeof(f))

/* Every string attribute: inside the arena, within its bound, its length up to its NUL. The
 * arena holds any span: nothing was cut for want of room. */
static void fuzz_http_check_attrs(const struct span *s)
{
	if (s->text_len > s->text_cap || s->text_cut)
		abort();
	for (int a = 0; a < SPAN_A_COUNT; a++) {
		size_t len = span_str_len(s, (enum span_attr)a);

		if (span_attr_defs[a].type != SPAN_V_STR || !span_has(s, (enum span_attr)a))
			continue;
		if (len == 0 || len > span_attr_defs[a].max ||
		    s->v[a].s.off + len + 1 > s->text_len)
			abort();
		fuzz_http_check_str(span_str(s, (enum span_attr)a), len + 1);
		if (strlen(span_str(s, (enum span_attr)a)) != len)
			abort();
	}
}

static void fuzz_http_parsers(const uint8_t *buf, size_t len)
{
	struct http_request_head req;
	struct http_response_head resp;
	uint8_t tid[16], sid[8], fl;

	if (http_parse_request(buf, len, &req) == 0) {
		fuzz_http_check_view(req.method, buf, len);
		fuzz_http_check_view(req.target, buf, len);
		fuzz_http_check_view(req.path, buf, len);
		fuzz_http_check_view(req.query, buf, len);
		fuzz_http_check_view(req.host, buf, len);
		fuzz_http_check_view(req.user_agent, buf, len);
		fuzz_http_check_view(req.traceparent, buf, len);
		if (req.method.len == 0 || req.method.len > 20 || req.target.len == 0 ||
		    req.header_len > len || (req.header_len == 0) != req.truncated)
			abort();
		if (req.traceparent.len)
			(void)http_parse_traceparent(req.traceparent.p, req.traceparent.len, tid,
						     sid, &fl);
	}
	if (http_parse_response(buf, len, &resp) == 0) {
		if (resp.status < 100 || resp.status > 599 || resp.header_len > len)
			abort();
	}
	(void)http_parse_traceparent((const char *)buf, len, tid, sid, &fl);
}

/* Parts lie inside the data and add up to the wire sizes when split. */
static void fuzz_http_pipeline(const struct obi_rec_http *rec, const uint8_t *data, size_t len)
{
	struct pipeline_part parts[PIPELINE_MAX_PARTS];
	uint64_t req = 0, resp = 0;
	bool approx;
	size_t n = pipeline_split(rec, data, len, parts, &approx);

	if (n < 2)
		return;
	if (n > PIPELINE_MAX_PARTS)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (parts[i].req_off + parts[i].req_len > len ||
		    parts[i].resp_off + parts[i].resp_len > len)
			abort();
		req += parts[i].req_bytes;
		resp += parts[i].resp_bytes;
	}
	if (req != rec->req_bytes || resp > rec->resp_bytes)
		abort();
}

static void fuzz_http_span(const uint8_t *buf, size_t len)
{
	struct obi_rec_http rec;
	struct span *s;
	char *text;
	const uint8_t *data;
	size_t data_len;
	int64_t off = 0;

	/* The record header comes from the input when there is enough of it. */
	memset(&rec, 0, sizeof(rec));
	if (len >= sizeof(rec) + sizeof(off)) {
		memcpy(&rec, buf, sizeof(rec));
		memcpy(&off, buf + sizeof(rec), sizeof(off));
		data = buf + sizeof(rec) + sizeof(off);
		data_len = len - sizeof(rec) - sizeof(off);
	} else {
		rec.role = (uint8_t)(len & 3);
		rec.req_cap = (uint16_t)(len / 2);
		data = buf;
		data_len = len;
	}
	/* As the caller guarantees: the split is the record's, the total is data_len. */
	if (rec.req_cap > data_len)
		rec.req_cap = (uint16_t)(data_len > UINT16_MAX ? UINT16_MAX : data_len);
	rec.resp_cap =
	    (uint16_t)(data_len - rec.req_cap > UINT16_MAX ? UINT16_MAX : data_len - rec.req_cap);
	data_len = (size_t)rec.req_cap + rec.resp_cap;

	fuzz_http_pipeline(&rec, data, data_len);
	(void)span_build_response_complete(&rec, data, data_len);
	/* Separate exact-size allocations: ASan flags a write past the span or its arena. */
	s = malloc(sizeof(*s));
	text = malloc(SPAN_TEXT_CAP);
	if (!s || !text) {
		free(s);
		free(text);
		return;
	}
	span_init(s, text, SPAN_TEXT_CAP);
	if (span_build_http(&rec, data, data_len, off, NULL, s) == SPAN_BUILD_OK) {
		fuzz_http_check_attrs(s);
		FUZZ_HTTP_CHECK_STR(s->peer_addr);
		FUZZ_HTTP_CHECK_STR(s->host_addr);
		if (s->end_ns - s->start_ns !=
		    (rec.end_ns > rec.start_ns ? rec.end_ns - rec.start_ns : 0))
			abort();
	}
	/* A record whose caps exceed the data must be clamped, not trusted. */
	rec.req_cap = UINT16_MAX;
	rec.resp_cap = UINT16_MAX;
	(void)span_build_http(&rec, data, data_len, off, NULL, s);
	free(text);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: libFuzzer's buffer is exact too, but keep it explicit for ASan. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	fuzz_http_parsers(buf, size);
	fuzz_http_span(buf, size);
	free(buf);
	return 0;
}
