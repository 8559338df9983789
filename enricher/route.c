/* route.c: the routes decoration: settings, ignored patterns, matching, unmatched policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "route.h"
#include "route_cache.h"
#include "route_seg.h"

/* Nodes of one service's low-cardinality trie (about 40 bytes each, plus 32 of text). */
#define ROUTE_LC_NODES 4096

struct route_table {
	struct route_matcher *patterns, *ignored;
	enum route_ignore_mode ignore_mode;
	enum route_unmatched unmatched;
	char wc;
	unsigned max_children;
	struct route_cache *cache; /* NULL: every path is resolved afresh */
};

int route_unmatched_parse(const char *s, enum route_unmatched *out)
{
	static const struct {
		const char *name;
		enum route_unmatched v;
	} names[] = {
	    {"", ROUTE_UNMATCHED_WILDCARD},
	    {"unset", ROUTE_UNMATCHED_UNSET},
	    {"path", ROUTE_UNMATCHED_PATH},
	    {"wildcard", ROUTE_UNMATCHED_WILDCARD},
	    {"heuristic", ROUTE_UNMATCHED_HEURISTIC},
	    {"low-cardinality", ROUTE_UNMATCHED_LOW_CARDINALITY},
	};

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].v;
			return 0;
		}
	}
	return -1;
}

int route_ignore_mode_parse(const char *s, enum route_ignore_mode *out)
{
	if (s && strcmp(s, "all") == 0)
		*out = ROUTE_IGNORE_ALL;
	else if (s && strcmp(s, "metrics") == 0)
		*out = ROUTE_IGNORE_METRICS;
	else if (s && strcmp(s, "traces") == 0)
		*out = ROUTE_IGNORE_TRACES;
	else
		return -1;
	return 0;
}

static int table_compile(const char *key, const char *const *list, size_t n,
			 struct route_matcher **out, char *err, size_t errlen)
{
	char why[128];
	size_t bad = 0;

