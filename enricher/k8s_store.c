/* k8s_store.c: upsert/delete/relist of pods and other objects into interned, indexed records. */
#include "k8s_store.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *k8s_s(struct k8s_store *st, const char *s)
{
	return k8s_str_get(&st->strs, s);
}

static void k8s_p(struct k8s_store *st, const char *s)
{
	k8s_str_put(&st->strs, s);
}

void k8s_format_time(int64_t t, char out[40])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t < 0 || !gmtime_r(&tt, &tm) || !strftime(out, 40, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm))
		out[0] = '\0';
}

void k8s_store_init(struct k8s_store *st)
{
	memset(st, 0, sizeof(*st));
	k8s_strtab_init(&st->strs);
	k8s_map_init(&st->pods, &st->bytes);
	k8s_map_init(&st->ctrs, &st->bytes);
	k8s_map_init(&st->ips, &st->bytes);
	for (int k = 0; k < K8S_KINDS; k++)
		k8s_map_init(&st->others[k], &st->bytes);
}

size_t k8s_store_bytes(const struct k8s_store *st)
{
	return st->bytes + st->strs.bytes;
}

/* The value of key in an OTEL_RESOURCE_ATTRIBUTES list "k=v,k2=v2", interned, or NULL. */
static const char *k8s_res_attr(struct k8s_store *st, const char *list, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ','), *eq;

		if (!e)
			e = p + strlen(p);
		while (p < e && *p == ' ')
			p++;
		eq = memchr(p, '=', (size_t)(e - p));
		if (eq && (size_t)(eq - p) >= kl && memcmp(p, key, kl) == 0) {
			const char *k_end = p + kl, *v = eq + 1, *v_end = e;

			while (k_end < eq && *k_end == ' ')
				k_end++;
			while (v < v_end && *v == ' ')
				v++;
			while (v_end > v && v_end[-1] == ' ')
				v_end--;
			if (k_end == eq && v_end > v)
				return k8s_str_getn(&st->strs, v, (size_t)(v_end - v));
		}
		p = *e ? e + 1 : e;
	}
	return NULL;
}

static uint64_t k8s_env_hash(const struct k8s_ctr_ref *r)
{
	const char *v[3] = {r->env_service_name, r->env_res_attrs, r->env_service_ns};
	uint64_t h = 0;

	for (int i = 0; i < 3; i++)
		h = h * 31 + (v[i] ? k8s_hash(v[i], strlen(v[i])) : 7);
	return h;
}

/* A copy of s (or NULL) at *cur in a pod's block, sized by k8s_pod_block_size. */
static const char *k8s_block_str(char **cur, const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	memcpy(*cur, s, n);
	*cur += n;
	return *cur - n;
}

static void k8s_ctr_fill(struct k8s_store *st, struct k8s_pod *pod, struct k8s_pod_meta *m,
			 const struct k8s_ctr_ref *r, char **cur)
{
	m->pod = pod;
	m->name = k8s_s(st, r->name);
	m->id = k8s_block_str(cur, r->id);
	m->env_svc_name = r->env_service_name ? k8s_s(st, r->env_service_name)
					      : k8s_res_attr(st, r->env_res_attrs, "service.name");
	m->env_svc_ns = k8s_res_attr(st, r->env_res_attrs, "service.namespace");
	if (!m->env_svc_ns)
		m->env_svc_ns = k8s_s(st, r->env_service_ns);
	m->env_res_attrs = k8s_s(st, r->env_res_attrs);
	m->env_hash = k8s_env_hash(r);
}

static void k8s_ctr_release(struct k8s_store *st, struct k8s_pod_meta *m)
{
	if (m->id && k8s_map_get(&st->ctrs, m->id) == m)
		k8s_map_del(&st->ctrs, m->id);
	k8s_p(st, m->name);
	k8s_p(st, m->env_svc_name);
	k8s_p(st, m->env_svc_ns);
	k8s_p(st, m->env_res_attrs);
}

