/* test_procparse.c: unit tests of the probe's /proc parsers on real and hostile texts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "procparse.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_status(void **state)
{
	static const char st[] = "Name:\tnginx\nPPid:\t812\nNSpid:\t9001\t7\t1\nUid:\t0\t0\n";
	char out[16];
	uint32_t v = 0;

	(void)state;
	assert_int_equal(procparse_status_field(S(st), "Name", out, sizeof(out)), 0);
	assert_string_equal(out, "nginx");
	assert_int_equal(procparse_status_u32(S(st), "PPid", false, &v), 0);
	assert_int_equal(v, 812);
	assert_int_equal(procparse_status_u32(S(st), "NSpid", true, &v), 0);
	assert_int_equal(v, 1);
	/* a prefix of a field name is not that field */
	assert_int_equal(procparse_status_u32(S(st), "PP", false, &v), -1);
	assert_int_equal(procparse_status_u32(S("PPid:\t99999999999\n"), "PPid", false, &v), -1);
	assert_int_equal(procparse_status_u32(S("PPid:\t12x\n"), "PPid", false, &v), -1);
	/* bounded by the buffer, not a NUL: the last line has no newline */
	assert_int_equal(procparse_status_field("Name:\tabcdef", 9, "Name", out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(procparse_status_field(S("Name:\t0123456789abcdefXYZ\n"), "Name", out,
						sizeof(out)),
			 0);
	assert_string_equal(out, "0123456789abcde");
}

static void test_stat_comm_with_parens(void **state)
{
	/* comm is chosen by the process: ") S 1 2" inside it must not shift the fields */
	static const char st[] = "42 (x) S 1 2 3) R 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 "
				 "0 98765 1000 10\n";
	unsigned long long t = 0;

	(void)state;
	assert_int_equal(procparse_stat_starttime(S(st), &t), 0);
	assert_int_equal(t, 98765);
	assert_int_equal(procparse_stat_starttime(S("42 (x) R 1 2\n"), &t), -1);
	assert_int_equal(procparse_stat_starttime(S("no paren at all"), &t), -1);
}

static void test_tcp_listen(void **state)
{
	static const char tcp[] =
	    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	    "timeout inode\n"
	    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
	    "      0 12345 1 0000000000000000 100 0 0 10 0\n"
	    "   1: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0  "
	    "      0 12346 1 0000000000000000 100 0 0 10 0\n"
	    "   2: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A "
	    "00000000:00000000 00:00000000 00000000     0        0 777 1\n";
	struct procparse_listen l[4];
	int n;

	(void)state;
	n = procparse_tcp_listen(S(tcp), l, 0, 4);
	assert_int_equal(n, 2);
	assert_int_equal(l[0].port, 8080);
	assert_int_equal(l[0].inode, 12345);
	assert_int_equal(l[1].port, 80);
	assert_int_equal(l[1].inode, 777);
	/* the output bound holds */
	assert_int_equal(procparse_tcp_listen(S(tcp), l, 3, 4), 4);
}

static void test_pid_list_and_links(void **state)
{
	uint32_t p[3];
	unsigned long ino = 0;

	(void)state;
	assert_int_equal(procparse_pid_list(S("12 34 0 x9 99999999 56 78"), p, 0, 3), 3);
	assert_int_equal(p[0], 12);
	assert_int_equal(p[1], 34);
	assert_int_equal(p[2], 56);
	assert_int_equal(procparse_socket_inode(S("socket:[4242]"), &ino), 0);
	assert_int_equal(ino, 4242);
	assert_int_equal(procparse_socket_inode(S("socket:[]"), &ino), -1);
	assert_int_equal(procparse_socket_inode(S("socket:[12"), &ino), -1);
	assert_int_equal(procparse_socket_inode(S("pipe:[12]"), &ino), -1);
}

static void test_env_and_trims(void **state)
{
	static const char env[] = "A=1\0OTEL_SERVICE_NAMEX=no\0OTEL_SERVICE_NAME=checkout\0B=2";
	const char *v;
	size_t vlen = 0;

	(void)state;
	v = procparse_env_get(env, sizeof(env) - 1, "OTEL_SERVICE_NAME", &vlen);
	assert_non_null(v);
	assert_int_equal(vlen, 8);
	assert_memory_equal(v, "checkout", 8);
	/* cut short in the middle of the value: bounded by the buffer */
	v = procparse_env_get(env, 50, "OTEL_SERVICE_NAME", &vlen);
	assert_non_null(v);
	assert_int_equal(vlen, 50 - 44);
	assert_null(procparse_env_get(env, sizeof(env) - 1, "C", &vlen));
	assert_int_equal(procparse_cmdline_len(S("a\0b\0\0")), 3);
	assert_int_equal(procparse_exe_len(S("/usr/bin/x (deleted)")), 10);
	assert_int_equal(procparse_exe_len(S(" (deleted)")), 10);
	assert_int_equal(procparse_cgroup_len(S("0::/a\n\n")), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_stat_comm_with_parens),
	    cmocka_unit_test(test_tcp_listen),
	    cmocka_unit_test(test_pid_list_and_links),
	    cmocka_unit_test(test_env_and_trims),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
