/* metrics_export.c: one export round: series grouped per service -> histogram views -> OTLP
 * requests under the size limit -> the sender. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_int.h"

#define METRICS_ATTRS_MAX METRICS_ATTRS

int metrics_send(struct metrics *m, const struct otlp_rmetrics *rm, size_t n, size_t n_points)
{
	struct otlp_buf b = {0};
	int rc = m->cfg.http.json ? otlp_encode_metrics_json(rm, n, m->cfg.http.scope, &b)
				  : otlp_encode_metrics_pb(rm, n, m->cfg.http.scope, &b);

	if (!rc && b.len > m->cfg.http.max_request_bytes)
		rc = -E2BIG;
	if (rc) {
		if (rc != -E2BIG)
			m->x.st.encode_errors += n_points;
		otlp_buf_free(&b);
		return rc;
	}
	m->st.points += otlp_http_export_encoded(&m->x, &b, n_points);
	return 0;
}

/* OBI's attributes of an HTTP RED series (reference 3.4); absent values are left out. */
static size_t metrics_attrs(const struct metrics_series *s, struct otlp_attr *a)
{
	size_t n = 0;

	if (s->overflow) {
		a[n++] = (struct otlp_attr){
		    .key = "otel.metric.overflow", .type = OTLP_ATTR_BOOL, .v.b = true};
		return n;
	}
	if (s->method[0])
		a[n++] = (struct otlp_attr){
		    .key = "http.request.method", .type = OTLP_ATTR_STR, .v.s = s->method};
	if (s->status_code)
		a[n++] = (struct otlp_attr){.key = "http.response.status_code",
					    .type = OTLP_ATTR_INT,
					    .v.i = s->status_code};
	if (s->route[0])
		a[n++] =
		    (struct otlp_attr){.key = "http.route", .type = OTLP_ATTR_STR, .v.s = s->route};
	if (s->addr[0])
		a[n++] = (struct otlp_attr){
		    .key = "server.address", .type = OTLP_ATTR_STR, .v.s = s->addr};
	if (s->port)
		a[n++] =
		    (struct otlp_attr){.key = "server.port", .type = OTLP_ATTR_INT, .v.i = s->port};
	if (s->error_type[0])
		a[n++] = (struct otlp_attr){
		    .key = "error.type", .type = OTLP_ATTR_STR, .v.s = s->error_type};
	/* Opt-in (attributes.select include): last, so the default points stay as they were. */
	if (s->path[0])
		a[n++] =
		    (struct otlp_attr){.key = "url.path", .type = OTLP_ATTR_STR, .v.s = s->path};
	if (s->client[0])
		a[n++] = (struct otlp_attr){
		    .key = "client.address", .type = OTLP_ATTR_STR, .v.s = s->client};
	return n;
}

/* The views of one chunk of one service's series; arrays sized for n series. */
struct metrics_chunk {
	struct otlp_attr *attrs;
	struct otlp_hist_point *pts[METRICS_FAMILIES][METRICS_HISTS];
	size_t cnt[METRICS_FAMILIES][METRICS_HISTS];
	struct otlp_metric metrics[METRICS_FAMILIES * METRICS_HISTS];
	size_t n_metrics;
};

static void metrics_chunk_free(struct metrics_chunk *c)
{
	free(c->attrs);
	for (int f = 0; f < METRICS_FAMILIES; f++)
		for (int h = 0; h < METRICS_HISTS; h++)
			free(c->pts[f][h]);
}

static int metrics_chunk_alloc(struct metrics_chunk *c, size_t n)
{
	memset(c, 0, sizeof(*c));
	c->attrs = calloc(n * METRICS_ATTRS_MAX, sizeof(*c->attrs));
	for (int f = 0; f < METRICS_FAMILIES; f++)
		for (int h = 0; h < METRICS_HISTS; h++)
			c->pts[f][h] = calloc(n, sizeof(*c->pts[f][h]));
	for (int f = 0; f < METRICS_FAMILIES; f++)
		for (int h = 0; h < METRICS_HISTS; h++)
			if (!c->pts[f][h] || !c->attrs)
				return -ENOMEM;
	return 0;
}

static void metrics_chunk_fill(struct metrics *m, struct metrics_chunk *c,
			       struct metrics_series *const *ss, size_t n, uint64_t now_ns)
{
	enum otlp_temporality t =
	    m->cfg.agg.delta ? OTLP_TEMPORALITY_DELTA : OTLP_TEMPORALITY_CUMULATIVE;

