/* otlp_encode.h: spans -> OTLP ExportTraceServiceRequest, as protobuf (nanopb) or OTLP/JSON. */
#ifndef OBI_OTLP_ENCODE_H
#define OBI_OTLP_ENCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "otlp_model.h"
#include "span.h"

/* What one encoding call saw (resources it built, malformed OTEL_RESOURCE_ATTRIBUTES lists). */
struct otlp_encode_stats {
	size_t resources;
	unsigned bad_resource_env;
};

/*
 * Appends one ExportTraceServiceRequest holding spans[0..n) to out: one ResourceSpans per
 * service (first-seen order), one ScopeSpans under scope, spans in arrival order.
 * Returns 0, -ENOMEM, or -EIO if nanopb refused (out then holds a partial message: discard).
 */
int otlp_encode_traces_pb(const struct span *const *spans, size_t n, const struct otlp_host *host,
			  const struct otlp_scope *scope, struct otlp_buf *out,
			  struct otlp_encode_stats *st);

/* The same request in the OTLP/JSON mapping (hex ids, 64-bit integers as strings), no NUL. */
int otlp_encode_traces_json(const struct span *const *spans, size_t n, const struct otlp_host *host,
			    const struct otlp_scope *scope, struct otlp_buf *out,
			    struct otlp_encode_stats *st);

/* The same, leaving out the span attributes sel drops (attributes.select `traces`; NULL: none).
 */
struct otlp_span_select;
int otlp_encode_traces_pb_sel(const struct span *const *spans, size_t n,
			      const struct otlp_host *host, const struct otlp_scope *scope,
			      const struct otlp_span_select *sel, struct otlp_buf *out,
			      struct otlp_encode_stats *st);
int otlp_encode_traces_json_sel(const struct span *const *spans, size_t n,
				const struct otlp_host *host, const struct otlp_scope *scope,
				const struct otlp_span_select *sel, struct otlp_buf *out,
				struct otlp_encode_stats *st);

/* OTLP/JSON's "attributes" array of o (typed AnyValues, int64 as strings), for every JSON
 * encoder (traces, metrics). false when cJSON runs out of memory. */
struct cJSON;
bool otlp_json_attrs(struct cJSON *o, const struct otlp_attr *a, size_t n);

#endif /* OBI_OTLP_ENCODE_H */
