/* config_rows_discovery.c: schema rows of the `discovery` section and the sub-schema of one
 * selector. */
#include "config_schema.h"

#include <string.h>

static const char *const config_route_harvesters[] = {"go",	"java", "nodejs",
						      "dotnet", "php",	NULL};

static const char *const config_export_names[] = {"metrics", "traces", "logs", NULL};

/* exports: only OBI's signal names. */
static const char *config_check_exports(const void *field, const struct config_row *row)
{
	const struct config_strlist *l = field;
	unsigned i, j;

	(void)row;
	for (i = 0; i < l->n; i++) {
		for (j = 0; config_export_names[j]; j++)
			if (strcmp(l->v[i], config_export_names[j]) == 0)
				break;
		if (!config_export_names[j])
			return "is not one of metrics, traces, logs";
	}
	return NULL;
}

/* OBI: a selector with no criterion matches nothing, which is never what was meant. */
static const char *config_selector_check(const void *item)
{
	const struct config_selector *s = item;
	const char *const k8s[] = {s->k8s_namespace,	    s->k8s_pod_name,
				   s->k8s_deployment_name,  s->k8s_replicaset_name,
				   s->k8s_statefulset_name, s->k8s_daemonset_name,
				   s->k8s_job_name,	    s->k8s_cronjob_name,
				   s->k8s_owner_name,	    s->k8s_container_name};
	size_t i;

	if (s->exe_path || s->exe_path_regexp || s->open_ports.n || s->cmd_args || s->languages.n ||
	    s->container_name || s->target_pids.n || s->containers_only || s->k8s_pod_labels.n ||
	    s->k8s_pod_annotations.n)
		return NULL;
	for (i = 0; i < sizeof(k8s) / sizeof(k8s[0]); i++)
		if (k8s[i])
			return NULL;
	return "selector has no criterion (exe_path, open_ports, cmd_args, languages, k8s_*, ...)";
}

/* The fields of one selector. PAT is the type of its name patterns: globs in
 * discovery.instrument, regexes in the deprecated discovery.services (OBI). */
