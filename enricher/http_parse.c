/* http_parse.c: parsing of captured, possibly truncated, untrusted HTTP/1.x heads. */
#include "hex.h"
#include "http_parse.h"

#include <string.h>

/* RFC 9110 token length limit we accept for methods; longer tokens are not plausible requests. */
#define HTTP_PARSE_METHOD_MAX 20
/* Content-Length values above this are treated as invalid (no real exchange is that large). */
#define HTTP_PARSE_CL_MAX ((int64_t)1 << 53)

/*
 * Paths of absolute-form targets without a path ("http://h" or "http://h?q") are "/". That single
 * byte does not exist in the caller's buffer, so the view points at this constant instead.
 */
static const char http_parse_slash[] = "/";

/* RFC 9110 tchar, as a table: this runs for every byte of every method and header name. */
#define HTTP_PARSE_TCHAR_RANGE(a, b) [(a)...(b)] = 1
static const uint8_t http_parse_tchar[256] = {
    HTTP_PARSE_TCHAR_RANGE('0', '9'),
    HTTP_PARSE_TCHAR_RANGE('a', 'z'),
    HTTP_PARSE_TCHAR_RANGE('A', 'Z'),
    ['!'] = 1,
    ['#'] = 1,
    ['$'] = 1,
    ['%'] = 1,
    ['&'] = 1,
    ['\''] = 1,
    ['*'] = 1,
    ['+'] = 1,
    ['-'] = 1,
    ['.'] = 1,
    ['^'] = 1,
    ['_'] = 1,
    ['`'] = 1,
    ['|'] = 1,
    ['~'] = 1,
};

static bool http_parse_is_tchar(uint8_t c)
{
	return http_parse_tchar[c];
}

static uint8_t http_parse_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

