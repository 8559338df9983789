/* k8s_ident.c: exact owners through cached ReplicaSets/Jobs, service naming, attribute list. */
#include "k8s_ident.h"

#include <stdio.h>
#include <string.h>

#define K8S_RES_ANNOT "resource.opentelemetry.io/"

/* OBI's guess: the owner's name cut at its last '-' ("web-5d8f" -> "web"). */
static const char *k8s_guess(const char *name, char *buf)
{
	const char *dash = strrchr(name, '-');

	if (!dash || dash == name)
		return NULL;
	snprintf(buf, K8S_MAX_STR + 1, "%.*s", (int)(dash - name), name);
	return buf;
}

/* rec's controller when it is of kind want; else the guess when allowed and rec is unknown. */
static const char *k8s_parent(const struct k8s_other *rec, const char *want, bool guess,
			      const char *name, char *buf)
{
	if (rec)
		return rec->owner_kind && strcmp(rec->owner_kind, want) == 0 ? rec->owner_name
									     : NULL;
	return guess ? k8s_guess(name, buf) : NULL;
}

void k8s_ident_owners(const struct k8s_ident *id, const struct k8s_pod *p, struct k8s_owners *o)
{
	memset(o, 0, offsetof(struct k8s_owners, guess_dep));
	o->guess_dep[0] = o->guess_cron[0] = '\0';
	for (unsigned i = 0; i < p->n_owners; i++) {
		const char *k = p->owners[i].kind, *n = p->owners[i].name;

		if (strcmp(k, "ReplicaSet") == 0) {
			o->replicaset = n;
			o->deployment =
			    k8s_parent(k8s_store_other(id->st, K8S_REPLICASET, p->ns, n),
				       "Deployment", id->guess_rs, n, o->guess_dep);
		} else if (strcmp(k, "Job") == 0) {
			o->job = n;
			o->cronjob = k8s_parent(k8s_store_other(id->st, K8S_JOB, p->ns, n),
						"CronJob", id->guess_job, n, o->guess_cron);
		} else if (strcmp(k, "StatefulSet") == 0) {
			o->statefulset = n;
		} else if (strcmp(k, "DaemonSet") == 0) {
			o->daemonset = n;
		}
	}
	o->top_kind = o->deployment    ? "Deployment"
		      : o->replicaset  ? "ReplicaSet"
		      : o->statefulset ? "StatefulSet"
		      : o->daemonset   ? "DaemonSet"
		      : o->cronjob     ? "CronJob"
		      : o->job	       ? "Job"
				       : "Pod";
	o->top_name = o->deployment    ? o->deployment
		      : o->replicaset  ? o->replicaset
		      : o->statefulset ? o->statefulset
		      : o->daemonset   ? o->daemonset
		      : o->cronjob     ? o->cronjob
		      : o->job	       ? o->job
				       : p->name;
}

static const char *k8s_kv_find(const struct k8s_kv *kv, unsigned n, const char *k, size_t kl)
{
	for (unsigned i = 0; i < n; i++)
		if (strlen(kv[i].k) == kl && memcmp(kv[i].k, k, kl) == 0)
			return kv[i].v;
	return NULL;
}

/* The first label of the comma list spec present on the pod. */
static const char *k8s_label_first(const struct k8s_pod *p, const char *spec)
{
	for (const char *s = spec; s && *s;) {
		const char *e = strchr(s, ','), *v;

		if (!e)
			e = s + strlen(s);
		while (s < e && *s == ' ')
			s++;
		v = k8s_kv_find(p->labels, p->n_labels, s, (size_t)(e - s));
		if (v && *v)
			return v;
		s = *e ? e + 1 : e;
	}
	return NULL;
}

static const char *k8s_res_label(const struct k8s_ident *id, const struct k8s_pod *p,
				 const char *attr)
{
	if (!id->resource_labels)
		return NULL;
	for (unsigned i = 0; i < id->resource_labels->n; i++)
		if (strcmp(id->resource_labels->kv[i].k, attr) == 0)
			return k8s_label_first(p, id->resource_labels->kv[i].v);
	return NULL;
}

static const char *k8s_annot(const struct k8s_pod *p, const char *attr)
{
	char key[128];

	snprintf(key, sizeof(key), K8S_RES_ANNOT "%s", attr);
	return k8s_kv_find(p->annots, p->n_annots, key, strlen(key));
}

void k8s_ident_service(const struct k8s_ident *id, const struct k8s_pod_meta *m,
		       const struct k8s_owners *o, const char **name, const char **ns)
{
	const struct k8s_pod *p = m->pod;

	*name = m->env_svc_name;
	if (!*name)
		*name = k8s_annot(p, "service.name");
	if (!*name)
		*name = k8s_res_label(id, p, "service.name");
	if (!*name)
		*name = o->top_name;
	*ns = m->env_svc_ns;
	if (!*ns)
		*ns = k8s_annot(p, "service.namespace");
	if (!*ns)
		*ns = k8s_res_label(id, p, "service.namespace");
	if (!*ns)
		*ns = p->ns;
}