#define CONFIG_SELECTOR_ROWS(PAT)                                                                  \
	{.yaml = "name",                                                                           \
	 .type = CONFIG_T_STRING,                                                                  \
	 CONFIG_ITEM(struct config_selector, name),                                                \
	 .max = 255,                                                                               \
	 .doc = "Deprecated: service.name of the matched processes."},                             \
	    {.yaml = "namespace",                                                                  \
	     .type = CONFIG_T_STRING,                                                              \
	     CONFIG_ITEM(struct config_selector, namespace_),                                      \
	     .max = 255,                                                                           \
	     .doc = "Deprecated: service.namespace of the matched processes."},                    \
	    {.yaml = "exe_path",                                                                   \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, exe_path),                                        \
	     .doc = "Full executable path (/proc/PID/exe)."},                                      \
	    {.yaml = "exe_path_regexp",                                                            \
	     .type = CONFIG_T_REGEX,                                                               \
	     CONFIG_ITEM(struct config_selector, exe_path_regexp),                                 \
	     .doc = "Old alias: regex on the executable path."},                                   \
	    {.yaml = "open_ports",                                                                 \
	     .type = CONFIG_T_PORTLIST,                                                            \
	     CONFIG_ITEM(struct config_selector, open_ports),                                      \
	     .doc = "The process listens on any of these ports or ranges."},                       \
	    {.yaml = "cmd_args",                                                                   \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, cmd_args),                                        \
	     .doc = "The whole command line (argv[0] included), arguments joined by one space."},  \
	    {.yaml = "languages",                                                                  \
	     .type = CONFIG_T_STRLIST,                                                             \
	     CONFIG_ITEM(struct config_selector, languages),                                       \
	     .check = config_check_globs,                                                          \
	     .doc = "Detected language: go, java, python, nodejs, ruby, dotnet, rust, php, "       \
		    "generic (globs)."},                                                           \
	    {.yaml = "containers_only",                                                            \
	     .type = CONFIG_T_BOOL,                                                                \
	     CONFIG_ITEM(struct config_selector, containers_only),                                 \
	     .doc =                                                                                \
		 "Only processes in a container: their pid, mount or network namespace differs "   \
		 "from "                                                                           \
		 "that of /proc/1 (the host's init as obi's /proc shows it; obi-probe's own when " \
		 "/proc/1's are "                                                                  \
		 "unreadable)."},                                                                  \
	    {.yaml = "container_name",                                                             \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, container_name),                                  \
	     .doc = "OCI container name."},                                                        \
	    {.yaml = "target_pids",                                                                \
	     .type = CONFIG_T_STRLIST,                                                             \
	     CONFIG_ITEM(struct config_selector, target_pids),                                     \
	     .check = config_check_pids,                                                           \
	     .doc = "PIDs or PID ranges."},                                                        \
	    {.yaml = "k8s_namespace",                                                              \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, k8s_namespace),                                   \
	     .doc = "Kubernetes namespace (needs Kubernetes metadata)."},                          \
	    {.yaml = "k8s_pod_name",                                                               \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, k8s_pod_name),                                    \
	     .doc = "Kubernetes pod name (needs Kubernetes metadata)."},                           \
	    {.yaml = "k8s_deployment_name",                                                        \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, k8s_deployment_name),                             \
	     .doc = "Kubernetes deployment name (needs Kubernetes metadata)."},                    \
	    {.yaml = "k8s_replicaset_name",                                                        \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, k8s_replicaset_name),                             \
	     .doc = "Kubernetes replicaset name (needs Kubernetes metadata)."},                    \
	    {.yaml = "k8s_statefulset_name",                                                       \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, k8s_statefulset_name),                            \
	     .doc = "Kubernetes statefulset name (needs Kubernetes metadata)."},                   \
	    {.yaml = "k8s_daemonset_name",                                                         \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, k8s_daemonset_name),                              \
	     .doc = "Kubernetes daemonset name (needs Kubernetes metadata)."},                     \
	    {.yaml = "k8s_job_name",                                                               \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, k8s_job_name),                                    \
	     .doc = "Kubernetes job name (needs Kubernetes metadata)."},                           \
	    {.yaml = "k8s_cronjob_name",                                                           \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, k8s_cronjob_name),                                \
	     .doc = "Kubernetes cronjob name (needs Kubernetes metadata)."},                       \
	    {.yaml = "k8s_owner_name",                                                             \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, k8s_owner_name),                                  \
	     .doc = "Kubernetes owner name (needs Kubernetes metadata)."},                         \
	    {.yaml = "k8s_container_name",                                                         \
	     .type = (PAT),                                                                        \
	     CONFIG_ITEM(struct config_selector, k8s_container_name),                              \
	     .doc = "Kubernetes container name (needs Kubernetes metadata)."},                     \
	    {.yaml = "k8s_pod_labels",                                                             \
	     .type = CONFIG_T_MAP,                                                                 \
	     CONFIG_ITEM(struct config_selector, k8s_pod_labels),                                  \
	     .doc = "Pod labels: every key must exist and its value match the pattern."},          \
	    {.yaml = "k8s_pod_annotations",                                                        \
	     .type = CONFIG_T_MAP,                                                                 \
	     CONFIG_ITEM(struct config_selector, k8s_pod_annotations),                             \
	     .doc = "Pod annotations: every key must exist and its value match the pattern."},     \
	    {.yaml = "exports",                                                                    \
	     .type = CONFIG_T_STRLIST,                                                             \
	     CONFIG_ITEM(struct config_selector, exports),                                         \
	     .check = config_check_exports,                                                        \
	     .doc = "Signals exported for these processes: metrics, traces, logs (`[]`: none; "    \
		    "unset: the "                                                                  \
		    "global setting)."},                                                           \
	    {.yaml = "sampler.name",                                                               \
	     .type = CONFIG_T_ENUM,                                                                \
	     CONFIG_ITEM(struct config_selector, sampler.name),                                    \
	     .enums = config_sampler_names,                                                        \
	     .doc = "Trace sampler of these processes."},                                          \
	    {.yaml = "sampler.arg",                                                                \
	     .type = CONFIG_T_STRING,                                                              \
	     CONFIG_ITEM(struct config_selector, sampler.arg),                                     \
	     .max = 32,                                                                            \
	     .check = config_check_ratio,                                                          \
	     .doc = "Sampler ratio (0..1) for the *traceidratio samplers."},                       \
	    {.yaml = "routes.incoming",                                                            \
	     .type = CONFIG_T_STRLIST,                                                             \
	     CONFIG_ITEM(struct config_selector, routes_incoming),                                 \
	     .check = config_check_route_patterns,                                                 \
	     .doc = "Route patterns of server spans, after the global ones."},                     \
	    {.yaml = "routes.outgoing",                                                            \
	     .type = CONFIG_T_STRLIST,                                                             \
	     CONFIG_ITEM(struct config_selector, routes_outgoing),                                 \
	     .check = config_check_route_patterns,                                                 \
	     .doc = "Route patterns of client spans, after the global ones."},                     \
	    {.yaml = "metrics.features",                                                           \
	     .type = CONFIG_T_FLAGS,                                                               \
	     CONFIG_ITEM(struct config_selector, metrics_features),                                \
	     .enums = config_metric_features,                                                      \
	     .doc = "Metric features of these processes, instead of metrics.features: obi makes "  \
		    "`application` (the RED metrics), so a list without it turns them off here "   \
		    "and one "                                                                     \
		    "with it turns them on."},

