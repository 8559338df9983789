/* test_evloop.c: the event loop (common/evloop.c): fd watchers, the timer heap, signals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evloop.h"
#include "monotime.h"

struct io_probe {
	struct ev_io w;
	struct ev_io *victim; /* stopped by this watcher's callback */
	int calls;
	char got[16];
};

static void io_read_cb(struct evloop *l, struct ev_io *w, uint32_t events)
{
	struct io_probe *p = w->data;
	ssize_t n;

	assert_true(events & EPOLLIN);
	n = read(w->fd, p->got, sizeof(p->got) - 1);
	assert_true(n > 0);
	p->calls++;
	if (p->victim)
		ev_io_stop(l, p->victim);
	evloop_stop(l);
}

static void test_io_dispatch_by_pointer(void **state)
{
	struct evloop l;
	struct io_probe a = {0}, b = {0};
	int pa[2], pb[2];

	(void)state;
	assert_int_equal(evloop_init(&l), 0);
	assert_int_equal(pipe(pa), 0);
	assert_int_equal(pipe(pb), 0);
	assert_int_equal(ev_io_start(&l, &a.w, pa[0], EPOLLIN, io_read_cb, &a), 0);
	assert_int_equal(ev_io_start(&l, &b.w, pb[0], EPOLLIN, io_read_cb, &b), 0);
	/* Both readable in one round: whichever runs first stops the other, which then must
	 * not be called with its stale pending event. */
	a.victim = &b.w;
	b.victim = &a.w;
	assert_int_equal(write(pa[1], "x", 1), 1);
	assert_int_equal(write(pb[1], "y", 1), 1);
	assert_int_equal(evloop_run(&l), 0);
	assert_int_equal(a.calls + b.calls, 1);
	assert_false(a.w.active && b.w.active);
	/* A stopped watcher is re-startable and then dispatched again. */
	ev_io_stop(&l, &a.w);
	ev_io_stop(&l, &b.w);
	a.victim = b.victim = NULL;
	assert_int_equal(ev_io_start(&l, &a.w, pa[0], EPOLLIN, io_read_cb, &a), 0);
	assert_int_equal(write(pa[1], "z", 1), 1);
	a.calls = 0;
	assert_int_equal(evloop_run(&l), 0);
	assert_int_equal(a.calls, 1);
	ev_io_stop(&l, &a.w);
	for (int i = 0; i < 2; i++)
		close(pa[i]), close(pb[i]);
	evloop_free(&l);
}

#define N_TIMERS 64

struct timer_rec {
	uint64_t fired_at[N_TIMERS];
	int order[N_TIMERS];
	int n;
};

static struct timer_rec rec;

static void timer_record_cb(struct evloop *l, struct ev_timer *t)
{
	int idx = (int)(intptr_t)t->data;

	rec.fired_at[idx] = monotime_ns();
	assert_true(rec.fired_at[idx] >= t->deadline_ns);
	rec.order[rec.n++] = idx;
	if (rec.n == N_TIMERS / 2) /* every odd timer was stopped: half of them fire */
		evloop_stop(l);
}

/* Timers fire in deadline order, never early; stopped ones never fire. */
static void test_timer_order(void **state)
{
	struct evloop l;
	struct ev_timer t[N_TIMERS];

	(void)state;
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(evloop_init(&l), 0);
	for (int i = 0; i < N_TIMERS; i++) {
		/* A permutation of delays 1..64 ms (37 is coprime with 64). */
		uint64_t ms = 1 + (uint64_t)((i * 37) % N_TIMERS);

		ev_timer_init(&t[i], timer_record_cb, (void *)(intptr_t)i);
		assert_int_equal(ev_timer_start(&l, &t[i], ms * 1000000ULL), 0);
	}
	for (int i = 1; i < N_TIMERS; i += 2)
		ev_timer_stop(&l, &t[i]);
	assert_int_equal(l.n_timers, N_TIMERS / 2);
	assert_int_equal(evloop_run(&l), 0);
	assert_int_equal(rec.n, N_TIMERS / 2);
	for (int k = 1; k < rec.n; k++)
		assert_true(t[rec.order[k - 1]].deadline_ns <= t[rec.order[k]].deadline_ns);
	for (int k = 0; k < rec.n; k++)
		assert_int_equal(rec.order[k] % 2, 0);
	assert_int_equal(l.n_timers, 0);
	evloop_free(&l);
}

