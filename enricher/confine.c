/* confine.c: obi-enricher's confinement: non-dumpable, its own uid, no capabilities,
 * no_new_privs, seccomp. */
#include <errno.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "enricher.h"
#include "sandbox.h"

/* Everything the enricher does once sandboxed (on top of sandbox_base_rules). */
static const struct sandbox_rule enricher_seccomp_rules[] = {
    {"socket", 0, {SB_EQ(0, AF_UNIX)}, "reconnecting to the probe after it restarts"},
    {"connect", 0, {{0}}, "the same reconnect (the socket is the only one it can create)"},
    {"openat", EACCES, {{0}}, "libc's lazy locale/time-zone opens fail harmlessly, no file opens"},
    {"open", EACCES, {{0}}, "the same for the legacy call"},
    {"ioctl",
     ENOTTY,
     {SB_EQ(1, TCGETS)},
     "stdio's isatty() on stdout: 'not a terminal' (full buffering; the printer flushes)"},
};

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
	rc = sandbox_drop_all_caps();
	if (rc) {
		log_error(-rc, "clearing capabilities");
		return -1;
	}
	/* Again: the uid change above resets dumpability to the fs.suid_dumpable default. */
	rc = sandbox_nodump();
	if (rc == 0)
		rc = sandbox_apply(enricher_seccomp_rules,
				   sizeof(enricher_seccomp_rules) /
				       sizeof(enricher_seccomp_rules[0]),
				   sandbox_mode_from_env());
	if (rc)
		log_error(-rc, "no_new_privs / seccomp filter");
	return rc ? -1 : 0;
}
