/* connect.c: obi-enricher's connection to obi-probe: the launcher's socketpair end on a single
 * host, or the socket path through a directory checked not to be a trap, and in both cases
 * the probe's credentials checked before anything it sends is read. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "enricher.h"
#include "launch.h"
#include "sockdir.h"

void enricher_disconnect(struct enricher *e, const char *why)
{
	if (e->fd < 0)
		return;
	log_info("probe connection closed: %s", why);
	epoll_ctl(e->epfd, EPOLL_CTL_DEL, e->fd, NULL);
	close(e->fd);
	e->fd = -1;
	e->hello_ok = false;
	/* The probe sends its whole table again on reconnect. */
	proc_table_clear(&e->procs);
}

int enricher_conn_init(struct enricher *e)
{
	int fd = launch_inherited_fd(OBI_LAUNCH_ENV_PEER);

	e->inherited_fd = -1;
	e->conn_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10ULL * 1000000000ULL, 5);
	if (fd == -1)
		return -1;
	if (fd >= 0) {
		e->inherited_fd = fd;
		e->single_host = true;
		e->launcher_pid = getppid();
	}
	return 0;
}

/*
 * The directory the socket is in (sockdir.h): DIR, or DIR/obi-probe.d when DIR is a shared
 * volume. Each step is opened with O_NOFOLLOW and must be changeable only by root or the
 * probe, so that the name connect() resolves in it cannot be swapped for a symlink.
 */
static int enricher_open_sockdir(struct enricher *e, const char *dir, const char **why)
{
	struct stat st;
	int fd = openat(AT_FDCWD, dir, ENRICHER_DIR_OPEN_FLAGS), sub;

	*why = NULL;
	if (fd < 0 || fstat(fd, &st))
		goto fail;
	if (sockdir_is_shared(&st)) {
		sub = openat(fd, SOCKDIR_PRIVATE, ENRICHER_DIR_OPEN_FLAGS);
		close(fd);
		fd = sub;
		if (fd < 0 || fstat(fd, &st))
			goto fail;
	}
	*why = sockdir_untrusted(&st, e->cfg.probe_uid, e->cfg.probe_uid);
	if (*why) {
		close(fd);
		return -1;
	}
	return fd;
fail:
	*why = strerror(errno);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Only root (the launcher, or a root probe) or the configured probe uid may feed us records. */
static bool enricher_peer_ok(struct enricher *e, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	if (cred.uid == 0 || cred.uid == e->cfg.probe_uid)
		return true;
	log_ratelimited(&e->conn_rl, monotime_ns(), LOG_LVL_WARN,
			"%s is served by uid %u (pid %d), not obi-probe (uid 0 or %u): "
			"disconnecting",
			e->cfg.socket_path, cred.uid, cred.pid, e->cfg.probe_uid);
	return false;
}

/* One attempt at the socket path; the socket or -1 (the reason logged, rate-limited). */
static int enricher_try_path(struct enricher *e)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], name[SOCKDIR_NAME_MAX + 1];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *why;
	int dfd, fd = -1;

	if (sockdir_split(e->cfg.socket_path, dir, sizeof(dir), name, sizeof(name)))
		return -1;
	dfd = enricher_open_sockdir(e, dir, &why);
	if (dfd < 0) {
		log_ratelimited(&e->conn_rl, monotime_ns(), LOG_LVL_INFO,
				"waiting for obi-probe's socket directory %s: %s", dir, why);
		return -1;
	}
	if (sockdir_fd_path(sa.sun_path, sizeof(sa.sun_path), dfd, name) == 0)
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		log_ratelimited(&e->conn_rl, monotime_ns(), LOG_LVL_INFO,
				"waiting for obi-probe on %s (%s)", e->cfg.socket_path,
				strerror(errno));
		close(fd);
		fd = -1;
	}
	close(dfd);
	if (fd >= 0 && !enricher_peer_ok(e, fd)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Sleeps delay_ms unless a stop signal comes first (the signalfd is polled, not blocked on). */
static void enricher_backoff(struct enricher *e, long delay_ms)
{
	struct signalfd_siginfo si;

	for (long slept = 0; slept < delay_ms && !e->stop; slept += 50) {
		if (read(e->sigfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGPIPE) {
			e->stop = true;
			break;
		}
		nanosleep(&(struct timespec){.tv_nsec = 50 * 1000000L}, NULL);
	}
}

int enricher_connect(struct enricher *e)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct obi_wire_hello h;
	long delay_ms = 50;
	int fd = -1;

	if (e->single_host) {
		/* The launcher starts a new enricher for a new socketpair: none to reconnect. */
		fd = e->inherited_fd;
		e->inherited_fd = -1;
		if (fd < 0)
			return -1;
	}
	while (fd < 0 && !e->stop) {
		fd = enricher_try_path(e);
		if (fd < 0) {
			enricher_backoff(e, delay_ms);
			delay_ms = delay_ms * 2 > 1000 ? 1000 : delay_ms * 2;
		}
	}
	if (fd < 0)
		return -1;
	e->fd = fd;
	ev.data.fd = fd;
	epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev);
	wire_hello_init(&h, OBI_WIRE_ROLE_ENRICHER, 0);
	if (wire_send(fd, OBI_MSG_HELLO, 0, &h, sizeof(h))) {
		enricher_disconnect(e, "sending hello failed");
		return 0;
	}
	log_info("connected to obi-probe %s",
		 e->single_host ? "(socketpair from the launcher)" : e->cfg.socket_path);
	return 0;
}
