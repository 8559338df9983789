/* test_k8s_parse.c: the streaming splitter (any chunking, huge and broken elements) and events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "k8s_testutil.h"

/* Every chunk size cuts the fixture into the same items, with the list's metadata. */
static void test_list_any_chunking(void **state)
{
	static const size_t chunks[] = {1, 2, 3, 7, 64, 1000, 1 << 20};

	(void)state;
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		assert_int_equal(k8s_t_load(NULL, "pods.json", K8S_POD, chunks[i]), 8);
}

struct collect {
	unsigned n, types[8];
	int codes[8];
	char rv[8][32];
};

static int collect_event(void *data, enum k8s_jsplit_part part, const char *text, size_t n)
{
	struct collect *c = data;
	cJSON *o = cJSON_ParseWithLength(text, n);
	struct k8s_event ev;

	(void)part;
	if (o && k8s_parse_event(o, &ev) == 0 && c->n < 8) {
		const cJSON *rv = cJSON_GetObjectItem(cJSON_GetObjectItem(ev.object, "metadata"),
						      "resourceVersion");

		c->types[c->n] = ev.type;
		c->codes[c->n] = ev.code;
		snprintf(c->rv[c->n], sizeof(c->rv[0]), "%s",
			 cJSON_IsString(rv) ? rv->valuestring : "");
		c->n++;
	}
	cJSON_Delete(o);
	return 0;
}

static const char k8s_t_watch[] =
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a}\\\"{\","
    "\"namespace\":\"n\",\"uid\":\"u1\",\"resourceVersion\":\"11\"}}}\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"12\","
    "\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n"
    "junk}\n"
    "{\"type\":\"DELETED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\","
    "\"namespace\":\"n\",\"uid\":\"u1\",\"resourceVersion\":\"13\"}}}\r\n"
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
    "\"Failure\",\"message\":\"too old resource version: 1 (13)\",\"reason\":\"Expired\","
    "\"code\":410}}\n";

static void test_watch_stream(void **state)
{
	(void)state;
	for (size_t chunk = 1; chunk < sizeof(k8s_t_watch); chunk += 13) {
		struct collect c = {0};
		struct k8s_jsplit s;

		k8s_jsplit_init(&s, K8S_JSPLIT_STREAM, 4096, collect_event, &c);
		for (size_t off = 0; off < sizeof(k8s_t_watch) - 1; off += chunk) {
			size_t left = sizeof(k8s_t_watch) - 1 - off;

			assert_int_equal(
			    k8s_jsplit_feed(&s, k8s_t_watch + off, left < chunk ? left : chunk), 0);
		}
		assert_int_equal(c.n, 4);
		assert_int_equal(c.types[0], K8S_EV_ADDED);
		assert_string_equal(c.rv[0], "11");
		assert_int_equal(c.types[1], K8S_EV_BOOKMARK);
		assert_string_equal(c.rv[1], "12");
		assert_int_equal(c.types[2], K8S_EV_DELETED);
		assert_int_equal(c.types[3], K8S_EV_ERROR);
		assert_int_equal(c.codes[3], 410);
		assert_true(s.bad > 0); /* "junk}" counted */
		assert_true(k8s_jsplit_idle(&s));
		k8s_jsplit_free(&s);
	}
}

/* A 10 MiB label: that pod is refused whole, the pods around it arrive. */
static void test_huge_item_skipped(void **state)
{
	size_t big = 10u << 20, len = 0;
	const char *head =
	    "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"1000\"},\"items\":["
	    "{\"metadata\":{\"name\":\"p1\",\"namespace\":\"n\",\"uid\":\"u1\"}},"
	    "{\"metadata\":{\"name\":\"p2\",\"namespace\":\"n\",\"uid\":\"u2\","
	    "\"labels\":{\"x\":\"";
	const char *tail =
	    "\"}}},{\"metadata\":{\"name\":\"p3\",\"namespace\":\"n\",\"uid\":\"u3\"}}]}";
	char *buf = malloc(strlen(head) + big + strlen(tail) + 1);
	struct k8s_tload l = {.kind = K8S_POD};
	struct k8s_jsplit s;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, head, strlen(head));
	len = strlen(head);
	memset(buf + len, 'v', big);
	len += big;
	memcpy(buf + len, tail, strlen(tail));
	len += strlen(tail);
	k8s_jsplit_init(&s, K8S_JSPLIT_LIST, 4u << 20, k8s_t_part, &l);
	for (size_t off = 0; off < len; off += 65536)
		k8s_jsplit_feed(&s, buf + off, len - off < 65536 ? len - off : 65536);
	assert_int_equal(l.items, 2);
	assert_int_equal(s.oversized_n, 1);
	assert_string_equal(l.rv, "1000");
	assert_true(s.cap <= (4u << 20)); /* never grew past the bound */
	k8s_jsplit_free(&s);
	free(buf);
}

/* A label under the splitter's bound but past K8S_MAX_STR: dropped from the pod, counted. */
static void test_long_label_dropped(void **state)
{
	char *json = malloc(8192);
	cJSON *o;
	struct k8s_obj obj;
	struct k8s_parse_opts opts = {.want_label = k8s_t_want};

	(void)state;
	assert_non_null(json);
	snprintf(json, 8192,
		 "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\",\"labels\":"
		 "{\"app.kubernetes.io/name\":\"%02000d\",\"app.kubernetes.io/part-of\":\"ok\"}}}",
		 1);
	o = cJSON_Parse(json);
	assert_non_null(o);
	assert_int_equal(k8s_parse_obj(o, K8S_POD, &opts, &obj), 0);
	assert_int_equal(obj.n_labels, 1);
	assert_string_equal(obj.labels[0].v, "ok");
	assert_int_equal(obj.truncated, 1);
	cJSON_Delete(o);
	free(json);
}

