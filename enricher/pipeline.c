/* pipeline.c: one part per pipelined request of a record, matched to responses in order. */
#include "hex.h"
#include "pipeline.h"

#include <string.h>

#include "http_parse.h"

static bool pipeline_is_head(const struct http_request_head *r)
{
	return r->method.len == 4 && memcmp(r->method.p, "HEAD", 4) == 0;
}

/* Wire length of a chunked body starting at p (within len): 0 if it does not end there. */
static uint64_t pipeline_chunked_len(const uint8_t *p, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		uint64_t size = 0;
		size_t digits = 0;
		const uint8_t *lf;
		int v;

		while (pos + digits < len && (v = hex_digit((char)p[pos + digits])) >= 0 &&
		       digits < 15) {
			size = size << 4 | (uint64_t)v;
			digits++;
		}
		lf = pos + digits < len ? memchr(p + pos + digits, '\n', len - pos - digits) : NULL;
		if (!digits || !lf)
			return 0;
		pos = (size_t)(lf - p) + 1;
		if (size == 0) {
			/* No trailers: the empty line ends the body. */
			if (pos + 2 <= len && p[pos] == '\r' && p[pos + 1] == '\n')
				return pos + 2;
			return 0;
		}
		if (size > len - pos || len - pos - size < 2)
			return 0;
		pos += size + 2;
	}
	return 0;
}

/*
 * Wire length of the response at p[0..len) answering a request (HEAD or not), 0 if it cannot
 * be told from the bytes there; *head: its head's length (interim 1xx responses included).
 */
static uint64_t pipeline_resp_len(const uint8_t *p, size_t len, bool head_req, size_t *head)
{
	struct http_response_head r;
	size_t skip = 0;

	for (;;) {
		if (http_parse_response(p + skip, len - skip, &r) != 0 || !r.header_len)
			return 0;
		if (r.status >= 200 || r.status == 101)
			break;
		skip += r.header_len;
	}
	*head = skip + r.header_len;
	if (head_req || r.status == 204 || r.status == 304 || r.status == 101)
		return *head;
	if (r.chunked) {
		uint64_t n = pipeline_chunked_len(p + *head, len - *head);

		return n ? *head + n : 0;
	}
	if (r.content_length >= 0)
		return *head + (uint64_t)r.content_length;
	return 0; /* framed by the close: the last response */
}

static bool pipeline_resp_at(const uint8_t *p, size_t len, size_t off)
{
	struct http_response_head r;

	return off < len && http_parse_response(p + off, len - off, &r) == 0;
}

/*
 * Where the next response starts in the capture. The capture holds only the first segment of
 * each write: a body sent in its own iovec (nginx: head, then body) is not there, so the next
 * head may follow this one's head directly.
 */
static size_t pipeline_next_capture(const uint8_t *p, size_t len, size_t off, uint64_t wire,
				    size_t head, bool *ok)
{
	*ok = true;
	if (wire <= len - off &&
	    (off + wire == len || pipeline_resp_at(p, len, off + (size_t)wire)))
		return off + (size_t)wire;
	if (pipeline_resp_at(p, len, off + head))
		return off + head;
	*ok = false;
	return len;
}

/* Requests in the capture, each with its wire length; returns how many (>= 1). */
static size_t pipeline_requests(const struct obi_rec_http *rec, const uint8_t *req, size_t cap,
				struct pipeline_part *parts, bool *heads, bool *approx)
{
	size_t n = 0, pos = 0;

	while (n < PIPELINE_MAX_PARTS && pos < cap) {
		struct http_request_head h;
		uint64_t len;

		if (http_parse_request(req + pos, cap - pos, &h) != 0)
			break;
		if (!h.header_len) {
			/* A later request whose head the capture cut: it is one, sizes unknown. */
			*approx = n > 0 || *approx;
			parts[n].req_off = pos;
			parts[n].req_len = cap - pos;
			heads[n] = pipeline_is_head(&h);
			n++;
			break;
		}
		len = h.header_len + (h.content_length > 0 ? (uint64_t)h.content_length : 0);
		parts[n].req_off = pos;
		parts[n].req_len = len < cap - pos ? (size_t)len : cap - pos;
		parts[n].req_bytes = len;
		heads[n] = pipeline_is_head(&h);
		n++;
		if (len >= cap - pos || pos + len >= rec->req_bytes)
			break;
		pos += (size_t)len;
	}
	return n;
}

size_t pipeline_split(const struct obi_rec_http *rec, const uint8_t *data, size_t data_len,
		      struct pipeline_part *parts, bool *approx)
{
	bool heads[PIPELINE_MAX_PARTS] = {0};
	size_t req_cap = rec->req_cap < data_len ? rec->req_cap : data_len;
	size_t resp_cap = rec->resp_cap < data_len - req_cap ? rec->resp_cap : data_len - req_cap;
	size_t n, i, roff = 0;
	uint64_t req_sum = 0, resp_sum = 0;

	*approx = false;
	n = pipeline_requests(rec, data, req_cap, parts, heads, approx);
	if (n < 2)
		return 1;
	/* The last request takes what is left of the request bytes (its body, or the rest). */
	for (i = 0; i + 1 < n; i++)
		req_sum += parts[i].req_bytes;
	if (req_sum > rec->req_bytes) {
		*approx = true;
		return 1;
	}
	parts[n - 1].req_bytes = rec->req_bytes - req_sum;
	for (i = 0; i < n; i++) {
		const uint8_t *rp = data + req_cap;
		uint64_t len = 0;
		size_t head = 0, next = resp_cap;
		bool ok = false;

		parts[i].resp_off = req_cap + roff;
		parts[i].resp_len = 0;
		parts[i].resp_bytes = 0;
		if (resp_sum >= rec->resp_bytes)
			continue; /* unanswered so far */
		if (i + 1 < n && roff < resp_cap)
			len = pipeline_resp_len(rp + roff, resp_cap - roff, heads[i], &head);
		if (len && len <= rec->resp_bytes - resp_sum)
			next = pipeline_next_capture(rp, resp_cap, roff, len, head, &ok);
		if (i + 1 == n || !ok) {
			/* The last, or one whose end the bytes do not show: it takes the rest. */
			if (i + 1 < n)
				*approx = true;
			len = rec->resp_bytes - resp_sum;
			next = resp_cap;
		}
		parts[i].resp_bytes = len;
		parts[i].resp_len = next - roff;
		resp_sum += len;
		roff = next;
	}
	return n;
}
