/* test_wire_pod.c: POD_QUERY / POD_INFO (common/wire_pod.c): round trip, every bound refused,
 * the probe's permission table, and the probe's pod cache (probe/select_pod.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "obi_abi.h"
#include "probe_msg.h"
#include "select_pod.h"
#include "wire.h"

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static uint8_t payload[OBI_WIRE_MAX_MSG], frame[OBI_WIRE_MAX_MSG];
static char arena[WIRE_POD_ARENA(OBI_WIRE_MAX_MSG)];

static void pod_view(struct wire_pod_view *v, const char *cid)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->cid, sizeof(v->cid), "%s", cid);
	v->flags = OBI_POD_FOUND;
	v->str[WIRE_POD_NS] = "shop";
	v->str[WIRE_POD_NAME] = "web-1";
	v->str[WIRE_POD_DEPLOYMENT] = "web";
	v->labels[v->nlabels++] = (struct wire_pod_kv){"app", "web"};
	v->annots[v->nannots++] = (struct wire_pod_kv){"team", ""};
}

/* Frames a payload as the enricher sends it and checks it the way the probe does. */
static int pod_decode(const uint8_t *p, size_t n, struct wire_pod_view *out)
{
	struct obi_wire_hello h;
	struct wire_msg m;
	ssize_t fl = wire_encode(frame, sizeof(frame), OBI_MSG_POD_INFO, 1, p, n);

	assert_true(fl > 0);
	if (probe_msg_check(frame, (size_t)fl, true, &h, &m) != PROBE_MSG_POD_INFO)
		return WIRE_ELEN;
	return wire_get_pod_info(&m, out, arena, sizeof(arena));
}

static void test_pod_roundtrip(void **state)
{
	struct wire_pod_view v, out;
	ssize_t n;

	(void)state;
	pod_view(&v, CID);
	n = wire_build_pod_info(payload, sizeof(payload), &v);
	assert_true(n > (ssize_t)sizeof(struct obi_wire_pod_info));
	assert_int_equal(pod_decode(payload, (size_t)n, &out), WIRE_OK);
	assert_string_equal(out.cid, CID);
	assert_string_equal(out.str[WIRE_POD_NS], "shop");
	assert_string_equal(out.str[WIRE_POD_DEPLOYMENT], "web");
	assert_string_equal(out.str[WIRE_POD_CRONJOB], "");
	assert_int_equal(out.nlabels, 1);
	assert_string_equal(out.labels[0].v, "web");
	assert_string_equal(out.annots[0].k, "team");
	/* "no such pod": the fixed part alone */
	v.flags = 0;
	n = wire_build_pod_info(payload, sizeof(payload), &v);
	assert_int_equal(n, sizeof(struct obi_wire_pod_info));
	assert_int_equal(pod_decode(payload, (size_t)n, &out), WIRE_OK);
	assert_int_equal(out.flags, 0);
}

/* Every malformed variant of a good message is refused, none crashes. */
static void test_pod_malformed(void **state)
{
	struct wire_pod_view v, out;
	struct obi_wire_pod_info f;
	ssize_t n;

	(void)state;
	pod_view(&v, CID);
	n = wire_build_pod_info(payload, sizeof(payload), &v);
	memcpy(&f, payload, sizeof(f));
	/* truncated at every length, and one byte too many */
	for (size_t cut = sizeof(f); cut < (size_t)n; cut++)
		assert_int_not_equal(pod_decode(payload, cut, &out), WIRE_OK);
	payload[n] = 'x';
	assert_int_not_equal(pod_decode(payload, (size_t)n + 1, &out), WIRE_OK);
	/* upper-case or short container id */
	payload[0] = 'A';
	assert_int_equal(pod_decode(payload, (size_t)n, &out), WIRE_EPAYLOAD);
	payload[0] = '0';
	/* a NUL inside a string would shorten what a glob sees */
	payload[sizeof(f) + 1] = '\0';
	assert_int_equal(pod_decode(payload, (size_t)n, &out), WIRE_EPAYLOAD);
	payload[sizeof(f) + 1] = 'h';
	assert_int_equal(pod_decode(payload, (size_t)n, &out), WIRE_OK);
	/* flags: unknown bits, both at once; pad */
	for (uint32_t fl = 3; fl < 6; fl++) {
		struct obi_wire_pod_info g = f;

		g.flags = fl == 5 ? 8 : fl;
		g.pad = fl == 4;
		g.flags = fl == 4 ? OBI_POD_FOUND : g.flags;
		memcpy(payload, &g, sizeof(g));
		assert_int_equal(pod_decode(payload, (size_t)n, &out), WIRE_EPAYLOAD);
	}
	/* counts over the bound */
	f.nlabels = OBI_WIRE_POD_KV_MAX + 1;
	memcpy(payload, &f, sizeof(f));
	assert_int_equal(pod_decode(payload, (size_t)n, &out), WIRE_EPAYLOAD);
	/* "no such pod" carrying strings */
	f.nlabels = 1;
	f.flags = 0;
	memcpy(payload, &f, sizeof(f));
	assert_int_equal(pod_decode(payload, (size_t)n, &out), WIRE_EPAYLOAD);
}

