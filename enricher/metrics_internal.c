/* metrics_internal.c: obi's own counters (enricher, probe, kernel, exporters) as OTLP monotonic
 * sums under obi's resource. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics_int.h"

int metrics_set_internal(struct metrics *m, const struct metrics_counter *c, size_t n)
{
	struct metrics_counter *v;
	uint64_t *last;

	if (!m)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!c[i].name || !c[i].name[0] || !c[i].value)
			return -EINVAL;
	v = n ? calloc(n, sizeof(*v)) : NULL;
	last = n ? calloc(n, sizeof(*last)) : NULL;
	if (n && (!v || !last)) {
		free(v);
		free(last);
		return -ENOMEM;
	}
	if (n)
		memcpy(v, c, n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		last[i] = *c[i].value; /* a delta starts from what was counted before it */
	free(m->counters);
	free(m->last);
	m->counters = v;
	m->last = last;
	m->n_counters = n;
	return 0;
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
				    .pid = (uint32_t)getpid()};
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
