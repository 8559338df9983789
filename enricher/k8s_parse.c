/* k8s_parse.c: reduction of pods, services, nodes, replicasets, jobs and watch events. */
#include "k8s_parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Annotations kept: OBI's resource attributes (the rest of an object's annotations is dropped). */
#define K8S_RES_ANNOT "resource.opentelemetry.io/"

/* A string member no longer than K8S_MAX_STR, else NULL (a longer one is counted). */
static const char *k8s_str(const cJSON *o, const char *key, struct k8s_obj *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsString(v) || !v->valuestring)
		return NULL;
	if (strlen(v->valuestring) > K8S_MAX_STR) {
		if (out)
			out->truncated++;
		return NULL;
	}
	return v->valuestring;
}

static const cJSON *k8s_child(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static int k8s_num2(const char *s)
{
	return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9'
		   ? (s[0] - '0') * 10 + s[1] - '0'
		   : -1;
}

static int64_t k8s_parse_offset(const char *p)
{
	int sign = *p == '-' ? -1 : 1, h, m;

	if (*p == 'Z' || *p == 'z')
		return p[1] ? -1 : 0;
	if ((*p != '+' && *p != '-') || (h = k8s_num2(p + 1)) < 0 || p[3] != ':' ||
	    (m = k8s_num2(p + 4)) < 0 || p[6])
		return -1;
	return sign * (h * 3600 + m * 60);
}

int64_t k8s_parse_time(const char *s)
{
	struct tm tm = {0};
	int y1, y2, v[5];
	int64_t off;
	const char *p;
	time_t t;

	if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	y1 = k8s_num2(s);
	y2 = k8s_num2(s + 2);
	v[0] = k8s_num2(s + 5);
	v[1] = k8s_num2(s + 8);
	v[2] = k8s_num2(s + 11);
	v[3] = k8s_num2(s + 14);
	v[4] = k8s_num2(s + 17);
	if (y1 < 0 || y2 < 0 || v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 31 || v[2] < 0 ||
	    v[2] > 23 || v[3] < 0 || v[3] > 59 || v[4] < 0 || v[4] > 60)
		return -1;
	p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if ((off = k8s_parse_offset(p)) == -1)
		return -1;
	tm.tm_year = y1 * 100 + y2 - 1900;
	tm.tm_mon = v[0] - 1;
	tm.tm_mday = v[1];
	tm.tm_hour = v[2];
	tm.tm_min = v[3];
	tm.tm_sec = v[4];
	t = timegm(&tm);
	return t == (time_t)-1 ? -1 : (int64_t)t - off;
}

static void k8s_parse_owners(const cJSON *meta, struct k8s_obj *out)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, k8s_child(meta, "ownerReferences"))
	{
		const char *kind = k8s_str(r, "kind", out), *name = k8s_str(r, "name", out);

		if (!kind || !name)
			continue;
		if (out->n_owners == K8S_MAX_OWNERS) {
			out->truncated++;
			continue;
		}
		out->owners[out->n_owners++] =
		    (struct k8s_owner_ref){.kind = kind,
					   .name = name,
					   .controller = cJSON_IsTrue(k8s_child(r, "controller"))};
	}
}

static void k8s_parse_kv(const cJSON *map, struct k8s_kv *kv, unsigned *n, struct k8s_obj *out,
			 bool (*want)(const char *k, const void *ctx), const void *ctx)
{
	const cJSON *e;

	if (!cJSON_IsObject(map))
		return;
	cJSON_ArrayForEach(e, map)
	{
		if (!e->string || !cJSON_IsString(e) || !want(e->string, ctx))
			continue;
		if (*n == K8S_MAX_KV || strlen(e->valuestring) > K8S_MAX_STR ||
		    strlen(e->string) > K8S_MAX_STR) {
			out->truncated++;
			continue;
		}
		kv[(*n)++] = (struct k8s_kv){e->string, e->valuestring};
	}
}

struct k8s_want_ctx {
	const struct k8s_parse_opts *opts;
	enum k8s_kind kind;
};

static bool k8s_want_label(const char *k, const void *ctx)
{
	const struct k8s_want_ctx *c = ctx;

	return c->opts && c->opts->want_label && c->opts->want_label(c->opts->data, c->kind, k);
}

static bool k8s_want_annot(const char *k, const void *ctx)
{
	const struct k8s_want_ctx *c = ctx;

	if (strncmp(k, K8S_RES_ANNOT, sizeof(K8S_RES_ANNOT) - 1) == 0)
		return true;
	return c->opts && c->opts->want_annot && c->opts->want_annot(c->opts->data, c->kind, k);
}

static void k8s_add_ip(struct k8s_obj *out, const char *ip)
{
	if (!ip || !*ip || strcmp(ip, "None") == 0)
		return;
	for (unsigned i = 0; i < out->n_ips; i++)
		if (strcmp(out->ips[i], ip) == 0)
			return;
	if (out->n_ips == K8S_MAX_IPS) {
		out->truncated++;
		return;
	}
	out->ips[out->n_ips++] = ip;
}

