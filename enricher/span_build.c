/* span_build.c: turns one kernel HTTP record (header + captured heads) into a sanitized span. */
#include "span_build.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "http_parse.h"

/*
 * Length of the valid UTF-8 sequence at s[0..len), 0 if invalid (overlong forms, surrogates and
 * code points above U+10FFFF included: they break JSON consumers just as garbage does).
 */
static size_t span_build_utf8_len(const uint8_t *s, size_t len)
{
	uint8_t c;
	size_t n, i;
	uint32_t cp;

	if (!len)
		return 0;
	/* Views always point into initialized input; the analyzer cannot follow them across files.
	 */
	c = s[0]; // NOLINT(clang-analyzer-core.uninitialized.Assign)
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080..U+009F) are terminal escapes too. */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return n;
}

/* Printable ASCII at s[0..len): most of every head, copied in one go (enricher_bench). Eight
 * bytes at a time: a word has a byte below 0x20 or above 0x7e exactly when these bits are set
 * (the classic "has less / has more than n" tests, exact for n <= 128). */
static size_t span_build_ascii_run(const uint8_t *s, size_t len)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if (((w - ones * 0x20) & ~w & highs) || (((w + ones * (127 - 0x7e)) | w) & highs))
			break;
	}
	/* As in span_build_utf8_len: s[0..len) is initialized input the analyzer cannot follow. */
	// NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
	while (i < len && s[i] >= 0x20 && s[i] < 0x7f)
		i++;
	return i;
}

/*
 * Writes src[0..len) at dst + o (dst holds o bytes, size dstsz), NUL-terminated, replacing control
 * bytes and invalid UTF-8 with '?', and never splitting a multi-byte character when space runs out.
 * The strings end up in JSON and on terminals, so everything that leaves here is printable UTF-8.
 * The output is never longer than the input: src may be dst + o itself (memmove).
 */
static size_t span_build_put_safe(char *dst, size_t dstsz, size_t o, const char *src, size_t len)
{
	const uint8_t *s = (const uint8_t *)src;
	size_t i = 0;

	if (o >= dstsz)
		return o;
	while (i < len) {
		size_t run = span_build_ascii_run(s + i, len - i), n;

		if (run) {
			size_t k = run < dstsz - 1 - o ? run : dstsz - 1 - o;

			memmove(dst + o, s + i, k);
			o += k;
			i += k;
			if (k < run)
				break; /* out of space, as the byte-wise path stops */
			continue;
		}
		n = span_build_utf8_len(s + i, len - i);

		if (n == 0 || s[i] < 0x20 || s[i] == 0x7f) {
			if (o + 1 >= dstsz)
				break;
			dst[o++] = '?';
			i += n ? n : 1;
			continue;
		}
		if (o + n >= dstsz)
			break;
		memmove(dst + o, s + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
	return o;
}

void span_build_copy_safe(char *dst, size_t dstsz, const char *src, size_t len)
{
	span_build_put_safe(dst, dstsz, 0, src, len);
}

void span_build_set_safe(struct span *sp, enum span_attr a, const char *src, size_t len)
{
	size_t room;
	char *p = span_str_begin(sp, a, &room);

	/* The arena, not the attribute's bound, would cut it (never with SPAN_TEXT_CAP). */
	sp->text_cut += len && (!p || (room < span_attr_defs[a].max && len > room));
	if (!p || !len) {
		span_unset(sp, a);
		return;
	}
	span_str_commit(sp, a, p, span_build_put_safe(p, room + 1, 0, src, len));
}

/* Appends a cleaned string to url.full being written at u (u->o bytes so far). */
struct span_build_cursor {
	char *p;
	size_t size, o;
};

static void span_build_put_str(struct span_build_cursor *u, const char *s, size_t n)
{
	u->o = span_build_put_safe(u->p, u->size, u->o, s, n);
}

/* Dotted IPv4 without printf: two of these per span made printf a quarter of the enricher. */
static void span_build_ipv4(const uint8_t *a, char *dst)
{
	char *o = dst;

	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (v >= 100)
			*o++ = (char)('0' + v / 100);
		if (v >= 10)
			*o++ = (char)('0' + v / 10 % 10);
		*o++ = (char)('0' + v % 10);
		*o++ = i < 3 ? '.' : '\0';
	}
}

static void span_build_addr(const uint8_t a[16], char *dst, size_t dstsz)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	_Static_assert(SPAN_ADDR_MAX >= sizeof("255.255.255.255"), "address buffer");
	if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
		span_build_ipv4(a + 12, dst);
	else if (!inet_ntop(AF_INET6, a, dst, (socklen_t)dstsz))
		snprintf(dst, dstsz, "?");
}

