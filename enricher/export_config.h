/* export_config.h: the OTLP traces exporter's settings from struct obi_config (OBI/OTLP rules). */
#ifndef OBI_EXPORT_CONFIG_H
#define OBI_EXPORT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "otlp_http.h"
#include "sampler.h"

/* The exporter's configuration and the storage it borrows (URL, merged header list). */
struct export_traces {
	bool enabled; /* an endpoint is configured */
	struct otlp_http_config http;
	const char *protocol; /* the protocol chosen, for the start-up log line */
	uint16_t port;	      /* the collector's TCP port (the sandbox allows connecting to it) */
	char *url;
	struct otlp_header *headers;
};

/*
 * Applies the endpoint, protocol, header, TLS, compression, timeout, batching and back-off
 * rules to cfg. host and scope are borrowed into x->http. Returns 0 (x->enabled false when no
 * endpoint is set), -EINVAL with err naming the setting, or -ENOMEM.
 */
int export_config_traces(struct export_traces *x, const struct obi_config *cfg,
			 const struct otlp_host *host, const struct otlp_scope *scope, char *err,
			 size_t errlen);
void export_config_free(struct export_traces *x);
/* The TCP port an http(s) URL connects to (its own, else 80 / 443). */
uint16_t export_config_url_port(const char *url);

/* The sampler of otel_traces_export.sampler / OTEL_TRACES_SAMPLER(_ARG). 0 or -EINVAL. */
int export_config_sampler(struct sampler *s, const struct obi_config *cfg, char *err,
			  size_t errlen);

/* The protocol the endpoint rules pick (exposed for the unit test). */
enum config_otlp_protocol export_config_protocol(const struct config_otlp_signal *sig,
						 const char *url);

#endif /* OBI_EXPORT_CONFIG_H */
