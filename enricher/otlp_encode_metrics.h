/* otlp_encode_metrics.h: protocol-neutral metric views -> ExportMetricsServiceRequest (protobuf
 * through nanopb's primitives, or the OTLP/JSON mapping). */
#ifndef OBI_OTLP_ENCODE_METRICS_H
#define OBI_OTLP_ENCODE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otlp_model.h"

enum otlp_metric_kind { OTLP_METRIC_HISTOGRAM, OTLP_METRIC_SUM };
/* OTLP AggregationTemporality values. */
enum otlp_temporality { OTLP_TEMPORALITY_DELTA = 1, OTLP_TEMPORALITY_CUMULATIVE = 2 };

struct otlp_hist_point {
	const struct otlp_attr *attrs;
	size_t n_attrs;
	uint64_t start_ns, time_ns; /* Unix epoch */
	uint64_t count;
	double sum, min, max;
	const uint64_t *buckets; /* [the metric's n_bounds + 1] */
};

struct otlp_sum_point {
	const struct otlp_attr *attrs;
	size_t n_attrs;
	uint64_t start_ns, time_ns;
	int64_t value;
};

struct otlp_metric {
	const char *name, *desc, *unit;
	enum otlp_metric_kind kind;
	enum otlp_temporality temporality;
	bool monotonic;	      /* sums */
	const double *bounds; /* histograms */
	size_t n_bounds;
	const struct otlp_hist_point *hist; /* kind HISTOGRAM */
	const struct otlp_sum_point *sum;   /* kind SUM */
	size_t n_points;
};

/* One ResourceMetrics: a resource's attributes and its metrics under one scope. */
struct otlp_rmetrics {
	const struct otlp_attr *res_attrs;
	size_t n_res_attrs;
	const struct otlp_metric *metrics;
	size_t n_metrics;
};

/* Appends one request holding rm[0..n). 0, -ENOMEM, or -EIO (out then partial: discard). */
int otlp_encode_metrics_pb(const struct otlp_rmetrics *rm, size_t n, const struct otlp_scope *scope,
			   struct otlp_buf *out);
/* The same request in the OTLP/JSON mapping (64-bit integers as strings), no NUL. */
int otlp_encode_metrics_json(const struct otlp_rmetrics *rm, size_t n,
			     const struct otlp_scope *scope, struct otlp_buf *out);

#endif /* OBI_OTLP_ENCODE_METRICS_H */
