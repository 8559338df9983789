/* otlp_encode_metrics.c: metric views -> ExportMetricsServiceRequest protobuf (nanopb primitives,
 * each nested message built in its level's scratch buffer, then length-prefixed into its parent).
 */
#include "otlp_encode_metrics.h"

#include <errno.h>
#include <string.h>

#include <pb_encode.h>

#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

#define MPB(x) opentelemetry_proto_metrics_v1_##x
#define CPB(x) opentelemetry_proto_common_v1_##x

enum {
	OTLP_MW_REQ,
	OTLP_MW_RM,
	OTLP_MW_SM,
	OTLP_MW_METRIC,
	OTLP_MW_DATA,
	OTLP_MW_POINT,
	OTLP_MW_KV,
	OTLP_MW_ANY,
	OTLP_MW_LEVELS
};

/* One scratch buffer per nesting level, reused across siblings (no allocation per point). */
struct otlp_mw {
	struct otlp_buf b[OTLP_MW_LEVELS];
};

static bool otlp_mw_write(pb_ostream_t *os, const pb_byte_t *buf, size_t n)
{
	return otlp_buf_append(os->state, buf, n) == 0;
}

static pb_ostream_t otlp_mw_os(struct otlp_buf *b)
{
	return (pb_ostream_t){.callback = otlp_mw_write, .state = b, .max_size = SIZE_MAX};
}

static bool otlp_mw_bytes(struct otlp_buf *b, uint32_t tag, const void *p, size_t n)
{
	pb_ostream_t os = otlp_mw_os(b);

	return pb_encode_tag(&os, PB_WT_STRING, tag) && pb_encode_string(&os, p, n);
}

static bool otlp_mw_str(struct otlp_buf *b, uint32_t tag, const char *s)
{
	return !s || !s[0] || otlp_mw_bytes(b, tag, s, strlen(s));
}

/* Closes level d: its bytes become field tag of level d - 1. */
static bool otlp_mw_close(struct otlp_mw *w, int d, uint32_t tag)
{
	bool ok = otlp_mw_bytes(&w->b[d - 1], tag, w->b[d].data, w->b[d].len);

	w->b[d].len = 0;
	return ok;
}

static bool otlp_mw_varint(struct otlp_buf *b, uint32_t tag, uint64_t v)
{
	pb_ostream_t os = otlp_mw_os(b);

	return pb_encode_tag(&os, PB_WT_VARINT, tag) && pb_encode_varint(&os, v);
}

static bool otlp_mw_fixed64(struct otlp_buf *b, uint32_t tag, const void *v)
{
	pb_ostream_t os = otlp_mw_os(b);

	return pb_encode_tag(&os, PB_WT_64BIT, tag) && pb_encode_fixed64(&os, v);
}

static bool otlp_mw_anyvalue(struct otlp_buf *b, const struct otlp_attr *a)
{
	switch (a->type) {
	case OTLP_ATTR_STR:
		return otlp_mw_bytes(b, CPB(AnyValue_string_value_tag), a->v.s, strlen(a->v.s));
	case OTLP_ATTR_INT:
		return otlp_mw_varint(b, CPB(AnyValue_int_value_tag), (uint64_t)a->v.i);
	case OTLP_ATTR_BOOL:
		return otlp_mw_varint(b, CPB(AnyValue_bool_value_tag), a->v.b);
	case OTLP_ATTR_DOUBLE:
		return otlp_mw_fixed64(b, CPB(AnyValue_double_value_tag), &a->v.d);
	}
	return false;
}

/* attributes of the message at level d (repeated KeyValue under tag). */
static bool otlp_mw_attrs(struct otlp_mw *w, int d, uint32_t tag, const struct otlp_attr *a,
			  size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!otlp_mw_bytes(&w->b[OTLP_MW_KV], CPB(KeyValue_key_tag), a[i].key,
				   strlen(a[i].key)) ||
		    !otlp_mw_anyvalue(&w->b[OTLP_MW_ANY], &a[i]) ||
		    !otlp_mw_close(w, OTLP_MW_ANY, CPB(KeyValue_value_tag)) ||
		    !otlp_mw_bytes(&w->b[d], tag, w->b[OTLP_MW_KV].data, w->b[OTLP_MW_KV].len))
			return false;
		else
			w->b[OTLP_MW_KV].len = 0;
	return true;
}

/* A packed repeated field of 8-byte values (fixed64 counts, double bounds). */
static bool otlp_mw_packed64(struct otlp_buf *b, uint32_t tag, const void *v, size_t n)
{
	pb_ostream_t os = otlp_mw_os(b);
	const uint8_t *p = v;

	if (!n)
		return true;
	if (!pb_encode_tag(&os, PB_WT_STRING, tag) || !pb_encode_varint(&os, n * 8))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!pb_encode_fixed64(&os, p + 8 * i))
			return false;
	return true;
}

