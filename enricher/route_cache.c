/* route_cache.c: the bounded path -> route cache of a route table (set-associative, CLOCK). */
#include "route_cache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

struct route_cache_slot {
	const char *route; /* static route (a pattern, the wildcard route), when !owned */
	uint16_t klen, rlen;
	uint8_t drop;
	bool matched, owned, has_route;
	char text[ROUTE_CACHE_TEXT]; /* key, then the owned route */
};

/*
 * Admission: a path is stored the second time it misses, not the first. Each set keeps a
 * "seen once" filter of 232 bits (29 per way), one bit per hash, cleared whenever a quarter of
 * them were set, so that a flood of unique paths mostly costs a bit write and cannot push the
 * paths seen again out of the cache (at most ~1 in 4 flood paths passes by a collision).
 */
#define ROUTE_CACHE_SEEN_BYTES 29
#define ROUTE_CACHE_SEEN_BITS (ROUTE_CACHE_SEEN_BYTES * 8)

/*
 * One set is one 64-byte cache line: tags, CLOCK state and the admission filter, so that a
 * lookup, and a flood's miss, touch one line before a key (a separate filter was a second
 * cold line per miss under load). 32-bit tags: a false tag match costs a key compare only.
 */
struct route_cache_set {
	uint32_t tag[ROUTE_CACHE_WAYS]; /* hash | 1; 0 = empty way */
	uint8_t ref;			/* CLOCK reference bits, one per way */
	uint8_t hand;
	uint8_t seen_n; /* filter bits set since it was last cleared */
	uint8_t seen[ROUTE_CACHE_SEEN_BYTES];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct route_cache_set) == 64, "a set is one cache line");

struct route_cache {
	struct route_cache_set *sets;
	struct route_cache_slot *slots;
	size_t nsets; /* a power of two */
	uint64_t seed;
	struct route_cache_stats st;
};

/*
 * A seeded multiply-xorshift over 8-byte words: fast on short paths, and with a secret seed a
 * peer cannot aim many paths at one set (which would only evict that set's entries anyway).
 */
static uint64_t route_cache_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

uint64_t route_cache_hash(const struct route_cache *c, const char *p, size_t n)
{
	uint64_t h = (c ? c->seed : 0) ^ (n * 0x9e3779b97f4a7c15ULL), w;

	/* One multiply per word; the seeded final mix does the avalanche. */
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, n);
	return route_cache_mix(h ^ w);
}

static uint64_t route_cache_seed(const void *salt)
{
	uint64_t s = 0;
	struct timespec ts;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == sizeof(s))
		return s;
	/* No entropy yet (early boot): still differs per process and run. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return route_cache_mix((uint64_t)(uintptr_t)salt ^ (uint64_t)ts.tv_nsec ^
			       ((uint64_t)ts.tv_sec << 32));
}

struct route_cache *route_cache_new(size_t entries)
{
	struct route_cache *c;
	size_t nsets = 1;

	if (entries == 0 || entries > ROUTE_CACHE_ENTRIES_MAX)
		return NULL;
	while (nsets * ROUTE_CACHE_WAYS < entries)
		nsets <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->sets = aligned_alloc(64, nsets * sizeof(*c->sets));
	c->slots = calloc(nsets * ROUTE_CACHE_WAYS, sizeof(*c->slots));
	if (!c->sets || !c->slots) {
		route_cache_free(c);
		return NULL;
	}
	memset(c->sets, 0, nsets * sizeof(*c->sets));
	c->nsets = nsets;
	c->seed = route_cache_seed(c);
	c->st.capacity = nsets * ROUTE_CACHE_WAYS;
	c->st.bytes = sizeof(*c) + nsets * sizeof(*c->sets) + c->st.capacity * sizeof(*c->slots);
	return c;
}

void route_cache_free(struct route_cache *c)
{
	if (!c)
		return;
	free(c->sets);
	free(c->slots);
	free(c);
}

static void route_cache_fill(const struct route_cache_slot *s, struct route_cache_val *v)
{
	v->drop = s->drop;
	v->matched = s->matched;
	v->owned = s->owned;
	v->len = s->rlen;
	v->route = !s->has_route ? NULL : s->owned ? s->text + s->klen : s->route;
}

bool route_cache_get(struct route_cache *c, uint64_t h, const char *key, size_t klen,
		     struct route_cache_val *v)
{
	uint32_t tag = (uint32_t)h | 1;
	struct route_cache_set *set;

	if (!c || klen > ROUTE_CACHE_KEY_MAX)
		return false;
	set = &c->sets[(h >> 32) & (c->nsets - 1)];
	for (unsigned w = 0; w < ROUTE_CACHE_WAYS; w++) {
		const struct route_cache_slot *s;

		if (set->tag[w] != tag)
			continue;
		s = &c->slots[(size_t)(set - c->sets) * ROUTE_CACHE_WAYS + w];
		if (s->klen != klen || memcmp(s->text, key, klen) != 0)
			continue;
		set->ref |= (uint8_t)(1u << w);
		route_cache_fill(s, v);
		c->st.hits++;
		return true;
	}
	c->st.misses++;
	return false;
}

/* The way to (re)use in a set: an empty one, else the first without its reference bit. */
static unsigned route_cache_victim(struct route_cache *c, struct route_cache_set *set)
{
	for (unsigned w = 0; w < ROUTE_CACHE_WAYS; w++)
		if (!set->tag[w])
			return w;
	/* At most two turns of the hand: the first clears every bit it passes. */
	for (;;) {
		unsigned w = set->hand;

		set->hand = (uint8_t)((w + 1) % ROUTE_CACHE_WAYS);
		if (!(set->ref & (1u << w))) {
			c->st.evictions++;
			c->st.entries--;
			return w;
		}
		set->ref &= (uint8_t) ~(1u << w);
	}
}

