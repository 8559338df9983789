/* config_areas.h: the per-area settings structs held in struct obi_config (one per module). */
#ifndef OBI_CONFIG_AREAS_H
#define OBI_CONFIG_AREAS_H

#include "config_values.h"

/* routes.unmatched: what http.route becomes when no pattern matched (OBI's names). */
enum config_routes_unmatched {
	CONFIG_ROUTES_HEURISTIC = 0,
	CONFIG_ROUTES_UNSET,
	CONFIG_ROUTES_PATH,
	CONFIG_ROUTES_WILDCARD,
	CONFIG_ROUTES_LOW_CARDINALITY,
};

enum config_routes_ignore_mode {
	CONFIG_ROUTES_IGNORE_ALL = 0,
	CONFIG_ROUTES_IGNORE_METRICS,
	CONFIG_ROUTES_IGNORE_TRACES,
};

enum config_otlp_protocol {
	CONFIG_OTLP_AUTO = 0, /* guess from the endpoint's port: ...4317 grpc, else http/protobuf */
	CONFIG_OTLP_GRPC,
	CONFIG_OTLP_HTTP_PROTOBUF,
	CONFIG_OTLP_HTTP_JSON,
	CONFIG_OTLP_DEBUG,
};

/* OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (the OTLP exporter specification). */
enum config_temporality {
	CONFIG_TEMPORALITY_CUMULATIVE = 0,
	CONFIG_TEMPORALITY_DELTA,
	CONFIG_TEMPORALITY_LOWMEMORY, /* delta for histograms, cumulative for observed counters */
};

/* A per-signal boolean that may be left to the shared setting. */
enum config_otlp_tri { CONFIG_TRI_UNSET = 0, CONFIG_TRI_FALSE, CONFIG_TRI_TRUE };

enum config_otlp_compression {
	CONFIG_COMPRESSION_UNSET = 0, /* per-signal rows only: use the shared setting */
	CONFIG_COMPRESSION_NONE,
	CONFIG_COMPRESSION_GZIP,
};

enum config_sampler_name {
	CONFIG_SAMPLER_PARENTBASED_ALWAYS_ON = 0,
	CONFIG_SAMPLER_ALWAYS_ON,
	CONFIG_SAMPLER_ALWAYS_OFF,
	CONFIG_SAMPLER_TRACEIDRATIO,
	CONFIG_SAMPLER_PARENTBASED_ALWAYS_OFF,
	CONFIG_SAMPLER_PARENTBASED_TRACEIDRATIO,
};

struct config_sampler {
	unsigned name; /* enum config_sampler_name */
	char *arg;     /* ratio 0..1 for the *traceidratio samplers */
};

/* One discovery selector (discovery.instrument entries and their relatives): fields AND. */
struct config_selector {
	char *name, *namespace_; /* deprecated service.name / service.namespace overrides */
	char *exe_path;		 /* glob (regex in the deprecated discovery.services) */
	char *exe_path_regexp;	 /* regex */
	struct config_portlist open_ports;
	char *cmd_args;			 /* glob */
	struct config_strlist languages; /* globs over go, java, python, nodejs, ... */
	bool containers_only;
	char *container_name;
	struct config_strlist target_pids;
	char *k8s_namespace, *k8s_pod_name, *k8s_deployment_name, *k8s_replicaset_name,
	    *k8s_statefulset_name, *k8s_daemonset_name, *k8s_job_name, *k8s_cronjob_name,
	    *k8s_owner_name, *k8s_container_name;
	struct config_map k8s_pod_labels, k8s_pod_annotations; /* name -> glob */
	struct config_strlist exports;			       /* metrics, traces, logs */
	struct config_sampler sampler;
	struct config_strlist routes_incoming, routes_outgoing;
	uint64_t metrics_features;
};

