/* span.h: a finished span as the enricher hands it to printers and exporters. */
#ifndef OBI_SPAN_H
#define OBI_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Values are OTLP's SpanKind and Status.StatusCode. */
enum span_kind { SPAN_KIND_INTERNAL = 1, SPAN_KIND_SERVER = 2, SPAN_KIND_CLIENT = 3 };
enum span_status { SPAN_STATUS_UNSET = 0, SPAN_STATUS_OK = 1, SPAN_STATUS_ERROR = 2 };

/* The service (resource) a span belongs to; owned by the process table. */
struct span_service {
	const char *name;	    /* service.name */
	const char *namespace_;	    /* service.namespace; "" if none */
	const char *instance_id;    /* service.instance.id */
	const char *sdk_language;   /* telemetry.sdk.language ("generic" when unknown) */
	const char *exe_path;	    /* process.executable.path */
	const char *resource_attrs; /* raw OTEL_RESOURCE_ATTRIBUTES of the process; "" if none */
	uint32_t pid;		    /* host pid */
	unsigned selector; /* 1 + the discovery selector that chose it; 0: the legacy criteria */
};

#define SPAN_STR_MAX 1024
/* An IP, or a Kubernetes name (span_peer.c): Service names fit (63), most pod and node ones
 * too; a longer name keeps the IP. */
#define SPAN_ADDR_MAX 128

struct span {
	/* Scalars first: span_reset zeroes everything up to `name` in one memset. */
	enum span_kind kind;
	enum span_status status;
	uint64_t start_ns; /* Unix epoch nanoseconds: request start */
	uint64_t end_ns;   /* Unix epoch nanoseconds: end of the exchange */
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_span_id[8]; /* all zero: root span */
	uint8_t trace_flags;
	bool resp_cut; /* obi.http.response.cut: still flowing at the max duration */
	/* Set by the stages before the sinks (routes.ignored_patterns, filters): the span still
	 * reaches the sinks it is not dropped from, e.g. metrics of an ignored trace. */
	bool drop_traces;
	bool drop_metrics;
	int status_code;	 /* http.response.status_code; 0: no response */
	uint64_t req_body_size;	 /* http.request.body.size */
	uint64_t resp_body_size; /* http.response.body.size */
	uint64_t req_bytes;	 /* whole request on the wire, headers included */
	uint64_t resp_bytes;	 /* whole response on the wire, headers included */
	uint16_t peer_port;	 /* client's port (server spans) */
	uint16_t host_port;	 /* server.port */
	const struct span_service *svc;

	/*
	 * Text: ~7 KB of fixed buffers of which a span uses a few hundred bytes, so every
	 * string field is listed in SPAN_STRINGS below and span_reset empties each by its first
	 * byte (a memset of the whole span was ~60 ns of the ~500 ns a span's parse costs). An
	 * empty string is an absent attribute.
	 */
	char name[SPAN_STR_MAX + 32];	      /* "GET" now; "GET /route" when routes exist */
	char method[32];		      /* http.request.method */
	char path[SPAN_STR_MAX];	      /* url.path */
	char query[SPAN_STR_MAX];	      /* url.query, without '?' */
	char route[SPAN_STR_MAX];	      /* http.route */
	char full_url[SPAN_STR_MAX * 2 + 64]; /* url.full (client spans) */
	char host_header[256];		      /* Host header, without port */
	char user_agent[256];		      /* user_agent.original */
	char protocol_version[8];	      /* network.protocol.version: "1.0", "1.1" */
	/* Peer is always the client side, host always the server side (as OBI). */
	char peer_addr[SPAN_ADDR_MAX]; /* client.address (server spans) */
	char host_addr[SPAN_ADDR_MAX]; /* server.address */
};

/* Every string field of struct span, in order (the assertion below keeps the list whole). */
/* clang-format reflows an X-macro list differently on every pass. */
// clang-format off
#define SPAN_STRINGS(X) \
	X(name) X(method) X(path) X(query) X(route) X(full_url) X(host_header) X(user_agent) \
	X(protocol_version) X(peer_addr) X(host_addr)
// clang-format on

#define SPAN_STR_SIZE_(f) +sizeof(((struct span *)0)->f)
/* The scalars end where `name` starts and the listed strings fill the rest (but the tail
 * padding): a field added anywhere else, or left out of the list, fails here. */
_Static_assert(sizeof(struct span) - (offsetof(struct span, name) SPAN_STRINGS(SPAN_STR_SIZE_)) <
		   _Alignof(struct span),
	       "struct span: every string field after the scalars, and in SPAN_STRINGS");

#endif /* OBI_SPAN_H */
