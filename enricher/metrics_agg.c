/* metrics_agg.c: finished spans -> RED histogram series (hash lookup, limit, TTL, delta reset). */
#include "metrics_agg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "monotime.h"

/* A span without a service still counts: it goes under this resource (as the trace encoder). */
static const struct span_service metrics_unknown_svc = {.name = "unknown_service",
							.namespace_ = "",
							.instance_id = "",
							.sdk_language = "generic",
							.exe_path = "",
							.resource_attrs = ""};

static size_t metrics_pow2(size_t n)
{
	size_t p = 16;

	while (p < n)
		p <<= 1;
	return p;
}

/* Metrics of a family that drop the same attributes share series (one lookup per span). */
static void metrics_agg_groups(struct metrics_agg *a)
{
	for (int f = 0; f < METRICS_FAMILIES; f++)
		for (int h = 0; h < METRICS_HISTS; h++) {
			metrics_drop_t d =
			    (metrics_drop_t)((a->cfg.drop[f][h] & ~METRICS_OPTIN_BITS) |
					     (METRICS_OPTIN_BITS & ~(unsigned)a->cfg.optin[f][h]));
			size_t g = 0;

			while (g < a->n_groups[f] && a->gdrop[f][g] != d)
				g++;
			if (g == a->n_groups[f])
				a->gdrop[f][a->n_groups[f]++] = d;
			a->ghists[f][g] |= (uint8_t)(1u << h);
		}
	for (int f = 0; f < METRICS_FAMILIES; f++)
		for (size_t g = 0; g < a->n_groups[f]; g++)
			a->kept[f] |= (metrics_drop_t)~a->gdrop[f][g];
}

int metrics_agg_init(struct metrics_agg *a, const struct metrics_agg_config *cfg)
{
	memset(a, 0, sizeof(*a));
	if (!cfg->limit)
		return -EINVAL;
	a->cfg = *cfg;
	metrics_agg_groups(a);
	/* Route and method text comes from applications' requests: a key's hash is seeded. */
	if (getrandom(&a->seed, sizeof(a->seed), 0) != sizeof(a->seed))
		a->seed = monotime_ns();
	a->seed |= 1;
	/* Chains of about half a series at the limit: lookups stay one or two compares. */
	a->mask = metrics_pow2(2 * cfg->limit * METRICS_FAMILIES) - 1;
	a->svc_mask = 255;
	a->table = calloc(a->mask + 1, sizeof(struct metrics_series *));
	a->svcs = calloc(a->svc_mask + 1, sizeof(struct metrics_svc *));
	if (!a->table || !a->svcs) {
		metrics_agg_free(a);
		return -ENOMEM;
	}
	return 0;
}

static void metrics_series_free(struct metrics_agg *a, struct metrics_series *s)
{
	metrics_svc_put(a, s->svc);
	free(s);
}

void metrics_agg_free(struct metrics_agg *a)
{
	for (size_t i = 0; a->table && i <= a->mask; i++)
		while (a->table[i]) {
			struct metrics_series *s = a->table[i];

			a->table[i] = s->next;
			free(s);
		}
	metrics_svc_free_all(a);
	free(a->table);
	free(a->svcs);
	a->table = NULL;
	a->svcs = NULL;
}

/* The attribute set of sp as OBI's RED metrics carry it (reference 3.4). */
struct metrics_key {
	uint8_t family, group;
	bool overflow, error;
	uint16_t port;
	int status_code;
	int err_code; /* error.type's status code (0: _OTHER); kept when the status is dropped */
	const char *method, *route, *addr, *path, *client;
	struct metrics_svc *svc;
};

