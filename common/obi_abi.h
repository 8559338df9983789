/* obi_abi.h: the kernel -> obi-probe record ABI, included by bpf/ and by user space alike. */
#ifndef OBI_ABI_H
#define OBI_ABI_H

/*
 * Compiled twice: by clang -target bpf (types from vmlinux_min.h) and by the host compiler
 * (types from <linux/types.h>). Fixed-width fields only, padding named, layout pinned by the
 * static asserts at the end so that a change breaks both builds at once.
 */
#ifndef __VMLINUX_MIN_H__
#include <linux/types.h>
#endif

#define OBI_ABI_VERSION 3

/* Upper bound of captured request-head bytes; the run-time size (config) is <= this. */
#define OBI_REQ_CAP_MAX 1024
/* Upper bound of captured response bytes (the head, as far as the run-time bound allows). */
#define OBI_RESP_CAP 1024
/* Pids the selection bitmap (obi_pids) covers: the kernel's PID_MAX_LIMIT on 64-bit. */
#define OBI_PID_LIMIT (4u * 1024 * 1024)

enum obi_rec_type {
	OBI_REC_HTTP = 1,   /* one request/response exchange on a TCP connection */
	OBI_REC_EXEC = 2,   /* a process called execve */
	OBI_REC_FORK = 3,   /* a selected process forked a new process (already selected in BPF) */
	OBI_REC_EXIT = 4,   /* a selected process exited */
	OBI_REC_LISTEN = 5, /* a socket entered TCP_LISTEN */
	OBI_REC__MAX,
};

/* Common header of every record. */
struct obi_rec_hdr {
	__u8 type;	  /* enum obi_rec_type */
	__u8 abi_version; /* OBI_ABI_VERSION */
	__u16 size;	  /* whole record, header and trailing bytes included */
	__u32 pid;	  /* tgid, as seen in obi-probe's PID namespace (pidns_inum) */
	__u32 tid;	  /* tid in whose context the exchange started, same view; 0 if none */
	__u32 netns;	  /* network namespace inode; 0 if unknown */
	__u64 ktime_ns;	  /* CLOCK_MONOTONIC at emission */
};

enum obi_role {
	OBI_ROLE_UNKNOWN = 0,
	OBI_ROLE_SERVER = 1, /* the selected process received the request */
	OBI_ROLE_CLIENT = 2, /* the selected process sent the request */
};

enum obi_http_flags {
	OBI_HTTP_F_TRACEPARENT = 1 << 0, /* trace id and parent came from an incoming traceparent */
	OBI_HTTP_F_NO_PAYLOAD = 1 << 1,	 /* some I/O had no user buffer (sendfile, io_uring...) */
	OBI_HTTP_F_CLOSED = 1 << 2,	 /* emitted because the connection closed */
	OBI_HTTP_F_SWEPT = 1 << 3,	 /* emitted by the idle sweep */
	OBI_HTTP_F_REQ_TRUNC = 1 << 4,	 /* the request head was longer than req_cap */
	OBI_HTTP_F_NO_RESPONSE = 1 << 5, /* no response byte was seen */
	OBI_HTTP_F_PARENT_LOCAL = 1 << 6, /* parent is a server span of the same thread */
	OBI_HTTP_F_TIMEOUT = 1 << 7,	  /* no response within ebpf.http_request_timeout */
	OBI_HTTP_F_CUT = 1 << 8,  /* response still flowing at ebpf.http_response_max_duration */
	OBI_HTTP_F_TAIL = 1 << 9, /* resp_tail holds the last bytes of the response */
	OBI_HTTP_F_SNAPPED = 1 << 10, /* final record of an exchange the sweep sent a snapshot of */
	/* Server exchange, traceparent tracking on, ids still the kernel's own: the kernel looks
	 * for the header only when the serving thread makes a client call (it then clears this
	 * flag); otherwise the enricher takes the trace id, parent and flags from the captured
	 * head's traceparent, if it holds a valid one. */
	OBI_HTTP_F_TP_HEAD = 1 << 11,
};

/*
 * One request/response exchange. Followed by req_cap request bytes, then resp_cap bytes.
 * SWEPT records are snapshots of an exchange that went quiet and may still continue: the same
 * (conn_id, exch_seq) comes again, final, when it ends (next request, close, cut).
 */
