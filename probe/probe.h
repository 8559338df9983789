/* probe.h: obi-probe's process state and the interfaces between its modules. */
#ifndef OBI_PROBE_H
#define OBI_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "obi_abi.h"
#include "wire.h"

struct ring_buffer;
struct bpf_object;
struct bpf_map;
struct bpf_program;

/* The loaded BPF object: full, or compat for kernels without task storage and atomics. */
struct probe_bpf {
	void *skel; /* struct obi_bpf or struct obi_compat_bpf */
	bool compat;
	struct bpf_object *obj;
	volatile struct obi_bpf_cfg *cfg; /* .rodata: written before load only */
	struct bpf_map *events, *ctl_events, *pids, *conns, *stats, *sys_args, *fd_cache;
	struct bpf_program *sweep; /* NULL when it does not run (compat, or no for_each) */
};

/* Highest pid the selection bitmap covers (the kernel's PID_MAX_LIMIT). */
#define PROBE_PID_LIMIT (4u * 1024 * 1024)

/* Messages waiting for the socket; bounded in bytes, oldest first. */
struct probe_outq {
	struct probe_outq_msg *head, *tail;
	size_t bytes, limit;
	uint64_t dropped_msgs, dropped_records;
};

/* Kernel records being gathered into one RECORDS message. */
struct probe_batch {
	uint8_t buf[OBI_WIRE_MAX_MSG];
	size_t len; /* bytes used after the wire header */
	uint32_t nrec;
	uint64_t first_ns;
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
	pid_t conn_pid;
	uint32_t seq;
	bool conn_ready; /* hello received */
	struct probe_outq q;
	struct probe_batch batch;
	uint64_t *selected; /* bitmap by pid, as /proc numbers it (probe/pidns.c) */
	unsigned nselected;
	pid_t self_pid;
	uint64_t last_sweep_ns, last_stats_ns;
	uint64_t now_ns; /* monotonic time of the current loop iteration */
	uint64_t bad_records;
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

/* caps.c: capability and kernel feature checks, privilege drop. */
int probe_caps_check(void);
/* Non-zero if an essential capability is missing; logs nothing. */
int probe_caps_check_quiet(void);
int probe_caps_drop(void);
int probe_tracefs_ensure(void);

/* confine.c: after start-up, the run-time capability set, no_new_privs and seccomp. */
int probe_confine(struct probe *p);

/* discover.c: finds processes to instrument and keeps the selection. */
int probe_discover_init(struct probe *p);
void probe_discover_free(struct probe *p);
int probe_discover_scan(struct probe *p);
void probe_discover_on_record(struct probe *p, const void *rec, size_t len);
bool probe_discover_selected(const struct probe *p, uint32_t pid);
void probe_discover_forget(struct probe *p, uint32_t pid);
int probe_discover_select(struct probe *p, uint32_t pid, const char *why);

/* procfs.c: facts about a process read from /proc. */
int probe_procfs_exe(uint32_t pid, char *out, size_t len);
int probe_procfs_ppid(uint32_t pid, uint32_t *ppid);
/* Ports of sockets in LISTEN state that the process holds (TCP, v4 and v6). Returns count. */
int probe_procfs_listen_ports(uint32_t pid, uint16_t *ports, int max);
/* Builds a PROC_ADD payload for pid; returns its length or -1 (process gone). */
ssize_t probe_procfs_facts(uint32_t pid, uint8_t *out, size_t cap);

/* ipc.c: the enricher connection, the bounded send queue. */
int probe_ipc_listen(struct probe *p);
void probe_ipc_accept(struct probe *p);
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
