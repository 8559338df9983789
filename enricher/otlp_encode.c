/* otlp_encode.c: spans -> ExportTraceServiceRequest protobuf, each span sized then written once. */
#include "otlp_encode.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_encode_select.h"
#include "otlp_pbw.h"

/* Field numbers come from nanopb's output for proto/ (the one source of them). */
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

/*
 * Why not pb_encode: nanopb writes through a stream callback per field (a buffer append per
 * tag, length and value) and walks every field descriptor of every message, a sizing pass per
 * nesting level; that was ~27k instructions per span, most of the enricher's time
 * (docs/benchmarks.md, "Enricher capacity"). Here each span's size is computed from its view,
 * space is reserved once and the bytes are written with plain stores. The output is the bytes
 * nanopb wrote (fields in number order, proto3 zero scalars omitted, status always present):
 * tests/unit/test_otlp_encode.c holds them.
 */
#define T(msg, f, wt) OTLP_PBW_TAG(opentelemetry_proto_##msg##_##f##_tag, OTLP_PBW_##wt)
#define T_REQ_RS T(collector_trace_v1_ExportTraceServiceRequest, resource_spans, LEN)
#define T_RS_RESOURCE T(trace_v1_ResourceSpans, resource, LEN)
#define T_RS_SCOPE_SPANS T(trace_v1_ResourceSpans, scope_spans, LEN)
#define T_RES_ATTRS T(resource_v1_Resource, attributes, LEN)
#define T_SS_SCOPE T(trace_v1_ScopeSpans, scope, LEN)
#define T_SS_SPANS T(trace_v1_ScopeSpans, spans, LEN)
#define T_SCOPE_NAME T(common_v1_InstrumentationScope, name, LEN)
#define T_SCOPE_VERSION T(common_v1_InstrumentationScope, version, LEN)
#define T_KV_KEY T(common_v1_KeyValue, key, LEN)
#define T_KV_VALUE T(common_v1_KeyValue, value, LEN)
#define T_AV_STR T(common_v1_AnyValue, string_value, LEN)
#define T_AV_BOOL T(common_v1_AnyValue, bool_value, VARINT)
#define T_AV_INT T(common_v1_AnyValue, int_value, VARINT)
#define T_AV_DOUBLE T(common_v1_AnyValue, double_value, I64)
#define T_SPAN_TRACE_ID T(trace_v1_Span, trace_id, LEN)
#define T_SPAN_SPAN_ID T(trace_v1_Span, span_id, LEN)
#define T_SPAN_PARENT T(trace_v1_Span, parent_span_id, LEN)
#define T_SPAN_NAME T(trace_v1_Span, name, LEN)
#define T_SPAN_KIND T(trace_v1_Span, kind, VARINT)
#define T_SPAN_START T(trace_v1_Span, start_time_unix_nano, I64)
#define T_SPAN_END T(trace_v1_Span, end_time_unix_nano, I64)
#define T_SPAN_ATTRS T(trace_v1_Span, attributes, LEN)
#define T_SPAN_STATUS T(trace_v1_Span, status, LEN)
#define T_SPAN_FLAGS T(trace_v1_Span, flags, I32)
#define T_STATUS_CODE T(trace_v1_Status, code, VARINT)

/* Bytes of an HTTP span with its 14 attributes, about (enricher_bench: 468 with the resource). */
#define OTLP_PB_SPAN_TYPICAL 512

/* Lengths of one KeyValue, computed once for its sizing and its writing. */
struct otlp_pb_kvsz {
	size_t klen, slen, alen, kvlen;
};

static size_t otlp_pb_anyvalue_len(const struct otlp_attr *a, size_t slen)
{
	switch (a->type) {
	case OTLP_ATTR_STR:
		return otlp_pbw_len_field(T_AV_STR, slen);
	case OTLP_ATTR_INT:
		return otlp_pbw_varint_len(T_AV_INT) + otlp_pbw_varint_len((uint64_t)a->v.i);
	case OTLP_ATTR_BOOL:
		return otlp_pbw_varint_len(T_AV_BOOL) + 1;
	case OTLP_ATTR_DOUBLE:
		return otlp_pbw_varint_len(T_AV_DOUBLE) + 8;
	}
	return 0;
}

