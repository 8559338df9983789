/* otlp_grpc.c: gRPC framing, grpc-status/-message/-status-details-bin parsing, retry rule. */
#include "hex.h"
#include "otlp_grpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pb_decode.h>

#include "obi/grpc_status.pb.h"
#include "otlp_gzip.h"

#define OTLP_RETRYINFO_URL "type.googleapis.com/google.rpc.RetryInfo"

void otlp_grpc_status_reset(struct otlp_grpc_status *s)
{
	memset(s, 0, sizeof(*s));
	s->retry_delay_ns = -1;
}

/* grpc-message is percent-encoded; the result only ever goes to a log, so non-printables go. */
static void otlp_grpc_message(struct otlp_grpc_status *s, const char *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < sizeof(s->message); i++) {
		int c = (unsigned char)v[i];

		if (c == '%' && i + 2 < n && hex_digit(v[i + 1]) >= 0 && hex_digit(v[i + 2]) >= 0) {
			c = hex_digit(v[i + 1]) << 4 | hex_digit(v[i + 2]);
			i += 2;
		}
		s->message[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	s->message[k] = '\0';
}

static int otlp_b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Base64 with or without padding (gRPC sends binary metadata unpadded); -1 if malformed. */
static ssize_t otlp_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;

	for (size_t i = 0; i < n && in[i] != '='; i++) {
		int v = otlp_b64_val(in[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k == cap)
				return -1;
			out[k++] = (uint8_t)(acc >> bits);
		}
	}
	return (ssize_t)k;
}

static bool otlp_grpc_type_url(pb_istream_t *is, const pb_field_t *f, void **arg)
{
	static const char want[] = OTLP_RETRYINFO_URL;
	bool *is_retry = *arg;
	char buf[sizeof(want)];
	size_t n = is->bytes_left;

	(void)f;
	*is_retry = false;
	if (n != sizeof(want) - 1)
		return pb_read(is, NULL, n);
	if (!pb_read(is, (pb_byte_t *)buf, n))
		return false;
	*is_retry = !memcmp(buf, want, n);
	return true;
}

struct otlp_grpc_any_ctx {
	struct otlp_grpc_status *s;
	bool is_retry;
};

/* type_url precedes value on the wire (fields 1 then 2), as every encoder writes them. */
static bool otlp_grpc_any_value(pb_istream_t *is, const pb_field_t *f, void **arg)
{
	struct otlp_grpc_any_ctx *c = *arg;
	google_rpc_RetryInfo ri = google_rpc_RetryInfo_init_zero;

	(void)f;
	if (!c->is_retry)
		return pb_read(is, NULL, is->bytes_left);
	if (!pb_decode(is, google_rpc_RetryInfo_fields, &ri))
		return false;
	if (ri.has_retry_delay && ri.retry_delay.seconds >= 0 && ri.retry_delay.nanos >= 0 &&
	    ri.retry_delay.seconds < 86400)
		c->s->retry_delay_ns = ri.retry_delay.seconds * 1000000000LL + ri.retry_delay.nanos;
	return true;
}

static bool otlp_grpc_detail(pb_istream_t *is, const pb_field_t *f, void **arg)
{
	struct otlp_grpc_any_ctx c = {.s = *arg};
	google_rpc_Any any = google_rpc_Any_init_zero;

	(void)f;
	any.type_url.funcs.decode = otlp_grpc_type_url;
	any.type_url.arg = &c.is_retry;
	any.value.funcs.decode = otlp_grpc_any_value;
	any.value.arg = &c;
	return pb_decode(is, google_rpc_Any_fields, &any);
}

static void otlp_grpc_details(struct otlp_grpc_status *s, const char *v, size_t n)
{
	uint8_t buf[1024];
	ssize_t len = otlp_b64_decode(v, n, buf, sizeof(buf));
	google_rpc_Status st = google_rpc_Status_init_zero;
	pb_istream_t is;

	if (len < 0)
		return; /* malformed details are ignored: the status code still stands */
	is = pb_istream_from_buffer(buf, (size_t)len);
	st.details.funcs.decode = otlp_grpc_detail;
	st.details.arg = s;
	if (!pb_decode(&is, google_rpc_Status_fields, &st))
		s->retry_delay_ns = -1;
}