static bool otlp_mw_hist_point(struct otlp_mw *w, const struct otlp_metric *m,
			       const struct otlp_hist_point *p)
{
	struct otlp_buf *b = &w->b[OTLP_MW_POINT];

	return otlp_mw_attrs(w, OTLP_MW_POINT, MPB(HistogramDataPoint_attributes_tag), p->attrs,
			     p->n_attrs) &&
	       otlp_mw_fixed64(b, MPB(HistogramDataPoint_start_time_unix_nano_tag), &p->start_ns) &&
	       otlp_mw_fixed64(b, MPB(HistogramDataPoint_time_unix_nano_tag), &p->time_ns) &&
	       otlp_mw_fixed64(b, MPB(HistogramDataPoint_count_tag), &p->count) &&
	       otlp_mw_fixed64(b, MPB(HistogramDataPoint_sum_tag), &p->sum) &&
	       otlp_mw_packed64(b, MPB(HistogramDataPoint_bucket_counts_tag), p->buckets,
				m->n_bounds + 1) &&
	       otlp_mw_packed64(b, MPB(HistogramDataPoint_explicit_bounds_tag), m->bounds,
				m->n_bounds) &&
	       (!p->count || (otlp_mw_fixed64(b, MPB(HistogramDataPoint_min_tag), &p->min) &&
			      otlp_mw_fixed64(b, MPB(HistogramDataPoint_max_tag), &p->max))) &&
	       otlp_mw_close(w, OTLP_MW_POINT, MPB(Histogram_data_points_tag));
}

static bool otlp_mw_sum_point(struct otlp_mw *w, const struct otlp_sum_point *p)
{
	struct otlp_buf *b = &w->b[OTLP_MW_POINT];

	return otlp_mw_attrs(w, OTLP_MW_POINT, MPB(NumberDataPoint_attributes_tag), p->attrs,
			     p->n_attrs) &&
	       otlp_mw_fixed64(b, MPB(NumberDataPoint_start_time_unix_nano_tag), &p->start_ns) &&
	       otlp_mw_fixed64(b, MPB(NumberDataPoint_time_unix_nano_tag), &p->time_ns) &&
	       otlp_mw_fixed64(b, MPB(NumberDataPoint_as_int_tag), &p->value) &&
	       otlp_mw_close(w, OTLP_MW_POINT, MPB(Sum_data_points_tag));
}

static bool otlp_mw_metric(struct otlp_mw *w, const struct otlp_metric *m)
{
	struct otlp_buf *mb = &w->b[OTLP_MW_METRIC], *db = &w->b[OTLP_MW_DATA];
	bool ok = otlp_mw_str(mb, MPB(Metric_name_tag), m->name) &&
		  otlp_mw_str(mb, MPB(Metric_description_tag), m->desc) &&
		  otlp_mw_str(mb, MPB(Metric_unit_tag), m->unit);

	for (size_t i = 0; ok && i < m->n_points; i++)
		ok = m->kind == OTLP_METRIC_HISTOGRAM ? otlp_mw_hist_point(w, m, &m->hist[i])
						      : otlp_mw_sum_point(w, &m->sum[i]);
	if (m->kind == OTLP_METRIC_HISTOGRAM)
		return ok &&
		       otlp_mw_varint(db, MPB(Histogram_aggregation_temporality_tag),
				      m->temporality) &&
		       otlp_mw_close(w, OTLP_MW_DATA, MPB(Metric_histogram_tag)) &&
		       otlp_mw_close(w, OTLP_MW_METRIC, MPB(ScopeMetrics_metrics_tag));
	return ok && otlp_mw_varint(db, MPB(Sum_aggregation_temporality_tag), m->temporality) &&
	       (!m->monotonic || otlp_mw_varint(db, MPB(Sum_is_monotonic_tag), 1)) &&
	       otlp_mw_close(w, OTLP_MW_DATA, MPB(Metric_sum_tag)) &&
	       otlp_mw_close(w, OTLP_MW_METRIC, MPB(ScopeMetrics_metrics_tag));
}

static bool otlp_mw_rm(struct otlp_mw *w, const struct otlp_rmetrics *rm,
		       const struct otlp_scope *scope)
{
	/* Resource and InstrumentationScope are built at levels below their parents too. */
	bool ok =
	    otlp_mw_attrs(w, OTLP_MW_SM, opentelemetry_proto_resource_v1_Resource_attributes_tag,
			  rm->res_attrs, rm->n_res_attrs) &&
	    otlp_mw_close(w, OTLP_MW_SM, MPB(ResourceMetrics_resource_tag)) &&
	    otlp_mw_str(&w->b[OTLP_MW_METRIC], CPB(InstrumentationScope_name_tag), scope->name) &&
	    otlp_mw_str(&w->b[OTLP_MW_METRIC], CPB(InstrumentationScope_version_tag),
			scope->version) &&
	    otlp_mw_close(w, OTLP_MW_METRIC, MPB(ScopeMetrics_scope_tag));

	for (size_t i = 0; ok && i < rm->n_metrics; i++)
		ok = otlp_mw_metric(w, &rm->metrics[i]);
	return ok && otlp_mw_close(w, OTLP_MW_SM, MPB(ResourceMetrics_scope_metrics_tag)) &&
	       otlp_mw_close(
		   w, OTLP_MW_RM,
		   opentelemetry_proto_collector_metrics_v1_ExportMetricsServiceRequest_resource_metrics_tag);
}

int otlp_encode_metrics_pb(const struct otlp_rmetrics *rm, size_t n, const struct otlp_scope *scope,
			   struct otlp_buf *out)
{
	struct otlp_mw w = {0};
	bool ok = true;

	w.b[OTLP_MW_REQ] = *out;
	for (size_t i = 0; ok && i < n; i++)
		ok = otlp_mw_rm(&w, &rm[i], scope);
	*out = w.b[OTLP_MW_REQ];
	for (int d = OTLP_MW_RM; d < OTLP_MW_LEVELS; d++)
		otlp_buf_free(&w.b[d]);
	return ok ? 0 : -ENOMEM;
}
