/* main.c: obi-enricher: privilege drop, sandbox, connection to obi-probe and the message loop. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "enricher.h"
#include "sandbox.h"
#include "span_filter.h"
#include "span_route.h"

/* Processes are kept this long after exit: their last records may still be in flight. */
#define ENRICHER_DEAD_GRACE_NS (10ULL * 1000000000ULL)

static void enricher_on_readable(struct enricher *e)
{
	for (int i = 0; i < 64 && e->fd >= 0; i++) {
		struct wire_msg m;
		const char *why;
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
		why = enricher_on_message(e, &m);
		if (why) {
			enricher_disconnect(e, why);
			return;
		}
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
	char errbuf[512];
	int rc = 1;

	/* First: before the environment (OTLP headers) is read, no peer of our uid may trace us. */
	sandbox_nodump();
	if (!e)
		return 1;
	e->fd = e->epfd = e->sigfd = e->timerfd = e->inherited_fd = -1;
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
	/* Span stages from the config: a value the config checks let through is still exit 2. */
	rc = 2;
	if (span_route_new(&e->cfg.routes, &e->routes, errbuf, sizeof(errbuf)) < 0 ||
	    span_filter_new(&e->cfg.filter.application, &e->filter, errbuf, sizeof(errbuf)) < 0) {
		fprintf(stderr, "config: %s\n", errbuf);
		goto out;
	}
	rc = 1;
	if (enricher_setup(e) || enricher_conn_init(e) || enricher_confine(e))
		goto out;
	enricher_run(e);
	records_shutdown(e);
	log_info("stopping: %llu spans, %llu bad records, %llu bad messages, %llu non-HTTP; "
		 "kernel: %llu exchanges, %llu ring drops, %llu without payload; probe: %llu "
		 "delivered, %llu send queue full, %llu no enricher connected, %llu discarded on "
		 "disconnect, %llu malformed; %llu finals of snapshots, %llu cut, %llu pipelined "
		 "(%llu approximated)",
		 (unsigned long long)e->st.spans, (unsigned long long)e->st.bad_records,
		 (unsigned long long)e->st.bad_msgs, (unsigned long long)e->st.not_http,
		 (unsigned long long)e->st.probe[OBI_ST_HTTP_EMITTED],
		 (unsigned long long)e->st.probe[OBI_ST_RB_DROPS],
		 (unsigned long long)e->st.probe[OBI_ST_NO_PAYLOAD],
		 (unsigned long long)e->st.probe[OBI_ST__MAX + OBI_PST_DELIVERED_RECORDS],
		 (unsigned long long)e->st.probe[OBI_ST__MAX + OBI_PST_QUEUE_DROPPED_RECORDS],
		 (unsigned long long)e->st.probe[OBI_ST__MAX + OBI_PST_NO_ENRICHER_RECORDS],
		 (unsigned long long)e->st.probe[OBI_ST__MAX + OBI_PST_DISCONNECT_RECORDS],
		 (unsigned long long)e->st.probe[OBI_ST__MAX + OBI_PST_BAD_RECORDS],
		 (unsigned long long)e->st.snap_dups, (unsigned long long)e->st.resp_cut,
		 (unsigned long long)e->st.pipelined, (unsigned long long)e->st.pipelined_approx);
	rc = 0;
out:
	span_route_free(e->routes);
	span_filter_free(e->filter);
	proc_table_clear(&e->procs);
	config_free(&e->cfg);
out_free:
	free(e);
	return rc;
}