	*out = NULL;
	if (n == 0)
		return 0;
	if (route_matcher_new(list, n, out, &bad, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s[%zu] (\"%.64s\"): %s", key, bad,
			 list && list[bad] ? list[bad] : "", why);
		return -1;
	}
	return 0;
}

/*
 * Only where resolving costs more than a lookup: a pattern set or the heuristic. unset,
 * wildcard and path without patterns are a few instructions already.
 */
static int table_cache_new(const struct route_settings *s, struct route_table *t, char *err,
			   size_t errlen)
{
	size_t n = s->cache_entries ? s->cache_entries : ROUTE_CACHE_ENTRIES_DEFAULT;
	bool costly = s->n_patterns || s->n_ignored || s->unmatched == ROUTE_UNMATCHED_HEURISTIC ||
		      s->unmatched == ROUTE_UNMATCHED_LOW_CARDINALITY;

	if (s->no_cache || !costly)
		return 0;
	t->cache = route_cache_new(n);
	if (!t->cache) {
		snprintf(err, errlen, "routes: cache of %zu entries: out of memory or above %u", n,
			 ROUTE_CACHE_ENTRIES_MAX);
		return -1;
	}
	return 0;
}

int route_table_new(const struct route_settings *s, struct route_table **out, char *err,
		    size_t errlen)
{
	struct route_table *t;
	unsigned char wc = (unsigned char)s->wildcard_char;

	*out = NULL;
	if (wc <= ' ' || wc >= 0x7f || wc == '/' || wc == '?' || wc == '#') {
		snprintf(err, errlen,
			 "routes.wildcard_char: must be one printable character, not "
			 "'/', '?' or '#'");
		return -1;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "routes: out of memory");
		return -1;
	}
	t->ignore_mode = s->ignore_mode;
	t->unmatched = s->unmatched;
	t->wc = (char)wc;
	t->max_children = s->max_path_segment_cardinality;
	if (table_cache_new(s, t, err, errlen) < 0) {
		route_table_free(t);
		return -1;
	}
	if (table_compile("routes.patterns", s->patterns, s->n_patterns, &t->patterns, err,
			  errlen) < 0 ||
	    table_compile("routes.ignored_patterns", s->ignored, s->n_ignored, &t->ignored, err,
			  errlen) < 0) {
		route_table_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

/* At exit, so that an operator can tell whether the path set is stable (hit rate) or floods. */
static void table_cache_report(const struct route_table *t)
{
	struct route_cache_stats st = route_cache_stats(t->cache);

	if (!t->cache || st.hits + st.misses == 0)
		return;
	log_info("routes: cache: %llu hits, %llu misses (%llu first seen, %llu too long), %llu "
		 "evictions, %zu of %zu entries, %zu bytes",
		 (unsigned long long)st.hits, (unsigned long long)st.misses,
		 (unsigned long long)st.first_seen, (unsigned long long)st.bypassed,
		 (unsigned long long)st.evictions, st.entries, st.capacity, st.bytes);
}

void route_table_free(struct route_table *t)
{
	if (!t)
		return;
	table_cache_report(t);
	route_matcher_free(t->patterns);
	route_matcher_free(t->ignored);
	route_cache_free(t->cache);
	free(t);
}

struct route_lc *route_table_lc_new(const struct route_table *t)
{
	if (t->unmatched != ROUTE_UNMATCHED_LOW_CARDINALITY)
		return NULL;
	return route_lc_new(t->max_children, ROUTE_LC_NODES);
}

static unsigned table_drop(const struct route_table *t)
{
	switch (t->ignore_mode) {
	case ROUTE_IGNORE_METRICS:
		return ROUTE_DROP_METRICS;
	case ROUTE_IGNORE_TRACES:
		return ROUTE_DROP_TRACES;
	default:
		return ROUTE_DROP_METRICS | ROUTE_DROP_TRACES;
	}
}

static void table_unmatched(const struct route_table *t, const char *path, size_t len, char *buf,
			    size_t bufsz, struct route_result *res)
{
	size_t plen;

	switch (t->unmatched) {
	case ROUTE_UNMATCHED_UNSET:
		return;
	case ROUTE_UNMATCHED_WILDCARD:
		res->route = "/**";
		res->len = 3;
		return;
	case ROUTE_UNMATCHED_PATH:
		if (!buf || bufsz == 0)
			return;
		plen = route_path_len(path, len);
		plen = plen < bufsz - 1 ? plen : bufsz - 1;
		memcpy(buf, path, plen);
		buf[plen] = '\0';
		res->route = buf;
		res->len = plen;
		return;
	case ROUTE_UNMATCHED_HEURISTIC:
	case ROUTE_UNMATCHED_LOW_CARDINALITY:
		if (!buf || bufsz == 0)
			return;
		res->len = route_heuristic(path, len, t->wc, buf, bufsz);
		res->route = buf;
		return;
	}
}

/* Everything but low-cardinality's per-service step: a function of the path alone. */
static void table_resolve(const struct route_table *t, const char *path, size_t len, char *buf,
			  size_t bufsz, struct route_result *res)
{
	const char *pat;

	if (t->ignored && route_matcher_find(t->ignored, path, len))
		res->drop = table_drop(t);
	pat = t->patterns ? route_matcher_find(t->patterns, path, len) : NULL;
	if (pat) {
		res->route = pat;
		res->len = strlen(pat);
		res->matched = true;
		return;
	}
	table_unmatched(t, path, len, buf, bufsz, res);
}

/* A hit: the result as table_resolve would have written it (owned text copied into buf). */
static bool table_cached(const struct route_table *t, uint64_t h, const char *key, size_t klen,
			 char *buf, size_t bufsz, struct route_result *res)
{
	struct route_cache_val v;
	size_t n;

	if (!route_cache_get(t->cache, h, key, klen, &v))
		return false;
	res->drop = v.drop;
	res->matched = v.matched;
	res->route = v.route;
	res->len = v.len;
	if (!v.owned || !v.route)
		return true;
	n = v.len < bufsz - 1 ? v.len : bufsz - 1;
	memcpy(buf, v.route, n);
	buf[n] = '\0';
	res->route = buf;
	res->len = n;
	return true;
}

/* Stores a miss's result, unless buf was too small to hold it whole (the next caller's may
 * not be). */
static void table_remember(const struct route_table *t, uint64_t h, const char *key, size_t klen,
			   const char *buf, size_t bufsz, const struct route_result *res)
{
	struct route_cache_val v = {.route = res->route,
				    .len = res->len,
				    .drop = res->drop,
				    .matched = res->matched,
				    .owned = res->route && res->route == buf};

	if (v.owned && res->len + 1 >= bufsz)
		return;
	route_cache_put(t->cache, h, key, klen, &v);
}

void route_resolve(const struct route_table *t, struct route_lc *lc, const char *path, size_t len,
		   char *buf, size_t bufsz, struct route_result *res)
{
	bool cache;
	size_t klen;
	uint64_t h = 0;

	/* Field by field, not memset: lc.prefix alone is 256 bytes (route_lc_apply fills it). */
	res->route = NULL;
	res->len = 0;
	res->drop = 0;
	res->matched = false;
	res->lc.collapsed = 0;
	res->lc.new_node_collapsed = false;
	res->lc.prefix[0] = '\0';
	if (!t || !path)
		return;
	/* The query string and fragment never change the result (route.h), so are no key. */
	klen = route_path_len(path, len);
	cache = t->cache && buf && bufsz && klen <= ROUTE_CACHE_KEY_MAX;
	if (cache)
		h = route_cache_hash(t->cache, path, klen);
	if (!cache || !table_cached(t, h, path, klen, buf, bufsz, res)) {
		table_resolve(t, path, len, buf, bufsz, res);
		if (cache)
			table_remember(t, h, path, klen, buf, bufsz, res);
	}
	/* Per service and changing as children are seen: applied after the cache, never in it. */
	if (!res->matched && res->route == buf && buf && lc &&
	    t->unmatched == ROUTE_UNMATCHED_LOW_CARDINALITY)
		res->len = route_lc_apply(lc, buf, res->len, t->wc, &res->lc);
}

struct route_cache_stats route_table_cache_stats(const struct route_table *t)
{
	return route_cache_stats(t ? t->cache : NULL);
}
