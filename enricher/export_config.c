/* export_config.c: struct obi_config -> the OTLP traces exporter's settings, by OBI's and the
 * OTLP specification's rules (endpoints, protocol guess, merged headers, TLS, batching). */
#include "export_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The OTel SDKs' retry defaults, used when OBI's backoff_* rows are 0s (their default). */
#define EXPORT_BACKOFF_INITIAL_NS (5ULL * 1000000000ULL)
#define EXPORT_BACKOFF_MAX_NS (30ULL * 1000000000ULL)
#define EXPORT_BACKOFF_ELAPSED_NS (60ULL * 1000000000ULL)
/* Request body limits: the collector's gRPC default and a conservative HTTP one. */
#define EXPORT_GRPC_MAX_BYTES (4U << 20)
#define EXPORT_HTTP_MAX_BYTES (20U << 20)

static const char *const export_sampler_names[] = {
    [CONFIG_SAMPLER_PARENTBASED_ALWAYS_ON] = "parentbased_always_on",
    [CONFIG_SAMPLER_ALWAYS_ON] = "always_on",
    [CONFIG_SAMPLER_ALWAYS_OFF] = "always_off",
    [CONFIG_SAMPLER_TRACEIDRATIO] = "traceidratio",
    [CONFIG_SAMPLER_PARENTBASED_ALWAYS_OFF] = "parentbased_always_off",
    [CONFIG_SAMPLER_PARENTBASED_TRACEIDRATIO] = "parentbased_traceidratio",
};

static bool export_set(const char *s)
{
	return s && s[0];
}

/* The port of an http(s) URL as written ("" when none): what OBI's guess looks at. */
static void export_url_port(const char *url, char *port, size_t len)
{
	const char *h = strstr(url, "://"), *end, *colon;

	port[0] = 0;
	if (!h)
		return;
	h += 3;
	end = h + strcspn(h, "/?#");
	colon = NULL;
	for (const char *p = h; p < end; p++) {
		if (*p == ']')
			colon = NULL; /* an IPv6 literal's colons are not the port's */
		else if (*p == ':')
			colon = p;
	}
	if (colon && (size_t)(end - colon - 1) < len)
		snprintf(port, len, "%.*s", (int)(end - colon - 1), colon + 1);
}

enum config_otlp_protocol export_config_protocol(const struct config_otlp_signal *sig,
						 const char *url)
{
	char port[16];
	size_t n;

	if (sig->env_protocol != CONFIG_OTLP_AUTO)
		return sig->env_protocol;
	if (sig->protocol != CONFIG_OTLP_AUTO)
		return sig->protocol;
	export_url_port(url, port, sizeof(port));
	n = strlen(port);
	if (n >= 4 && strcmp(port + n - 4, "4317") == 0)
		return CONFIG_OTLP_GRPC;
	return CONFIG_OTLP_HTTP_PROTOBUF;
}