static void k8s_put(struct otlp_attr *out, size_t *n, size_t cap, const char *k, const char *v)
{
	if (v && *v && *n < cap)
		out[(*n)++] = (struct otlp_attr){.key = k, .type = OTLP_ATTR_STR, .v.s = v};
}

static bool k8s_is_service_key(const char *k)
{
	return strcmp(k, "service.name") == 0 || strcmp(k, "service.namespace") == 0;
}

/* resource_labels beyond service.name/namespace (deployment.environment, service.version...),
 * then resource.opentelemetry.io/ annotations, which win (OBI: later sources override). */
static void k8s_extra_attrs(const struct k8s_ident *id, const struct k8s_pod *p,
			    struct otlp_attr *out, size_t *n, size_t cap)
{
	for (unsigned i = 0; id->resource_labels && i < id->resource_labels->n; i++) {
		const char *k = id->resource_labels->kv[i].k;

		if (!k8s_is_service_key(k) && !k8s_annot(p, k))
			k8s_put(out, n, cap, k, k8s_label_first(p, id->resource_labels->kv[i].v));
	}
	for (unsigned i = 0; i < p->n_annots; i++) {
		const char *k = p->annots[i].k;

		/* The cache also keeps annotations discovery selectors name: not attributes. */
		if (strncmp(k, K8S_RES_ANNOT, sizeof(K8S_RES_ANNOT) - 1) != 0)
			continue;
		k += sizeof(K8S_RES_ANNOT) - 1;
		if (*k && !k8s_is_service_key(k))
			k8s_put(out, n, cap, k, p->annots[i].v);
	}
}

/* The pod spec's OTEL_RESOURCE_ATTRIBUTES entries beyond the service's own keys. They come
 * before labels and annotations: a duplicate key's first value wins on the resource, and OBI
 * ranks the container's environment above both (as for service.name). */
static void k8s_env_attrs(const struct k8s_pod_meta *m, struct k8s_owners *o, struct otlp_attr *out,
			  size_t *n, size_t cap)
{
	size_t first = *n, len = m->env_res_attrs ? strlen(m->env_res_attrs) : 0;
	char *save = NULL, *k, *v;

	o->env_bad = false;
	if (!len)
		return;
	if (len >= sizeof(o->env))
		goto bad;
	memcpy(o->env, m->env_res_attrs, len + 1);
	for (char *it = strtok_r(o->env, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		if (!otlp_res_item(it, &k, &v))
			goto bad;
		if (!k8s_is_service_key(k))
			k8s_put(out, n, cap, k, v);
	}
	return;
bad:
	*n = first;
	o->env_bad = true;
}

const char *k8s_ident_instance(const struct k8s_pod_meta *m, struct k8s_owners *o)
{
	snprintf(o->instance_id, sizeof(o->instance_id), "%s.%s.%s", m->pod->ns, m->pod->name,
		 m->name ? m->name : "");
	return o->instance_id;
}

size_t k8s_ident_attrs(const struct k8s_ident *id, const struct k8s_pod_meta *m,
		       struct k8s_owners *o, struct otlp_attr *out, size_t *n, size_t cap)
{
	const struct k8s_pod *p = m->pod;
	const char *svc, *svc_ns;
	size_t start = *n;

	k8s_ident_service(id, m, o, &svc, &svc_ns);
	k8s_put(out, n, cap, "service.name", svc);
	k8s_put(out, n, cap, "service.namespace", svc_ns);
	k8s_put(out, n, cap, "service.instance.id", k8s_ident_instance(m, o));
	k8s_put(out, n, cap, "k8s.namespace.name", p->ns);
	k8s_put(out, n, cap, "k8s.pod.name", p->name);
	k8s_put(out, n, cap, "k8s.container.name", m->name);
	k8s_put(out, n, cap, "k8s.node.name", p->node);
	k8s_put(out, n, cap, "k8s.pod.uid", p->uid);
	k8s_put(out, n, cap, "k8s.pod.start_time", p->start_time);
	k8s_put(out, n, cap, "k8s.cluster.name", id->cluster_name);
	k8s_put(out, n, cap, "k8s.owner.name", o->top_name);
	k8s_put(out, n, cap, "k8s.deployment.name", o->deployment);
	k8s_put(out, n, cap, "k8s.replicaset.name", o->replicaset);
	k8s_put(out, n, cap, "k8s.statefulset.name", o->statefulset);
	k8s_put(out, n, cap, "k8s.daemonset.name", o->daemonset);
	k8s_put(out, n, cap, "k8s.job.name", o->job);
	k8s_put(out, n, cap, "k8s.cronjob.name", o->cronjob);
	k8s_env_attrs(m, o, out, n, cap);
	k8s_extra_attrs(id, p, out, n, cap);
	return *n - start;
}
