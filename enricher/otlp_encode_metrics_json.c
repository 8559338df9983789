/* otlp_encode_metrics_json.c: metric views -> ExportMetricsServiceRequest in OTLP/JSON (cJSON). */
#include "otlp_encode_metrics.h"
#include "otlp_encode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* The mapping writes 64-bit integers (fixed64 counts, times) as decimal strings. */
static cJSON *otlp_mj_u64(uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	return cJSON_CreateString(s);
}

static bool otlp_mj_add_u64(cJSON *o, const char *key, uint64_t v)
{
	cJSON *s = otlp_mj_u64(v);

	return s && cJSON_AddItemToObject(o, key, s);
}

static cJSON *otlp_mj_push(cJSON *arr)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static bool otlp_mj_hist_point(cJSON *arr, const struct otlp_metric *m,
			       const struct otlp_hist_point *p)
{
	cJSON *o = otlp_mj_push(arr), *bc, *eb;
	bool ok = o && otlp_json_attrs(o, p->attrs, p->n_attrs) &&
		  otlp_mj_add_u64(o, "startTimeUnixNano", p->start_ns) &&
		  otlp_mj_add_u64(o, "timeUnixNano", p->time_ns) &&
		  otlp_mj_add_u64(o, "count", p->count) &&
		  cJSON_AddNumberToObject(o, "sum", p->sum);

	bc = ok ? cJSON_AddArrayToObject(o, "bucketCounts") : NULL;
	eb = bc ? cJSON_AddArrayToObject(o, "explicitBounds") : NULL;
	ok = eb != NULL;
	for (size_t i = 0; ok && i <= m->n_bounds; i++) {
		cJSON *c = otlp_mj_u64(p->buckets[i]);

		ok = c && cJSON_AddItemToArray(bc, c);
	}
	for (size_t i = 0; ok && i < m->n_bounds; i++) {
		cJSON *c = cJSON_CreateNumber(m->bounds[i]);

		ok = c && cJSON_AddItemToArray(eb, c);
	}
	if (ok && p->count)
		ok = cJSON_AddNumberToObject(o, "min", p->min) &&
		     cJSON_AddNumberToObject(o, "max", p->max);
	return ok;
}

static bool otlp_mj_sum_point(cJSON *arr, const struct otlp_sum_point *p)
{
	cJSON *o = otlp_mj_push(arr);
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, p->value);
	return o && otlp_json_attrs(o, p->attrs, p->n_attrs) &&
	       otlp_mj_add_u64(o, "startTimeUnixNano", p->start_ns) &&
	       otlp_mj_add_u64(o, "timeUnixNano", p->time_ns) &&
	       cJSON_AddStringToObject(o, "asInt", s);
}

static bool otlp_mj_metric(cJSON *arr, const struct otlp_metric *m)
{
	bool hist = m->kind == OTLP_METRIC_HISTOGRAM;
	cJSON *o = otlp_mj_push(arr), *d, *pts;
	bool ok = o && cJSON_AddStringToObject(o, "name", m->name) &&
		  (!m->desc || cJSON_AddStringToObject(o, "description", m->desc)) &&
		  (!m->unit || cJSON_AddStringToObject(o, "unit", m->unit));

	d = ok ? cJSON_AddObjectToObject(o, hist ? "histogram" : "sum") : NULL;
	pts = d ? cJSON_AddArrayToObject(d, "dataPoints") : NULL;
	ok = pts && cJSON_AddNumberToObject(d, "aggregationTemporality", m->temporality) &&
	     (hist || !m->monotonic || cJSON_AddBoolToObject(d, "isMonotonic", true));
	for (size_t i = 0; ok && i < m->n_points; i++)
		ok = hist ? otlp_mj_hist_point(pts, m, &m->hist[i])
			  : otlp_mj_sum_point(pts, &m->sum[i]);
	return ok;
}

static bool otlp_mj_rm(cJSON *top, const struct otlp_rmetrics *rm, const struct otlp_scope *scope)
{
	cJSON *o = otlp_mj_push(top), *r, *sms, *sm, *sc, *ms;
	bool ok;

	r = o ? cJSON_AddObjectToObject(o, "resource") : NULL;
	sms = r && otlp_json_attrs(r, rm->res_attrs, rm->n_res_attrs)
		  ? cJSON_AddArrayToObject(o, "scopeMetrics")
		  : NULL;
	sm = sms ? otlp_mj_push(sms) : NULL;
	sc = sm ? cJSON_AddObjectToObject(sm, "scope") : NULL;
	ok = sc && cJSON_AddStringToObject(sc, "name", scope->name) &&
	     cJSON_AddStringToObject(sc, "version", scope->version);
	ms = ok ? cJSON_AddArrayToObject(sm, "metrics") : NULL;
	ok = ms != NULL;
	for (size_t i = 0; ok && i < rm->n_metrics; i++)
		ok = otlp_mj_metric(ms, &rm->metrics[i]);
	return ok;
}

int otlp_encode_metrics_json(const struct otlp_rmetrics *rm, size_t n,
			     const struct otlp_scope *scope, struct otlp_buf *out)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *top = root ? cJSON_AddArrayToObject(root, "resourceMetrics") : NULL;
	char *text = NULL;
	bool ok = top != NULL;
	int rc;

	for (size_t i = 0; ok && i < n; i++)
		ok = otlp_mj_rm(top, &rm[i], scope);
	text = ok ? cJSON_PrintUnformatted(root) : NULL;
	rc = text ? otlp_buf_append(out, text, strlen(text)) : -ENOMEM;
	free(text);
	cJSON_Delete(root);
	return rc;
}
