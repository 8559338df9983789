/* span_route.h: applies the `routes` section to finished spans (http.route, name, ignore flags). */
#ifndef OBI_SPAN_ROUTE_H
#define OBI_SPAN_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/config.h"
#include "route.h"
#include "span.h"

/* The compiled routes settings of the enricher, shared by every service, and what they did. */
struct span_route;

struct span_route_stats {
	uint64_t routed;       /* spans given an http.route */
	uint64_t ignored;      /* spans matching routes.ignored_patterns */
	uint64_t lc_collapsed; /* low-cardinality: segments written as the wildcard */
};

/*
 * Builds the table from cfg once at start. The config layer has already checked every value
 * (routes.patterns, wildcard_char); an error here (out of memory, or a check that drifted from
 * the matcher) is reported in err naming the key, and the caller exits with 2.
 */
int span_route_new(const struct config_routes *cfg, struct span_route **out, char *err,
		   size_t errlen);
/* Adds the per-selector patterns (routes.incoming for server spans, routes.outgoing for
 * client spans) of the list the probe numbers selectors by; tried after the global patterns,
 * before the unmatched policy. 0, -EINVAL (err names the pattern), -ENOMEM. */
int span_route_selectors(struct span_route *r, const struct config_discovery *d, char *err,
			 size_t errlen);
/* Logs the counters (one line) and frees. NULL is fine. */
void span_route_free(struct span_route *r);
struct span_route_stats span_route_stats(const struct span_route *r);

/*
 * Decorates one HTTP span (server or client: both are matched on url.path, as OBI does):
 * sets http.route (unset when none), the name to "METHOD route" (just "METHOD" without a route,
 * OBI's TraceName), and sp->drop_traces / sp->drop_metrics for ignored patterns (never
 * clears a flag another stage set). *lc is the service's low-cardinality state, created on
 * first use (left NULL for other policies or when out of memory: the heuristic alone then).
 */
void span_route_apply(struct span_route *r, struct route_lc **lc, struct span *sp);

#endif /* OBI_SPAN_ROUTE_H */
