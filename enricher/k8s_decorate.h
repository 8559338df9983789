/* k8s_decorate.h: a selected process's service and resource from its pod (the k8s cache). */
#ifndef OBI_K8S_DECORATE_H
#define OBI_K8S_DECORATE_H

#include <stdint.h>

struct k8s;
struct proc_entry;

/* Re-checked at most this often per process once decorated (the cache changes constantly on a
 * busy cluster; a pod's identity does not). Undecorated processes ask on every change. */
#define K8S_DECORATE_RECHECK_NS (5ULL * 1000000000ULL)

/*
 * Points p->svc at its pod's identity when the cache knows the container of p->cgroup: the
 * k8s.* attributes (and the pod's resource labels and annotations) ahead of the process's own
 * OTEL_RESOURCE_ATTRIBUTES in svc.resource_attrs (an earlier key wins), service.instance.id
 * namespace.pod.container, and the pod's service name and namespace unless the selector or the
 * process itself named the service (OBI 1.14). No-op when k is NULL. Never fails: without
 * memory the process keeps its previous identity.
 */
void k8s_decorate_proc(struct k8s *k, struct proc_entry *p, uint64_t now_ns);

#endif /* OBI_K8S_DECORATE_H */