/* "scheme://..." targets are already full URLs. */
static bool span_build_is_absolute(const struct http_view *t)
{
	const char *sep = t->len ? memmem(t->p, t->len, "://", 3) : NULL;

	return sep && t->p[0] != '/' && !memchr(t->p, '/', (size_t)(sep - t->p));
}

static void span_build_full_url(const struct http_request_head *req, struct span *out)
{
	char port[8];
	size_t room;
	struct span_build_cursor u = {.p = span_str_begin(out, SPAN_A_URL_FULL, &room)};
	const char *host = span_str(out, SPAN_A_HTTP_HOST);

	if (!u.p)
		return;
	u.size = room + 1;
	if (span_build_is_absolute(&req->target)) {
		const char *hash = memchr(req->target.p, '#', req->target.len);

		span_build_put_str(&u, req->target.p,
				   hash ? (size_t)(hash - req->target.p) : req->target.len);
		span_str_commit(out, SPAN_A_URL_FULL, u.p, u.o);
		return;
	}
	span_build_put_str(&u, "http://", 7);
	port[0] = '\0';
	if (host[0]) {
		span_build_put_str(&u, host, span_str_len(out, SPAN_A_HTTP_HOST));
		if (req->host_port)
			snprintf(port, sizeof(port), ":%u", req->host_port);
	} else {
		bool v6 = strchr(out->host_addr, ':') != NULL;

		if (v6)
			span_build_put_str(&u, "[", 1);
		span_build_put_str(&u, out->host_addr, strlen(out->host_addr));
		if (v6)
			span_build_put_str(&u, "]", 1);
		if (out->host_port != 80)
			snprintf(port, sizeof(port), ":%u", out->host_port);
	}
	span_build_put_str(&u, port, strlen(port));
	span_build_put_str(&u, span_str(out, SPAN_A_URL_PATH), span_str_len(out, SPAN_A_URL_PATH));
	if (span_has(out, SPAN_A_URL_QUERY)) {
		span_build_put_str(&u, "?", 1);
		span_build_put_str(&u, span_str(out, SPAN_A_URL_QUERY),
				   span_str_len(out, SPAN_A_URL_QUERY));
	}
	span_str_commit(out, SPAN_A_URL_FULL, u.p, u.o);
}

/* OBI: a server failed on 5xx or no response; a client also on 4xx. Success stays UNSET. */
static enum span_status span_build_status(enum span_kind kind, int code)
{
	if (code == 0)
		return SPAN_STATUS_ERROR;
	if (kind == SPAN_KIND_CLIENT)
		return code >= 400 ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET;
	return code >= 500 ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET;
}

/* Responses without a body by definition (RFC 9110 6.4.1), whatever their Content-Length. */
static bool span_build_no_body(const struct http_request_head *req,
			       const struct http_response_head *resp)
{
	return (req->method.len == 4 && memcmp(req->method.p, "HEAD", 4) == 0) ||
	       (resp->status >= 100 && resp->status < 200) || resp->status == 204 ||
	       resp->status == 304;
}

