/* test_landlock.c: the enricher's Landlock ruleset on this kernel, in a forked child: the listed
 * file is readable, another world-readable one is not, nothing can be created, TCP connect
 * only to the listed port. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock.h"

static int abi(void)
{
	return (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
}

/* A listening TCP socket on 127.0.0.1; its port in *port. */
static int listener(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
	close(fd);
	return rc;
}

/* Exit codes of the child name the first check that failed. */
static int child(uint16_t ok_port, uint16_t other_port, int net)
{
	static const char *const paths[] = {"/etc/hosts", NULL};
	struct landlock_paths lp = {.paths = paths, .tcp_ports = {ok_port}};
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || enricher_landlock(&lp))
		return 10;
	fd = open("/etc/hosts", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 11;
	close(fd);
	if (open("/etc/passwd", O_RDONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		return 12;
	if (open("/tmp/test_landlock_created", O_WRONLY | O_CREAT | O_CLOEXEC, 0600) >= 0 ||
	    errno != EACCES)
		return 13;
	if (net && tcp_connect(ok_port) != 0)
		return 14;
	if (net && tcp_connect(other_port) != -EACCES)
		return 15;
	return 0;
}

static void test_ruleset(void **state)
{
	uint16_t p1, p2;
	int l1 = listener(&p1), l2 = listener(&p2), ws;
	int v = abi();
	pid_t pid;

	(void)state;
	if (v < 1) {
		close(l1);
		close(l2);
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(p1, p2, v >= 4));
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws))
		fail_msg("child: status %d (ABI %d)", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, v);
	assert_int_equal(access("/tmp/test_landlock_created", F_OK), -1);
	close(l1);
	close(l2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_ruleset)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
