/* printer.c: the trace printer (OTEL_EBPF_TRACE_PRINTER): OBI text line, JSON, counter. */
#include "printer.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "otlp_model.h"

/*
 * JSON shape (json: one object per line; json_indent: the same object pretty-printed):
 *
 * {"type": "HTTP" | "HTTPClient", "kind": "SERVER" | "CLIENT", "name": "GET /route",
 *  "start": "2026-04-07T21:00:48.479048Z", "startUnixNano": N, "endUnixNano": N,
 *  "durationUs": 397.234, "traceId": "<32 hex>", "spanId": "<16 hex>",
 *  "parentSpanId": "<16 hex>" or "" for a root span, "traceFlags": "01",
 *  "status": "UNSET" | "OK" | "ERROR",
 *  "service": {"name", "namespace", "instanceId", "pid", "sdkLanguage"},
 *  "resource": {"k8s.pod.name": "...", ...} (only when the service has resource attributes:
 *               the k8s.* decoration, pod labels/annotations, the process's
 *               OTEL_RESOURCE_ATTRIBUTES, decoded as the OTLP exporter decodes them),
 *  "attributes": the span's attributes in SPAN_ATTR_TABLE order, each only when set
 *                (for HTTP: "http.request.method", "url.path" (always, "" for an empty
 *                path), "url.query", "http.route", "url.full" (client spans),
 *                "http.response.status_code" (non-zero), "http.request.body.size",
 *                "http.response.body.size", "network.protocol.version",
 *                "user_agent.original", "obi.http.response.cut" (true when cut)), then
 *                "server.address", "server.port", "client.address" (server spans)}}
 *
 * 64-bit integers are emitted as raw JSON numbers: cJSON keeps doubles, which would round nanos.
 */

#define PRINTER_LINE_MAX 8192
#define PRINTER_NS_PER_S 1000000000ull

void printer_init(struct printer *p, enum config_printer mode, FILE *out)
{
	p->mode = mode;
	p->out = out;
	p->count = 0;
}

/* Go's fmtFrac: the low prec digits of *v as ".ddd" without trailing zeros, right to left. */
static size_t printer_fmt_frac(char *buf, size_t w, uint64_t *v, int prec)
{
	bool print = false;
	int i;

	for (i = 0; i < prec; i++) {
		unsigned digit = (unsigned)(*v % 10);

		print = print || digit != 0;
		if (print)
			buf[--w] = (char)('0' + digit);
		*v /= 10;
	}
	if (print)
		buf[--w] = '.';
	return w;
}

static size_t printer_fmt_int(char *buf, size_t w, uint64_t v)
{
	if (v == 0)
		buf[--w] = '0';
	while (v > 0) {
		buf[--w] = (char)('0' + v % 10);
		v /= 10;
	}
	return w;
}

/*
 * Go's time.Duration.String() for non-negative durations: "0s", "850ns", "1.5µs", "1.2ms",
 * "2.5s", "1m1.5s", "1h0m0s". Users compare our lines with OBI's, so the format is kept exact.
 */
static void printer_go_duration(uint64_t d, char *out, size_t outsz)
{
	char buf[40];
	size_t w = sizeof(buf) - 1;

	buf[w] = '\0';
	buf[--w] = 's';
	if (d == 0) {
		buf[--w] = '0';
	} else if (d < PRINTER_NS_PER_S) {
		int prec;

		if (d < 1000) {
			prec = 0;
			buf[--w] = 'n';
		} else if (d < 1000000) {
			prec = 3;
			buf[--w] = '\xb5'; /* U+00B5 MICRO SIGN, as Go prints it */
			buf[--w] = '\xc2';
		} else {
			prec = 6;
			buf[--w] = 'm';
		}
		w = printer_fmt_frac(buf, w, &d, prec);
		w = printer_fmt_int(buf, w, d);
	} else {
		w = printer_fmt_frac(buf, w, &d, 9);
		w = printer_fmt_int(buf, w, d % 60);
		d /= 60;
		if (d > 0) {
			buf[--w] = 'm';
			w = printer_fmt_int(buf, w, d % 60);
			d /= 60;
			if (d > 0) {
				buf[--w] = 'h';
				w = printer_fmt_int(buf, w, d);
			}
		}
	}
	snprintf(out, outsz, "%s", buf + w);
}

