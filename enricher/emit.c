/* emit.c: the span pipeline's stages after span building: sampler, metrics, printer, OTLP. */
#include "emit.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/config_schema.h"
#include "enricher.h"
#include "metrics.h"
#include "otlp_http.h"

#define EMIT_SCOPE_NAME "go.opentelemetry.io/obi"
#define EMIT_VERSION "0.1.0"

/* host.id as the OTel host detector has it: the machine id, when the file is there. */
static void emit_host_id(struct emit *m)
{
	FILE *f = fopen("/etc/machine-id", "re");

	m->host_id[0] = 0;
	if (!f)
		return;
	if (!fgets(m->host_id, sizeof(m->host_id), f))
		m->host_id[0] = 0;
	m->host_id[strcspn(m->host_id, "\r\n")] = 0;
	fclose(f);
}

/*
 * obi's own OTEL_RESOURCE_ATTRIBUTES, which the config layer has decoded and checked, back in
 * the specification's k=v,k=v form with every byte that has a meaning there escaped: the
 * resource builder reads that form (it also reads each process's own variable).
 */
static int emit_resource_attrs(struct emit *m, const struct config_map *map)
{
	size_t cap = 1;
	char *p;

	for (unsigned i = 0; i < map->n; i++)
		cap += 3 * (strlen(map->kv[i].k) + strlen(map->kv[i].v)) + 2;
	m->resource_attrs = p = malloc(cap);
	if (!p)
		return -ENOMEM;
	for (unsigned i = 0; i < map->n; i++) {
		if (i)
			*p++ = ',';
		p = otlp_res_escape(p, map->kv[i].k);
		*p++ = '=';
		p = otlp_res_escape(p, map->kv[i].v);
	}
	*p = 0;
	return 0;
}

static int emit_curl(struct emit *m, char *err, size_t errlen)
{
	if (m->curl_ready)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "out of memory (libcurl)");
		return -ENOMEM;
	}
	m->curl_ready = true;
	return 0;
}

static int emit_traces_init(struct enricher *e, char *err, size_t errlen)
{
	struct emit *m = &e->emit;
	char red[512];
	int rc;

	m->stage = calloc(EMIT_STAGE_MAX, sizeof(*m->stage));
	m->stage_text = malloc(EMIT_STAGE_TEXT);
	m->traces = calloc(1, sizeof(*m->traces));
	if (!m->stage || !m->stage_text || !m->traces) {
		snprintf(err, errlen, "out of memory (OTLP exporter)");
		return -ENOMEM;
	}
	rc = otlp_http_init(m->traces, &e->loop, &m->xcfg.http, err, errlen);
	if (rc) {
		free(m->traces);
		m->traces = NULL;
		return rc;
	}
	/* The endpoint is logged without its userinfo, never the headers (secrets). */
	config_redact_url(m->xcfg.url, red, sizeof(red));
	log_info("exporting traces to %s (%s%s, %zu headers, sampler %s)", red, m->xcfg.protocol,
		 m->xcfg.http.gzip ? ", gzip" : "", m->xcfg.http.n_headers,
		 sampler_name(&m->sampler));
	return 0;
}

/* RED metrics, and obi's own counters when internal_metrics.exporter is otel. */
static int emit_metrics_init(struct enricher *e, char *err, size_t errlen)
{
	struct emit *m = &e->emit;
	struct metrics_table *t;
	char red[512];
	int rc = metrics_new(&m->metrics, &e->loop, &e->cfg, &m->host, err, errlen);

	if (rc || !m->metrics)
		return rc;
	config_redact_url(metrics_sender_config(m->metrics)->url, red, sizeof(red));
	log_info("exporting metrics to %s", red);
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory (metrics)");
		return -ENOMEM;
	}
	metrics_table_enricher(t, &e->st);
	metrics_table_exporter(t, "traces", m->traces ? &m->traces->st : NULL);
	metrics_table_exporter(t, "metrics", metrics_sender_stats(m->metrics));
	rc = metrics_set_internal(m->metrics, t->c, t->n);
	free(t);
	if (rc)
		snprintf(err, errlen, "internal metrics: %s", strerror(-rc));
	return rc;
}

