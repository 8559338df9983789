/* metrics_internal.c: obi's own counters (enricher, probe, kernel, exporters) as OTLP monotonic
 * sums under obi's resource. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enricher.h"
#include "metrics_int.h"

/* Copies c[0..n) with its names and descriptions into one block. */
static char *metrics_copy_table(struct metrics_counter *v, const struct metrics_counter *c,
				size_t n)
{
	size_t len = 0;
	char *names, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(c[i].name) + 1 + (c[i].desc ? strlen(c[i].desc) + 1 : 0);
	names = malloc(len ? len : 1);
	for (size_t i = 0, off = 0; names && i < n; i++) {
		v[i] = c[i];
		p = names + off;
		off += (size_t)(stpcpy(p, c[i].name) - p) + 1;
		v[i].name = p;
		if (c[i].desc) {
			p = names + off;
			off += (size_t)(stpcpy(p, c[i].desc) - p) + 1;
			v[i].desc = p;
		}
	}
	return names;
}

int metrics_set_internal(struct metrics *m, const struct metrics_counter *c, size_t n)
{
	struct metrics_counter *v;
	uint64_t *last;
	char *names;

	if (!m)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!c[i].name || !c[i].name[0] || !c[i].value)
			return -EINVAL;
	v = calloc(n ? n : 1, sizeof(*v));
	last = calloc(n ? n : 1, sizeof(*last));
	names = v ? metrics_copy_table(v, c, n) : NULL;
	if (!v || !last || !names) {
		free(v);
		free(last);
		free(names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		last[i] = *c[i].value; /* a delta starts from what was counted before it */
	free(m->counters);
	free(m->names);
	free(m->last);
	m->counters = v;
	m->names = names;
	m->last = last;
	m->n_counters = n;
	return 0;
}

static void metrics_table_add(struct metrics_table *t, const char *prefix, const char *name,
			      const char *desc, const uint64_t *v)
{
	if (t->n >= METRICS_TABLE_MAX)
		return;
	snprintf(t->names[t->n], sizeof(t->names[t->n]), "%s%s", prefix, name);
	t->c[t->n] = (struct metrics_counter){.name = t->names[t->n], .desc = desc, .value = v};
	t->n++;
}

void metrics_table_enricher(struct metrics_table *t, const struct enricher_stats *st)
{
	static const char *const kernel[] = OBI_STAT_NAMES;
	static const char *const probe[OBI_PST__MAX] = {
	    [OBI_PST_QUEUE_DROPPED_RECORDS] = "queue_dropped_records",
	    [OBI_PST_BAD_RECORDS] = "bad_records",
	    [OBI_PST_DELIVERED_RECORDS] = "delivered_records",
	    [OBI_PST_NO_ENRICHER_RECORDS] = "no_enricher_records",
	    [OBI_PST_DISCONNECT_RECORDS] = "disconnect_records"};
	const struct {
		const char *name, *desc;
		const uint64_t *v;
	} e[] = {
	    {"msgs", "Messages read from the probe.", &st->msgs},
	    {"bad_msgs", "Malformed messages from the probe.", &st->bad_msgs},
	    {"records", "Kernel records received.", &st->records},
	    {"bad_records", "Malformed kernel records.", &st->bad_records},
	    {"not_http", "Exchanges that were not HTTP.", &st->not_http},
	    {"unknown_pid", "Records of processes not in the table.", &st->unknown_pid},
	    {"spans", "Spans built.", &st->spans},
	    {"snap_dups", "Finals of exchanges already printed from their snapshot.",
	     &st->snap_dups},
	    {"resp_cut", "Spans cut at the maximum duration.", &st->resp_cut},
	    {"pipelined", "Spans split from pipelined batches.", &st->pipelined},
	    {"pipelined_approx", "Pipelined spans split inexactly.", &st->pipelined_approx},
	    {"hold_expired", "Held snapshots whose final never came.", &st->hold_expired},
	};

	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		metrics_table_add(t, "obi.enricher.", e[i].name, e[i].desc, e[i].v);
	_Static_assert(sizeof(kernel) / sizeof(kernel[0]) == OBI_ST__MAX, "a name per counter");
	for (size_t i = 0; i < OBI_ST__MAX; i++)
		metrics_table_add(t, "obi.kernel.", kernel[i], NULL, &st->probe[i]);
	for (size_t i = 0; i < OBI_PST__MAX; i++)
		if (probe[i]) /* OBI_PST_SELECTED is a gauge */
			metrics_table_add(t, "obi.probe.", probe[i], NULL,
					  &st->probe[OBI_ST__MAX + i]);
}

static void metrics_table_exporter_rows(struct metrics_table *t, const char *prefix,
					const struct otlp_http_stats *st)
{
	const struct {
		const char *name, *desc;
		const uint64_t *v;
	} e[] = {
	    {"exported", "Items accepted by the collector.", &st->spans_exported},
	    {"dropped_queue", "Items refused: the export queue was full.",
	     &st->spans_dropped_queue},
	    {"failed", "Items given up after a non-retryable answer or retries.",
	     &st->spans_failed},
	    {"rejected", "Items the collector rejected (partial success).", &st->spans_rejected},
	    {"too_large", "Items over the request size limit.", &st->spans_too_large},
	    {"encode_errors", "Items lost to encoding failures.", &st->encode_errors},
	    {"requests", "Export attempts.", &st->requests},
	    {"retries", "Retried attempts.", &st->retries},
	    {"bytes_sent", "Request bytes sent.", &st->bytes_sent},
	};

	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		metrics_table_add(t, prefix, e[i].name, e[i].desc, e[i].v);
}

void metrics_table_exporter(struct metrics_table *t, const char *signal,
			    const struct otlp_http_stats *st)
{
	char prefix[40];

	if (!st)
		return;
	snprintf(prefix, sizeof(prefix), "obi.otlp.%.20s.", signal);
	metrics_table_exporter_rows(t, prefix, st);
}

int metrics_internal_export(struct metrics *m, uint64_t now_ns)
{
	char pid[16];
	/* obi's own resource: one service "obi" with this process's identity. */
	struct span_service self = {.name = "obi",
				    .namespace_ = "",
				    .instance_id = pid,
				    .sdk_language = "c",
				    .exe_path = "",
				    .resource_attrs = "",
				    .pid = m->pid};
	struct otlp_resource res;
	struct otlp_sum_point *pts;
	struct otlp_metric *ms;
	int rc;

	if (!m->n_counters)
		return 0;
	snprintf(pid, sizeof(pid), "%u", self.pid);
	pts = calloc(m->n_counters, sizeof(*pts));
	ms = calloc(m->n_counters, sizeof(*ms));
	rc = pts && ms ? otlp_resource_build(&res, &self, m->cfg.http.host) : -ENOMEM;
	for (size_t i = 0; !rc && i < m->n_counters; i++) {
		uint64_t v = *m->counters[i].value;

		pts[i] = (struct otlp_sum_point){
		    .start_ns = m->cfg.internal_delta ? m->last_export_ns : m->start_ns,
		    .time_ns = now_ns,
		    .value = (int64_t)(m->cfg.internal_delta ? v - m->last[i] : v)};
		m->last[i] = v;
		ms[i] = (struct otlp_metric){
		    .name = m->counters[i].name,
		    .desc = m->counters[i].desc,
		    .unit = "1",
		    .kind = OTLP_METRIC_SUM,
		    .temporality = m->cfg.internal_delta ? OTLP_TEMPORALITY_DELTA
							 : OTLP_TEMPORALITY_CUMULATIVE,
		    .monotonic = true,
		    .sum = &pts[i],
		    .n_points = 1,
		};
	}
	if (!rc) {
		struct otlp_rmetrics rm = {.res_attrs = res.attrs,
					   .n_res_attrs = res.n_attrs,
					   .metrics = ms,
					   .n_metrics = m->n_counters};

		rc = metrics_send(m, &rm, 1, m->n_counters);
		otlp_resource_free(&res);
	}
	free(pts);
	free(ms);
	return rc;
}
