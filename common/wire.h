/* wire.h: the probe <-> enricher message framing over SOCK_SEQPACKET (the only framer). */
#ifndef OBI_WIRE_H
#define OBI_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* 2: PROC_ADD carries the language, the matched selector and its name overrides (48 bytes).
 * 3: POD_QUERY and POD_INFO (Kubernetes selection). */
#define OBI_WIRE_VERSION 3
#define OBI_WIRE_MAX_MSG (64 * 1024)
#define OBI_WIRE_MAGIC "OBI1"

/* Message types. Values are fixed forever; retired ones go to 1000+. */
enum obi_wire_type {
	OBI_MSG_HELLO = 1,     /* both ways, first message */
	OBI_MSG_PROC_ADD = 2,  /* probe -> enricher: facts about a selected process */
	OBI_MSG_PROC_DEL = 3,  /* probe -> enricher: the process exited */
	OBI_MSG_RECORDS = 4,   /* probe -> enricher: a batch of kernel records */
	OBI_MSG_STATS = 5,     /* probe -> enricher: counters */
	OBI_MSG_POD_QUERY = 6, /* probe -> enricher: which pod runs this container id */
	OBI_MSG_POD_INFO = 7,  /* enricher -> probe: the pod facts a selector needs (wire_pod.c) */
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

/* POD_QUERY payload. */
struct obi_wire_pod_query {
	char cid[64]; /* lower-case hex, as k8s_cgroup_container_id() gives it */
};

enum obi_wire_pod_flag {
	OBI_POD_FOUND = 1,  /* the facts follow */
	OBI_POD_NO_K8S = 2, /* decoration is off: no pod will ever be known */
};

/* The strings of a POD_INFO, in wire order. */
enum wire_pod_str {
	WIRE_POD_NS = 0,
	WIRE_POD_NAME,
	WIRE_POD_CONTAINER,
	WIRE_POD_DEPLOYMENT,
	WIRE_POD_REPLICASET,
	WIRE_POD_STATEFULSET,
	WIRE_POD_DAEMONSET,
	WIRE_POD_JOB,
	WIRE_POD_CRONJOB,
	WIRE_POD_OWNER, /* the top owner (k8s_owner_name) */
	WIRE_POD_NSTR,
};

#define OBI_WIRE_POD_STR_MAX 1024 /* any string, label key or value (the cache keeps no more) */
#define OBI_WIRE_POD_KV_MAX 32	  /* labels, and annotations, each */

/*
 * POD_INFO payload: followed by the strings (lens[] bytes each, no terminators, no NUL inside),
 * then nlabels + nannots pairs, each a uint16 key length, a uint16 value length, the key, the
 * value. Without OBI_POD_FOUND nothing follows and every length is 0.
 */
struct obi_wire_pod_info {
	char cid[64];
	uint32_t flags; /* enum obi_wire_pod_flag */
	uint16_t lens[WIRE_POD_NSTR];
	uint16_t nlabels, nannots;
	uint32_t pad;
};

_Static_assert(sizeof(struct obi_wire_pod_info) == 96, "pod info size");
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

/* A decoded POD_INFO: NUL-terminated copies in the caller's arena ("" when absent). */
struct wire_pod_kv {
	const char *k, *v;
};
struct wire_pod_view {
	char cid[65];
	uint32_t flags;
	const char *str[WIRE_POD_NSTR];
	unsigned nlabels, nannots;
	struct wire_pod_kv labels[OBI_WIRE_POD_KV_MAX], annots[OBI_WIRE_POD_KV_MAX];
};
/* The arena wire_get_pod_info needs for a payload of len bytes: one NUL per string. */
#define WIRE_POD_ARENA(len) ((len) + WIRE_POD_NSTR + 4 * OBI_WIRE_POD_KV_MAX)

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
/* wire_pod.c: POD_QUERY and POD_INFO. 64 lower-case hex digits? */
int wire_cid_valid(const char *cid, size_t n);
int wire_get_pod_query(const struct wire_msg *m, char cid[65]);
/* Checks every bound and length of a POD_INFO and copies it into arena (WIRE_POD_ARENA bytes). */
int wire_get_pod_info(const struct wire_msg *m, struct wire_pod_view *out, char *arena,
		      size_t arena_len);
/* Builds a POD_INFO payload from v (NULL strings: empty); its length, or -1 when a bound or
 * cap is exceeded. */
ssize_t wire_build_pod_info(uint8_t *out, size_t cap, const struct wire_pod_view *v);

/* OBI's name of a language ("generic" for unknown values). */
const char *wire_lang_name(unsigned lang);

/* CLOCK_REALTIME - CLOCK_MONOTONIC, now. */
int64_t wire_mono_to_unix_ns(void);

#endif /* OBI_WIRE_H */
