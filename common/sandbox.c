/* sandbox.c: seccomp (libseccomp) and capability clearing (libcap) used by both processes. */
#include "sandbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "log.h"

/* What any of our event loops needs: memory, time, signals, exit, I/O on descriptors it holds. */
const struct sandbox_rule sandbox_base_rules[] = {
    {"read", 0, {{0}}, "held descriptors: socket, timerfd, signalfd, /proc files, rings"},
    {"write", 0, {{0}}, "stdout (spans) and stderr (log lines); the socket"},
    {"writev", 0, {{0}}, "stdio may flush a buffer and a line in one call"},
    {"close", 0, {{0}}, "descriptors it opened itself"},
    {"fstat", 0, {{0}}, "stdio sizes its buffer from fstat on first use"},
    {"newfstatat", 0, {{0}}, "glibc's fstat is newfstatat(fd, \"\", AT_EMPTY_PATH)"},
    {"lseek", 0, {{0}}, "fclose of a partly read stream re-syncs the offset"},
    {"epoll_wait", 0, {{0}}, "the event loop"},
    {"epoll_pwait", 0, {{0}}, "the event loop (glibc may use the p-variant)"},
    {"epoll_ctl", 0, {{0}}, "adding/removing the connection to/from the loop"},
    {"recvfrom", 0, {{0}}, "socket reads (recv is recvfrom)"},
    {"recvmsg", 0, {{0}}, "socket reads"},
    {"sendto", 0, {{0}}, "socket writes (send is sendto)"},
    {"sendmsg", 0, {{0}}, "socket writes"},
    {"mmap", 0, {SB_NONE_OF(2, PROT_EXEC)}, "malloc; never an executable mapping (arg2)"},
    {"mprotect", 0, {SB_NONE_OF(2, PROT_EXEC)}, "malloc arenas; never makes memory executable"},
    {"munmap", 0, {{0}}, "malloc returning memory"},
    {"mremap", 0, {{0}}, "realloc of large blocks (keeps the old protection: no PROT_EXEC)"},
    {"brk", 0, {{0}}, "malloc's main heap"},
    {"madvise", 0, {{0}}, "malloc trimming free memory"},
    {"futex", 0, {{0}}, "stdio's and malloc's locks"},
    {"clock_gettime", 0, {{0}}, "timestamps (normally vDSO; the syscall is the fallback)"},
    {"clock_nanosleep", 0, {{0}}, "back-off between reconnects"},
    {"nanosleep", 0, {{0}}, "back-off between reconnects"},
    {"timerfd_settime", 0, {{0}}, "re-arming the loop's timer"},
    {"rt_sigprocmask", 0, {{0}}, "signal masking around the loop"},
    {"rt_sigreturn", 0, {{0}}, "returning from a signal handler"},
    {"getpid", 0, {{0}}, "its own pid for messages"},
    {"gettid", 0, {{0}}, "glibc's abort()/raise path"},
    {"exit", 0, {{0}}, "thread exit"},
    {"exit_group", 0, {{0}}, "process exit"},
    {"restart_syscall", 0, {{0}}, "the kernel restarting an interrupted sleep"},
    {"getrandom", 0, {{0}}, "malloc's and hash tables' seeds"},
};
const size_t sandbox_base_nrules = sizeof(sandbox_base_rules) / sizeof(sandbox_base_rules[0]);

static int sandbox_add_rule(scmp_filter_ctx ctx, const struct sandbox_rule *r)
{
	struct scmp_arg_cmp cmp[SANDBOX_MAX_ARGS];
	unsigned n = 0;
	int nr = seccomp_syscall_resolve_name(r->name);
	uint32_t act = r->deny_errno ? SCMP_ACT_ERRNO((uint16_t)r->deny_errno) : SCMP_ACT_ALLOW;

	/* A name this architecture lacks (e.g. a legacy call) is simply not allowed. */
	if (nr == __NR_SCMP_ERROR)
		return 0;
	for (unsigned i = 0; i < SANDBOX_MAX_ARGS; i++) {
		const struct sandbox_arg *a = &r->args[i];

		if (a->cmp == SANDBOX_CMP_EQ)
			cmp[n++] = SCMP_CMP(a->index, SCMP_CMP_EQ, a->value);
		else if (a->cmp == SANDBOX_CMP_MASKED_EQ)
			cmp[n++] = SCMP_CMP(a->index, SCMP_CMP_MASKED_EQ, a->mask, a->value);
		else if (a->cmp == SANDBOX_CMP_NE)
			cmp[n++] = SCMP_CMP(a->index, SCMP_CMP_NE, a->value);
	}
	return seccomp_rule_add_array(ctx, act, nr, n, cmp);
}

static int sandbox_add_rules(scmp_filter_ctx ctx, const struct sandbox_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = sandbox_add_rule(ctx, &rules[i]);

		if (rc < 0) {
			log_warn(-rc, "seccomp rule for %s", rules[i].name);
			return rc;
		}
	}
	return 0;
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
	rc = sandbox_add_rules(ctx, sandbox_base_rules, sandbox_base_nrules);
	if (rc == 0)
		rc = sandbox_add_rules(ctx, rules, n);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

int sandbox_nodump(void)
{
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -errno;
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
