/* test_metrics.c: RED aggregation: bucket edges, series keys, limit and overflow, TTL, delta. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_agg.h"
#include "monotime.h"
#include "otlp_testutil.h"

static const struct span_service svc = {.name = "agg-svc",
					.namespace_ = "",
					.instance_id = "h:1",
					.sdk_language = "go",
					.exe_path = "/bin/x",
					.resource_attrs = "",
					.pid = 7};

#define T0 1775595648000000000ULL

static void agg_init(struct metrics_agg *a, size_t limit, uint64_t ttl, bool delta)
{
	struct metrics_agg_config c = {.limit = limit, .ttl_ns = ttl, .delta = delta};

	for (int i = 0; i < METRICS_HISTS; i++)
		metrics_bounds_default(&c.bounds[i], (enum metrics_hist)i);
	assert_int_equal(metrics_agg_init(a, &c), 0);
}

static struct span *span_dur(uint64_t dur_ns, int status)
{
	struct span *s = otlp_t_span(&svc, 1, SPAN_KIND_SERVER);

	s->end_ns = s->start_ns + dur_ns;
	span_t_status(s, status);
	s->status = status >= 500 ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET;
	return s;
}

struct found {
	struct metrics_series *v[64];
	size_t n;
};

static bool collect(struct metrics_series *s, void *arg)
{
	struct found *f = arg;

	if (f->n < 64)
		f->v[f->n++] = s;
	return true;
}

static struct found all(struct metrics_agg *a)
{
	struct found f = {.n = 0};

	metrics_agg_each(a, collect, &f);
	return f;
}

static void test_bucket_edges(void **state)
{
	struct metrics_bounds b;

	(void)state;
	metrics_bounds_default(&b, METRICS_H_DURATION);
	assert_int_equal(b.n, 15);
	/* OTLP explicit buckets are upper-inclusive: (bounds[i-1], bounds[i]]. */
	assert_int_equal(metrics_bucket(&b, 0), 0);
	assert_int_equal(metrics_bucket(&b, 0.005), 1);
	assert_int_equal(metrics_bucket(&b, 0.0050001), 2);
	assert_int_equal(metrics_bucket(&b, 0.01), 2);
	assert_int_equal(metrics_bucket(&b, 10), 14);
	assert_int_equal(metrics_bucket(&b, 10.5), 15);
	metrics_bounds_default(&b, METRICS_H_REQ_SIZE);
	assert_int_equal(b.n, 10);
	assert_int_equal(metrics_bucket(&b, 32), 1);
	assert_int_equal(metrics_bucket(&b, 33), 2);
	assert_int_equal(metrics_bucket(&b, 9000), 10);
}

static void test_bounds_parse(void **state)
{
	struct metrics_bounds b;
	char *ok[] = {"0", "0.5", "1e1"}, *unsorted[] = {"1", "1"}, *junk[] = {"1", "x"},
	     *nan[] = {"nan"};

	(void)state;
	assert_int_equal(metrics_bounds_parse(&b, ok, 3), 0);
	assert_int_equal(b.n, 3);
	assert_true(b.v[2] == 10.0);
	assert_int_equal(metrics_bounds_parse(&b, unsorted, 2), -EINVAL);
	assert_int_equal(metrics_bounds_parse(&b, junk, 2), -EINVAL);
	assert_int_equal(metrics_bounds_parse(&b, nan, 1), -EINVAL);
}

/* Durations on each side of a bound land in the buckets OTLP defines; count == spans. */
static void test_record_buckets(void **state)
{
	struct metrics_agg a;
	uint64_t durs[] = {0, 5000000, 5000001, 10000000000ULL, 11000000000ULL};
	struct found f;

	(void)state;
	agg_init(&a, 10, 0, false);
	for (size_t i = 0; i < 5; i++) {
		struct span *s = span_dur(durs[i], 200);

		metrics_agg_record(&a, s, T0);
		span_t_free(s);
	}
	f = all(&a);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0]->h[METRICS_H_DURATION].count, 5);
	assert_int_equal(f.v[0]->h[METRICS_H_DURATION].buckets[0], 1);
	assert_int_equal(f.v[0]->h[METRICS_H_DURATION].buckets[1], 1);
	assert_int_equal(f.v[0]->h[METRICS_H_DURATION].buckets[2], 1);
	assert_int_equal(f.v[0]->h[METRICS_H_DURATION].buckets[14], 1);
	assert_int_equal(f.v[0]->h[METRICS_H_DURATION].buckets[15], 1);
	assert_true(f.v[0]->h[METRICS_H_DURATION].max == 11.0);
	assert_true(f.v[0]->h[METRICS_H_DURATION].min == 0.0);
	/* otlp_t_span: 512-byte response body, no request body */
	assert_int_equal(f.v[0]->h[METRICS_H_RESP_SIZE].buckets[5], 5);
	assert_int_equal(f.v[0]->h[METRICS_H_REQ_SIZE].buckets[0], 5);
	assert_int_equal(a.st.spans, 5);
	metrics_agg_free(&a);
}

