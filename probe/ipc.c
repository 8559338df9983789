/* ipc.c: the probe's end of the enricher socket: accept, permission table, bounded send queue. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"

struct probe_outq_msg {
	struct probe_outq_msg *next;
	size_t len;
	uint32_t nrec;
	uint8_t data[];
};

/* Control messages may exceed the queue limit by this much: they are few and must not be lost. */
#define PROBE_CTL_SLACK (1024 * 1024)

/*
 * What the enricher may send, and when. The probe accepts nothing that could widen what it
 * captures: today only the hello. Anything else closes the connection.
 */
enum probe_permit { PERMIT_ONCE_BEFORE_READY = 1 };

struct probe_msg_rule {
	uint32_t type;
	unsigned permit;
	void (*handle)(struct probe *p, const struct wire_msg *m);
};

static void probe_ipc_on_hello(struct probe *p, const struct wire_msg *m);

static const struct probe_msg_rule probe_msg_table[] = {
    {OBI_MSG_HELLO, PERMIT_ONCE_BEFORE_READY, probe_ipc_on_hello},
};

static int probe_ipc_mkdirs(const char *path)
{
	char tmp[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *dir;

	snprintf(tmp, sizeof(tmp), "%s", path);
	dir = dirname(tmp);
	for (char *s = dir + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int probe_ipc_listen(struct probe *p)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = p->cfg.socket_path;
	int fd = -1, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_errorx("socket path too long: %s", path);
		return -1;
	}
	err = probe_ipc_mkdirs(path);
	if (err) {
		log_error(-err, "creating the directory of %s", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error(errno, "socket");
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		log_error(errno, "binding %s", path);
		close(fd);
		return -1;
	}
	/*
	 * Only the enricher's user may connect. Where the probe cannot chown (hardened pods keep no
	 * CAP_CHOWN), the socket is world-connectable inside its private directory and the peer's
	 * credentials are checked on accept instead.
	 */
	if (chown(path, p->cfg.enricher_uid, p->cfg.enricher_gid) == 0)
		chmod(path, 0600);
	else
		chmod(path, 0666);
	p->listen_fd = fd;
	log_info("waiting for obi-enricher on %s", path);
	return 0;
}

static void probe_ipc_queue_free(struct probe *p)
{
	struct probe_outq_msg *m = p->q.head, *next;

	for (; m; m = next) {
		next = m->next;
		free(m);
	}
	p->q.head = p->q.tail = NULL;
	p->q.bytes = 0;
}

void probe_ipc_close(struct probe *p, const char *why)
{
	if (p->conn_fd < 0)
		return;
	log_info("enricher connection closed: %s", why);
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->conn_fd, NULL);
	close(p->conn_fd);
	p->conn_fd = -1;
	p->conn_ready = false;
	p->conn_pid = 0;
	p->batch.len = 0;
	p->batch.nrec = 0;
	probe_ipc_queue_free(p);
}

static void probe_ipc_want_write(struct probe *p, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.fd = p->conn_fd};

	epoll_ctl(p->epfd, EPOLL_CTL_MOD, p->conn_fd, &ev);
}

void probe_ipc_accept(struct probe *p)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct epoll_event ev = {.events = EPOLLIN};
	struct obi_wire_hello h;
	int fd = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
	    (cred.uid != p->cfg.enricher_uid && cred.uid != 0 && cred.uid != geteuid())) {
		log_warnx("refusing a connection from uid %u (expected obi-enricher as uid %u)",
			  cred.uid, p->cfg.enricher_uid);
		close(fd);
		return;
	}
	if (p->conn_fd >= 0) {
		log_warnx("refusing a second enricher connection (pid %d)", cred.pid);
		close(fd);
		return;
	}
	p->conn_fd = fd;
	p->conn_pid = cred.pid;
	p->conn_ready = false;
	ev.data.fd = fd;
	epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev);
	/* The enricher itself is never instrumented, even if it matches the criteria. */
	probe_discover_forget(p, (uint32_t)cred.pid);
	wire_hello_init(&h, OBI_WIRE_ROLE_PROBE, wire_mono_to_unix_ns());
	probe_ipc_queue(p, OBI_MSG_HELLO, &h, sizeof(h));
	log_info("enricher connected (pid %d, uid %u)", cred.pid, cred.uid);
}

