/* evloop.c: epoll dispatch by watcher pointer, a timer heap on one timerfd, signals on a signalfd.
 */
#include "evloop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "monotime.h"

#define EVLOOP_BATCH 64

static void evloop_timer_fire(struct evloop *l, struct ev_io *w, uint32_t events);
static void evloop_signal_read(struct evloop *l, struct ev_io *w, uint32_t events);

int evloop_init(struct evloop *l)
{
	int tfd, rc;

	memset(l, 0, sizeof(*l));
	l->epfd = -1;
	l->timer_io.fd = l->signal_io.fd = -1;
	sigemptyset(&l->sigmask);
	l->pending = calloc(EVLOOP_BATCH, sizeof(*l->pending));
	l->max_pending = EVLOOP_BATCH;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!l->pending || l->epfd < 0 || tfd < 0) {
		rc = !l->pending ? -ENOMEM : -errno;
		if (tfd >= 0)
			close(tfd);
		evloop_free(l);
		return rc;
	}
	rc = ev_io_start(l, &l->timer_io, tfd, EPOLLIN, evloop_timer_fire, NULL);
	if (rc) {
		close(tfd);
		evloop_free(l);
		return rc;
	}
	l->now_ns = monotime_ns();
	return 0;
}

void evloop_free(struct evloop *l)
{
	if (l->timer_io.fd >= 0)
		close(l->timer_io.fd);
	if (l->signal_io.fd >= 0)
		close(l->signal_io.fd);
	if (l->epfd >= 0)
		close(l->epfd);
	for (size_t i = 0; i < l->n_timers; i++)
		l->heap[i]->heap_idx = SIZE_MAX;
	free(l->heap);
	free(l->pending);
	memset(l, 0, sizeof(*l));
	l->epfd = l->timer_io.fd = l->signal_io.fd = -1;
}

uint64_t evloop_now(const struct evloop *l)
{
	return l->now_ns;
}

void evloop_stop(struct evloop *l)
{
	l->stop = true;
}

/* --- fd watchers ------------------------------------------------------------------------- */

int ev_io_start(struct evloop *l, struct ev_io *w, int fd, uint32_t events, ev_io_cb cb, void *data)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	*w = (struct ev_io){.fd = fd, .events = events, .cb = cb, .data = data, .active = true};
	return 0;
}

int ev_io_set_events(struct evloop *l, struct ev_io *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (!w->active)
		return -EINVAL;
	if (events != w->events && epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev))
		return -errno;
	w->events = events;
	return 0;
}

void ev_io_stop(struct evloop *l, struct ev_io *w)
{
	if (!w->active)
		return;
	/* EPOLL_CTL_DEL cannot fail for a registered fd the caller has not closed yet. */
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->active = false;
	for (int i = 0; i < l->n_pending; i++)
		if (l->pending[i].data.ptr == w)
			l->pending[i].data.ptr = NULL;
}

/* --- timers: min-heap on deadline -------------------------------------------------------- */

static void evloop_heap_set(struct evloop *l, size_t i, struct ev_timer *t)
{
	l->heap[i] = t;
	t->heap_idx = i;
}

static void evloop_heap_up(struct evloop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];

	while (i > 0 && l->heap[(i - 1) / 2]->deadline_ns > t->deadline_ns) {
		evloop_heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	evloop_heap_set(l, i, t);
}

static void evloop_heap_down(struct evloop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->n_timers)
			break;
		if (c + 1 < l->n_timers && l->heap[c + 1]->deadline_ns < l->heap[c]->deadline_ns)
			c++;
		if (l->heap[c]->deadline_ns >= t->deadline_ns)
			break;
		evloop_heap_set(l, i, l->heap[c]);
		i = c;
	}
	evloop_heap_set(l, i, t);
}

void ev_timer_init(struct ev_timer *t, ev_timer_cb cb, void *data)
{
	*t = (struct ev_timer){.heap_idx = SIZE_MAX, .cb = cb, .data = data};
}

bool ev_timer_active(const struct ev_timer *t)
{
	return t->heap_idx != SIZE_MAX;
}