/* The container named name, added when new (statuses and specs meet by name). */
static struct k8s_ctr_ref *k8s_ctr(struct k8s_obj *out, const char *name)
{
	for (unsigned i = 0; i < out->n_ctrs; i++)
		if (strcmp(out->ctrs[i].name, name) == 0)
			return &out->ctrs[i];
	if (out->n_ctrs == K8S_MAX_CTRS) {
		out->truncated++;
		return NULL;
	}
	out->ctrs[out->n_ctrs] = (struct k8s_ctr_ref){.name = name};
	return &out->ctrs[out->n_ctrs++];
}

/* Only literal values: "$(VAR)" references and valueFrom are not resolved (as OBI's store). */
static void k8s_parse_env(const cJSON *c, struct k8s_ctr_ref *ref, struct k8s_obj *out)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, k8s_child(c, "env"))
	{
		const char *n = k8s_str(e, "name", out), *v = k8s_str(e, "value", out);

		if (!n || !v || strncmp(v, "$(", 2) == 0)
			continue;
		if (strcmp(n, "OTEL_SERVICE_NAME") == 0)
			ref->env_service_name = v;
		else if (strcmp(n, "OTEL_RESOURCE_ATTRIBUTES") == 0)
			ref->env_res_attrs = v;
		else if (strcmp(n, "OTEL_SERVICE_NAMESPACE") == 0)
			ref->env_service_ns = v;
	}
}

static void k8s_parse_specs(const cJSON *list, struct k8s_obj *out)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, list)
	{
		const char *name = k8s_str(c, "name", out);
		struct k8s_ctr_ref *ref = name ? k8s_ctr(out, name) : NULL;

		if (ref)
			k8s_parse_env(c, ref, out);
	}
}

static void k8s_parse_statuses(const cJSON *list, struct k8s_obj *out)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, list)
	{
		const char *name = k8s_str(c, "name", out), *id = k8s_str(c, "containerID", out);
		const char *sch = id ? strstr(id, "://") : NULL;
		struct k8s_ctr_ref *ref;

		if (!name || !id || !*id)
			continue; /* not started yet: no id to match */
		ref = k8s_ctr(out, name);
		if (ref)
			ref->id = sch ? sch + 3 : id;
	}
}

static void k8s_parse_pod(const cJSON *o, struct k8s_obj *out)
{
	const cJSON *spec = k8s_child(o, "spec"), *st = k8s_child(o, "status"), *ip;
	static const char *const specs[] = {"containers", "initContainers", "ephemeralContainers"};
	static const char *const stats[] = {"containerStatuses", "initContainerStatuses",
					    "ephemeralContainerStatuses"};

	out->node_name = k8s_str(spec, "nodeName", out);
	out->host_ip = k8s_str(st, "hostIP", out);
	for (size_t i = 0; i < 3; i++)
		k8s_parse_specs(k8s_child(spec, specs[i]), out);
	for (size_t i = 0; i < 3; i++)
		k8s_parse_statuses(k8s_child(st, stats[i]), out);
	/* Host-network pods share the node's IPs: indexing them would name the node's peers. */
	if (cJSON_IsTrue(k8s_child(spec, "hostNetwork")))
		return;
	cJSON_ArrayForEach(ip, k8s_child(st, "podIPs"))
	{
		const char *a = k8s_str(ip, "ip", out);

		if (a && (!out->host_ip || strcmp(a, out->host_ip) != 0))
			k8s_add_ip(out, a);
	}
	ip = k8s_child(st, "podIP");
	if (cJSON_IsString(ip) && (!out->host_ip || strcmp(ip->valuestring, out->host_ip) != 0))
		k8s_add_ip(out, k8s_str(st, "podIP", out));
}

static void k8s_parse_service(const cJSON *o, struct k8s_obj *out)
{
	const cJSON *spec = k8s_child(o, "spec"), *ip;

	cJSON_ArrayForEach(ip, k8s_child(spec, "clusterIPs"))
	{
		if (cJSON_IsString(ip) && strlen(ip->valuestring) <= K8S_MAX_STR)
			k8s_add_ip(out, ip->valuestring);
	}
	k8s_add_ip(out, k8s_str(spec, "clusterIP", out));
}

static void k8s_parse_node(const cJSON *o, struct k8s_obj *out)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, k8s_child(k8s_child(o, "status"), "addresses"))
	{
		const char *type = k8s_str(a, "type", out);

		if (type && (strcmp(type, "InternalIP") == 0 || strcmp(type, "ExternalIP") == 0))
			k8s_add_ip(out, k8s_str(a, "address", out));
	}
}

