/* otlp_json.c: spans -> ExportTraceServiceRequest in the OTLP/JSON mapping (cJSON). */
#include "otlp_encode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "otlp_encode_select.h"

static bool otlp_json_hex(cJSON *o, const char *key, const uint8_t *id, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char hex[33];

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[id[i] >> 4];
		hex[2 * i + 1] = digits[id[i] & 15];
	}
	hex[2 * n] = '\0';
	return cJSON_AddStringToObject(o, key, hex) != NULL;
}

/* The JSON mapping writes 64-bit integers as decimal strings (JSON numbers lose precision). */
static bool otlp_json_u64(cJSON *o, const char *key, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	return cJSON_AddStringToObject(o, key, s) != NULL;
}

static bool otlp_json_value(cJSON *kv, const struct otlp_attr *a)
{
	cJSON *v = cJSON_AddObjectToObject(kv, "value");
	char s[24];

	if (!v)
		return false;
	switch (a->type) {
	case OTLP_ATTR_STR:
		return cJSON_AddStringToObject(v, "stringValue", a->v.s) != NULL;
	case OTLP_ATTR_INT:
		snprintf(s, sizeof(s), "%" PRId64, a->v.i);
		return cJSON_AddStringToObject(v, "intValue", s) != NULL;
	case OTLP_ATTR_BOOL:
		return cJSON_AddBoolToObject(v, "boolValue", a->v.b) != NULL;
	case OTLP_ATTR_DOUBLE:
		return cJSON_AddNumberToObject(v, "doubleValue", a->v.d) != NULL;
	}
	return false;
}

bool otlp_json_attrs(cJSON *o, const struct otlp_attr *a, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(o, "attributes");

	for (size_t i = 0; arr && i < n; i++) {
		cJSON *kv = cJSON_CreateObject();

		if (!kv || !cJSON_AddItemToArray(arr, kv))
			return cJSON_Delete(kv), false;
		if (!cJSON_AddStringToObject(kv, "key", a[i].key) || !otlp_json_value(kv, &a[i]))
			return false;
	}
	return arr != NULL;
}

static bool otlp_json_span(cJSON *arr, const struct span *sp, const struct otlp_span_select *sel)
{
	cJSON *o = cJSON_CreateObject(), *st;
	struct otlp_span v;
	bool ok;

	if (!o || !cJSON_AddItemToArray(arr, o))
		return cJSON_Delete(o), false;
	otlp_span_view(sp, &v);
	otlp_span_select_apply(sel, &v);
	ok =
	    otlp_json_hex(o, "traceId", v.trace_id, 16) && otlp_json_hex(o, "spanId", v.span_id, 8);
	if (ok && v.parent_span_id)
		ok = otlp_json_hex(o, "parentSpanId", v.parent_span_id, 8);
	ok = ok && cJSON_AddNumberToObject(o, "flags", v.flags);
	ok = ok && cJSON_AddStringToObject(o, "name", v.name);
	ok = ok && cJSON_AddNumberToObject(o, "kind", v.kind);
	ok = ok && otlp_json_u64(o, "startTimeUnixNano", v.start_ns);
	ok = ok && otlp_json_u64(o, "endTimeUnixNano", v.end_ns);
	ok = ok && otlp_json_attrs(o, v.attrs, v.n_attrs);
	st = ok ? cJSON_AddObjectToObject(o, "status") : NULL;
	/* proto3's JSON mapping leaves default values out (STATUS_CODE_UNSET is 0). */
	return st && (!v.status || cJSON_AddNumberToObject(st, "code", v.status));
}

static bool otlp_json_scope(cJSON *rs, const struct otlp_scope *scope, cJSON **spans)
{
	cJSON *arr = cJSON_AddArrayToObject(rs, "scopeSpans"), *ss = cJSON_CreateObject(), *sc;

	if (!arr || !ss || !cJSON_AddItemToArray(arr, ss))
		return cJSON_Delete(ss), false;
	sc = cJSON_AddObjectToObject(ss, "scope");
	if (!sc || !cJSON_AddStringToObject(sc, "name", scope->name) ||
	    !cJSON_AddStringToObject(sc, "version", scope->version))
		return false;
	*spans = cJSON_AddArrayToObject(ss, "spans");
	return *spans != NULL;
}

/* One ResourceSpans: the service's resource, then its spans under obi's scope. */
static int otlp_json_group(cJSON *top, const struct otlp_groups *g, size_t k,
			   const struct span *const *spans, const struct otlp_host *host,
			   const struct otlp_scope *scope, const struct otlp_span_select *sel,
			   struct otlp_encode_stats *st)
{
	struct otlp_resource res;
	cJSON *rs = cJSON_CreateObject(), *r, *arr = NULL;
	bool ok = rs && cJSON_AddItemToArray(top, rs);
	int rc;

	if (!ok) {
		cJSON_Delete(rs);
		return -ENOMEM;
	}
	rc = otlp_resource_build(&res, g->svc[k], host);
	if (rc)
		return rc;
	st->resources++;
	st->bad_resource_env += res.bad_env;
	r = cJSON_AddObjectToObject(rs, "resource");
	ok = r && otlp_json_attrs(r, res.attrs, res.n_attrs) && otlp_json_scope(rs, scope, &arr);
	for (size_t j = g->start[k]; ok && j < g->start[k + 1]; j++)
		ok = otlp_json_span(arr, spans[g->order[j]], sel);
	otlp_resource_free(&res);
	return ok ? 0 : -ENOMEM;
}

int otlp_encode_traces_json(const struct span *const *spans, size_t n, const struct otlp_host *host,
			    const struct otlp_scope *scope, struct otlp_buf *out,
			    struct otlp_encode_stats *st)
{
	return otlp_encode_traces_json_sel(spans, n, host, scope, NULL, out, st);
}

int otlp_encode_traces_json_sel(const struct span *const *spans, size_t n,
				const struct otlp_host *host, const struct otlp_scope *scope,
				const struct otlp_span_select *sel, struct otlp_buf *out,
				struct otlp_encode_stats *st)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *top = root ? cJSON_AddArrayToObject(root, "resourceSpans") : NULL;
	struct otlp_groups g;
	char *text = NULL;
	int rc = top ? otlp_groups_build(&g, spans, n) : -ENOMEM;

	if (rc) {
		cJSON_Delete(root);
		return rc;
	}
	for (size_t k = 0; !rc && k < g.n_groups; k++)
		rc = otlp_json_group(top, &g, k, spans, host, scope, sel, st);
	if (!rc) {
		text = cJSON_PrintUnformatted(root);
		rc = text ? otlp_buf_append(out, text, strlen(text)) : -ENOMEM;
	}
	free(text);
	otlp_groups_free(&g);
	cJSON_Delete(root);
	return rc;
}
