/* config.h: the configuration model shared by every process: struct obi_config and its API. */
#ifndef OBI_CONFIG_H
#define OBI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <regex.h>
#include <stdio.h>

/* Which process reads a setting (bit mask). */
enum config_proc {
	CONFIG_PROC_PROBE = 1u << 0,
	CONFIG_PROC_ENRICHER = 1u << 1,
	CONFIG_PROC_LAUNCHER = 1u << 2,
	CONFIG_PROC_ALL = 7u,
};

enum config_log_level { CONFIG_LOG_DEBUG = 0, CONFIG_LOG_INFO, CONFIG_LOG_WARN, CONFIG_LOG_ERROR };

enum config_printer {
	CONFIG_PRINTER_DISABLED = 0,
	CONFIG_PRINTER_COUNTER,
	CONFIG_PRINTER_TEXT,
	CONFIG_PRINTER_JSON,
	CONFIG_PRINTER_JSON_INDENT,
};

enum config_bpf_object {
	CONFIG_BPF_OBJECT_AUTO = 0, /* compat when the kernel lacks task storage or BPF atomics */
	CONFIG_BPF_OBJECT_FULL,
	CONFIG_BPF_OBJECT_COMPAT,
};

enum config_frontend {
	CONFIG_FRONTEND_AUTO = 0, /* socket tracepoints when the kernel has them, else syscalls */
	CONFIG_FRONTEND_SOCKET,
	CONFIG_FRONTEND_SYSCALL,
};

#include "config_values.h"
#include "config_areas.h"

struct obi_config {
	/* selection (probe) */
	struct config_portlist open_port; /* open_port / OTEL_EBPF_OPEN_PORT */
	char *auto_target_exe; /* OTEL_EBPF_AUTO_TARGET_EXE (fallback OTEL_GO_AUTO_TARGET_EXE) */
	/* naming (enricher) */
	char *service_name; /* service_name / OTEL_SERVICE_NAME (fallback OTEL_EBPF_SERVICE_NAME) */
	char *service_namespace; /* service_namespace / OTEL_EBPF_SERVICE_NAMESPACE */
	/* general */
	enum config_log_level log_level;   /* log_level / OTEL_EBPF_LOG_LEVEL */
	enum config_printer trace_printer; /* trace_printer / OTEL_EBPF_TRACE_PRINTER */
	uint64_t shutdown_timeout_ns;	   /* shutdown_timeout / OTEL_EBPF_SHUTDOWN_TIMEOUT */
	/* ebpf (probe) */
	enum config_frontend frontend; /* ebpf.capture_frontend / OTEL_EBPF_BPF_CAPTURE_FRONTEND */
	enum config_bpf_object bpf_object; /* ebpf.bpf_object / OTEL_EBPF_BPF_OBJECT */
	uint32_t request_capture_size;	   /* ebpf.request_capture_size, 64..1024, default 512 */
	uint32_t ringbuf_size;	    /* ebpf.ringbuf_size bytes, power of two, default 4 MiB */
	uint32_t max_connections;   /* ebpf.max_connections, default 8192 */
	uint32_t wakeup_len;	    /* ebpf.wakeup_len / OTEL_EBPF_BPF_WAKEUP_LEN, default 500 */
	uint64_t drain_interval_ns; /* ebpf.drain_interval, default 10ms */
	uint64_t sweep_idle_ns;	    /* ebpf.sweep_idle, default 200ms */
	bool track_request_headers; /* ebpf.track_request_headers, default true (see docs) */
	uint64_t http_request_timeout_ns;	/* ebpf.http_request_timeout, default 0 (off) */
	uint32_t response_capture_size;		/* ebpf.response_capture_size, default 1024 */
	uint64_t http_response_max_duration_ns; /* ebpf.http_response_max_duration, 30s */
	/* batching (probe forwards, enricher prints) */
	uint32_t batch_length; /* ebpf.batch_length / OTEL_EBPF_BPF_BATCH_LENGTH, default 100 */
	uint64_t
	    batch_timeout_ns; /* ebpf.batch_timeout / OTEL_EBPF_BPF_BATCH_TIMEOUT, default 1s */
	/* split between probe and enricher */
	char *socket_path;	   /* probe.socket_path / OTEL_EBPF_PROBE_SOCKET_PATH */
	uint32_t enricher_uid;	   /* probe.enricher_uid / OTEL_EBPF_ENRICHER_UID, default 65519 */
	uint32_t enricher_gid;	   /* probe.enricher_gid / OTEL_EBPF_ENRICHER_GID, default 65519 */
	uint32_t probe_uid;	   /* probe.uid / OTEL_EBPF_PROBE_UID, default 65518 */
	uint32_t probe_gid;	   /* probe.gid / OTEL_EBPF_PROBE_GID, default 65518 */
	uint32_t send_queue_bytes; /* probe.send_queue_size, default 8 MiB */

