/* k8s_ident.h: a pod container's owners, service identity and k8s.* resource attributes. */
#ifndef OBI_K8S_IDENT_H
#define OBI_K8S_IDENT_H

#include <stdbool.h>
#include <stddef.h>

#include "config_values.h"
#include "k8s_store.h"
#include "otlp_model.h"

struct k8s_ident {
	const struct k8s_store *st;
	const struct config_map *resource_labels; /* attribute -> "label1,label2" */
	const char *cluster_name;		  /* NULL or "" when unknown */
	/* The API refused ReplicaSets / Jobs (403, 404): OBI's name-suffix guess, warned once. */
	bool guess_rs, guess_job;
};

/* Owners by kind; the top owner (Deployment > ReplicaSet > StatefulSet > DaemonSet > CronJob > Job,
 * else the pod itself). Guessed names live in the buffers. */
struct k8s_owners {
	const char *deployment, *replicaset, *statefulset, *daemonset, *job, *cronjob;
	const char *top_kind, *top_name;
	char guess_dep[K8S_MAX_STR + 1], guess_cron[K8S_MAX_STR + 1];
	/* service.instance.id, built per call: unique per container, not worth caching (100,000
	 * pods x 2 containers x ~100 bytes of interned string and index slot) */
	char instance_id[3 * K8S_MAX_STR + 3];
	/* the pod spec's OTEL_RESOURCE_ATTRIBUTES, decoded in place; env_bad: it was malformed
	 * and adds nothing (the specification discards such a list whole) */
	char env[K8S_MAX_STR + 1];
	bool env_bad;
};

void k8s_ident_owners(const struct k8s_ident *id, const struct k8s_pod *p, struct k8s_owners *o);

/* namespace.pod.container into o->instance_id; returns it. */
const char *k8s_ident_instance(const struct k8s_pod_meta *m, struct k8s_owners *o);

/* OBI 1.14 precedence: container env, annotations, resource_labels, top owner / pod name. */
void k8s_ident_service(const struct k8s_ident *id, const struct k8s_pod_meta *m,
		       const struct k8s_owners *o, const char **name, const char **ns);

/*
 * Appends the k8s.* resource attributes of m (and service.name, service.namespace,
 * service.instance.id, extra resource_labels and resource.opentelemetry.io/ annotations) to
 * out[*n..cap). Strings are borrowed from the store and from o: valid until the store next
 * changes and while o lives. Returns the number appended.
 */
size_t k8s_ident_attrs(const struct k8s_ident *id, const struct k8s_pod_meta *m,
		       struct k8s_owners *o, struct otlp_attr *out, size_t *n, size_t cap);

#endif /* OBI_K8S_IDENT_H */
