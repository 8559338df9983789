/* procworker.c: the /proc reader threads, their queue and deadline (see procworker.h). */
#include "procworker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "monotime.h"

/* One reader thread. */
struct pw_slot {
	struct pw_pool *pool;
	bool used;
	bool stuck;    /* its job passed the deadline */
	bool replaced; /* a new reader took its place: it leaves once its read ends */
	struct pw_job *job;
	uint64_t since_ns;
};

#define PW_SLOTS_MAX 32

struct pw_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pw_gather_fn gather;
	int evfd;
	unsigned max_threads, queue_max, queued, threads;
	uint64_t deadline_ns;
	bool stop;
	bool orphaned; /* the stopper gave up waiting: the last reader out frees the pool */
	struct pw_job *head, *tail;	 /* waiting */
	struct pw_job *done, *done_tail; /* answered */
	struct pw_slot slots[PW_SLOTS_MAX];
	struct pw_stats st;
};

static void pw_free_list(struct pw_job *j)
{
	while (j) {
		struct pw_job *next = j->next;

		free(j);
		j = next;
	}
}

/* Called with the lock held by whoever leaves last (the stopper or the last reader). */
static void pw_pool_free_locked(struct pw_pool *pl)
{
	pw_free_list(pl->head);
	pw_free_list(pl->done);
	close(pl->evfd);
	pthread_mutex_unlock(&pl->mu);
	pthread_mutex_destroy(&pl->mu);
	pthread_cond_destroy(&pl->cv);
	free(pl);
}

static void pw_deliver_locked(struct pw_pool *pl, struct pw_job *j)
{
	uint64_t one = 1;

	j->next = NULL;
	if (pl->done_tail)
		pl->done_tail->next = j;
	else
		pl->done = j;
	pl->done_tail = j;
	/* Non-blocking eventfd: a full counter still leaves it readable. */
	if (write(pl->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		(void)0;
}

static void *pw_thread(void *arg)
{
	struct pw_slot *s = arg;
	struct pw_pool *pl = s->pool;

	pthread_mutex_lock(&pl->mu);
	while (!pl->stop) {
		struct pw_job *j = pl->head;

		if (!j) {
			pthread_cond_wait(&pl->cv, &pl->mu);
			continue;
		}
		pl->head = j->next;
		if (!pl->head)
			pl->tail = NULL;
		pl->queued--;
		s->job = j;
		s->since_ns = monotime_ns();
		pthread_mutex_unlock(&pl->mu);
		pl->gather(j);
		pthread_mutex_lock(&pl->mu);
		s->job = NULL;
		if (s->stuck) {
			j->late = true;
			pl->st.late++;
			pl->st.stuck--;
			s->stuck = false;
		}
		if (pl->stop) {
			free(j);
			break;
		}
		pw_deliver_locked(pl, j);
		if (s->replaced)
			break;
	}
	s->used = false;
	if (--pl->threads == 0 && pl->orphaned) {
		pw_pool_free_locked(pl);
		return NULL;
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

/* Starts one reader in a free slot, with every signal blocked (they belong to the main loop). */
static int pw_spawn_locked(struct pw_pool *pl)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	int rc = -EAGAIN;

	if (pl->threads >= pl->max_threads)
		return rc;
	for (unsigned i = 0; i < PW_SLOTS_MAX && i < pl->max_threads; i++) {
		struct pw_slot *s = &pl->slots[i];

		if (s->used)
			continue;
		memset(s, 0, sizeof(*s));
		s->pool = pl;
		s->used = true;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		/* The readers need little stack: the facts live in the heap-allocated job. */
		pthread_attr_setstacksize(&attr, 256 * 1024);
		rc = -pthread_create(&t, &attr, pw_thread, s);
		pthread_attr_destroy(&attr);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc) {
			s->used = false;
			return rc;
		}
		pl->threads++;
		return 0;
	}
	return rc;
}

static void *pw_warm_up(void *arg)
{
	return arg;
}

struct pw_pool *pw_pool_new(pw_gather_fn gather, unsigned max_threads, unsigned queue_max,
			    uint64_t deadline_ns)
{
	struct pw_pool *pl = calloc(1, sizeof(*pl));
	pthread_t t;

	if (!pl)
		return NULL;
	/*
	 * glibc installs its own signal handlers (SIGCANCEL, SIGSETXID) at the first
	 * pthread_create. One thread made and joined here, before confinement, keeps rt_sigaction
	 * out of the run-time filter.
	 */
	if (pthread_create(&t, NULL, pw_warm_up, NULL) == 0)
		pthread_join(t, NULL);
	pl->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pl->evfd < 0) {
		free(pl);
		return NULL;
	}
	pl->gather = gather;
	pl->max_threads = max_threads < PW_SLOTS_MAX ? max_threads : PW_SLOTS_MAX;
	pl->queue_max = queue_max;
	pl->deadline_ns = deadline_ns;
	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->cv, NULL);
	return pl;
}

