/* config_rows_attributes.c: schema rows of the `attributes` section except Kubernetes, and the
 * attribute-selection sub-schema. */
#include "config_schema.h"

#include <string.h>

/* attribute selection: fields of one object. */
static const struct config_row config_attr_select_schema_rows[] = {
    {.yaml = "include",
     .type = CONFIG_T_STRLIST,
     CONFIG_ITEM(struct config_attr_select, include),
     .check = config_check_globs,
     .doc = "Attribute name globs to add."},
    {.yaml = "exclude",
     .type = CONFIG_T_STRLIST,
     CONFIG_ITEM(struct config_attr_select, exclude),
     .check = config_check_globs,
     .doc = "Attribute name globs to remove (after include)."},
};

static const struct config_schema config_attr_select_schema = {
    .title = "attribute selection",
    .rows = config_attr_select_schema_rows,
    .n = sizeof(config_attr_select_schema_rows) / sizeof(config_attr_select_schema_rows[0]),
    .item_size = sizeof(struct config_attr_select),
};

/* A rename word becomes an attribute value in every metrics request: control characters
 * there would corrupt logs and text exporters downstream, so they are refused here (the rows'
 * max bounds the length). */
static const char *config_check_rename_word(const void *field, const struct config_row *row)
{
	const char *s = *(char *const *)field;

	(void)row;
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "must not contain control characters";
	return NULL;
}

/* Rows of another branch paste here verbatim (the initializer format is the contract). */
static const struct config_row config_rows_attributes[] = {
    {.yaml = "attributes.instance_id.dns",
     .env = {"OTEL_EBPF_HOSTNAME_DNS_RESOLUTION"},
     .type = CONFIG_T_BOOL,
     CONFIG_FIELD(attributes.instance_id_dns),
     .def = "true",
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "Resolve the local host name through DNS for service.instance.id."},
    {.yaml = "attributes.instance_id.override_hostname",
     .env = {"OTEL_EBPF_HOSTNAME"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(attributes.override_hostname),
     .max = 255,
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "Host part of service.instance.id (host:pid) instead of the host name."},
    {.yaml = "attributes.host_id.override",
     .env = {"OTEL_EBPF_HOST_ID"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(attributes.host_id_override),
     .max = 255,
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "Force host.id."},
    {.yaml = "attributes.host_id.fetch_timeout",
     .env = {"OTEL_EBPF_HOST_ID_FETCH_TIMEOUT"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(attributes.host_id_fetch_timeout_ns),
     .def = "500ms",
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "Cloud-metadata host id lookup timeout."},
    {.yaml = "attributes.metadata_retry.start_interval",
     .env = {"OTEL_EBPF_METADATA_RETRY_START_INTERVAL"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(attributes.metadata_retry_start_ns),
     .def = "500ms",
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "First back-off of host metadata fetches."},
    {.yaml = "attributes.metadata_retry.max_interval",
     .env = {"OTEL_EBPF_METADATA_RETRY_MAX_INTERVAL"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(attributes.metadata_retry_max_ns),
     .def = "5s",
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "Longest back-off of host metadata fetches."},
    {.yaml = "attributes.metadata_retry.timeout",
     .env = {"OTEL_EBPF_METADATA_RETRY_TIMEOUT"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(attributes.metadata_retry_timeout_ns),
     .def = "30s",
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "Give up host metadata fetches after this."},
    {.yaml = "attributes.select",
     .type = CONFIG_T_OBJMAP,
     CONFIG_FIELD(attributes.select),
     .proc = CONFIG_PROC_ENRICHER,
     .sub = &config_attr_select_schema,
     .doc = "Per metric name (OTel or Prometheus form, wildcards allowed; `traces` for span "
	    "attributes): attribute globs to include and exclude. Applied to the HTTP metrics "
	    "(an excluded attribute merges series; include turns on the opt-in url.path and, "
	    "for http.server.*, client.address) and OTLP spans; the trace printer shows all."},
    /* OBI (span_getters_unresolved.go): in metric attributes only, never spans, a
     * server.address / client.address that is still an IP address after name resolution
     * (enricher/span_peer.c) becomes the word of its direction, which bounds the cardinality
     * of the RED series. Client spans' server.address -> _outgoing, server spans'
     * client.address -> _incoming, a server span's server.address -> the generic word. */
    {.yaml = "attributes.rename_unresolved_hosts",
     .env = {"OTEL_EBPF_RENAME_UNRESOLVED_HOSTS"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(attributes.rename_unresolved_hosts),
     .max = 255,
     .def = "unresolved",
     .proc = CONFIG_PROC_ENRICHER,
     .check = config_check_rename_word,
     .doc = "In metrics (not spans), replaces a server span's server.address that is an IP "
	    "address rather than a resolved name (`\"\"` disables)."},
    {.yaml = "attributes.rename_unresolved_hosts_outgoing",
     .env = {"OTEL_EBPF_RENAME_UNRESOLVED_HOSTS_OUTGOING"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(attributes.rename_unresolved_hosts_outgoing),
     .max = 255,
     .def = "outgoing",
     .proc = CONFIG_PROC_ENRICHER,
     .check = config_check_rename_word,
     .doc = "The same for client spans' server.address (outgoing calls)."},
    {.yaml = "attributes.rename_unresolved_hosts_incoming",
     .env = {"OTEL_EBPF_RENAME_UNRESOLVED_HOSTS_INCOMING"},
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(attributes.rename_unresolved_hosts_incoming),
     .max = 255,
     .def = "incoming",
     .proc = CONFIG_PROC_ENRICHER,
     .check = config_check_rename_word,
     .doc = "The same for server spans' client.address (incoming calls; metrics carry "
	    "client.address only when attributes.select includes it)."},
    {.yaml = "attributes.metric_span_names_limit",
     .env = {"OTEL_EBPF_METRIC_SPAN_NAMES_LIMIT"},
     .type = CONFIG_T_INT,
     CONFIG_FIELD(attributes.metric_span_names_limit),
     .def = "100",
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "Span names per service in span metrics before they are AGGREGATED (<= 0 disables)."},
    {.yaml = "attributes.extra_group_attributes",
     .type = CONFIG_T_MAP,
     CONFIG_FIELD(attributes.extra_group_attributes),
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "Group (only k8s_app_meta) -> extra resource attributes."},
};

const struct config_schema config_area_attributes = {
    .title = "Attributes (`attributes`)",
    .rows = config_rows_attributes,
    .n = sizeof(config_rows_attributes) / sizeof(config_rows_attributes[0]),
};