/* Case-insensitive comparison of a header name against a lower-case literal. */
static bool http_parse_name_is(const uint8_t *name, size_t len, const char *lit)
{
	size_t i;

	if (strlen(lit) != len)
		return false;
	for (i = 0; i < len; i++)
		if (http_parse_lower(name[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

static bool http_parse_is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Digits only, no sign, no overflow; -1 otherwise (a wrong length is worse than none). */
static int64_t http_parse_content_length(const uint8_t *v, size_t len)
{
	int64_t n = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (v[i] - '0');
		if (n > HTTP_PARSE_CL_MAX)
			return -1;
	}
	return n;
}

/* Port digits 1..65535; 0 when invalid. */
static uint16_t http_parse_port(const uint8_t *v, size_t len)
{
	uint32_t n = 0;
	size_t i;

	if (len == 0 || len > 5)
		return 0;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		n = n * 10 + (uint32_t)(v[i] - '0');
	}
	return n <= 65535 ? (uint16_t)n : 0;
}

/* Splits a Host value into host and port: "h", "h:80", "[::1]", "[::1]:80". */
static void http_parse_host(const uint8_t *v, size_t len, struct http_view *host, uint16_t *port)
{
	const uint8_t *colon = NULL;
	size_t hlen = len;

	host->p = (const char *)v;
	host->len = len;
	*port = 0;
	if (len > 0 && v[0] == '[') {
		const uint8_t *rb = memchr(v, ']', len);

		/* Only a colon right after the bracket is a port separator. */
		if (rb && (size_t)(rb - v) + 1 < len && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = memchr(v, ':', len);
	}
	if (!colon)
		return;
	hlen = (size_t)(colon - v);
	if (colon + 1 == v + len) {
		/* "host:" is allowed by RFC 3986 (empty port). */
		host->len = hlen;
		return;
	}
	*port = http_parse_port(colon + 1, len - hlen - 1);
	if (*port)
		host->len = hlen;
}

/* Split of a request target into path and query; fragment dropped. */
static void http_parse_target(const uint8_t *t, size_t len, struct http_request_head *out)
{
	size_t start = 0, i, end;
	bool absolute = false;

	/* absolute-form: scheme "://" authority [path] */
	if (len > 0 && t[0] != '/') {
		for (i = 0; i < len; i++) {
			uint8_t c = t[i];

			if (c == ':') {
				absolute =
				    i > 0 && i + 2 < len && t[i + 1] == '/' && t[i + 2] == '/';
				break;
			}
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (i > 0 &&
			       ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
				break;
		}
		if (absolute) {
			start = i + 3;
			while (start < len && t[start] != '/' && t[start] != '?' && t[start] != '#')
				start++;
		}
	}
	end = start;
	while (end < len && t[end] != '?' && t[end] != '#')
		end++;
	if (end > start) {
		out->path.p = (const char *)t + start;
		out->path.len = end - start;
	} else if (absolute) {
		out->path.p = http_parse_slash;
		out->path.len = 1;
	} else {
		out->path.p = (const char *)t + start;
		out->path.len = 0;
	}
	if (end < len && t[end] == '?') {
		size_t q = end + 1, qe = q;

		while (qe < len && t[qe] != '#')
			qe++;
		out->query.p = (const char *)t + q;
		out->query.len = qe - q;
	}
}

/*
 * Walks header lines from *pos. Calls back for each complete "name: value" line; stops at the
 * empty line (returns the offset after it) or at the end of the input (returns 0). Lines that are
 * not well-formed headers are skipped: being lenient costs an attribute, being strict a span.
 */
typedef void (*http_parse_header_fn)(void *ctx, const uint8_t *name, size_t nlen,
				     const uint8_t *val, size_t vlen);

static size_t http_parse_headers(const uint8_t *buf, size_t len, size_t pos,
				 http_parse_header_fn fn, void *ctx)
{
	while (pos < len) {
		const uint8_t *line = buf + pos;
		const uint8_t *lf = memchr(line, '\n', len - pos);
		size_t llen, n, v;

		if (!lf)
			return 0; /* incomplete line: a cut value would be a wrong value */
		llen = (size_t)(lf - line);
		pos += llen + 1;
		if (llen > 0 && line[llen - 1] == '\r')
			llen--;
		if (llen == 0)
			return pos;
		for (n = 0; n < llen && http_parse_is_tchar(line[n]); n++)
			;
		if (n == 0 || n >= llen || line[n] != ':')
			continue;
		v = n + 1;
		while (v < llen && http_parse_is_ows(line[v]))
			v++;
		while (llen > v && http_parse_is_ows(line[llen - 1]))
			llen--;
		fn(ctx, line, n, line + v, llen - v);
	}
	return 0;
}

static void http_parse_request_header(void *ctx, const uint8_t *name, size_t nlen,
				      const uint8_t *val, size_t vlen)
{
	struct http_request_head *out = ctx;

	/* Dispatch on the length first: most header lines are none of these four. */
	switch (nlen) {
	case 4:
		/* First occurrence wins: a second Host is an attack or a bug, not information. */
		if (!out->host.p && http_parse_name_is(name, nlen, "host"))
			http_parse_host(val, vlen, &out->host, &out->host_port);
		break;
	case 10:
		if (!out->user_agent.p && http_parse_name_is(name, nlen, "user-agent")) {
			out->user_agent.p = (const char *)val;
			out->user_agent.len = vlen;
		}
		break;
	case 11:
		if (!out->traceparent.p && http_parse_name_is(name, nlen, "traceparent")) {
			out->traceparent.p = (const char *)val;
			out->traceparent.len = vlen;
		}
		break;
	case 14:
		if (http_parse_name_is(name, nlen, "content-length")) {
			int64_t cl = http_parse_content_length(val, vlen);

			/* Conflicting lengths (RFC 9112 6.3) make the length unknown. */
			if (out->content_length == -2)
				out->content_length = cl;
			else if (out->content_length != cl)
				out->content_length = -1;
		}
		break;
	default:
		break;
	}
}

static void http_parse_response_header(void *ctx, const uint8_t *name, size_t nlen,
				       const uint8_t *val, size_t vlen)
{
	struct http_response_head *out = ctx;

	if (http_parse_name_is(name, nlen, "transfer-encoding")) {
		/* The last coding decides the framing: "gzip, chunked" is chunked. */
		size_t e = vlen;

		while (e > 0 && (http_parse_is_ows(val[e - 1]) || val[e - 1] == ','))
			e--;
		out->chunked = e >= 7 && http_parse_name_is(val + e - 7, 7, "chunked") &&
			       (e == 7 || val[e - 8] == ',' || http_parse_is_ows(val[e - 8]));
	} else if (http_parse_name_is(name, nlen, "content-length")) {
		int64_t cl = http_parse_content_length(val, vlen);

		if (out->content_length == -2)
			out->content_length = cl;
		else if (out->content_length != cl)
			out->content_length = -1;
	}
}

/*
 * Matches "HTTP/1.<d>" at buf[pos..]. Returns 1 if complete (sets *minor), 0 if the input ends
 * while what is there is still a prefix of it, -1 on mismatch.
 */
static int http_parse_version(const uint8_t *buf, size_t len, size_t pos, int *minor)
{
	static const char lit[] = "HTTP/1.";
	size_t i;

	for (i = 0; i < sizeof(lit) - 1; i++) {
		if (pos + i >= len)
			return 0;
		if (buf[pos + i] != (uint8_t)lit[i])
			return -1;
	}
	if (pos + i >= len)
		return 0;
	if (buf[pos + i] != '0' && buf[pos + i] != '1')
		return -1;
	*minor = buf[pos + i] - '0';
	return 1;
}

int http_parse_request(const uint8_t *buf, size_t len, struct http_request_head *out)
{
	size_t pos = 0, tstart, end;
	int ret = -1, v;

	memset(out, 0, sizeof(*out));
	out->content_length = -2; /* "not seen" while parsing; -1 in the result */
	out->version_minor = 1;
	if (!buf)
		goto done;

	while (pos < len && pos <= HTTP_PARSE_METHOD_MAX && http_parse_is_tchar(buf[pos]))
		pos++;
	if (pos == 0 || pos > HTTP_PARSE_METHOD_MAX || pos >= len || buf[pos] != ' ')
		goto done;
	out->method.p = (const char *)buf;
	out->method.len = pos;

	tstart = ++pos;
	while (pos < len && buf[pos] != ' ' && buf[pos] != '\r' && buf[pos] != '\n') {
		/* No control bytes in a real request line; bytes >= 0x80 may be (raw UTF-8). */
		if (buf[pos] < 0x20 || buf[pos] == 0x7f)
			goto done;
		pos++;
	}
	if (pos == tstart)
		goto done;
	out->target.p = (const char *)buf + tstart;
	out->target.len = pos - tstart;
	http_parse_target(buf + tstart, pos - tstart, out);

	if (pos == len) {
		/* The capture cut a long target: method and target prefix are still worth it. */
		out->truncated = true;
		ret = 0;
		goto done;
	}
	if (buf[pos] != ' ')
		goto done; /* HTTP/0.9 or garbage */
	pos++;
	v = http_parse_version(buf, len, pos, &out->version_minor);
	if (v < 0)
		goto done;
	if (v == 0) {
		out->truncated = true;
		ret = 0;
		goto done;
	}
	pos += 8;
	if (pos < len && buf[pos] == '\r')
		pos++;
	if (pos < len && buf[pos] != '\n')
		goto done;
	if (pos >= len) {
		out->truncated = true;
		ret = 0;
		goto done;
	}
	pos++;

	end = http_parse_headers(buf, len, pos, http_parse_request_header, out);
	out->header_len = end;
	out->truncated = end == 0;
	ret = 0;
done:
	if (out->content_length == -2)
		out->content_length = -1;
	return ret;
}

int http_parse_response(const uint8_t *buf, size_t len, struct http_response_head *out)
{
	size_t pos = 0;
	int ret = -1, i;

	memset(out, 0, sizeof(*out));
	out->content_length = -2;
	if (!buf || http_parse_version(buf, len, 0, &out->version_minor) != 1)
		goto done;
	pos = 8;
	if (pos >= len || buf[pos] != ' ')
		goto done;
	pos++;
	if (len - pos < 3)
		goto done;
	for (i = 0; i < 3; i++) {
		if (buf[pos + (size_t)i] < '0' || buf[pos + (size_t)i] > '9')
			goto done;
		out->status = out->status * 10 + (buf[pos + (size_t)i] - '0');
	}
	pos += 3;
	if (out->status < 100 || out->status > 599)
		goto done;
	if (pos < len && buf[pos] != ' ' && buf[pos] != '\r' && buf[pos] != '\n')
		goto done; /* "2000" is not a status code */
	ret = 0;

	/* Reason phrase: anything up to the end of the line. */
	{
		const uint8_t *lf = pos < len ? memchr(buf + pos, '\n', len - pos) : NULL;

		if (!lf)
			goto done;
		pos = (size_t)(lf - buf) + 1;
	}
	out->header_len = http_parse_headers(buf, len, pos, http_parse_response_header, out);
done:
	if (ret != 0)
		out->status = 0;
	if (out->content_length == -2)
		out->content_length = -1;
	return ret;
}

bool http_parse_chunked_end(const uint8_t *tail, size_t n, bool before_unknown)
{
	static const uint8_t last[] = "0\r\n\r\n";
	const size_t ln = sizeof(last) - 1;

	if (n < ln || memcmp(tail + n - ln, last, ln) != 0)
		return false;
	/* "...10\r\n\r\n" would be a chunk of 16 bytes, not the last chunk. */
	return n > ln ? tail[n - ln - 1] == '\n' : before_unknown;
}

/* Decodes n bytes of hex; false on a non-hex digit. */
static bool http_parse_hex(const char *s, uint8_t *dst, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		dst[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool http_parse_all_zero(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

int http_parse_traceparent(const char *s, size_t len, uint8_t trace_id[16], uint8_t span_id[8],
			   uint8_t *flags)
{
	/* "00-" 32 "-" 16 "-" 2 */
	enum { TP_LEN = 55 };
	uint8_t tid[16], sid[8], fl;
	size_t i;

	if (!s || len < TP_LEN)
		return -1;
	for (i = TP_LEN; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return -1;
	/* Only version 00 has this exact layout; "ff" is forbidden by W3C anyway. */
	if (s[0] != '0' || s[1] != '0' || s[2] != '-' || s[35] != '-' || s[52] != '-')
		return -1;
	if (!http_parse_hex(s + 3, tid, 16) || !http_parse_hex(s + 36, sid, 8) ||
	    !http_parse_hex(s + 53, &fl, 1))
		return -1;
	if (http_parse_all_zero(tid, 16) || http_parse_all_zero(sid, 8))
		return -1;
	memcpy(trace_id, tid, 16);
	memcpy(span_id, sid, 8);
	*flags = fl;
	return 0;
}
