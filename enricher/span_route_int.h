/* span_route_int.h: span_route's state, shared by its files (span_route.c, span_route_sel.c). */
#ifndef OBI_SPAN_ROUTE_INT_H
#define OBI_SPAN_ROUTE_INT_H

#include <string.h>

#include "../common/log.h"
#include "span_route.h"

/* One selector's own patterns (NULL: none) for server and client spans. */
struct span_route_sel {
	struct route_matcher *in, *out;
};

struct span_route {
	struct route_table *table;
	struct span_route_stats st;
	struct log_ratelimit lc_rl; /* "collapsed" notices of low-cardinality */
	struct span_route_sel *sel; /* [n_sel]: wire selector i + 1 */
	unsigned n_sel;
};

/* The selector pattern that matches sp's path (the selector of sp's process), or NULL. */
const char *span_route_sel_find(const struct span_route *r, const struct span *sp);
void span_route_sel_free(struct span_route *r);

#endif /* OBI_SPAN_ROUTE_INT_H */
