/* enricher.h: obi-enricher's process state and the interfaces between its modules. */
#ifndef OBI_ENRICHER_H
#define OBI_ENRICHER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "emit.h"
#include "evloop.h"
#include "obi_abi.h"
#include "log.h"
#include "monotime.h"
#include "printer.h"
#include "span.h"
#include "span_peer.h"
#include "wire.h"

struct exch_hold;
struct k8s;
struct route_lc;
struct span_route;
struct span_filter;

/* A process the probe selected, with the service it maps to. */
struct proc_entry {
	struct proc_entry *next;
	uint32_t pid;
	uint32_t ns_pid;
	uint64_t start_unix_ns;
	uint64_t dead_since_ns; /* 0 while alive; kept a while for records still in flight */
	/* 1 + index in cfg.discovery.instrument (else .services) of the selector that matched;
	 * 0: the OTEL_EBPF_OPEN_PORT / AUTO_TARGET_EXE criteria (per-selector settings, later). */
	unsigned selector;
	struct span_service svc;
	char *name, *namespace_, *instance_id, *exe, *cmdline, *cgroup, *res_attrs;
	struct route_lc *route_lc; /* routes.unmatched low-cardinality state; NULL until used */
	/* Kubernetes decoration (k8s_decorate.c): whether the name and namespace came from the
	 * executable only (then the pod's identity replaces them), and the pod's copies (freed
	 * with the entry). */
	bool name_fallback, ns_fallback;
	char *k8s_res, *k8s_name, *k8s_ns, *k8s_inst;
	uint64_t k8s_gen, k8s_checked_ns;
};

#define PROC_TABLE_BUCKETS 4096

struct proc_table {
	struct proc_entry *b[PROC_TABLE_BUCKETS];
	unsigned n;
};

/* Counters of everything the enricher refused or lost; exported as metrics later. */
struct enricher_stats {
	uint64_t msgs, bad_msgs, records, bad_records, not_http, unknown_pid, spans;
	uint64_t snap_dups; /* finals of exchanges printed from their snapshot: dropped */
	uint64_t resp_cut;  /* spans printed as cut (obi.http.response.cut) */
	uint64_t pipelined, pipelined_approx; /* spans split from pipelined batches; inexactly */
	uint64_t hold_expired; /* held snapshots printed because their final never came */
	uint64_t probe[OBI_ST__MAX + OBI_PST__MAX];
};

/* k8s_podinfo.c: container ids the probe asked about that no pod ran yet (announced later). */
#define ENRICHER_POD_MISSED 256
struct enricher_pods {
	char missed[ENRICHER_POD_MISSED][65]; /* "" : free */
	unsigned next;			      /* the slot a new miss overwrites when full */
	uint64_t changes; /* k8s_changes() when the misses were last looked up */
	uint64_t queries, found, missed_n, unsent, trimmed;
};

struct enricher {
	struct obi_config cfg;
	struct proc_table procs;
	struct printer printer;
	struct enricher_stats st;
	struct exch_hold *hold; /* records.c: snapshots awaiting their final; NULL until needed */
	struct k8s *k8s;	/* Kubernetes metadata (k8s.c); NULL when decoration is off */
	struct k8s *peer_names; /* k8s when name_resolver.sources asks for k8s names, else NULL */
	struct span_peer_stats peers;
	struct span_route *routes;  /* routes.*, built once at start (span_route.c) */
	struct span_filter *filter; /* filter.application; NULL: every span passes */
	struct log_ratelimit bad_rl, drop_rl, conn_rl;
	struct emit emit; /* emit.c: sampler and sinks */
	char hostname[256];
	struct evloop loop;
	struct ev_io probe_io;	    /* the probe connection, when fd >= 0 */
	struct ev_timer tick;	    /* 1 s: process reaping, overdue held snapshots */
	struct ev_timer conn_timer; /* connect.c: the next connection attempt */
	long conn_delay_ms;	    /* connect.c: back-off of the next attempt */
	int fd;
	int inherited_fd; /* single host: the launcher's socketpair end until used, else -1 */
	bool single_host; /* no socket path: the inherited end is the only connection */
	pid_t launcher_pid;
	bool hello_ok, stop;
	int64_t mono_to_unix_ns;
	struct enricher_pods pods;
	uint8_t rbuf[OBI_WIRE_MAX_MSG];
};

/* k8s_podinfo.c: a POD_QUERY from the probe is answered at once from the cache. */
void enricher_pod_query(struct enricher *e, const struct wire_msg *m);
/* Announces the pods of earlier misses that the cache now knows. */
void enricher_pod_tick(struct enricher *e);

/* Flags of the one openat the sandbox allows at run time (the socket directory). */
#define ENRICHER_DIR_OPEN_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* confine.c: drops to the enricher's uid, clears capabilities, installs seccomp. 0 or -1. */
int enricher_confine(struct enricher *e);

/* connect.c: the connection to the probe: the launcher's socketpair end, or the socket path
 * through a checked directory, with the probe's credentials checked. */
int enricher_conn_init(struct enricher *e);
/* Starts connecting: an attempt now, then back-off timers until connected. On a single host
 * (one inherited end) a second call stops the loop: there is nothing to reconnect to. */
void enricher_connect_start(struct enricher *e);
void enricher_disconnect(struct enricher *e, const char *why);

/* messages.c: one validated message from the probe. Returns NULL, or why to disconnect. */
const char *enricher_on_message(struct enricher *e, const struct wire_msg *m);

/* proc_table.c */
void proc_table_init(struct proc_table *t);
void proc_table_clear(struct proc_table *t);
struct proc_entry *proc_table_get(struct proc_table *t, uint32_t pid);
/* Adds or replaces a process from a PROC_ADD message; names it per the config. */
int proc_table_put(struct proc_table *t, const struct wire_proc_view *v,
		   const struct obi_config *cfg, const char *hostname);
void proc_table_mark_dead(struct proc_table *t, uint32_t pid, uint64_t now_ns);
/* Frees processes dead for longer than grace_ns. */
void proc_table_reap(struct proc_table *t, uint64_t now_ns, uint64_t grace_ns);

/* records.c: validation of one RECORDS payload and span emission. */
void records_handle_batch(struct enricher *e, const uint8_t *p, size_t len);
/* Prints held snapshots whose final is overdue; run on the enricher's timer. */
void records_tick(struct enricher *e, uint64_t now_ns);
/* Prints what is still held (exchanges whose final never came) and frees it. */
void records_shutdown(struct enricher *e);

#endif /* OBI_ENRICHER_H */
