/* k8s_podinfo.h: what the pod cache must keep for the probe's Kubernetes selectors. */
#ifndef OBI_K8S_PODINFO_H
#define OBI_K8S_PODINFO_H

#include <stdbool.h>

#include "config.h"

/* A pod label some discovery selector names (k8s_pod_labels): the cache must keep it. */
bool k8s_podinfo_wants_label(const struct obi_config *cfg, const char *key);
/* The same for pod annotations (k8s_pod_annotations). */
bool k8s_podinfo_wants_annotation(const struct obi_config *cfg, const char *key);

#endif /* OBI_K8S_PODINFO_H */
