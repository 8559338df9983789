/* span_route.c: the routes decoration of spans: config to route_table, one span at a time. */
#include "span_route_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/monotime.h"

/* The config enums are declared in the same order as route.h's, but map them by name. */
static enum route_unmatched span_route_unmatched(unsigned v)
{
	switch (v) {
	case CONFIG_ROUTES_UNSET:
		return ROUTE_UNMATCHED_UNSET;
	case CONFIG_ROUTES_PATH:
		return ROUTE_UNMATCHED_PATH;
	case CONFIG_ROUTES_WILDCARD:
		return ROUTE_UNMATCHED_WILDCARD;
	case CONFIG_ROUTES_LOW_CARDINALITY:
		return ROUTE_UNMATCHED_LOW_CARDINALITY;
	default:
		return ROUTE_UNMATCHED_HEURISTIC;
	}
}

static enum route_ignore_mode span_route_ignore_mode(unsigned v)
{
	switch (v) {
	case CONFIG_ROUTES_IGNORE_METRICS:
		return ROUTE_IGNORE_METRICS;
	case CONFIG_ROUTES_IGNORE_TRACES:
		return ROUTE_IGNORE_TRACES;
	default:
		return ROUTE_IGNORE_ALL;
	}
}

int span_route_new(const struct config_routes *cfg, struct span_route **out, char *err,
		   size_t errlen)
{
	struct span_route *r = calloc(1, sizeof(*r));
	struct route_settings s = {
	    .patterns = (const char *const *)cfg->patterns.v,
	    .n_patterns = cfg->patterns.n,
	    .ignored = (const char *const *)cfg->ignored_patterns.v,
	    .n_ignored = cfg->ignored_patterns.n,
	    .ignore_mode = span_route_ignore_mode(cfg->ignore_mode),
	    .unmatched = span_route_unmatched(cfg->unmatched),
	    .wildcard_char =
		cfg->wildcard_char && cfg->wildcard_char[0] ? cfg->wildcard_char[0] : '*',
	    .max_path_segment_cardinality = cfg->max_path_segment_cardinality,
	};

	*out = NULL;
	if (!r) {
		snprintf(err, errlen, "routes: out of memory");
		return -1;
	}
	r->lc_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10ULL * 1000000000ULL, 5);
	if (route_table_new(&s, &r->table, err, errlen) < 0) {
		free(r);
		return -1;
	}
	if (s.unmatched == ROUTE_UNMATCHED_WILDCARD && s.n_patterns == 0)
		log_warnx("routes: unmatched is wildcard and there are no patterns: every span's "
			  "route is /**");
	*out = r;
	return 0;
}

void span_route_free(struct span_route *r)
{
	if (!r)
		return;
	log_info("routes: %llu spans routed, %llu matched ignored_patterns, %llu segments "
		 "collapsed by low-cardinality",
		 (unsigned long long)r->st.routed, (unsigned long long)r->st.ignored,
		 (unsigned long long)r->st.lc_collapsed);
	route_table_free(r->table);
	span_route_sel_free(r);
	free(r);
}

struct span_route_stats span_route_stats(const struct span_route *r)
{
	return r->st;
}

/* "METHOD route", or "METHOD" alone (the name span_build gave it) without a route. */
static void span_route_name(struct span *sp)
{
	char name[SPAN_STR_MAX + 64];
	size_t m = span_str_len(sp, SPAN_A_HTTP_METHOD), r = span_str_len(sp, SPAN_A_HTTP_ROUTE);

	if (!r) {
		span_set_str(sp, SPAN_A_NAME, span_str(sp, SPAN_A_HTTP_METHOD), m);
		return;
	}
	/* Both are bounded by their attributes (31 and SPAN_STR_MAX - 1): they fit. */
	memcpy(name, span_str(sp, SPAN_A_HTTP_METHOD), m);
	name[m] = ' ';
	memcpy(name + m + 1, span_str(sp, SPAN_A_HTTP_ROUTE), r);
	span_set_str(sp, SPAN_A_NAME, name, m + 1 + r);
}

static void span_route_lc_note(struct span_route *r, const struct span *sp,
			       const struct route_result *res)
{
	r->st.lc_collapsed += res->lc.collapsed;
	if (!res->lc.new_node_collapsed)
		return;
	/* Once per node per service: the route prefix is already sanitized path text. */
	log_ratelimited(&r->lc_rl, monotime_ns(), LOG_LVL_INFO,
			"routes: low-cardinality: %s (pid %u): children of %s exceed "
			"max_path_segment_cardinality, new ones become the wildcard",
			sp->svc && sp->svc->name ? sp->svc->name : "?", sp->svc ? sp->svc->pid : 0,
			res->lc.prefix[0] ? res->lc.prefix : "/");
}

void span_route_apply(struct span_route *r, struct route_lc **lc, struct span *sp)
{
	/* route_resolve writes up to path length + 3 bytes; span paths are below SPAN_STR_MAX. */
	char buf[SPAN_STR_MAX + 4];
	struct route_result res;
	const char *sel;

	if (!r)
		return;
	if (lc && !*lc)
		*lc = route_table_lc_new(r->table);
	route_resolve(r->table, lc ? *lc : NULL, span_str(sp, SPAN_A_URL_PATH),
		      span_str_len(sp, SPAN_A_URL_PATH), buf, sizeof(buf), &res);
	span_unset(sp, SPAN_A_HTTP_ROUTE);
	if (!res.matched && (sel = span_route_sel_find(r, sp))) {
		res.route = sel;
		res.len = strlen(sel);
	}
	if (res.route) {
		span_set_str(sp, SPAN_A_HTTP_ROUTE, res.route, res.len);
		r->st.routed++;
	}
	span_route_name(sp);
	if (res.drop) {
		r->st.ignored++;
		sp->drop_traces = sp->drop_traces || (res.drop & ROUTE_DROP_TRACES);
		sp->drop_metrics = sp->drop_metrics || (res.drop & ROUTE_DROP_METRICS);
	}
	span_route_lc_note(r, sp, &res);
}
