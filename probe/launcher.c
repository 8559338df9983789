/* launcher.c: `obi`, the single-host launcher: starts obi-probe, and obi-enricher unprivileged. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sandbox.h"

struct launcher {
	struct obi_config cfg;
	char dir[PATH_MAX]; /* where obi-probe and obi-enricher live: next to obi */
	pid_t probe, enricher;
	uint64_t restart_window_start;
	unsigned restarts;
};

/*
 * The children get the same command-line configuration flags and the environment as is; each
 * parses the configuration itself and uses its own rows of it.
 */
static pid_t launcher_spawn(struct launcher *l, const char *name, char **argv, bool unprivileged,
			    const sigset_t *oldmask)
{
	char path[PATH_MAX + 32];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", l->dir, name);
	pid = fork();
	if (pid != 0)
		return pid;
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	/* If the launcher dies, so do its children: nothing is left capturing unattended. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (unprivileged) {
		if (setgroups(0, NULL) || setgid(l->cfg.enricher_gid) ||
		    setuid(l->cfg.enricher_uid)) {
			log_error(errno, "becoming uid %u for %s", l->cfg.enricher_uid, name);
			_exit(126);
		}
		if (sandbox_drop_all_caps() || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
			log_errorx("clearing privileges for %s", name);
			_exit(126);
		}
	}
	argv[0] = path;
	execv(path, argv);
	log_error(errno, "starting %s", path);
	_exit(127);
}

/* At most 5 restarts within a minute. */
static bool launcher_may_restart(struct launcher *l)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec;
	if (now - l->restart_window_start >= 60) {
		l->restart_window_start = now;
		l->restarts = 0;
	}
	if (l->restarts >= 5)
		return false;
	l->restarts++;
	/* A short pause so that a crash loop does not spin. */
	usleep(200000);
	return true;
}

/* SIGTERM, then SIGKILL if the child has not exited within shutdown_timeout. */
static void launcher_stop_child(pid_t pid, uint64_t timeout_ns)
{
	uint64_t waited = 0;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (waited >= timeout_ns) {
			log_warnx("pid %d did not stop within shutdown_timeout: killing it", pid);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		usleep(10000);
		waited += 10000000ULL;
	}
}

static const char *launcher_who(const struct launcher *l, pid_t pid)
{
	return pid == l->probe ? "obi-probe" : "obi-enricher";
}

int main(int argc, char **argv, char **envp)
{
	struct launcher l = {0};
	enum config_action action;
	sigset_t mask, oldmask;
	ssize_t n;
	int rc, sfd, status = 1;
	char *slash;

	log_init("obi", LOG_LVL_INFO);
	/* Validate everything once, for both processes, before starting either. */
	rc = config_load(&l.cfg, argc, argv, envp, CONFIG_PROC_ALL, &action);
	if (rc)
		return rc;
	if (action == CONFIG_ACTION_DUMP)
		config_dump(&l.cfg, stdout);
	if (action == CONFIG_ACTION_DOCS)
		config_write_docs(stdout);
	if (action != CONFIG_ACTION_RUN)
		goto out;
	log_set_level((enum log_level)l.cfg.log_level);
	n = readlink("/proc/self/exe", l.dir, sizeof(l.dir) - 1);
	if (n <= 0) {
		log_error(errno, "locating obi");
		goto out;
	}
	l.dir[n] = '\0';
	slash = strrchr(l.dir, '/');
	if (slash)
		*slash = '\0';
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		log_error(errno, "signalfd");
		goto out;
	}
	l.probe = launcher_spawn(&l, "obi-probe", argv, false, &oldmask);
	l.enricher = launcher_spawn(&l, "obi-enricher", argv, true, &oldmask);
	if (l.probe < 0 || l.enricher < 0) {
		log_error(errno, "fork");
		goto stop;
	}
	for (;;) {
		struct signalfd_siginfo si;
		pid_t pid;
		int ws;

		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD) {
			log_info("signal %u: stopping", si.ssi_signo);
			status = 0;
			break;
		}
		while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
			if (pid != l.probe && pid != l.enricher)
				continue;
			log_errorx("%s exited (%s %d)", launcher_who(&l, pid),
				   WIFEXITED(ws) ? "status" : "signal",
				   WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
			if (pid == l.probe) {
				status = WIFEXITED(ws) && WEXITSTATUS(ws) ? WEXITSTATUS(ws) : 1;
				l.probe = 0;
				goto stop;
			}
			/*
			 * The enricher holds no state the probe cannot resend: restart it (it gets
			 * the process table again on connect). Repeated quick deaths mean a real
			 * fault.
			 */
			l.enricher = 0;
			if (launcher_may_restart(&l)) {
				l.enricher =
				    launcher_spawn(&l, "obi-enricher", argv, true, &oldmask);
				log_info("restarted obi-enricher (pid %d)", l.enricher);
			} else {
				log_errorx("obi-enricher keeps failing: stopping");
				status = 1;
				goto stop;
			}
		}
	}
stop:
	/* The probe first, so that its last records still reach the enricher. */
	launcher_stop_child(l.probe, l.cfg.shutdown_timeout_ns);
	if (l.enricher > 0)
		usleep(200000);
	launcher_stop_child(l.enricher, l.cfg.shutdown_timeout_ns);
	close(sfd);
out:
	config_free(&l.cfg);
	return action != CONFIG_ACTION_RUN ? 0 : status;
}