static void probe_ipc_on_hello(struct probe *p, const struct wire_msg *m)
{
	struct obi_wire_hello h;

	if (wire_get_hello(m, &h) || h.role != OBI_WIRE_ROLE_ENRICHER ||
	    h.wire_version != OBI_WIRE_VERSION || h.abi_version != OBI_ABI_VERSION) {
		probe_ipc_close(p, "bad hello (version mismatch?)");
		return;
	}
	p->conn_ready = true;
	/* A (re)connected enricher gets the whole process table first. */
	for (uint32_t w = 0; w < PROBE_PID_LIMIT / 64; w++) {
		uint64_t bits = p->selected[w];

		while (bits) {
			int b = __builtin_ctzll(bits);

			bits &= bits - 1;
			probe_ipc_send_proc(p, w * 64 + (uint32_t)b);
		}
	}
}

void probe_ipc_on_readable(struct probe *p)
{
	static const size_t ntable = sizeof(probe_msg_table) / sizeof(probe_msg_table[0]);
	struct wire_msg m;
	uint8_t rbuf[OBI_WIRE_MAX_MSG];
	int rc;

	for (;;) {
		const struct probe_msg_rule *rule = NULL;

		rc = wire_recv(p->conn_fd, rbuf, OBI_WIRE_ROLE_ENRICHER, &m);
		if (rc == -EAGAIN || rc == -EINTR)
			return;
		if (rc == 0) {
			probe_ipc_close(p, "enricher went away");
			return;
		}
		if (rc < 0) {
			log_warnx("protocol error from the enricher: %s",
				  wire_is_proto_err(rc) ? wire_strerror(rc) : strerror(-rc));
			probe_ipc_close(p, "protocol error");
			return;
		}
		for (size_t i = 0; i < ntable; i++)
			if (probe_msg_table[i].type == m.type)
				rule = &probe_msg_table[i];
		if (!rule || ((rule->permit & PERMIT_ONCE_BEFORE_READY) && p->conn_ready)) {
			log_warnx("the enricher sent message type %u, which it may not send now",
				  m.type);
			probe_ipc_close(p, "unpermitted message");
			return;
		}
		rule->handle(p, &m);
		if (p->conn_fd < 0)
			return;
	}
}

void probe_ipc_on_writable(struct probe *p)
{
	struct probe_outq_msg *m;

	while ((m = p->q.head)) {
		ssize_t n = send(p->conn_fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			probe_ipc_want_write(p, true);
			return;
		}
		if (n < 0) {
			probe_ipc_close(p, strerror(errno));
			return;
		}
		p->q.head = m->next;
		if (!p->q.head)
			p->q.tail = NULL;
		p->q.bytes -= m->len;
		free(m);
	}
	probe_ipc_want_write(p, false);
}

