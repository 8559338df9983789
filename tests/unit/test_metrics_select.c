/* test_metrics_select.c: attributes.select on the RED series (groups, merging, error.type) and
 * on OTLP spans (both encoders), from real YAML. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
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

	span_t_set(s, SPAN_A_HTTP_ROUTE, route);
	s->host_port = port;
	span_t_status(s, status);
	s->status = status >= 500 ? SPAN_STATUS_ERROR : SPAN_STATUS_UNSET;
	metrics_agg_record(a, s, T0);
	span_t_free(s);
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
		/* the opt-in attributes (url.path, client.address) are off by default */
		assert_int_equal(a.gdrop[f][0], METRICS_OPTIN_BITS);
		assert_int_equal(a.ghists[f][0], 7);
	}
	metrics_agg_free(&a);
}

/* A span with the given url.path and addresses (host = server side, peer = client side). */
static void record_at(struct metrics_agg *a, int kind, const char *path, const char *host,
		      const char *peer)
{
	struct span *s = otlp_t_span(&svc, 1, kind);

	span_t_set(s, SPAN_A_URL_PATH, path);
	snprintf(s->host_addr, sizeof(s->host_addr), "%s", host);
	snprintf(s->peer_addr, sizeof(s->peer_addr), "%s", peer);
	metrics_agg_record(a, s, T0);
	/* renaming is for metrics only: the span (and so every trace exporter) keeps them */
	assert_string_equal(s->host_addr, host);
	assert_string_equal(s->peer_addr, peer);
	span_t_free(s);
}

struct find {
	int family, hist;
	const char *path, *addr, *client; /* NULL: any */
	size_t n;
	uint64_t count;
};

static bool find_one(struct metrics_series *s, void *arg)
{
	struct find *q = arg;

	if (s->family != q->family || !(s->hists & 1u << q->hist) ||
	    (q->path && strcmp(s->path, q->path)) || (q->addr && strcmp(s->addr, q->addr)) ||
	    (q->client && strcmp(s->client, q->client)))
		return true;
	q->n++;
	q->count += s->h[q->hist].count;
	return true;
}

/* Series of (family, histogram) with these values, and their span count. */
static struct find find(struct metrics_agg *a, int family, int hist, const char *path,
			const char *addr, const char *client)
{
	struct find q = {family, hist, path, addr, client, 0, 0};

	metrics_agg_each(a, find_one, &q);
	return q;
}

/* include naming url.path and client.address on one metric: its series split by path and
 * carry the client; the other metrics of the family and the client family stay as they were. */
static void test_optin_named(void **state)
{
	struct metrics_agg a;

	(void)state;
	agg_from(&a, "attributes:\n  select:\n    http_server_request_duration_seconds:\n"
		     "      include: [url_path, client.address, http.request.method]\n"
		     "    http.client.request.duration:\n      include: [\"*\"]\n");
	for (int i = 0; i < 6; i++) {
		char p[16];

		snprintf(p, sizeof(p), "/u/%d", i % 3);
		record_at(&a, SPAN_KIND_SERVER, p, "10.0.0.1", i < 4 ? "svc-a" : "svc-b");
		record_at(&a, SPAN_KIND_CLIENT, p, "svc-c", "10.0.0.2");
	}
	assert_int_equal(find(&a, 0, METRICS_H_DURATION, NULL, NULL, NULL).n, 5);
	assert_int_equal(find(&a, 0, METRICS_H_DURATION, "/u/0", "", "svc-a").count, 2);
	assert_int_equal(find(&a, 0, METRICS_H_DURATION, "/u/1", "", "svc-b").count, 1);
	assert_int_equal(find(&a, 0, METRICS_H_REQ_SIZE, "", "unresolved", "").count, 6);
	assert_int_equal(find(&a, 0, METRICS_H_REQ_SIZE, NULL, NULL, NULL).n, 1);
	/* `*` turns on every attribute the metric has: url.path, never client.address */
	assert_int_equal(find(&a, 1, METRICS_H_DURATION, NULL, NULL, NULL).n, 3);
	assert_int_equal(find(&a, 1, METRICS_H_DURATION, "/u/2", "svc-c", "").count, 2);
	assert_int_equal(find(&a, 1, METRICS_H_RESP_SIZE, "", "svc-c", "").count, 6);
	metrics_agg_free(&a);
}

/* Globs over attribute names reach the opt-in ones; exclude still wins. */
static void test_optin_globs(void **state)
{
	struct metrics_agg a;

	(void)state;
	agg_from(&a, "attributes:\n  select:\n    \"http.server.*\":\n"
		     "      include: [\"url.*\", \"client.*\", server.address]\n"
		     "      exclude: [client_address]\n");
	record_at(&a, SPAN_KIND_SERVER, "/a", "10.0.0.1", "10.0.0.9");
	record_at(&a, SPAN_KIND_SERVER, "/b", "10.0.0.1", "10.0.0.9");
	for (int h = 0; h < METRICS_HISTS; h++) {
		assert_int_equal(find(&a, 0, h, NULL, NULL, NULL).n, 2);
		assert_int_equal(find(&a, 0, h, "/a", "unresolved", "").n, 1);
	}
	metrics_agg_free(&a);
}

/* OBI's directions: a server span's server.address takes the generic word and its
 * client.address the incoming one; a client span's server.address the outgoing one; names
 * (not IP addresses) are kept, and "" disables a word. */