/* Status, route and kind make separate series; errors carry error.type. */
static void test_series_keys(void **state)
{
	struct metrics_agg a;
	struct span *s = span_dur(1000, 200);
	struct found f;
	size_t errors = 0;

	(void)state;
	agg_init(&a, 10, 0, false);
	metrics_agg_record(&a, s, T0);
	metrics_agg_record(&a, s, T0);
	span_t_status(s, 503);
	s->status = SPAN_STATUS_ERROR;
	metrics_agg_record(&a, s, T0);
	span_t_set(s, SPAN_A_HTTP_ROUTE, "/users/{id}");
	metrics_agg_record(&a, s, T0);
	s->kind = SPAN_KIND_CLIENT;
	metrics_agg_record(&a, s, T0);
	s->drop_metrics = true;
	metrics_agg_record(&a, s, T0);
	s->drop_metrics = false;
	s->kind = SPAN_KIND_INTERNAL;
	metrics_agg_record(&a, s, T0);
	f = all(&a);
	assert_int_equal(f.n, 4);
	assert_int_equal(a.n_series[METRICS_SERVER], 3);
	assert_int_equal(a.n_series[METRICS_CLIENT], 1);
	for (size_t i = 0; i < f.n; i++)
		if (f.v[i]->error_type[0]) {
			assert_string_equal(f.v[i]->error_type, "503");
			errors++;
		}
	assert_int_equal(errors, 3);
	assert_int_equal(a.st.spans, 5);
	assert_int_equal(a.st.skipped, 2);
	span_t_free(s);
	metrics_agg_free(&a);
}

/* Past the limit every new attribute set goes into one overflow series per family. */
static void test_overflow(void **state)
{
	struct metrics_agg a;
	struct span *s = span_dur(1000, 200);
	struct found f;
	size_t over = 0;

	(void)state;
	agg_init(&a, 3, 0, false);
	for (int i = 0; i < 10; i++) {
		span_t_setf(s, SPAN_A_HTTP_ROUTE, "/r%d", i);
		/* past the limit, status, error and port no longer split anything */
		span_t_status(s, i < 7 ? 200 : 500 + i);
		s->status = i < 7 ? SPAN_STATUS_UNSET : SPAN_STATUS_ERROR;
		s->host_port = (uint16_t)(8000 + i);
		metrics_agg_record(&a, s, T0);
	}
	span_t_status(s, 200);
	s->status = SPAN_STATUS_UNSET;
	s->host_port = 8000;
	span_t_set(s, SPAN_A_HTTP_ROUTE, "/r0"); /* an existing series still takes spans */
	metrics_agg_record(&a, s, T0);
	f = all(&a);
	assert_int_equal(f.n, 4);
	assert_int_equal(a.n_series[METRICS_SERVER], 3);
	for (size_t i = 0; i < f.n; i++)
		if (f.v[i]->overflow) {
			assert_int_equal(f.v[i]->h[METRICS_H_DURATION].count, 7);
			over++;
		} else if (!strcmp(f.v[i]->route, "/r0"))
			assert_int_equal(f.v[i]->h[METRICS_H_DURATION].count, 2);
	assert_int_equal(over, 1);
	assert_int_equal(a.st.overflow, 7);
	span_t_free(s);
	metrics_agg_free(&a);
}

/* An idle series goes after the TTL, its slot in the limit too; its service copy is freed. */
static void test_ttl(void **state)
{
	struct metrics_agg a;
	struct span *s = span_dur(1000, 200);
	uint64_t ttl = 60000000000ULL;

	(void)state;
	agg_init(&a, 1, ttl, false);
	metrics_agg_record(&a, s, T0);
	span_t_set(s, SPAN_A_HTTP_ROUTE, "/b");
	metrics_agg_record(&a, s, T0 + ttl / 2); /* overflow, updated later */
	metrics_agg_expire(&a, T0 + ttl);
	assert_int_equal(all(&a).n, 2);
	metrics_agg_expire(&a, T0 + ttl + 1);
	assert_int_equal(all(&a).n, 1);
	assert_int_equal(a.n_series[METRICS_SERVER], 0);
	assert_int_equal(a.st.expired, 1);
	metrics_agg_record(&a, s, T0 + ttl + 2); /* room again: /b is a normal series now */
	assert_int_equal(a.n_series[METRICS_SERVER], 1);
	metrics_agg_expire(&a, T0 + 10 * ttl);
	assert_int_equal(all(&a).n, 0);
	assert_int_equal(a.n_total, 0);
	for (size_t i = 0; i <= a.svc_mask; i++)
		assert_null(a.svcs[i]); /* every service copy went with its last series */
	span_t_free(s);
	metrics_agg_free(&a);
}