static uint64_t metrics_key_hash(const struct metrics_agg *a, const struct metrics_key *k)
{
	uint64_t h = metrics_hash_u64(a->seed, (uintptr_t)k->svc);

	/* An overflow series is one per family and service: nothing else may pick its chain. */
	h = metrics_hash_u64(h, (uint64_t)k->family << 40 | (uint64_t)k->group << 36 |
				    (uint64_t)k->overflow << 33);
	if (k->overflow)
		return h;
	h = metrics_hash_u64(h, (uint64_t)k->error << 32 | (uint64_t)k->port << 16);
	h = metrics_hash_u64(h, (uint64_t)(uint32_t)k->err_code << 32 | (uint32_t)k->status_code);
	h = metrics_hash_str(h, k->method);
	h = metrics_hash_str(h, k->route);
	h = metrics_hash_str(h, k->addr);
	/* The opt-in values are mostly absent: skipping "" keeps the default key's cost (a
	 * value moved between the two only collides; metrics_key_eq tells them apart). */
	if (k->path[0])
		h = metrics_hash_str(h, k->path);
	if (k->client[0])
		h = metrics_hash_str(h, k->client);
	return h;
}

/* Most compared values are equal or absent: the first byte settles "" without a call. */
static inline bool metrics_str_eq(const char *a, const char *b)
{
	return a[0] == b[0] && (!a[0] || !strcmp(a + 1, b + 1));
}

static bool metrics_key_eq(const struct metrics_series *s, const struct metrics_key *k)
{
	if (s->svc != k->svc || s->family != k->family || s->group != k->group ||
	    s->overflow != k->overflow)
		return false;
	if (k->overflow)
		return true;
	return s->error == k->error && s->err_code == k->err_code && s->port == k->port &&
	       s->status_code == k->status_code && metrics_str_eq(s->method, k->method) &&
	       metrics_str_eq(s->route, k->route) && metrics_str_eq(s->addr, k->addr) &&
	       metrics_str_eq(s->path, k->path) && metrics_str_eq(s->client, k->client);
}

static const char *metrics_put_str(char **p, const char *s)
{
	char *d = *p;
	size_t n = strlen(s) + 1;

	memcpy(d, s, n);
	*p += n;
	return d;
}

/* One allocation: the header, every histogram's bucket counts, the attribute strings. Each
 * string is bounded by its span field (SPAN_STR_MAX, SPAN_ADDR_MAX), and the series by the
 * cardinality limit: at most about 2.3 KiB of strings per series. */
static struct metrics_series *metrics_series_new(struct metrics_agg *a, const struct metrics_key *k,
						 uint64_t h, uint64_t now_ns)
{
	size_t nb = 0, slen = strlen(k->method) + strlen(k->route) + strlen(k->addr) +
			      strlen(k->path) + strlen(k->client) + 5;
	struct metrics_series *s;
	uint64_t *b;
	char *p;

	for (int i = 0; i < METRICS_HISTS; i++)
		nb += a->cfg.bounds[i].n + 1;
	s = calloc(1, sizeof(*s) + nb * sizeof(uint64_t) + slen);
	if (!s)
		return NULL;
	s->hash = h;
	s->svc = k->svc;
	s->family = k->family;
	s->group = k->group;
	s->hists = a->ghists[k->family][k->group];
	s->overflow = k->overflow;
	s->error = k->error;
	s->err_code = k->err_code;
	s->port = k->port;
	s->status_code = k->status_code;
	b = s->mem;
	for (int i = 0; i < METRICS_HISTS; i++) {
		s->h[i].buckets = b;
		b += a->cfg.bounds[i].n + 1;
	}
	p = (char *)b;
	s->method = metrics_put_str(&p, k->method);
	s->route = metrics_put_str(&p, k->route);
	s->addr = metrics_put_str(&p, k->addr);
	s->path = metrics_put_str(&p, k->path);
	s->client = metrics_put_str(&p, k->client);
	/* error.type of an HTTP failure is its status code; no response at all is _OTHER. */
	if (k->error && k->err_code > 0)
		snprintf(s->error_type, sizeof(s->error_type), "%d", k->err_code);
	else if (k->error)
		snprintf(s->error_type, sizeof(s->error_type), "_OTHER");
	s->start_ns = now_ns;
	k->svc->refs++;
	return s;
}

static struct metrics_series *metrics_find(struct metrics_agg *a, const struct metrics_key *k,
					   uint64_t h)
{
	for (struct metrics_series *s = a->table[h & a->mask]; s; s = s->next)
		if (s->hash == h && metrics_key_eq(s, k))
			return s;
	return NULL;
}

