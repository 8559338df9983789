/* confine.c: obi-probe's run-time confinement: non-dumpable, bounding set, a non-root uid where
 * it may, capabilities down to the run-time set, then no_new_privs and its seccomp table. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"
#include "procworker.h"
#include "sandbox.h"
#include "seccomp_tables.h"

/*
 * What the running probe keeps (docs/security.md): BPF and PERFMON for map operations and the
 * sweep's test run; SYS_PTRACE for /proc/PID/{exe,environ,fd} of other users; DAC_READ_SEARCH
 * for /proc/PID/fd directories of any owner; CHECKPOINT_RESTORE for /proc/PID/map_files.
 */
static const cap_value_t probe_runtime_caps[] = {
    CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_CHECKPOINT_RESTORE,
};
#define PROBE_NRUNTIME (sizeof(probe_runtime_caps) / sizeof(probe_runtime_caps[0]))

static bool probe_cap_has(cap_t caps, cap_value_t c, cap_flag_t set)
{
	cap_flag_value_t v = CAP_CLEAR;

	return cap_get_flag(caps, c, set, &v) == 0 && v == CAP_SET;
}

static bool probe_cap_is_runtime(cap_value_t c)
{
	for (size_t i = 0; i < PROBE_NRUNTIME; i++)
		if (probe_runtime_caps[i] == c)
			return true;
	return false;
}

/* Nothing exec'd later (there is nothing) could regain a dropped capability. Needs SETPCAP. */
static void probe_confine_bounding(cap_t have)
{
	if (!probe_cap_has(have, CAP_SETPCAP, CAP_EFFECTIVE))
		return;
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (!probe_cap_is_runtime(c) && CAP_IS_SUPPORTED(c) && cap_drop_bound(c) != 0)
			log_warn(errno, "dropping capability %d from the bounding set", c);
}

/*
 * Root on a host or in a privileged container: become cfg.probe_uid, keeping the permitted set
 * across the change (KEEPCAPS); probe_confine_caps() then cuts it to the run-time set. A
 * hardened pod grants exactly the six capabilities and no SETUID: the probe keeps its uid.
 */
static int probe_confine_setuid(struct probe *p, cap_t have)
{
	uid_t uid = p->cfg.probe_uid;
	gid_t gid = p->cfg.probe_gid;

	if (geteuid() == uid)
		return 0;
	if (!probe_cap_has(have, CAP_SETUID, CAP_EFFECTIVE) ||
	    !probe_cap_has(have, CAP_SETGID, CAP_EFFECTIVE)) {
		log_warnx(
		    "no CAP_SETUID/CAP_SETGID: obi-probe keeps uid %u (with only its run-time "
		    "capabilities; see docs/security.md)",
		    (unsigned)geteuid());
		return 0;
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid)) {
		log_error(errno, "switching to uid %u gid %u", uid, gid);
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	log_info("running as uid %u gid %u", uid, gid);
	return 0;
}

/* Effective = permitted = the run-time capabilities still held; inheritable, ambient empty. */
static int probe_confine_caps(cap_t have)
{
	cap_value_t keep[PROBE_NRUNTIME];
	cap_t want = cap_init();
	int n = 0, rc = -1;

	if (!want)
		return -1;
	for (size_t i = 0; i < PROBE_NRUNTIME; i++)
		if (probe_cap_has(have, probe_runtime_caps[i], CAP_PERMITTED))
			keep[n++] = probe_runtime_caps[i];
	if (n && (cap_set_flag(want, CAP_EFFECTIVE, n, keep, CAP_SET) ||
		  cap_set_flag(want, CAP_PERMITTED, n, keep, CAP_SET)))
		log_error(errno, "building the capability set");
	else if (cap_set_proc(want) != 0)
		log_error(errno, "setting the run-time capabilities");
	else
		rc = 0;
	if (rc == 0 && CAP_AMBIENT_SUPPORTED())
		cap_reset_ambient();
	cap_free(want);
	return rc;
}

static int probe_confine_seccomp(struct probe *p)
{
	struct sandbox_rule rules[probe_seccomp_runtime_n + 1];
	size_t n = probe_seccomp_runtime_n;
	int rc;

	memcpy(rules, probe_seccomp_runtime, sizeof(rules[0]) * n);
	/* The path is not visible to seccomp; the uid's lack of write access bounds the rest. */
	if (p->sock_dirfd >= 0)
		rules[n++] = (struct sandbox_rule){
		    "unlinkat", 0, {SB_EQ(0, p->sock_dirfd)}, "the probe's own socket, at exit"};
	rc = sandbox_apply(rules, n, sandbox_mode_from_env());
	if (rc)
		log_error(-rc, "no_new_privs / seccomp filter");
	return rc;
}

/* The uid probe_confine() will leave the probe with: the socket directory is made for it. */
uid_t probe_confine_runtime_uid(const struct probe *p)
{
	cap_t have = cap_get_proc();
	bool will = have && geteuid() != p->cfg.probe_uid &&
		    probe_cap_has(have, CAP_SETUID, CAP_EFFECTIVE) &&
		    probe_cap_has(have, CAP_SETGID, CAP_EFFECTIVE);

	if (have)
		cap_free(have);
	return will ? p->cfg.probe_uid : geteuid();
}

int probe_confine(struct probe *p)
{
	cap_t have = cap_get_proc();
	int rc = -1;

	if (!have) {
		log_error(errno, "reading capabilities");
		return -1;
	}
	probe_confine_bounding(have);
	/* The death signal is set after the credential change (which clears it), before seccomp. */
	if (probe_confine_setuid(p, have) == 0 && probe_confine_caps(have) == 0 &&
	    sandbox_nodump() == 0 && probe_admit_watch_launcher(p) == 0 &&
	    probe_confine_seccomp(p) == 0)
		rc = 0;
	cap_free(have);
	return rc;
}