/* true the second time a hash comes to its set (or after a collision); false the first. */
static bool route_cache_admit(struct route_cache_set *set, uint64_t h)
{
	/* Bits 0-31 are the tag and 32+ the set: mixing both spreads one set's keys; a
	 * multiply and shift maps 16 bits onto 0..231 without a division. */
	unsigned bit =
	    (unsigned)(((((h >> 16) ^ (h >> 48)) & 0xffff) * ROUTE_CACHE_SEEN_BITS) >> 16);
	uint8_t mask = (uint8_t)(1u << (bit % 8));

	if (set->seen[bit / 8] & mask)
		return true;
	if (++set->seen_n > ROUTE_CACHE_SEEN_BITS / 4) {
		memset(set->seen, 0, sizeof(set->seen));
		set->seen_n = 1;
	}
	set->seen[bit / 8] |= mask;
	return false;
}

bool route_cache_put(struct route_cache *c, uint64_t h, const char *key, size_t klen,
		     const struct route_cache_val *v)
{
	size_t rlen = v->route && v->owned ? v->len : 0;
	struct route_cache_set *set;
	struct route_cache_slot *s;
	unsigned w;

	if (!c)
		return false;
	if (klen > ROUTE_CACHE_KEY_MAX || klen + rlen > ROUTE_CACHE_TEXT || v->len > UINT16_MAX) {
		c->st.bypassed++;
		return false;
	}
	set = &c->sets[(h >> 32) & (c->nsets - 1)];
	if (!route_cache_admit(set, h)) {
		c->st.first_seen++;
		return false;
	}
	w = route_cache_victim(c, set);
	s = &c->slots[(size_t)(set - c->sets) * ROUTE_CACHE_WAYS + w];
	/* Field by field: assigning a compound literal would also clear the unused text. */
	s->route = v->owned ? NULL : v->route;
	s->klen = (uint16_t)klen;
	s->rlen = (uint16_t)v->len;
	s->drop = (uint8_t)v->drop;
	s->matched = v->matched;
	s->owned = v->owned && v->route;
	s->has_route = v->route != NULL;
	memcpy(s->text, key, klen);
	if (rlen)
		memcpy(s->text + klen, v->route, rlen);
	set->tag[w] = (uint32_t)h | 1;
	/* Not referenced yet: a path seen once is the first to go (a flood of unique paths
	 * cycles through the ways that are not in use by paths seen again). */
	set->ref &= (uint8_t) ~(1u << w);
	c->st.inserts++;
	c->st.entries++;
	return true;
}

struct route_cache_stats route_cache_stats(const struct route_cache *c)
{
	struct route_cache_stats z = {0};

	return c ? c->st : z;
}