struct obi_rec_http {
	struct obi_rec_hdr hdr;
	__u64 conn_id;	     /* random per connection, stable over its exchanges */
	__u64 start_ns;	     /* first request byte seen (monotonic) */
	__u64 resp_start_ns; /* first response byte seen; 0 if none */
	__u64 end_ns;	     /* last byte of the exchange seen */
	__u64 req_bytes;
	__u64 resp_bytes;
	__u8 laddr[16]; /* local address; IPv4 as ::ffff:a.b.c.d */
	__u8 raddr[16]; /* remote address */
	__u16 lport;	/* host byte order */
	__u16 rport;
	__u8 role;	  /* enum obi_role */
	__u8 trace_flags; /* W3C trace flags */
	__u16 flags;	  /* enum obi_http_flags */
	__u8 trace_id[16];
	__u8 span_id[8];
	__u8 parent_span_id[8]; /* all zero: no parent */
	__u16 req_cap;		/* captured request-head bytes that follow */
	__u16 resp_cap;		/* captured response-head bytes after those */
	__u32 exch_seq;		/* exchange number on this connection, from 1 */
	/* The last min(8, resp_bytes) response bytes, oldest first, right-aligned (TAIL flag):
	 * where a chunked body's last chunk shows. */
	__u8 resp_tail[8];
};

/* EXEC, FORK, EXIT. */
struct obi_rec_proc {
	struct obi_rec_hdr hdr; /* pid: the process (tgid) */
	__u32 ppid;		/* parent tgid, same view as hdr.pid; 0 if not visible there */
	__u32 pad;
	char comm[16];
};

struct obi_rec_listen {
	struct obi_rec_hdr hdr; /* pid: the listener's tgid (process context) */
	__u16 port;
	__u16 family;
	__u32 pad;
};

/* Per-CPU counters kept by the BPF side; index into the `obi_stats` map. */
enum obi_bpf_stat {
	OBI_ST_HTTP_EMITTED = 0, /* exchanges written to the ring */
	OBI_ST_RB_DROPS,	 /* ring full: exchange lost */
	OBI_ST_PROC_DROPS,	 /* control ring full: process event lost */
	OBI_ST_CONN_FULL,	 /* connection table update failed */
	OBI_ST_NO_PAYLOAD,	 /* socket I/O whose user buffer was unreachable */
	OBI_ST_READ_ERR,	 /* bpf_probe_read_user failed */
	OBI_ST_SWEPT,		 /* snapshots of quiet exchanges sent by the idle sweep */
	OBI_ST_CLOSED,		 /* exchanges emitted on close */
	OBI_ST_TIMEOUTS,	 /* exchanges emitted without response on timeout */
	OBI_ST_RACES,		 /* a request started while another path was emitting: lost */
	OBI_ST_MAX_DURATION,	 /* exchanges ended by http_response_max_duration */
	OBI_ST__MAX,
};

#define OBI_STAT_NAMES                                                                             \
	{                                                                                          \
		"http_emitted", "ringbuf_drops", "proc_event_drops", "conn_table_full",            \
		    "no_payload", "read_errors", "swept", "closed", "timeouts", "races",           \
		    "max_duration"                                                                 \
	}

/* Read-only configuration written into .rodata before load. */
struct obi_bpf_cfg {
	__u32 req_cap;		  /* captured request-head bytes, <= OBI_REQ_CAP_MAX */
	__u32 wakeup_bytes;	  /* force a reader wakeup above this much unread data */
	__u64 sweep_idle_ns;	  /* emit a finished-looking exchange idle this long */
	__u64 request_timeout_ns; /* 0: off; else emit unanswered requests as timeouts */
	__u8 track_traceparent;	  /* scan request heads for traceparent */
	__u8 exec_events;	  /* emit EXEC records (selection by executable) */
	__u8 pad[2];
	__u32 resp_cap;	   /* captured response bytes, <= OBI_RESP_CAP */
	__u64 resp_max_ns; /* 0: off; else cut responses flowing longer than this */
	/* The PID namespace every pid in records and in obi_pids is seen from (its nsfs inode
	 * and its level); inum 0: the initial namespace, pids as the kernel keeps them. */
	__u32 pidns_inum;
	__u32 pidns_level;
};

#define OBI_ASSERT_LAYOUT(t, sz) _Static_assert(sizeof(struct t) == (sz), #t " size changed")

OBI_ASSERT_LAYOUT(obi_rec_hdr, 24);
OBI_ASSERT_LAYOUT(obi_rec_http, 160);
OBI_ASSERT_LAYOUT(obi_rec_proc, 48);
OBI_ASSERT_LAYOUT(obi_rec_listen, 32);
OBI_ASSERT_LAYOUT(obi_bpf_cfg, 48);
_Static_assert(__builtin_offsetof(struct obi_rec_http, trace_id) == 112, "trace_id moved");
_Static_assert(__builtin_offsetof(struct obi_rec_http, req_cap) == 144, "req_cap moved");
_Static_assert(__builtin_offsetof(struct obi_rec_http, resp_tail) == 152, "resp_tail moved");
_Static_assert((OBI_REQ_CAP_MAX & (OBI_REQ_CAP_MAX - 1)) == 0, "req cap must be a power of 2");
_Static_assert((OBI_RESP_CAP & (OBI_RESP_CAP - 1)) == 0, "resp cap must be a power of 2");

#endif /* OBI_ABI_H */
