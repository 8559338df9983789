/* procworker.h: /proc reader threads: a bounded job queue, answers through an eventfd, and a
 * deadline after which a stalled reader is abandoned and replaced. */
#ifndef OBI_PROCWORKER_H
#define OBI_PROCWORKER_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "select.h"
#include "wire.h"

/*
 * The rows the probe's run-time seccomp table (probe/confine.c) needs for these threads. They
 * are created after the filter is installed and inherit it (a filter binds the thread that
 * installs it and the threads it creates later: no TSYNC needed). clone3 takes its flags in
 * memory the filter cannot read: it fails with ENOSYS and glibc falls back to clone, allowed
 * only with exactly pthread_create's flags (VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|
 * PARENT_SETTID|CHILD_CLEARTID: a thread of this process, no fork, no new namespace). glibc
 * calls set_robust_list (futex clean-up at thread exit) and rseq in every new thread.
 */
/* The clone flags glibc's pthread_create passes (the seccomp row of the reader threads). */
#define PW_CLONE_THREAD_FLAGS 0x3d0f00

/* Why the main loop wants to know about a process: decides what it does with the answer. */
enum pw_why {
	PW_SCAN = 1, /* found at start-up: match the criteria */
	PW_LISTEN,   /* began listening on a selected port: match the executable */
	PW_EXEC,     /* executed something: match the executable */
	PW_KIDS,     /* just selected: list its existing children */
	PW_CHILD,    /* an existing child of a selected process */
	PW_FORK,     /* forked by a selected process (the kernel selected it already) */
	PW_REFRESH,  /* selected: its facts changed (exec) */
};

#define PW_MAX_PORTS 64
#define PW_MAX_CHILDREN 256

/* Read without touching the process's memory: cannot be stalled by the process. */
struct pw_safe_facts {
	bool alive; /* its exe link could be read */
	char exe[OBI_WIRE_EXE_MAX];
	uint32_t ppid, ns_pid;
	uint64_t start_unix_ns;
	char cgroup[OBI_WIRE_CGROUP_MAX];
	uint16_t ports[PW_MAX_PORTS]; /* LISTEN ports it holds (only when asked) */
	int nports;
	uint32_t children[PW_MAX_CHILDREN]; /* only for PW_KIDS */
	int nchildren;
	int in_container; /* select_in_container(), when a selector asks; else -1 */
};

/* Read from the process's memory (cmdline, environ): a page fault there may never end. */
struct pw_mem_facts {
	bool read;
	char cmdline[OBI_WIRE_CMDLINE_MAX];
	size_t cmdline_len;
	char svc[OBI_WIRE_SVC_MAX + 1];
	char res[OBI_WIRE_RES_MAX + 1];
	char svc_ns[OBI_WIRE_NS_MAX + 1];
	unsigned lang; /* enum obi_wire_lang (select_lang.c) */
};

enum pw_stage { PW_STAGE_NONE = 0, PW_STAGE_SAFE, PW_STAGE_DONE };

struct pw_job {
	struct pw_job *next;
	uint32_t pid;
	uint32_t parent; /* PW_CHILD, PW_FORK: the selected parent */
	enum pw_why why;
	bool in_scan; /* issued while the start-up scan runs */
	/*
	 * Prefilter: the reader skips the memory of a process the selectors already rule out
	 * (read-only after start; the decision itself is the main loop's). NULL: none.
	 */
	const struct select_set *sel;
	bool want_ports;
	uint16_t listen_port; /* PW_LISTEN: the port of the LISTEN record (0: none) */
	/* Main loop only: the deadline copy of this job was answered; this is the late rest. */
	bool late;
	bool partial;	   /* this is the deadline copy: the memory facts are missing */
	_Atomic int stage; /* enum pw_stage: what the reader has filled in so far */
	struct pw_safe_facts safe;
	struct pw_mem_facts mem;
};

/* Fills in the job (the reader thread's work); must publish stage SAFE before any memory read. */
typedef void (*pw_gather_fn)(struct pw_job *j);

struct pw_pool;

struct pw_stats {
	uint64_t stalls;       /* jobs that passed the deadline */
	uint64_t late;	       /* of those, answered afterwards */
	uint64_t queue_full;   /* submissions refused */
	unsigned threads;      /* reader threads alive */
	unsigned stuck;	       /* of those, past the deadline */
	uint64_t spawn_failed; /* replacements that could not be created (or the cap was hit) */
};

/*
 * The pool and its eventfd, no thread yet: at most `max_threads` will ever be alive, stalled
 * ones included. NULL on failure (errno set).
 */
struct pw_pool *pw_pool_new(pw_gather_fn gather, unsigned max_threads, unsigned queue_max,
			    uint64_t deadline_ns);
/*
 * Starts `active` readers. Call only once the calling thread is confined: threads inherit its
 * seccomp filter and capability sets at creation (both are per thread). 0 or -errno.
 */
int pw_pool_run(struct pw_pool *pl, unsigned active);
/* Readable (EPOLLIN) when answers wait. */
int pw_pool_fd(const struct pw_pool *pl);
/* Queues j (the pool owns it until it comes back from pw_take_done). -EAGAIN: queue full. */
int pw_submit(struct pw_pool *pl, struct pw_job *j);
/* Free places in the queue. */
unsigned pw_room(struct pw_pool *pl);
/* A job for pid with this reason still waits in the queue (not yet being read). */
bool pw_queued(struct pw_pool *pl, uint32_t pid, enum pw_why why);
/* A reader is stuck (past the deadline) on pid. */
bool pw_stuck_on(struct pw_pool *pl, uint32_t pid);
/* Answered jobs, oldest first, as a list the caller frees with free(). */
struct pw_job *pw_take_done(struct pw_pool *pl);
/*
 * Marks readers past the deadline as stuck, starts replacements, and returns copies of their
 * jobs holding what was read so far (partial = true; the caller frees them). The original
 * comes back later through pw_take_done with late = true if the read ever ends.
 */
struct pw_job *pw_check_deadlines(struct pw_pool *pl, uint64_t now_ns);
void pw_get_stats(struct pw_pool *pl, struct pw_stats *st);
/*
 * Stops the readers. Stuck ones cannot be interrupted (the kernel waits for the page): the
 * pool is left to them and freed by the last one out, if it ever returns.
 */
void pw_pool_stop(struct pw_pool *pl);

#endif /* OBI_PROCWORKER_H */