static void span_build_sizes(const struct obi_rec_http *rec, const struct http_request_head *req,
			     const struct http_response_head *resp, bool have_resp,
			     size_t resp_skip, struct span *out)
{
	uint64_t req_body, resp_body;

	out->req_bytes = rec->req_bytes;
	out->resp_bytes = rec->resp_bytes;

	if (req->header_len > 0 && req->header_len <= rec->req_bytes)
		req_body = rec->req_bytes - req->header_len;
	else if (req->content_length >= 0)
		req_body = (uint64_t)req->content_length;
	else
		req_body = 0;

	/* Response heads are captured only partially: a known end beats Content-Length. */
	if (have_resp && resp->header_len > 0 && resp_skip + resp->header_len <= rec->resp_bytes)
		resp_body = rec->resp_bytes - resp_skip - resp->header_len;
	else if (have_resp && span_build_no_body(req, resp))
		resp_body = 0;
	else if (have_resp && resp->content_length >= 0)
		resp_body = (uint64_t)resp->content_length;
	else
		resp_body = rec->resp_bytes;
	/* OTLP integers are signed: a size past INT64_MAX is not a real one anyway. */
	span_set_int(out, SPAN_A_HTTP_REQ_BODY_SIZE, (int64_t)(req_body & INT64_MAX));
	span_set_int(out, SPAN_A_HTTP_RESP_BODY_SIZE, (int64_t)(resp_body & INT64_MAX));
}

/*
 * Parses the captured response; interim responses (100 Continue, 103 Early Hints) precede the
 * final one (101 is final) and are skipped: *skip is their length.
 */
static bool span_build_parse_resp(const uint8_t *p, size_t len, struct http_response_head *resp,
				  size_t *skip)
{
	bool have = http_parse_response(p, len, resp) == 0;

	*skip = 0;
	while (have && resp->status >= 100 && resp->status < 200 && resp->status != 101 &&
	       resp->header_len > 0 && *skip + resp->header_len < len) {
		struct http_response_head next;

		if (http_parse_response(p + *skip + resp->header_len,
					len - *skip - resp->header_len, &next) != 0)
			break;
		*skip += resp->header_len;
		*resp = next;
	}
	return have;
}

/* A chunked body's end, from the captured bytes when they are the whole response, else from
 * the kernel's tail; true (unknown, reported as it is) when neither shows it. */
static bool span_build_chunked_done(const struct obi_rec_http *rec, const uint8_t *resp_p,
				    size_t resp_len)
{
	if (resp_len == rec->resp_bytes)
		return http_parse_chunked_end(resp_p, resp_len, false);
	if (rec->flags & OBI_HTTP_F_TAIL) {
		size_t n = rec->resp_bytes < sizeof(rec->resp_tail) ? (size_t)rec->resp_bytes
								    : sizeof(rec->resp_tail);

		return http_parse_chunked_end(rec->resp_tail + sizeof(rec->resp_tail) - n, n,
					      n < sizeof(rec->resp_tail));
	}
	return true;
}

bool span_build_response_complete(const struct obi_rec_http *rec, const uint8_t *data,
				  size_t data_len)
{
	struct http_request_head req;
	struct http_response_head resp;
	size_t req_len, resp_len, skip;
	uint64_t body;

	if (!data || (rec->flags & OBI_HTTP_F_NO_PAYLOAD))
		return true;
	req_len = rec->req_cap < data_len ? rec->req_cap : data_len;
	resp_len = rec->resp_cap < data_len - req_len ? rec->resp_cap : data_len - req_len;
	if (http_parse_request(data, req_len, &req) != 0 ||
	    !span_build_parse_resp(data + req_len, resp_len, &resp, &skip) || !resp.header_len)
		return true;
	if (span_build_no_body(&req, &resp))
		return true;
	if (skip + resp.header_len > rec->resp_bytes)
		return true;
	body = rec->resp_bytes - skip - resp.header_len;
	if (resp.chunked)
		return span_build_chunked_done(rec, data + req_len, resp_len);
	if (resp.content_length >= 0)
		return body >= (uint64_t)resp.content_length;
	return false; /* framed by the close */
}

/*
 * The kernel left the incoming traceparent to us (TP_HEAD: no client call of the serving
 * thread needed it first): a valid one in the head gives the trace id, parent and flags; the
 * span id stays the kernel's.
 */
static void span_build_head_trace(const struct obi_rec_http *rec,
				  const struct http_request_head *req, struct span *out)
{
	uint8_t tid[16], pid[8], fl;

	if (!(rec->flags & OBI_HTTP_F_TP_HEAD) || rec->role != OBI_ROLE_SERVER)
		return;
	if (http_parse_traceparent(req->traceparent.p, req->traceparent.len, tid, pid, &fl) != 0)
		return;
	memcpy(out->trace_id, tid, sizeof(out->trace_id));
	memcpy(out->parent_span_id, pid, sizeof(out->parent_span_id));
	out->trace_flags = fl;
}

