/* otlp_http.h: the OTLP exporter (HTTP protobuf or JSON, gRPC, gzip) on libcurl multi + evloop;
 * one instance per signal: traces take spans, metrics take requests encoded by their module. */
#ifndef OBI_OTLP_HTTP_H
#define OBI_OTLP_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evloop.h"
#include "log.h"
#include "otlp_curl.h"
#include "otlp_grpc.h"
#include "otlp_model.h"
#include "otlp_result.h"
#include "span.h"

struct otlp_header {
	const char *key;
	const char *value; /* a secret as far as we know: never logged */
};

/* What an exporter carries: picks the gRPC method and the noun of its counts and logs. */
enum otlp_signal { OTLP_SIGNAL_TRACES = 0, OTLP_SIGNAL_METRICS };

/* Every string is borrowed: it must outlive the exporter. */
struct otlp_span_select;
struct otlp_http_config {
	enum otlp_signal signal; /* 0 (traces) unless set */
	const char *url;	 /* the signal URL, endpoint rules already applied: .../v1/traces */
	bool json;		 /* http/json instead of http/protobuf */
	bool gzip;		 /* Content-Encoding: gzip (gRPC: grpc-encoding: gzip) */
	bool grpc;		 /* OTLP/gRPC: url is the endpoint, the method path is appended */
	const struct otlp_header *headers;
	size_t n_headers;
	uint64_t timeout_ns;	   /* one attempt, connect included (OTel default 10 s) */
	size_t batch_max_spans;	   /* spans per request (OBI batch_max_size) */
	uint64_t batch_timeout_ns; /* a partial batch is sent after this (OBI batch_timeout) */
	size_t queue_max_spans;	   /* spans waiting in all (OBI queue_size); more are dropped */
	size_t max_request_bytes;  /* uncompressed body limit, batches split under it (HTTP 20 MiB,
				      gRPC 4) */
	struct otlp_backoff backoff;
	const char *ca_file;	 /* NULL: the system's CAs */
	const char *client_cert; /* mTLS, both or neither */
	const char *client_key;
	bool insecure_skip_verify;
	const struct otlp_host *host;
	const struct otlp_scope *scope;
	const struct otlp_span_select *span_select; /* traces: attributes.select; NULL: all */
};

/* Counts are of the signal's items: spans, or data points for metrics. */
struct otlp_http_stats {
	uint64_t spans_exported;      /* accepted by the collector */
	uint64_t spans_dropped_queue; /* refused at intake: the queue was full */
	uint64_t spans_failed;	      /* given up: non-retryable answer or retries exhausted */
	uint64_t spans_rejected;      /* the collector's partial_success.rejected_spans */
	uint64_t spans_too_large;     /* a single span over max_request_bytes */
	uint64_t encode_errors;	      /* spans lost to an encoding failure (memory) */
	uint64_t bad_resource_env;    /* malformed OTEL_RESOURCE_ATTRIBUTES lists discarded */
	uint64_t requests;	      /* attempts sent */
	uint64_t retries;
	uint64_t bytes_sent; /* request bodies as sent (compressed when gzip) */
	uint64_t unsent;     /* still held when shutdown_timeout ran out */
};

struct otlp_req {
	struct otlp_req *next;
	struct otlp_buf body; /* as sent */
	size_t n_spans;
	unsigned attempts;
	uint64_t first_ns; /* first attempt, for the back-off's max elapsed time */
};

struct otlp_http {
	struct otlp_http_config cfg;
	struct evloop *loop;
	struct otlp_curl curl;
	CURL *easy; /* one request in flight at a time, like the OTel SDK exporters */
	struct curl_slist *hdrs;
	struct otlp_buf pending; /* protobuf: concatenated requests still filling a batch */
	size_t pending_spans;
	struct otlp_req *head, *tail; /* sealed, waiting */
	size_t queued_spans;
	struct otlp_req *inflight;  /* sent, or waiting for its retry timer */
	bool sending;		    /* easy is in the multi handle */
	struct otlp_buf resp;	    /* the response body (capped) */
	struct otlp_grpc_status gs; /* gRPC: grpc-status and details of the last answer */
	char *url;		    /* the request URL */
	struct ev_timer batch_timer, retry_timer;
	struct otlp_http_stats st;
	struct log_ratelimit rl;
	uint64_t rnd;
	char errbuf[CURL_ERROR_SIZE]; /* libcurl's detail of a failed transfer (the host, errno) */
};

/*
 * Validates cfg (URL scheme http/https, header names are tokens, no CR/LF in any value) and
 * sets up the exporter on loop. curl_global_init must have run. 0; -EINVAL with err naming
 * the bad part (never a header value); -ENOMEM.
 */
int otlp_http_init(struct otlp_http *x, struct evloop *loop, const struct otlp_http_config *cfg,
		   char *err, size_t errlen);
void otlp_http_free(struct otlp_http *x);

/*
 * Takes a batch of finished spans (read during the call only; never blocks). Spans beyond
 * the queue's room are dropped and counted. Returns the number of spans accepted.
 */
size_t otlp_http_export(struct otlp_http *x, const struct span *const *spans, size_t n);

/*
 * Metrics: takes one encoded ExportMetricsServiceRequest (protobuf or JSON as configured,
 * uncompressed) holding n_items data points; body is consumed. Dropped and counted when the
 * queue has no room or it exceeds max_request_bytes (the caller splits). Returns n_items
 * if accepted, else 0. It waits for the batch timer or otlp_http_flush().
 */
size_t otlp_http_export_encoded(struct otlp_http *x, struct otlp_buf *body, size_t n_items);

/* Sends the partial batch now (shutdown, or an explicit flush). */
void otlp_http_flush(struct otlp_http *x);
/* Nothing pending, queued or in flight. */
bool otlp_http_idle(const struct otlp_http *x);
/* Spans (or data points) held: filling a batch, sealed, or in flight. */
size_t otlp_http_held(const struct otlp_http *x);
/* At shutdown: counts what is still held as unsent (st.unsent) and returns it. */
size_t otlp_http_abandon(struct otlp_http *x);

#endif /* OBI_OTLP_HTTP_H */
