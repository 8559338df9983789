/* metrics_svc.c: the metrics' private copies of services, shared by their series, refcounted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_agg.h"

/* Eight bytes a step (a multiply-xorshift mix): keys are short and chosen by the host's
 * applications; a chain that grows long costs time, never memory beyond the limit. */
uint64_t metrics_hash_str(uint64_t h, const char *s)
{
	size_t n = strlen(s), i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	w = 0;
	for (size_t k = 0; i + k < n; k++) /* the tail: a call to memcpy costs more */
		w |= (uint64_t)(uint8_t)s[i + k] << (8 * k);
	h = (h ^ w ^ (uint64_t)n << 56) * 0x9e3779b97f4a7c15ULL; /* length: "ab","c" != "a","bc" */
	return h ^ (h >> 32);
}

uint64_t metrics_hash_u64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0x100000001b3ULL;
}

static const char *metrics_s(const char *s)
{
	return s ? s : "";
}

static uint64_t metrics_svc_hash(const struct span_service *s)
{
	uint64_t h = metrics_hash_u64(0xcbf29ce484222325ULL, s->pid);

	h = metrics_hash_str(h, metrics_s(s->name));
	return metrics_hash_str(h, metrics_s(s->instance_id));
}

static bool metrics_svc_eq(const struct span_service *a, const struct span_service *b)
{
	return a->pid == b->pid && !strcmp(metrics_s(a->name), metrics_s(b->name)) &&
	       !strcmp(metrics_s(a->instance_id), metrics_s(b->instance_id)) &&
	       !strcmp(metrics_s(a->namespace_), metrics_s(b->namespace_)) &&
	       !strcmp(metrics_s(a->sdk_language), metrics_s(b->sdk_language)) &&
	       !strcmp(metrics_s(a->exe_path), metrics_s(b->exe_path)) &&
	       !strcmp(metrics_s(a->resource_attrs), metrics_s(b->resource_attrs));
}

static char *metrics_svc_copy(char **dst, const char *s)
{
	char *p = *dst;
	size_t n = strlen(metrics_s(s)) + 1;

	memcpy(p, metrics_s(s), n);
	*dst += n;
	return p;
}

static struct metrics_svc *metrics_svc_new(const struct span_service *s, uint64_t h)
{
	const char *f[] = {s->name,	    s->namespace_, s->instance_id,
			   s->sdk_language, s->exe_path,   s->resource_attrs};
	size_t len = 0;
	struct metrics_svc *e;
	char *p;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		len += strlen(metrics_s(f[i])) + 1;
	e = calloc(1, sizeof(*e) + len);
	if (!e)
		return NULL;
	e->hash = h;
	p = e->text;
	e->s.name = metrics_svc_copy(&p, s->name);
	e->s.namespace_ = metrics_svc_copy(&p, s->namespace_);
	e->s.instance_id = metrics_svc_copy(&p, s->instance_id);
	e->s.sdk_language = metrics_svc_copy(&p, s->sdk_language);
	e->s.exe_path = metrics_svc_copy(&p, s->exe_path);
	e->s.resource_attrs = metrics_svc_copy(&p, s->resource_attrs);
	e->s.pid = s->pid;
	return e;
}

struct metrics_svc *metrics_svc_get(struct metrics_agg *a, const struct span_service *s)
{
	uint64_t h;
	struct metrics_svc **slot, *e;

	/* Most spans come from the service of the span before: its entry is checked by identity
	 * (pid, name, instance id: the process table may have reused the pointer), unhashed. */
	if (a->last_svc_key == s && a->last_svc && a->last_svc->s.pid == s->pid &&
	    !strcmp(a->last_svc->s.name, metrics_s(s->name)) &&
	    !strcmp(a->last_svc->s.instance_id, metrics_s(s->instance_id)))
		return a->last_svc;
	h = metrics_svc_hash(s);
	slot = &a->svcs[h & a->svc_mask];
	for (e = *slot; e; e = e->next)
		if (e->hash == h && metrics_svc_eq(&e->s, s))
			break;
	if (!e) {
		e = metrics_svc_new(s, h);
		if (!e)
			return NULL;
		e->next = *slot;
		*slot = e;
	}
	a->last_svc_key = s;
	a->last_svc = e;
	return e;
}

void metrics_svc_put(struct metrics_agg *a, struct metrics_svc *e)
{
	struct metrics_svc **pp = &a->svcs[e->hash & a->svc_mask];

	if (e->refs && --e->refs)
		return;
	if (a->last_svc == e)
		a->last_svc = NULL;
	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	free(e);
}

void metrics_svc_free_all(struct metrics_agg *a)
{
	a->last_svc = NULL;
	for (size_t i = 0; a->svcs && i <= a->svc_mask; i++)
		while (a->svcs[i]) {
			struct metrics_svc *e = a->svcs[i];

			a->svcs[i] = e->next;
			free(e);
		}
}
