/* emit.h: the span pipeline after a span is built: sampler, metrics stage, then the sinks. */
#ifndef OBI_EMIT_H
#define OBI_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emit_sel.h"
#include "export_config.h"
#include "otlp_encode_select.h"
#include "otlp_model.h"
#include "sampler.h"
#include "span.h"

struct enricher;
struct metrics;
struct otlp_http;

/* Spans staged for the OTLP exporter until the end of a batch of records, and the text arena
 * their copies share (a typical span holds ~200 bytes; the stage is sent early if it fills). */
#define EMIT_STAGE_MAX 64
#define EMIT_STAGE_TEXT (128u * 1024)
_Static_assert(EMIT_STAGE_TEXT >= SPAN_TEXT_CAP, "the stage holds at least the largest span");

struct emit_stats {
	uint64_t dropped_traces; /* sp->drop_traces: neither printed nor exported */
	uint64_t unsampled;	 /* the sampler said no: not exported */
	uint64_t exported;	 /* handed to the OTLP traces exporter */
	uint64_t export_refused; /* the exporter's queue was full (it counts them too) */
	uint64_t not_exported;	 /* traces left out by their selector's `exports` */
};

struct emit {
	struct sampler sampler;
	struct otlp_http *traces;	     /* NULL: no OTLP trace export */
	struct metrics *metrics;	     /* NULL: no OTLP metric export */
	bool curl_ready;		     /* curl_global_init done (either exporter) */
	struct export_traces xcfg;	     /* what the exporter borrows */
	struct otlp_span_select span_select; /* attributes.select `traces`, decided once */
	struct emit_sels sels;		     /* per-selector exports and sampler */
	struct otlp_host host;
	struct otlp_scope scope;
	char host_id[64];     /* /etc/machine-id, read before the sandbox */
	char *resource_attrs; /* obi's OTEL_RESOURCE_ATTRIBUTES, re-encoded (k=v,...) */
	struct span *stage;   /* [EMIT_STAGE_MAX] copies: the exporter reads them in one call */
	size_t n_stage;
	char *stage_text; /* [EMIT_STAGE_TEXT]: the copies' strings, back to back */
	size_t stage_text_len;
	struct emit_stats st;
};

/* Sampler and sinks from e->cfg (curl_global_init first when exporting). 0; -EINVAL with
 * err naming the setting (exit 2); -ENOMEM. */
int emit_init(struct enricher *e, char *err, size_t errlen);
/* Stages what is staged and asks the exporter to send its partial batch (shutdown). */
void emit_flush(struct enricher *e);
/* Nothing left to send (shutdown waits for this, at most shutdown_timeout). */
bool emit_idle(const struct enricher *e);
void emit_free(struct enricher *e);

/*
 * One built span through the pipeline. Sampling decides and sets the W3C sampled flag of
 * sp->trace_flags; it applies to traces only. The printer, a debugging view, shows every span
 * not dropped (with the flag as decided); only sampled ones are exported.
 */
void emit_span(struct enricher *e, struct span *sp);
/* End of a batch of records: staged spans go to the exporter, the printer flushes. */
void emit_batch_end(struct enricher *e);

#endif /* OBI_EMIT_H */
