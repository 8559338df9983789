/* otlp_encode.c: spans -> ExportTraceServiceRequest protobuf through nanopb encode callbacks. */
#include "otlp_encode.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pb_encode.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

typedef opentelemetry_proto_trace_v1_Span otlp_pb_span;
typedef opentelemetry_proto_trace_v1_ScopeSpans otlp_pb_scope_spans;
typedef opentelemetry_proto_trace_v1_ResourceSpans otlp_pb_resource_spans;

/* Borrowed pointers travel through nanopb's void *arg; nanopb never writes through them. */
#define OTLP_ARG(p) ((void *)(p))

struct otlp_attr_list {
	const struct otlp_attr *a;
	size_t n;
};

/* One service's slice of the batch: its resource and its spans already encoded. */
struct otlp_pb_group {
	const struct otlp_scope *scope;
	struct otlp_resource res;
	struct otlp_attr_list res_attrs;
	struct otlp_buf spans; /* repeated ScopeSpans.spans, tags included */
};

struct otlp_pb_req {
	struct otlp_pb_group *groups;
	size_t n_groups;
};

static bool otlp_pb_write(pb_ostream_t *os, const pb_byte_t *buf, size_t n)
{
	return otlp_buf_append(os->state, buf, n) == 0;
}

static pb_ostream_t otlp_pb_stream(struct otlp_buf *b)
{
	return (pb_ostream_t){.callback = otlp_pb_write, .state = b, .max_size = SIZE_MAX};
}

static bool otlp_cb_str(pb_ostream_t *os, const pb_field_iter_t *f, void *const *arg)
{
	const char *s = *arg;

	return pb_encode_tag_for_field(os, f) &&
	       pb_encode_string(os, (const pb_byte_t *)s, strlen(s));
}

static bool otlp_cb_id16(pb_ostream_t *os, const pb_field_iter_t *f, void *const *arg)
{
	return pb_encode_tag_for_field(os, f) && pb_encode_string(os, *arg, 16);
}

static bool otlp_cb_id8(pb_ostream_t *os, const pb_field_iter_t *f, void *const *arg)
{
	return pb_encode_tag_for_field(os, f) && pb_encode_string(os, *arg, 8);
}

/* Bytes that already hold complete fields (tags included). */
static bool otlp_cb_raw(pb_ostream_t *os, const pb_field_iter_t *f, void *const *arg)
{
	const struct otlp_buf *b = *arg;

	(void)f;
	return pb_write(os, b->data, b->len);
}