	/* new areas: one sub-struct each (config_areas.h), so a module sees only its own */
	struct config_discovery discovery;   /* discovery.* (probe) */
	struct config_routes routes;	     /* routes.* (enricher) */
	struct config_attributes attributes; /* attributes.* (enricher) */
	struct config_filter filter;	     /* filter.* (enricher) */
	struct config_otlp otlp;	     /* otel_*_export.*, OTEL_EXPORTER_OTLP_* (enricher) */
	struct config_prometheus prometheus; /* prometheus_export.* (enricher) */
	struct config_metrics metrics;	     /* metrics.*, internal_metrics.* (enricher) */
	struct config_ebpf_more ebpf;	     /* ebpf.* rows added with the full schema (probe) */
	struct config_general general;	     /* top-level rows added with the full schema */
	struct config_name_resolver name_resolver; /* name_resolver.* (enricher) */
	struct config_network network;		   /* network.* (planned) */

	/* bookkeeping, not settings */
	char *config_path;  /* YAML file that was loaded, NULL if none */
	char *planned_seen; /* "a, b" : options set that are recognised but not implemented */
	/* values of secret variables (in envp, which outlives cfg): the dump hides any copy */
	const char *secret_values[16];
	unsigned n_secret_values;
};

/* What the command line asked for, besides the configuration itself. */
enum config_action {
	CONFIG_ACTION_RUN = 0,
	CONFIG_ACTION_CHECK, /* --check-config: validate and exit 0 */
	CONFIG_ACTION_DUMP,  /* --dump-config: print the effective config (secrets redacted), exit 0
			      */
	CONFIG_ACTION_DOCS,  /* --config-docs: print docs/configuration.md, exit 0 */
};

/*
 * Every function taking (err, errlen) reports ALL the errors it found, one per line ("config:
 * SOURCE: KEY: why"), truncated to errlen; values of secret rows are never part of a message.
 */

/* Sets every field to its schema default. */
void config_init_defaults(struct obi_config *cfg);
/* Applies a YAML document. `name` is used in messages ("file.yaml:12: ..."). 0 or -1 with err. */
int config_apply_yaml(struct obi_config *cfg, const char *text, size_t len, const char *name,
		      char *err, size_t errlen);
/* Reads and applies a YAML file (with ${VAR} expansion from envp). 0 or -1 with err. */
int config_apply_yaml_file(struct obi_config *cfg, const char *path, char *const *envp, char *err,
			   size_t errlen);
/* Applies the environment (NULL-terminated "K=V" array). 0 or -1 with err. */
int config_apply_env(struct obi_config *cfg, char *const *envp, char *err, size_t errlen);
/* Cross-field checks for the given process(es). 0 or -1 with err. */
int config_validate(const struct obi_config *cfg, unsigned proc_mask, char *err, size_t errlen);
/* Effective configuration as YAML; secrets redacted. */
void config_dump(const struct obi_config *cfg, FILE *out);
/* docs/configuration.md, generated from the schema. */
void config_write_docs(FILE *out);
void config_free(struct obi_config *cfg);

/*
 * The whole start-up sequence for a process: defaults < YAML (-config FILE or
 * OTEL_EBPF_CONFIG_PATH, env wins) < env, then validation. Recognises -config/--config FILE,
 * --check-config, --dump-config, --config-docs; other arguments are an error. On a config error it
 * prints the message on stderr and returns 2 (the caller exits with it). On success returns 0 and
 * sets *action.
 */
int config_load(struct obi_config *cfg, int argc, char **argv, char *const *envp, unsigned proc,
		enum config_action *action);

/* Parsers exposed for tests and for other modules. */
int config_parse_portlist(const char *s, struct config_portlist *out, char *err, size_t errlen);
bool config_portlist_contains(const struct config_portlist *pl, uint16_t port);
int config_parse_duration(const char *s, uint64_t *ns); /* Go syntax: "10ms", "1m30s", "0" */
int config_parse_bool(const char *s, bool *out);	/* strconv.ParseBool */
int config_parse_size(const char *s, uint64_t *out);	/* "4096", "4KiB", "8MiB" */

/* Compiles an OBI regex setting (RE2 spellings rewritten, see docs/configuration.md). */
int config_regex_compile(const char *re, regex_t *out, char *why, size_t whylen);
/* Why a glob setting is malformed, or NULL. */
const char *config_glob_problem(const char *p);

#endif /* OBI_CONFIG_H */