/* Builders refuse what the decoder would: over-long strings, empty keys, too many pairs. */
static void test_pod_build_bounds(void **state)
{
	static char big[OBI_WIRE_POD_STR_MAX + 2];
	struct wire_pod_view v, out;
	ssize_t n;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	pod_view(&v, CID);
	v.str[WIRE_POD_NAME] = big;
	assert_int_equal(wire_build_pod_info(payload, sizeof(payload), &v), -1);
	big[OBI_WIRE_POD_STR_MAX] = '\0'; /* exactly the bound: accepted */
	n = wire_build_pod_info(payload, sizeof(payload), &v);
	assert_true(n > 0);
	assert_int_equal(pod_decode(payload, (size_t)n, &out), WIRE_OK);
	pod_view(&v, CID);
	v.labels[0].k = "";
	assert_int_equal(wire_build_pod_info(payload, sizeof(payload), &v), -1);
	pod_view(&v, CID);
	v.nlabels = OBI_WIRE_POD_KV_MAX + 1;
	assert_int_equal(wire_build_pod_info(payload, sizeof(payload), &v), -1);
	pod_view(&v, "nothex");
	assert_int_equal(wire_build_pod_info(payload, sizeof(payload), &v), -1);
	pod_view(&v, CID);
	assert_int_equal(wire_build_pod_info(payload, 100, &v), -1);
}

/* Direction and order: POD_INFO only from the enricher and only after its hello; POD_QUERY
 * only from the probe. */
static void test_pod_permissions(void **state)
{
	struct obi_wire_pod_query q;
	struct obi_wire_hello h;
	struct wire_pod_view v;
	struct wire_msg m;
	char cid[65];
	ssize_t n, fl;

	(void)state;
	pod_view(&v, CID);
	n = wire_build_pod_info(payload, sizeof(payload), &v);
	fl = wire_encode(frame, sizeof(frame), OBI_MSG_POD_INFO, 1, payload, (size_t)n);
	assert_int_equal(probe_msg_check(frame, (size_t)fl, false, &h, &m), PROBE_MSG_UNPERMITTED);
	assert_int_equal(probe_msg_check(frame, (size_t)fl, true, &h, &m), PROBE_MSG_POD_INFO);
	assert_int_equal(wire_validate(frame, (size_t)fl, OBI_WIRE_ROLE_PROBE, &m), WIRE_ETYPE);
	memcpy(q.cid, CID, 64);
	fl = wire_encode(frame, sizeof(frame), OBI_MSG_POD_QUERY, 1, &q, sizeof(q));
	assert_int_equal(probe_msg_check(frame, (size_t)fl, true, &h, &m), PROBE_MSG_MALFORMED);
	assert_int_equal(wire_validate(frame, (size_t)fl, OBI_WIRE_ROLE_PROBE, &m), WIRE_OK);
	assert_int_equal(wire_get_pod_query(&m, cid), WIRE_OK);
	assert_string_equal(cid, CID);
	q.cid[5] = 'G';
	fl = wire_encode(frame, sizeof(frame), OBI_MSG_POD_QUERY, 1, &q, sizeof(q));
	assert_int_equal(wire_validate(frame, (size_t)fl, OBI_WIRE_ROLE_PROBE, &m), WIRE_OK);
	assert_int_equal(wire_get_pod_query(&m, cid), WIRE_EPAYLOAD);
	fl = wire_encode(frame, sizeof(frame), OBI_MSG_POD_QUERY, 1, &q, sizeof(q) - 1);
	assert_int_equal(wire_validate(frame, (size_t)fl, OBI_WIRE_ROLE_PROBE, &m), WIRE_ELEN);
}

/* The pod cache, driven as the probe's main loop drives it. */
struct tctx {
	unsigned sent, woken;
	char last_sent[65];
	uint32_t last_woken;
	int send_rc;
};

static void tctx_wake(void *ctx, uint32_t pid, uint16_t port)
{
	struct tctx *t = ctx;

	(void)port;
	t->woken++;
	t->last_woken = pid;
}

static int tctx_send(void *ctx, const char *cid)
{
	struct tctx *t = ctx;

	t->sent++;
	memcpy(t->last_sent, cid, 64);
	return t->send_rc;
}

static void pod_answer(struct selpod *sp, const char *cid, uint32_t flags, uint64_t now)
{
	struct wire_pod_view v;
	struct wire_msg m;
	ssize_t n;

	pod_view(&v, cid);
	v.flags = flags;
	n = wire_build_pod_info(payload, sizeof(payload), &v);
	m = (struct wire_msg){.type = OBI_MSG_POD_INFO, .payload = payload, .len = (size_t)n};
	assert_int_equal(selpod_on_info(sp, &m, now), 0);
}

