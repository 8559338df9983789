/* http_parse.h: parsing of captured HTTP/1.x request and response heads (untrusted bytes). */
#ifndef OBI_HTTP_PARSE_H
#define OBI_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Views into the caller's buffer; never NUL-terminated, never longer than the input. */
struct http_view {
	const char *p;
	size_t len;
};

struct http_request_head {
	struct http_view method;
	struct http_view target; /* request-target as sent */
	struct http_view path;	 /* target without query/fragment; origin-form or absolute-form */
	struct http_view query;	 /* after '?', without it; len 0 if none */
	struct http_view host;	 /* Host header value (port stripped) */
	uint16_t host_port;	 /* port from the Host header; 0 if none */
	struct http_view user_agent;
	struct http_view traceparent; /* raw header value */
	int64_t content_length;	      /* -1 if absent or invalid */
	int version_minor;	      /* 0 or 1 */
	size_t header_len; /* bytes up to and including CRLFCRLF; 0 if not within input */
	bool truncated;	   /* the head did not end within the input */
};

struct http_response_head {
	int status; /* 100..599 */
	int version_minor;
	int64_t content_length; /* -1 if absent or invalid */
	size_t header_len;	/* 0 if the header end is not within the input */
	bool chunked;		/* Transfer-Encoding ends with "chunked" (RFC 9112 6.1) */
};

/* 0 on success, -1 if the bytes are not an HTTP/1.x request head. */
int http_parse_request(const uint8_t *buf, size_t len, struct http_request_head *out);
/* 0 on success, -1 if the bytes are not an HTTP/1.x status line. */
int http_parse_response(const uint8_t *buf, size_t len, struct http_response_head *out);

/*
 * Whether a chunked body whose last bytes are tail[0..n) has ended: the last chunk "0" and the
 * empty line after it (trailers are not looked for). before_unknown: the byte before tail[0]
 * was not seen, so it is taken as a line end.
 */
bool http_parse_chunked_end(const uint8_t *tail, size_t n, bool before_unknown);

/* W3C traceparent "00-<32 hex>-<16 hex>-<2 hex>"; ids must not be all zero. 0 or -1. */
int http_parse_traceparent(const char *s, size_t len, uint8_t trace_id[16], uint8_t span_id[8],
			   uint8_t *flags);

#endif /* OBI_HTTP_PARSE_H */
