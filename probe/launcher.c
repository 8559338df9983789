/* launcher.c: `obi`, the single-host launcher: starts obi-probe, then obi-enricher on a
 * socketpair whose other end goes to the probe, and restarts the enricher whenever it dies. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"
#include "launcher.h"
#include "log.h"
#include "monotime.h"

/* A crash loop costs one exec per 5 s at most; a healthy restart waits ~0.1 s. */
#define LAUNCHER_BACKOFF_MIN_NS (100ULL * 1000000ULL)
#define LAUNCHER_BACKOFF_MAX_NS (5ULL * 1000000000ULL)
/* An enricher that ran this long was not crash-looping: the back-off starts over. */
#define LAUNCHER_STABLE_NS (30ULL * 1000000000ULL)

/* A new socketpair: one end to the probe over the control channel, the other to a new
 * enricher. The probe accepts ends only from this channel, and each replaces the last. */
static int launcher_start_enricher(struct launcher *l)
{
	struct obi_launch_msg m = {.magic = OBI_LAUNCH_MAGIC, .kind = OBI_LAUNCH_NEW_ENRICHER};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = {&m, sizeof(m)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cm.buf,
			    .msg_controllen = sizeof(cm.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int sv[2], rc = -1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		log_error(errno, "socketpair");
		return -1;
	}
	l->enricher = launcher_spawn(l, "obi-enricher", sv[1], OBI_LAUNCH_ENV_PEER, true);
	if (l->enricher < 0) {
		log_error(errno, "fork");
		l->enricher = 0;
		goto out;
	}
	l->enricher_started_ns = monotime_ns();
	m.enricher_pid = (uint32_t)l->enricher;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &sv[0], sizeof(int));
	/* Never blocks the launcher: a probe that does not read its channel is a dead probe. */
	if (sendmsg(l->ctl_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(m)) {
		log_error(errno, "handing the enricher's socket to obi-probe");
		goto out;
	}
	rc = 0;
out:
	close(sv[0]);
	close(sv[1]);
	return rc;
}

/* Capped exponential back-off with jitter (half to all of the step); never gives up. */
static void launcher_schedule_restart(struct launcher *l, uint64_t now)
{
	uint64_t step = LAUNCHER_BACKOFF_MIN_NS, r = 0;

	if (now - l->enricher_started_ns >= LAUNCHER_STABLE_NS)
		l->failures = 0;
	for (unsigned i = 0; i < l->failures && step < LAUNCHER_BACKOFF_MAX_NS; i++)
		step *= 2;
	if (step > LAUNCHER_BACKOFF_MAX_NS)
		step = LAUNCHER_BACKOFF_MAX_NS;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = now;
	l->failures++;
	l->restart_at_ns = now + step / 2 + r % (step / 2 + 1);
	log_info("restarting obi-enricher in %llu ms",
		 (unsigned long long)((l->restart_at_ns - now) / 1000000ULL));
}

/* SIGTERM, then SIGKILL if the child has not exited within shutdown_timeout. A child that dies
 * of a signal while stopping (a sandbox kill in its exit path, a crash while draining) is said,
 * and makes obi's own status 1: it lost what it still held. */
static int launcher_stop_child(pid_t pid, const char *name, uint64_t timeout_ns)
{
	uint64_t waited = 0;
	pid_t got;
	int ws = 0;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	while ((got = waitpid(pid, &ws, WNOHANG)) == 0) {
		if (waited >= timeout_ns) {
			log_warnx("%s (pid %d) did not stop within shutdown_timeout: killing it",
				  name, pid);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 1;
		}
		usleep(10000);
		waited += 10000000ULL;
	}
	if (got != pid || (WIFEXITED(ws) && WEXITSTATUS(ws) == 0))
		return 0;
	log_errorx("%s exited (%s %d) while stopping", name, WIFEXITED(ws) ? "status" : "signal",
		   WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
	return 1;
}

/* Reaps children; returns true when the probe is gone (which ends obi, status in *status). */
static bool launcher_reap(struct launcher *l, int *status)
{
	pid_t pid;
	int ws;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		if (pid != l->probe && pid != l->enricher)
			continue;
		log_errorx("%s exited (%s %d)", pid == l->probe ? "obi-probe" : "obi-enricher",
			   WIFEXITED(ws) ? "status" : "signal",
			   WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
		if (pid == l->probe) {
			*status = WIFEXITED(ws) && WEXITSTATUS(ws) ? WEXITSTATUS(ws) : 1;
			l->probe = 0;
			return true;
		}
		/* The enricher holds nothing the probe cannot resend: it always comes back. */
		l->enricher = 0;
		launcher_schedule_restart(l, monotime_ns());
	}
	return false;
}

static int launcher_poll_timeout(const struct launcher *l)
{
	uint64_t now = monotime_ns();

	if (!l->restart_at_ns)
		return -1;
	return l->restart_at_ns <= now ? 0 : (int)((l->restart_at_ns - now) / 1000000ULL + 1);
}

/* Until a signal or the probe's exit; returns the exit status. */
static int launcher_loop(struct launcher *l, int sfd)
{
	int status = 1;

	for (;;) {
		struct pollfd pfd = {.fd = sfd, .events = POLLIN};
		struct signalfd_siginfo si;

		if (poll(&pfd, 1, launcher_poll_timeout(l)) < 0 && errno != EINTR)
			return 1;
		if (l->restart_at_ns && monotime_ns() >= l->restart_at_ns) {
			l->restart_at_ns = 0;
			if (launcher_start_enricher(l) == 0)
				log_info("restarted obi-enricher (pid %d)", l->enricher);
			else if (!l->enricher)
				launcher_schedule_restart(l, monotime_ns());
		}
		if (!(pfd.revents & POLLIN) || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD) {
			log_info("signal %u: stopping", si.ssi_signo);
			return 0;
		}
		if (launcher_reap(l, &status))
			return status;
	}
}

static int launcher_locate(struct launcher *l)
{
	ssize_t n = readlink("/proc/self/exe", l->dir, sizeof(l->dir) - 1);
	char *slash;

	if (n <= 0) {
		log_error(errno, "locating obi");
		return -1;
	}
	l->dir[n] = '\0';
	slash = strrchr(l->dir, '/');
	if (slash)
		*slash = '\0';
	return 0;
}

static int launcher_run(struct launcher *l)
{
	sigset_t mask;
	int sfd, sv[2], status = 1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &l->oldmask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		log_error(errno, "signalfd / socketpair");
		return 1;
	}
	l->ctl_fd = sv[0];
	l->probe = launcher_spawn(l, "obi-probe", sv[1], OBI_LAUNCH_ENV_CTL, false);
	close(sv[1]);
	if (l->probe < 0 || launcher_start_enricher(l)) {
		log_error(errno, "starting obi-probe and obi-enricher");
		if (l->probe < 0)
			l->probe = 0;
	} else {
		status = launcher_loop(l, sfd);
	}
	/* The probe first, so that its last records still reach the enricher. */
	if (launcher_stop_child(l->probe, "obi-probe", l->cfg.shutdown_timeout_ns) && !status)
		status = 1;
	if (l->enricher > 0)
		usleep(200000);
	if (launcher_stop_child(l->enricher, "obi-enricher", l->cfg.shutdown_timeout_ns) && !status)
		status = 1;
	close(l->ctl_fd);
	close(sfd);
	return status;
}

int main(int argc, char **argv, char **envp)
{
	struct launcher l = {.argv = argv, .ctl_fd = -1};
	enum config_action action;
	int rc, status = 0;

	log_init("obi", LOG_LVL_INFO);
	/* Validate everything once, for both processes, before starting either. */
	rc = config_load(&l.cfg, argc, argv, envp, CONFIG_PROC_ALL, &action);
	if (rc)
		return rc;
	if (action == CONFIG_ACTION_DUMP)
		config_dump(&l.cfg, stdout);
	if (action == CONFIG_ACTION_DOCS)
		config_write_docs(stdout);
	if (action == CONFIG_ACTION_RUN) {
		log_set_level((enum log_level)l.cfg.log_level);
		l.self = getpid();
		status = launcher_locate(&l) ? 1 : launcher_run(&l);
	}
	config_free(&l.cfg);
	return status;
}