static uint8_t *otlp_pb_anyvalue(uint8_t *p, const struct otlp_attr *a, size_t slen)
{
	uint64_t bits;

	switch (a->type) {
	case OTLP_ATTR_STR:
		return otlp_pbw_bytes(p, T_AV_STR, a->v.s, slen);
	case OTLP_ATTR_INT:
		return otlp_pbw_varint(otlp_pbw_varint(p, T_AV_INT), (uint64_t)a->v.i);
	case OTLP_ATTR_BOOL:
		return otlp_pbw_varint(otlp_pbw_varint(p, T_AV_BOOL), a->v.b ? 1 : 0);
	case OTLP_ATTR_DOUBLE:
		memcpy(&bits, &a->v.d, sizeof(bits));
		return otlp_pbw_fixed64(p, T_AV_DOUBLE, bits);
	}
	return p;
}

/* Bytes of n repeated KeyValue fields with tag; fills sz[0..n). */
static size_t otlp_pb_kvs_size(uint32_t tag, const struct otlp_attr *a, size_t n,
			       struct otlp_pb_kvsz *sz)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++) {
		struct otlp_pb_kvsz *z = &sz[i];

		z->klen = a[i].klen ? a[i].klen : strlen(a[i].key);
		z->slen = a[i].type != OTLP_ATTR_STR ? 0 : a[i].vlen ? a[i].vlen : strlen(a[i].v.s);
		z->alen = otlp_pb_anyvalue_len(&a[i], z->slen);
		z->kvlen =
		    otlp_pbw_len_field(T_KV_KEY, z->klen) + otlp_pbw_len_field(T_KV_VALUE, z->alen);
		total += otlp_pbw_len_field(tag, z->kvlen);
	}
	return total;
}

static uint8_t *otlp_pb_kvs(uint8_t *p, uint32_t tag, const struct otlp_attr *a, size_t n,
			    const struct otlp_pb_kvsz *sz)
{
	for (size_t i = 0; i < n; i++) {
		p = otlp_pbw_len_hdr(p, tag, sz[i].kvlen);
		p = otlp_pbw_bytes(p, T_KV_KEY, a[i].key, sz[i].klen);
		p = otlp_pbw_len_hdr(p, T_KV_VALUE, sz[i].alen);
		p = otlp_pb_anyvalue(p, &a[i], sz[i].slen);
	}
	return p;
}

/* One span's lengths: its attributes', name, Status message and whole body. */
struct otlp_pb_spansz {
	struct otlp_pb_kvsz kv[OTLP_SPAN_ATTRS_MAX];
	size_t name_len, status_len, body;
};

static void otlp_pb_span_size(const struct otlp_span *v, struct otlp_pb_spansz *s)
{
	size_t b = otlp_pbw_len_field(T_SPAN_TRACE_ID, 16) + otlp_pbw_len_field(T_SPAN_SPAN_ID, 8);

	s->name_len = strlen(v->name);
	s->status_len =
	    v->status ? otlp_pbw_varint_len(T_STATUS_CODE) + otlp_pbw_varint_len(v->status) : 0;
	if (v->parent_span_id)
		b += otlp_pbw_len_field(T_SPAN_PARENT, 8);
	b += otlp_pbw_len_field(T_SPAN_NAME, s->name_len);
	if (v->kind)
		b += otlp_pbw_varint_len(T_SPAN_KIND) + otlp_pbw_varint_len(v->kind);
	if (v->start_ns)
		b += otlp_pbw_varint_len(T_SPAN_START) + 8;
	if (v->end_ns)
		b += otlp_pbw_varint_len(T_SPAN_END) + 8;
	b += otlp_pb_kvs_size(T_SPAN_ATTRS, v->attrs, v->n_attrs, s->kv);
	b += otlp_pbw_len_field(T_SPAN_STATUS, s->status_len);
	if (v->flags)
		b += otlp_pbw_varint_len(T_SPAN_FLAGS) + 4;
	s->body = b;
}

