/* test_route_cache.c: the route cache changes no result, stays bounded, and costs no more. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route.h"
#include "route_seg.h"

#define CORPUS_MAX 4096
#define PATH_MAX_LEN 512

struct corpus {
	char *path[CORPUS_MAX];
	size_t n;
};

static struct corpus g_corpus;

/* The labelled corpus' paths (second column), both files. */
static void corpus_load(struct corpus *c, const char *file)
{
	FILE *f = fopen(file, "re");
	char line[2048];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) && c->n < CORPUS_MAX) {
		char *tab = strchr(line, '\t'), *end;

		if (line[0] == '#' || !tab)
			continue;
		end = strchr(tab + 1, '\t');
		if (!end)
			continue;
		*end = '\0';
		c->path[c->n] = strdup(tab + 1);
		assert_non_null(c->path[c->n]);
		c->n++;
	}
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	corpus_load(&g_corpus, "tests/routes/tuning.tsv");
	corpus_load(&g_corpus, "tests/routes/heldout.tsv");
	return g_corpus.n >= 1100 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < g_corpus.n; i++)
		free(g_corpus.path[i]);
	return 0;
}

static const char *const k_patterns[] = {
    "/api/v1/users/{id}", "/api/v1/users/{id}/orders", "/repos/:owner/:repo/pulls", "/static/*",
    "/healthz",		  "/v2/:name/manifests/{ref}"};
static const char *const k_ignored[] = {"/healthz", "/metrics", "/static/*"};

static struct route_table *table(enum route_unmatched u, bool patterns, bool cache, size_t entries,
				 unsigned max_children)
{
	struct route_settings s = {
	    .patterns = patterns ? k_patterns : NULL,
	    .n_patterns = patterns ? sizeof(k_patterns) / sizeof(k_patterns[0]) : 0,
	    .ignored = patterns ? k_ignored : NULL,
	    .n_ignored = patterns ? sizeof(k_ignored) / sizeof(k_ignored[0]) : 0,
	    .unmatched = u,
	    .wildcard_char = '*',
	    .max_path_segment_cardinality = max_children,
	    .cache_entries = entries,
	    .no_cache = !cache,
	};
	struct route_table *t = NULL;
	char err[256];

	assert_int_equal(route_table_new(&s, &t, err, sizeof(err)), 0);
	return t;
}

static void same_result(const struct route_result *a, const char *abuf,
			const struct route_result *b, const char *bbuf, const char *path)
{
	if (!a->route || !b->route) {
		assert_ptr_equal(a->route, b->route);
	} else if (strcmp(a->route, b->route) != 0 || a->len != b->len) {
		fail_msg("%s: cached \"%s\" (%zu) vs uncached \"%s\" (%zu)", path, a->route, a->len,
			 b->route, b->len);
	}
	/* Text results live in the caller's buffer in both, so a caller may keep using it. */
	assert_true((a->route == abuf) == (b->route == bbuf));
	assert_int_equal(a->drop, b->drop);
	assert_int_equal(a->matched, b->matched);
	assert_int_equal(a->lc.collapsed, b->lc.collapsed);
	assert_int_equal(a->lc.new_node_collapsed, b->lc.new_node_collapsed);
	assert_string_equal(a->lc.prefix, b->lc.prefix);
}

/* One path, as written and with a query, through both tables (bufsz small: the cut). */
static void compare_one(struct route_table *ct, struct route_lc *clc, struct route_table *ut,
			struct route_lc *ulc, const char *path, size_t bufsz)
{
	char q[PATH_MAX_LEN + 64], cbuf[PATH_MAX_LEN + 8], ubuf[PATH_MAX_LEN + 8];
	struct route_result cr, ur;
	const char *variants[2] = {path, q};

	snprintf(q, sizeof(q), "%s?page=2&id=48213#top", path);
	for (int v = 0; v < 2; v++) {
		route_resolve(ct, clc, variants[v], strlen(variants[v]), cbuf, bufsz, &cr);
		route_resolve(ut, ulc, variants[v], strlen(variants[v]), ubuf, bufsz, &ur);
		same_result(&cr, cbuf, &ur, ubuf, variants[v]);
	}
}

