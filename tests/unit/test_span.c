/* test_span.c: the span's attribute table and text arena (span.c): bounds, rewrites, copies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "otlp_model.h"
#include "span.h"

/* Every exported key is unique and found again; internal rows have none. */
static void test_table(void **state)
{
	(void)state;
	for (int a = 0; a < SPAN_A_COUNT; a++) {
		const struct span_attr_def *d = &span_attr_defs[a];

		assert_int_equal(d->klen, strlen(d->key));
		if (d->klen)
			assert_int_equal(span_attr_find(d->key, d->klen), a);
	}
	assert_int_equal(span_attr_find("", 0), -1);
	assert_int_equal(span_attr_find("url.pat", 7), -1);
	assert_int_equal(span_attr_defs[SPAN_A_HTTP_STATUS_CODE].type, SPAN_V_INT);
	assert_int_equal(span_attr_defs[SPAN_A_HTTP_RESP_CUT].type, SPAN_V_BOOL);
}

/* Absent reads as "" / 0; "" unsets; the bound cuts without splitting a UTF-8 character. */
static void test_set_get_bound(void **state)
{
	char text[SPAN_TEXT_CAP], big[64];
	struct span sp;

	(void)state;
	span_init(&sp, text, sizeof(text));
	assert_string_equal(span_str(&sp, SPAN_A_URL_PATH), "");
	assert_int_equal(span_int(&sp, SPAN_A_HTTP_STATUS_CODE), 0);
	span_set_str(&sp, SPAN_A_URL_PATH, "/a", 2);
	span_set_int(&sp, SPAN_A_HTTP_STATUS_CODE, 204);
	assert_string_equal(span_str(&sp, SPAN_A_URL_PATH), "/a");
	assert_int_equal(span_str_len(&sp, SPAN_A_URL_PATH), 2);
	assert_int_equal(span_int(&sp, SPAN_A_HTTP_STATUS_CODE), 204);
	span_set_str(&sp, SPAN_A_URL_PATH, "", 0);
	assert_false(span_has(&sp, SPAN_A_URL_PATH));

	/* http.request.method keeps 31 bytes: 30 ASCII then a 2-byte character must not split. */
	memset(big, 'M', 30);
	memcpy(big + 30, "\xc3\xa9XYZ", 5);
	span_set_str(&sp, SPAN_A_HTTP_METHOD, big, 35);
	assert_int_equal(span_str_len(&sp, SPAN_A_HTTP_METHOD), 30);
	assert_int_equal(sp.text_cut, 0); /* the bound is by design, not a full arena */
	span_reset(&sp);
	assert_int_equal(sp.set, 0);
	assert_int_equal(sp.text_len, 0);
	assert_ptr_equal(sp.text, text);
}

/* The value written last is rewritten in place; an earlier one moves to the end. */
static void test_rewrite(void **state)
{
	char text[SPAN_TEXT_CAP];
	struct span sp;
	uint32_t used;

	(void)state;
	span_init(&sp, text, sizeof(text));
	span_set_str(&sp, SPAN_A_NAME, "GET", 3);
	span_set_str(&sp, SPAN_A_HTTP_ROUTE, "/users/{id}", 11);
	used = sp.text_len;
	span_set_str(&sp, SPAN_A_HTTP_ROUTE, "/u", 2);
	assert_true(sp.text_len < used);
	span_set_str(&sp, SPAN_A_NAME, "GET /u", 6);
	assert_string_equal(span_str(&sp, SPAN_A_NAME), "GET /u");
	assert_string_equal(span_str(&sp, SPAN_A_HTTP_ROUTE), "/u");
	/* A value taken from the arena itself (the name from the method). */
	span_set_str(&sp, SPAN_A_HTTP_METHOD, span_str(&sp, SPAN_A_NAME), 3);
	assert_string_equal(span_str(&sp, SPAN_A_HTTP_METHOD), "GET");
}

