/* ipc.c: obi-probe's enricher connection once admitted: process table, record batches, the
 * bounded send queue and the loss counters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "monotime.h"
#include "probe.h"
#include "probe_msg.h"

struct probe_outq_msg {
	struct probe_outq_msg *next;
	size_t len;
	uint32_t nrec;
	uint8_t data[];
};

/* Control messages may exceed the queue limit by this much: they are few and must not be lost. */
#define PROBE_CTL_SLACK (1024 * 1024)

static void probe_ipc_queue_free(struct probe *p)
{
	struct probe_outq_msg *m = p->q.head, *next;

	for (; m; m = next) {
		next = m->next;
		free(m);
	}
	p->q.head = p->q.tail = NULL;
	p->q.bytes = 0;
	p->q.nrec = 0;
}

void probe_ipc_close(struct probe *p, const char *why)
{
	if (p->conn_fd < 0)
		return;
	/* What the enricher will never get is counted, under its own name. */
	p->lost.disconnect += p->batch.nrec + p->q.nrec;
	/* A same-uid client could connect and leave in a loop: bounded, unless the launcher's. */
	if (p->conn_from_launcher)
		log_info("enricher connection closed: %s (%llu records discarded)", why,
			 (unsigned long long)(p->batch.nrec + p->q.nrec));
	else
		log_ratelimited(&p->conn_rl, monotime_ns(), LOG_LVL_INFO,
				"enricher connection closed: %s (%llu records discarded)", why,
				(unsigned long long)(p->batch.nrec + p->q.nrec));
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->conn_fd, NULL);
	close(p->conn_fd);
	p->conn_fd = -1;
	p->conn_ready = false;
	p->conn_pid = 0;
	probe_discover_pod_connected(p, false);
	p->batch.len = 0;
	p->batch.nrec = 0;
	probe_ipc_queue_free(p);
}

static void probe_ipc_want_write(struct probe *p, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.fd = p->conn_fd};

	epoll_ctl(p->epfd, EPOLL_CTL_MOD, p->conn_fd, &ev);
}

void probe_ipc_adopt(struct probe *p, int fd, pid_t pid, uid_t uid, bool from_launcher)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	p->conn_fd = fd;
	p->conn_pid = pid;
	p->conn_uid = uid;
	p->conn_from_launcher = from_launcher;
	p->conn_ready = true;
	p->conn_progress_ns = monotime_ns();
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		probe_ipc_close(p, strerror(errno));
		return;
	}
	/* The enricher itself is never instrumented, even if it matches the criteria. */
	if (pid > 0)
		probe_discover_forget(p, (uint32_t)pid);
	if (from_launcher)
		log_info("enricher connected (pid %d, uid %u, socketpair from the launcher)", pid,
			 uid);
	else
		log_ratelimited(&p->conn_rl, monotime_ns(), LOG_LVL_INFO,
				"enricher connected (pid %d, uid %u)", pid, uid);
	probe_discover_pod_connected(p, true);
	/* A (re)connected enricher gets the whole process table first. */
	for (uint32_t w = 0; w < OBI_PID_LIMIT / 64; w++) {
		uint64_t bits = p->selected[w];

		while (bits) {
			int b = __builtin_ctzll(bits);

			bits &= bits - 1;
			probe_ipc_send_proc(p, w * 64 + (uint32_t)b);
		}
	}
}

/* One datagram from a connected enricher: POD_INFO answers (select_pod.c) and nothing else. */
static void probe_ipc_on_datagram(struct probe *p, const uint8_t *buf, ssize_t n)
{
	struct obi_wire_hello h;
	struct wire_msg m;
	enum probe_msg_verdict v = (size_t)n > OBI_WIRE_MAX_MSG
				       ? PROBE_MSG_MALFORMED
				       : probe_msg_check(buf, (size_t)n, true, &h, &m);

	if (v == PROBE_MSG_POD_INFO) {
		/* Bad contents are dropped and counted: the answers that were fine still count. */
		if (probe_discover_pod_info(p, &m))
			log_ratelimited(&p->disc.rl, monotime_ns(), LOG_LVL_WARN,
					"dropping a malformed pod facts message from the enricher");
		return;
	}
	log_warnx("the enricher sent %s", probe_msg_verdict_str(v));
	probe_ipc_close(p, "unpermitted message");
}

/* The main loop is single-threaded: one receive buffer of the wire's maximum serves it. */
void probe_ipc_on_readable(struct probe *p)
{
	static uint8_t buf[OBI_WIRE_MAX_MSG];

	for (int i = 0; i < 64 && p->conn_fd >= 0; i++) {
		ssize_t n = recv(p->conn_fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			probe_ipc_close(p, n == 0 ? "enricher went away" : strerror(errno));
			return;
		}
		probe_ipc_on_datagram(p, buf, n);
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
		p->q.nrec -= m->nrec;
		p->lost.sent += m->nrec;
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

	if (p->conn_fd < 0 || !p->conn_ready) {
		p->lost.no_enricher += nrec;
		return -ENOTCONN;
	}
	m = p->q.bytes + total > limit ? NULL : malloc(sizeof(*m) + total);
	if (!m) {
		/* Queue full (or no memory, which is the same thing to the records). */
		p->q.dropped_msgs++;
		p->q.dropped_records += nrec;
		return -ENOBUFS;
	}
	enc = wire_encode(m->data, total, type, p->seq++, payload, len);
	if (enc < 0) {
		/* Callers build payloads within the limit; anything else is a bug, not traffic. */
		log_errorx("message type %u of %zu bytes does not fit the wire limit", type, len);
		p->q.dropped_records += nrec;
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
	p->q.nrec += nrec;
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
	size_t len = p->batch.len;
	uint32_t nrec = p->batch.nrec;

	if (!nrec)
		return;
	/*
	 * Emptied before it is queued: a send that fails inside closes the connection, which
	 * counts the queue (this batch now in it) as discarded; the batch must not count twice.
	 * The enqueue counts its own other failures: queue full, or no enricher.
	 */
	p->batch.len = 0;
	p->batch.nrec = 0;
	probe_ipc_enqueue(p, OBI_MSG_RECORDS, p->batch.buf, len, nrec);
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
		p->lost.no_enricher++;
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
	/* The records queued before this message reach the enricher before it, or are counted as
	 * discarded together with it: either way the sums it sees add up. */
	s.v[OBI_ST__MAX + OBI_PST_DELIVERED_RECORDS] = p->lost.sent + p->q.nrec;
	s.v[OBI_ST__MAX + OBI_PST_NO_ENRICHER_RECORDS] = p->lost.no_enricher;
	s.v[OBI_ST__MAX + OBI_PST_DISCONNECT_RECORDS] = p->lost.disconnect;
	probe_ipc_queue(p, OBI_MSG_STATS, &s, sizeof(s));
}
