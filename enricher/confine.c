/* confine.c: obi-enricher's confinement: non-dumpable, its own uid, no capabilities,
 * no_new_privs, seccomp. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <grp.h>
#include <unistd.h>

#include "enricher.h"
#include "sandbox.h"
#include "seccomp_table.h"

int enricher_confine(struct enricher *e)
{
	int rc;

	/* Started as root (a misconfigured pod, or by hand): become the unprivileged user. */
	if (geteuid() == 0) {
		if (setgroups(0, NULL) || setgid(e->cfg.enricher_gid) ||
		    setuid(e->cfg.enricher_uid)) {
			log_error(errno, "dropping to uid %u", e->cfg.enricher_uid);
			return -1;
		}
		log_info("dropped root: running as uid %u", e->cfg.enricher_uid);
	}
	/* The uid change above cleared the death signal: set it (again) after it, then check
	 * that the launcher did not go in between. */
	if (e->launcher_pid && (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != e->launcher_pid)) {
		log_errorx("the launcher is gone: stopping");
		return -1;
	}
	rc = sandbox_drop_all_caps();
	if (rc) {
		log_error(-rc, "clearing capabilities");
		return -1;
	}
	/* Again: a uid change sets dumpability to fs.suid_dumpable, which may be 1 or 2. */
	rc = sandbox_nodump();
	if (rc == 0)
		rc = sandbox_apply(enricher_seccomp_rules, enricher_seccomp_n,
				   sandbox_mode_from_env());
	if (rc)
		log_error(-rc, "no_new_privs / seccomp filter");
	return rc ? -1 : 0;
}