/* Every corpus path, three passes (misses, then hits, then hits after evictions). */
static void compare_corpus(enum route_unmatched u, bool patterns, size_t entries,
			   unsigned max_children, size_t bufsz)
{
	struct route_table *ct = table(u, patterns, true, entries, max_children);
	struct route_table *ut = table(u, patterns, false, 0, max_children);
	struct route_lc *clc = route_table_lc_new(ct), *ulc = route_table_lc_new(ut);
	struct route_cache_stats st;

	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < g_corpus.n; i++)
			compare_one(ct, clc, ut, ulc, g_corpus.path[i], bufsz);
	st = route_table_cache_stats(ct);
	/* The comparison must have gone through the cache: hits and (small cache) evictions. */
	if (u == ROUTE_UNMATCHED_HEURISTIC || u == ROUTE_UNMATCHED_LOW_CARDINALITY || patterns)
		assert_true(st.hits > (entries ? 0 : g_corpus.n));
	if (entries && entries < g_corpus.n)
		assert_true(st.evictions > 0);
	assert_true(st.entries <= st.capacity);
	assert_int_equal(route_table_cache_stats(ut).hits, 0);
	route_lc_free(clc);
	route_lc_free(ulc);
	route_table_free(ct);
	route_table_free(ut);
}

static void test_corpus_heuristic(void **state)
{
	(void)state;
	compare_corpus(ROUTE_UNMATCHED_HEURISTIC, false, 0, 0, PATH_MAX_LEN + 8);
	compare_corpus(ROUTE_UNMATCHED_HEURISTIC, true, 0, 0, PATH_MAX_LEN + 8);
	compare_corpus(ROUTE_UNMATCHED_HEURISTIC, false, 64, 0, PATH_MAX_LEN + 8);
	/* A buffer too small for some routes: cut the same way, and such results not cached. */
	compare_corpus(ROUTE_UNMATCHED_HEURISTIC, false, 0, 0, 24);
}

static void test_corpus_other_modes(void **state)
{
	(void)state;
	compare_corpus(ROUTE_UNMATCHED_PATH, true, 0, 0, PATH_MAX_LEN + 8);
	compare_corpus(ROUTE_UNMATCHED_PATH, true, 0, 0, 24);
	compare_corpus(ROUTE_UNMATCHED_WILDCARD, true, 0, 0, PATH_MAX_LEN + 8);
	compare_corpus(ROUTE_UNMATCHED_UNSET, true, 64, 0, PATH_MAX_LEN + 8);
	compare_corpus(ROUTE_UNMATCHED_WILDCARD, false, 0, 0, PATH_MAX_LEN + 8);
}

/* Collapse decisions change as children are seen: the cache must follow them exactly. */
static void test_corpus_low_cardinality(void **state)
{
	(void)state;
	compare_corpus(ROUTE_UNMATCHED_LOW_CARDINALITY, false, 0, 3, PATH_MAX_LEN + 8);
	compare_corpus(ROUTE_UNMATCHED_LOW_CARDINALITY, true, 128, 2, PATH_MAX_LEN + 8);
	compare_corpus(ROUTE_UNMATCHED_LOW_CARDINALITY, false, 0, 0, PATH_MAX_LEN + 8);
}

/* xorshift: reproducible pseudo-random paths (a failure prints the seed's path). */
static uint64_t rnd_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Pieces of corpus paths glued with bytes a peer may send: '?', '#', NUL, '%', '/', 0xff. */
static size_t random_path(uint64_t *x, char *out, size_t cap)
{
	static const char odd[] = {'/', '?', '#', '\0', '%', '.', '@', '-', (char)0xff, '*'};
	size_t n = 0, parts = 1 + rnd_next(x) % 6;

	for (size_t k = 0; k < parts && n < cap - 1; k++) {
		const char *src = g_corpus.path[rnd_next(x) % g_corpus.n];
		size_t len = strlen(src), from = rnd_next(x) % (len + 1), take;

		take = rnd_next(x) % (len - from + 1);
		take = take < cap - 1 - n ? take : cap - 1 - n;
		memcpy(out + n, src + from, take);
		n += take;
		if (n < cap - 1 && rnd_next(x) % 3 == 0)
			out[n++] = odd[rnd_next(x) % sizeof(odd)];
	}
	/* sometimes far past the cache's key limit */
	while (rnd_next(x) % 8 == 0 && n + 40 < cap)
		for (int i = 0; i < 40; i++)
			out[n++] = (char)('a' + rnd_next(x) % 26);
	return n;
}

