/* test_metrics_select.c: attributes.select on the RED series (groups, merging, error.type) and
 * on OTLP spans (both encoders), from real YAML. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "metrics_int.h"
#include "otlp_encode.h"
#include "otlp_encode_select.h"
#include "otlp_testutil.h"

static const struct span_service svc = {.name = "sel-svc",
					.namespace_ = "",
					.instance_id = "h:1",
					.sdk_language = "go",
					.exe_path = "/bin/x",
					.resource_attrs = "",
					.pid = 7};

#define T0 1775595648000000000ULL

static void load(struct obi_config *c, const char *yaml)
{
	char err[1024] = "";

	config_init_defaults(c);
	if (config_apply_yaml(c, yaml, strlen(yaml), "t.yaml", err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
}

static void agg_from(struct metrics_agg *a, const char *yaml)
{
	struct obi_config c;
	struct metrics_agg_config ac;
	char err[256];

	load(&c, yaml);
	assert_int_equal(metrics_agg_config_from(&c, &ac, err, sizeof(err)), 0);
	assert_int_equal(metrics_agg_init(a, &ac), 0);
	config_free(&c);
}

static void record(struct metrics_agg *a, int kind, const char *route, uint16_t port, int status)
{
	struct span *s = otlp_t_span(&svc, 1, kind);

	strcpy(s->route, route);
	s->host_port = port;
	s->status_code = status;
	s->status = status >= 500 ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET;
	metrics_agg_record(a, s, T0);
	free(s);
}

struct tally {
	size_t series[METRICS_HISTS]; /* series carrying histogram h */
	uint64_t count[METRICS_HISTS];
	size_t with_route, with_port, with_status, errors;
	int family;
};

static bool tally_one(struct metrics_series *s, void *arg)
{
	struct tally *t = arg;

	if (s->family != t->family)
		return true;
	for (int h = 0; h < METRICS_HISTS; h++)
		if (s->hists & 1u << h) {
			t->series[h]++;
			t->count[h] += s->h[h].count;
		} else
			assert_int_equal(s->h[h].count, 0);
	t->with_route += s->route[0] != 0;
	t->with_port += s->port != 0;
	t->with_status += s->status_code != 0;
	t->errors += s->error_type[0] != 0;
	return true;
}

static struct tally tally(struct metrics_agg *a, int family)
{
	struct tally t = {.family = family};

	metrics_agg_each(a, tally_one, &t);
	return t;
}

/* Excluding attributes from one metric merges its series (counts add up) and only its. */
static void test_exclude_merges_one_metric(void **state)
{
	struct metrics_agg a;
	struct tally t;
	static const char *routes[] = {"/a", "/b", "/c"};

	(void)state;
	agg_from(&a, "attributes:\n  select:\n    http_server_request_duration_seconds:\n"
		     "      exclude: [http.route, server_port]\n");
	assert_int_equal(a.n_groups[METRICS_SERVER], 2);
	assert_int_equal(a.n_groups[METRICS_CLIENT], 1);
	for (int i = 0; i < 6; i++)
		record(&a, SPAN_KIND_SERVER, routes[i % 3], (uint16_t)(8080 + i % 2), 200);
	record(&a, SPAN_KIND_CLIENT, "/x", 80, 200);
	record(&a, SPAN_KIND_CLIENT, "/y", 80, 200);
	t = tally(&a, METRICS_SERVER);
	assert_int_equal(t.series[METRICS_H_DURATION], 1);
	assert_int_equal(t.count[METRICS_H_DURATION], 6);
	assert_int_equal(t.series[METRICS_H_REQ_SIZE], 6);
	assert_int_equal(t.series[METRICS_H_RESP_SIZE], 6);
	assert_int_equal(t.count[METRICS_H_RESP_SIZE], 6);
	assert_int_equal(t.with_route, 6); /* the body-size series only */
	assert_int_equal(t.with_port, 6);
	t = tally(&a, METRICS_CLIENT);
	assert_int_equal(t.series[METRICS_H_DURATION], 2);
	assert_int_equal(t.with_route, 2);
	metrics_agg_free(&a);
}

/* A glob over every server metric; error.type still tells errors apart without the status. */
static void test_status_dropped_error_type_kept(void **state)
{
	struct metrics_agg a;
	struct tally t;

	(void)state;
	agg_from(&a, "attributes:\n  select:\n    http.server.*:\n"
		     "      exclude: [http.response.status_code]\n");
	assert_int_equal(a.n_groups[METRICS_SERVER], 1);
	record(&a, SPAN_KIND_SERVER, "/a", 80, 200);
	record(&a, SPAN_KIND_SERVER, "/a", 80, 201);
	record(&a, SPAN_KIND_SERVER, "/a", 80, 500);
	record(&a, SPAN_KIND_SERVER, "/a", 80, 503);
	record(&a, SPAN_KIND_SERVER, "/a", 80, 503);
	t = tally(&a, METRICS_SERVER);
	assert_int_equal(t.series[METRICS_H_DURATION], 3);
	assert_int_equal(t.count[METRICS_H_DURATION], 5);
	assert_int_equal(t.with_status, 0);
	assert_int_equal(t.errors, 2);
	metrics_agg_free(&a);
}

