/* k8s.h: Kubernetes metadata decoration: the public face of the k8s_* modules. */
#ifndef OBI_K8S_H
#define OBI_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "evloop.h"
#include "k8s_config.h"
#include "k8s_ident.h"
#include "k8s_store.h"
#include "otlp_model.h"

struct k8s;

/*
 * Starts list+watch of pods, services, nodes, replicasets and jobs on loop (libcurl multi
 * through otlp_curl), per attributes.kubernetes. *out stays NULL and 0 is returned when
 * decoration is off (enable=false, or autodetect without a kubeconfig or in-cluster service
 * account). -errno with err filled when it is on and cannot start (bad kubeconfig, exec plugin).
 * curl_global_init must have run.
 */
int k8s_new(struct k8s **out, struct evloop *loop, const struct obi_config *cfg, char *err,
	    size_t errlen);
void k8s_free(struct k8s *k);

/*
 * The pod container of a process, from its /proc/PID/cgroup text (as struct proc_entry.cgroup
 * carries it); NULL when not a container or its pod is not (yet) known. A process seen before
 * its pod resolves on a later call once the pod arrived: callers that cache the answer compare
 * k8s_changes() to know when to ask again. Pointers are valid until the k8s module next runs
 * on the loop (deleted pods keep answering for K8S_STORE_GRACE_NS).
 */
const struct k8s_pod_meta *k8s_lookup_cgroup(struct k8s *k, const char *cgroup);
const struct k8s_pod_meta *k8s_lookup_container(struct k8s *k, const char *container_id);
/* What an IP (text form) is: pod, Service or Node; NULL when none. */
const struct k8s_peer *k8s_lookup_ip(struct k8s *k, const char *ip);
/* A peer pod's service name and namespace (OBI 1.14 precedence, its first container). */
void k8s_peer_service(struct k8s *k, const struct k8s_peer *p, const char **name, const char **ns);

/*
 * Appends the resource attributes of m (k8s.*, service.name/namespace/instance.id, extra
 * resource_labels and resource.opentelemetry.io/ annotations) to out[*n..cap); scratch holds
 * guessed owner names and must live as long as out is used. Returns the number appended.
 */
size_t k8s_resource_attrs(struct k8s *k, const struct k8s_pod_meta *m, struct k8s_owners *scratch,
			  struct otlp_attr *out, size_t *n, size_t cap);

/* Where the API server is and the files authenticating to it (what the sandbox must allow). */
const struct k8s_conn *k8s_connection(const struct k8s *k);

/* Bumped on every cache change. */
uint64_t k8s_changes(const struct k8s *k);
/* Every started watch finished its first list (or informers_sync_timeout passed). */
bool k8s_ready(const struct k8s *k);

struct k8s_stats {
	uint64_t pods, containers, strings, bytes;
	uint64_t events, lists, relists, bookmarks, errors, bad_json, oversized, enomem, bad_env;
};
void k8s_get_stats(const struct k8s *k, struct k8s_stats *s);

#endif /* OBI_K8S_H */