static void compare_random(enum route_unmatched u, bool patterns, size_t entries,
			   unsigned max_children)
{
	struct route_table *ct = table(u, patterns, true, entries, max_children);
	struct route_table *ut = table(u, patterns, false, 0, max_children);
	struct route_lc *clc = route_table_lc_new(ct), *ulc = route_table_lc_new(ut);
	char p[PATH_MAX_LEN], cbuf[PATH_MAX_LEN + 8], ubuf[PATH_MAX_LEN + 8];
	struct route_result cr, ur;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 40000; i++) {
		/* a small pool of prefixes repeats, so that hits happen among the random ones */
		uint64_t y = i % 4 ? x : 0x1234567ULL + (uint64_t)(i % 64);
		size_t n = random_path(i % 4 ? &x : &y, p, sizeof(p));

		route_resolve(ct, clc, p, n, cbuf, sizeof(cbuf), &cr);
		route_resolve(ut, ulc, p, n, ubuf, sizeof(ubuf), &ur);
		same_result(&cr, cbuf, &ur, ubuf, "(random path)");
	}
	assert_true(route_table_cache_stats(ct).hits > 0);
	assert_true(route_table_cache_stats(ct).bypassed > 0);
	route_lc_free(clc);
	route_lc_free(ulc);
	route_table_free(ct);
	route_table_free(ut);
}

/* The word-at-a-time scan against the byte loop it replaced, stop bytes at every offset. */
static void test_path_len(void **state)
{
	static const char stops[] = {'?', '#', '\0'};
	char p[40];
	uint64_t x = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len = rnd_next(&x) % sizeof(p), want = len;

		for (size_t i = 0; i < len; i++) {
			/* mostly bytes near the stop bytes' values (>, @, ", $, 0x01) */
			p[i] = (char)("ab/>@\"$\x01\xbf\xa3"[rnd_next(&x) % 10]);
		}
		if (len && rnd_next(&x) % 4) {
			size_t at = rnd_next(&x) % len;

			p[at] = stops[rnd_next(&x) % 3];
		}
		for (size_t i = 0; i < len; i++)
			if (p[i] == '?' || p[i] == '#' || p[i] == '\0') {
				want = i;
				break;
			}
		assert_int_equal(route_path_len(p, len), want);
	}
}

/* Bytes the corpus does not have: NUL, '#', '%', 0xff, keys over the cache's limit. */
static void test_random_paths(void **state)
{
	(void)state;
	compare_random(ROUTE_UNMATCHED_HEURISTIC, true, 0, 0);
	compare_random(ROUTE_UNMATCHED_LOW_CARDINALITY, false, 256, 4);
	compare_random(ROUTE_UNMATCHED_PATH, true, 64, 0);
}

/* A per-request unique path, as an attacker (or a badly templated client) sends. */
static size_t unique_path(char *out, size_t cap, unsigned long i)
{
	unsigned long v = i * 2654435761ul % 100000000ul + i;
	int n;

	switch (i % 5) {
	case 0:
		n = snprintf(out, cap, "/api/v1/users/%lu/orders", v);
		break;
	case 1:
		n = snprintf(out, cap, "/repos/acme/widget/pulls/%lu/files", v);
		break;
	case 2:
		n = snprintf(out, cap, "/t/%08lx-2b1c-4d7e-9f10-6a5b4c3d2e1f/items", v);
		break;
	case 3:
		n = snprintf(out, cap, "/blog/how-to-deploy-%lu-services", v);
		break;
	default:
		n = snprintf(out, cap, "/shop/sku-%lu-blk/reviews", v);
		break;
	}
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	long pages = 0, rss = 0;

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss * 4;
}