/* Interned copies of a + b in one exact-size allocation (most pods keep 0-4 of each). */
static struct k8s_kv *k8s_kv_fill(struct k8s_store *st, const struct k8s_kv *a, unsigned na,
				  const struct k8s_kv *b, unsigned nb)
{
	struct k8s_kv *kv;

	if (!na && !nb)
		return NULL;
	kv = calloc(na + nb, sizeof(*kv));
	if (!kv) {
		st->enomem++;
		return NULL;
	}
	for (unsigned i = 0; i < na + nb; i++) {
		const struct k8s_kv *src = i < na ? &a[i] : &b[i - na];

		kv[i] = (struct k8s_kv){k8s_s(st, src->k), k8s_s(st, src->v)};
	}
	st->bytes += (na + nb) * sizeof(*kv);
	return kv;
}

static void k8s_kv_release(struct k8s_store *st, struct k8s_kv *kv, unsigned n)
{
	for (unsigned i = 0; kv && i < n; i++) {
		k8s_p(st, kv[i].k);
		k8s_p(st, kv[i].v);
	}
	if (kv)
		st->bytes -= n * sizeof(*kv);
	free(kv);
}

/* IPs: the newest object holding an IP owns its index entry. */
static void k8s_ips_index(struct k8s_store *st, const char *const *ips, uint8_t n,
			  struct k8s_peer *peer)
{
	for (unsigned i = 0; i < n; i++)
		if (ips[i] && k8s_map_put(&st->ips, ips[i], peer))
			st->enomem++;
}

static void k8s_ips_unindex(struct k8s_store *st, const char *const *ips, uint8_t n,
			    const struct k8s_peer *peer)
{
	for (unsigned i = 0; i < n; i++)
		if (ips[i] && k8s_map_get(&st->ips, ips[i]) == peer)
			k8s_map_del(&st->ips, ips[i]);
}

static void k8s_pod_release(struct k8s_store *st, struct k8s_pod *p)
{
	k8s_ips_unindex(st, p->ips, p->n_ips, &p->peer);
	for (unsigned i = 0; i < p->n_ctrs; i++)
		k8s_ctr_release(st, &p->ctrs[i]);
	st->n_ctrs -= p->n_ctrs;
	st->bytes -= malloc_usable_size(p->ctrs);
	free(p->ctrs); /* the block: containers, IP array, name, IPs, container ids */
	p->ctrs = NULL;
	p->ips = NULL;
	p->name = NULL;
	for (unsigned i = 0; i < p->n_owners; i++) {
		k8s_p(st, p->owners[i].kind);
		k8s_p(st, p->owners[i].name);
	}
	k8s_kv_release(st, p->labels, p->n_labels + p->n_annots);
	p->labels = p->annots = NULL;
	k8s_p(st, p->ns);
	k8s_p(st, p->node);
	k8s_p(st, p->start_time);
	p->n_ips = p->n_ctrs = p->n_owners = p->n_labels = p->n_annots = 0;
}

/* The block of a pod's unique data: containers, then the IP array, then the strings. */
static size_t k8s_pod_block_size(const struct k8s_obj *o)
{
	size_t n = o->n_ctrs * sizeof(struct k8s_pod_meta) + o->n_ips * sizeof(char *);

	n += o->name ? strlen(o->name) + 1 : 0;
	for (unsigned i = 0; i < o->n_ips; i++)
		n += o->ips[i] ? strlen(o->ips[i]) + 1 : 0;
	for (unsigned i = 0; i < o->n_ctrs; i++)
		n += o->ctrs[i].id ? strlen(o->ctrs[i].id) + 1 : 0;
	return n;
}

/* Namespace, node, owners, labels: interned, shared with the other pods that carry them. */
static void k8s_pod_fill_shared(struct k8s_store *st, struct k8s_pod *p, const struct k8s_obj *o)
{
	char ts[40];

	p->ns = k8s_s(st, o->ns);
	p->node = k8s_s(st, o->node_name);
	p->created = o->created;
	k8s_format_time(o->created, ts);
	p->start_time = ts[0] ? k8s_s(st, ts) : NULL;
	for (unsigned i = 0; i < o->n_owners; i++)
		p->owners[i] =
		    (struct k8s_owner){k8s_s(st, o->owners[i].kind), k8s_s(st, o->owners[i].name)};
	p->n_owners = (uint8_t)o->n_owners;
	p->labels = k8s_kv_fill(st, o->labels, o->n_labels, o->annots, o->n_annots);
	p->n_labels = p->labels ? (uint8_t)o->n_labels : 0;
	p->n_annots = p->labels ? (uint8_t)o->n_annots : 0;
	p->annots = p->labels ? p->labels + p->n_labels : NULL;
}