static struct metrics_series *metrics_lookup(struct metrics_agg *a, struct metrics_key *k,
					     uint64_t now_ns)
{
	uint64_t h = metrics_key_hash(a, k);
	struct metrics_series *s = metrics_find(a, k, h);

	if (s)
		return s;
	if (a->n_gseries[k->family][k->group] >= a->cfg.limit) {
		k->overflow = true;
		h = metrics_key_hash(a, k);
		s = metrics_find(a, k, h);
		if (s)
			return s;
	}
	s = metrics_series_new(a, k, h, now_ns);
	if (!s)
		return NULL;
	s->next = a->table[h & a->mask];
	a->table[h & a->mask] = s;
	a->n_total++;
	if (!k->overflow) {
		a->n_series[k->family]++;
		a->n_gseries[k->family][k->group]++;
	}
	return s;
}

static void metrics_hist_add(struct metrics_hstate *h, const struct metrics_bounds *b, double x)
{
	if (!h->count || x < h->min)
		h->min = x;
	if (!h->count || x > h->max)
		h->max = x;
	h->count++;
	h->sum += x;
	h->buckets[metrics_bucket(b, x)]++;
}

/* The key of group g: the attributes it drops are left absent, so those spans merge. */
static void metrics_key_mask(struct metrics_key *k, metrics_drop_t drop)
{
	if (drop & 1u << METRICS_A_METHOD)
		k->method = "";
	if (drop & 1u << METRICS_A_STATUS)
		k->status_code = 0;
	if (drop & 1u << METRICS_A_ROUTE)
		k->route = "";
	if (drop & 1u << METRICS_A_ADDR)
		k->addr = "";
	if (drop & 1u << METRICS_A_PORT)
		k->port = 0;
	if (drop & 1u << METRICS_A_PATH)
		k->path = "";
	if (drop & 1u << METRICS_A_CLIENT)
		k->client = "";
	if (drop & 1u << METRICS_A_ERROR) {
		k->error = false;
		k->err_code = 0;
	}
}

static void metrics_series_add(struct metrics_agg *a, struct metrics_series *s,
			       const struct span *sp, double dur, uint64_t now_ns)
{
	const double x[METRICS_HISTS] = {dur, (double)span_int(sp, SPAN_A_HTTP_REQ_BODY_SIZE),
					 (double)span_int(sp, SPAN_A_HTTP_RESP_BODY_SIZE)};

	for (int h = 0; h < METRICS_HISTS; h++)
		if (s->hists & 1u << h)
			metrics_hist_add(&s->h[h], &a->cfg.bounds[h], x[h]);
	s->last_ns = now_ns;
}

/* Records into the series of group g; false without memory. */
static bool metrics_record_group(struct metrics_agg *a, const struct metrics_key *base, size_t g,
				 const struct span *sp, double dur, uint64_t now_ns)
{
	struct metrics_key k = *base;
	struct metrics_series *s;

	k.group = (uint8_t)g;
	metrics_key_mask(&k, a->gdrop[k.family][g]);
	s = metrics_lookup(a, &k, now_ns);
	if (!s)
		return false;
	metrics_series_add(a, s, sp, dur, now_ns);
	a->st.overflow += g == 0 && s->overflow;
	return true;
}

/* Opt-in values are read only when some group keeps them; an IP address becomes the rename
 * word of its direction (OBI: a client span's server.address is outgoing, a server span's
 * client.address incoming, a server span's server.address the generic word). */
