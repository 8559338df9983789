/* route_cache.h: a bounded cache from a request path (without query) to its route result. */
#ifndef OBI_ROUTE_CACHE_H
#define OBI_ROUTE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Set-associative (8 ways per set), CLOCK replacement within a set, keyed by a seeded hash of
 * the path bytes and compared byte for byte; a path is stored on its second miss, so that
 * paths seen once (a flood of unique ones) neither evict the others nor cost a store. Everything is
 * allocated once at creation, about 280 bytes per entry (route_cache_stats().bytes is exact),
 * whatever traffic comes (docs/routes.md). A path longer than ROUTE_CACHE_KEY_MAX, or whose key and
 * route together exceed the slot, is never stored (counted as bypassed). Not thread-safe: the
 * enricher's event loop is its only user.
 */
#define ROUTE_CACHE_KEY_MAX 160
#define ROUTE_CACHE_TEXT 256 /* key bytes + route bytes of one entry */
#define ROUTE_CACHE_WAYS 8
#define ROUTE_CACHE_ENTRIES_DEFAULT 2048
#define ROUTE_CACHE_ENTRIES_MAX (1u << 20)

struct route_cache;

struct route_cache_stats {
	uint64_t hits, misses, inserts, evictions;
	uint64_t bypassed;   /* too long for an entry */
	uint64_t first_seen; /* misses not stored: the path's first (admission, route_cache.c) */
	size_t entries;	     /* in use now */
	size_t capacity;     /* entries it can hold */
	size_t bytes;	     /* allocated at creation: the bound */
};

/* The cached outcome of one path: route is NULL (unset), static text outside the cache (a
 * pattern or the wildcard route, valid while the table lives), or text owned by the entry. */
struct route_cache_val {
	const char *route;
	size_t len;
	unsigned drop;
	bool matched;
	bool owned; /* route points into the entry: copy it before the next put */
};

/* entries is rounded up to a multiple of ROUTE_CACHE_WAYS (a power of two of sets); NULL on
 * 0, on more than ROUTE_CACHE_ENTRIES_MAX or out of memory. */
struct route_cache *route_cache_new(size_t entries);
void route_cache_free(struct route_cache *c);

/* The key's hash under this cache's seed: computed once for a get and the put after it. */
uint64_t route_cache_hash(const struct route_cache *c, const char *key, size_t klen);

/* true and *v filled if key[0..klen) (hash h) is cached (marks it recently used). */
bool route_cache_get(struct route_cache *c, uint64_t h, const char *key, size_t klen,
		     struct route_cache_val *v);

/* Stores v for key (hash h; after a miss: a key is not looked for before it is stored twice).
 * v->owned: v->route[0..len) is copied into the entry. Evicts within the key's set when full.
 * Returns false if it does not fit in one entry (bypassed) or is the key's first (first_seen). */
bool route_cache_put(struct route_cache *c, uint64_t h, const char *key, size_t klen,
		     const struct route_cache_val *v);

struct route_cache_stats route_cache_stats(const struct route_cache *c);

#endif /* OBI_ROUTE_CACHE_H */
