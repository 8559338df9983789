/* metrics_config.c: the metrics exporter's settings from obi_config (endpoint and protocol rules
 * of OTLP for /v1/metrics, headers, TLS, buckets, temporality, interval). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "emit_sel.h"
#include "metrics_int.h"

/* metrics.features bit 0 is "application" (config_rows_metrics.c's enum order). */
#define METRICS_FEATURE_APPLICATION 1ULL

/* OTel SDK defaults (exporter timeout 10 s; back-off 5 s, 30 s, 1 min). */
#define METRICS_TIMEOUT_NS 10000000000ULL

static const char *metrics_authority_end(const char *url)
{
	const char *a = strstr(url, "://");

	a = a ? a + 3 : url;
	return a + strcspn(a, "/?#");
}

/* The port as written (digits after the last ':' of the authority that is not inside []). */
static void metrics_port_str(const char *url, char *out, size_t n)
{
	const char *a = strstr(url, "://"), *end = metrics_authority_end(url), *c = NULL;

	a = a ? a + 3 : url;
	for (const char *p = a; p < end; p++)
		if (*p == ':')
			c = p;
		else if (*p == ']')
			c = NULL;
	snprintf(out, n, "%.*s", c ? (int)(end - c - 1) : 0, c ? c + 1 : "");
}

static bool metrics_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* Signal variable > shared variable or YAML > a guess from the port (...4317 is gRPC). */
static unsigned metrics_protocol(const struct obi_config *cfg, const char *endpoint)
{
	const struct config_otlp_signal *s = &cfg->otlp.metrics.s;
	char port[16];

	if (s->env_protocol != CONFIG_OTLP_AUTO)
		return s->env_protocol;
	if (s->protocol != CONFIG_OTLP_AUTO)
		return s->protocol;
	metrics_port_str(endpoint, port, sizeof(port));
	return metrics_ends_with(port, "4317") ? CONFIG_OTLP_GRPC : CONFIG_OTLP_HTTP_PROTOBUF;
}

static int metrics_url(const struct obi_config *cfg, bool grpc, struct metrics_export_store *st,
		       char *err, size_t errlen)
{
	const char *sig = cfg->otlp.metrics.s.endpoint,
		   *ep = sig && sig[0] ? sig : cfg->otlp.endpoint;
	size_t n = strlen(ep);
	int w;

	if (grpc) /* gRPC uses only scheme://host:port; the method is the path */
		n = (size_t)(metrics_authority_end(ep) - ep);
	else if (ep != sig)
		while (n && ep[n - 1] == '/')
			n--;
	w = snprintf(st->url, sizeof(st->url), "%.*s%s", (int)n, ep,
		     !grpc && ep != sig ? "/v1/metrics" : "");
	if (w < 0 || (size_t)w >= sizeof(st->url)) {
		snprintf(err, errlen, "otel_metrics_export.endpoint: too long");
		return -EINVAL;
	}
	return 0;
}

/* Shared headers, then the signal's: a signal key replaces the shared one (case-insensitive). */
static int metrics_headers(const struct obi_config *cfg, struct otlp_http_config *out,
			   struct metrics_export_store *st, char *err, size_t errlen)
{
	const struct config_map *maps[] = {&cfg->otlp.headers, &cfg->otlp.metrics.s.headers};
	size_t n = 0;

	for (int m = 0; m < 2; m++)
		for (unsigned i = 0; i < maps[m]->n; i++) {
			const struct config_kv *kv = &maps[m]->kv[i];
			size_t j = 0;

			while (j < n && strcasecmp(st->headers[j].key, kv->k) != 0)
				j++;
			if (j == n && n == sizeof(st->headers) / sizeof(st->headers[0])) {
				snprintf(err, errlen,
					 "OTEL_EXPORTER_OTLP_METRICS_HEADERS: more than "
					 "%zu headers",
					 n);
				return -EINVAL;
			}
			st->headers[j] = (struct otlp_header){.key = kv->k, .value = kv->v};
			n += j == n;
		}
	out->headers = st->headers;
	out->n_headers = n;
	return 0;
}

bool metrics_app_feature(const struct obi_config *cfg)
{
	/* The deprecated per-exporter features win when set (OBI). */
	uint64_t f =
	    cfg->otlp.metrics.features ? cfg->otlp.metrics.features : cfg->metrics.features;

	return (f & METRICS_FEATURE_APPLICATION) != 0;
}

