/* probe.h: obi-probe's process state and the interfaces between its modules. */
#ifndef OBI_PROBE_H
#define OBI_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "log.h"
#include "obi_abi.h"
#include "select.h"
#include "wire.h"

struct ring_buffer;
struct bpf_object;
struct bpf_map;
struct bpf_program;

/* The system calls of obi_sys_io.def (checked against it in bpfobj.c). */
#define PROBE_SYS_IO_COUNT 9

/* The loaded BPF object: full, or compat for kernels without task storage and atomics. */
struct probe_bpf {
	void *skel; /* struct obi_bpf or struct obi_compat_bpf */
	bool compat;
	struct bpf_object *obj;
	volatile struct obi_bpf_cfg *cfg; /* .rodata: written before load only */
	struct bpf_map *events, *ctl_events, *pids, *conns, *stats, *sys_args, *fd_cache;
	struct bpf_program *sweep; /* NULL when it does not run (compat, or no for_each) */
	/* obi_pids mapped (full object, once loaded): one bit per pid, shared with the fork and
	 * exit hooks, so changed only with atomic operations. NULL: obi_pids is a hash (compat). */
	uint64_t *pid_bits;
	/* The exit program's attachments beyond its own section, [0] unused (syscall front
	 * end only). */
	struct bpf_link *exit_links[PROBE_SYS_IO_COUNT];
};

/* Messages waiting for the socket; bounded in bytes, oldest first. */
struct probe_outq {
	struct probe_outq_msg *head, *tail;
	size_t bytes, limit;
	uint64_t nrec; /* records in the queued messages */
	uint64_t dropped_msgs, dropped_records;
};

/*
 * Where each HTTP record handed to the socket path ends (docs/architecture.md, "Losses"): the
 * sum of these and q.dropped_records (queue full) is every record the ring delivered.
 */
struct probe_losses {
	uint64_t sent;	      /* written into an enricher's socket */
	uint64_t no_enricher; /* arrived while no enricher had said hello */
	uint64_t disconnect;  /* in the pending batch or the send queue when the enricher went */
};

/* An enricher connection that has not said hello yet (admit.c). */
struct probe_peer {
	int fd;
	pid_t pid;
	uid_t uid;
	bool from_launcher; /* a socketpair end from the launcher's control channel */
	uint64_t deadline_ns;
	uint64_t since_ns;
};

#define PROBE_PENDING_MAX 8
/* A peer that has not sent a valid hello within this is dropped. */
#define PROBE_HELLO_TIMEOUT_NS (2ULL * 1000000000ULL)
/* The launcher's own child gets longer: it may still be starting (sanitizer builds). */
#define PROBE_LAUNCHED_HELLO_NS (30ULL * 1000000000ULL)
/* The connected enricher counts as silent once unread data has sat in its socket this long. */
#define PROBE_SILENT_NS (2ULL * 1000000000ULL)

/* Kernel records being gathered into one RECORDS message. */
struct probe_batch {
	uint8_t buf[OBI_WIRE_MAX_MSG];
	size_t len; /* bytes used after the wire header */
	uint32_t nrec;
	uint64_t first_ns;
};

struct pw_pool;
struct pw_job;
struct factcache;

/* Discovery (discover.c): the /proc readers, what they answered, the start-up scan. */
struct probe_discovery {
	struct pw_pool *pw;	 /* reader threads, started once the probe is confined */
	struct factcache *facts; /* PROC_ADD payload of every selected process */
	struct select_set sel;	 /* the discovery selectors (read-only once built) */
	int evfd;		 /* readable when the readers have answers; -1 before start */
	uint32_t *scan_pids;	 /* found at start-up, submitted as the queue has room */
	size_t scan_n, scan_next;
	unsigned outstanding; /* start-up jobs not answered yet */
	bool scan_done;
	uint64_t scan_deadline_ns;
	uint64_t dropped; /* requests refused: queue full, or a reader stuck on that pid */
	struct log_ratelimit rl;
	struct selpod *pods; /* pod facts for Kubernetes selectors (NULL: none has any) */
};

