/* k8s.c: the decoration module's life cycle (config -> connection -> watches) and lookups. */
#include "k8s.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "k8s_cgroup.h"
#include "k8s_int.h"
#include "k8s_podinfo.h"

#define K8S_EXPIRE_EVERY_NS (10ULL * 1000000000ULL)

/* Node labels naming the cluster (OBI 2.6 order) and the zone. */
static const char *const k8s_node_labels[] = {
    "alpha.eksctl.io/cluster-name",
    "cluster.x-k8s.io/cluster-name",
    "kubernetes.azure.com/cluster",
    "topology.kubernetes.io/zone",
};

bool k8s_want_label(void *data, enum k8s_kind kind, const char *key)
{
	const struct k8s *k = data;
	const struct config_map *rl = &k->cfg->attributes.kubernetes.resource_labels;

	if (kind == K8S_NODE) {
		for (size_t i = 0; i < sizeof(k8s_node_labels) / sizeof(k8s_node_labels[0]); i++)
			if (strcmp(key, k8s_node_labels[i]) == 0)
				return true;
		return false;
	}
	if (kind != K8S_POD)
		return false;
	if (k8s_podinfo_wants_label(k->cfg, key))
		return true; /* the probe's selectors ask for it (k8s_podinfo.c) */
	for (unsigned i = 0; i < rl->n; i++) {
		const char *v = rl->kv[i].v, *hit = strstr(v, key);
		size_t kl = strlen(key);

		/* an exact entry of the comma list */
		for (; hit; hit = strstr(hit + 1, key))
			if ((hit == v || hit[-1] == ',' || hit[-1] == ' ') &&
			    (hit[kl] == '\0' || hit[kl] == ','))
				return true;
	}
	return false;
}

bool k8s_want_annot(void *data, enum k8s_kind kind, const char *key)
{
	const struct k8s *k = data;

	return kind == K8S_POD && k8s_podinfo_wants_annotation(k->cfg, key);
}

/* kubeconfig_path (KUBECONFIG) -> ~/.kube/config -> in-cluster, as OBI. -ENOENT: none. */
static int k8s_find_conn(struct k8s *k, char *err, size_t errlen)
{
	const char *path = k->cfg->attributes.kubernetes.kubeconfig_path, *home = getenv("HOME");
	char def[4096];
	struct stat st;

	if (path && *path)
		return k8s_conn_kubeconfig(&k->conn, path, err, errlen);
	if (home && *home &&
	    (size_t)snprintf(def, sizeof(def), "%s/.kube/config", home) < sizeof(def) &&
	    stat(def, &st) == 0)
		return k8s_conn_kubeconfig(&k->conn, def, err, errlen);
	return k8s_conn_in_cluster(&k->conn, K8S_SA_DIR, err, errlen);
}

static void k8s_cluster_from_nodes(struct k8s *k)
{
	const struct k8s_other *n;

	if (k->ident.cluster_name || !k->node_name)
		return;
	n = k8s_store_other(&k->st, K8S_NODE, NULL, k->node_name);
	for (unsigned i = 0; n && i < n->n_labels; i++)
		if (strcmp(n->labels[i].k, "topology.kubernetes.io/zone") != 0) {
			free(k->cluster_name);
			k->cluster_name = strdup(n->labels[i].v);
			k->ident.cluster_name = k->cluster_name;
			return;
		}
}

static void k8s_on_expire(struct evloop *l, struct ev_timer *t)
{
	struct k8s *k = t->data;

	k8s_store_expire(&k->st, evloop_now(l));
	k8s_cluster_from_nodes(k);
	ev_timer_start(l, t, K8S_EXPIRE_EVERY_NS);
}

static void k8s_on_sync_timeout(struct evloop *l, struct ev_timer *t)
{
	struct k8s *k = t->data;

	(void)l;
	if (k8s_ready(k))
		return;
	k->sync_timed_out = true;
	for (int i = 0; i < K8S_KINDS; i++)
		if (k->w[i].k && !k->w[i].synced)
			log_warnx(
			    "kubernetes: %s not synced within informers_sync_timeout: decorating "
			    "with partial metadata",
			    k->w[i].resource);
}