/* An endpoint, and the RED metrics wanted globally or by one selector's metrics.features. */
static bool metrics_enabled(const struct obi_config *cfg)
{
	const char *sig = cfg->otlp.metrics.s.endpoint;

	if ((!sig || !sig[0]) && (!cfg->otlp.endpoint || !cfg->otlp.endpoint[0]))
		return false;
	return metrics_app_feature(cfg) || emit_sels_want_app(cfg);
}

int metrics_export_config(const struct obi_config *cfg, const struct otlp_host *host,
			  struct otlp_http_config *out, struct metrics_export_store *store,
			  char *err, size_t errlen)
{
	const char *sig = cfg->otlp.metrics.s.endpoint;
	unsigned proto;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!metrics_enabled(cfg))
		return 1;
	proto = metrics_protocol(cfg, sig && sig[0] ? sig : cfg->otlp.endpoint);
	if (proto == CONFIG_OTLP_DEBUG) {
		snprintf(err, errlen, "otel_metrics_export.protocol: debug is not supported");
		return -EINVAL;
	}
	out->signal = OTLP_SIGNAL_METRICS;
	out->grpc = proto == CONFIG_OTLP_GRPC;
	out->json = proto == CONFIG_OTLP_HTTP_JSON;
	rc = metrics_url(cfg, out->grpc, store, err, errlen);
	if (!rc)
		rc = metrics_headers(cfg, out, store, err, errlen);
	if (rc)
		return rc;
	store->scope = (struct otlp_scope){.name = METRICS_SCOPE_NAME, .version = METRICS_VERSION};
	out->url = store->url;
	out->timeout_ns = METRICS_TIMEOUT_NS;
	/* One export round is one batch; the queue holds a few rounds while a collector is away. */
	out->batch_max_spans = METRICS_QUEUE_POINTS;
	out->queue_max_spans = METRICS_QUEUE_POINTS;
	out->batch_timeout_ns = 1000000ULL;
	out->max_request_bytes = out->grpc ? 4u << 20 : 20u << 20;
	out->backoff = (struct otlp_backoff){.initial_ns = 5000000000ULL,
					     .max_ns = 30000000000ULL,
					     .max_elapsed_ns = 60000000000ULL};
	out->ca_file =
	    cfg->otlp.certificate && cfg->otlp.certificate[0] ? cfg->otlp.certificate : NULL;
	if (cfg->otlp.client_certificate && cfg->otlp.client_certificate[0]) {
		out->client_cert = cfg->otlp.client_certificate;
		out->client_key = cfg->otlp.client_key;
	}
	out->insecure_skip_verify = cfg->otlp.metrics.s.insecure_skip_verify;
	out->host = host;
	out->scope = &store->scope;
	return 0;
}

/* Aggregation settings: buckets (each list checked), TTL, temporality, the series limit. */
int metrics_agg_config_from(const struct obi_config *cfg, struct metrics_agg_config *ac, char *err,
			    size_t errlen)
{
	const struct config_histograms *b = &cfg->otlp.metrics.buckets;
	const struct config_strlist *l[METRICS_HISTS] = {&b->duration, &b->request_size,
							 &b->response_size};
	static const char *const names[METRICS_HISTS] = {
	    "duration_histogram", "request_size_histogram", "response_size_histogram"};

	memset(ac, 0, sizeof(*ac));
	for (int i = 0; i < METRICS_HISTS; i++) {
		if (!l[i]->set || !l[i]->n) {
			metrics_bounds_default(&ac->bounds[i], (enum metrics_hist)i);
			continue;
		}
		if (metrics_bounds_parse(&ac->bounds[i], l[i]->v, l[i]->n)) {
			snprintf(err, errlen,
				 "otel_metrics_export.buckets.%s: at most %d finite numbers in "
				 "increasing order",
				 names[i], METRICS_BOUNDS_MAX);
			return -EINVAL;
		}
	}
	ac->limit = METRICS_CARDINALITY_LIMIT;
	ac->ttl_ns = cfg->otlp.metrics.ttl_ns;
	ac->delta = cfg->otlp.metrics.temporality != CONFIG_TEMPORALITY_CUMULATIVE;
	return metrics_select_from(cfg, ac, err, errlen);
}

uint64_t metrics_interval_ns(const struct obi_config *cfg)
{
	if (cfg->otlp.metrics.interval_ns)
		return cfg->otlp.metrics.interval_ns;
	return (uint64_t)(cfg->otlp.metrics.export_interval_ms
			      ? cfg->otlp.metrics.export_interval_ms
			      : 60000) *
	       1000000ULL;
}
