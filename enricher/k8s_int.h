/* k8s_int.h: the state shared by k8s.c and k8s_watch.c (one struct k8s per enricher). */
#ifndef OBI_K8S_INT_H
#define OBI_K8S_INT_H

#include <curl/curl.h>

#include "k8s.h"
#include "k8s_arena.h"
#include "k8s_config.h"
#include "k8s_jsplit.h"
#include "log.h"
#include "otlp_curl.h"

enum k8s_wstate { K8S_W_OFF, K8S_W_LIST, K8S_W_WATCH, K8S_W_BACKOFF, K8S_W_DISABLED };

/* One resource's list+watch loop. */
struct k8s_watch {
	struct k8s *k;
	enum k8s_kind kind;
	const char *resource; /* "pods", for messages and RBAC hints */
	const char *path;     /* "/api/v1/pods" */
	char *selector;	      /* fieldSelector, URL-escaped, or NULL */
	enum k8s_wstate state;
	CURL *easy;
	struct curl_slist *hdrs;
	struct k8s_jsplit split;
	struct k8s_strip_buf strip; /* an element with managedFields cut */
	struct k8s_arena arena;	    /* the tree of the element being read */
	char rv[64], cont[2048];
	long code;	 /* HTTP status of the transfer in progress */
	char body[1024]; /* start of a non-200 body (the Status message) */
	size_t body_len;
	long retry_after;  /* seconds, from a 429/503 */
	bool synced, gone; /* gone: a 410 arrived, relist */
	bool listing_open; /* a relist generation was begun */
	/* The streaming list (sendInitialEvents): tried first, off for good once the server
	 * refuses it; initial: its initial events are being read (the list part of it). */
	bool stream_list, initial;
	unsigned failures;
	struct ev_timer retry;
	uint64_t events, lists, stream_lists, relists, bookmarks, errors, bad_json;
};

struct k8s {
	struct evloop *loop;
	const struct obi_config *cfg;
	struct otlp_curl curl;
	struct k8s_conn conn;
	struct k8s_store st;
	struct k8s_ident ident;
	struct k8s_watch w[K8S_KINDS];
	char *node_name, *cluster_name;
	struct ev_timer sync_timer, expire_timer;
	bool sync_timed_out;
	char auth[8192]; /* "Authorization: Bearer ..." (never logged) */
	struct log_ratelimit rl;
	uint64_t bad_env; /* decorations whose pod spec OTEL_RESOURCE_ATTRIBUTES was malformed */
	uint64_t rnd; /* xorshift state for back-off jitter, seeded by getrandom: agents differ */
};

/* Uniform in [0, 1). */
double k8s_rand01(struct k8s *k);

#define k8s_warn_rl(k, fmt, ...)                                                                   \
	log_ratelimited(&(k)->rl, evloop_now((k)->loop), LOG_LVL_WARN, fmt, ##__VA_ARGS__)

/* 0 or -ENOMEM; the watch starts at once (k8s_watch_start). */
int k8s_watch_init(struct k8s_watch *w, struct k8s *k, enum k8s_kind kind);
void k8s_watch_start(struct k8s_watch *w);
void k8s_watch_free(struct k8s_watch *w);
/* otlp_curl's done callback: easy's CURLINFO_PRIVATE is its watch. */
void k8s_watch_done(struct otlp_curl *c, CURL *easy, CURLcode result, void *data);
/* A kept label (resource_labels' sources, node cluster-name and zone labels). */
bool k8s_want_label(void *data, enum k8s_kind kind, const char *key);
/* Pod annotations a discovery selector names (k8s_pod_annotations). */
bool k8s_want_annot(void *data, enum k8s_kind kind, const char *key);

#endif /* OBI_K8S_INT_H */
