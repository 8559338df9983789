/* maps.bpf.h: every BPF map, the connection state layout and the counters. */
#ifndef OBI_MAPS_BPF_H
#define OBI_MAPS_BPF_H

#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include "obi_abi.h"

/* Set by obi-probe before load (.rodata): the verifier sees them as constants. */
const volatile struct obi_bpf_cfg obi_cfg = {
    .req_cap = 512,
    .wakeup_bytes = 64 * 1024,
    .sweep_idle_ns = 200000000ULL,
    .track_traceparent = 1,
    .resp_cap = OBI_RESP_CAP,
};

enum obi_conn_state {
	OBI_CS_IDLE = 0,     /* no exchange in flight */
	OBI_CS_REQ = 1,	     /* request bytes are flowing */
	OBI_CS_RESP = 2,     /* response bytes are flowing */
	OBI_CS_EMITTING = 3, /* one path (data, close or sweep) owns the record while emitting it */
};

struct obi_conn_key {
	__u64 sk; /* struct sock address: unique while the socket lives */
	__u32 netns;
	__u32 pad;
};

/*
 * Per-connection state. `rec` is immediately followed by `data` so that one
 * bpf_ringbuf_output() of rec + captured bytes emits the exchange without a staging copy.
 * data holds the request head at [0, req_len) and the response head right after it; it is
 * sized 2 * OBI_REQ_CAP_MAX + OBI_RESP_CAP so that the verifier can bound every append with
 * independent limits on offset and length.
 */
struct obi_conn {
	__u32 state; /* 32 bits: claimed with an atomic compare-and-swap */
	__u8 role;
	__u8 pend_len;	/* request-direction bytes held in pend (0..7) */
	__u16 req_len;	/* captured request bytes */
	__u16 resp_len; /* captured response bytes */
	__u8 closing;	/* the close came while the sweep held the exchange (EMITTING) */
	__u8 pad2;
	__u32 pad3;
	__u64 last_ns;
	/*
	 * A request-direction read or write shorter than 8 bytes outside a request (Go's server
	 * reads one byte ahead; some clients write a byte at a time) cannot be judged alone: its
	 * bytes wait here, in order, until 8 bytes decide whether a request starts.
	 */
	__u64 pend;
	__u64 pend_ns;	  /* when the first held byte was seen: the request's start */
	__u64 snap_bytes; /* req + resp bytes when the sweep last sent a snapshot; 0: none */
	struct obi_rec_http rec;
	__u8 data[2 * OBI_REQ_CAP_MAX + OBI_RESP_CAP] __attribute__((aligned(8)));
};

/* The server span a thread is serving: parent of the client calls it makes meanwhile. */
struct obi_srv_span {
	__u8 trace_id[16];
	__u8 span_id[8];
	struct obi_conn_key conn; /* the connection carrying that request */
	__u32 exch_seq;		  /* and which exchange on it */
	__u8 trace_flags;
	__u8 pad[3];
};

/* Syscall front end: arguments stashed at sys_enter for sys_exit. */
enum obi_buf_kind { OBI_BUF_NONE = 0, OBI_BUF_PLAIN = 1, OBI_BUF_IOV = 2, OBI_BUF_MSG = 3 };

struct obi_io {
	__u64 ptr;   /* user buffer, iovec array or msghdr */
	__u32 count; /* iovec count */
	__u8 kind;   /* enum obi_buf_kind */
	__u8 egress; /* 1: the process sends */
	__u16 pad;
};

struct obi_sys_args {
	struct obi_io io;
	__s32 fd;
	__u32 pad;
};

/* Syscall front end: (tgid << 32 | fd) -> the socket that fd pointed to last time. */
struct obi_fd_cache_val {
	__u64 file;
	__u64 sk; /* 0: not a TCP socket */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024); /* resized by the probe */
} obi_events SEC(".maps");

/* Process events: rare, woken immediately, kept apart so a burst of HTTP cannot starve them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} obi_ctl_events SEC(".maps");

/*
 * Exact PID filter, the first check of every program, and so what every socket call on the
 * node pays: one bit per pid (as obi-probe sees pids) up to the kernel's PID_MAX_LIMIT (4 Mi,
 * 512 KiB). An array lookup is inlined by the verifier: no helper call and no hashing, where a
 * hash lookup was a call and a jhash per socket call of every process. obi-probe maps it
 * (BPF_F_MMAPABLE) and sets and clears bits with atomic operations, as the fork and exit hooks
 * do here, so neither side can lose the other's update to a word they share.
 * The compat object (no BPF atomics before 5.12) keeps a hash keyed by tgid.
 */
#ifndef OBI_COMPAT
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, OBI_PID_LIMIT / 64);
	__type(key, __u32);
	__type(value, __u64);
} obi_pids SEC(".maps");
#else
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
} obi_pids SEC(".maps");
#endif

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192); /* resized by the probe */
	__type(key, struct obi_conn_key);
	__type(value, struct obi_conn);
} obi_conns SEC(".maps");

/*
 * The server span the current thread is serving, in task-local storage (no hashing, freed with
 * the task). It is trusted only while its connection still holds that exchange: checked lazily
 * when the thread makes a client call, so nothing has to be deleted when the exchange ends.
 */
#ifndef OBI_COMPAT
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct obi_srv_span);
} obi_srv_spans SEC(".maps");
#else
/* Kernels before 5.11 have no task storage: the same record keyed by thread id. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct obi_srv_span);
} obi_srv_spans SEC(".maps");
#endif

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OBI_ST__MAX);
	__type(key, __u32);
	__type(value, __u64);
} obi_stats SEC(".maps");

/* Per-CPU state of the span and trace id generator (trace.bpf.h, obi_rng_take). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} obi_rng SEC(".maps");

/* A zeroed connection to start from: too large for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct obi_conn);
} obi_conn_zero SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct obi_sys_args);
} obi_sys_args SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct obi_fd_cache_val);
} obi_fd_cache SEC(".maps");

static __always_inline void obi_stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&obi_stats, &idx);

	if (v)
		*v += 1;
}

#ifndef OBI_COMPAT
static __always_inline __u64 *obi_pid_word(__u32 tgid)
{
	__u32 w = tgid / 64;

	return bpf_map_lookup_elem(&obi_pids, &w);
}

static __always_inline bool obi_pid_selected(__u32 tgid)
{
	__u64 *w = obi_pid_word(tgid);

	return w && (*w >> (tgid % 64) & 1);
}

/* A child of a selected process, selected before it runs (the fork hook). */
static __always_inline void obi_pid_select(__u32 tgid)
{
	__u64 *w = obi_pid_word(tgid);

	if (w)
		__sync_fetch_and_or(w, 1ULL << (tgid % 64));
}

static __always_inline void obi_pid_forget(__u32 tgid)
{
	__u64 *w = obi_pid_word(tgid);

	if (w)
		__sync_fetch_and_and(w, ~(1ULL << (tgid % 64)));
}
#else
static __always_inline bool obi_pid_selected(__u32 tgid)
{
	return bpf_map_lookup_elem(&obi_pids, &tgid) != NULL;
}

static __always_inline void obi_pid_select(__u32 tgid)
{
	__u32 flags = 2; /* inherited: the probe's own entries say 1 */

	bpf_map_update_elem(&obi_pids, &tgid, &flags, BPF_ANY);
}

static __always_inline void obi_pid_forget(__u32 tgid)
{
	bpf_map_delete_elem(&obi_pids, &tgid);
}
#endif

#endif /* OBI_MAPS_BPF_H */