static uint8_t *otlp_pb_span_write(uint8_t *p, const struct otlp_span *v,
				   const struct otlp_pb_spansz *s)
{
	p = otlp_pbw_bytes(p, T_SPAN_TRACE_ID, v->trace_id, 16);
	p = otlp_pbw_bytes(p, T_SPAN_SPAN_ID, v->span_id, 8);
	if (v->parent_span_id)
		p = otlp_pbw_bytes(p, T_SPAN_PARENT, v->parent_span_id, 8);
	p = otlp_pbw_bytes(p, T_SPAN_NAME, v->name, s->name_len);
	if (v->kind)
		p = otlp_pbw_varint(otlp_pbw_varint(p, T_SPAN_KIND), v->kind);
	if (v->start_ns)
		p = otlp_pbw_fixed64(p, T_SPAN_START, v->start_ns);
	if (v->end_ns)
		p = otlp_pbw_fixed64(p, T_SPAN_END, v->end_ns);
	p = otlp_pb_kvs(p, T_SPAN_ATTRS, v->attrs, v->n_attrs, s->kv);
	p = otlp_pbw_len_hdr(p, T_SPAN_STATUS, s->status_len);
	if (v->status)
		p = otlp_pbw_varint(otlp_pbw_varint(p, T_STATUS_CODE), v->status);
	if (v->flags)
		p = otlp_pbw_fixed32(p, T_SPAN_FLAGS, v->flags);
	return p;
}

/* Appends one span as a ScopeSpans.spans field. 0, -ENOMEM, or -EIO (sizing bug). */
static int otlp_pb_span_append(struct otlp_buf *b, const struct span *sp,
			       const struct otlp_span_select *sel)
{
	struct otlp_span v;
	struct otlp_pb_spansz s;
	size_t total;
	uint8_t *p;

	otlp_span_view(sp, &v);
	otlp_span_select_apply(sel, &v);
	otlp_pb_span_size(&v, &s);
	total = otlp_pbw_len_field(T_SS_SPANS, s.body);
	if (otlp_buf_reserve(b, total))
		return -ENOMEM;
	p = otlp_pbw_len_hdr(b->data + b->len, T_SS_SPANS, s.body);
	p = otlp_pb_span_write(p, &v, &s);
	if ((size_t)(p - (b->data + b->len)) != total)
		return -EIO;
	b->len += total;
	return 0;
}

/* The lengths of one ResourceSpans around its already encoded spans. */
struct otlp_pb_groupsz {
	struct otlp_pb_kvsz *kv;
	size_t name_len, version_len, res, scope, ss, rs;
};

static void otlp_pb_group_size(struct otlp_pb_groupsz *z, const struct otlp_resource *res,
			       const struct otlp_scope *scope, size_t spans_len)
{
	z->res = otlp_pb_kvs_size(T_RES_ATTRS, res->attrs, res->n_attrs, z->kv);
	z->name_len = strlen(scope->name);
	z->version_len = strlen(scope->version);
	z->scope = otlp_pbw_len_field(T_SCOPE_NAME, z->name_len) +
		   otlp_pbw_len_field(T_SCOPE_VERSION, z->version_len);
	z->ss = otlp_pbw_len_field(T_SS_SCOPE, z->scope) + spans_len;
	z->rs =
	    otlp_pbw_len_field(T_RS_RESOURCE, z->res) + otlp_pbw_len_field(T_RS_SCOPE_SPANS, z->ss);
}

/* The bytes of one ResourceSpans before its spans (its tag and length included). */
static size_t otlp_pb_group_head_len(const struct otlp_pb_groupsz *z, size_t spans_len)
{
	return otlp_pbw_len_field(T_REQ_RS, z->rs) - spans_len;
}

/* Writes the head of a ResourceSpans at p: the resource, then ScopeSpans up to its spans. */
static uint8_t *otlp_pb_group_head(uint8_t *p, const struct otlp_pb_groupsz *z,
				   const struct otlp_resource *res, const struct otlp_scope *scope)
{
	p = otlp_pbw_len_hdr(p, T_REQ_RS, z->rs);
	p = otlp_pbw_len_hdr(p, T_RS_RESOURCE, z->res);
	p = otlp_pb_kvs(p, T_RES_ATTRS, res->attrs, res->n_attrs, z->kv);
	p = otlp_pbw_len_hdr(p, T_RS_SCOPE_SPANS, z->ss);
	p = otlp_pbw_len_hdr(p, T_SS_SCOPE, z->scope);
	p = otlp_pbw_bytes(p, T_SCOPE_NAME, scope->name, z->name_len);
	return otlp_pbw_bytes(p, T_SCOPE_VERSION, scope->version, z->version_len);
}