struct probe {
	struct obi_config cfg;
	struct probe_bpf bpf;
	enum config_frontend frontend; /* the one in use: SOCKET or SYSCALL */
	bool compat;	    /* the compat BPF object (kernels without task storage or atomics) */
	bool have_for_each; /* the sweep program can load */
	char kernel_release[65];
	struct ring_buffer *rb; /* both rings */
	int epfd, timerfd, sigfd;
	int listen_fd, conn_fd;
	int ctl_fd;	/* single host: the launcher's control channel (OBI_LAUNCH_CTL), or -1 */
	int sock_dirfd; /* the directory holding the listening socket, for unlinkat at exit */
	char sock_name[80]; /* the socket's name in sock_dirfd */
	bool sock_shared;   /* sock_dirfd is DIR/obi-probe.d on a shared volume (sockdir.h) */
	pid_t conn_pid;
	uid_t conn_uid;
	bool conn_from_launcher;
	uint32_t seq;
	bool conn_ready;	   /* hello received */
	uint64_t conn_progress_ns; /* last time the enricher's socket held no unread data */
	struct probe_peer pending[PROBE_PENDING_MAX];
	struct log_ratelimit accept_rl; /* every line the accept path logs */
	struct log_ratelimit conn_rl;	/* connect/close lines of non-launcher enrichers */
	pid_t launcher_pid;
	struct probe_losses lost;
	struct probe_outq q;
	struct probe_batch batch;
	uint64_t *selected; /* bitmap by pid, as /proc numbers it (probe/pidns.c) */
	unsigned nselected;
	pid_t self_pid;
	uint64_t last_sweep_ns, last_stats_ns;
	uint64_t now_ns; /* monotonic time of the current loop iteration */
	uint64_t bad_records;
	struct probe_discovery disc;
	bool stop;
};

/* bpfobj.c: the compiled object in use; negative errno on failure. */
int probe_bpf_open(struct probe_bpf *b, bool compat);
int probe_bpf_load(struct probe_bpf *b);
int probe_bpf_attach(struct probe_bpf *b);
void probe_bpf_destroy(struct probe_bpf *b);

/* lifecycle.c: BPF open, configure, load, attach, tear down. */
int probe_lifecycle_start(struct probe *p);
void probe_lifecycle_stop(struct probe *p);
int probe_lifecycle_sweep(struct probe *p);
int probe_lifecycle_select_pid(struct probe *p, uint32_t pid, bool on);
int probe_lifecycle_read_stats(struct probe *p, uint64_t out[OBI_ST__MAX]);

/* pidns.c: whose pids BPF reports (the namespace of /proc); writes p->bpf.cfg before load. */
int probe_pidns_configure(struct probe *p);

/* caps.c: capability and kernel feature checks. */
int probe_caps_check(const struct obi_config *cfg);
/* Non-zero if an essential capability is missing; logs nothing. */
int probe_caps_check_quiet(void);
/* Once the front end is chosen: perf_event_paranoid and tracefs (mounted when we may). */
int probe_caps_check_frontend(const struct probe *p);

/* confine.c: after start-up: non-dumpable, the run-time uid and capability set, no_new_privs
 * and seccomp. */
int probe_confine(struct probe *p);
/*
 * The uid probe_confine() leaves the probe running as (sockdir.c makes the socket's directory
 * that uid's so that the run-time probe can unlink its socket at exit). No uid switch in this
 * branch: the current one. The sandbox's switch to probe.uid must return cfg.probe_uid here
 * whenever it will switch.
 */
uid_t probe_confine_runtime_uid(const struct probe *p);