/* Pods of this node only: a field selector on spec.nodeName (nodes: metadata.name). */
static int k8s_selectors(struct k8s *k)
{
	char sel[600];

	if (!k->cfg->attributes.kubernetes.meta_restrict_local_node)
		return 0;
	if (!k->node_name) {
		log_warnx(
		    "kubernetes: meta_restrict_local_node without NODE_NAME: watching every pod");
		return 0;
	}
	snprintf(sel, sizeof(sel), "spec.nodeName=%s", k->node_name);
	k->w[K8S_POD].selector = curl_easy_escape(NULL, sel, 0);
	snprintf(sel, sizeof(sel), "metadata.name=%s", k->node_name);
	k->w[K8S_NODE].selector = curl_easy_escape(NULL, sel, 0);
	return k->w[K8S_POD].selector && k->w[K8S_NODE].selector ? 0 : -ENOMEM;
}

static int k8s_start(struct k8s *k)
{
	uint64_t off = k->cfg->attributes.kubernetes.disable_informers; /* bit 0 node, 1 service */
	const char *node = getenv("NODE_NAME");
	int rc;

	if (node && *node && strlen(node) < 254 && !(k->node_name = strdup(node)))
		return -ENOMEM;
	for (int i = 0; i < K8S_KINDS; i++)
		if ((rc = k8s_watch_init(&k->w[i], k, (enum k8s_kind)i)))
			return rc;
	if ((rc = k8s_selectors(k)))
		return rc;
	for (int i = 0; i < K8S_KINDS; i++) {
		if ((i == K8S_NODE && (off & 1)) || (i == K8S_SERVICE && (off & 2))) {
			k->w[i].state = K8S_W_DISABLED;
			k->w[i].synced = true;
			continue;
		}
		k8s_watch_start(&k->w[i]);
	}
	ev_timer_start(k->loop, &k->expire_timer, K8S_EXPIRE_EVERY_NS);
	ev_timer_start(k->loop, &k->sync_timer,
		       k->cfg->attributes.kubernetes.informers_sync_timeout_ns);
	return 0;
}

int k8s_new(struct k8s **out, struct evloop *loop, const struct obi_config *cfg, char *err,
	    size_t errlen)
{
	unsigned enable = cfg->attributes.kubernetes.enable; /* 0 autodetect, 1 true, 2 false */
	struct k8s *k;
	int rc;

	*out = NULL;
	if (enable == 2)
		return 0;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->loop = loop;
	k->cfg = cfg;
	k->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000000000ULL, 10);
	if (getrandom(&k->rnd, sizeof(k->rnd), 0) != sizeof(k->rnd) || !k->rnd)
		k->rnd = evloop_now(loop) | 1; /* jitter only: any non-zero seed will do */
	k8s_store_init(&k->st);
	ev_timer_init(&k->sync_timer, k8s_on_sync_timeout, k);
	ev_timer_init(&k->expire_timer, k8s_on_expire, k);
	rc = k8s_find_conn(k, err, errlen);
	if (rc == -ENOENT && enable == 0) {
		log_info("kubernetes: no kubeconfig and not in a cluster: decoration off");
		k8s_free(k);
		return 0;
	}
	if (rc == -ENOENT)
		snprintf(err, errlen,
			 "kubernetes: enabled, but no kubeconfig and not in a cluster");
	if (!rc) {
		const char *cn = cfg->attributes.kubernetes.cluster_name;

		k->ident = (struct k8s_ident){.st = &k->st,
					      .resource_labels =
						  &cfg->attributes.kubernetes.resource_labels,
					      .cluster_name = cn && *cn ? cn : NULL};
		rc = otlp_curl_init(&k->curl, loop, k8s_watch_done, k);
	}
	if (!rc)
		rc = k8s_start(k);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "kubernetes: cannot start: %s", strerror(-rc));
		k8s_free(k);
		return rc;
	}
	log_info("kubernetes: watching %s (%s)", k->conn.server, k->conn.source);
	*out = k;
	return 0;
}