void otlp_grpc_status_line(struct otlp_grpc_status *s, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n), *v;
	size_t klen, vlen;

	if (!colon)
		return;
	klen = (size_t)(colon - line);
	v = colon + 1;
	vlen = n - klen - 1;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	if (klen == 11 && !strncasecmp(line, "grpc-status", 11)) {
		char num[8] = {0};

		if (vlen && vlen < sizeof(num)) {
			memcpy(num, v, vlen);
			s->code = atoi(num);
			s->has_status = true;
		}
	} else if (klen == 12 && !strncasecmp(line, "grpc-message", 12)) {
		otlp_grpc_message(s, v, vlen);
	} else if (klen == 23 && !strncasecmp(line, "grpc-status-details-bin", 23)) {
		otlp_grpc_details(s, v, vlen);
	}
}

/* gRPC's HTTP-to-gRPC mapping, for answers without grpc-status (a proxy, not a server). */
static int otlp_grpc_from_http(long http)
{
	switch (http) {
	case 400:
		return OTLP_GRPC_INTERNAL;
	case 401:
		return OTLP_GRPC_UNAUTHENTICATED;
	case 403:
		return OTLP_GRPC_PERMISSION_DENIED;
	case 404:
		return OTLP_GRPC_UNIMPLEMENTED;
	case 429:
	case 502:
	case 503:
	case 504:
		return OTLP_GRPC_UNAVAILABLE;
	default:
		return OTLP_GRPC_UNKNOWN;
	}
}

enum otlp_outcome otlp_grpc_outcome(const struct otlp_grpc_status *s, long http_status)
{
	int code = s->has_status ? s->code : otlp_grpc_from_http(http_status);

	switch (code) {
	case OTLP_GRPC_OK:
		return OTLP_OUTCOME_OK;
	case OTLP_GRPC_CANCELLED:
	case OTLP_GRPC_DEADLINE_EXCEEDED:
	case OTLP_GRPC_ABORTED:
	case OTLP_GRPC_OUT_OF_RANGE:
	case OTLP_GRPC_UNAVAILABLE:
	case OTLP_GRPC_DATA_LOSS:
		return OTLP_OUTCOME_RETRY;
	case OTLP_GRPC_RESOURCE_EXHAUSTED:
		return s->retry_delay_ns >= 0 ? OTLP_OUTCOME_RETRY : OTLP_OUTCOME_DROP;
	default:
		return OTLP_OUTCOME_DROP;
	}
}

int otlp_grpc_frame(const uint8_t *msg, size_t n, bool gzip, struct otlp_buf *out)
{
	uint8_t hdr[5] = {gzip ? 1 : 0};
	size_t at = out->len, len;
	int rc = otlp_buf_append(out, hdr, sizeof(hdr));

	if (rc)
		return rc;
	rc = gzip ? otlp_gzip(msg, n, out) : otlp_buf_append(out, msg, n);
	if (rc)
		return rc;
	len = out->len - at - sizeof(hdr);
	if (len > UINT32_MAX)
		return -EINVAL;
	out->data[at + 1] = (uint8_t)(len >> 24);
	out->data[at + 2] = (uint8_t)(len >> 16);
	out->data[at + 3] = (uint8_t)(len >> 8);
	out->data[at + 4] = (uint8_t)len;
	return 0;
}

int otlp_grpc_unframe(const uint8_t *p, size_t n, const uint8_t **msg, size_t *len)
{
	size_t l;

	*msg = NULL;
	*len = 0;
	if (n == 0)
		return 0; /* trailers-only answer: no message */
	if (n < 5 || p[0] != 0)
		return -EINVAL; /* we never offer grpc-accept-encoding: compressed is malformed */
	l = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
	if (l != n - 5)
		return -EINVAL;
	*msg = p + 5;
	*len = l;
	return 0;
}