/* include limits a metric to the attributes listed; the wildcard entry covers both families. */
static void test_include_limits(void **state)
{
	struct metrics_agg a;
	struct tally t;

	(void)state;
	agg_from(&a, "attributes:\n  select:\n    \"*\":\n      include: [http.request.method]\n");
	for (int i = 0; i < 4; i++)
		record(&a, i % 2 ? SPAN_KIND_CLIENT : SPAN_KIND_SERVER, i < 2 ? "/a" : "/b",
		       (uint16_t)(80 + i), i == 3 ? 500 : 200);
	for (int f = 0; f < METRICS_FAMILIES; f++) {
		t = tally(&a, f);
		assert_int_equal(a.n_groups[f], 1);
		assert_int_equal(t.series[METRICS_H_DURATION], 1);
		assert_int_equal(t.count[METRICS_H_DURATION], 2);
		assert_int_equal(t.with_route + t.with_port + t.with_status + t.errors, 0);
	}
	metrics_agg_free(&a);
}

/* No attributes.select: one group, every attribute (the hot path as before). */
static void test_default_one_group(void **state)
{
	struct metrics_agg a;

	(void)state;
	agg_from(&a, "log_level: info\n");
	for (int f = 0; f < METRICS_FAMILIES; f++) {
		assert_int_equal(a.n_groups[f], 1);
		assert_int_equal(a.gdrop[f][0], 0);
		assert_int_equal(a.ghists[f][0], 7);
	}
	metrics_agg_free(&a);
}

static void encode_both(const char *yaml, struct otlp_buf *pb, struct otlp_buf *js)
{
	static const struct otlp_host host = {
	    .host_name = "h", .sdk_name = "o", .sdk_version = "0"};
	static const struct otlp_scope scope = {.name = "s", .version = "1"};
	struct obi_config c;
	struct otlp_span_select sel;
	struct span *sp[2] = {otlp_t_span(&svc, 1, SPAN_KIND_SERVER),
			      otlp_t_span(&svc, 2, SPAN_KIND_CLIENT)};
	struct otlp_encode_stats st = {0};

	load(&c, yaml);
	assert_int_equal(otlp_span_select_init(&sel, &c.attributes.select), 0);
	assert_int_equal(otlp_encode_traces_pb_sel((const struct span *const *)sp, 2, &host, &scope,
						   &sel, pb, &st),
			 0);
	assert_int_equal(otlp_encode_traces_json_sel((const struct span *const *)sp, 2, &host,
						     &scope, &sel, js, &st),
			 0);
	free(sp[0]);
	free(sp[1]);
	config_free(&c);
}

static bool has(const struct otlp_buf *b, const char *s)
{
	return memmem(b->data, b->len, s, strlen(s)) != NULL;
}

static void test_traces_exclude(void **state)
{
	struct otlp_buf pb = {0}, js = {0};

	(void)state;
	encode_both(
	    "attributes:\n  select:\n    traces:\n      exclude: [\"url.*\", client_address]\n"
	    "    http.server.request.duration:\n      exclude: [http.request.method]\n",
	    &pb, &js);
	for (int i = 0; i < 2; i++) {
		const struct otlp_buf *b = i ? &js : &pb;

		assert_false(has(b, "url.path"));
		assert_false(has(b, "url.full"));
		assert_false(has(b, "client.address"));
		assert_true(has(b, "http.request.method")); /* a metric's rule is not the traces' */
		assert_true(has(b, "server.address"));
		assert_true(has(b, "http.response.status_code"));
	}
	otlp_buf_free(&pb);
	otlp_buf_free(&js);
	encode_both("log_level: info\n", &pb, &js);
	assert_true(has(&pb, "url.path") && has(&js, "url.path"));
	assert_true(has(&pb, "client.address") && has(&js, "client.address"));
	otlp_buf_free(&pb);
	otlp_buf_free(&js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exclude_merges_one_metric),
	    cmocka_unit_test(test_status_dropped_error_type_kept),
	    cmocka_unit_test(test_include_limits),
	    cmocka_unit_test(test_default_one_group),
	    cmocka_unit_test(test_traces_exclude),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
