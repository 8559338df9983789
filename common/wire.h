/* wire.h: the probe <-> enricher message framing over SOCK_SEQPACKET (the only framer). */
#ifndef OBI_WIRE_H
#define OBI_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* 2: PROC_ADD carries the language, the matched selector and its name overrides (48 bytes). */
#define OBI_WIRE_VERSION 2
#define OBI_WIRE_MAX_MSG (64 * 1024)
#define OBI_WIRE_MAGIC "OBI1"

/* Message types. Values are fixed forever; retired ones go to 1000+. */
enum obi_wire_type {
	OBI_MSG_HELLO = 1,    /* both ways, first message */
	OBI_MSG_PROC_ADD = 2, /* probe -> enricher: facts about a selected process */
	OBI_MSG_PROC_DEL = 3, /* probe -> enricher: the process exited */
	OBI_MSG_RECORDS = 4,  /* probe -> enricher: a batch of kernel records */
	OBI_MSG_STATS = 5,    /* probe -> enricher: counters */
	OBI_MSG__MAX,
};

enum obi_wire_role { OBI_WIRE_ROLE_PROBE = 1, OBI_WIRE_ROLE_ENRICHER = 2 };

struct obi_wire_hdr {
	uint32_t type;
	uint32_t len; /* whole message, header included */
	uint32_t seq;
	uint32_t flags; /* must be 0 */
};

struct obi_wire_hello {
	char magic[4];
	uint16_t wire_version;
	uint16_t abi_version;
	uint32_t role;
	uint32_t pid;
	int64_t mono_to_unix_ns; /* add to CLOCK_MONOTONIC to get Unix time (probe's clocks) */
	uint32_t max_msg;
	uint32_t pad;
};

/* Followed by the strings, in this order, without terminators. */
struct obi_wire_proc {
	uint32_t pid;	 /* host pid */
	uint32_t ns_pid; /* pid in its own namespace */
	uint32_t ppid;	 /* host parent pid */
	uint32_t flags;
	uint64_t start_unix_ns;
	uint16_t exe_len;
	uint16_t cmdline_len; /* arguments separated by NUL as in /proc/PID/cmdline */
	uint16_t cgroup_len;
	uint16_t svc_name_len;	/* OTEL_SERVICE_NAME from the process environment */
	uint16_t res_attrs_len; /* OTEL_RESOURCE_ATTRIBUTES from the process environment */
	uint16_t svc_ns_len;	/* OTEL_SERVICE_NAMESPACE from the process environment */
	uint16_t sel_name_len;	/* `name` of the discovery selector that matched */
	uint16_t sel_ns_len;	/* `namespace` of the discovery selector that matched */
	/*
	 * Which selector matched: 1 + its index in the selector list in use (discovery.instrument,
	 * else discovery.services); 0: the OTEL_EBPF_OPEN_PORT / AUTO_TARGET_EXE criteria.
	 */
	uint16_t selector;
	uint8_t language; /* enum obi_wire_lang */
	uint8_t pad[5];
};

/* telemetry.sdk.language of a process as the probe detected it. Values are fixed forever. */
enum obi_wire_lang {
	OBI_LANG_UNKNOWN = 0, /* not examined yet (a fork described by its parent's facts) */
	OBI_LANG_GENERIC,
	OBI_LANG_GO,
	OBI_LANG_JAVA,
	OBI_LANG_PYTHON,
	OBI_LANG_NODEJS,
	OBI_LANG_RUBY,
	OBI_LANG_DOTNET,
	OBI_LANG_RUST,
	OBI_LANG_PHP,
	OBI_LANG__MAX,
};

#define OBI_WIRE_EXE_MAX 4096
#define OBI_WIRE_CMDLINE_MAX 4096
#define OBI_WIRE_CGROUP_MAX 2048
#define OBI_WIRE_SVC_MAX 512
#define OBI_WIRE_RES_MAX 4096
#define OBI_WIRE_NS_MAX 512 /* any namespace string */

struct obi_wire_pid {
	uint32_t pid;
	uint32_t pad;
};

/* Followed by n uint64 counters: the BPF ones (enum obi_bpf_stat) then enum obi_wire_probe_stat. */
struct obi_wire_stats {
	uint32_t n;
	uint32_t pad;
};