static void test_selpod_flow(void **state)
{
	struct tctx t = {0};
	struct selpod *sp = selpod_new(tctx_wake, tctx_send, &t);
	const struct wire_pod_view *pod;
	struct selpod_stats st;
	struct wire_msg bad = {.type = OBI_MSG_POD_INFO, .payload = payload, .len = 10};

	(void)state;
	assert_non_null(sp);
	/* not connected: asked later, no timeout runs */
	assert_int_equal(selpod_lookup(sp, CID, 1, &pod), SELECT_POD_UNKNOWN);
	assert_int_equal(t.sent, 0);
	selpod_wait(sp, 100, CID, 8080, 1);
	selpod_tick(sp, 10 * SELPOD_ANSWER_NS);
	assert_int_equal(t.woken, 0);
	selpod_connected(sp, true, 10 * SELPOD_ANSWER_NS);
	assert_int_equal(t.sent, 1);
	assert_memory_equal(t.last_sent, CID, 64);
	/* asked once however often it is looked up */
	assert_int_equal(selpod_lookup(sp, CID, 2, &pod), SELECT_POD_UNKNOWN);
	assert_int_equal(t.sent, 1);
	/* "no such pod": the waiter is decided again, and keeps waiting */
	pod_answer(sp, CID, 0, 20 * SELPOD_ANSWER_NS);
	assert_int_equal(t.woken, 1);
	assert_int_equal(selpod_lookup(sp, CID, 20 * SELPOD_ANSWER_NS, &pod), SELECT_POD_NONE);
	/* the pod appears: announced without a question */
	pod_answer(sp, CID, OBI_POD_FOUND, 21 * SELPOD_ANSWER_NS);
	assert_int_equal(t.woken, 2);
	assert_int_equal(t.last_woken, 100);
	assert_int_equal(selpod_lookup(sp, CID, 21 * SELPOD_ANSWER_NS, &pod), SELECT_POD_KNOWN);
	assert_string_equal(pod->str[WIRE_POD_NS], "shop");
	/* an answer nobody waits for is not kept */
	pod_answer(sp, CID2, OBI_POD_FOUND, 22 * SELPOD_ANSWER_NS);
	assert_int_equal(t.woken, 2);
	/* a malformed one is counted and changes nothing */
	memset(payload, 0, sizeof(struct obi_wire_pod_info));
	assert_int_equal(selpod_on_info(sp, &bad, 23 * SELPOD_ANSWER_NS), -1);
	assert_int_equal(selpod_lookup(sp, CID, 23 * SELPOD_ANSWER_NS, &pod), SELECT_POD_KNOWN);
	/* an unanswered question times out into "no pod", waking its waiter */
	selpod_unwait(sp, 100);
	selpod_wait(sp, 200, CID2, 0, 24 * SELPOD_ANSWER_NS);
	assert_int_equal(selpod_lookup(sp, CID2, 24 * SELPOD_ANSWER_NS, &pod), SELECT_POD_UNKNOWN);
	selpod_tick(sp, 25 * SELPOD_ANSWER_NS + 1);
	assert_int_equal(t.woken, 3);
	assert_int_equal(t.last_woken, 200);
	assert_int_equal(selpod_lookup(sp, CID2, 25 * SELPOD_ANSWER_NS + 1, &pod), SELECT_POD_NONE);
	/* decoration off at the enricher: nothing is asked any more */
	pod_answer(sp, CID2, OBI_POD_NO_K8S, 26 * SELPOD_ANSWER_NS);
	t.sent = 0;
	assert_int_equal(selpod_lookup(sp, CID2, SELPOD_TTL_NS * 3, &pod), SELECT_POD_NONE);
	assert_int_equal(t.sent, 0);
	selpod_get_stats(sp, &st);
	assert_int_equal(st.bad, 1);
	assert_int_equal(st.timeouts, 1);
	selpod_free(sp);
}

/* A table full of unanswered questions refuses more (decided without pod facts). */
static void test_selpod_bounded(void **state)
{
	struct tctx t = {0};
	struct selpod *sp = selpod_new(tctx_wake, tctx_send, &t);
	const struct wire_pod_view *pod;
	struct selpod_stats st;
	char cid[65];

	(void)state;
	selpod_connected(sp, true, 1);
	for (unsigned i = 0; i <= SELPOD_CACHE_MAX; i++) {
		snprintf(cid, sizeof(cid), "%064x", i);
		selpod_lookup(sp, cid, 1, &pod);
	}
	selpod_get_stats(sp, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(t.sent, SELPOD_CACHE_MAX);
	for (unsigned i = 0; i < SELPOD_WAIT_MAX + 5; i++)
		selpod_wait(sp, 1000 + i, CID, 0, 1 + i);
	selpod_get_stats(sp, &st);
	assert_int_equal(st.wait_dropped, 5);
	selpod_free(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pod_roundtrip),    cmocka_unit_test(test_pod_malformed),
	    cmocka_unit_test(test_pod_build_bounds), cmocka_unit_test(test_pod_permissions),
	    cmocka_unit_test(test_selpod_flow),	     cmocka_unit_test(test_selpod_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