void k8s_free(struct k8s *k)
{
	if (!k)
		return;
	for (int i = 0; i < K8S_KINDS; i++)
		if (k->w[i].k)
			k8s_watch_free(&k->w[i]);
	otlp_curl_free(&k->curl);
	ev_timer_stop(k->loop, &k->sync_timer);
	ev_timer_stop(k->loop, &k->expire_timer);
	k8s_store_free(&k->st);
	k8s_conn_free(&k->conn);
	explicit_bzero(k->auth, sizeof(k->auth));
	free(k->node_name);
	free(k->cluster_name);
	free(k);
}

const struct k8s_pod_meta *k8s_lookup_container(struct k8s *k, const char *container_id)
{
	return k8s_store_container(&k->st, container_id);
}

const struct k8s_pod_meta *k8s_lookup_cgroup(struct k8s *k, const char *cgroup)
{
	char id[K8S_CONTAINER_ID_LEN + 1];

	return k8s_cgroup_container_id(cgroup, id) ? k8s_store_container(&k->st, id) : NULL;
}

const struct k8s_peer *k8s_lookup_ip(struct k8s *k, const char *ip)
{
	return k8s_store_ip(&k->st, ip);
}

void k8s_peer_service(struct k8s *k, const struct k8s_peer *p, const char **name, const char **ns)
{
	struct k8s_owners o;

	*name = p->name;
	*ns = p->ns;
	if (p->kind != K8S_POD || !p->pod->n_ctrs)
		return;
	k8s_ident_owners(&k->ident, p->pod, &o);
	k8s_ident_service(&k->ident, &p->pod->ctrs[0], &o, name, ns);
	/* a guessed owner lives in o: fall back to the pod's own name rather than dangle */
	if (*name == o.guess_dep || *name == o.guess_cron)
		*name = p->pod->name;
}

size_t k8s_resource_attrs(struct k8s *k, const struct k8s_pod_meta *m, struct k8s_owners *scratch,
			  struct otlp_attr *out, size_t *n, size_t cap)
{
	size_t added;

	/* The node may have synced since the last expiry tick: without this the first spans of
	 * every pod (up to K8S_EXPIRE_EVERY_NS) lacked k8s.cluster.name. A no-op once known. */
	k8s_cluster_from_nodes(k);
	k8s_ident_owners(&k->ident, m->pod, scratch);
	added = k8s_ident_attrs(&k->ident, m, scratch, out, n, cap);
	if (scratch->env_bad) {
		k->bad_env++;
		/* The pod's name only: the list's values may be anything the pod's author wrote. */
		k8s_warn_rl(k,
			    "pod %s/%s: OTEL_RESOURCE_ATTRIBUTES in its spec is malformed: ignored",
			    m->pod->ns, m->pod->name);
	}
	return added;
}

double k8s_rand01(struct k8s *k)
{
	k->rnd ^= k->rnd << 13;
	k->rnd ^= k->rnd >> 7;
	k->rnd ^= k->rnd << 17;
	return (double)(k->rnd >> 11) / 9007199254740992.0;
}

uint64_t k8s_changes(const struct k8s *k)
{
	return k->st.changes;
}

bool k8s_ready(const struct k8s *k)
{
	if (k->sync_timed_out)
		return true;
	for (int i = 0; i < K8S_KINDS; i++)
		if (k->w[i].k && !k->w[i].synced)
			return false;
	return true;
}

void k8s_get_stats(const struct k8s *k, struct k8s_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->pods = k->st.n_pods;
	s->containers = k->st.n_ctrs;
	s->strings = k->st.strs.n_strings;
	s->bytes = k8s_store_bytes(&k->st);
	s->enomem = k->st.enomem;
	s->bad_env = k->bad_env;
	for (int i = 0; i < K8S_KINDS; i++) {
		const struct k8s_watch *w = &k->w[i];

		s->events += w->events;
		s->lists += w->lists;
		s->relists += w->relists;
		s->bookmarks += w->bookmarks;
		s->errors += w->errors;
		s->bad_json += w->bad_json;
		s->oversized += w->split.oversized_n;
	}
}

const struct k8s_conn *k8s_connection(const struct k8s *k)
{
	return &k->conn;
}