/* UTC "YYYY-MM-DD HH:MM:SS.uuuuuu" (sep ' ') or RFC 3339 "...T...Z" (sep 'T'). */
static void printer_fmt_time(uint64_t ns, char sep, char *out, size_t outsz)
{
	time_t secs = (time_t)(ns / PRINTER_NS_PER_S);
	unsigned us = (unsigned)(ns % PRINTER_NS_PER_S / 1000);
	struct tm tm;

	if (!gmtime_r(&secs, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(out, outsz, "%04d-%02d-%02d%c%02d:%02d:%02d.%06u%s", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, sep, tm.tm_hour, tm.tm_min, tm.tm_sec, us,
		 sep == 'T' ? "Z" : "");
}

static void printer_hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static const char *printer_str(const char *s)
{
	return s ? s : "";
}

static uint64_t printer_duration(const struct span *s)
{
	return s->end_ns > s->start_ns ? s->end_ns - s->start_ns : 0;
}

/* Returns the text length, or -1 if it did not fit in len (buf then holds a truncated line). */
int printer_format_text(const struct span *s, char *buf, size_t len)
{
	char start[48], dur[40], tid[33], sid[17], pid[17];
	const struct span_service *svc = s->svc;
	const char *ns = svc ? printer_str(svc->namespace_) : "";
	int r;

	printer_fmt_time(s->start_ns, ' ', start, sizeof(start));
	printer_go_duration(printer_duration(s), dur, sizeof(dur));
	printer_hex(s->trace_id, sizeof(s->trace_id), tid);
	printer_hex(s->span_id, sizeof(s->span_id), sid);
	printer_hex(s->parent_span_id, sizeof(s->parent_span_id), pid);
	/* OBI has no request-start/start split for plain HTTP here: both durations are the same. */
	r = snprintf(buf, len,
		     "%s (%s[%s]) %s %d %s %s [%s as %s:%u]->[%s as %s:%u] contentLen:%" PRIu64
		     "B responseLen:%" PRIu64 "B svc=[%s%s%s %s] traceparent=[00-%s-%s[%s]-%02x]",
		     start, dur, dur, s->kind == SPAN_KIND_CLIENT ? "HTTPClient" : "HTTP",
		     (int)span_int(s, SPAN_A_HTTP_STATUS_CODE), span_str(s, SPAN_A_HTTP_METHOD),
		     span_str(s, SPAN_A_URL_PATH), s->peer_addr, s->peer_addr, s->peer_port,
		     s->host_addr, s->host_addr, s->host_port,
		     (uint64_t)span_int(s, SPAN_A_HTTP_REQ_BODY_SIZE),
		     (uint64_t)span_int(s, SPAN_A_HTTP_RESP_BODY_SIZE), ns, ns[0] ? "/" : "",
		     svc ? printer_str(svc->name) : "", svc ? printer_str(svc->sdk_language) : "",
		     tid, sid, pid, s->trace_flags);
	if (r < 0 || (size_t)r >= len)
		return -1;
	/* OBI's line stops at traceparent; http.route is ours, last so OBI's fields keep place. */
	if (span_has(s, SPAN_A_HTTP_ROUTE)) {
		int k = snprintf(buf + r, len - (size_t)r, " route=[%s]",
				 span_str(s, SPAN_A_HTTP_ROUTE));

		if (k < 0 || (size_t)k >= len - (size_t)r)
			return -1;
		r += k;
	}
	return r;
}

static const char *printer_status_name(enum span_status st)
{
	switch (st) {
	case SPAN_STATUS_OK:
		return "OK";
	case SPAN_STATUS_ERROR:
		return "ERROR";
	case SPAN_STATUS_UNSET:
		break;
	}
	return "UNSET";
}

/* Adds an exact unsigned 64-bit number; false on allocation failure. */
static bool printer_add_u64(cJSON *o, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	return cJSON_AddRawToObject(o, key, num) != NULL;
}

static bool printer_add_str(cJSON *o, const char *key, const char *v)
{
	return cJSON_AddStringToObject(o, key, printer_str(v)) != NULL;
}

static bool printer_json_service(cJSON *root, const struct span_service *svc)
{
	cJSON *o = cJSON_AddObjectToObject(root, "service");
	bool ok = o != NULL;

	if (!ok)
		return false;
	ok = ok && printer_add_str(o, "name", svc ? svc->name : "");
	ok = ok && printer_add_str(o, "namespace", svc ? svc->namespace_ : "");
	ok = ok && printer_add_str(o, "instanceId", svc ? svc->instance_id : "");
	ok = ok && printer_add_u64(o, "pid", svc ? svc->pid : 0);
	ok = ok && printer_add_str(o, "sdkLanguage", svc ? svc->sdk_language : "");
	return ok;
}

/*
 * The service's own resource attributes (k8s decoration first, then the process's list), as
 * the OTLP resource carries them. OBI's printer shape has no such field (the reference names
 * none); ours is an object so each key is looked up, not parsed out of a string. The decoder is
 * the exporter's: a malformed list is left out here exactly as it is left out there.
 */
static bool printer_json_resource(cJSON *root, const struct span_service *svc)
{
	static const struct otlp_host no_host; /* obi's own attributes are not the service's */
	struct otlp_resource r;
	const char *raw = svc ? svc->resource_attrs : NULL;
	struct span_service only = {.resource_attrs = raw};
	cJSON *o;
	bool ok = true;

	if (!raw || !raw[0])
		return true;
	if (otlp_resource_build(&r, &only, &no_host))
		return false;
	o = r.n_attrs ? cJSON_AddObjectToObject(root, "resource") : NULL;
	ok = !r.n_attrs || o != NULL;
	/* Every attribute decoded from a list is a string. */
	for (size_t i = 0; ok && i < r.n_attrs; i++)
		ok = printer_add_str(o, r.attrs[i].key, r.attrs[i].v.s);
	otlp_resource_free(&r);
	return ok;
}

/* What the OTLP adapter exports (otlp_model.c), in the same order: the span's attributes
 * walked through the table, then its connection (server.port also when 0). */
static bool printer_json_attrs(cJSON *root, const struct span *s)
{
	cJSON *a = cJSON_AddObjectToObject(root, "attributes");
	bool ok = a != NULL;

	for (int i = 0; ok && i < SPAN_A_COUNT; i++) {
		const struct span_attr_def *d = &span_attr_defs[i];

		if (!d->klen || !span_has(s, i))
			continue;
		if (d->type == SPAN_V_STR)
			ok = printer_add_str(a, d->key, span_str(s, i));
		else if (d->type == SPAN_V_INT)
			ok = printer_add_u64(a, d->key, (uint64_t)span_int(s, i));
		else
			ok = cJSON_AddBoolToObject(a, d->key, span_int(s, i) != 0) != NULL;
	}
	/* As before the attribute table: an HTTP span's url.path is there even when empty. */
	if (ok && s->type == SPAN_TYPE_HTTP && !span_has(s, SPAN_A_URL_PATH))
		ok = printer_add_str(a, "url.path", "");
	ok = ok && printer_add_str(a, "server.address", s->host_addr);
	ok = ok && printer_add_u64(a, "server.port", s->host_port);
	if (s->kind != SPAN_KIND_CLIENT)
		ok = ok && printer_add_str(a, "client.address", s->peer_addr);
	return ok;
}

/* The span as a new cJSON object (see the shape above); NULL on allocation failure. */
static cJSON *printer_json_span(const struct span *s)
{
	char start[48], tid[33], sid[17], pid[17], flags[3];
	cJSON *root = cJSON_CreateObject();
	bool ok = root != NULL;
	static const uint8_t zero[8];

	printer_fmt_time(s->start_ns, 'T', start, sizeof(start));
	printer_hex(s->trace_id, sizeof(s->trace_id), tid);
	printer_hex(s->span_id, sizeof(s->span_id), sid);
	if (memcmp(s->parent_span_id, zero, sizeof(zero)) == 0)
		pid[0] = '\0';
	else
		printer_hex(s->parent_span_id, sizeof(s->parent_span_id), pid);
	printer_hex(&s->trace_flags, 1, flags);

	ok = ok &&
	     printer_add_str(root, "type", s->kind == SPAN_KIND_CLIENT ? "HTTPClient" : "HTTP");
	ok = ok && printer_add_str(root, "kind", s->kind == SPAN_KIND_CLIENT ? "CLIENT" : "SERVER");
	ok = ok && printer_add_str(root, "name", span_str(s, SPAN_A_NAME));
	ok = ok && printer_add_str(root, "start", start);
	ok = ok && printer_add_u64(root, "startUnixNano", s->start_ns);
	ok = ok && printer_add_u64(root, "endUnixNano", s->end_ns);
	ok = ok && cJSON_AddNumberToObject(root, "durationUs",
					   (double)printer_duration(s) / 1000.0) != NULL;
	ok = ok && printer_add_str(root, "traceId", tid);
	ok = ok && printer_add_str(root, "spanId", sid);
	ok = ok && printer_add_str(root, "parentSpanId", pid);
	ok = ok && printer_add_str(root, "traceFlags", flags);
	ok = ok && printer_add_str(root, "status", printer_status_name(s->status));
	ok = ok && printer_json_service(root, s->svc);
	ok = ok && printer_json_resource(root, s->svc);
	ok = ok && printer_json_attrs(root, s);
	if (!ok) {
		cJSON_Delete(root);
		root = NULL;
	}
	return root;
}

static void printer_print_json(struct printer *p, const struct span *s, bool indent)
{
	cJSON *obj = printer_json_span(s);
	char *str = NULL;

	if (!obj)
		goto out;
	str = indent ? cJSON_Print(obj) : cJSON_PrintUnformatted(obj);
	if (!str)
		goto out;
	fputs(str, p->out);
	fputc('\n', p->out);
out:
	if (!str)
		log_warnx("trace printer: out of memory formatting a span");
	cJSON_free(str);
	cJSON_Delete(obj);
}

void printer_span(struct printer *p, const struct span *s)
{
	char line[PRINTER_LINE_MAX];

	/* The printer is a trace sink: ignored_patterns (traces) and filters drop spans here. */
	if (p->mode == CONFIG_PRINTER_DISABLED || s->drop_traces)
		return;
	p->count++;
	switch (p->mode) {
	case CONFIG_PRINTER_TEXT:
		/* Span strings are bounded well below the line size; a cut line still prints. */
		printer_format_text(s, line, sizeof(line));
		fprintf(p->out, "%s\n", line);
		break;
	case CONFIG_PRINTER_JSON:
	case CONFIG_PRINTER_JSON_INDENT:
		printer_print_json(p, s, p->mode == CONFIG_PRINTER_JSON_INDENT);
		break;
	case CONFIG_PRINTER_COUNTER:
	case CONFIG_PRINTER_DISABLED:
		break;
	}
}

void printer_batch_end(struct printer *p)
{
	if (p->mode == CONFIG_PRINTER_DISABLED)
		return;
	/* As OBI's counter printer: the cumulative total after every (non-empty) batch. */
	if (p->mode == CONFIG_PRINTER_COUNTER)
		fprintf(p->out, "Processed %" PRIu64 " requests\n", p->count);
	fflush(p->out);
}