static int k8s_pod_fill(struct k8s_store *st, struct k8s_pod *p, const struct k8s_obj *o)
{
	char *block, *cur;

	k8s_pod_fill_shared(st, p, o);
	block = malloc(k8s_pod_block_size(o) + 1);
	if (!block || !p->ns) {
		free(block);
		return -ENOMEM;
	}
	st->bytes += malloc_usable_size(block);
	p->ctrs = (struct k8s_pod_meta *)(void *)block;
	p->ips = (const char **)(void *)(block + o->n_ctrs * sizeof(*p->ctrs));
	cur = (char *)(p->ips + o->n_ips);
	p->name = k8s_block_str(&cur, o->name);
	for (unsigned i = 0; i < o->n_ips; i++)
		p->ips[i] = k8s_block_str(&cur, o->ips[i]);
	p->n_ips = (uint8_t)o->n_ips;
	p->peer = (struct k8s_peer){.kind = K8S_POD, .name = p->name, .ns = p->ns, .pod = p};
	p->n_ctrs = (uint8_t)o->n_ctrs;
	st->n_ctrs += p->n_ctrs;
	for (unsigned i = 0; i < o->n_ctrs; i++) {
		k8s_ctr_fill(st, p, &p->ctrs[i], &o->ctrs[i], &cur);
		if (p->ctrs[i].id && k8s_map_put(&st->ctrs, p->ctrs[i].id, &p->ctrs[i]))
			st->enomem++;
	}
	k8s_ips_index(st, p->ips, p->n_ips, &p->peer);
	return p->name ? 0 : -ENOMEM;
}

static void k8s_pod_destroy(struct k8s_store *st, struct k8s_pod *p)
{
	k8s_pod_release(st, p);
	st->bytes -= malloc_usable_size(p);
	st->n_pods--;
	free(p);
}

/* An interned string (or NULL) against a parsed one (or NULL). */
static bool k8s_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool k8s_kv_same(const struct k8s_kv *a, unsigned na, const struct k8s_kv *b, unsigned nb)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++)
		if (!k8s_eq(a[i].k, b[i].k) || !k8s_eq(a[i].v, b[i].v))
			return false;
	return true;
}

/* Most MODIFIED events change what is not kept (conditions, probes): nothing to redo then. */
static bool k8s_pod_same(const struct k8s_pod *p, const struct k8s_obj *o)
{
	if (!k8s_eq(p->name, o->name) || !k8s_eq(p->ns, o->ns) || !k8s_eq(p->node, o->node_name) ||
	    p->created != o->created || p->n_owners != o->n_owners || p->n_ips != o->n_ips ||
	    p->n_ctrs != o->n_ctrs ||
	    !k8s_kv_same(p->labels, p->n_labels, o->labels, o->n_labels) ||
	    !k8s_kv_same(p->annots, p->n_annots, o->annots, o->n_annots))
		return false;
	for (unsigned i = 0; i < o->n_owners; i++)
		if (!k8s_eq(p->owners[i].kind, o->owners[i].kind) ||
		    !k8s_eq(p->owners[i].name, o->owners[i].name))
			return false;
	for (unsigned i = 0; i < o->n_ips; i++)
		if (!k8s_eq(p->ips[i], o->ips[i]))
			return false;
	for (unsigned i = 0; i < o->n_ctrs; i++)
		if (!k8s_eq(p->ctrs[i].name, o->ctrs[i].name) ||
		    !k8s_eq(p->ctrs[i].id, o->ctrs[i].id) ||
		    p->ctrs[i].env_hash != k8s_env_hash(&o->ctrs[i]))
			return false;
	return true;
}

static int k8s_pod_upsert(struct k8s_store *st, const struct k8s_obj *o)
{
	struct k8s_pod *p = k8s_map_get(&st->pods, o->uid);

	if (p && p->deleted)
		return 0; /* a late MODIFIED of a deleted pod (uids are never reused) */
	if (!p) {
		size_t ul = strlen(o->uid) + 1;

		p = calloc(1, sizeof(*p) + ul);
		if (p) {
			memcpy(p->uid_buf, o->uid, ul);
			p->uid = p->uid_buf;
		}
		if (!p || k8s_map_put(&st->pods, p->uid, p)) {
			free(p);
			st->enomem++;
			return -ENOMEM;
		}
		st->bytes += malloc_usable_size(p);
		st->n_pods++;
	} else if (k8s_pod_same(p, o)) {
		p->gen = st->gen[K8S_POD];
		return 0;
	} else {
		k8s_pod_release(st, p);
	}
	p->gen = st->gen[K8S_POD];
	if (k8s_pod_fill(st, p, o)) {
		st->enomem++;
		return -ENOMEM;
	}
	return 0;
}

