/* metrics.h: RED metrics and obi's internal counters exported over OTLP (the API the enricher
 * wires: metrics_new, metrics_on_span per finished span, a timer-driven export, shutdown). */
#ifndef OBI_METRICS_H
#define OBI_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "evloop.h"
#include "otlp_http.h"
#include "otlp_model.h"
#include "span.h"

struct metrics;

/* One of obi's own counters, read at every export (the pointer must outlive the module). */
struct metrics_counter {
	const char *name; /* OTLP metric name, e.g. "obi.enricher.bad_records" */
	const char *desc;
	const uint64_t *value; /* monotonic */
};

/* A table of counters being built (metrics_table_*); metrics_set_internal copies it. */
#define METRICS_TABLE_MAX 64
struct metrics_table {
	struct metrics_counter c[METRICS_TABLE_MAX];
	char names[METRICS_TABLE_MAX][64];
	size_t n;
};

struct enricher_stats;
/* The enricher's counters (obi.enricher.*), the kernel's (obi.kernel.*) and the probe's
 * (obi.probe.*; the gauge of selected processes is left out: it is not a monotonic sum). */
void metrics_table_enricher(struct metrics_table *t, const struct enricher_stats *st);
/* One exporter's counters (none when st is NULL): obi.otlp.<signal>.exported, .dropped_queue,
 * .failed, .rejected, .too_large, .encode_errors, .requests, .retries, .bytes_sent. */
void metrics_table_exporter(struct metrics_table *t, const char *signal,
			    const struct otlp_http_stats *st);

/* Where metrics_export_config() keeps what out's borrowed strings point to. */
struct metrics_export_store {
	char url[1100];
	struct otlp_header headers[64];
	struct otlp_scope scope;
};

/*
 * The metrics exporter's settings from cfg: endpoint (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
 * verbatim, else the shared endpoint + /v1/metrics for HTTP), protocol (signal variable >
 * shared variable / YAML > guessed from the port), headers (signal keys over shared ones),
 * TLS files, OTel's timeout and back-off defaults. 0: enabled and *out filled; 1: disabled
 * (no endpoint, or the application feature is off); -EINVAL with err naming the setting.
 */
int metrics_export_config(const struct obi_config *cfg, const struct otlp_host *host,
			  struct otlp_http_config *out, struct metrics_export_store *store,
			  char *err, size_t errlen);

/*
 * Sets up aggregation and the export timer on l. *m is NULL (and 0 returned) when metric
 * export is disabled by cfg, so callers may call the rest unconditionally. host must outlive
 * the module. 0; -EINVAL (err says which setting); -ENOMEM.
 */
int metrics_new(struct metrics **m, struct evloop *l, const struct obi_config *cfg,
		const struct otlp_host *host, char *err, size_t errlen);
/* Records one finished span (sp is read during the call only; drop_metrics spans skipped). */
void metrics_on_span(struct metrics *m, const struct span *sp);
/*
 * obi's own counters, exported as monotonic sums under obi's resource (service.name "obi")
 * when internal_metrics.exporter is otel. c[] and the names are copied; the values are read
 * at every export (they must outlive the module). Replaces an earlier table. 0, -EINVAL
 * (a nameless or valueless row), -ENOMEM.
 */
int metrics_set_internal(struct metrics *m, const struct metrics_counter *c, size_t n);
/* Exports everything now (shutdown); the send itself completes in the loop. */
void metrics_flush(struct metrics *m);
/* Nothing queued or in flight. */
bool metrics_idle(const struct metrics *m);
/* metrics.features (or the deprecated otel_metrics_export.features) has `application`. */
bool metrics_app_feature(const struct obi_config *cfg);
/* At shutdown: the data points still held, counted as unsent in the sender's stats. */
size_t metrics_abandon(struct metrics *m);
void metrics_free(struct metrics *m);

struct metrics_stats {
	uint64_t spans;	       /* recorded */
	uint64_t skipped;      /* drop_metrics, or a kind that has no RED metric */
	uint64_t overflow;     /* recorded into an overflow series (cardinality limit) */
	uint64_t expired;      /* series removed after the TTL */
	uint64_t bad_duration; /* end before start: recorded as 0 s */
	uint64_t no_memory;    /* spans lost because a series could not be allocated */
	uint64_t exports;      /* export rounds */
	uint64_t points;       /* data points handed to the sender */
};
/* NULL for a NULL module (export off). */
const struct metrics_stats *metrics_stats(const struct metrics *m);
/* The sender's settings (URL, TLS files: what the sandbox must let it reach); NULL likewise. */
const struct otlp_http_config *metrics_sender_config(const struct metrics *m);
/* The sender's counters (points exported, failed, rejected, retries...); NULL likewise. */
const struct otlp_http_stats *metrics_sender_stats(const struct metrics *m);

#endif /* OBI_METRICS_H */
