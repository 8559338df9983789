/* test_sockdir.c: unit tests of the socket-directory rule both processes apply (sockdir.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "sockdir.h"

static void test_split(void **state)
{
	char dir[108], name[SOCKDIR_NAME_MAX + 1];

	(void)state;
	assert_int_equal(
	    sockdir_split("/var/run/obi/obi.sock", dir, sizeof(dir), name, sizeof(name)), 0);
	assert_string_equal(dir, "/var/run/obi");
	assert_string_equal(name, "obi.sock");
	assert_int_equal(sockdir_split("/obi.sock", dir, sizeof(dir), name, sizeof(name)), 0);
	assert_string_equal(dir, "/");
	/* Relative, empty, dot names, and names too long to connect to through /proc. */
	assert_int_equal(sockdir_split("obi.sock", dir, sizeof(dir), name, sizeof(name)), -EINVAL);
	assert_int_equal(sockdir_split("/var/run/obi/", dir, sizeof(dir), name, sizeof(name)),
			 -EINVAL);
	assert_int_equal(sockdir_split("/var/run/..", dir, sizeof(dir), name, sizeof(name)),
			 -EINVAL);
	assert_int_equal(
	    sockdir_split("/x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			  "aaaaaaaaaaaaaaaaaaaaaa",
			  dir, sizeof(dir), name, sizeof(name)),
	    -EINVAL);
}

static struct stat dir_stat(uid_t uid, mode_t mode)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_uid = uid;
	st.st_mode = S_IFDIR | mode;
	return st;
}

static void test_trust(void **state)
{
	struct stat st;

	(void)state;
	st = dir_stat(0, 0755);
	assert_null(sockdir_untrusted(&st, 65518, 65518));
	assert_false(sockdir_is_shared(&st));
	st = dir_stat(65518, 0710);
	assert_null(sockdir_untrusted(&st, 65518, 65518));
	st = dir_stat(1000, 0755); /* someone else's directory */
	assert_non_null(sockdir_untrusted(&st, 65518, 65518));
	st = dir_stat(0, 0775); /* group-writable */
	assert_non_null(sockdir_untrusted(&st, 65518, 65518));
	st = dir_stat(0, 0777); /* an emptyDir: shared, never trusted itself */
	assert_true(sockdir_is_shared(&st));
	assert_non_null(sockdir_untrusted(&st, 65518, 65518));
	st = dir_stat(0, 01777);
	assert_true(sockdir_is_shared(&st));
	st.st_mode = S_IFREG | 0600;
	assert_non_null(sockdir_untrusted(&st, 65518, 65518));
}

static void test_fd_path(void **state)
{
	char p[108];

	(void)state;
	assert_int_equal(sockdir_fd_path(p, sizeof(p), 7, "obi.sock"), 0);
	assert_string_equal(p, "/proc/self/fd/7/obi.sock");
	assert_int_equal(sockdir_fd_path(p, 10, 7, "obi.sock"), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_trust),
	    cmocka_unit_test(test_fd_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