/* discovery selector (globs): fields of one object. */
static const struct config_row config_selector_schema_rows[] = {
    CONFIG_SELECTOR_ROWS(CONFIG_T_GLOB)};

static const struct config_schema config_selector_schema = {
    .title = "discovery selector (globs)",
    .rows = config_selector_schema_rows,
    .n = sizeof(config_selector_schema_rows) / sizeof(config_selector_schema_rows[0]),
    .item_size = sizeof(struct config_selector),
    .check = config_selector_check,
};

/* discovery selector (regexes): fields of one object. */
static const struct config_row config_selector_re_schema_rows[] = {
    CONFIG_SELECTOR_ROWS(CONFIG_T_REGEX)};

static const struct config_schema config_selector_re_schema = {
    .title = "discovery selector (regexes)",
    .rows = config_selector_re_schema_rows,
    .n = sizeof(config_selector_re_schema_rows) / sizeof(config_selector_re_schema_rows[0]),
    .item_size = sizeof(struct config_selector),
    .check = config_selector_check,
};

/* Rows of another branch paste here verbatim (the initializer format is the contract). */
static const struct config_row config_rows_discovery[] = {
    {.yaml = "discovery.instrument",
     .type = CONFIG_T_OBJLIST,
     CONFIG_FIELD(discovery.instrument),
     .proc = CONFIG_PROC_PROBE,
     .sub = &config_selector_schema,
     .doc =
	 "Selectors of processes to instrument (globs); an entry's fields AND, entries OR, the "
	 "first matching entry names the service. OTEL_EBPF_AUTO_TARGET_EXE / "
	 "OTEL_EBPF_OPEN_PORT form the lowest-priority entry. container_name cannot match yet (a "
	 "warning says so); an entry's exports, sampler, routes and metrics.features apply to the "
	 "processes it chose."},
    {.yaml = "discovery.exclude_instrument",
     .type = CONFIG_T_OBJLIST,
     CONFIG_FIELD(discovery.exclude_instrument),
     .proc = CONFIG_PROC_PROBE,
     .sub = &config_selector_schema,
     .doc = "Selectors of processes never instrumented (globs); exclusions win."},
    {.yaml = "discovery.default_exclude_instrument",
     .type = CONFIG_T_OBJLIST,
     CONFIG_FIELD(discovery.default_exclude_instrument),
     .def =
	 "[{exe_path: "
	 "'{*beyla,*alloy,*ebpf-instrument,*obi,*obi-probe,*obi-enricher,*otelcol,*otelcol-contrib,"
	 "*otelcol-contrib[!/]*,*prometheus-config-reloader}'}, {k8s_namespace: "
	 "'{kube-system,kube-node-lease,local-path-storage,grafana-alloy,cert-manager,monitoring,"
	 "gke-connect,gke-gmp-system,gke-managed-cim,gke-managed-filestorecsi,gke-managed-metrics-"
	 "server,gke-managed-system,gke-system,gke-managed-volumepopulator,gatekeeper-system}'}]",
     .proc = CONFIG_PROC_PROBE,
     .sub = &config_selector_schema,
     .doc = "OBI's default exclusions: observability agents and Kubernetes system namespaces; `[]` "
	    "allows them."},
    {.yaml = "discovery.services",
     .type = CONFIG_T_OBJLIST,
     CONFIG_FIELD(discovery.services),
     .proc = CONFIG_PROC_PROBE,
     .sub = &config_selector_re_schema,
     .doc = "Deprecated: selectors as discovery.instrument with regex fields; ignored when "
	    "discovery.instrument is set."},
    {.yaml = "discovery.exclude_services",
     .type = CONFIG_T_OBJLIST,
     CONFIG_FIELD(discovery.exclude_services),
     .proc = CONFIG_PROC_PROBE,
     .sub = &config_selector_re_schema,
     .doc = "Deprecated counterpart of discovery.exclude_instrument (regex fields)."},
    {.yaml = "discovery.default_exclude_services",
     .type = CONFIG_T_OBJLIST,
     CONFIG_FIELD(discovery.default_exclude_services),
     .def = "[{exe_path: '(?:^|/)(beyla$|alloy$|otelcol[^/]*$)'}]",
     .proc = CONFIG_PROC_PROBE,
     .sub = &config_selector_re_schema,
     .doc = "Deprecated counterpart of discovery.default_exclude_instrument (regex fields)."},
    {.yaml = "discovery.survey",
     .type = CONFIG_T_OBJLIST,
     CONFIG_FIELD(discovery.survey),
     .proc = CONFIG_PROC_PROBE,
     .status = CONFIG_PLANNED,
     .sub = &config_selector_schema,
     .doc = "Selectors of processes only surveyed (language detected, survey_info metric), not "
	    "instrumented."},
    {.yaml = "discovery.poll_interval",
     .env = {"OTEL_EBPF_DISCOVERY_POLL_INTERVAL"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(discovery.poll_interval_ns),
     .def = "0s",
     .proc = CONFIG_PROC_PROBE,
     .status = CONFIG_PLANNED,
     .doc = "Period of the /proc scan (0: 5s). Exec and listen events trigger a scan sooner."},
    {.yaml = "discovery.min_process_age",
     .env = {"OTEL_EBPF_MIN_PROCESS_AGE"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(discovery.min_process_age_ns),
     .def = "5s",
     .proc = CONFIG_PROC_PROBE,
     .status = CONFIG_PLANNED,
     .doc = "Ignore processes younger than this."},
    {.yaml = "discovery.skip_go_specific_tracers",
     .env = {"OTEL_EBPF_SKIP_GO_SPECIFIC_TRACERS"},
     .type = CONFIG_T_BOOL,
     CONFIG_FIELD(discovery.skip_go_specific_tracers),
     .def = "false",
     .proc = CONFIG_PROC_PROBE,
     .status = CONFIG_PLANNED,
     .doc = "Use only the generic tracers for Go programs (the only ones today)."},
    {.yaml = "discovery.exclude_otel_instrumented_services",
     .env = {"OTEL_EBPF_EXCLUDE_OTEL_INSTRUMENTED_SERVICES"},
     .type = CONFIG_T_BOOL,
     CONFIG_FIELD(discovery.exclude_otel_instrumented_services),
     .def = "true",
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "Stop instrumenting a service once it is seen exporting OTLP itself."},
    {.yaml = "discovery.exclude_otel_instrumented_services_span_metrics",
     .env = {"OTEL_EBPF_EXCLUDE_OTEL_INSTRUMENTED_SERVICES_SPAN_METRICS"},
     .type = CONFIG_T_BOOL,
     CONFIG_FIELD(discovery.exclude_otel_instrumented_services_span_metrics),
     .def = "false",
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "Also suppress span metrics of such services."},
    {.yaml = "discovery.default_otlp_grpc_port",
     .env = {"OTEL_EBPF_DEFAULT_OTLP_GRPC_PORT"},
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(discovery.default_otlp_grpc_port),
     .min = 1,
     .max = 65535,
     .def = "4317",
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .doc = "OTLP gRPC port assumed when detecting self-instrumented services."},
    {.yaml = "discovery.bpf_pid_filter_off",
     .env = {"OTEL_EBPF_BPF_PID_FILTER_OFF"},
     .type = CONFIG_T_BOOL,
     CONFIG_FIELD(discovery.bpf_pid_filter_off),
     .def = "false",
     .proc = CONFIG_PROC_PROBE,
     .status = CONFIG_PLANNED,
     .doc = "Debug: no kernel-side PID filter."},
    {.yaml = "discovery.excluded_linux_system_paths",
     .type = CONFIG_T_STRLIST,
     CONFIG_FIELD(discovery.excluded_linux_system_paths),
     .def = "/lib/systemd/,/usr/lib/systemd/,/usr/libexec/,/sbin/,/usr/sbin/",
     .proc = CONFIG_PROC_PROBE,
     .status = CONFIG_PLANNED,
     .doc = "Executable path prefixes never selected by path or language."},
    {.yaml = "discovery.route_harvester_timeout",
     .env = {"OTEL_EBPF_ROUTE_HARVESTER_TIMEOUT"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(discovery.route_harvester_timeout_ns),
     .def = "10s",
     .proc = CONFIG_PROC_PROBE,
     .status = CONFIG_PLANNED,
     .doc = "Abort route harvesting after this."},
    {.yaml = "discovery.disabled_route_harvesters",
     .type = CONFIG_T_FLAGS,
     CONFIG_FIELD(discovery.disabled_route_harvesters),
     .enums = config_route_harvesters,
     .proc = CONFIG_PROC_PROBE,
     .status = CONFIG_PLANNED,
     .doc = "Route harvesters not to run."},
    {.yaml = "discovery.route_harvester_advanced.java_harvest_delay",
     .env = {"OTEL_EBPF_JAVA_ROUTE_HARVEST_DELAY"},
     .type = CONFIG_T_DURATION,
     CONFIG_FIELD(discovery.java_harvest_delay_ns),
     .def = "1m",
     .proc = CONFIG_PROC_PROBE,
     .status = CONFIG_PLANNED,
     .doc = "Only harvest routes of JVMs alive this long."},
};

const struct config_schema config_area_discovery = {
    .title = "Discovery (`discovery`)",
    .rows = config_rows_discovery,
    .n = sizeof(config_rows_discovery) / sizeof(config_rows_discovery[0]),
};