void ev_timer_stop(struct evloop *l, struct ev_timer *t)
{
	size_t i = t->heap_idx;
	struct ev_timer *last;

	if (i == SIZE_MAX)
		return;
	t->heap_idx = SIZE_MAX;
	if (i == --l->n_timers)
		return;
	/* The last leaf fills the hole, then moves whichever way restores the heap. */
	last = l->heap[l->n_timers];
	evloop_heap_set(l, i, last);
	evloop_heap_up(l, i);
	evloop_heap_down(l, last->heap_idx);
}

int ev_timer_start(struct evloop *l, struct ev_timer *t, uint64_t after_ns)
{
	ev_timer_stop(l, t);
	if (l->n_timers == l->heap_cap) {
		size_t cap = l->heap_cap ? l->heap_cap * 2 : 16;
		struct ev_timer **h = realloc(l->heap, cap * sizeof(struct ev_timer *));

		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->heap_cap = cap;
	}
	/* From the real clock, not the round's cached one: callbacks can run long. */
	t->deadline_ns = monotime_ns() + after_ns;
	evloop_heap_set(l, l->n_timers++, t);
	evloop_heap_up(l, t->heap_idx);
	return 0;
}

/* Points the timerfd at the earliest deadline (absolute, so a late re-arm cannot drift). */
static void evloop_timer_arm(struct evloop *l)
{
	uint64_t want = l->n_timers ? l->heap[0]->deadline_ns : 0;
	struct itimerspec its = {0};

	if (want == l->armed_ns)
		return;
	if (want) {
		its.it_value.tv_sec = (time_t)(want / 1000000000ULL);
		its.it_value.tv_nsec = (long)(want % 1000000000ULL);
	}
	/* Cannot fail with a valid timerfd and a normalised, non-zero absolute time. */
	(void)timerfd_settime(l->timer_io.fd, TFD_TIMER_ABSTIME, &its, NULL);
	l->armed_ns = want;
}

static void evloop_timer_fire(struct evloop *l, struct ev_io *w, uint32_t events)
{
	uint64_t expirations, now = monotime_ns();

	(void)events;
	(void)!read(w->fd, &expirations, sizeof(expirations)); /* EAGAIN is fine: we check times */
	l->armed_ns = 0;
	/* A timer its callback re-starts lands after now: the loop below cannot run forever. */
	while (l->n_timers && l->heap[0]->deadline_ns <= now) {
		struct ev_timer *t = l->heap[0];

		ev_timer_stop(l, t);
		t->cb(l, t);
	}
}

/* --- signals ----------------------------------------------------------------------------- */

int evloop_signal(struct evloop *l, int signo, ev_signal_cb cb, void *data)
{
	sigset_t one;
	int fd;

	if (signo < 1 || signo > EVLOOP_MAX_SIGNAL)
		return -EINVAL;
	sigemptyset(&one);
	sigaddset(&one, signo);
	sigaddset(&l->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL))
		return -errno;
	fd = signalfd(l->signal_io.fd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	l->sig_cb[signo] = cb;
	l->sig_data[signo] = data;
	if (l->signal_io.fd < 0) {
		int rc = ev_io_start(l, &l->signal_io, fd, EPOLLIN, evloop_signal_read, NULL);

		if (rc) {
			close(fd);
			return rc;
		}
	}
	return 0;
}

static void evloop_signal_read(struct evloop *l, struct ev_io *w, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo >= 1 && si.ssi_signo <= EVLOOP_MAX_SIGNAL &&
		    l->sig_cb[si.ssi_signo])
			l->sig_cb[si.ssi_signo](l, &si, l->sig_data[si.ssi_signo]);
	}
}

/* --- dispatch ---------------------------------------------------------------------------- */

int evloop_run_once(struct evloop *l, int timeout_ms)
{
	int n;

	evloop_timer_arm(l);
	n = epoll_wait(l->epfd, l->pending, l->max_pending, timeout_ms);
	l->now_ns = monotime_ns();
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	l->n_pending = n;
	for (int i = 0; i < n; i++) {
		struct ev_io *w = l->pending[i].data.ptr;

		if (w)
			w->cb(l, w, l->pending[i].events);
	}
	l->n_pending = 0;
	return 0;
}

int evloop_run(struct evloop *l)
{
	int rc = 0;

	l->stop = false;
	while (!l->stop && !rc)
		rc = evloop_run_once(l, -1);
	return rc;
}
