/* otlp_grpc.h: OTLP/gRPC over libcurl's HTTP/2: message framing, grpc-status, retry details. */
#ifndef OBI_OTLP_GRPC_H
#define OBI_OTLP_GRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otlp_model.h"
#include "otlp_result.h"

#define OTLP_GRPC_TRACES_PATH "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
#define OTLP_GRPC_METRICS_PATH "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"

/* gRPC status codes obi acts on (grpc/doc/statuscodes.md). */
enum otlp_grpc_code {
	OTLP_GRPC_OK = 0,
	OTLP_GRPC_CANCELLED = 1,
	OTLP_GRPC_UNKNOWN = 2,
	OTLP_GRPC_INVALID_ARGUMENT = 3,
	OTLP_GRPC_DEADLINE_EXCEEDED = 4,
	OTLP_GRPC_PERMISSION_DENIED = 7,
	OTLP_GRPC_RESOURCE_EXHAUSTED = 8,
	OTLP_GRPC_ABORTED = 10,
	OTLP_GRPC_OUT_OF_RANGE = 11,
	OTLP_GRPC_UNIMPLEMENTED = 12,
	OTLP_GRPC_INTERNAL = 13,
	OTLP_GRPC_UNAVAILABLE = 14,
	OTLP_GRPC_DATA_LOSS = 15,
	OTLP_GRPC_UNAUTHENTICATED = 16,
};

/* What the response headers and trailers said (filled line by line). */
struct otlp_grpc_status {
	bool has_status;
	int code;
	char message[256];	/* percent-decoded, sanitised for logs */
	int64_t retry_delay_ns; /* RetryInfo.retry_delay from grpc-status-details-bin; -1 none */
};

void otlp_grpc_status_reset(struct otlp_grpc_status *s);
/* Feeds one header or trailer line ("name: value\r\n"); other headers are ignored. */
void otlp_grpc_status_line(struct otlp_grpc_status *s, const char *line, size_t n);

/*
 * The OTLP specification's gRPC retry rule: CANCELLED, DEADLINE_EXCEEDED, ABORTED,
 * OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS retried; RESOURCE_EXHAUSTED only with RetryInfo.
 * Without grpc-status the HTTP status maps as gRPC's HTTP-to-gRPC table.
 */
enum otlp_outcome otlp_grpc_outcome(const struct otlp_grpc_status *s, long http_status);

/* Appends the 5-byte length-prefixed message (flag 1: gzip-compressed payload). */
int otlp_grpc_frame(const uint8_t *msg, size_t n, bool gzip, struct otlp_buf *out);
/* The payload of a one-message response; -EINVAL if short, compressed or trailing bytes. */
int otlp_grpc_unframe(const uint8_t *p, size_t n, const uint8_t **msg, size_t *len);

#endif /* OBI_OTLP_GRPC_H */
