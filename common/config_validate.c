/* config_validate.c: per-process validation: every row the process reads, then cross-field rules.
 */
#include "config_schema.h"

#include <string.h>

/* Bits of metrics.features (config_rows_metrics.c lists the names in this order). */
#define CONFIG_FEATURE_APPLICATION_SPAN (1ull << 1)
#define CONFIG_FEATURE_APPLICATION_SPAN_OTEL (1ull << 2)

static bool config_has_selection(const struct obi_config *cfg)
{
	return cfg->open_port.n || (cfg->auto_target_exe && *cfg->auto_target_exe) ||
	       cfg->discovery.instrument.n || cfg->discovery.services.n ||
	       (cfg->general.executable_path && *cfg->general.executable_path) ||
	       cfg->general.target_pids.n;
}

static void config_cross_checks(const struct obi_config *cfg, unsigned proc, struct config_errs *e)
{
	const struct config_otlp_traces *t = &cfg->otlp.traces;

	if ((proc & CONFIG_PROC_PROBE) && !config_has_selection(cfg))
		config_errs_add(e,
				"config: nothing to instrument: set OTEL_EBPF_OPEN_PORT or "
				"OTEL_EBPF_AUTO_TARGET_EXE, or discovery.instrument (or open_port) "
				"in the YAML file");
	if ((proc & CONFIG_PROC_PROBE) && cfg->ebpf.enable_context_propagation &&
	    cfg->ebpf.context_propagation)
		config_errs_add(e, "config: ebpf.enable_context_propagation and "
				   "ebpf.context_propagation are mutually exclusive: keep "
				   "context_propagation");
	if ((proc & CONFIG_PROC_ENRICHER) &&
	    (cfg->metrics.features & CONFIG_FEATURE_APPLICATION_SPAN) &&
	    (cfg->metrics.features & CONFIG_FEATURE_APPLICATION_SPAN_OTEL))
		config_errs_add(e, "config: metrics.features: application_span and "
				   "application_span_otel are mutually exclusive");
	if ((proc & CONFIG_PROC_ENRICHER) && t->queue_size && t->queue_size < 2 * t->batch_max_size)
		config_errs_add(e,
				"config: otel_traces_export.queue_size: %u must be at least twice "
				"batch_max_size (%u), or 0",
				t->queue_size, t->batch_max_size);
	if ((proc & CONFIG_PROC_ENRICHER) && cfg->metrics.internal_exporter == 2 &&
	    cfg->metrics.internal_prometheus_port)
		config_errs_add(e, "config: internal_metrics.exporter otel and "
				   "internal_metrics.prometheus.port are mutually exclusive");
}

int config_validate_into(const struct obi_config *cfg, unsigned proc, struct config_errs *e)
{
	char why[CONFIG_WHY_MAX];
	const struct config_row *row;
	size_t area = 0, i = 0;
	unsigned before = e->n;

	/*
	 * After source errors the row checks would only repeat them (a value that failed its
	 * constraint is still stored); the cross-field rules still add what is new.
	 */
	while (before == 0 && (row = config_next_row(&area, &i))) {
		if (!(row->proc & proc))
			continue;
		if (config_check_value(cfg, row, why, sizeof(why)) < 0)
			config_errs_add(e, "config: %s: %s", config_row_name(row), why);
	}
	config_cross_checks(cfg, proc, e);
	return e->n == before ? 0 : -1;
}

int config_validate(const struct obi_config *cfg, unsigned proc_mask, char *err, size_t errlen)
{
	struct config_errs e;

	config_errs_init(&e, err, errlen);
	return config_validate_into(cfg, proc_mask, &e);
}