/* The pod stops answering for its IPs now; its containers answer for the grace period. */
static void k8s_pod_kill(struct k8s_store *st, struct k8s_pod *p, uint64_t now_ns)
{
	if (p->deleted)
		return;
	k8s_ips_unindex(st, p->ips, p->n_ips, &p->peer);
	p->deleted = true;
	p->expire_ns = now_ns + K8S_STORE_GRACE_NS;
	p->next_dead = st->dead;
	st->dead = p;
}

void k8s_store_expire(struct k8s_store *st, uint64_t now_ns)
{
	struct k8s_pod **pp = &st->dead;

	while (*pp) {
		struct k8s_pod *p = *pp;

		if (p->expire_ns > now_ns) {
			pp = &p->next_dead;
			continue;
		}
		*pp = p->next_dead;
		k8s_map_del(&st->pods, p->uid);
		k8s_pod_destroy(st, p);
		st->changes++;
	}
}

static const char *k8s_other_key(struct k8s_store *st, const struct k8s_obj *o)
{
	char buf[2 * K8S_MAX_STR + 2];

	if (o->kind == K8S_NODE)
		return k8s_s(st, o->name);
	snprintf(buf, sizeof(buf), "%s/%s", o->ns, o->name);
	return k8s_s(st, buf);
}

static void k8s_other_release(struct k8s_store *st, struct k8s_other *x)
{
	k8s_ips_unindex(st, x->ips, x->n_ips, &x->peer);
	for (unsigned i = 0; i < x->n_ips; i++)
		k8s_p(st, x->ips[i]);
	k8s_kv_release(st, x->labels, x->n_labels);
	x->labels = NULL;
	k8s_p(st, x->name);
	k8s_p(st, x->ns);
	k8s_p(st, x->owner_kind);
	k8s_p(st, x->owner_name);
	x->n_ips = x->n_labels = 0;
	x->owner_kind = x->owner_name = NULL;
}

/* The controlling owner, else the first (ReplicaSet -> Deployment, Job -> CronJob). */
static const struct k8s_owner_ref *k8s_main_owner(const struct k8s_obj *o)
{
	for (unsigned i = 0; i < o->n_owners; i++)
		if (o->owners[i].controller)
			return &o->owners[i];
	return o->n_owners ? &o->owners[0] : NULL;
}

static void k8s_other_fill(struct k8s_store *st, struct k8s_other *x, const struct k8s_obj *o)
{
	const struct k8s_owner_ref *ow = k8s_main_owner(o);

	x->kind = o->kind;
	x->name = k8s_s(st, o->name);
	x->ns = k8s_s(st, o->ns);
	if (ow) {
		x->owner_kind = k8s_s(st, ow->kind);
		x->owner_name = k8s_s(st, ow->name);
	}
	x->labels = k8s_kv_fill(st, o->labels, o->n_labels, NULL, 0);
	x->n_labels = x->labels ? (uint8_t)o->n_labels : 0;
	for (unsigned i = 0; i < o->n_ips; i++)
		x->ips[i] = k8s_s(st, o->ips[i]);
	x->n_ips = (uint8_t)o->n_ips;
	x->peer = (struct k8s_peer){.kind = o->kind, .name = x->name, .ns = x->ns};
	if (o->kind == K8S_SERVICE || o->kind == K8S_NODE)
		k8s_ips_index(st, x->ips, x->n_ips, &x->peer);
}

static int k8s_other_upsert(struct k8s_store *st, const struct k8s_obj *o)
{
	struct k8s_map *m = &st->others[o->kind];
	const char *key = k8s_other_key(st, o);
	struct k8s_other *x = key ? k8s_map_get(m, key) : NULL;

	if (!key)
		goto nomem;
	if (x) {
		k8s_p(st, key); /* the map holds x->key already */
		k8s_other_release(st, x);
	} else {
		x = calloc(1, sizeof(*x));
		if (!x || k8s_map_put(m, key, x)) {
			free(x);
			k8s_p(st, key);
			goto nomem;
		}
		x->key = key;
		st->bytes += sizeof(*x);
	}
	x->gen = st->gen[o->kind];
	k8s_other_fill(st, x, o);
	return 0;
nomem:
	st->enomem++;
	return -ENOMEM;
}