/* Delta: each export's interval starts empty at the previous export. */
static void test_delta_reset(void **state)
{
	struct metrics_agg a;
	struct span *s = span_dur(1000, 200);
	struct found f;

	(void)state;
	agg_init(&a, 4, 0, true);
	metrics_agg_record(&a, s, T0);
	metrics_agg_record(&a, s, T0);
	metrics_agg_reset(&a, T0 + 5);
	f = all(&a);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0]->h[METRICS_H_DURATION].count, 0);
	assert_int_equal(
	    f.v[0]->h[METRICS_H_DURATION].buckets[0] + f.v[0]->h[METRICS_H_DURATION].buckets[1], 0);
	assert_int_equal(f.v[0]->start_ns, T0 + 5);
	metrics_agg_record(&a, s, T0 + 6);
	assert_int_equal(f.v[0]->h[METRICS_H_DURATION].count, 1);
	span_t_free(s);
	metrics_agg_free(&a);
}

/* Services are copied: a series outlives the process table's entry it was made from. */
static void test_service_copy(void **state)
{
	struct metrics_agg a;
	struct span_service *tmp = calloc(1, sizeof(*tmp));
	struct span *s = span_dur(1000, 200);
	char *name = strdup("short-lived");
	struct found f;

	(void)state;
	*tmp = svc;
	tmp->name = name;
	s->svc = tmp;
	agg_init(&a, 4, 0, false);
	metrics_agg_record(&a, s, T0);
	free(name);
	free(tmp);
	f = all(&a);
	assert_string_equal(f.v[0]->svc->s.name, "short-lived");
	s->svc = NULL; /* no service: still counted, under unknown_service */
	metrics_agg_record(&a, s, T0);
	f = all(&a);
	assert_int_equal(f.n, 2);
	span_t_free(s);
	metrics_agg_free(&a);
}

/* ns per recorded span on an existing series (the hot path), printed for the report. */
static void test_record_cost(void **state)
{
	struct metrics_agg a;
	struct span *s[16];
	const int n = 2000000;
	uint64_t t;

	(void)state;
	agg_init(&a, 2000, 0, false);
	for (int i = 0; i < 16; i++) {
		s[i] = span_dur(1000u * (unsigned)i, 200 + i);
		span_t_set(s[i], SPAN_A_HTTP_ROUTE, "/api/v1/items/{id}");
	}
	t = monotime_ns();
	for (int i = 0; i < n; i++)
		metrics_agg_record(&a, s[i & 15], T0);
	t = monotime_ns() - t;
	print_message("metrics: %.1f ns per recorded span (16 series)\n", (double)t / n);
	assert_int_equal(a.st.spans, (uint64_t)n);
	for (int i = 0; i < 16; i++)
		span_t_free(s[i]);
	metrics_agg_free(&a);
}

/* Memory at the limit (both families full, plus their overflow series), printed per series. */
static void test_memory_at_limit(void **state)
{
	struct metrics_agg a;
	struct span *s = span_dur(1000, 200);
	struct mallinfo2 before = mallinfo2(), after;

	(void)state;
	agg_init(&a, 2000, 0, false);
	for (int k = 0; k < 2; k++) {
		s->kind = k ? SPAN_KIND_CLIENT : SPAN_KIND_SERVER;
		for (int i = 0; i < 2100; i++) {
			span_t_setf(s, SPAN_A_HTTP_ROUTE, "/api/v1/items/%d", i);
			metrics_agg_record(&a, s, T0);
		}
	}
	after = mallinfo2();
	assert_int_equal(a.n_total, 4002);
	assert_int_equal(a.st.overflow, 200);
	if (after.uordblks > before.uordblks) /* the sanitizers' allocator is not glibc's */
		print_message(
		    "metrics: %zu bytes allocated at the limit (%zu series), %.0f per series\n",
		    after.uordblks - before.uordblks, a.n_total,
		    (double)(after.uordblks - before.uordblks) / (double)a.n_total);
	span_t_free(s);
	metrics_agg_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bucket_edges),   cmocka_unit_test(test_bounds_parse),
	    cmocka_unit_test(test_record_buckets), cmocka_unit_test(test_series_keys),
	    cmocka_unit_test(test_overflow),	   cmocka_unit_test(test_ttl),
	    cmocka_unit_test(test_delta_reset),	   cmocka_unit_test(test_service_copy),
	    cmocka_unit_test(test_record_cost),	   cmocka_unit_test(test_memory_at_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