/* discover.c: finds processes to instrument and keeps the selection. */
int probe_discover_init(struct probe *p);
void probe_discover_free(struct probe *p);
/* Before confinement: lists /proc (no per-process read); probe_discover_start reads them. */
int probe_discover_scan(struct probe *p);
/* After confinement: starts the /proc readers and the start-up scan's jobs. */
int probe_discover_start(struct probe *p);
/* The readers' eventfd is readable: acts on their answers (selection, PROC_ADD). */
void probe_discover_on_answers(struct probe *p);
/* Every drain tick: readers past their deadline, scan progress. */
void probe_discover_tick(struct probe *p, uint64_t now_ns);
void probe_discover_on_record(struct probe *p, const void *rec, size_t len);
bool probe_discover_selected(const struct probe *p, uint32_t pid);
void probe_discover_forget(struct probe *p, uint32_t pid);
/* Reads pid again for its selection (its pod's facts arrived); port: of its LISTEN, or 0. */
void probe_discover_reread(struct probe *p, uint32_t pid, uint16_t port);

/* discover_pod.c: the Kubernetes facts of a process for its selection. */
struct pw_job;
int probe_discover_pod_init(struct probe *p);
void probe_discover_pod_free(struct probe *p);
/* Fills f's pod facts (asking the enricher when none are known yet); false: no selector has
 * Kubernetes criteria. Only for a verdict that was MAYBE without them: others cannot change. */
bool probe_discover_pod_facts(struct probe *p, const struct pw_job *j, struct select_facts *f);
/* After the verdict: a process its pod could still select (or exclude) waits for it. */
void probe_discover_pod_after(struct probe *p, const struct pw_job *j, const struct select_facts *f,
			      enum select_tri verdict);
/* A POD_INFO from the enricher; -1 when malformed (counted). */
int probe_discover_pod_info(struct probe *p, const struct wire_msg *m);
void probe_discover_pod_connected(struct probe *p, bool on);
void probe_discover_pod_tick(struct probe *p, uint64_t now_ns);
void probe_discover_pod_exit(struct probe *p, uint32_t pid);
/* The PROC_ADD payload kept for a selected pid, or NULL. */
const uint8_t *probe_discover_facts(const struct probe *p, uint32_t pid, size_t *len);

/* procfs.c: facts about a process read from /proc, in a reader thread. */
/* The reader's work for one job (pw_gather_fn). */
void probe_procfs_gather(struct pw_job *j);

/* sockdir.c: the listening socket in a checked directory (two-container mode). */
int probe_sockdir_listen(struct probe *p);
void probe_sockdir_unlink(struct probe *p);

/* admit.c: who becomes the enricher: accept, credentials, hello deadline, replacement, and the
 * launcher's control channel. */
int probe_admit_init(struct probe *p);
/* Handles an event on a descriptor admit.c or ipc.c owns; false if fd is not one of them. */
bool probe_admit_dispatch(struct probe *p, int fd, uint32_t events);
void probe_admit_tick(struct probe *p, uint64_t now_ns);
/*
 * Started by the launcher: die with it (PR_SET_PDEATHSIG). Must run after the last credential
 * change (a uid change clears the death signal) and before seccomp; re-checks the parent.
 */
int probe_admit_watch_launcher(struct probe *p);
void probe_admit_free(struct probe *p);

/* ipc.c: the enricher connection, the bounded send queue. */
/* Makes fd (hello received) the enricher connection, replacing any earlier one. */
void probe_ipc_adopt(struct probe *p, int fd, pid_t pid, uid_t uid, bool from_launcher);
void probe_ipc_on_readable(struct probe *p);
void probe_ipc_on_writable(struct probe *p);
void probe_ipc_close(struct probe *p, const char *why);
int probe_ipc_queue(struct probe *p, uint32_t type, const void *payload, size_t len);
void probe_ipc_flush_batch(struct probe *p);
void probe_ipc_add_record(struct probe *p, const void *rec, size_t len, uint64_t now_ns);
void probe_ipc_flush_due(struct probe *p, uint64_t now_ns);
int probe_ipc_send_proc(struct probe *p, uint32_t pid);
void probe_ipc_send_stats(struct probe *p);

#endif /* OBI_PROBE_H */
