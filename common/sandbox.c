/* sandbox.c: seccomp (libseccomp) and capability clearing (libcap) used by both processes. */
#include "sandbox.h"

#include <errno.h>
#include <stdint.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "log.h"

int sandbox_apply(const struct sandbox_rule *rules, size_t n, bool log_only)
{
	scmp_filter_ctx ctx = NULL;
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	ctx = seccomp_init(log_only ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(rules[i].name);

		/* A name this architecture lacks (e.g. a legacy call) is simply not allowed. */
		if (nr == __NR_SCMP_ERROR)
			continue;
		uint32_t act = rules[i].deny_errno ? SCMP_ACT_ERRNO((uint16_t)rules[i].deny_errno)
						   : SCMP_ACT_ALLOW;

		if (rules[i].arg0_eq >= 0)
			rc = seccomp_rule_add(ctx, act, nr, 1,
					      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)rules[i].arg0_eq));
		else
			rc = seccomp_rule_add(ctx, act, nr, 0);
		if (rc < 0) {
			log_warn(-rc, "seccomp rule for %s", rules[i].name);
			goto out;
		}
	}
	rc = seccomp_load(ctx);
out:
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