/* Every string at its bound plus the route stage's rewrites fit SPAN_TEXT_CAP uncut. */
static void test_worst_case_fits(void **state)
{
	static char text[SPAN_TEXT_CAP], big[SPAN_TEXT_CAP];
	struct span sp;

	(void)state;
	memset(big, 'x', SPAN_TEXT_CAP);
	span_init(&sp, text, SPAN_TEXT_CAP);
	for (int a = 0; a < SPAN_A_COUNT; a++)
		if (span_attr_defs[a].type == SPAN_V_STR)
			span_set_str(&sp, a, big, SPAN_TEXT_CAP);
	/* What span_route_apply does after the builder: the route, then the name. */
	span_unset(&sp, SPAN_A_HTTP_ROUTE);
	span_set_str(&sp, SPAN_A_HTTP_ROUTE, big, SPAN_TEXT_CAP);
	span_set_str(&sp, SPAN_A_NAME, big, SPAN_TEXT_CAP);
	assert_int_equal(sp.text_cut, 0);
	for (int a = 0; a < SPAN_A_COUNT; a++)
		if (span_attr_defs[a].type == SPAN_V_STR)
			assert_int_equal(span_str_len(&sp, a), span_attr_defs[a].max);
	assert_true(sp.text_len <= SPAN_TEXT_CAP);
}

/* A small arena cuts and counts; it is never written past (ASan: exact-size allocation). */
static void test_arena_full(void **state)
{
	static char text[16];
	struct span sp;

	(void)state;
	span_init(&sp, text, sizeof(text));
	span_set_str(&sp, SPAN_A_URL_PATH, "/0123456789abcdef", 17);
	assert_int_equal(span_str_len(&sp, SPAN_A_URL_PATH), 15);
	assert_int_equal(sp.text_cut, 1);
	span_set_str(&sp, SPAN_A_URL_QUERY, "q=1", 3);
	assert_false(span_has(&sp, SPAN_A_URL_QUERY));
	assert_string_equal(span_str(&sp, SPAN_A_URL_PATH), "/0123456789abcd");
}

/* A copy carries the values into its own arena, only the bytes in use; too small: no text. */
static void test_copy(void **state)
{
	char text[SPAN_TEXT_CAP], small[4];
	char *dst_text;
	struct span sp, cp;

	(void)state;
	span_init(&sp, text, sizeof(text));
	span_set_str(&sp, SPAN_A_URL_PATH, "/a/b", 4);
	span_set_int(&sp, SPAN_A_HTTP_REQ_BODY_SIZE, 42);
	strcpy(sp.host_addr, "10.0.0.1");
	dst_text = malloc(sp.text_len);
	assert_non_null(dst_text);
	span_copy(&cp, &sp, dst_text, sp.text_len);
	memset(text, 0, sizeof(text));
	assert_string_equal(span_str(&cp, SPAN_A_URL_PATH), "/a/b");
	assert_int_equal(span_int(&cp, SPAN_A_HTTP_REQ_BODY_SIZE), 42);
	assert_string_equal(cp.host_addr, "10.0.0.1");
	free(dst_text);

	span_set_str(&sp, SPAN_A_URL_PATH, "/long/enough", 12);
	span_copy(&cp, &sp, small, sizeof(small));
	assert_false(span_has(&cp, SPAN_A_URL_PATH));
	assert_int_equal(span_int(&cp, SPAN_A_HTTP_REQ_BODY_SIZE), 42);
	assert_int_equal(cp.text_cut, 1);
}

/* The OTLP view walks the table: a cut response is exported as a boolean. */
static void test_view_types(void **state)
{
	char text[SPAN_TEXT_CAP];
	struct span sp;
	struct otlp_span v;
	bool cut = false, host = false;

	(void)state;
	span_init(&sp, text, sizeof(text));
	sp.kind = SPAN_KIND_SERVER;
	span_set_str(&sp, SPAN_A_HTTP_HOST, "internal.example", 16);
	span_set_int(&sp, SPAN_A_HTTP_RESP_CUT, 1);
	otlp_span_view(&sp, &v);
	for (size_t i = 0; i < v.n_attrs; i++) {
		if (!strcmp(v.attrs[i].key, "obi.http.response.cut"))
			cut = v.attrs[i].type == OTLP_ATTR_BOOL && v.attrs[i].v.b;
		if (v.attrs[i].type == OTLP_ATTR_STR &&
		    !strcmp(v.attrs[i].v.s, "internal.example"))
			host = true;
	}
	assert_true(cut);
	assert_false(host); /* internal rows are never exported */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),	    cmocka_unit_test(test_set_get_bound),
	    cmocka_unit_test(test_rewrite),	    cmocka_unit_test(test_worst_case_fits),
	    cmocka_unit_test(test_arena_full),	    cmocka_unit_test(test_copy),
	    cmocka_unit_test(test_view_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