static void metrics_key_addrs(struct metrics_agg *a, struct metrics_key *k, const struct span *sp)
{
	const char(*w)[METRICS_UNRES_MAX] = a->cfg.unresolved;
	bool client = k->family == METRICS_CLIENT;
	metrics_drop_t kept = a->kept[k->family];

	k->addr = sp->host_addr;
	if (kept & 1u << METRICS_A_ADDR)
		k->addr = metrics_unresolved_cached(
		    &a->ipc[0], w[client ? METRICS_UNRES_OUT : METRICS_UNRES_GENERIC],
		    sp->host_addr);
	k->path = kept & 1u << METRICS_A_PATH ? span_str(sp, SPAN_A_URL_PATH) : "";
	k->client = "";
	/* HTTP client metrics have no client.address (reference 3.4): the bit is never kept. */
	if (kept & 1u << METRICS_A_CLIENT)
		k->client = metrics_unresolved_cached(
		    &a->ipc[1], w[client ? METRICS_UNRES_GENERIC : METRICS_UNRES_IN],
		    sp->peer_addr);
}

void metrics_agg_record(struct metrics_agg *a, const struct span *sp, uint64_t now_ns)
{
	struct metrics_key k = {0};
	double dur = 0;
	int64_t status;
	bool ok = true;

	/* The RED metrics here are HTTP's (http.server.*, http.client.*). */
	if (sp->drop_metrics || sp->type != SPAN_TYPE_HTTP ||
	    (sp->kind != SPAN_KIND_SERVER && sp->kind != SPAN_KIND_CLIENT)) {
		a->st.skipped++;
		return;
	}
	k.family = sp->kind == SPAN_KIND_SERVER ? METRICS_SERVER : METRICS_CLIENT;
	k.error = sp->status == SPAN_STATUS_ERROR;
	k.port = sp->host_port;
	status = span_int(sp, SPAN_A_HTTP_STATUS_CODE);
	k.status_code = status > 0 && status < 1000 ? (int)status : 0;
	k.err_code = k.error ? k.status_code : 0;
	k.method = span_str(sp, SPAN_A_HTTP_METHOD);
	k.route = span_str(sp, SPAN_A_HTTP_ROUTE);
	metrics_key_addrs(a, &k, sp);
	k.svc = metrics_svc_get(a, sp->svc ? sp->svc : &metrics_unknown_svc);
	if (sp->end_ns >= sp->start_ns)
		dur = (double)(sp->end_ns - sp->start_ns) / 1e9;
	for (size_t g = 0; k.svc && ok && g < a->n_groups[k.family]; g++)
		ok = metrics_record_group(a, &k, g, sp, dur, now_ns);
	if (!k.svc || !ok) {
		if (k.svc && !k.svc->refs)
			metrics_svc_put(a, k.svc);
		a->st.no_memory++;
		return;
	}
	a->st.bad_duration += sp->end_ns < sp->start_ns;
	a->st.spans++;
}

void metrics_agg_expire(struct metrics_agg *a, uint64_t now_ns)
{
	if (!a->cfg.ttl_ns || now_ns < a->cfg.ttl_ns)
		return;
	for (size_t i = 0; i <= a->mask; i++)
		for (struct metrics_series **pp = &a->table[i]; *pp;) {
			struct metrics_series *s = *pp;

			if (s->last_ns >= now_ns - a->cfg.ttl_ns) {
				pp = &s->next;
				continue;
			}
			*pp = s->next;
			a->n_total--;
			if (!s->overflow) {
				a->n_series[s->family]--;
				a->n_gseries[s->family][s->group]--;
			}
			a->st.expired++;
			metrics_series_free(a, s);
		}
}

void metrics_agg_reset(struct metrics_agg *a, uint64_t now_ns)
{
	for (size_t i = 0; i <= a->mask; i++)
		for (struct metrics_series *s = a->table[i]; s; s = s->next) {
			for (int j = 0; j < METRICS_HISTS; j++) {
				struct metrics_hstate *h = &s->h[j];

				memset(h->buckets, 0, (a->cfg.bounds[j].n + 1) * sizeof(uint64_t));
				h->count = 0;
				h->sum = h->min = h->max = 0;
			}
			s->start_ns = now_ns;
		}
}

void metrics_agg_each(struct metrics_agg *a, bool (*fn)(struct metrics_series *s, void *arg),
		      void *arg)
{
	for (size_t i = 0; i <= a->mask; i++)
		for (struct metrics_series *s = a->table[i]; s; s = s->next)
			if (!fn(s, arg))
				return;
}
