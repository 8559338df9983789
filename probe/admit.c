/* admit.c: who may become obi-probe's enricher: the launcher's socketpair ends (single host),
 * or connections on the listening socket from the configured enricher uid (two containers),
 * each with a hello deadline; a silent enricher can be replaced. */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "launch.h"
#include "monotime.h"
#include "probe.h"
#include "probe_msg.h"

/* The probe loop also drains the rings: a connect flood gets this many accepts per event. */
#define PROBE_ACCEPT_BURST 8

#define probe_admit_log(p, ...)                                                                    \
	log_ratelimited(&(p)->accept_rl, monotime_ns(), LOG_LVL_WARN, __VA_ARGS__)

static void probe_admit_drop(struct probe *p, struct probe_peer *peer)
{
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, peer->fd, NULL);
	close(peer->fd);
	peer->fd = -1;
}

/* The connected enricher is silent when unread data has sat in its socket for PROBE_SILENT_NS
 * (it keeps the slot without reading); an enricher with nothing to read is not. */
static bool probe_admit_conn_silent(struct probe *p, uint64_t now_ns)
{
	return p->conn_fd >= 0 && now_ns - p->conn_progress_ns >= PROBE_SILENT_NS;
}

/* A valid hello: this peer becomes the enricher if the slot is free, silent, or the launcher
 * sent it (the launcher only hands over an end when it started a new enricher). */
static void probe_admit_promote(struct probe *p, struct probe_peer *peer)
{
	int fd = peer->fd;

	if (p->conn_fd >= 0 && !peer->from_launcher && !probe_admit_conn_silent(p, monotime_ns())) {
		probe_admit_log(p,
				"refusing pid %d (uid %u): the connected enricher (pid %d) is "
				"reading",
				peer->pid, peer->uid, p->conn_pid);
		probe_admit_drop(p, peer);
		return;
	}
	if (p->conn_fd >= 0)
		probe_ipc_close(p, peer->from_launcher
				       ? "replaced by a new enricher from the launcher"
				       : "silent: replaced by a new enricher");
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
	peer->fd = -1;
	probe_ipc_adopt(p, fd, peer->pid, peer->uid, peer->from_launcher);
}

/* Reads what the peer sent so far: its hello promotes it, anything else drops it. */
static void probe_admit_on_peer(struct probe *p, struct probe_peer *peer)
{
	uint8_t buf[sizeof(struct obi_wire_hdr) + sizeof(struct obi_wire_hello)];
	struct obi_wire_hello h;
	struct wire_msg m;
	enum probe_msg_verdict v;
	ssize_t n = recv(peer->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		probe_admit_log(p, "pid %d (uid %u) left before its hello", peer->pid, peer->uid);
		probe_admit_drop(p, peer);
		return;
	}
	/* MSG_TRUNC returns the datagram's real length: anything longer is not a hello. */
	v = (size_t)n > sizeof(buf) ? PROBE_MSG_MALFORMED
				    : probe_msg_check(buf, (size_t)n, false, &h, &m);
	if (v != PROBE_MSG_HELLO) {
		probe_admit_log(p, "dropping pid %d (uid %u): it sent %s", peer->pid, peer->uid,
				probe_msg_verdict_str(v));
		probe_admit_drop(p, peer);
		return;
	}
	probe_admit_promote(p, peer);
}

/* A full table makes room by dropping the oldest waiter: a flood cannot keep a slot. */
static struct probe_peer *probe_admit_slot(struct probe *p)
{
	struct probe_peer *oldest = NULL;

	for (int i = 0; i < PROBE_PENDING_MAX; i++) {
		if (p->pending[i].fd < 0)
			return &p->pending[i];
		if (!oldest || p->pending[i].since_ns < oldest->since_ns)
			oldest = &p->pending[i];
	}
	probe_admit_log(p, "too many connections without hello: dropping pid %d", oldest->pid);
	probe_admit_drop(p, oldest);
	return oldest;
}

/* Greets the peer, then waits for its hello (already queued, for a real enricher). */
static void probe_admit_add(struct probe *p, int fd, pid_t pid, uid_t uid, bool from_launcher)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	struct probe_peer *peer = probe_admit_slot(p);
	struct obi_wire_hello h;
	uint64_t now = monotime_ns();

	*peer = (struct probe_peer){.fd = fd,
				    .pid = pid,
				    .uid = uid,
				    .from_launcher = from_launcher,
				    .since_ns = now,
				    .deadline_ns = now + (from_launcher ? PROBE_LAUNCHED_HELLO_NS
									: PROBE_HELLO_TIMEOUT_NS)};
	wire_hello_init(&h, OBI_WIRE_ROLE_PROBE, wire_mono_to_unix_ns());
	if (wire_send(fd, OBI_MSG_HELLO, 0, &h, sizeof(h)) ||
	    epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		probe_admit_drop(p, peer);
		return;
	}
	probe_admit_on_peer(p, peer);
}