int emit_init(struct enricher *e, char *err, size_t errlen)
{
	struct emit *m = &e->emit;
	int rc = export_config_sampler(&m->sampler, &e->cfg, err, errlen);

	if (!rc)
		rc = emit_sels_init(&m->sels, &e->cfg, err, errlen);

	emit_host_id(m);
	m->host = (struct otlp_host){.host_name = e->hostname,
				     .host_id = m->host_id,
				     .sdk_name = "opentelemetry-ebpf-instrumentation",
				     .sdk_version = EMIT_VERSION};
	m->scope = (struct otlp_scope){.name = EMIT_SCOPE_NAME, .version = EMIT_VERSION};
	if (!rc && emit_resource_attrs(m, &e->cfg.otlp.resource_attributes)) {
		snprintf(err, errlen, "out of memory (OTEL_RESOURCE_ATTRIBUTES)");
		rc = -ENOMEM;
	}
	m->host.resource_attrs = m->resource_attrs;
	if (!rc)
		rc = export_config_traces(&m->xcfg, &e->cfg, &m->host, &m->scope, err, errlen);
	if (!rc && otlp_span_select_init(&m->span_select, &e->cfg.attributes.select)) {
		snprintf(err, errlen, "out of memory (attributes.select)");
		rc = -ENOMEM;
	}
	m->xcfg.http.span_select = m->span_select.n ? &m->span_select : NULL;
	if (!rc)
		rc = emit_curl(m, err, errlen);
	if (!rc && m->xcfg.enabled)
		rc = emit_traces_init(e, err, errlen);
	if (!rc)
		rc = emit_metrics_init(e, err, errlen);
	return rc;
}

static void emit_stage_flush(struct emit *m)
{
	const struct span *v[EMIT_STAGE_MAX];
	size_t took;

	if (!m->n_stage)
		return;
	for (size_t i = 0; i < m->n_stage; i++)
		v[i] = &m->stage[i];
	took = otlp_http_export(m->traces, v, m->n_stage);
	m->st.exported += took;
	m->st.export_refused += m->n_stage - took;
	m->n_stage = 0;
	m->stage_text_len = 0;
}

void emit_flush(struct enricher *e)
{
	metrics_flush(e->emit.metrics);
	if (!e->emit.traces)
		return;
	emit_stage_flush(&e->emit);
	otlp_http_flush(e->emit.traces);
}

bool emit_idle(const struct enricher *e)
{
	return (!e->emit.traces || otlp_http_idle(e->emit.traces)) &&
	       (!e->emit.metrics || metrics_idle(e->emit.metrics));
}

void emit_free(struct enricher *e)
{
	struct emit *m = &e->emit;

	metrics_free(m->metrics);
	if (m->traces) {
		otlp_http_free(m->traces);
		free(m->traces);
	}
	if (m->curl_ready)
		curl_global_cleanup();
	m->metrics = NULL;
	m->curl_ready = false;
	free(m->stage);
	free(m->stage_text);
	m->stage_text = NULL;
	free(m->resource_attrs);
	m->resource_attrs = NULL;
	export_config_free(&m->xcfg);
	emit_sels_free(&m->sels);
	m->traces = NULL;
	m->stage = NULL;
}

/* The head sampler's decision, written into the span's W3C sampled flag. */
static bool emit_sample(const struct sampler *smp, struct span *sp)
{
	static const uint8_t zero[8];
	bool has_parent = memcmp(sp->parent_span_id, zero, sizeof(zero)) != 0;
	/* A server span's parent is the caller's (traceparent); a client span's is ours. */
	enum sampler_parent parent = !has_parent		    ? SAMPLER_PARENT_NONE
				     : sp->kind == SPAN_KIND_SERVER ? SAMPLER_PARENT_REMOTE
								    : SAMPLER_PARENT_LOCAL;
	bool keep = sampler_should_sample(smp, sp->trace_id, parent, sp->trace_flags & 1);

	sp->trace_flags = (uint8_t)((sp->trace_flags & ~1u) | (keep ? 1u : 0u));
	return keep;
}

void emit_span(struct enricher *e, struct span *sp)
{
	struct emit *m = &e->emit;
	const struct emit_sel *sel = emit_sels_of(&m->sels, sp);
	bool keep;

	/* Before sampling (it affects traces only) and before drop_traces (an ignored trace
	 * still counts in the metrics it is not dropped from); drop_metrics is honoured there. */
	if (sel ? sel->metrics : m->sels.app_metrics)
		metrics_on_span(e->emit.metrics, sp);
	if (sp->drop_traces) {
		m->st.dropped_traces++;
		return;
	}
	keep = emit_sample(sel && sel->own_sampler ? &sel->sampler : &m->sampler, sp);
	if (e->printer.mode != CONFIG_PRINTER_DISABLED)
		printer_span(&e->printer, sp);
	if (!keep) {
		m->st.unsampled++;
		return;
	}
	if (!m->traces)
		return;
	if (sel && !sel->traces) {
		m->st.not_exported++;
		return;
	}
	if (EMIT_STAGE_TEXT - m->stage_text_len < sp->text_len)
		emit_stage_flush(m);
	span_copy(&m->stage[m->n_stage++], sp, m->stage_text + m->stage_text_len, sp->text_len);
	m->stage_text_len += sp->text_len;
	if (m->n_stage == EMIT_STAGE_MAX)
		emit_stage_flush(m);
}

void emit_batch_end(struct enricher *e)
{
	if (e->emit.traces)
		emit_stage_flush(&e->emit);
	printer_batch_end(&e->printer);
}