static void k8s_other_destroy(struct k8s_store *st, struct k8s_other *x)
{
	k8s_map_del(&st->others[x->kind], x->key);
	k8s_other_release(st, x);
	k8s_p(st, x->key);
	st->bytes -= sizeof(*x);
	free(x);
}

int k8s_store_upsert(struct k8s_store *st, const struct k8s_obj *o)
{
	st->changes++;
	return o->kind == K8S_POD ? k8s_pod_upsert(st, o) : k8s_other_upsert(st, o);
}

void k8s_store_delete(struct k8s_store *st, const struct k8s_obj *o, uint64_t now_ns)
{
	st->changes++;
	if (o->kind == K8S_POD) {
		struct k8s_pod *p = k8s_map_get(&st->pods, o->uid);

		if (p)
			k8s_pod_kill(st, p, now_ns);
	} else {
		const struct k8s_other *x = k8s_store_other(st, o->kind, o->ns, o->name);

		if (x)
			k8s_other_destroy(st, (struct k8s_other *)x);
	}
}

void k8s_store_relist_begin(struct k8s_store *st, enum k8s_kind kind)
{
	st->gen[kind]++;
}

/* Objects of the old generation: collected first (deleting reshuffles the slots). */
void k8s_store_relist_end(struct k8s_store *st, enum k8s_kind kind, uint64_t now_ns)
{
	struct k8s_map *m = kind == K8S_POD ? &st->pods : &st->others[kind];
	void **stale = calloc(m->n ? m->n : 1, sizeof(*stale));
	size_t n = 0;

	if (!stale) {
		st->enomem++;
		return;
	}
	for (size_t i = 0; i < m->cap; i++) {
		void *v = m->slots[i].val;

		if (!m->slots[i].key)
			continue;
		if (kind == K8S_POD ? ((struct k8s_pod *)v)->gen != st->gen[kind]
				    : ((struct k8s_other *)v)->gen != st->gen[kind])
			stale[n++] = v;
	}
	for (size_t i = 0; i < n; i++) {
		if (kind == K8S_POD)
			k8s_pod_kill(st, stale[i], now_ns);
		else
			k8s_other_destroy(st, stale[i]);
	}
	if (n)
		st->changes++;
	free(stale);
}

const struct k8s_pod_meta *k8s_store_container(const struct k8s_store *st, const char *id)
{
	return k8s_map_get(&st->ctrs, id);
}

const struct k8s_peer *k8s_store_ip(const struct k8s_store *st, const char *ip)
{
	return k8s_map_get(&st->ips, ip);
}

const struct k8s_other *k8s_store_other(const struct k8s_store *st, enum k8s_kind kind,
					const char *ns, const char *name)
{
	char buf[2 * K8S_MAX_STR + 2];

	if (!name || (kind != K8S_NODE && !ns) || kind == K8S_POD)
		return NULL;
	if (kind == K8S_NODE)
		return k8s_map_get(&st->others[kind], name);
	snprintf(buf, sizeof(buf), "%s/%s", ns, name);
	return k8s_map_get(&st->others[kind], buf);
}

void k8s_store_free(struct k8s_store *st)
{
	for (size_t i = 0; i < st->pods.cap; i++) {
		if (!st->pods.slots[i].key)
			continue;
		k8s_pod_release(st, st->pods.slots[i].val);
		free(st->pods.slots[i].val);
	}
	for (int k = 0; k < K8S_KINDS; k++) {
		for (size_t i = 0; i < st->others[k].cap; i++)
			if (st->others[k].slots[i].key) {
				struct k8s_other *x = st->others[k].slots[i].val;

				free(x->labels);
				free(x);
			}
		k8s_map_free(&st->others[k]);
	}
	k8s_map_free(&st->pods);
	k8s_map_free(&st->ctrs);
	k8s_map_free(&st->ips);
	k8s_strtab_free(&st->strs);
	st->dead = NULL;
}