struct config_discovery {
	struct config_objlist instrument, exclude_instrument, default_exclude_instrument;
	struct config_objlist services, exclude_services, default_exclude_services; /* deprecated */
	struct config_objlist survey;
	uint64_t poll_interval_ns, min_process_age_ns;
	bool skip_go_specific_tracers, exclude_otel_instrumented_services,
	    exclude_otel_instrumented_services_span_metrics, bpf_pid_filter_off;
	uint32_t default_otlp_grpc_port;
	struct config_strlist excluded_linux_system_paths;
	uint64_t route_harvester_timeout_ns, java_harvest_delay_ns;
	uint64_t disabled_route_harvesters; /* bit set over go, java, nodejs, dotnet, php */
};

struct config_routes {
	struct config_strlist patterns, ignored_patterns;
	unsigned ignore_mode; /* enum config_routes_ignore_mode */
	unsigned unmatched;   /* enum config_routes_unmatched */
	char *wildcard_char;
	uint32_t max_path_segment_cardinality;
};

struct config_kube {
	unsigned enable; /* 0 autodetect, 1 true, 2 false */
	char *kubeconfig_path, *cluster_name, *meta_cache_address, *service_name_template;
	uint64_t informers_sync_timeout_ns, informers_resync_period_ns,
	    reconnect_initial_interval_ns;
	uint64_t disable_informers; /* bit set over node, service */
	bool meta_restrict_local_node, drop_external;
	struct config_map resource_labels; /* attribute -> "label1,label2" (first present wins) */
	char *meta_source_service_name, *meta_source_service_namespace;
};

/* attributes.select entry: metric name (or "traces") -> include / exclude attribute globs. */
struct config_attr_select {
	char *key;
	struct config_strlist include, exclude;
};

/* filter.{application,network,stats} entry: attribute -> exactly one of match / not_match. */
struct config_attr_filter {
	char *key;
	char *match, *not_match;
};

struct config_attributes {
	struct config_kube kubernetes;
	bool instance_id_dns;
	char *override_hostname, *host_id_override;
	uint64_t host_id_fetch_timeout_ns;
	uint64_t metadata_retry_start_ns, metadata_retry_max_ns, metadata_retry_timeout_ns;
	struct config_objlist select; /* of struct config_attr_select */
	char *rename_unresolved_hosts, *rename_unresolved_hosts_outgoing,
	    *rename_unresolved_hosts_incoming;
	int64_t metric_span_names_limit;
	struct config_map extra_group_attributes;
};

struct config_filter {
	struct config_objlist application, network, stats; /* of struct config_attr_filter */
};

struct config_otlp_signal {
	char *endpoint;	       /* signal-specific: used verbatim */
	unsigned protocol;     /* enum config_otlp_protocol, YAML or OTEL_EXPORTER_OTLP_PROTOCOL */
	unsigned env_protocol; /* OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL, wins */
	struct config_map headers; /* secret; merged over the shared headers */
	char *certificate, *client_certificate, *client_key; /* over the shared paths */
	unsigned insecure;    /* enum config_otlp_tri: over OTEL_EXPORTER_OTLP_INSECURE */
	unsigned compression; /* enum config_otlp_compression; UNSET: the shared one */
	uint32_t timeout_ms;  /* 0: the shared OTEL_EXPORTER_OTLP_TIMEOUT */
	bool insecure_skip_verify;
	uint64_t instrumentations; /* bit set, see config_rows_otlp.c */
	char *sdk_log_level;
	uint32_t reporters_cache_len;
};

struct config_otlp_traces {
	struct config_otlp_signal s;
	struct config_sampler sampler;
	uint64_t batch_timeout_ns;
	uint32_t batch_max_size, queue_size;
	uint64_t backoff_initial_ns, backoff_max_ns, backoff_max_elapsed_ns;
};

struct config_histograms {
	struct config_strlist duration, request_size, response_size; /* bucket bounds */
};

struct config_otlp_metrics {
	struct config_otlp_signal s;
	uint64_t interval_ns;
	uint32_t export_interval_ms; /* OTEL_METRIC_EXPORT_INTERVAL */
	struct config_histograms buckets;
	unsigned histogram_aggregation;
	uint32_t exp_max_scale, exp_max_size;
	uint64_t features; /* deprecated per-exporter metrics.features */
	uint64_t ttl_ns;
	bool allow_service_graph_self_references;
	struct config_strlist extra_span_resource_attributes;
	unsigned temporality; /* enum config_temporality */
};

