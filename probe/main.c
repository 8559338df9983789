/* main.c: obi-probe: start-up order, privilege drop, and the event loop (ring drain, socket,
 * timers). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "log.h"
#include "monotime.h"
#include "obi_abi.h"
#include "probe.h"
#include "sandbox.h"

static int probe_on_ring(void *ctx, void *data, size_t size)
{
	struct probe *p = ctx;
	struct obi_rec_hdr h;

	/* The kernel is trusted, but a layout bug must not become a crash downstream. */
	if (size < sizeof(h)) {
		p->bad_records++;
		return 0;
	}
	memcpy(&h, data, sizeof(h));
	if (h.size != size || h.abi_version != OBI_ABI_VERSION || h.type == 0 ||
	    h.type >= OBI_REC__MAX) {
		p->bad_records++;
		return 0;
	}
	if (h.type == OBI_REC_HTTP)
		probe_ipc_add_record(p, data, size, p->now_ns);
	else
		probe_discover_on_record(p, data, size);
	return 0;
}

static int probe_epoll_add(struct probe *p, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int probe_setup_loop(struct probe *p)
{
	struct itimerspec its = {0};
	sigset_t mask;

	p->rb = ring_buffer__new(bpf_map__fd(p->bpf.events), probe_on_ring, p, NULL);
	if (!p->rb || ring_buffer__add(p->rb, bpf_map__fd(p->bpf.ctl_events), probe_on_ring, p)) {
		log_error(errno, "ring buffer");
		return -1;
	}
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	p->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (p->epfd < 0 || p->timerfd < 0 || p->sigfd < 0) {
		log_error(errno, "event loop set-up");
		return -1;
	}
	/* The timed drain: with BPF_RB_NO_WAKEUP records wait for this tick or a fill threshold. */
	its.it_interval.tv_sec = (time_t)(p->cfg.drain_interval_ns / 1000000000ULL);
	its.it_interval.tv_nsec = (long)(p->cfg.drain_interval_ns % 1000000000ULL);
	its.it_value = its.it_interval;
	timerfd_settime(p->timerfd, 0, &its, NULL);
	if (probe_epoll_add(p, ring_buffer__epoll_fd(p->rb)) || probe_epoll_add(p, p->timerfd) ||
	    probe_epoll_add(p, p->sigfd) ||
	    probe_epoll_add(p, p->ctl_fd >= 0 ? p->ctl_fd : p->listen_fd)) {
		log_error(errno, "epoll");
		return -1;
	}
	return 0;
}

static void probe_on_tick(struct probe *p)
{
	uint64_t expirations, now = monotime_ns();
	uint64_t sweep_every = p->cfg.sweep_idle_ns / 2;

	if (read(p->timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_warn(errno, "timer");
	p->now_ns = now;
	ring_buffer__consume(p->rb);
	if (sweep_every < 20000000ULL)
		sweep_every = 20000000ULL;
	if (now - p->last_sweep_ns >= sweep_every) {
		p->last_sweep_ns = now;
		if (probe_lifecycle_sweep(p))
			log_warn(errno, "sweep");
		ring_buffer__consume(p->rb);
	}
	probe_discover_tick(p, now);
	probe_ipc_flush_due(p, now);
	probe_admit_tick(p, now);
	if (now - p->last_stats_ns >= 1000000000ULL) {
		p->last_stats_ns = now;
		probe_ipc_send_stats(p);
	}
}

/* How long the exit path waits for a slow enricher to take what is queued (final STATS too). */
#define PROBE_FINAL_DRAIN_NS (2ULL * 1000000000ULL)

/*
 * A slow enricher may still have the socket full when the probe stops: what is queued (the last
 * records and the counters that cover them) is sent as room appears, for a bounded time, so the
 * enricher's totals add up; what is still queued at the deadline is counted as discarded.
 */
static void probe_drain_queue(struct probe *p)
{
	uint64_t deadline = monotime_ns() + PROBE_FINAL_DRAIN_NS;

	while (p->conn_fd >= 0) {
		probe_ipc_on_writable(p);
		if (!p->q.head || monotime_ns() >= deadline)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 5000000L}, NULL);
	}
}

static int probe_run(struct probe *p)
{
	struct epoll_event evs[16];

	while (!p->stop) {
		int n = epoll_wait(p->epfd, evs, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error(errno, "epoll_wait");
			return -1;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == p->timerfd) {
				probe_on_tick(p);
			} else if (fd == p->sigfd) {
				struct signalfd_siginfo si;

				if (read(p->sigfd, &si, sizeof(si)) == sizeof(si) &&
				    si.ssi_signo != SIGPIPE) {
					log_info("signal %u: stopping", si.ssi_signo);
					p->stop = true;
				}
			} else if (fd == p->disc.evfd) {
				probe_discover_on_answers(p);
			} else if (probe_admit_dispatch(p, fd, evs[i].events)) {
				continue;
			} else {
				/* A forced wakeup: the ring passed its fill threshold. */
				p->now_ns = monotime_ns();
				ring_buffer__consume(p->rb);
			}
		}
	}
	/* Last records out before leaving, then the final counters (they cover those records). */
	ring_buffer__consume(p->rb);
	probe_ipc_flush_batch(p);
	probe_ipc_send_stats(p);
	probe_drain_queue(p);
	return 0;
}

/*
 * The fixed order: configuration, checks, privileged set-up (BPF, socket, first scan), then
 * capabilities down to the run-time set, no_new_privs, seccomp, and only then the loop.
 */
int main(int argc, char **argv, char **envp)
{
	struct probe p = {.epfd = -1,
			  .timerfd = -1,
			  .sigfd = -1,
			  .listen_fd = -1,
			  .conn_fd = -1,
			  .ctl_fd = -1,
			  .sock_dirfd = -1};
	enum config_action action;
	int rc, status = 1;

	/* First: before any secret (the environment) is read, nothing of ours may trace us. */
	sandbox_nodump();
	log_init("obi-probe", LOG_LVL_INFO);
	rc = config_load(&p.cfg, argc, argv, envp, CONFIG_PROC_PROBE, &action);
	if (rc)
		return rc;
	log_set_level((enum log_level)p.cfg.log_level);
	if (action != CONFIG_ACTION_RUN) {
		if (action == CONFIG_ACTION_DUMP)
			config_dump(&p.cfg, stdout);
		if (action == CONFIG_ACTION_DOCS)
			config_write_docs(stdout);
		config_free(&p.cfg);
		return 0;
	}
	prctl(PR_SET_NAME, "obi-probe", 0, 0, 0);
	p.self_pid = getpid();
	p.q.limit = p.cfg.send_queue_bytes;
	if (probe_caps_check(&p.cfg) || probe_discover_init(&p))
		goto out;
	if (probe_lifecycle_start(&p) || probe_admit_init(&p) || probe_setup_loop(&p))
		goto out;
	if (probe_discover_scan(&p))
		goto out;
	/* The /proc readers start confined; "running" is logged once they have read the scan. */
	if (probe_confine(&p) || probe_discover_start(&p))
		goto out;
	status = probe_run(&p) ? 1 : 0;
out:
	probe_ipc_close(&p, "shutting down");
	if (p.rb)
		ring_buffer__free(p.rb);
	probe_lifecycle_stop(&p);
	probe_admit_free(&p);
	probe_discover_free(&p);
	config_free(&p.cfg);
	return status;
}