static bool heap_ok(const struct evloop *l)
{
	for (size_t i = 0; i < l->n_timers; i++) {
		if (l->heap[i]->heap_idx != i)
			return false;
		if (i && l->heap[(i - 1) / 2]->deadline_ns > l->heap[i]->deadline_ns)
			return false;
	}
	return true;
}

static void timer_nop_cb(struct evloop *l, struct ev_timer *t)
{
	(void)l;
	(void)t;
}

/* Thousands of random starts, restarts and stops keep the heap a heap. */
static void test_timer_heap_random(void **state)
{
	struct evloop l;
	struct ev_timer t[200];
	unsigned seed = 12345;

	(void)state;
	assert_int_equal(evloop_init(&l), 0);
	for (size_t i = 0; i < 200; i++)
		ev_timer_init(&t[i], timer_nop_cb, NULL);
	for (int op = 0; op < 20000; op++) {
		struct ev_timer *x = &t[rand_r(&seed) % 200];

		if (rand_r(&seed) % 3)
			assert_int_equal(
			    ev_timer_start(&l, x, (uint64_t)(rand_r(&seed) % 1000) * 1000000000ULL),
			    0);
		else
			ev_timer_stop(&l, x);
		if (!heap_ok(&l))
			fail_msg("heap broken after op %d", op);
	}
	evloop_free(&l);
}

struct periodic {
	struct ev_timer t;
	int ticks;
	uint64_t start;
};

static void periodic_cb(struct evloop *l, struct ev_timer *t)
{
	struct periodic *p = t->data;

	if (++p->ticks == 5) {
		evloop_stop(l);
		return;
	}
	assert_int_equal(ev_timer_start(l, t, 2000000), 0);
}

static void test_timer_periodic(void **state)
{
	struct evloop l;
	struct periodic p = {.start = monotime_ns()};

	(void)state;
	assert_int_equal(evloop_init(&l), 0);
	ev_timer_init(&p.t, periodic_cb, &p);
	assert_int_equal(ev_timer_start(&l, &p.t, 2000000), 0);
	assert_int_equal(evloop_run(&l), 0);
	assert_int_equal(p.ticks, 5);
	assert_true(monotime_ns() - p.start >= 10000000ULL);
	assert_false(ev_timer_active(&p.t));
	evloop_free(&l);
}

struct sigrec {
	int usr1, usr2;
};

static void sig_cb(struct evloop *l, const struct signalfd_siginfo *si, void *data)
{
	struct sigrec *r = data;

	if (si->ssi_signo == SIGUSR1)
		r->usr1++;
	if (si->ssi_signo == SIGUSR2)
		r->usr2++;
	if (r->usr1 && r->usr2)
		evloop_stop(l);
}

static void test_signals(void **state)
{
	struct evloop l;
	struct sigrec r = {0};

	(void)state;
	assert_int_equal(evloop_init(&l), 0);
	assert_int_equal(evloop_signal(&l, SIGUSR1, sig_cb, &r), 0);
	assert_int_equal(evloop_signal(&l, SIGUSR2, sig_cb, &r), 0); /* the same signalfd grows */
	assert_int_equal(evloop_signal(&l, 0, sig_cb, &r), -EINVAL);
	assert_int_equal(kill(getpid(), SIGUSR1), 0);
	assert_int_equal(kill(getpid(), SIGUSR2), 0);
	assert_int_equal(evloop_run(&l), 0);
	assert_int_equal(r.usr1, 1);
	assert_int_equal(r.usr2, 1);
	evloop_free(&l);
}

static void test_run_once_timeout(void **state)
{
	struct evloop l;
	uint64_t t0 = monotime_ns();

	(void)state;
	assert_int_equal(evloop_init(&l), 0);
	assert_int_equal(evloop_run_once(&l, 20), 0);
	assert_true(monotime_ns() - t0 >= 19000000ULL);
	assert_true(evloop_now(&l) >= t0);
	evloop_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_io_dispatch_by_pointer),
	    cmocka_unit_test(test_timer_order),
	    cmocka_unit_test(test_timer_heap_random),
	    cmocka_unit_test(test_timer_periodic),
	    cmocka_unit_test(test_signals),
	    cmocka_unit_test(test_run_once_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
