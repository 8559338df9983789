/* test_log.c: unit tests of log escaping: a hostile value cannot forge or colour a log line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void esc(const char *in, const char *want)
{
	char out[256];

	log_escape(out, sizeof(out), in, strlen(in));
	assert_string_equal(out, want);
}

static void test_controls_escaped(void **state)
{
	(void)state;
	esc("plain /usr/bin/app", "plain /usr/bin/app");
	esc("a\nb\r\tc", "a\\x0ab\\x0d\\x09c");
	esc("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	esc("del\x7f", "del\\x7f");
	esc("back\\slash", "back\\\\slash");
}

static void test_utf8(void **state)
{
	(void)state;
	esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	esc("c1 csi \xc2\x9b" "31m", "c1 csi \\xc2\\x9b31m");     /* U+009B: an 8-bit CSI */
	esc("stray \x80 \xff", "stray \\x80 \\xff");
	esc("overlong \xc0\xaf \xe0\x80\xaf", "overlong \\xc0\\xaf \\xe0\\x80\\xaf");
	esc("surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80");
	esc("cut \xe2\x82", "cut \\xe2\\x82");
}

static void test_bounded(void **state)
{
	char out[8];

	(void)state;
	/* Never writes a partial escape, always terminates. */
	assert_int_equal(log_escape(out, sizeof(out), "abcd\n", 5), 4);
	assert_string_equal(out, "abcd");
	assert_int_equal(log_escape(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
}

/* The probe's own message with a hostile exe path: exactly one line, no ESC byte. */
static void test_forged_line_in_exe_path(void **state)
{
	const char *exe = "/tmp/x\n2026-01-01T00:00:00.000Z ERROR obi-probe: forged\x1b]0;t\x07";
	char buf[2048] = "";
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	(void)state;
	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	log_init("obi-probe", LOG_LVL_INFO);
	log_info("instrumenting pid %d (%s): %s", 42, exe, "exe glob");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	fclose(tmp);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "(/tmp/x\\x0a2026-01-01T00:00:00.000Z ERROR obi-probe: forged"
				   "\\x1b]0;t\\x07)"));
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
	assert_null(strchr(buf, '\x1b'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_controls_escaped),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_forged_line_in_exe_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
