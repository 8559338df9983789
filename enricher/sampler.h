/* sampler.h: OBI's head samplers (OTEL_TRACES_SAMPLER names), decisions as OpenTelemetry Go. */
#ifndef OBI_SAMPLER_H
#define OBI_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sampler_kind {
	SAMPLER_ALWAYS_ON,
	SAMPLER_ALWAYS_OFF,
	SAMPLER_TRACEIDRATIO,
	SAMPLER_PARENTBASED_ALWAYS_ON,
	SAMPLER_PARENTBASED_ALWAYS_OFF,
	SAMPLER_PARENTBASED_TRACEIDRATIO,
};

/* Where the span's parent came from: none (root), another process (traceparent), this one. */
enum sampler_parent { SAMPLER_PARENT_NONE, SAMPLER_PARENT_REMOTE, SAMPLER_PARENT_LOCAL };

struct sampler {
	enum sampler_kind kind;
	double ratio;	/* traceidratio kinds: the parsed argument, in [0, 1] */
	uint64_t bound; /* ratio * 2^63 truncated, as Go's uint64(fraction * (1 << 63)) */
	bool ratio_all; /* ratio >= 1: Go's TraceIDRatioBased is then AlwaysSample */
};

/*
 * Parses an OTEL_TRACES_SAMPLER name and its OTEL_TRACES_SAMPLER_ARG (NULL or "": 1.0 for
 * the ratio kinds; ignored by the others). Unlike OBI, which falls back silently, a bad name
 * or argument is an error: returns -EINVAL with a message in err (the caller names the
 * setting's source and exits 2).
 */
int sampler_init(struct sampler *s, const char *name, const char *arg, char *err, size_t errlen);

/* The decision for a span of trace_id (16 bytes); parent_sampled is the parent's W3C flag. */
bool sampler_should_sample(const struct sampler *s, const uint8_t *trace_id,
			   enum sampler_parent parent, bool parent_sampled);

/* The canonical name of s's kind (for --dump-config and logs). */
const char *sampler_name(const struct sampler *s);

#endif /* OBI_SAMPLER_H */
