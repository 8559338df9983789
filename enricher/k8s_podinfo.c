/* k8s_podinfo.c: answers the probe's POD_QUERY (which pod runs container id X) with the pod
 * facts its selectors need, and announces later a pod that was not cached when asked. */
#include <string.h>

#include "enricher.h"
#include "k8s.h"
#include "k8s_int.h"
#include "k8s_podinfo.h"

static bool k8s_podinfo_list_wants(const struct config_objlist *ol, const char *key, bool annot)
{
	for (unsigned i = 0; i < ol->n; i++) {
		const struct config_selector *c =
		    config_objlist_at(ol, sizeof(struct config_selector), i);
		const struct config_map *m = annot ? &c->k8s_pod_annotations : &c->k8s_pod_labels;

		for (unsigned j = 0; j < m->n; j++)
			if (strcmp(m->kv[j].k, key) == 0)
				return true;
	}
	return false;
}

static bool k8s_podinfo_wants(const struct obi_config *cfg, const char *key, bool annot)
{
	const struct config_discovery *d = &cfg->discovery;
	const struct config_objlist *l[] = {
	    &d->instrument, &d->exclude_instrument, &d->default_exclude_instrument,
	    &d->services,   &d->exclude_services,   &d->default_exclude_services};

	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++)
		if (k8s_podinfo_list_wants(l[i], key, annot))
			return true;
	return false;
}

bool k8s_podinfo_wants_label(const struct obi_config *cfg, const char *key)
{
	return k8s_podinfo_wants(cfg, key, false);
}

bool k8s_podinfo_wants_annotation(const struct obi_config *cfg, const char *key)
{
	return k8s_podinfo_wants(cfg, key, true);
}

/* One answer at most: the builder stops at the wire's payload bound. */
static uint8_t k8s_podinfo_buf[OBI_WIRE_MAX_MSG - sizeof(struct obi_wire_hdr)];

static void k8s_podinfo_fill(struct k8s *k, const struct k8s_pod_meta *pm, struct k8s_owners *o,
			     struct wire_pod_view *v)
{
	const struct k8s_pod *pod = pm->pod;

	k8s_ident_owners(&k->ident, pod, o);
	v->flags = OBI_POD_FOUND;
	v->str[WIRE_POD_NS] = pod->ns;
	v->str[WIRE_POD_NAME] = pod->name;
	v->str[WIRE_POD_CONTAINER] = pm->name;
	v->str[WIRE_POD_DEPLOYMENT] = o->deployment;
	v->str[WIRE_POD_REPLICASET] = o->replicaset;
	v->str[WIRE_POD_STATEFULSET] = o->statefulset;
	v->str[WIRE_POD_DAEMONSET] = o->daemonset;
	v->str[WIRE_POD_JOB] = o->job;
	v->str[WIRE_POD_CRONJOB] = o->cronjob;
	v->str[WIRE_POD_OWNER] = o->top_name;
	v->nlabels = pod->n_labels < OBI_WIRE_POD_KV_MAX ? pod->n_labels : OBI_WIRE_POD_KV_MAX;
	v->nannots = pod->n_annots < OBI_WIRE_POD_KV_MAX ? pod->n_annots : OBI_WIRE_POD_KV_MAX;
	for (unsigned i = 0; i < v->nlabels; i++)
		v->labels[i] = (struct wire_pod_kv){pod->labels[i].k, pod->labels[i].v};
	for (unsigned i = 0; i < v->nannots; i++)
		v->annots[i] = (struct wire_pod_kv){pod->annots[i].k, pod->annots[i].v};
}

/* Sends what is known of cid (pm NULL: no such pod); false when it could not be sent. */
static bool k8s_podinfo_send(struct enricher *e, const char *cid, const struct k8s_pod_meta *pm)
{
	struct wire_pod_view v = {.flags = e->k8s ? 0 : OBI_POD_NO_K8S};
	struct k8s_owners o;
	ssize_t n;

	memcpy(v.cid, cid, 65);
	if (pm)
		k8s_podinfo_fill(e->k8s, pm, &o, &v);
	n = wire_build_pod_info(k8s_podinfo_buf, sizeof(k8s_podinfo_buf), &v);
	while (n < 0 && pm && (v.nannots || v.nlabels)) {
		/* Too large for one message: annotations go first, then labels (counted). */
		e->pods.trimmed++;
		if (v.nannots)
			v.nannots--;
		else
			v.nlabels--;
		n = wire_build_pod_info(k8s_podinfo_buf, sizeof(k8s_podinfo_buf), &v);
	}
	if (n < 0 || e->fd < 0 ||
	    wire_send(e->fd, OBI_MSG_POD_INFO, 0, k8s_podinfo_buf, (size_t)n) != 0) {
		e->pods.unsent++;
		return false;
	}
	return true;
}

static void k8s_podinfo_remember(struct enricher_pods *ps, const char *cid)
{
	for (unsigned i = 0; i < ENRICHER_POD_MISSED; i++)
		if (strcmp(ps->missed[i], cid) == 0)
			return;
	for (unsigned i = 0; i < ENRICHER_POD_MISSED; i++)
		if (!ps->missed[i][0]) {
			memcpy(ps->missed[i], cid, 65);
			return;
		}
	/* Full: the oldest misses give way (the probe's own wait is bounded too). */
	memcpy(ps->missed[ps->next], cid, 65);
	ps->next = (ps->next + 1) % ENRICHER_POD_MISSED;
}

void enricher_pod_query(struct enricher *e, const struct wire_msg *m)
{
	const struct k8s_pod_meta *pm;
	char cid[65];

	if (wire_get_pod_query(m, cid) != WIRE_OK) {
		e->st.bad_msgs++;
		log_ratelimited(&e->bad_rl, monotime_ns(), LOG_LVL_WARN,
				"dropping an invalid pod question");
		return;
	}
	e->pods.queries++;
	pm = e->k8s ? k8s_lookup_container(e->k8s, cid) : NULL;
	e->pods.found += pm != NULL;
	if (e->k8s && !pm) {
		e->pods.missed_n++;
		k8s_podinfo_remember(&e->pods, cid);
	}
	k8s_podinfo_send(e, cid, pm);
}

void enricher_pod_tick(struct enricher *e)
{
	struct enricher_pods *ps = &e->pods;
	uint64_t now;

	if (!e->k8s || !e->hello_ok || e->fd < 0)
		return;
	now = k8s_changes(e->k8s);
	if (now == ps->changes)
		return;
	ps->changes = now;
	for (unsigned i = 0; i < ENRICHER_POD_MISSED; i++) {
		const struct k8s_pod_meta *pm;

		if (!ps->missed[i][0])
			continue;
		pm = k8s_lookup_container(e->k8s, ps->missed[i]);
		if (pm && k8s_podinfo_send(e, ps->missed[i], pm))
			ps->missed[i][0] = '\0';
	}
}
