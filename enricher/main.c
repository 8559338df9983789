/* main.c: obi-enricher: privilege drop, sandbox, connection to obi-probe and the message loop. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "enricher.h"

/* Processes are kept this long after exit: their last records may still be in flight. */
#define ENRICHER_DEAD_GRACE_NS (10ULL * 1000000000ULL)

static void enricher_disconnect(struct enricher *e, const char *why)
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

/* Connects to the probe, retrying with back-off until it answers or a signal arrives. */
static int enricher_connect(struct enricher *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN};
	struct obi_wire_hello h;
	unsigned attempt = 0;
	long delay_ms = 50;
	int fd = -1;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", e->cfg.socket_path);
	while (!e->stop) {
		struct signalfd_siginfo si;

		fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			log_error(errno, "socket");
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		if (attempt++ % 20 == 0)
			log_info("waiting for obi-probe on %s (%s)", sa.sun_path, strerror(errno));
		close(fd);
		fd = -1;
		if (read(e->sigfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGPIPE) {
			e->stop = true;
			break;
		}
		nanosleep(&(struct timespec){.tv_sec = delay_ms / 1000,
					     .tv_nsec = (delay_ms % 1000) * 1000000L},
			  NULL);
		delay_ms = delay_ms * 2 > 1000 ? 1000 : delay_ms * 2;
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
	log_info("connected to obi-probe on %s", sa.sun_path);
	return 0;
}

/* Lost data must be visible: warn when a drop counter grows (rate-limited), keep the totals. */
static void enricher_on_stats(struct enricher *e, const uint8_t *vals, size_t n)
{
	static const int watched[] = {OBI_ST_RB_DROPS, OBI_ST_PROC_DROPS, OBI_ST_CONN_FULL,
				      OBI_ST__MAX + OBI_PST_QUEUE_DROPPED_RECORDS,
				      OBI_ST__MAX + OBI_PST_BAD_RECORDS};
	static const char *const names[] = {"kernel ring full", "process-event ring full",
					    "connection table full", "probe send queue full",
					    "malformed kernel records"};
	uint64_t now[OBI_ST__MAX + OBI_PST__MAX] = {0};

	memcpy(now, vals, n * 8);
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		int k = watched[i];

		if (now[k] > e->st.probe[k])
			log_ratelimited(&e->drop_rl, monotime_ns(), LOG_LVL_WARN,
					"%llu records lost: %s (total %llu)",
					(unsigned long long)(now[k] - e->st.probe[k]), names[i],
					(unsigned long long)now[k]);
	}
	memcpy(e->st.probe, now, sizeof(now));
}

static void enricher_on_message(struct enricher *e, const struct wire_msg *m)
{
	struct wire_proc_view pv;
	struct obi_wire_hello h;
	uint32_t pid;

	e->st.msgs++;
	if (!e->hello_ok && m->type != OBI_MSG_HELLO) {
		enricher_disconnect(e, "message before hello");
		return;
	}
	switch (m->type) {
	case OBI_MSG_HELLO:
		if (e->hello_ok || wire_get_hello(m, &h) || h.role != OBI_WIRE_ROLE_PROBE ||
		    h.wire_version != OBI_WIRE_VERSION || h.abi_version != OBI_ABI_VERSION) {
			enricher_disconnect(e, "bad or repeated hello (version mismatch?)");
			return;
		}
		e->hello_ok = true;
		e->mono_to_unix_ns = h.mono_to_unix_ns;
		break;
	case OBI_MSG_PROC_ADD:
		if (wire_get_proc(m, &pv) || proc_table_put(&e->procs, &pv, &e->cfg, e->hostname)) {
			e->st.bad_msgs++;
			log_ratelimited(&e->bad_rl, monotime_ns(), LOG_LVL_WARN,
					"dropping an invalid process description");
		}
		break;
	case OBI_MSG_PROC_DEL:
		if (wire_get_pid(m, &pid) == 0)
			proc_table_mark_dead(&e->procs, pid, monotime_ns());
		else
			e->st.bad_msgs++;
		break;
	case OBI_MSG_RECORDS:
		records_handle_batch(e, m->payload, m->len);
		break;
	case OBI_MSG_STATS: {
		struct obi_wire_stats sh;
		size_t n;

		memcpy(&sh, m->payload, sizeof(sh));
		n = sh.n < OBI_ST__MAX + OBI_PST__MAX ? sh.n : OBI_ST__MAX + OBI_PST__MAX;
		if (m->len != sizeof(sh) + (size_t)sh.n * 8) {
			e->st.bad_msgs++;
			break;
		}
		enricher_on_stats(e, m->payload + sizeof(sh), n);
		break;
	}
	default:
		e->st.bad_msgs++;
	}
}