int span_build_http(const struct obi_rec_http *rec, const uint8_t *data, size_t data_len,
		    int64_t mono_to_unix_ns, const struct span_service *svc, struct span *out)
{
	struct http_request_head req = {0};
	struct http_response_head resp = {0};
	size_t resp_skip = 0; /* bytes of interim 1xx responses before the final one */
	size_t req_len, resp_len;
	bool have_resp;
	int status, ret = SPAN_BUILD_NOT_HTTP;

	span_reset(out);
	out->svc = svc;

	if (!data)
		goto out;
	/* The caller checked data_len; clamp anyway so a bad record can never read past data. */
	req_len = rec->req_cap < data_len ? rec->req_cap : data_len;
	resp_len = rec->resp_cap < data_len - req_len ? rec->resp_cap : data_len - req_len;
	if (http_parse_request(data, req_len, &req) != 0)
		goto out;
	have_resp = span_build_parse_resp(data + req_len, resp_len, &resp, &resp_skip);

	/* UNKNOWN becomes SERVER: a span needs a kind; serving is the common case. */
	out->kind = rec->role == OBI_ROLE_CLIENT ? SPAN_KIND_CLIENT : SPAN_KIND_SERVER;
	/* Unsigned arithmetic: the offset may be negative, and wrapping is defined. */
	out->start_ns = rec->start_ns + (uint64_t)mono_to_unix_ns;
	out->end_ns =
	    (rec->end_ns < rec->start_ns ? rec->start_ns : rec->end_ns) + (uint64_t)mono_to_unix_ns;
	memcpy(out->trace_id, rec->trace_id, sizeof(out->trace_id));
	memcpy(out->span_id, rec->span_id, sizeof(out->span_id));
	memcpy(out->parent_span_id, rec->parent_span_id, sizeof(out->parent_span_id));
	out->trace_flags = rec->trace_flags;
	span_build_head_trace(rec, &req, out);

	out->type = SPAN_TYPE_HTTP;
	span_build_set_safe(out, SPAN_A_HTTP_METHOD, req.method.p, req.method.len);
	span_set_str(out, SPAN_A_NAME, span_str(out, SPAN_A_HTTP_METHOD),
		     span_str_len(out, SPAN_A_HTTP_METHOD));
	span_build_set_safe(out, SPAN_A_URL_PATH, req.path.p, req.path.len);
	span_build_set_safe(out, SPAN_A_URL_QUERY, req.query.p, req.query.len);
	span_build_set_safe(out, SPAN_A_HTTP_HOST, req.host.p, req.host.len);
	span_build_set_safe(out, SPAN_A_USER_AGENT, req.user_agent.p, req.user_agent.len);
	span_set_str(out, SPAN_A_NET_PROTO_VERSION, req.version_minor ? "1.1" : "1.0", 3);

	status = have_resp ? resp.status : 0;
	/* OBI reports requests unanswered within ebpf.http_request_timeout as 408. */
	if (rec->flags & OBI_HTTP_F_TIMEOUT)
		status = 408;
	if (status > 0)
		span_set_int(out, SPAN_A_HTTP_STATUS_CODE, status);
	out->status = span_build_status(out->kind, status);
	if (rec->flags & OBI_HTTP_F_CUT)
		span_set_int(out, SPAN_A_HTTP_RESP_CUT, 1);
	span_build_sizes(rec, &req, &resp, have_resp, resp_skip, out);

	if (out->kind == SPAN_KIND_SERVER) {
		span_build_addr(rec->laddr, out->host_addr, sizeof(out->host_addr));
		out->host_port = rec->lport;
		span_build_addr(rec->raddr, out->peer_addr, sizeof(out->peer_addr));
		out->peer_port = rec->rport;
	} else {
		span_build_addr(rec->raddr, out->host_addr, sizeof(out->host_addr));
		out->host_port = rec->rport;
		span_build_addr(rec->laddr, out->peer_addr, sizeof(out->peer_addr));
		out->peer_port = rec->lport;
		span_build_full_url(&req, out);
	}
	ret = SPAN_BUILD_OK;
out:
	return ret;
}
