/* k8s_decorate.c: a selected process's service and resource from its pod (the k8s cache). */
#include "k8s_decorate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enricher.h"
#include "k8s.h"

#define K8S_DECORATE_ATTRS 64

/* The value as text (resource attributes in this form are strings; k8s' are all strings). */
static void k8s_dec_value(const struct otlp_attr *a, char *buf, size_t len, const char **out)
{
	switch (a->type) {
	case OTLP_ATTR_STR:
		*out = a->v.s ? a->v.s : "";
		return;
	case OTLP_ATTR_INT:
		snprintf(buf, len, "%" PRId64, a->v.i);
		break;
	case OTLP_ATTR_BOOL:
		snprintf(buf, len, "%s", a->v.b ? "true" : "false");
		break;
	default:
		snprintf(buf, len, "%g", a->v.d);
	}
	*out = buf;
}

static char *k8s_dec_take(char **slot, const char *v)
{
	char *c = strdup(v ? v : "");

	if (c) {
		free(*slot);
		*slot = c;
	}
	return c ? c : *slot;
}

/* The resource string: the pod's attributes, then the process's own list. NULL: no memory. */
static char *k8s_dec_resource(struct proc_entry *p, const struct otlp_attr *a, size_t n)
{
	size_t cap = strlen(p->res_attrs) + 2;
	char num[32], *s, *w;
	const char *v;

	for (size_t i = 0; i < n; i++) {
		k8s_dec_value(&a[i], num, sizeof(num), &v);
		cap += 3 * (strlen(a[i].key) + strlen(v)) + 2;
	}
	s = w = malloc(cap);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(a[i].key, "service.name") || !strcmp(a[i].key, "service.namespace") ||
		    !strcmp(a[i].key, "service.instance.id"))
			continue; /* carried by svc's own fields */
		k8s_dec_value(&a[i], num, sizeof(num), &v);
		if (w != s)
			*w++ = ',';
		w = otlp_res_escape(w, a[i].key);
		*w++ = '=';
		w = otlp_res_escape(w, v);
	}
	if (*p->res_attrs && w != s)
		*w++ = ',';
	memcpy(w, p->res_attrs, strlen(p->res_attrs) + 1); /* cap counted it and its NUL */
	return s;
}

static void k8s_dec_identity(struct proc_entry *p, const struct otlp_attr *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].type != OTLP_ATTR_STR || !a[i].v.s || !*a[i].v.s)
			continue;
		if (!strcmp(a[i].key, "service.name") && p->name_fallback)
			p->svc.name = k8s_dec_take(&p->k8s_name, a[i].v.s);
		else if (!strcmp(a[i].key, "service.namespace") && p->ns_fallback)
			p->svc.namespace_ = k8s_dec_take(&p->k8s_ns, a[i].v.s);
		else if (!strcmp(a[i].key, "service.instance.id"))
			p->svc.instance_id = k8s_dec_take(&p->k8s_inst, a[i].v.s);
	}
}

void k8s_decorate_proc(struct k8s *k, struct proc_entry *p, uint64_t now_ns)
{
	struct otlp_attr attrs[K8S_DECORATE_ATTRS];
	struct k8s_owners *scratch;
	const struct k8s_pod_meta *m;
	uint64_t gen;
	size_t n = 0;
	char *res;

	if (!k || !p->cgroup || !*p->cgroup)
		return;
	gen = k8s_changes(k) + 1; /* + 1: 0 is "never looked" */
	if (p->k8s_gen == gen ||
	    (p->k8s_res && now_ns - p->k8s_checked_ns < K8S_DECORATE_RECHECK_NS))
		return;
	p->k8s_gen = gen;
	/* Before every watch synced (nodes carry k8s.cluster.name, replicasets and jobs the exact
	 * owners) a decoration is provisional: the next change re-checks it, unthrottled. */
	p->k8s_checked_ns = k8s_ready(k) ? now_ns : 0;
	m = k8s_lookup_cgroup(k, p->cgroup);
	scratch = m ? calloc(1, sizeof(*scratch)) : NULL;
	if (!scratch)
		return;
	k8s_resource_attrs(k, m, scratch, attrs, &n, K8S_DECORATE_ATTRS);
	res = k8s_dec_resource(p, attrs, n);
	if (res) {
		free(p->k8s_res);
		p->k8s_res = res;
		p->svc.resource_attrs = res;
		k8s_dec_identity(p, attrs, n);
	}
	free(scratch);
}