static void test_flood_bounded(void **state)
{
	struct route_table *t = table(ROUTE_UNMATCHED_HEURISTIC, true, true, 512, 0);
	struct route_cache_stats st0 = route_table_cache_stats(t), st;
	char p[128], buf[256];
	struct route_result r;
	long rss0;

	(void)state;
	/* Warm the pages the cache owns (the bound is allocated up front). */
	for (unsigned long i = 0; i < 4096; i++)
		route_resolve(t, NULL, p, unique_path(p, sizeof(p), i), buf, sizeof(buf), &r);
	rss0 = rss_kib();
	for (unsigned long i = 4096; i < 200000; i++)
		route_resolve(t, NULL, p, unique_path(p, sizeof(p), i), buf, sizeof(buf), &r);
	st = route_table_cache_stats(t);
	print_message("flood: %llu misses, %llu evictions, %zu/%zu entries, %zu bytes, RSS "
		      "+%ld KiB\n",
		      (unsigned long long)st.misses, (unsigned long long)st.evictions, st.entries,
		      st.capacity, st.bytes, rss_kib() - rss0);
	assert_int_equal(st.capacity, 512);
	assert_int_equal(st.bytes, st0.bytes);
	assert_true(st.bytes < 512 * 320);
	assert_true(st.entries <= st.capacity);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.misses, 200000);
	assert_int_equal(st.inserts + st.first_seen + st.bypassed, st.misses);
	/* Unique paths mostly stop at the admission filter (a collision lets ~1 in 8 through). */
	assert_true(st.first_seen > st.misses / 2);
	assert_true(st.evictions + st.entries == st.inserts);
	/* 196k distinct paths stored would be tens of MiB. */
	assert_true(rss_kib() - rss0 < 2048);
	route_table_free(t);
}

/* Paths seen again stay cached while thirty times as many unique ones go by. */
static void test_flood_keeps_stable_paths(void **state)
{
	struct route_table *t = table(ROUTE_UNMATCHED_HEURISTIC, false, true, 0, 0);
	uint64_t hits0;
	char p[128], buf[256];
	struct route_result r;
	unsigned long u = 5000000;

	(void)state;
	for (unsigned long i = 0; i < 2 * 64; i++)
		route_resolve(t, NULL, p, unique_path(p, sizeof(p), i % 64), buf, sizeof(buf), &r);
	hits0 = route_table_cache_stats(t).hits;
	for (unsigned long i = 0; i < 64 * 100; i++) {
		route_resolve(t, NULL, p, unique_path(p, sizeof(p), i % 64), buf, sizeof(buf), &r);
		for (int k = 0; k < 30; k++, u++)
			route_resolve(t, NULL, p, unique_path(p, sizeof(p), u), buf, sizeof(buf),
				      &r);
	}
	print_message("stable paths among a flood: %llu of %d hits, %llu evictions\n",
		      (unsigned long long)(route_table_cache_stats(t).hits - hits0), 64 * 100,
		      (unsigned long long)route_table_cache_stats(t).evictions);
	assert_true(route_table_cache_stats(t).hits - hits0 >= 64 * 100 * 99 / 100);
	route_table_free(t);
}

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define RUN_PATHS 2000
#define RUN_CHUNKS 41

struct run_paths {
	char p[RUN_PATHS][80];
	size_t len[RUN_PATHS];
};

/* Built before timing, so that only route_resolve is timed. */
static void run_paths_fill(struct run_paths *rp, unsigned long from, bool stable)
{
	for (unsigned long i = 0; i < RUN_PATHS; i++)
		rp->len[i] = unique_path(rp->p[i], sizeof(rp->p[i]), stable ? i % 64 : from + i);
}

