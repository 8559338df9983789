/* confine.c: obi-probe's run-time confinement: capabilities down to the run-time set, then
 * no_new_privs and its seccomp allow-list. */
#include <errno.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"
#include "sandbox.h"

/* What the probe may still do once running: drain rings, bpf map ops, /proc reads, the socket. */
static const struct sandbox_rule probe_seccomp_rules[] = {
    {"openat", -1},	 {"open", -1},	    {"statx", -1},
    {"getdents64", -1},	 {"readlink", -1},  {"readlinkat", -1},
    {"bpf", -1},	 {"accept4", -1},   {"getsockopt", -1},
    {"shutdown", -1},	 {"getuid", -1},    {"geteuid", -1},
    {"unlink", -1},	 {"unlinkat", -1},  {"sysinfo", -1},
    {"sched_yield", -1}, {"prlimit64", -1}, {"perf_event_open", -1},
    {"uname", -1},
    /* admit.c: SO_PEERCRED/SO_TYPE/SO_DOMAIN of peers and of descriptors from the launcher
     * (getsockopt above); the launcher's channel carries them by SCM_RIGHTS (recvmsg, base);
     * ioctl(SIOCOUTQ) on the enricher socket tells a silent enricher (ioctl, base). */
};

uid_t probe_confine_runtime_uid(const struct probe *p)
{
	(void)p;
	return geteuid();
}

int probe_confine(struct probe *p)
{
	int rc;

	if (probe_caps_drop())
		return -1;
	/* After the credential change (it clears the death signal), before seccomp. */
	if (probe_admit_watch_launcher(p))
		return -1;
	rc = sandbox_apply(probe_seccomp_rules,
			   sizeof(probe_seccomp_rules) / sizeof(probe_seccomp_rules[0]),
			   sandbox_mode_from_env());
	if (rc) {
		log_error(-rc, "no_new_privs / seccomp filter");
		return -1;
	}
	return 0;
}
