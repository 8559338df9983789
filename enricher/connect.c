/* connect.c: obi-enricher's connection to obi-probe, non-blocking with back-off timers: the
 * launcher's socketpair end on a single host, or the socket path through a directory checked not to
 * be a trap, and in both cases the probe's credentials checked before anything it sends is read. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "enricher.h"
#include "launch.h"
#include "sockdir.h"

void enricher_disconnect(struct enricher *e, const char *why)
{
	if (e->fd < 0)
		return;
	log_info("probe connection closed: %s", why);
	ev_io_stop(&e->loop, &e->probe_io);
	close(e->fd);
	e->fd = -1;
	e->hello_ok = false;
	/* The probe sends its whole table again on reconnect. */
	proc_table_clear(&e->procs);
	/* Reconnect from the loop (not from inside the callback that saw the hang-up). */
	if (!e->stop && ev_timer_start(&e->loop, &e->conn_timer, 0))
		evloop_stop(&e->loop);
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
		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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

#define ENRICHER_CONN_FIRST_MS 50
#define ENRICHER_CONN_MAX_MS 1000

static void enricher_connected(struct enricher *e, int fd)
{
	struct obi_wire_hello h;

	if (ev_io_start(&e->loop, &e->probe_io, fd, EPOLLIN, e->probe_io.cb, e)) {
		log_warnx("cannot watch the probe connection: out of memory");
		close(fd);
		evloop_stop(&e->loop);
		return;
	}
	e->fd = fd;
	e->conn_delay_ms = ENRICHER_CONN_FIRST_MS;
	wire_hello_init(&h, OBI_WIRE_ROLE_ENRICHER, 0);
	if (wire_send(fd, OBI_MSG_HELLO, 0, &h, sizeof(h))) {
		enricher_disconnect(e, "sending hello failed");
		return;
	}
	log_info("connected to obi-probe %s",
		 e->single_host ? "(socketpair from the launcher)" : e->cfg.socket_path);
}

/* One attempt; on failure the next one is a timer, the delay doubling up to 1 s. */
static void enricher_conn_attempt(struct evloop *l, struct ev_timer *t)
{
	struct enricher *e = t->data;
	int fd;

	if (e->fd >= 0 || e->stop)
		return;
	if (e->single_host) {
		/* The launcher starts a new enricher for a new socketpair: none to reconnect. */
		fd = e->inherited_fd;
		e->inherited_fd = -1;
		if (fd < 0) {
			e->stop = true;
			evloop_stop(l);
			return;
		}
		enricher_connected(e, fd);
		return;
	}
	fd = enricher_try_path(e);
	if (fd >= 0) {
		enricher_connected(e, fd);
		return;
	}
	if (ev_timer_start(l, t, (uint64_t)e->conn_delay_ms * 1000000ULL)) {
		log_warnx("cannot arm the reconnect timer: out of memory");
		evloop_stop(l);
		return;
	}
	e->conn_delay_ms = e->conn_delay_ms * 2 > ENRICHER_CONN_MAX_MS ? ENRICHER_CONN_MAX_MS
								       : e->conn_delay_ms * 2;
}

void enricher_connect_start(struct enricher *e)
{
	e->conn_timer.cb = enricher_conn_attempt;
	e->conn_timer.data = e;
	if (!e->conn_delay_ms)
		e->conn_delay_ms = ENRICHER_CONN_FIRST_MS;
	enricher_conn_attempt(&e->loop, &e->conn_timer);
}