static double run_ns(struct route_table *t, const struct run_paths *rp)
{
	char buf[256];
	struct route_result r;
	double t0 = cpu_ns();

	for (unsigned long i = 0; i < RUN_PATHS; i++)
		route_resolve(t, NULL, rp->p[i], rp->len[i], buf, sizeof(buf), &r);
	return (cpu_ns() - t0) / RUN_PATHS;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Timing on a shared VM (stolen time counts as ours): the same paths through both tables in
 * small alternating chunks, and the median of the per-chunk ratios, which a burst of load
 * on some chunks does not move.
 */
static void test_flood_costs_no_more(void **state)
{
	struct route_table *ct = table(ROUTE_UNMATCHED_HEURISTIC, true, true, 1024, 0);
	struct route_table *ut = table(ROUTE_UNMATCHED_HEURISTIC, true, false, 0, 0);
	struct run_paths *rp = malloc(sizeof(*rp)), *st = malloc(sizeof(*st));
	double miss[RUN_CHUNKS], hit[RUN_CHUNKS], c_ns[RUN_CHUNKS];
	unsigned long from = 1000000;

	(void)state;
	assert_non_null(rp);
	assert_non_null(st);
	run_paths_fill(st, 0, true);
	run_ns(ct, st); /* the stable paths: seen once, then stored */
	run_ns(ct, st);
	for (int k = 0; k < RUN_CHUNKS; k++, from += RUN_PATHS) {
		double c, u, h;

		run_paths_fill(rp, from, false);
		c = run_ns(ct, rp);
		u = run_ns(ut, rp);
		h = run_ns(ct, st);
		miss[k] = c / u;
		hit[k] = h / u;
		c_ns[k] = c;
	}
	qsort(miss, RUN_CHUNKS, sizeof(double), cmp_double);
	qsort(hit, RUN_CHUNKS, sizeof(double), cmp_double);
	qsort(c_ns, RUN_CHUNKS, sizeof(double), cmp_double);
	print_message("unique paths: cached (all misses) / uncached: median %.3f (%.3f-%.3f), "
		      "%.0f ns; stable paths cached / uncached: median %.3f\n",
		      miss[RUN_CHUNKS / 2], miss[0], miss[RUN_CHUNKS - 1], c_ns[RUN_CHUNKS / 2],
		      hit[RUN_CHUNKS / 2]);
	assert_true(miss[RUN_CHUNKS / 2] <= 1.25);
	/* And the point of it: a stable path set pays a lookup, not the heuristic. */
	assert_true(hit[RUN_CHUNKS / 2] < 0.25);
	free(rp);
	free(st);
	route_table_free(ct);
	route_table_free(ut);
}

static void test_cache_limits(void **state)
{
	struct route_cache *c = route_cache_new(8);
	struct route_cache_val v = {.route = "/a/*", .len = 4, .owned = true}, got;
	char key[ROUTE_CACHE_KEY_MAX + 2];

	(void)state;
	assert_null(route_cache_new(0));
	assert_null(route_cache_new((size_t)ROUTE_CACHE_ENTRIES_MAX + 1));
	assert_non_null(c);
	memset(key, 'a', sizeof(key));
	assert_false(route_cache_put(c, 0, key, ROUTE_CACHE_KEY_MAX + 1, &v));
	assert_false(route_cache_get(c, 0, key, ROUTE_CACHE_KEY_MAX + 1, &got));
	v.len = ROUTE_CACHE_TEXT; /* key + route over one slot */
	v.route = key;
	assert_false(route_cache_put(c, route_cache_hash(c, key, 10), key, 10, &v));
	assert_int_equal(route_cache_stats(c).bypassed, 2);
	v = (struct route_cache_val){.route = "/a/*", .len = 4, .owned = true};
	/* stored on its second miss only */
	assert_false(route_cache_put(c, route_cache_hash(c, "/a/1", 4), "/a/1", 4, &v));
	assert_false(route_cache_get(c, route_cache_hash(c, "/a/1", 4), "/a/1", 4, &got));
	assert_int_equal(route_cache_stats(c).first_seen, 1);
	assert_true(route_cache_put(c, route_cache_hash(c, "/a/1", 4), "/a/1", 4, &v));
	assert_true(route_cache_get(c, route_cache_hash(c, "/a/1", 4), "/a/1", 4, &got));
	assert_int_equal(got.len, 4);
	assert_memory_equal(got.route, "/a/*", 4);
	/* same hash set, different bytes: no false hit */
	assert_false(route_cache_get(c, route_cache_hash(c, "/a/2", 4), "/a/2", 4, &got));
	assert_false(route_cache_get(c, route_cache_hash(c, "/a/1/", 5), "/a/1/", 5, &got));
	/* a referenced entry survives eight newcomers in its one set; they evict each other */
	for (int i = 0; i < 8; i++) {
		char k[8];

		snprintf(k, sizeof(k), "/b/%d", i);
		route_cache_put(c, route_cache_hash(c, k, strlen(k)), k, strlen(k), &v);
		assert_true(
		    route_cache_put(c, route_cache_hash(c, k, strlen(k)), k, strlen(k), &v));
	}
	assert_true(route_cache_get(c, route_cache_hash(c, "/a/1", 4), "/a/1", 4, &got));
	assert_true(route_cache_stats(c).entries <= 8);
	assert_true(route_cache_stats(c).evictions >= 1);
	route_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cache_limits),
	    cmocka_unit_test(test_corpus_heuristic),
	    cmocka_unit_test(test_corpus_other_modes),
	    cmocka_unit_test(test_corpus_low_cardinality),
	    cmocka_unit_test(test_random_paths),
	    cmocka_unit_test(test_path_len),
	    cmocka_unit_test(test_flood_bounded),
	    cmocka_unit_test(test_flood_keeps_stable_paths),
	    cmocka_unit_test(test_flood_costs_no_more),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
