/* k8s_parse.h: Kubernetes API objects (cJSON) reduced to the few fields decoration uses. */
#ifndef OBI_K8S_PARSE_H
#define OBI_K8S_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum k8s_kind { K8S_POD, K8S_SERVICE, K8S_NODE, K8S_REPLICASET, K8S_JOB, K8S_KINDS };

enum k8s_event_type {
	K8S_EV_ADDED,
	K8S_EV_MODIFIED,
	K8S_EV_DELETED,
	K8S_EV_BOOKMARK,
	K8S_EV_ERROR,
};

/* Fixed bounds: a pod past them keeps its first entries (the rest is counted, not kept). */
#define K8S_MAX_OWNERS 4
#define K8S_MAX_IPS 8
#define K8S_MAX_CTRS 16
#define K8S_MAX_KV 16
#define K8S_MAX_STR 1024 /* longest kept string (label values are <= 63 by the API's rules) */

struct k8s_kv {
	const char *k, *v;
};

struct k8s_owner_ref {
	const char *kind, *name;
	bool controller;
};

/* A container: its runtime id (scheme "containerd://" cut) joined by name with its spec env. */
struct k8s_ctr_ref {
	const char *name, *id;
	const char *env_service_name, *env_res_attrs, *env_service_ns;
};

/* Every string borrows the cJSON tree it was parsed from. */
struct k8s_obj {
	enum k8s_kind kind;
	const char *name, *ns, *uid, *rv;
	int64_t created; /* creationTimestamp, Unix seconds; -1 when missing or malformed */
	struct k8s_owner_ref owners[K8S_MAX_OWNERS];
	unsigned n_owners;
	struct k8s_kv labels[K8S_MAX_KV], annots[K8S_MAX_KV];
	unsigned n_labels, n_annots;
	/* pods: */
	const char *node_name, *host_ip;
	struct k8s_ctr_ref ctrs[K8S_MAX_CTRS];
	unsigned n_ctrs;
	/* pods (status.podIPs minus the host's), services (spec.clusterIPs), nodes (addresses): */
	const char *ips[K8S_MAX_IPS];
	unsigned n_ips;
	unsigned truncated; /* entries past the fixed bounds or K8S_MAX_STR, dropped */
};

/* Which labels to keep (the rest of an object's labels is dropped while parsing). */
typedef bool (*k8s_label_want_fn)(void *data, enum k8s_kind kind, const char *key);

struct k8s_parse_opts {
	k8s_label_want_fn want_label;
	/* Annotations beyond resource.opentelemetry.io/ (always kept) that a pod must keep. */
	k8s_label_want_fn want_annot;
	void *data;
};

/* 0, or -EINVAL when o is not an object of that kind (no name, wrong types): counted. */
int k8s_parse_obj(const cJSON *o, enum k8s_kind kind, const struct k8s_parse_opts *opts,
		  struct k8s_obj *out);

/*
 * A watch event: type, the object node (for BOOKMARK: its metadata.resourceVersion is all),
 * for ERROR the Status code (410 Gone: relist). 0 or -EINVAL.
 */
struct k8s_event {
	enum k8s_event_type type;
	const cJSON *object;
	int code;
	/* BOOKMARK annotated k8s.io/initial-events-end: "true": a streaming list's end */
	bool initial_end;
};
int k8s_parse_event(const cJSON *root, struct k8s_event *ev);

/* RFC 3339 "2026-02-06T15:28:19Z" (offsets and fractions accepted) -> Unix seconds, or -1. */
int64_t k8s_parse_time(const char *s);

/*
 * Before cJSON builds a tree of an element: its member "managedFields" (server-side apply's
 * bookkeeping, never used, often half of a real object) cut from the text. Returns the text to
 * parse and its length in *n: text itself when there is nothing to cut (or it is not where a
 * member can be), else a copy in buf (grown as needed; freed with k8s_strip_free).
 */
struct k8s_strip_buf {
	char *p;
	size_t cap;
};
const char *k8s_strip_unused(struct k8s_strip_buf *buf, const char *text, size_t *n);
void k8s_strip_free(struct k8s_strip_buf *buf);

/* A List's metadata: resourceVersion and continue token (NULL when absent). */
void k8s_parse_list_meta(const cJSON *meta, const char **rv, const char **cont);

#endif /* OBI_K8S_PARSE_H */
