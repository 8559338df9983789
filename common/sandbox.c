/* sandbox.c: seccomp (libseccomp) and capability clearing (libcap) used by both processes. */
#include "sandbox.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "log.h"

/* What any of our event loops needs: memory, time, signals, exit, I/O on descriptors it holds. */
static const struct sandbox_rule sandbox_base_rules[] = {
    {"read", -1},
    {"write", -1},
    {"writev", -1},
    {"close", -1},
    {"fstat", -1},
    {"newfstatat", -1},
    {"lseek", -1},
    {"fcntl", -1},
    {"ioctl", -1},
    {"epoll_wait", -1},
    {"epoll_pwait", -1},
    {"epoll_ctl", -1},
    {"recvfrom", -1},
    {"recvmsg", -1},
    {"sendto", -1},
    {"sendmsg", -1},
    {"mmap", -1},
    {"munmap", -1},
    {"mprotect", -1},
    {"mremap", -1},
    {"brk", -1},
    {"madvise", -1},
    {"futex", -1},
    {"clock_gettime", -1},
    {"clock_nanosleep", -1},
    {"nanosleep", -1},
    {"timerfd_settime", -1},
    {"rt_sigprocmask", -1},
    {"rt_sigreturn", -1},
    {"getpid", -1},
    {"gettid", -1},
    {"exit", -1},
    {"exit_group", -1},
    {"restart_syscall", -1},
    {"getrandom", -1},
};

static int sandbox_add_rules(scmp_filter_ctx ctx, const struct sandbox_rule *rules, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		int nr = seccomp_syscall_resolve_name(rules[i].name);

		/* A name this architecture lacks (e.g. a legacy call) is simply not allowed. */
		if (nr == __NR_SCMP_ERROR)
			continue;
		uint32_t act = rules[i].deny_errno ? SCMP_ACT_ERRNO((uint16_t)rules[i].deny_errno)
						   : SCMP_ACT_ALLOW;

		if (rules[i].a2_cmp != SANDBOX_ANY)
			rc = seccomp_rule_add(
			    ctx, act, nr, 1,
			    SCMP_A2(rules[i].a2_cmp == SANDBOX_A2_EQ ? SCMP_CMP_EQ : SCMP_CMP_NE,
				    (scmp_datum_t)rules[i].a2_val));
		else if (rules[i].arg0_eq >= 0)
			rc = seccomp_rule_add(ctx, act, nr, 1,
					      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)rules[i].arg0_eq));
		else
			rc = seccomp_rule_add(ctx, act, nr, 0);
		if (rc < 0)
			log_warn(-rc, "seccomp rule for %s", rules[i].name);
	}
	return rc;
}

enum sandbox_mode sandbox_mode_from_env(void)
{
	const char *v = getenv("OBI_SECCOMP");

	if (v && strcmp(v, "off") == 0)
		return SANDBOX_OFF;
	if (v && strcmp(v, "log") == 0)
		return SANDBOX_LOG;
	return SANDBOX_KILL;
}

int sandbox_apply(const struct sandbox_rule *rules, size_t n, enum sandbox_mode mode)
{
	scmp_filter_ctx ctx;
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (mode == SANDBOX_OFF) {
		log_warnx("seccomp filter disabled (OBI_SECCOMP=off)");
		return 0;
	}
	ctx = seccomp_init(mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	rc = sandbox_add_rules(ctx, sandbox_base_rules,
			       sizeof(sandbox_base_rules) / sizeof(sandbox_base_rules[0]));
	if (rc == 0)
		rc = sandbox_add_rules(ctx, rules, n);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

int sandbox_drop_all_caps(void)
{
	cap_t none = cap_init();
	int rc = 0;

	if (!none)
		return -ENOMEM;
	if (cap_set_proc(none) != 0)
		rc = -errno;
	cap_free(none);
	if (rc == 0 && CAP_AMBIENT_SUPPORTED())
		cap_reset_ambient();
	return rc;
}