struct config_otlp {
	char *endpoint;		   /* OTEL_EXPORTER_OTLP_ENDPOINT: /v1/<signal> appended for HTTP */
	struct config_map headers; /* OTEL_EXPORTER_OTLP_HEADERS (secret) */
	struct config_map resource_attributes;		     /* OTEL_RESOURCE_ATTRIBUTES */
	char *certificate, *client_certificate, *client_key; /* OTEL_EXPORTER_OTLP_* paths */
	bool insecure;
	unsigned compression; /* enum config_otlp_compression (never UNSET here) */
	uint32_t timeout_ms;  /* OTEL_EXPORTER_OTLP_TIMEOUT */
	struct config_otlp_traces traces;
	struct config_otlp_metrics metrics;
};

struct config_prometheus {
	uint32_t port;
	char *path;
	uint64_t features, instrumentations;
	struct config_histograms buckets;
	uint64_t ttl_ns;
	bool disable_build_info, allow_service_graph_self_references;
	struct config_strlist extra_resource_attributes, extra_span_resource_attributes;
	uint32_t service_cache_size;
	unsigned exemplar_filter;
	char *native_bucket_factor;
	uint32_t native_max_bucket_number;
	uint64_t native_min_reset_ns;
};

struct config_metrics {
	uint64_t features; /* metrics.features bit set */
	unsigned internal_exporter;
	uint32_t internal_prometheus_port;
	char *internal_prometheus_path;
	uint64_t bpf_metric_scrape_interval_ns;
	uint32_t health_check_port;
	char *health_check_unix_socket_path;
};

/* ebpf.* rows beyond what the probe implements today. */
struct config_ebpf_more {
	uint64_t context_propagation; /* bit set over headers, http, tcp, ip */
	bool enable_context_propagation, disable_black_box_cp, high_request_volume,
	    heuristic_sql_detect, bpf_debug, protocol_debug_print, override_bpfloop_enabled,
	    instrument_gpu;
	unsigned traffic_control_backend, instrument_cuda, force_bpf_map_reader;
	char *bpf_fs_path;
	uint64_t max_transaction_time_ns, dns_request_timeout_ns;
	uint32_t buffer_http, buffer_kafka, buffer_mysql, buffer_postgres, buffer_mssql, buffer_tcp;
	uint32_t mysql_ps_cache, postgres_ps_cache, mssql_ps_cache, mongo_cache, couchbase_cache,
	    kafka_topic_cache;
	bool redis_db_cache_enabled;
	uint32_t redis_db_cache_max_size, stats_wakeup_data_bytes, maps_global_scale_factor;
};

struct config_general {
	char *executable_path; /* deprecated: regex on the executable path */
	struct config_strlist target_pids;
	char *auto_target_language; /* glob over language names */
	unsigned log_format, log_config;
	bool enforce_sys_caps, channel_send_timeout_panic;
	uint32_t channel_buffer_len, profile_port;
	uint64_t channel_send_timeout_ns;
	bool nodejs_enabled, javaagent_enabled;
	uint64_t javaagent_attach_timeout_ns;
};

struct config_name_resolver {
	uint64_t sources; /* bit set over k8s, kube, kubernetes, dns, rdns */
	uint32_t cache_len;
	uint64_t cache_expiry_ns;
};

struct config_network {
	bool enable, print_flows;
	unsigned source, agent_ip_type, direction, deduper, listen_interfaces, guess_ports,
	    reverse_dns_type;
	char *agent_ip, *agent_ip_iface;
	struct config_strlist interfaces, exclude_interfaces, protocols, exclude_protocols, cidrs;
	uint32_t cache_max_flows, sampling, reverse_dns_cache_len;
	uint64_t cache_active_timeout_ns, deduper_fc_ttl_ns, listen_poll_period_ns,
	    reverse_dns_cache_expiry_ns;
};

#endif /* OBI_CONFIG_AREAS_H */