static void test_unresolved_words(void **state)
{
	struct metrics_agg a;

	(void)state;
	agg_from(&a, "attributes:\n  select:\n    http.server.request.duration:\n"
		     "      include: [\"*\"]\n");
	record_at(&a, SPAN_KIND_SERVER, "/a", "127.0.0.1", "::1");
	record_at(&a, SPAN_KIND_SERVER, "/a", "::ffff:10.1.2.3", "10.9.9.9");
	record_at(&a, SPAN_KIND_SERVER, "/a", "front-end", "checkout");
	record_at(&a, SPAN_KIND_CLIENT, "/a", "fe80::1", "127.0.0.1");
	record_at(&a, SPAN_KIND_CLIENT, "/a", "db.example", "127.0.0.1");
	assert_int_equal(find(&a, 0, METRICS_H_DURATION, "/a", "unresolved", "incoming").count, 2);
	assert_int_equal(find(&a, 0, METRICS_H_DURATION, "/a", "front-end", "checkout").count, 1);
	assert_int_equal(find(&a, 1, METRICS_H_DURATION, "", "outgoing", "").count, 1);
	assert_int_equal(find(&a, 1, METRICS_H_DURATION, "", "db.example", "").count, 1);
	metrics_agg_free(&a);

	agg_from(&a, "attributes:\n  rename_unresolved_hosts: \"\"\n"
		     "  rename_unresolved_hosts_outgoing: ext\n"
		     "  rename_unresolved_hosts_incoming: \"\"\n");
	record_at(&a, SPAN_KIND_SERVER, "/a", "127.0.0.1", "127.0.0.2");
	record_at(&a, SPAN_KIND_CLIENT, "/a", "10.0.0.1", "127.0.0.1");
	assert_int_equal(find(&a, 0, METRICS_H_DURATION, "", "127.0.0.1", "").count, 1);
	assert_int_equal(find(&a, 1, METRICS_H_DURATION, "", "ext", "").count, 1);
	metrics_agg_free(&a);
}

/* Go's net.ParseIP decides what is an address: these are, these are not. */
static void test_unresolved_is_ip(void **state)
{
	static const char *const ip[] = {"1.2.3.4",	"255.255.255.255", "::", "::1", "fe80::1",
					 "::ffff:10.0.0.1", "2001:db8::8a2e:370:7334"};
	static const char *const not_ip[] = {
	    "1.2.3", "01.2.3.4", "1.2.3.4.5", "256.1.1.1", "fe80::1%lo", "[::1]",	 "::1:",
	    "1.2.3.4:80", "localhost", "cafe", "a:b", " 1.2.3.4", "1.2.3.4 ", "deadbeef::x", "1.2.3.04", "1234.1.1.1", "1..2.3",
	    "1.2.3.4.", "-1.2.3.4", ""};

	(void)state;
	for (size_t i = 0; i < sizeof(ip) / sizeof(ip[0]); i++)
		assert_string_equal(metrics_unresolved_value("w", ip[i]), "w");
	for (size_t i = 0; i < sizeof(not_ip) / sizeof(not_ip[0]); i++)
		assert_string_equal(metrics_unresolved_value("w", not_ip[i]), not_ip[i]);
	assert_string_equal(metrics_unresolved_value("", "1.2.3.4"), "1.2.3.4");
	/* the one-entry cache answers as the classifier, in any order, repeats included */
	{
		struct metrics_ipcache c = {0};
		char long_v[SPAN_ADDR_MAX + 8];
		const char *seq[] = {"1.2.3.4", "1.2.3.4", "front", "front", "::1", "1.2.3",
				     long_v, long_v, "1.2.3.4", "", "10.0.0.1"};

		memset(long_v, '1', sizeof(long_v) - 1);
		long_v[sizeof(long_v) - 1] = '\0';
		for (int r = 0; r < 2; r++)
			for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
				assert_string_equal(metrics_unresolved_cached(&c, "w", seq[i]),
						    metrics_unresolved_value("w", seq[i]));
		assert_string_equal(metrics_unresolved_cached(&c, "", "10.0.0.1"), "10.0.0.1");
	}
	/* IPv4 is classified by hand: it must agree with inet_pton (leading zeros, ranges, dots)
	 * on every short string of digits and dots. */
	for (unsigned seed = 1; seed < 200000; seed++) {
		static const char alpha[] = "01259.";
		char v[12];
		unsigned char buf[4];
		unsigned r = seed * 2654435761u, len = 7 + r % 5;

		for (unsigned i = 0; i < len; i++, r = r * 1103515245u + 12345u)
			v[i] = alpha[(r >> 16) % 6];
		v[len] = '\0';
		/* v is never "w": a changed value means "an address" */
		assert_int_equal(strcmp(metrics_unresolved_value("w", v), v) != 0,
				 inet_pton(AF_INET, v, buf) == 1);
	}
}

/* A word with a control character never reaches an export: the configuration refuses it. */
static void test_unresolved_word_checked(void **state)
{
	struct obi_config c;
	char err[512] = "";
	static const char yaml[] = "attributes:\n  rename_unresolved_hosts_incoming: \"a\\tb\"\n";

	(void)state;
	config_init_defaults(&c);
	assert_int_not_equal(config_apply_yaml(&c, yaml, strlen(yaml), "t.yaml", err, sizeof(err)),
			     0);
	assert_non_null(strstr(err, "rename_unresolved_hosts_incoming"));
	config_free(&c);
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
	span_t_free(sp[0]);
	span_t_free(sp[1]);
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
	    cmocka_unit_test(test_optin_named),
	    cmocka_unit_test(test_optin_globs),
	    cmocka_unit_test(test_unresolved_words),
	    cmocka_unit_test(test_unresolved_is_ip),
	    cmocka_unit_test(test_unresolved_word_checked),
	    cmocka_unit_test(test_traces_exclude),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