/* Two containers: only the configured enricher uid is admitted, whoever else can connect. */
static void probe_admit_accept(struct probe *p)
{
	for (int i = 0; i < PROBE_ACCEPT_BURST; i++) {
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		int fd = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
		    cred.uid != p->cfg.enricher_uid) {
			probe_admit_log(p,
					"refusing a connection from uid %u (only obi-enricher, "
					"uid %u, may connect)",
					cred.uid, p->cfg.enricher_uid);
			close(fd);
			continue;
		}
		probe_admit_add(p, fd, cred.pid, cred.uid, false);
	}
}

/* Is fd a socket the launcher could have made for an enricher (AF_UNIX, SEQPACKET)? */
static bool probe_admit_fd_ok(int fd)
{
	int type = 0, domain = 0;
	socklen_t len = sizeof(int);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET &&
	       getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_UNIX;
}

/* One message from the launcher: exactly one descriptor, the new enricher's peer. */
static void probe_admit_on_control(struct probe *p)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct obi_launch_msg lm;
	struct iovec iov = {&lm, sizeof(lm)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cm.buf,
			    .msg_controllen = sizeof(cm.buf)};
	struct cmsghdr *c;
	int fd = -1;
	ssize_t n = recvmsg(p->ctl_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_info("the launcher is gone: stopping");
		p->stop = true;
		return;
	}
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)) && fd < 0)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (fd < 0 || n != sizeof(lm) || (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) ||
	    memcmp(lm.magic, OBI_LAUNCH_MAGIC, 4) != 0 || lm.kind != OBI_LAUNCH_NEW_ENRICHER ||
	    lm.pad || !probe_admit_fd_ok(fd)) {
		probe_admit_log(p, "ignoring a malformed message from the launcher");
		if (fd >= 0)
			close(fd);
		return;
	}
	probe_admit_add(p, fd, (pid_t)lm.enricher_pid, 0, true);
}

int probe_admit_init(struct probe *p)
{
	int fd = launch_inherited_fd(OBI_LAUNCH_ENV_CTL);

	for (int i = 0; i < PROBE_PENDING_MAX; i++)
		p->pending[i].fd = -1;
	p->accept_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000000000ULL, 5);
	p->conn_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000000000ULL, 5);
	if (fd == -1)
		return -1;
	if (fd >= 0) {
		/* Single host: every enricher end comes from the launcher; no socket file. */
		p->ctl_fd = fd;
		p->launcher_pid = getppid();
		log_info("single host: obi-enricher connects over a socketpair from the launcher");
		return 0;
	}
	return probe_sockdir_listen(p);
}

int probe_admit_watch_launcher(struct probe *p)
{
	if (p->ctl_fd < 0)
		return 0;
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != p->launcher_pid) {
		log_errorx("the launcher is gone: stopping");
		return -1;
	}
	return 0;
}

bool probe_admit_dispatch(struct probe *p, int fd, uint32_t events)
{
	if (fd == p->listen_fd) {
		probe_admit_accept(p);
		return true;
	}
	if (fd == p->ctl_fd) {
		probe_admit_on_control(p);
		return true;
	}
	if (fd == p->conn_fd) {
		if (events & EPOLLOUT)
			probe_ipc_on_writable(p);
		if (p->conn_fd >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
			probe_ipc_on_readable(p);
		return true;
	}
	for (int i = 0; i < PROBE_PENDING_MAX; i++) {
		if (p->pending[i].fd == fd) {
			probe_admit_on_peer(p, &p->pending[i]);
			return true;
		}
	}
	return false;
}

void probe_admit_tick(struct probe *p, uint64_t now_ns)
{
	int unread = 0;

	for (int i = 0; i < PROBE_PENDING_MAX; i++) {
		struct probe_peer *peer = &p->pending[i];

		if (peer->fd >= 0 && now_ns >= peer->deadline_ns) {
			probe_admit_log(p, "dropping pid %d (uid %u): no hello in time", peer->pid,
					peer->uid);
			probe_admit_drop(p, peer);
		}
	}
	/* SIOCOUTQ: bytes sent to the enricher that it has not read yet. */
	if (p->conn_fd >= 0 && ioctl(p->conn_fd, SIOCOUTQ, &unread) == 0 && unread == 0 &&
	    !p->q.head)
		p->conn_progress_ns = now_ns;
}

void probe_admit_free(struct probe *p)
{
	for (int i = 0; i < PROBE_PENDING_MAX; i++)
		if (p->pending[i].fd >= 0)
			probe_admit_drop(p, &p->pending[i]);
	if (p->ctl_fd >= 0)
		close(p->ctl_fd);
	p->ctl_fd = -1;
	if (p->listen_fd >= 0)
		close(p->listen_fd);
	p->listen_fd = -1;
	probe_sockdir_unlink(p);
}
