/* confine.c: obi-probe's run-time confinement: capabilities down to the run-time set, then
 * no_new_privs and its seccomp allow-list. */
#include <errno.h>

#include "log.h"
#include "probe.h"
#include "sandbox.h"

/* What the probe may still do once running: drain rings, bpf map ops, /proc reads, the socket. */
static const struct sandbox_rule probe_seccomp_rules[] = {
    {"openat", -1},
    {"open", -1},
    {"statx", -1},
    {"getdents64", -1},
    {"readlink", -1},
    {"readlinkat", -1},
    {"bpf", -1},
    {"accept4", -1},
    {"getsockopt", -1},
    {"shutdown", -1},
    {"getuid", -1},
    {"geteuid", -1},
    {"unlink", -1},
    {"unlinkat", -1},
    {"sysinfo", -1},
    {"sched_yield", -1},
    {"prlimit64", -1},
    {"perf_event_open", -1},
    {"uname", -1},
    /*
     * The /proc reader threads (procworker.c), created after this filter is installed so that
     * they inherit it (a filter binds the thread that installs it and the threads it creates
     * later; no TSYNC needed). clone3 takes its flags in memory the filter cannot read: it
     * fails with ENOSYS, and glibc falls back to clone, allowed only with exactly the flags of
     * pthread_create (a thread in this process: no fork, no new namespace).
     */
    {"clone3", -1, 38 /* ENOSYS */},
    {"clone",
     0x3d0f00 /* VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID */},
    {"set_robust_list", -1}, /* glibc, in every new thread: futex cleanup on thread exit */
    {"rseq", -1},	     /* glibc, in every new thread: restartable-sequence registration */
};

int probe_confine(struct probe *p)
{
	int rc;

	(void)p;
	if (probe_caps_drop())
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
