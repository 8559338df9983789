/* test_sandbox.c: unit tests of seccomp rows with argument conditions, in forked children: an
 * allowed argument passes, a masked bit kills with SIGSYS, a deny row returns its errno. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

static const struct sandbox_rule test_rules[] = {
    {"openat", 0, {SB_NONE_OF(2, O_WRONLY | O_RDWR | O_CREAT)}, "read-only opens"},
    {"getppid", EPERM, {SB_EQ(0, 0)}, "a deny row"},
    {"dup", 0, {SB_EQ(0, 0)}, "dup(0) only"},
    {"dup", 0, {SB_EQ(0, 1)}, "or dup(1): rows are alternatives"},
};

/* Runs fn in a child under test_rules; returns its wait status. Raw syscalls only after the
 * filter: libc (and sanitizers) may use calls the table leaves out. */
static int run_confined(long (*fn)(void))
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		long r;

		if (sandbox_apply(test_rules, sizeof(test_rules) / sizeof(test_rules[0]),
				  SANDBOX_KILL) != 0)
			syscall(SYS_exit_group, 100);
		r = fn();
		syscall(SYS_exit_group, r < 0 ? 200 + (int)-r : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static long open_ro(void)
{
	long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC | O_DIRECTORY);

	/* ENOTDIR from the kernel: the filter let it through. */
	return fd >= 0 || errno == ENOTDIR ? 0 : -errno;
}

static long open_wr(void)
{
	return syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY);
}

static long deny_row(void)
{
	return syscall(SYS_getppid, 0) == -1 ? -errno : 0;
}

static long dup_alternatives(void)
{
	long a = syscall(SYS_dup, 0), b = syscall(SYS_dup, 1);

	return a >= 0 && b >= 0 ? 0 : -1;
}

static long dup_other(void)
{
	return syscall(SYS_dup, 2);
}

static long exec_mapping(void)
{
	return syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
}

static long rw_mapping(void)
{
	long p =
	    syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == -1 ? -errno : 0;
}

static void assert_killed(int status)
{
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void test_masked_eq(void **state)
{
	int st;

	(void)state;
	st = run_confined(open_ro);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_killed(run_confined(open_wr));
}

static void test_deny_row_errno(void **state)
{
	int st = run_confined(deny_row);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 200 + EPERM);
}

static void test_rows_are_alternatives(void **state)
{
	int st = run_confined(dup_alternatives);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_killed(run_confined(dup_other));
}

static void test_no_exec_mappings(void **state)
{
	int st = run_confined(rw_mapping);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_killed(run_confined(exec_mapping));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_masked_eq),
	    cmocka_unit_test(test_deny_row_errno),
	    cmocka_unit_test(test_rows_are_alternatives),
	    cmocka_unit_test(test_no_exec_mappings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
