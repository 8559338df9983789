/* k8s_store.h: the metadata cache: pods, containers, services, nodes, owners, IP index. */
#ifndef OBI_K8S_STORE_H
#define OBI_K8S_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s_map.h"
#include "k8s_parse.h"

struct k8s_pod;

/* What an IP is: a pod (not host-network), a Service's cluster IP, or a Node address. */
struct k8s_peer {
	enum k8s_kind kind;	   /* K8S_POD, K8S_SERVICE or K8S_NODE */
	const char *name, *ns;	   /* ns NULL for nodes */
	const struct k8s_pod *pod; /* K8S_POD only */
};

/*
 * One container of a pod: what a process resolves to. Strings are interned and live while the
 * pod is cached (deleted pods: K8S_STORE_GRACE_NS more, so a process's last records are still
 * decorated).
 */
struct k8s_pod_meta {
	const struct k8s_pod *pod;
	const char *name, *id; /* container name, runtime id */
	/* OTEL_SERVICE_NAME (else service.name of OTEL_RESOURCE_ATTRIBUTES) and the namespace */
	const char *env_svc_name, *env_svc_ns;
	/* the spec's OTEL_RESOURCE_ATTRIBUTES as written (decoded when decorating: k8s_ident) */
	const char *env_res_attrs;
	uint64_t env_hash; /* of the raw env values: a MODIFIED event that changed nothing kept */
};

struct k8s_owner {
	const char *kind, *name;
};

/*
 * A pod. Strings shared between pods (namespace, node, owners, labels, container names) are
 * interned; those unique to one pod (uid, name, IPs, container ids) are not: the uid sits at the
 * end of this record, the rest in one exact-size block with the containers and the IP array
 * (docs/architecture.md: the cache layout and its bytes per pod).
 */
struct k8s_pod {
	const char *uid, *name, *ns, *node, *start_time; /* start_time: OBI's format */
	int64_t created;
	struct k8s_owner owners[K8S_MAX_OWNERS];
	struct k8s_kv *labels, *annots; /* one allocation: labels, then annotations */
	const char **ips;		/* n_ips entries, in the block */
	struct k8s_pod_meta *ctrs;	/* n_ctrs entries; the block starts with them */
	struct k8s_peer peer;
	uint8_t n_owners, n_labels, n_annots, n_ips, n_ctrs;
	bool deleted;
	uint32_t gen;
	uint64_t expire_ns;
	struct k8s_pod *next_dead;
	char uid_buf[]; /* uid points here */
};

/* A Service, Node, ReplicaSet or Job: name, namespace, IPs, owner, kept labels. */
struct k8s_other {
	enum k8s_kind kind;
	const char *key; /* "ns/name" (nodes: name) */
	const char *name, *ns;
	const char *owner_kind, *owner_name; /* controller owner (ReplicaSet -> Deployment ...) */
	const char *ips[K8S_MAX_IPS];
	struct k8s_kv *labels; /* kept labels only (nodes: cluster name, zone) */
	struct k8s_peer peer;
	uint8_t n_ips, n_labels;
	uint32_t gen;
};

#define K8S_STORE_GRACE_NS (60ULL * 1000000000ULL)

struct k8s_store {
	struct k8s_strtab strs;
	struct k8s_map pods;		  /* uid -> struct k8s_pod */
	struct k8s_map ctrs;		  /* container id -> struct k8s_pod_meta */
	struct k8s_map ips;		  /* IP -> struct k8s_peer */
	struct k8s_map others[K8S_KINDS]; /* key -> struct k8s_other (pods unused) */
	struct k8s_pod *dead;		  /* deleted pods waiting out their grace period */
	size_t bytes;			  /* objects and maps (strings: strs.bytes) */
	uint32_t gen[K8S_KINDS];	  /* relist generation */
	uint64_t changes;		  /* bumped on every change: callers' caches compare it */
	uint64_t n_pods, n_ctrs;
	uint64_t enomem; /* objects not cached for lack of memory */
};

void k8s_store_init(struct k8s_store *st);
void k8s_store_free(struct k8s_store *st);

/* ADDED/MODIFIED (upsert) and DELETED of a parsed object; now_ns for the deletion grace. */
int k8s_store_upsert(struct k8s_store *st, const struct k8s_obj *o);
void k8s_store_delete(struct k8s_store *st, const struct k8s_obj *o, uint64_t now_ns);

/* A relist: objects of kind not upserted between begin and end were deleted meanwhile. */
void k8s_store_relist_begin(struct k8s_store *st, enum k8s_kind kind);
void k8s_store_relist_end(struct k8s_store *st, enum k8s_kind kind, uint64_t now_ns);

/* Frees deleted pods whose grace ran out. */
void k8s_store_expire(struct k8s_store *st, uint64_t now_ns);

const struct k8s_pod_meta *k8s_store_container(const struct k8s_store *st, const char *id);
const struct k8s_peer *k8s_store_ip(const struct k8s_store *st, const char *ip);
const struct k8s_other *k8s_store_other(const struct k8s_store *st, enum k8s_kind kind,
					const char *ns, const char *name);

/* Memory held: strings, objects and index slots. */
size_t k8s_store_bytes(const struct k8s_store *st);

/* Go's time.Time.String() of a UTC instant: "2026-02-06 15:28:19 +0000 UTC". */
void k8s_format_time(int64_t t, char out[40]);

#endif /* OBI_K8S_STORE_H */
