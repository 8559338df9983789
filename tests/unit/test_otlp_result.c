/* test_otlp_result.c: retry classification, back-off bounds and partial-success parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "otlp_result.h"

static void test_outcomes(void **state)
{
	static const long retry[] = {429, 502, 503, 504};
	static const long drop[] = {400, 401, 403, 404, 413, 500, 501, 301};

	(void)state;
	for (long s = 200; s < 300; s++)
		assert_int_equal(otlp_http_outcome(CURLE_OK, s), OTLP_OUTCOME_OK);
	for (size_t i = 0; i < sizeof(retry) / sizeof(retry[0]); i++)
		assert_int_equal(otlp_http_outcome(CURLE_OK, retry[i]), OTLP_OUTCOME_RETRY);
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		assert_int_equal(otlp_http_outcome(CURLE_OK, drop[i]), OTLP_OUTCOME_DROP);
	assert_int_equal(otlp_http_outcome(CURLE_COULDNT_CONNECT, 0), OTLP_OUTCOME_RETRY);
	assert_int_equal(otlp_http_outcome(CURLE_OPERATION_TIMEDOUT, 0), OTLP_OUTCOME_RETRY);
	assert_int_equal(otlp_http_outcome(CURLE_GOT_NOTHING, 0), OTLP_OUTCOME_RETRY);
	/* A wrong CA will not fix itself: retrying would only hammer the collector. */
	assert_int_equal(otlp_http_outcome(CURLE_PEER_FAILED_VERIFICATION, 0), OTLP_OUTCOME_DROP);
	assert_int_equal(otlp_http_outcome(CURLE_URL_MALFORMAT, 0), OTLP_OUTCOME_DROP);
}

static void test_backoff(void **state)
{
	const struct otlp_backoff b = {.initial_ns = 5000000000ULL,
				       .max_ns = 30000000000ULL,
				       .max_elapsed_ns = 60000000000ULL};
	uint64_t base = b.initial_ns;

	(void)state;
	for (unsigned a = 1; a <= 12; a++) {
		uint64_t lo = otlp_backoff_delay(&b, a, -1, 0);
		uint64_t hi = otlp_backoff_delay(&b, a, -1, UINT32_MAX);
		uint64_t mid = otlp_backoff_delay(&b, a, -1, 1u << 31);

		assert_int_equal(lo, base / 2);
		assert_true(hi < base + base / 2 && hi > base + base / 2 - base / 1000);
		assert_int_equal(mid, base);
		base = base * 2 > b.max_ns ? b.max_ns : base * 2;
	}
	assert_int_equal(otlp_backoff_delay(&b, 3, 7000000000LL, 12345), 7000000000ULL);
}

static void test_partial_pb(void **state)
{
	/* ExportTraceServiceResponse{partial_success{rejected_spans: 3, error_message: "a\nb"}}. */
	static const uint8_t msg[] = {0x0a, 0x07, 0x08, 0x03, 0x12, 0x03, 'a', '\n', 'b'};
	static const uint8_t junk[] = {0x0a, 0x10, 0x08};
	struct otlp_partial p;

	(void)state;
	assert_int_equal(otlp_partial_parse_pb(msg, sizeof(msg), &p), 0);
	assert_true(p.present);
	assert_int_equal(p.rejected, 3);
	assert_string_equal(p.message, "a?b"); /* control bytes never reach the log */
	assert_int_equal(otlp_partial_parse_pb(NULL, 0, &p), 0);
	assert_false(p.present);
	assert_int_equal(otlp_partial_parse_pb(junk, sizeof(junk), &p), -EINVAL);
}

static void test_partial_json(void **state)
{
	static const char ok[] =
	    "{\"partialSuccess\":{\"rejectedSpans\":\"5\",\"errorMessage\":\"x\"}}";
	struct otlp_partial p;

	(void)state;
	assert_int_equal(otlp_partial_parse_json(ok, strlen(ok), &p), 0);
	assert_true(p.present);
	assert_int_equal(p.rejected, 5);
	assert_string_equal(p.message, "x");
	assert_int_equal(otlp_partial_parse_json("{}", 2, &p), 0);
	assert_false(p.present);
	assert_int_equal(otlp_partial_parse_json("{", 1, &p), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outcomes),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_partial_pb),
	    cmocka_unit_test(test_partial_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
