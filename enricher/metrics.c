/* metrics.c: the metrics module's life: set-up from config, span intake, the export timer. */
#include "metrics_int.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t metrics_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void metrics_tick(struct evloop *l, struct ev_timer *t)
{
	struct metrics *m = t->data;

	metrics_export_round(m, metrics_unix_ns());
	/* No timer memory: the next span or the shutdown flush still exports. */
	ev_timer_start(l, &m->timer, m->cfg.interval_ns);
}

int metrics_new_cfg(struct metrics **out, struct evloop *l, const struct metrics_cfg *cfg,
		    char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));
	int rc = m ? 0 : -ENOMEM;

	*out = NULL;
	if (!rc) {
		m->loop = l;
		m->cfg = *cfg;
		m->start_ns = m->last_export_ns = metrics_unix_ns();
		m->pid = (uint32_t)getpid();
		ev_timer_init(&m->timer, metrics_tick, m);
		rc = metrics_agg_init(&m->agg, &cfg->agg);
	}
	if (!rc)
		rc = otlp_http_init(&m->x, l, &m->cfg.http, err, errlen);
	if (!rc && !cfg->interval_ns) {
		snprintf(err, errlen, "otel_metrics_export.interval: must be > 0");
		rc = -EINVAL;
	}
	if (!rc && ev_timer_start(l, &m->timer, cfg->interval_ns))
		rc = -ENOMEM;
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		metrics_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

int metrics_new(struct metrics **m, struct evloop *l, const struct obi_config *cfg,
		const struct otlp_host *host, char *err, size_t errlen)
{
	struct metrics_cfg mc = {0};
	struct metrics_export_store *store = malloc(sizeof(*store));
	int rc = store ? metrics_export_config(cfg, host, &mc.http, store, err, errlen) : -ENOMEM;

	*m = NULL;
	if (!rc)
		rc = metrics_agg_config_from(cfg, &mc.agg, err, errlen);
	mc.interval_ns = metrics_interval_ns(cfg);
	mc.internal = cfg->metrics.internal_exporter == 2; /* "otel" in the row's enum */
	if (cfg->metrics.internal_exporter == 1)
		log_msg(LOG_LVL_WARN, "internal_metrics.exporter: prometheus is not implemented; "
				      "obi's own counters are not exported");
	mc.internal_delta = cfg->otlp.metrics.temporality == CONFIG_TEMPORALITY_DELTA;
	if (!rc)
		rc = metrics_new_cfg(m, l, &mc, err, errlen);
	if (!rc) {
		/* the borrowed URL, headers and scope move with the module */
		(*m)->store = *store;
		(*m)->cfg.http.url = (*m)->store.url;
		(*m)->cfg.http.headers = (*m)->store.headers;
		(*m)->cfg.http.scope = &(*m)->store.scope;
		(*m)->x.cfg = (*m)->cfg.http;
	}
	free(store);
	return rc < 0 ? rc : 0;
}

void metrics_on_span(struct metrics *m, const struct span *sp)
{
	struct timespec ts;

	if (!m)
		return;
	/* The coarse clock is a vDSO read of a few ns: TTLs are minutes. */
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	metrics_agg_record(&m->agg, sp, (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

void metrics_flush(struct metrics *m)
{
	if (!m)
		return;
	metrics_export_round(m, metrics_unix_ns());
}

bool metrics_idle(const struct metrics *m)
{
	return !m || otlp_http_idle(&m->x);
}

size_t metrics_abandon(struct metrics *m)
{
	return m ? otlp_http_abandon(&m->x) : 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	if (m->loop)
		ev_timer_stop(m->loop, &m->timer);
	otlp_http_free(&m->x);
	metrics_agg_free(&m->agg);
	free(m->counters);
	free(m->names);
	free(m->last);
	free(m);
}

const struct metrics_stats *metrics_stats(const struct metrics *m)
{
	struct metrics *w = (struct metrics *)m;

	if (!m)
		return NULL;
	w->st.spans = m->agg.st.spans;
	w->st.skipped = m->agg.st.skipped;
	w->st.overflow = m->agg.st.overflow;
	w->st.expired = m->agg.st.expired;
	w->st.bad_duration = m->agg.st.bad_duration;
	w->st.no_memory = m->agg.st.no_memory;
	return &m->st;
}

const struct otlp_http_config *metrics_sender_config(const struct metrics *m)
{
	return m ? &m->x.cfg : NULL;
}

const struct otlp_http_stats *metrics_sender_stats(const struct metrics *m)
{
	return m ? &m->x.st : NULL;
}