static void test_malformed_objects(void **state)
{
	static const char *const bad[] = {
	    "{}",
	    "{\"metadata\":[]}",
	    "{\"metadata\":{\"namespace\":\"n\",\"uid\":\"u\"}}",  /* no name */
	    "{\"metadata\":{\"name\":\"p\",\"uid\":\"u\"}}",	   /* pod without namespace */
	    "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"}}", /* pod without uid */
	    "{\"metadata\":{\"name\":7,\"namespace\":\"n\",\"uid\":\"u\"}}", /* wrong type */
	    "[1,2]",
	};
	static const char *const odd_ok =
	    "{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\",\"uid\":\"u\",\"ownerReferences\":"
	    "[{\"kind\":5},{\"kind\":\"Job\"},7],\"creationTimestamp\":\"yesterday\"},\"spec\":"
	    "{\"containers\":{\"x\":1},\"nodeName\":[]},\"status\":{\"podIPs\":[{\"ip\":1},\"x\"],"
	    "\"containerStatuses\":[{\"name\":\"c\"},{\"name\":\"d\",\"containerID\":\"\"}]}}";
	struct k8s_obj obj;
	cJSON *o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = cJSON_Parse(bad[i]);
		assert_int_equal(k8s_parse_obj(o, K8S_POD, NULL, &obj), -EINVAL);
		cJSON_Delete(o);
	}
	o = cJSON_Parse(odd_ok);
	assert_int_equal(k8s_parse_obj(o, K8S_POD, NULL, &obj), 0);
	assert_int_equal(obj.n_owners, 0);
	assert_int_equal(obj.created, -1);
	assert_int_equal(obj.n_ips, 0);
	assert_int_equal(obj.n_ctrs, 0);
	assert_null(obj.node_name);
	cJSON_Delete(o);
	o = cJSON_Parse("{\"type\":\"SOMETHING\",\"object\":{}}");
	struct k8s_event ev;
	assert_int_equal(k8s_parse_event(o, &ev), -EINVAL);
	cJSON_Delete(o);
}

/* A list whose top level is not an object, or that closes too often: an error, not a crash. */
static void test_broken_list(void **state)
{
	struct k8s_tload l = {.kind = K8S_POD};
	struct k8s_jsplit s;

	(void)state;
	k8s_jsplit_init(&s, K8S_JSPLIT_LIST, 4096, k8s_t_part, &l);
	k8s_jsplit_feed(&s, "]]]{", 4);
	assert_true(s.error);
	k8s_jsplit_reset(&s);
	k8s_jsplit_feed(
	    &s, "{\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u\"", 58);
	assert_false(
	    k8s_jsplit_idle(&s)); /* a cut stream: the half item never reaches the parser */
	assert_int_equal(l.items, 0);
	k8s_jsplit_reset(&s);
	k8s_jsplit_feed(
	    &s, "{\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u\"}}]}",
	    63);
	assert_int_equal(l.items, 1);
	assert_true(k8s_jsplit_idle(&s));
	k8s_jsplit_free(&s);
}

/* The text k8s_strip_unused hands to cJSON ("" when it returned the input itself). */
static const char *strip(struct k8s_strip_buf *b, const char *in)
{
	static char out[512];
	size_t n = strlen(in);
	const char *t = k8s_strip_unused(b, in, &n);

	if (t == in)
		return "";
	assert_true(n < sizeof(out));
	memcpy(out, t, n);
	out[n] = '\0';
	return out;
}

/* managedFields is cut wherever it is a member (brackets inside its strings included) and
 * nowhere else; what cannot be a member, or does not close, is left for cJSON to judge. */
static void test_strip_managed_fields(void **state)
{
	struct k8s_strip_buf b = {0};

	(void)state;
	assert_string_equal(
	    strip(&b, "{\"metadata\":{\"name\":\"a\", \"managedFields\" : [{\"f\":\"]}\\\"\"}],"
		      "\"uid\":\"u\"}}"),
	    "{\"metadata\":{\"name\":\"a\",\"uid\":\"u\"}}");
	assert_string_equal(strip(&b, "{\"metadata\":{\"managedFields\":[1] , \"name\":\"a\"}}"),
			    "{\"metadata\":{ \"name\":\"a\"}}");
	assert_string_equal(strip(&b, "{\"metadata\":{\"managedFields\":{}}}"),
			    "{\"metadata\":{}}");
	/* inside a string value (its quotes escaped), as a value, unclosed, not a container */
	assert_string_equal(strip(&b, "{\"a\":\"x\\\"managedFields\\\":[1]\"}"), "");
	assert_string_equal(strip(&b, "{\"a\":\"managedFields\"}"), "");
	assert_string_equal(strip(&b, "{\"managedFields\":[1,[2]"), "");
	assert_string_equal(strip(&b, "{\"managedFields\":7}"), "");
	assert_string_equal(strip(&b, "\"managedFields\":[]"), "");
	k8s_strip_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_any_chunking), cmocka_unit_test(test_watch_stream),
	    cmocka_unit_test(test_huge_item_skipped), cmocka_unit_test(test_long_label_dropped),
	    cmocka_unit_test(test_malformed_objects), cmocka_unit_test(test_broken_list),
	    cmocka_unit_test(test_strip_managed_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
