/* launcher_child.c: what each child of the launcher starts with: its own session, stdin from
 * /dev/null, one inherited socket, its credentials, and death with the launcher. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch.h"
#include "launcher.h"
#include "log.h"
#include "sandbox.h"

/* No terminal (setsid: TIOCSTI needs a controlling one), no stdin, no stray descriptors. */
static int launcher_child_detach(int keep_fd)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (setsid() < 0 || null < 0 || dup2(null, 0) < 0)
		return -1;
	if (keep_fd == OBI_LAUNCH_FD) {
		if (fcntl(keep_fd, F_SETFD, 0))
			return -1;
	} else if (dup2(keep_fd, OBI_LAUNCH_FD) < 0) {
		return -1;
	}
	/* Everything else the launcher held or inherited (its caller's descriptors too). */
	return (int)syscall(SYS_close_range, OBI_LAUNCH_FD + 1, ~0U, 0);
}

static int launcher_child_creds(struct launcher *l)
{
	if (setgroups(0, NULL) || setgid(l->cfg.enricher_gid) || setuid(l->cfg.enricher_uid))
		return -1;
	if (sandbox_drop_all_caps() || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return 0;
}

pid_t launcher_spawn(struct launcher *l, const char *name, int keep_fd, const char *env_var,
		     bool unprivileged)
{
	char path[PATH_MAX + 32];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", l->dir, name);
	pid = fork();
	if (pid != 0)
		return pid;
	sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	if (launcher_child_detach(keep_fd)) {
		log_error(errno, "setting up %s (session, stdin, descriptors)", name);
		_exit(126);
	}
	if (unprivileged && launcher_child_creds(l)) {
		log_error(errno, "becoming uid %u without privileges for %s", l->cfg.enricher_uid,
			  name);
		_exit(126);
	}
	/* After the credential change, which clears it; the launcher may already be gone. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != l->self)
		_exit(125);
	unsetenv(OBI_LAUNCH_ENV_CTL);
	unsetenv(OBI_LAUNCH_ENV_PEER);
	setenv(env_var, "3", 1);
	l->argv[0] = path;
	execv(path, l->argv);
	log_error(errno, "starting %s", path);
	_exit(127);
}