static void enricher_on_readable(struct enricher *e)
{
	for (int i = 0; i < 64 && e->fd >= 0; i++) {
		struct wire_msg m;
		int rc = wire_recv(e->fd, e->rbuf, OBI_WIRE_ROLE_PROBE, &m);

		if (rc == -EAGAIN || rc == -EINTR)
			return;
		if (rc == 0) {
			enricher_disconnect(e, "probe went away");
			return;
		}
		if (rc < 0 && wire_is_proto_err(rc)) {
			/* One bad datagram is dropped; the framing of the next is intact. */
			e->st.bad_msgs++;
			log_ratelimited(&e->bad_rl, monotime_ns(), LOG_LVL_WARN,
					"dropping a bad message from the probe: %s",
					wire_strerror(rc));
			continue;
		}
		if (rc < 0) {
			enricher_disconnect(e, strerror(-rc));
			return;
		}
		enricher_on_message(e, &m);
	}
}

static int enricher_setup(struct enricher *e)
{
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	e->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (e->sigfd < 0 || e->epfd < 0 || e->timerfd < 0)
		return -1;
	timerfd_settime(e->timerfd, 0, &its, NULL);
	ev.data.fd = e->sigfd;
	epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->sigfd, &ev);
	ev.data.fd = e->timerfd;
	epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->timerfd, &ev);
	return 0;
}

static void enricher_run(struct enricher *e)
{
	struct epoll_event evs[8];

	while (!e->stop) {
		int n;

		if (e->fd < 0 && enricher_connect(e))
			break;
		n = epoll_wait(e->epfd, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == e->sigfd) {
				struct signalfd_siginfo si;

				if (read(e->sigfd, &si, sizeof(si)) == sizeof(si) &&
				    si.ssi_signo != SIGPIPE)
					e->stop = true;
			} else if (fd == e->timerfd) {
				uint64_t x;

				if (read(e->timerfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
					log_warn(errno, "timer");
				proc_table_reap(&e->procs, monotime_ns(), ENRICHER_DEAD_GRACE_NS);
				records_tick(e, monotime_ns());
			} else if (fd == e->fd) {
				enricher_on_readable(e);
				if (e->fd >= 0 && (evs[i].events & (EPOLLHUP | EPOLLERR)))
					enricher_disconnect(e, "hang-up");
			}
		}
	}
}

int main(int argc, char **argv, char **envp)
{
	struct enricher *e = calloc(1, sizeof(*e));
	enum config_action action;
	int rc = 1;

	if (!e)
		return 1;
	e->fd = e->epfd = e->sigfd = e->timerfd = -1;
	e->bad_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10ULL * 1000000000ULL, 10);
	e->drop_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10ULL * 1000000000ULL, 3);
	log_init("obi-enricher", LOG_LVL_INFO);
	rc = config_load(&e->cfg, argc, argv, envp, CONFIG_PROC_ENRICHER, &action);
	if (rc)
		goto out_free;
	rc = 0;
	if (action == CONFIG_ACTION_DUMP)
		config_dump(&e->cfg, stdout);
	if (action == CONFIG_ACTION_DOCS)
		config_write_docs(stdout);
	if (action != CONFIG_ACTION_RUN)
		goto out;
	log_set_level((enum log_level)e->cfg.log_level);
	prctl(PR_SET_NAME, "obi-enricher", 0, 0, 0);
	if (gethostname(e->hostname, sizeof(e->hostname) - 1))
		snprintf(e->hostname, sizeof(e->hostname), "localhost");
	proc_table_init(&e->procs);
	printer_init(&e->printer, e->cfg.trace_printer, stdout);
	rc = 1;
	if (enricher_setup(e) || enricher_confine(e))
		goto out;
	enricher_run(e);
	records_shutdown(e);
	log_info("stopping: %llu spans, %llu bad records, %llu bad messages, %llu non-HTTP; "
		 "kernel: %llu exchanges, %llu ring drops, %llu without payload; probe queue drops "
		 "%llu; %llu finals of snapshots, %llu cut, %llu pipelined (%llu approximated)",
		 (unsigned long long)e->st.spans, (unsigned long long)e->st.bad_records,
		 (unsigned long long)e->st.bad_msgs, (unsigned long long)e->st.not_http,
		 (unsigned long long)e->st.probe[OBI_ST_HTTP_EMITTED],
		 (unsigned long long)e->st.probe[OBI_ST_RB_DROPS],
		 (unsigned long long)e->st.probe[OBI_ST_NO_PAYLOAD],
		 (unsigned long long)e->st.probe[OBI_ST__MAX + OBI_PST_QUEUE_DROPPED_RECORDS],
		 (unsigned long long)e->st.snap_dups, (unsigned long long)e->st.resp_cut,
		 (unsigned long long)e->st.pipelined, (unsigned long long)e->st.pipelined_approx);
	rc = 0;
out:
	proc_table_clear(&e->procs);
	config_free(&e->cfg);
out_free:
	free(e);
	return rc;
}
