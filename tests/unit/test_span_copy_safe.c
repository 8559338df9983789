/* test_span_copy_safe.c: span_build_copy_safe's exact truncation and replacement at its bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "span_build.h"

/* dst is filled with 'x' first: what the copy leaves past its NUL must not matter, its bytes do. */
static void check(size_t dstsz, const char *src, size_t len, const char *want)
{
	char dst[64];

	memset(dst, 'x', sizeof(dst));
	span_build_copy_safe(dst, dstsz, src, len);
	assert_string_equal(dst, want);
	assert_int_equal(dst[dstsz], 'x'); /* nothing written past dstsz */
}

/* The printable-ASCII fast path stops exactly where the byte-wise path did: dstsz - 1 bytes. */
static void test_ascii_bounds(void **state)
{
	(void)state;
	check(1, "abc", 3, "");
	check(2, "abc", 3, "a");
	check(3, "abc", 3, "ab");
	check(4, "abc", 3, "abc");
	check(5, "abc", 3, "abc");
	check(8, "abcdefghij", 10, "abcdefg");
	check(8, "abcdefghij", 4, "abcd");
}

/* A multi-byte character is never split: it fits whole, or the copy ends before it. */
static void test_utf8_at_bound(void **state)
{
	(void)state;
	check(8, "abcde\xe2\x82\xac", 8, "abcde");
	check(9, "abcde\xe2\x82\xac", 8, "abcde\xe2\x82\xac");
	check(9,
	      "abcde\xe2\x82\xac"
	      "f",
	      9, "abcde\xe2\x82\xac");
	check(10,
	      "abcde\xe2\x82\xac"
	      "fg",
	      10,
	      "abcde\xe2\x82\xac"
	      "f");
}

/* Controls, DEL, C1 and invalid bytes become '?' between ASCII runs, also at the bound. */
static void test_replacements(void **state)
{
	(void)state;
	check(16,
	      "a\x01"
	      "b\x7f"
	      "c",
	      5, "a?b?c");
	check(16,
	      "a\xff\xfe"
	      "b",
	      4, "a??b");
	check(16, "x\xc2\x85y", 4, "x??y"); /* U+0085 (C1): each byte replaced */
	check(16, "\xe2\x82", 2, "??");	    /* a cut sequence */
	check(3, "ab\x01", 3, "ab");
	check(4,
	      "ab\x01"
	      "c",
	      4, "ab?");
	check(16, "a\0b", 3, "a?b"); /* NUL in the input is a control too */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ascii_bounds),
	    cmocka_unit_test(test_utf8_at_bound),
	    cmocka_unit_test(test_replacements),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