	for (size_t i = 0; i < n; i++) {
		const struct metrics_series *s = ss[i];
		struct otlp_attr *a = &c->attrs[i * METRICS_ATTRS_MAX];
		size_t na = metrics_attrs(s, a);

		for (int h = 0; h < METRICS_HISTS; h++)
			if (s->hists & 1u << h)
				c->pts[s->family][h][c->cnt[s->family][h]++] =
				    (struct otlp_hist_point){
					.attrs = a,
					.n_attrs = na,
					.start_ns = s->start_ns,
					.time_ns = now_ns,
					.count = s->h[h].count,
					.sum = s->h[h].sum,
					.min = s->h[h].min,
					.max = s->h[h].max,
					.buckets = s->h[h].buckets,
				    };
	}
	for (int f = 0; f < METRICS_FAMILIES; f++)
		for (int h = 0; h < METRICS_HISTS; h++)
			if (c->cnt[f][h])
				c->metrics[c->n_metrics++] = (struct otlp_metric){
				    .name = metrics_names[f][h].name,
				    .desc = metrics_names[f][h].desc,
				    .unit = metrics_names[f][h].unit,
				    .kind = OTLP_METRIC_HISTOGRAM,
				    .temporality = t,
				    .bounds = m->cfg.agg.bounds[h].v,
				    .n_bounds = m->cfg.agg.bounds[h].n,
				    .hist = c->pts[f][h],
				    .n_points = c->cnt[f][h],
				};
}

/* ss[0..n) of one service as one request; halved until each half fits the size limit. */
static void metrics_send_series(struct metrics *m, const struct otlp_resource *res,
				struct metrics_series *const *ss, size_t n, uint64_t now_ns)
{
	struct metrics_chunk c;
	int rc = metrics_chunk_alloc(&c, n);
	size_t points = 0;

	if (!rc) {
		metrics_chunk_fill(m, &c, ss, n, now_ns);
		for (int f = 0; f < METRICS_FAMILIES; f++)
			for (int h = 0; h < METRICS_HISTS; h++)
				points += c.cnt[f][h];
		struct otlp_rmetrics rm = {.res_attrs = res->attrs,
					   .n_res_attrs = res->n_attrs,
					   .metrics = c.metrics,
					   .n_metrics = c.n_metrics};
		rc = metrics_send(m, &rm, 1, points);
	} else
		m->x.st.encode_errors += n * METRICS_HISTS;
	metrics_chunk_free(&c);
	if (rc == -E2BIG && n > 1) {
		metrics_send_series(m, res, ss, n / 2, now_ns);
		metrics_send_series(m, res, ss + n / 2, n - n / 2, now_ns);
	} else if (rc == -E2BIG)
		m->x.st.spans_too_large += points;
}

struct metrics_collect {
	struct metrics_series **v;
	size_t n;
	bool delta;
};

static bool metrics_collect_one(struct metrics_series *s, void *arg)
{
	struct metrics_collect *c = arg;

	/* A delta interval without measurements has no point (as the OTel SDKs). */
	if (!c->delta || s->h[0].count || s->h[1].count || s->h[2].count)
		c->v[c->n++] = s;
	return true;
}

static int metrics_series_cmp(const void *a, const void *b)
{
	const struct metrics_series *x = *(struct metrics_series *const *)a;
	const struct metrics_series *y = *(struct metrics_series *const *)b;

	if (x->svc != y->svc)
		return (uintptr_t)x->svc < (uintptr_t)y->svc ? -1 : 1;
	return (int)x->family - (int)y->family;
}

static void metrics_send_all(struct metrics *m, uint64_t now_ns)
{
	struct metrics_collect c = {.delta = m->cfg.agg.delta};

	c.v = m->agg.n_total ? malloc(m->agg.n_total * sizeof(struct metrics_series *)) : NULL;
	if (!c.v) {
		m->x.st.encode_errors += m->agg.n_total * METRICS_HISTS;
		return;
	}
	metrics_agg_each(&m->agg, metrics_collect_one, &c);
	qsort(c.v, c.n, sizeof(struct metrics_series *), metrics_series_cmp);
	for (size_t lo = 0, hi; lo < c.n; lo = hi) {
		struct otlp_resource res;

		for (hi = lo + 1; hi < c.n && c.v[hi]->svc == c.v[lo]->svc;)
			hi++;
		if (otlp_resource_build(&res, &c.v[lo]->svc->s, m->cfg.http.host)) {
			m->x.st.encode_errors += (hi - lo) * METRICS_HISTS;
			otlp_resource_free(&res);
			continue;
		}
		m->x.st.bad_resource_env += res.bad_env;
		metrics_send_series(m, &res, c.v + lo, hi - lo, now_ns);
		otlp_resource_free(&res);
	}
	free(c.v);
}

void metrics_export_round(struct metrics *m, uint64_t now_ns)
{
	metrics_agg_expire(&m->agg, now_ns);
	metrics_send_all(m, now_ns);
	if (m->cfg.internal && metrics_internal_export(m, now_ns))
		m->x.st.encode_errors += m->n_counters;
	if (m->cfg.agg.delta)
		metrics_agg_reset(&m->agg, now_ns);
	m->last_export_ns = now_ns;
	m->st.exports++;
	otlp_http_flush(&m->x);
}