/* Signal endpoint verbatim; the shared one gets /v1/traces for HTTP (gRPC uses host:port). */
static int export_url(struct export_traces *x, const struct config_otlp *o, bool *shared)
{
	const char *sig = o->traces.s.endpoint;
	size_t n;

	*shared = !export_set(sig);
	if (!*shared) {
		x->url = strdup(sig);
		return x->url ? 0 : -ENOMEM;
	}
	n = strlen(o->endpoint);
	while (n && o->endpoint[n - 1] == '/')
		n--;
	if (asprintf(&x->url, "%.*s/v1/traces", (int)n, o->endpoint) < 0) {
		x->url = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Shared headers first, each overridden by the traces header of the same (case-blind) name. */
static int export_headers(struct export_traces *x, const struct config_otlp *o)
{
	const struct config_map *sh = &o->headers, *sig = &o->traces.s.headers;
	size_t n = 0;

	x->headers = calloc((size_t)sh->n + sig->n + 1, sizeof(*x->headers));
	if (!x->headers)
		return -ENOMEM;
	for (unsigned i = 0; i < sh->n; i++) {
		bool over = false;

		for (unsigned j = 0; j < sig->n && !over; j++)
			over = strcasecmp(sh->kv[i].k, sig->kv[j].k) == 0;
		if (!over)
			x->headers[n++] = (struct otlp_header){sh->kv[i].k, sh->kv[i].v};
	}
	for (unsigned j = 0; j < sig->n; j++)
		x->headers[n++] = (struct otlp_header){sig->kv[j].k, sig->kv[j].v};
	x->http.headers = x->headers;
	x->http.n_headers = n;
	return 0;
}

/* The TCP port the exporter connects to: the URL's, else the scheme's. */
uint16_t export_config_url_port(const char *url)
{
	char port[16];
	char *end;
	unsigned long n;

	export_url_port(url, port, sizeof(port));
	n = strtoul(port, &end, 10);
	if (port[0] && !*end && n > 0 && n <= 65535)
		return (uint16_t)n;
	return strncmp(url, "https://", 8) == 0 ? 443 : 80;
}

static void export_port(struct export_traces *x)
{
	x->port = export_config_url_port(x->url);
}

static const char *export_pick(const char *sig, const char *shared)
{
	return export_set(sig) ? sig : export_set(shared) ? shared : NULL;
}

static void export_tls(struct export_traces *x, const struct config_otlp *o)
{
	const struct config_otlp_signal *s = &o->traces.s;
	bool insecure =
	    s->insecure == CONFIG_TRI_UNSET ? o->insecure : s->insecure == CONFIG_TRI_TRUE;

	x->http.ca_file = export_pick(s->certificate, o->certificate);
	x->http.client_cert = export_pick(s->client_certificate, o->client_certificate);
	x->http.client_key = export_pick(s->client_key, o->client_key);
	x->http.insecure_skip_verify = s->insecure_skip_verify;
	/* Our endpoints always carry a scheme, and the specification lets the scheme win. */
	if (insecure && strncmp(x->url, "https://", 8) == 0)
		log_info("OTEL_EXPORTER_OTLP(_TRACES)_INSECURE is ignored: the https:// scheme of "
			 "the traces endpoint asks for TLS");
}

/* batch_max_size, queue_size (0: 4 x batch; else at least 2 x batch), back-off, timeout. */
static int export_limits(struct export_traces *x, const struct config_otlp *o, char *err,
			 size_t errlen)
{
	const struct config_otlp_traces *t = &o->traces;
	uint32_t ms = t->s.timeout_ms ? t->s.timeout_ms : o->timeout_ms;

	x->http.batch_max_spans = t->batch_max_size;
	x->http.batch_timeout_ns = t->batch_timeout_ns;
	x->http.queue_max_spans = t->queue_size ? t->queue_size : 4ULL * t->batch_max_size;
	if (t->queue_size && (uint64_t)t->queue_size < 2ULL * t->batch_max_size) {
		snprintf(err, errlen,
			 "otel_traces_export.queue_size (%u) must be 0 or at least twice "
			 "otel_traces_export.batch_max_size (%u)",
			 t->queue_size, t->batch_max_size);
		return -EINVAL;
	}
	x->http.timeout_ns = (uint64_t)(ms ? ms : 10000) * 1000000ULL;
	x->http.backoff.initial_ns =
	    t->backoff_initial_ns ? t->backoff_initial_ns : EXPORT_BACKOFF_INITIAL_NS;
	x->http.backoff.max_ns = t->backoff_max_ns ? t->backoff_max_ns : EXPORT_BACKOFF_MAX_NS;
	x->http.backoff.max_elapsed_ns =
	    t->backoff_max_elapsed_ns ? t->backoff_max_elapsed_ns : EXPORT_BACKOFF_ELAPSED_NS;
	x->http.max_request_bytes = x->http.grpc ? EXPORT_GRPC_MAX_BYTES : EXPORT_HTTP_MAX_BYTES;
	return 0;
}

static int export_protocol(struct export_traces *x, const struct config_otlp *o, char *err,
			   size_t errlen)
{
	/* The guess reads the endpoint as configured, before /v1/traces is appended. */
	const char *ep = export_set(o->traces.s.endpoint) ? o->traces.s.endpoint : o->endpoint;

	switch (export_config_protocol(&o->traces.s, ep)) {
	case CONFIG_OTLP_GRPC:
		x->http.grpc = true;
		x->protocol = "grpc";
		return 0;
	case CONFIG_OTLP_HTTP_JSON:
		x->http.json = true;
		x->protocol = "http/json";
		return 0;
	case CONFIG_OTLP_DEBUG:
		snprintf(err, errlen,
			 "otel_traces_export.protocol / OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL: "
			 "\"debug\" is not supported (use trace_printer)");
		return -EINVAL;
	default:
		x->protocol = "http/protobuf";
		return 0;
	}
}

int export_config_traces(struct export_traces *x, const struct obi_config *cfg,
			 const struct otlp_host *host, const struct otlp_scope *scope, char *err,
			 size_t errlen)
{
	const struct config_otlp *o = &cfg->otlp;
	unsigned comp = o->traces.s.compression;
	bool shared;
	int rc;

	memset(x, 0, sizeof(*x));
	if (!export_set(o->traces.s.endpoint) && !export_set(o->endpoint))
		return 0;
	x->enabled = true;
	rc = export_protocol(x, o, err, errlen);
	if (!rc)
		rc = export_url(x, o, &shared);
	/* gRPC takes host:port: the shared endpoint gets no /v1/traces. */
	if (!rc && shared && x->http.grpc) {
		free(x->url);
		x->url = strdup(o->endpoint);
		rc = x->url ? 0 : -ENOMEM;
	}
	if (!rc)
		rc = export_headers(x, o);
	if (!rc)
		rc = export_limits(x, o, err, errlen);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		export_config_free(x);
		return rc;
	}
	x->http.url = x->url;
	export_port(x);
	export_tls(x, o);
	if (comp == CONFIG_COMPRESSION_UNSET)
		comp = o->compression;
	x->http.gzip = comp == CONFIG_COMPRESSION_GZIP;
	x->http.host = host;
	x->http.scope = scope;
	return 0;
}

void export_config_free(struct export_traces *x)
{
	free(x->url);
	free(x->headers);
	x->url = NULL;
	x->headers = NULL;
}

int export_config_sampler(struct sampler *s, const struct obi_config *cfg, char *err, size_t errlen)
{
	const struct config_sampler *c = &cfg->otlp.traces.sampler;
	char why[160];
	int rc;

	if (c->name >= sizeof(export_sampler_names) / sizeof(export_sampler_names[0])) {
		snprintf(err, errlen, "otel_traces_export.sampler.name: unknown sampler");
		return -EINVAL;
	}
	rc = sampler_init(s, export_sampler_names[c->name], c->arg, why, sizeof(why));
	if (rc)
		snprintf(err, errlen, "otel_traces_export.sampler / OTEL_TRACES_SAMPLER(_ARG): %s",
			 why);
	return rc;
}
