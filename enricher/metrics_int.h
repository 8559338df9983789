/* metrics_int.h: the metrics module's state and what its files share; not a public API. */
#ifndef OBI_METRICS_INT_H
#define OBI_METRICS_INT_H

#include "metrics.h"
#include "metrics_agg.h"
#include "otlp_encode_metrics.h"

#define METRICS_SCOPE_NAME "go.opentelemetry.io/obi"
#define METRICS_VERSION "0.1.0"
/* OTel SDK's default cardinality limit per metric (the specification's 2000). */
#define METRICS_CARDINALITY_LIMIT 2000
/* Data points held for sending: several rounds at the limit (3 histograms x 2 families). */
#define METRICS_QUEUE_POINTS (8 * METRICS_CARDINALITY_LIMIT * 3 * METRICS_FAMILIES)

/* Everything metrics_new derives from obi_config; tests build one directly. */
struct metrics_cfg {
	struct metrics_agg_config agg;
	struct otlp_http_config http;
	uint64_t interval_ns;
	bool internal;	     /* internal_metrics.exporter: otel */
	bool internal_delta; /* obi's counters as delta sums (preference delta only) */
};

struct metrics {
	struct evloop *loop;
	struct metrics_cfg cfg;
	struct metrics_export_store store;
	struct metrics_agg agg;
	struct otlp_http x;
	struct ev_timer timer;
	struct metrics_counter *counters;
	char *names;	/* the counters' names, copied */
	uint64_t *last; /* counter values at the last delta export */
	size_t n_counters;
	uint64_t start_ns; /* Unix ns: the module's start (cumulative sums' start) */
	uint32_t pid;	   /* obi's own, read once: the sandbox need not allow getpid */
	uint64_t last_export_ns;
	struct metrics_stats st;
};

/* A RED metric's OTLP name, unit and description; [family][histogram]. */
struct metrics_name {
	const char *name, *unit, *desc;
};
extern const struct metrics_name metrics_names[METRICS_FAMILIES][METRICS_HISTS];
/* The attribute key of each enum metrics_attr_bit, by bit number. */
extern const char *const metrics_attr_keys[METRICS_ATTRS];
/* ac->drop from attributes.select (metrics_select.c). 0 or -ENOMEM. */
int metrics_select_from(const struct obi_config *cfg, struct metrics_agg_config *ac, char *err,
			size_t errlen);

int metrics_new_cfg(struct metrics **m, struct evloop *l, const struct metrics_cfg *cfg, char *err,
		    size_t errlen);
/* One export round at Unix time now_ns: expire, encode per service, hand to the sender. */
void metrics_export_round(struct metrics *m, uint64_t now_ns);
/* obi's counters as one ResourceMetrics (metrics_internal.c); 0 or -ENOMEM. */
int metrics_internal_export(struct metrics *m, uint64_t now_ns);
int metrics_agg_config_from(const struct obi_config *cfg, struct metrics_agg_config *ac, char *err,
			    size_t errlen);
uint64_t metrics_interval_ns(const struct obi_config *cfg);
/* Encodes rm[0..n) as configured and queues it as n_points data points; -E2BIG (nothing
 * queued) when it is over the request size limit, so the caller can split it. */
int metrics_send(struct metrics *m, const struct otlp_rmetrics *rm, size_t n, size_t n_points);
uint64_t metrics_unix_ns(void);

#endif /* OBI_METRICS_INT_H */