enum obi_wire_probe_stat {
	OBI_PST_QUEUE_DROPPED_RECORDS = 0, /* records lost because the send queue was full */
	OBI_PST_BAD_RECORDS,		   /* malformed kernel records */
	OBI_PST_SELECTED,		   /* processes selected now */
	OBI_PST_DELIVERED_RECORDS,   /* records written into (or queued ahead for) the socket */
	OBI_PST_NO_ENRICHER_RECORDS, /* records lost while no enricher had said hello */
	OBI_PST_DISCONNECT_RECORDS,  /* pending batch + send queue when an enricher went */
	OBI_PST__MAX,
};

_Static_assert(sizeof(struct obi_wire_hdr) == 16, "wire header size");
_Static_assert(sizeof(struct obi_wire_hello) == 32, "hello size");
_Static_assert(sizeof(struct obi_wire_proc) == 48, "proc size");

/* A received, validated message: payload points into the caller's buffer. */
struct wire_msg {
	uint32_t type;
	uint32_t seq;
	const uint8_t *payload;
	size_t len; /* payload bytes */
};

/* A process description decoded from PROC_ADD; strings point into the message. */
struct wire_proc_view {
	struct obi_wire_proc fixed;
	const char *exe, *cmdline, *cgroup, *svc_name, *res_attrs, *svc_ns, *sel_name, *sel_ns;
};

/* The strings of a PROC_ADD being built (NULL: empty); cmdline holds NULs, hence its length. */
struct wire_proc_parts {
	const char *exe, *cmdline, *cgroup, *svc_name, *res_attrs, *svc_ns, *sel_name, *sel_ns;
	size_t cmdline_len;
};

/* Far below any -errno, so that wire_recv's two kinds of failure cannot be confused. */
enum wire_err {
	WIRE_OK = 0,
	WIRE_ESHORT = -10001,	/* shorter than a header, or than its len */
	WIRE_ELEN = -10002,	/* len outside the bounds of its type */
	WIRE_ETYPE = -10003,	/* unknown type, or not allowed in this direction */
	WIRE_EFLAGS = -10004,	/* reserved bits set */
	WIRE_ETRUNC = -10005,	/* datagram larger than the buffer */
	WIRE_EPAYLOAD = -10006, /* payload inconsistent (string lengths, counts) */
};

const char *wire_strerror(int err);

/* Checks a datagram received from a peer of role `from`; fills m on success. */
int wire_validate(const uint8_t *buf, size_t n, enum obi_wire_role from, struct wire_msg *m);
/* Receives one datagram into buf (OBI_WIRE_MAX_MSG) and validates it. Returns 1 with a
 * message, 0 on EOF, -EAGAIN, another -errno, or a WIRE_E* (< 0, distinguish with
 * wire_is_proto_err). */
int wire_recv(int fd, uint8_t *buf, enum obi_wire_role from, struct wire_msg *m);
int wire_is_proto_err(int rc);
/* Writes header + payload into out (cap bytes); returns the message length or -1. */
ssize_t wire_encode(uint8_t *out, size_t cap, uint32_t type, uint32_t seq, const void *payload,
		    size_t len);
/* Sends one message; 0, -EAGAIN or -errno. */
int wire_send(int fd, uint32_t type, uint32_t seq, const void *payload, size_t len);

void wire_hello_init(struct obi_wire_hello *h, enum obi_wire_role role, int64_t mono_to_unix_ns);
/* Exact-size accessors: handlers never see raw bytes. */
int wire_get_hello(const struct wire_msg *m, struct obi_wire_hello *out);
int wire_get_proc(const struct wire_msg *m, struct wire_proc_view *out);
int wire_get_pid(const struct wire_msg *m, uint32_t *pid);
/* Builds a PROC_ADD payload; returns its length or -1 if it does not fit. */
ssize_t wire_build_proc(uint8_t *out, size_t cap, const struct obi_wire_proc *fixed,
			const char *exe, const char *cmdline, size_t cmdline_len,
			const char *cgroup, const char *svc_name, const char *res_attrs);
/* The same with every string (fixed->selector and ->language are kept); length or -1. */
ssize_t wire_build_proc_parts(uint8_t *out, size_t cap, const struct obi_wire_proc *fixed,
			      const struct wire_proc_parts *parts);
/* OBI's name of a language ("generic" for unknown values). */
const char *wire_lang_name(unsigned lang);

/* CLOCK_REALTIME - CLOCK_MONOTONIC, now. */
int64_t wire_mono_to_unix_ns(void);

#endif /* OBI_WIRE_H */