/*
 * Appends group k as one ResourceSpans. Its spans are encoded in place, after room left for
 * the head, whose length depends on theirs only through two varints: guessed from a typical
 * span, and the spans moved only when the guess was wrong (a group crossing 16 KiB or 2 MiB of
 * encoding). Before, they went through a scratch buffer and were copied over every time.
 */
static int otlp_pb_group_spans(const struct otlp_groups *g, size_t k,
			       const struct span *const *spans, const struct otlp_resource *res,
			       const struct otlp_scope *scope, const struct otlp_span_select *sel,
			       struct otlp_buf *out)
{
	struct otlp_pb_groupsz z = {.kv = calloc(res->n_attrs ? res->n_attrs : 1, sizeof(*z.kv))};
	size_t start = out->len, guess, head, len;
	int rc = z.kv ? 0 : -ENOMEM;

	if (!rc) {
		otlp_pb_group_size(&z, res, scope,
				   (g->start[k + 1] - g->start[k]) * OTLP_PB_SPAN_TYPICAL);
		guess = otlp_pb_group_head_len(&z, (g->start[k + 1] - g->start[k]) *
						       OTLP_PB_SPAN_TYPICAL);
		/* Room for the head and for varints longer than guessed (5 bytes each at most). */
		rc = otlp_buf_reserve(out, guess + 10);
	}
	if (!rc)
		out->len += guess;
	for (size_t j = g->start[k]; !rc && j < g->start[k + 1]; j++)
		rc = otlp_pb_span_append(out, spans[g->order[j]], sel);
	if (!rc) {
		len = out->len - start - guess;
		otlp_pb_group_size(&z, res, scope, len);
		head = otlp_pb_group_head_len(&z, len);
		rc = head > guess ? otlp_buf_reserve(out, head - guess) : 0;
	}
	if (!rc && head != guess)
		memmove(out->data + start + head, out->data + start + guess, len);
	if (!rc &&
	    otlp_pb_group_head(out->data + start, &z, res, scope) != out->data + start + head)
		rc = -EIO;
	out->len = rc ? start : start + head + len;
	free(z.kv);
	return rc;
}

/* Group k: its resource built once, then its ResourceSpans. */
static int otlp_pb_group(const struct otlp_groups *g, size_t k, const struct span *const *spans,
			 const struct otlp_host *host, const struct otlp_scope *scope,
			 const struct otlp_span_select *sel, struct otlp_buf *out,
			 struct otlp_encode_stats *st)
{
	struct otlp_resource res;
	int rc = otlp_resource_build(&res, g->svc[k], host);

	if (rc)
		return rc;
	st->resources++;
	st->bad_resource_env += res.bad_env;
	rc = otlp_pb_group_spans(g, k, spans, &res, scope, sel, out);
	otlp_resource_free(&res);
	return rc;
}

int otlp_encode_traces_pb(const struct span *const *spans, size_t n, const struct otlp_host *host,
			  const struct otlp_scope *scope, struct otlp_buf *out,
			  struct otlp_encode_stats *st)
{
	return otlp_encode_traces_pb_sel(spans, n, host, scope, NULL, out, st);
}

int otlp_encode_traces_pb_sel(const struct span *const *spans, size_t n,
			      const struct otlp_host *host, const struct otlp_scope *scope,
			      const struct otlp_span_select *sel, struct otlp_buf *out,
			      struct otlp_encode_stats *st)
{
	struct otlp_groups g;
	int rc = otlp_groups_build(&g, spans, n);

	/* Room for a typical span each up front (they grow when larger): no realloc chain from
	 * 4 KiB per call, each copying what was already written. */
	if (!rc && n)
		rc = otlp_buf_reserve(out, n * OTLP_PB_SPAN_TYPICAL + 1024);
	for (size_t k = 0; !rc && k < g.n_groups; k++)
		rc = otlp_pb_group(&g, k, spans, host, scope, sel, out, st);
	otlp_groups_free(&g); /* a failed build left it empty */
	return rc;
}
