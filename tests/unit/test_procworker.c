/* test_procworker.c: the /proc reader pool with a read that really blocks (a pipe nobody writes
 * until the test says so): others keep being answered, the stalled one is copied at the
 * deadline and comes back late. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monotime.h"
#include "procworker.h"

#define STALL_PID 666
static int stall_pipe[2];

/* The stalling pid publishes its safe facts, then blocks in read() like a stuck /proc read. */
static void gather(struct pw_job *j)
{
	char c;

	j->safe.alive = true;
	strcpy(j->safe.exe, "/usr/bin/test");
	atomic_store(&j->stage, PW_STAGE_SAFE);
	if (j->pid == STALL_PID && read(stall_pipe[0], &c, 1) != 1)
		abort();
	j->mem.read = true;
	atomic_store(&j->stage, PW_STAGE_DONE);
}

static struct pw_job *job(uint32_t pid)
{
	struct pw_job *j = calloc(1, sizeof(*j));

	assert_non_null(j);
	j->pid = pid;
	j->why = PW_SCAN;
	return j;
}

/* Waits up to 2 s for answers; returns how many came, checking each is for want_pid. */
static int answers(struct pw_pool *pl, uint32_t want_pid, int want, bool *late)
{
	int got = 0;
	uint64_t until = monotime_ns() + 2000000000ULL;

	while (got < want && monotime_ns() < until) {
		struct pollfd pfd = {.fd = pw_pool_fd(pl), .events = POLLIN};
		struct pw_job *j, *next;

		poll(&pfd, 1, 100);
		for (j = pw_take_done(pl); j; j = next) {
			next = j->next;
			assert_int_equal(j->pid, want_pid);
			assert_int_equal(atomic_load(&j->stage), PW_STAGE_DONE);
			if (late)
				*late = j->late;
			got++;
			free(j);
		}
	}
	return got;
}

static void test_stall_does_not_block_others(void **state)
{
	struct pw_pool *pl = pw_pool_new(gather, 3, 8, 50000000ULL);
	struct pw_job *partial;
	struct pw_stats st;
	bool late = false;

	(void)state;
	assert_int_equal(pipe(stall_pipe), 0);
	assert_non_null(pl);
	assert_int_equal(pw_pool_run(pl, 2), 0);
	assert_int_equal(pw_submit(pl, job(STALL_PID)), 0);
	usleep(20000);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pw_submit(pl, job(100)), 0);
	assert_int_equal(answers(pl, 100, 5, NULL), 5);
	/* the deadline: a copy with what was read, a replacement reader */
	usleep(60000);
	partial = pw_check_deadlines(pl, monotime_ns());
	assert_non_null(partial);
	assert_null(partial->next);
	assert_int_equal(partial->pid, STALL_PID);
	assert_true(partial->partial);
	assert_int_equal(atomic_load(&partial->stage), PW_STAGE_SAFE);
	assert_string_equal(partial->safe.exe, "/usr/bin/test");
	assert_false(partial->mem.read);
	free(partial);
	assert_true(pw_stuck_on(pl, STALL_PID));
	assert_null(pw_check_deadlines(pl, monotime_ns())); /* reported once */
	pw_get_stats(pl, &st);
	assert_int_equal(st.stalls, 1);
	assert_int_equal(st.threads, 3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pw_submit(pl, job(200)), 0);
	assert_int_equal(answers(pl, 200, 5, NULL), 5);
	/* released: the original comes back late, and its reader leaves (it was replaced) */
	assert_int_equal(write(stall_pipe[1], "x", 1), 1);
	assert_int_equal(answers(pl, STALL_PID, 1, &late), 1);
	assert_true(late);
	usleep(20000);
	pw_get_stats(pl, &st);
	assert_int_equal(st.threads, 2);
	assert_int_equal(st.late, 1);
	assert_false(pw_stuck_on(pl, STALL_PID));
	pw_pool_stop(pl);
	close(stall_pipe[0]);
	close(stall_pipe[1]);
}

static void test_queue_bound(void **state)
{
	struct pw_pool *pl = pw_pool_new(gather, 2, 3, 1000000000ULL);
	struct pw_job *extra = job(1);

	(void)state;
	assert_non_null(pl);
	/* no reader running yet: the queue fills and refuses */
	for (int i = 0; i < 3; i++)
		assert_int_equal(pw_submit(pl, job(100)), 0);
	assert_true(pw_queued(pl, 100, PW_SCAN));
	assert_false(pw_queued(pl, 100, PW_LISTEN));
	assert_int_equal(pw_room(pl), 0);
	assert_int_equal(pw_submit(pl, extra), -EAGAIN);
	free(extra);
	assert_int_equal(pw_pool_run(pl, 1), 0);
	assert_int_equal(answers(pl, 100, 3, NULL), 3);
	pw_pool_stop(pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stall_does_not_block_others),
	    cmocka_unit_test(test_queue_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