int pw_pool_run(struct pw_pool *pl, unsigned active)
{
	int rc = 0;

	pthread_mutex_lock(&pl->mu);
	for (unsigned i = 0; i < active && rc == 0; i++)
		rc = pw_spawn_locked(pl);
	/* One reader is enough to work; more are for stalls. */
	if (pl->threads > 0)
		rc = 0;
	pthread_mutex_unlock(&pl->mu);
	return rc;
}

int pw_pool_fd(const struct pw_pool *pl)
{
	return pl->evfd;
}

int pw_submit(struct pw_pool *pl, struct pw_job *j)
{
	int rc = 0;

	pthread_mutex_lock(&pl->mu);
	if (pl->queued >= pl->queue_max) {
		pl->st.queue_full++;
		rc = -EAGAIN;
	} else {
		j->next = NULL;
		atomic_store(&j->stage, PW_STAGE_NONE);
		if (pl->tail)
			pl->tail->next = j;
		else
			pl->head = j;
		pl->tail = j;
		pl->queued++;
		pthread_cond_signal(&pl->cv);
	}
	pthread_mutex_unlock(&pl->mu);
	return rc;
}

unsigned pw_room(struct pw_pool *pl)
{
	unsigned room;

	pthread_mutex_lock(&pl->mu);
	room = pl->queue_max - pl->queued;
	pthread_mutex_unlock(&pl->mu);
	return room;
}

bool pw_queued(struct pw_pool *pl, uint32_t pid, enum pw_why why)
{
	bool found = false;

	pthread_mutex_lock(&pl->mu);
	for (const struct pw_job *j = pl->head; j && !found; j = j->next)
		found = j->pid == pid && j->why == why;
	pthread_mutex_unlock(&pl->mu);
	return found;
}

bool pw_stuck_on(struct pw_pool *pl, uint32_t pid)
{
	bool found = false;

	pthread_mutex_lock(&pl->mu);
	for (unsigned i = 0; i < PW_SLOTS_MAX && !found; i++)
		found = pl->slots[i].used && pl->slots[i].stuck && pl->slots[i].job &&
			pl->slots[i].job->pid == pid;
	pthread_mutex_unlock(&pl->mu);
	return found;
}

struct pw_job *pw_take_done(struct pw_pool *pl)
{
	struct pw_job *list;
	uint64_t n;

	if (read(pl->evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		(void)0;
	pthread_mutex_lock(&pl->mu);
	list = pl->done;
	pl->done = pl->done_tail = NULL;
	pthread_mutex_unlock(&pl->mu);
	return list;
}

/* The deadline copy: only what the reader published as final (the safe facts, if any). */
static struct pw_job *pw_partial_copy(const struct pw_job *j)
{
	struct pw_job *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pid = j->pid;
	c->parent = j->parent;
	c->why = j->why;
	c->in_scan = j->in_scan;
	c->sel = j->sel;
	c->want_ports = j->want_ports;
	c->listen_port = j->listen_port;
	c->partial = true;
	if (atomic_load(&j->stage) >= PW_STAGE_SAFE) {
		c->safe = j->safe;
		atomic_store(&c->stage, PW_STAGE_SAFE);
	}
	return c;
}

struct pw_job *pw_check_deadlines(struct pw_pool *pl, uint64_t now_ns)
{
	struct pw_job *out = NULL, **tail = &out;

	pthread_mutex_lock(&pl->mu);
	for (unsigned i = 0; i < PW_SLOTS_MAX; i++) {
		struct pw_slot *s = &pl->slots[i];
		struct pw_job *c;

		if (!s->used || s->stuck || !s->job || now_ns - s->since_ns < pl->deadline_ns)
			continue;
		s->stuck = true;
		pl->st.stalls++;
		pl->st.stuck++;
		c = pw_partial_copy(s->job);
		if (c) {
			*tail = c;
			tail = &c->next;
		}
		/* The stuck reader cannot be interrupted: another one serves the queue meanwhile.
		 */
		if (pw_spawn_locked(pl) == 0)
			s->replaced = true;
		else
			pl->st.spawn_failed++;
	}
	pthread_mutex_unlock(&pl->mu);
	return out;
}

void pw_get_stats(struct pw_pool *pl, struct pw_stats *st)
{
	pthread_mutex_lock(&pl->mu);
	*st = pl->st;
	st->threads = pl->threads;
	pthread_mutex_unlock(&pl->mu);
}

void pw_pool_stop(struct pw_pool *pl)
{
	uint64_t until = monotime_ns() + 200000000ULL;
	struct timespec ts = {0, 1000000};

	if (!pl)
		return;
	pthread_mutex_lock(&pl->mu);
	pl->stop = true;
	pthread_cond_broadcast(&pl->cv);
	/* Idle readers leave at once; one in a normal read leaves when it ends. */
	while (pl->threads > pl->st.stuck && monotime_ns() < until) {
		pthread_mutex_unlock(&pl->mu);
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&pl->mu);
	}
	if (pl->threads == 0) {
		pw_pool_free_locked(pl);
		return;
	}
	pl->orphaned = true;
	pthread_mutex_unlock(&pl->mu);
}