int k8s_parse_obj(const cJSON *o, enum k8s_kind kind, const struct k8s_parse_opts *opts,
		  struct k8s_obj *out)
{
	const cJSON *meta = k8s_child(o, "metadata");
	struct k8s_want_ctx wc = {opts, kind};

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (!cJSON_IsObject(o) || !cJSON_IsObject(meta))
		return -EINVAL;
	out->name = k8s_str(meta, "name", out);
	out->ns = k8s_str(meta, "namespace", out);
	out->uid = k8s_str(meta, "uid", out);
	out->rv = k8s_str(meta, "resourceVersion", out);
	out->created = k8s_parse_time(k8s_str(meta, "creationTimestamp", out));
	if (!out->name || !*out->name || (kind != K8S_NODE && (!out->ns || !*out->ns)))
		return -EINVAL;
	if (kind == K8S_POD && (!out->uid || !*out->uid))
		return -EINVAL; /* pods are keyed by uid */
	k8s_parse_owners(meta, out);
	k8s_parse_kv(k8s_child(meta, "labels"), out->labels, &out->n_labels, out, k8s_want_label,
		     &wc);
	k8s_parse_kv(k8s_child(meta, "annotations"), out->annots, &out->n_annots, out,
		     k8s_want_annot, &wc);
	if (kind == K8S_POD)
		k8s_parse_pod(o, out);
	else if (kind == K8S_SERVICE)
		k8s_parse_service(o, out);
	else if (kind == K8S_NODE)
		k8s_parse_node(o, out);
	return 0;
}

int k8s_parse_event(const cJSON *root, struct k8s_event *ev)
{
	static const char *const types[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
	const char *t = k8s_str(root, "type", NULL);
	const cJSON *code;

	memset(ev, 0, sizeof(*ev));
	ev->object = k8s_child(root, "object");
	if (!t || !cJSON_IsObject(ev->object))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(t, types[i]) != 0)
			continue;
		ev->type = (enum k8s_event_type)i;
		if (ev->type == K8S_EV_BOOKMARK) {
			const char *end =
			    k8s_str(k8s_child(k8s_child(ev->object, "metadata"), "annotations"),
				    "k8s.io/initial-events-end", NULL);

			ev->initial_end = end && strcmp(end, "true") == 0;
		}
		code = k8s_child(ev->object, "code");
		if (ev->type == K8S_EV_ERROR && cJSON_IsNumber(code) && code->valuedouble >= 0 &&
		    code->valuedouble < 1000)
			ev->code = (int)code->valuedouble;
		return 0;
	}
	return -EINVAL;
}

void k8s_parse_list_meta(const cJSON *meta, const char **rv, const char **cont)
{
	*rv = k8s_str(meta, "resourceVersion", NULL);
	*cont = k8s_str(meta, "continue", NULL);
	if (*cont && !**cont)
		*cont = NULL;
}

/* Index just past the array or object opening at p[i], or 0 when it does not close in n. */
static size_t k8s_skip_value(const char *p, size_t i, size_t n)
{
	unsigned depth = 0;
	bool in_str = false, esc = false;

	for (; i < n; i++) {
		char c = p[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			depth++;
		} else if ((c == ']' || c == '}') && --depth == 0) {
			return i + 1;
		}
	}
	return 0;
}

static bool k8s_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The key's quote right after '{' or ',' (spaces aside) cannot be inside a string (a quote
 * there is escaped) nor end one (a letter cannot follow a closing quote) in valid JSON: it is
 * a member name. Invalid JSON stays invalid where it matters: cJSON still judges the rest.
 */
const char *k8s_strip_unused(struct k8s_strip_buf *buf, const char *text, size_t *n)
{
	static const char key[] = "\"managedFields\"";
	const char *k = memmem(text, *n, key, sizeof(key) - 1);
	size_t at, from, v, end;

	if (!k)
		return text;
	at = (size_t)(k - text);
	for (from = at; from > 0 && k8s_ws(text[from - 1]);)
		from--;
	for (v = at + sizeof(key) - 1; v < *n && k8s_ws(text[v]);)
		v++;
	if (from == 0 || (text[from - 1] != ',' && text[from - 1] != '{') || v >= *n ||
	    text[v] != ':')
		return text;
	for (v++; v < *n && k8s_ws(text[v]);)
		v++;
	end = v < *n && (text[v] == '[' || text[v] == '{') ? k8s_skip_value(text, v, *n) : 0;
	if (!end)
		return text;
	if (text[from - 1] == ',') {
		from--; /* ,"managedFields":[...] */
	} else {
		from = at; /* {"managedFields":[...], */
		while (end < *n && k8s_ws(text[end]))
			end++;
		if (end < *n && text[end] == ',')
			end++;
	}
	if (buf->cap < *n) {
		char *p = realloc(buf->p, *n);

		if (!p)
			return text; /* parsed whole then */
		buf->p = p;
		buf->cap = *n;
	}
	memcpy(buf->p, text, from);
	memcpy(buf->p + from, text + end, *n - end);
	*n -= end - from;
	return buf->p;
}

void k8s_strip_free(struct k8s_strip_buf *buf)
{
	free(buf->p);
	buf->p = NULL;
	buf->cap = 0;
}
