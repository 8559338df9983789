/* route.h: HTTP route templating: patterns, ignored routes, unmatched policies, heuristic. */
#ifndef OBI_ROUTE_H
#define OBI_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "route_cache.h"

/*
 * Paths are matched raw: no percent-decoding, no case folding, no dot-segment removal. The
 * query string and fragment (from the first '?' or '#') never take part. One leading and one
 * trailing '/' are ignored for matching, as OBI does; empty segments inside a path ("a//b")
 * are segments of their own.
 */

/* Bounds on configuration (patterns come from a file an administrator wrote, but are checked). */
#define ROUTE_PATTERN_MAX 1024 /* bytes in one pattern */
#define ROUTE_DEPTH_MAX 64     /* segments in one pattern */
#define ROUTE_PATTERNS_MAX 4096

/* ---- pattern matching --------------------------------------------------------------------- */

/*
 * A compiled, immutable set of route patterns. Segments: a literal, `{name}` or `:name` (name
 * of letters, digits, '_', possibly empty: one non-empty segment), or `*`: as the last segment
 * it matches the rest of the path, even nothing (a pattern `/user` + `/` + `*` matches `/user`);
 * elsewhere one non-empty segment. The most specific pattern wins: comparing segment by segment, a
 * literal beats a parameter, which beats a trailing `*`.
 */
struct route_matcher;

/*
 * Compiles n patterns. On an invalid pattern returns -1 with a reason in err (errlen > 0) and
 * *bad set to its index; duplicates are not errors (the first one is kept). 0 on success.
 */
int route_matcher_new(const char *const *patterns, size_t n, struct route_matcher **out,
		      size_t *bad, char *err, size_t errlen);
void route_matcher_free(struct route_matcher *m);

/*
 * The pattern (as written in the configuration, NUL-terminated, owned by the matcher) that
 * matches path[0..len), or NULL. Bounded: no allocation, no recursion; each trie node is
 * visited at most once, so the cost is O(segments + nodes on the explored branches).
 */
const char *route_matcher_find(const struct route_matcher *m, const char *path, size_t len);

/* ---- heuristic ---------------------------------------------------------------------------- */

/*
 * Writes the heuristic route of path[0..len) into out (outsz > 0, always NUL-terminated):
 * every segment that is an identifier (number, id, hash, token, date, version, generated name,
 * email, address, code, content slug; docs/routes.md) becomes the single character wc; every
 * other byte is kept. The query string and fragment are dropped. A path of more than
 * ROUTE_HEUR_SEGS_MAX segments keeps the first ones and ends in "/<wc>". Returns the route's
 * length; if out is too small the route is cut at outsz - 1 bytes (a size of len + 3 always
 * suffices). No allocation; linear in len.
 */
#define ROUTE_HEUR_SEGS_MAX 64
size_t route_heuristic(const char *path, size_t len, char wc, char *out, size_t outsz);

/* ---- low-cardinality ---------------------------------------------------------------------- */

/*
 * Per-service state for the `low-cardinality` policy: a trie of the routes seen. A node keeps
 * its first max_children distinct child segments; any other child value is written as the
 * wildcard from then on (and descends into one shared wildcard child). Memory is fixed at
 * creation (max_nodes nodes, max_nodes * 32 bytes of segment text); once full, new segments
 * are collapsed too. Not thread-safe: one per service, used by one thread.
 */
struct route_lc;

struct route_lc *route_lc_new(unsigned max_children, size_t max_nodes);
void route_lc_free(struct route_lc *lc);

/* What one route_lc_apply call collapsed, so the caller can say so (once per node). */
struct route_lc_event {
	unsigned collapsed;	 /* segments of this route written as the wildcard */
	bool new_node_collapsed; /* a node reached its limit for the first time in this call */
	char prefix[256];	 /* that node's route prefix, for the message (cut if longer) */
};

/*
 * Rewrites route[0..len) in place (it is a heuristic route: segments split by '/') and returns
 * its new length. max_children 0 disables the bound (route unchanged). ev may be NULL.
 */
size_t route_lc_apply(struct route_lc *lc, char *route, size_t len, char wc,
		      struct route_lc_event *ev);

/* ---- the whole decoration ----------------------------------------------------------------- */

enum route_unmatched {
	ROUTE_UNMATCHED_HEURISTIC = 0, /* OBI's default */
	ROUTE_UNMATCHED_UNSET,
	ROUTE_UNMATCHED_PATH,
	ROUTE_UNMATCHED_WILDCARD,
	ROUTE_UNMATCHED_LOW_CARDINALITY,
};

enum route_ignore_mode {
	ROUTE_IGNORE_ALL = 0, /* OBI's default */
	ROUTE_IGNORE_METRICS,
	ROUTE_IGNORE_TRACES,
};

/* Parses OBI's names ("unset", "path", "wildcard", "heuristic", "low-cardinality"; "" is
 * wildcard). Returns -1 for anything else. */
int route_unmatched_parse(const char *s, enum route_unmatched *out);
/* "all", "metrics", "traces"; -1 otherwise. */
int route_ignore_mode_parse(const char *s, enum route_ignore_mode *out);

struct route_settings {
	const char *const *patterns;
	size_t n_patterns;
	const char *const *ignored;
	size_t n_ignored;
	enum route_ignore_mode ignore_mode;
	enum route_unmatched unmatched;
	char wildcard_char; /* '*' by default; any printable byte but '/' */
	unsigned
	    max_path_segment_cardinality; /* low-cardinality: children per node; 0 = no bound */
	size_t cache_entries;		  /* path -> route cache; 0 = ROUTE_CACHE_ENTRIES_DEFAULT */
	bool no_cache;			  /* resolve every path afresh (tests, benchmarks) */
};

/*
 * The compiled settings, shared by all services, with one cache of path -> result (without
 * low-cardinality's per-service step) that makes route_resolve a hash lookup for a path seen
 * before. The cache makes the table single-threaded (the enricher's event loop).
 */
struct route_table;

/* Returns -1 with a reason in err on invalid settings (naming the pattern). */
int route_table_new(const struct route_settings *s, struct route_table **out, char *err,
		    size_t errlen);
void route_table_free(struct route_table *t);

/* A route_lc sized for this table's settings (NULL if the policy is not low-cardinality). */
struct route_lc *route_table_lc_new(const struct route_table *t);

#define ROUTE_DROP_METRICS 1u
#define ROUTE_DROP_TRACES 2u

struct route_result {
	const char *route; /* NULL: http.route unset; else NUL-terminated (pattern or buf) */
	size_t len;
	unsigned drop;		  /* ROUTE_DROP_*: an ignored pattern matched */
	bool matched;		  /* a configured pattern matched (not the unmatched policy) */
	struct route_lc_event lc; /* low-cardinality only */
};

/*
 * Decorates one request path: ignored patterns set drop; a matching pattern gives the route;
 * otherwise the unmatched policy does (heuristic and low-cardinality write into buf, which
 * must hold len + 3 bytes or the route is cut; path mode copies the path without its query
 * into buf). lc is the service's state for low-cardinality (may be NULL otherwise: then
 * low-cardinality falls back to the heuristic alone).
 */
void route_resolve(const struct route_table *t, struct route_lc *lc, const char *path, size_t len,
		   char *buf, size_t bufsz, struct route_result *res);

/* The cache's counters (all zero when the table has none). */
struct route_cache_stats route_table_cache_stats(const struct route_table *t);

#endif /* OBI_ROUTE_H */
