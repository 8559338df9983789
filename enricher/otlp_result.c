/* otlp_result.c: export outcome classification, jittered back-off, partial-success parsing. */
#include "otlp_result.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pb_decode.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

enum otlp_outcome otlp_http_outcome(CURLcode cc, long status)
{
	switch (cc) {
	case CURLE_OK:
		break;
	/* The collector is down, restarting, or slow: the same request may succeed later. */
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return OTLP_OUTCOME_RETRY;
	default:
		return OTLP_OUTCOME_DROP;
	}
	if (status >= 200 && status < 300)
		return OTLP_OUTCOME_OK;
	if (status == 429 || status == 502 || status == 503 || status == 504)
		return OTLP_OUTCOME_RETRY;
	return OTLP_OUTCOME_DROP;
}

uint64_t otlp_backoff_delay(const struct otlp_backoff *b, unsigned attempt, int64_t server_delay_ns,
			    uint32_t rnd)
{
	uint64_t base = b->initial_ns;

	if (server_delay_ns >= 0)
		return (uint64_t)server_delay_ns;
	for (unsigned i = 1; i < attempt && base < b->max_ns; i++)
		base *= 2;
	if (base > b->max_ns)
		base = b->max_ns;
	/* Uniform in [base/2, base*3/2]: 32 random bits scaled, no modulo bias worth a thought. */
	return base / 2 + (uint64_t)(((unsigned __int128)base * rnd) >> 32);
}

static void otlp_partial_msg(struct otlp_partial *out, const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < sizeof(out->message); i++)
		out->message[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out->message[k] = '\0';
}

static bool otlp_partial_msg_cb(pb_istream_t *is, const pb_field_t *f, void **arg)
{
	struct otlp_partial *out = *arg;
	char buf[sizeof(out->message)];
	size_t n = is->bytes_left < sizeof(buf) ? is->bytes_left : sizeof(buf);

	(void)f;
	if (!pb_read(is, (pb_byte_t *)buf, n))
		return false;
	otlp_partial_msg(out, buf, n);
	return pb_read(is, NULL, is->bytes_left); /* the rest is skipped, not an error */
}

int otlp_partial_parse_pb(const uint8_t *p, size_t n, struct otlp_partial *out)
{
	opentelemetry_proto_collector_trace_v1_ExportTraceServiceResponse m =
	    opentelemetry_proto_collector_trace_v1_ExportTraceServiceResponse_init_zero;
	pb_istream_t is = pb_istream_from_buffer(p, n);

	memset(out, 0, sizeof(*out));
	m.partial_success.error_message.funcs.decode = otlp_partial_msg_cb;
	m.partial_success.error_message.arg = out;
	if (!pb_decode(
		&is, opentelemetry_proto_collector_trace_v1_ExportTraceServiceResponse_fields, &m))
		return -EINVAL;
	out->present = m.has_partial_success;
	out->rejected = m.partial_success.rejected_spans;
	return 0;
}

/* The JSON mapping writes int64 as a string; numbers are accepted too. */
static int64_t otlp_json_i64(const cJSON *v)
{
	if (cJSON_IsString(v))
		return strtoll(v->valuestring, NULL, 10);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

int otlp_partial_parse_json(const char *p, size_t n, struct otlp_partial *out)
{
	cJSON *root, *ps, *msg;

	memset(out, 0, sizeof(*out));
	if (!n)
		return 0;
	root = cJSON_ParseWithLength(p, n);
	if (!root)
		return -EINVAL;
	ps = cJSON_GetObjectItemCaseSensitive(root, "partialSuccess");
	if (cJSON_IsObject(ps)) {
		const cJSON *rej = cJSON_GetObjectItemCaseSensitive(ps, "rejectedSpans");

		if (!rej)
			rej = cJSON_GetObjectItemCaseSensitive(ps, "rejectedDataPoints");
		out->present = true;
		out->rejected = otlp_json_i64(rej);
		msg = cJSON_GetObjectItemCaseSensitive(ps, "errorMessage");
		if (cJSON_IsString(msg))
			otlp_partial_msg(out, msg->valuestring, strlen(msg->valuestring));
	}
	cJSON_Delete(root);
	return 0;
}