static size_t otlp_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Bytes of the AnyValue message for a (each value field's tag is one byte). */
static size_t otlp_anyvalue_len(const struct otlp_attr *a, size_t slen)
{
	switch (a->type) {
	case OTLP_ATTR_STR:
		return 1 + otlp_varint_len(slen) + slen;
	case OTLP_ATTR_INT:
		return 1 + otlp_varint_len((uint64_t)a->v.i);
	case OTLP_ATTR_BOOL:
		return 2;
	case OTLP_ATTR_DOUBLE:
		return 1 + 8;
	}
	return 0;
}

static bool otlp_pb_anyvalue(pb_ostream_t *os, const struct otlp_attr *a, size_t slen)
{
	switch (a->type) {
	case OTLP_ATTR_STR:
		return pb_encode_tag(os, PB_WT_STRING,
				     opentelemetry_proto_common_v1_AnyValue_string_value_tag) &&
		       pb_encode_string(os, (const pb_byte_t *)a->v.s, slen);
	case OTLP_ATTR_INT:
		return pb_encode_tag(os, PB_WT_VARINT,
				     opentelemetry_proto_common_v1_AnyValue_int_value_tag) &&
		       pb_encode_varint(os, (uint64_t)a->v.i);
	case OTLP_ATTR_BOOL:
		return pb_encode_tag(os, PB_WT_VARINT,
				     opentelemetry_proto_common_v1_AnyValue_bool_value_tag) &&
		       pb_encode_varint(os, a->v.b);
	case OTLP_ATTR_DOUBLE:
		return pb_encode_tag(os, PB_WT_64BIT,
				     opentelemetry_proto_common_v1_AnyValue_double_value_tag) &&
		       pb_encode_fixed64(os, &a->v.d);
	}
	return false;
}

/*
 * KeyValue and AnyValue are written with nanopb's primitives and sizes computed here: they
 * are most of every span's bytes, and nanopb's generic path (a sizing pass per nesting level,
 * a walk over all seven AnyValue members each time) cost ~10x more (docs/architecture.md).
 */
static bool otlp_cb_attrs(pb_ostream_t *os, const pb_field_iter_t *f, void *const *arg)
{
	const struct otlp_attr_list *l = *arg;

	for (size_t i = 0; i < l->n; i++) {
		const struct otlp_attr *a = &l->a[i];
		size_t klen = strlen(a->key), slen = a->type == OTLP_ATTR_STR ? strlen(a->v.s) : 0;
		size_t alen = otlp_anyvalue_len(a, slen);
		size_t kvlen = 1 + otlp_varint_len(klen) + klen + 1 + otlp_varint_len(alen) + alen;

		if (!pb_encode_tag_for_field(os, f) || !pb_encode_varint(os, kvlen) ||
		    !pb_encode_tag(os, PB_WT_STRING,
				   opentelemetry_proto_common_v1_KeyValue_key_tag) ||
		    !pb_encode_string(os, (const pb_byte_t *)a->key, klen) ||
		    !pb_encode_tag(os, PB_WT_STRING,
				   opentelemetry_proto_common_v1_KeyValue_value_tag) ||
		    !pb_encode_varint(os, alen) || !otlp_pb_anyvalue(os, a, slen))
			return false;
	}
	return true;
}

/* Appends one span as a ScopeSpans.spans field. */
static bool otlp_pb_span_append(pb_ostream_t *os, const struct span *sp)
{
	otlp_pb_span m = opentelemetry_proto_trace_v1_Span_init_zero;
	struct otlp_span v;
	struct otlp_attr_list attrs;

	otlp_span_view(sp, &v);
	attrs = (struct otlp_attr_list){.a = v.attrs, .n = v.n_attrs};
	m.trace_id = (pb_callback_t){.funcs.encode = otlp_cb_id16, .arg = OTLP_ARG(v.trace_id)};
	m.span_id = (pb_callback_t){.funcs.encode = otlp_cb_id8, .arg = OTLP_ARG(v.span_id)};
	if (v.parent_span_id)
		m.parent_span_id =
		    (pb_callback_t){.funcs.encode = otlp_cb_id8, .arg = OTLP_ARG(v.parent_span_id)};
	m.name = (pb_callback_t){.funcs.encode = otlp_cb_str, .arg = OTLP_ARG(v.name)};
	m.kind = (opentelemetry_proto_trace_v1_Span_SpanKind)v.kind;
	m.flags = v.flags;
	m.start_time_unix_nano = v.start_ns;
	m.end_time_unix_nano = v.end_ns;
	m.attributes = (pb_callback_t){.funcs.encode = otlp_cb_attrs, .arg = &attrs};
	m.has_status = true;
	m.status.code = (opentelemetry_proto_trace_v1_Status_StatusCode)v.status;
	return pb_encode_tag(os, PB_WT_STRING, opentelemetry_proto_trace_v1_ScopeSpans_spans_tag) &&
	       pb_encode_submessage(os, opentelemetry_proto_trace_v1_Span_fields, &m);
}

static bool otlp_cb_scope_spans(pb_ostream_t *os, const pb_field_iter_t *f, void *const *arg)
{
	const struct otlp_pb_group *g = *arg;
	otlp_pb_scope_spans m = opentelemetry_proto_trace_v1_ScopeSpans_init_zero;

	m.has_scope = true;
	m.scope.name =
	    (pb_callback_t){.funcs.encode = otlp_cb_str, .arg = OTLP_ARG(g->scope->name)};
	m.scope.version =
	    (pb_callback_t){.funcs.encode = otlp_cb_str, .arg = OTLP_ARG(g->scope->version)};
	m.spans = (pb_callback_t){.funcs.encode = otlp_cb_raw, .arg = OTLP_ARG(&g->spans)};
	return pb_encode_tag_for_field(os, f) &&
	       pb_encode_submessage(os, opentelemetry_proto_trace_v1_ScopeSpans_fields, &m);
}

static bool otlp_cb_resource_spans(pb_ostream_t *os, const pb_field_iter_t *f, void *const *arg)
{
	const struct otlp_pb_req *req = *arg;

	for (size_t i = 0; i < req->n_groups; i++) {
		const struct otlp_pb_group *g = &req->groups[i];
		otlp_pb_resource_spans m = opentelemetry_proto_trace_v1_ResourceSpans_init_zero;

		m.has_resource = true;
		m.resource.attributes =
		    (pb_callback_t){.funcs.encode = otlp_cb_attrs, .arg = OTLP_ARG(&g->res_attrs)};
		m.scope_spans =
		    (pb_callback_t){.funcs.encode = otlp_cb_scope_spans, .arg = OTLP_ARG(g)};
		if (!pb_encode_tag_for_field(os, f) ||
		    !pb_encode_submessage(os, opentelemetry_proto_trace_v1_ResourceSpans_fields,
					  &m))
			return false;
	}
	return true;
}

/* Builds group k's resource and encodes its spans once (outer sizing passes then only copy). */
static int otlp_pb_group_fill(struct otlp_pb_group *pg, const struct otlp_groups *g, size_t k,
			      const struct span *const *spans, const struct otlp_host *host)
{
	pb_ostream_t os = otlp_pb_stream(&pg->spans);
	int rc = otlp_resource_build(&pg->res, g->svc[k], host);

	if (rc)
		return rc;
	pg->res_attrs = (struct otlp_attr_list){.a = pg->res.attrs, .n = pg->res.n_attrs};
	for (size_t j = g->start[k]; j < g->start[k + 1]; j++)
		if (!otlp_pb_span_append(&os, spans[g->order[j]]))
			return -ENOMEM; /* only our buffer can fail a span's encoding */
	return 0;
}

int otlp_encode_traces_pb(const struct span *const *spans, size_t n, const struct otlp_host *host,
			  const struct otlp_scope *scope, struct otlp_buf *out,
			  struct otlp_encode_stats *st)
{
	opentelemetry_proto_collector_trace_v1_ExportTraceServiceRequest m =
	    opentelemetry_proto_collector_trace_v1_ExportTraceServiceRequest_init_zero;
	struct otlp_pb_req req = {0};
	struct otlp_groups g;
	pb_ostream_t os = otlp_pb_stream(out);
	int rc = otlp_groups_build(&g, spans, n);

	if (rc)
		return rc;
	req.groups = calloc(g.n_groups ? g.n_groups : 1, sizeof(*req.groups));
	rc = req.groups ? 0 : -ENOMEM;
	for (size_t k = 0; !rc && k < g.n_groups; k++, req.n_groups++) {
		req.groups[k].scope = scope;
		rc = otlp_pb_group_fill(&req.groups[k], &g, k, spans, host);
		st->bad_resource_env += req.groups[k].res.bad_env;
	}
	st->resources += req.n_groups;
	m.resource_spans = (pb_callback_t){.funcs.encode = otlp_cb_resource_spans, .arg = &req};
	if (!rc &&
	    !pb_encode(&os, opentelemetry_proto_collector_trace_v1_ExportTraceServiceRequest_fields,
		       &m))
		rc = -EIO;
	for (size_t k = 0; k < req.n_groups; k++) {
		otlp_resource_free(&req.groups[k].res);
		otlp_buf_free(&req.groups[k].spans);
	}
	free(req.groups);
	otlp_groups_free(&g);
	return rc;
}
