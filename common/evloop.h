/* evloop.h: the one event loop of every process: epoll watchers, timerfd timers, signalfd. */
#ifndef OBI_EVLOOP_H
#define OBI_EVLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

struct evloop;
struct ev_io;
struct ev_timer;

/* events: the EPOLLIN/EPOLLOUT/EPOLLERR/EPOLLHUP bits that fired. */
typedef void (*ev_io_cb)(struct evloop *l, struct ev_io *w, uint32_t events);
typedef void (*ev_timer_cb)(struct evloop *l, struct ev_timer *t);
typedef void (*ev_signal_cb)(struct evloop *l, const struct signalfd_siginfo *si, void *data);

/*
 * A file descriptor watcher. Owned by the caller (embed it in your state); epoll carries a
 * pointer to it, so it must stay put while started. The loop never closes fd.
 */
struct ev_io {
	int fd;
	uint32_t events;
	ev_io_cb cb;
	void *data;
	bool active;
};

/* A one-shot timer on the loop's monotonic clock; re-start it from its callback to repeat. */
struct ev_timer {
	uint64_t deadline_ns; /* CLOCK_MONOTONIC */
	size_t heap_idx;      /* position in the loop's heap, SIZE_MAX when stopped */
	ev_timer_cb cb;
	void *data;
};

#define EVLOOP_MAX_SIGNAL 64

struct evloop {
	int epfd;
	bool stop;
	uint64_t now_ns; /* CLOCK_MONOTONIC, refreshed after every wait */

	/* Events of the current dispatch round; stopping a watcher clears its pending entries. */
	struct epoll_event *pending;
	int n_pending, max_pending;

	/* Timers: a binary min-heap on deadline, one timerfd armed for the earliest. */
	struct ev_io timer_io;
	struct ev_timer **heap;
	size_t n_timers, heap_cap;
	uint64_t armed_ns; /* deadline the timerfd is set for; 0 when disarmed */

	/* Signals: blocked, then read from one signalfd. */
	struct ev_io signal_io;
	sigset_t sigmask;
	ev_signal_cb sig_cb[EVLOOP_MAX_SIGNAL + 1];
	void *sig_data[EVLOOP_MAX_SIGNAL + 1];
};

/* Returns 0 or -errno; on failure nothing is left to free. */
int evloop_init(struct evloop *l);
void evloop_free(struct evloop *l);

/* Runs rounds until evloop_stop(); returns 0, or -errno if epoll fails. */
int evloop_run(struct evloop *l);
/* One round: waits at most timeout_ms (-1: until something happens), dispatches everything. */
int evloop_run_once(struct evloop *l, int timeout_ms);
void evloop_stop(struct evloop *l);
uint64_t evloop_now(const struct evloop *l);

int ev_io_start(struct evloop *l, struct ev_io *w, int fd, uint32_t events, ev_io_cb cb,
		void *data);
int ev_io_set_events(struct evloop *l, struct ev_io *w, uint32_t events);
/* Safe from any callback, including w's own; a pending event of w is then not delivered. */
void ev_io_stop(struct evloop *l, struct ev_io *w);

/* Call once before first use (marks the timer stopped). */
void ev_timer_init(struct ev_timer *t, ev_timer_cb cb, void *data);
/* (Re)starts t to fire after_ns from now; a started timer is moved. 0 or -ENOMEM. */
int ev_timer_start(struct evloop *l, struct ev_timer *t, uint64_t after_ns);
void ev_timer_stop(struct evloop *l, struct ev_timer *t);
bool ev_timer_active(const struct ev_timer *t);

/* Blocks signo for the whole process and delivers it to cb from the loop. 0 or -errno. */
int evloop_signal(struct evloop *l, int signo, ev_signal_cb cb, void *data);

#endif /* OBI_EVLOOP_H */