static int probe_ipc_enqueue(struct probe *p, uint32_t type, const void *payload, size_t len,
			     uint32_t nrec)
{
	size_t total = sizeof(struct obi_wire_hdr) + len;
	size_t limit = p->q.limit + (type == OBI_MSG_RECORDS ? 0 : PROBE_CTL_SLACK);
	struct probe_outq_msg *m;
	bool was_empty = p->q.head == NULL;
	ssize_t enc;

	if (p->conn_fd < 0)
		return -ENOTCONN;
	if (p->q.bytes + total > limit) {
		p->q.dropped_msgs++;
		p->q.dropped_records += nrec;
		return -ENOBUFS;
	}
	m = malloc(sizeof(*m) + total);
	if (!m)
		return -ENOMEM;
	enc = wire_encode(m->data, total, type, p->seq++, payload, len);
	if (enc < 0) {
		/* Callers build payloads within the limit; anything else is a bug, not traffic. */
		log_errorx("message type %u of %zu bytes does not fit the wire limit", type, len);
		free(m);
		return -EMSGSIZE;
	}
	m->next = NULL;
	m->nrec = nrec;
	m->len = (size_t)enc;
	if (p->q.tail)
		p->q.tail->next = m;
	else
		p->q.head = m;
	p->q.tail = m;
	p->q.bytes += total;
	/* Sending right away keeps latency low; the queue only holds what the socket refused. */
	if (was_empty)
		probe_ipc_on_writable(p);
	return 0;
}

int probe_ipc_queue(struct probe *p, uint32_t type, const void *payload, size_t len)
{
	return probe_ipc_enqueue(p, type, payload, len, 0);
}

void probe_ipc_flush_batch(struct probe *p)
{
	if (!p->batch.nrec)
		return;
	if (p->conn_ready)
		probe_ipc_enqueue(p, OBI_MSG_RECORDS, p->batch.buf, p->batch.len, p->batch.nrec);
	p->batch.len = 0;
	p->batch.nrec = 0;
}

/*
 * Records are gathered per OBI's ebpf.batch_length / ebpf.batch_timeout. Both are checked on
 * each drain tick (every ebpf.drain_interval, 10 ms) rather than per record: a batch leaves when
 * it holds batch_length records or its oldest has waited batch_timeout, and at once when it
 * reaches 64 KiB. Under load batches stay large, which keeps the enricher's wake-ups (and their
 * cost to the instrumented applications on small nodes) low; measured in docs/benchmarks.md.
 */
void probe_ipc_add_record(struct probe *p, const void *rec, size_t len, uint64_t now_ns)
{
	if (!p->conn_ready) {
		p->q.dropped_records++;
		return;
	}
	if (p->batch.len + len > OBI_WIRE_MAX_MSG - sizeof(struct obi_wire_hdr))
		probe_ipc_flush_batch(p);
	if (!p->batch.nrec)
		p->batch.first_ns = now_ns;
	memcpy(p->batch.buf + p->batch.len, rec, len);
	p->batch.len += len;
	p->batch.nrec++;
}

void probe_ipc_flush_due(struct probe *p, uint64_t now_ns)
{
	if (p->batch.nrec && (p->batch.nrec >= p->cfg.batch_length ||
			      now_ns - p->batch.first_ns >= p->cfg.batch_timeout_ns))
		probe_ipc_flush_batch(p);
}

/* From the facts kept at selection: nothing is read from /proc on this path. */
int probe_ipc_send_proc(struct probe *p, uint32_t pid)
{
	size_t n;
	const uint8_t *buf = probe_discover_facts(p, pid, &n);

	if (!buf) {
		log_debug("pid %u: no facts yet", pid);
		return -1;
	}
	return probe_ipc_queue(p, OBI_MSG_PROC_ADD, buf, n);
}

void probe_ipc_send_stats(struct probe *p)
{
	struct {
		struct obi_wire_stats h;
		uint64_t v[OBI_ST__MAX + OBI_PST__MAX];
	} s = {.h.n = OBI_ST__MAX + OBI_PST__MAX};

	if (!p->conn_ready || probe_lifecycle_read_stats(p, s.v))
		return;
	s.v[OBI_ST__MAX + OBI_PST_QUEUE_DROPPED_RECORDS] = p->q.dropped_records;
	s.v[OBI_ST__MAX + OBI_PST_BAD_RECORDS] = p->bad_records;
	s.v[OBI_ST__MAX + OBI_PST_SELECTED] = p->nselected;
	probe_ipc_queue(p, OBI_MSG_STATS, &s, sizeof(s));
}
