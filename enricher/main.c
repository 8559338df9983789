/* main.c: obi-enricher: set-up, the event loop (probe socket, 1 s tick, signals), shutdown. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "enricher.h"
#include "k8s.h"
#include "metrics.h"
#include "sandbox.h"
#include "span_filter.h"
#include "span_route.h"

/* Processes are kept this long after exit: their last records may still be in flight. */
#define ENRICHER_DEAD_GRACE_NS (10ULL * 1000000000ULL)
#define ENRICHER_TICK_NS 1000000000ULL

static void enricher_on_readable(struct enricher *e)
{
	for (int i = 0; i < 64 && e->fd >= 0; i++) {
		struct wire_msg m;
		const char *why;
		int rc = wire_recv(e->fd, e->rbuf, OBI_WIRE_ROLE_PROBE, &m);

		if (rc == -EAGAIN || rc == -EINTR)
			return;
		if (rc == 0) {
			enricher_disconnect(e, "probe went away");
			return;
		}
		if (rc < 0 && wire_is_proto_err(rc)) {
			/* One bad datagram is dropped; the framing of the next is intact. */
			e->st.bad_msgs++;
			log_ratelimited(&e->bad_rl, monotime_ns(), LOG_LVL_WARN,
					"dropping a bad message from the probe: %s",
					wire_strerror(rc));
			continue;
		}
		if (rc < 0) {
			enricher_disconnect(e, strerror(-rc));
			return;
		}
		why = enricher_on_message(e, &m);
		if (why) {
			enricher_disconnect(e, why);
			return;
		}
	}
}

static void enricher_on_probe(struct evloop *l, struct ev_io *w, uint32_t events)
{
	struct enricher *e = w->data;

	(void)l;
	enricher_on_readable(e);
	if (e->fd >= 0 && (events & (EPOLLHUP | EPOLLERR)))
		enricher_disconnect(e, "hang-up");
}

static void enricher_on_tick(struct evloop *l, struct ev_timer *t)
{
	struct enricher *e = t->data;

	proc_table_reap(&e->procs, evloop_now(l), ENRICHER_DEAD_GRACE_NS);
	records_tick(e, evloop_now(l));
	enricher_pod_tick(e);
	if (ev_timer_start(l, t, ENRICHER_TICK_NS))
		log_warnx("cannot re-arm the 1 s timer: out of memory");
}

static void enricher_on_signal(struct evloop *l, const struct signalfd_siginfo *si, void *data)
{
	struct enricher *e = data;

	/* SIGPIPE is only blocked: a write to a closed socket reports EPIPE instead. */
	if (si->ssi_signo == SIGPIPE)
		return;
	e->stop = true;
	evloop_stop(l);
}

static int enricher_setup(struct enricher *e)
{
	int rc = evloop_init(&e->loop);

	if (rc)
		return rc;
	ev_timer_init(&e->tick, enricher_on_tick, e);
	ev_timer_init(&e->conn_timer, NULL, e); /* connect.c sets its callback */
	e->probe_io.fd = -1;
	e->probe_io.cb = enricher_on_probe;
	e->probe_io.data = e;
	rc = evloop_signal(&e->loop, SIGINT, enricher_on_signal, e);
	if (!rc)
		rc = evloop_signal(&e->loop, SIGTERM, enricher_on_signal, e);
	if (!rc)
		rc = evloop_signal(&e->loop, SIGPIPE, enricher_on_signal, e);
	if (!rc)
		rc = ev_timer_start(&e->loop, &e->tick, ENRICHER_TICK_NS);
	return rc;
}

/* Sends what is still queued for at most 90% of shutdown_timeout, then gives the rest up: the
 * launcher (or the kubelet's grace period) kills at the full timeout, and the last tenth is for
 * the totals and a clean exit, not a SIGKILL that loses the counters too. */
static void enricher_drain_exports(struct enricher *e)
{
	uint64_t deadline = monotime_ns() + e->cfg.shutdown_timeout_ns / 10 * 9;

	emit_flush(e);
	while (!emit_idle(e) && monotime_ns() < deadline)
		if (evloop_run_once(&e->loop, 50) < 0)
			break;
	if (!emit_idle(e)) {
		size_t spans = e->emit.traces ? otlp_http_abandon(e->emit.traces) : 0;
		size_t points = metrics_abandon(e->emit.metrics);

		log_warnx("shutdown_timeout reached: %zu spans and %zu metric data points still "
			  "queued for export are dropped",
			  spans, points);
	}
}

static void enricher_run(struct enricher *e)
{
	int rc = 0;

	enricher_connect_start(e);
	if (!e->stop)
		rc = evloop_run(&e->loop);
	if (rc)
		log_warn(-rc, "event loop");
	if (e->fd >= 0)
		enricher_disconnect(e, "stopping");
	records_shutdown(e);
	enricher_drain_exports(e);
}

/* name_resolver.sources: k8s names need the cache (OBI drops the source without it); the
 * DNS sources are not built yet and say so once. */
static void enricher_peer_setup(struct enricher *e)
{
	uint64_t src = e->cfg.name_resolver.sources;

	e->peer_names = span_peer_wanted(src) ? e->k8s : NULL;
	if (span_peer_unbuilt(src))
		log_warnx("name_resolver.sources: dns and rdns are not implemented yet: peer "
			  "addresses stay IPs unless Kubernetes knows them");
}

static void enricher_log_sender(const char *signal, const struct otlp_http_stats *x)
{
	log_info("otlp %s: %llu exported, %llu dropped (queue full), %llu failed, %llu rejected "
		 "by the collector, %llu too large, %llu unsent at shutdown, %llu requests, %llu "
		 "retries, %llu bytes sent",
		 signal, (unsigned long long)x->spans_exported,
		 (unsigned long long)x->spans_dropped_queue, (unsigned long long)x->spans_failed,
		 (unsigned long long)x->spans_rejected, (unsigned long long)x->spans_too_large,
		 (unsigned long long)x->unsent, (unsigned long long)x->requests,
		 (unsigned long long)x->retries, (unsigned long long)x->bytes_sent);
}

static void enricher_log_totals(const struct enricher *e)
{
	const struct emit_stats *m = &e->emit.st;

	log_info("stopping: %llu spans, %llu bad records, %llu bad messages, %llu non-HTTP; "
		 "kernel: %llu exchanges, %llu ring drops, %llu without payload, %llu lost to emit "
		 "races; probe: %llu "
		 "delivered, %llu send queue full, %llu no enricher connected, %llu discarded on "
		 "disconnect, %llu malformed; %llu finals of snapshots, %llu cut, %llu pipelined "
		 "(%llu approximated)",
		 (unsigned long long)e->st.spans, (unsigned long long)e->st.bad_records,
		 (unsigned long long)e->st.bad_msgs, (unsigned long long)e->st.not_http,
		 (unsigned long long)e->st.probe[OBI_ST_HTTP_EMITTED],
		 (unsigned long long)e->st.probe[OBI_ST_RB_DROPS],
		 (unsigned long long)e->st.probe[OBI_ST_NO_PAYLOAD],
		 (unsigned long long)e->st.probe[OBI_ST_RACES],
		 (unsigned long long)e->st.probe[OBI_ST__MAX + OBI_PST_DELIVERED_RECORDS],
		 (unsigned long long)e->st.probe[OBI_ST__MAX + OBI_PST_QUEUE_DROPPED_RECORDS],
		 (unsigned long long)e->st.probe[OBI_ST__MAX + OBI_PST_NO_ENRICHER_RECORDS],
		 (unsigned long long)e->st.probe[OBI_ST__MAX + OBI_PST_DISCONNECT_RECORDS],
		 (unsigned long long)e->st.probe[OBI_ST__MAX + OBI_PST_BAD_RECORDS],
		 (unsigned long long)e->st.snap_dups, (unsigned long long)e->st.resp_cut,
		 (unsigned long long)e->st.pipelined, (unsigned long long)e->st.pipelined_approx);
	log_info("traces: %llu dropped by filters, %llu not sampled, %llu to the exporter, "
		 "%llu refused by its full queue",
		 (unsigned long long)m->dropped_traces, (unsigned long long)m->unsampled,
		 (unsigned long long)m->exported, (unsigned long long)m->export_refused);
	if (e->emit.traces)
		enricher_log_sender("traces", &e->emit.traces->st);
	if (e->peer_names)
		log_info("peer names: %llu addresses named, %llu unknown, %llu names too long",
			 (unsigned long long)e->peers.resolved,
			 (unsigned long long)e->peers.unknown,
			 (unsigned long long)e->peers.too_long);
	if (e->emit.metrics) {
		const struct metrics_stats *ms = metrics_stats(e->emit.metrics);

		log_info("metrics: %llu spans recorded, %llu skipped, %llu into overflow series, "
			 "%llu series expired, %llu export rounds",
			 (unsigned long long)ms->spans, (unsigned long long)ms->skipped,
			 (unsigned long long)ms->overflow, (unsigned long long)ms->expired,
			 (unsigned long long)ms->exports);
		enricher_log_sender("metrics", metrics_sender_stats(e->emit.metrics));
	}
}

int main(int argc, char **argv, char **envp)
{
	struct enricher *e = calloc(1, sizeof(*e));
	enum config_action action;
	char err[512];
	int rc = 1;

	/* First: before the environment (OTLP headers) is read, no peer of our uid may trace us. */
	sandbox_nodump();
	if (!e)
		return 1;
	e->fd = e->inherited_fd = -1;
	e->bad_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10ULL * 1000000000ULL, 10);
	e->drop_rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10ULL * 1000000000ULL, 3);
	log_init("obi-enricher", LOG_LVL_INFO);
	rc = config_load(&e->cfg, argc, argv, envp, CONFIG_PROC_ENRICHER, &action);
	if (rc)
		goto out_free;
	rc = 0;
	if (action == CONFIG_ACTION_DUMP)
		config_dump(&e->cfg, stdout);
	if (action == CONFIG_ACTION_DOCS)
		config_write_docs(stdout);
	if (action != CONFIG_ACTION_RUN)
		goto out;
	log_set_level((enum log_level)e->cfg.log_level);
	prctl(PR_SET_NAME, "obi-enricher", 0, 0, 0);
	if (gethostname(e->hostname, sizeof(e->hostname) - 1))
		snprintf(e->hostname, sizeof(e->hostname), "localhost");
	proc_table_init(&e->procs);
	printer_init(&e->printer, e->cfg.trace_printer, stdout);
	/* Span stages from the config: a value the config checks let through is still exit 2. */
	rc = 2;
	if (span_route_new(&e->cfg.routes, &e->routes, err, sizeof(err)) < 0 ||
	    span_route_selectors(e->routes, &e->cfg.discovery, err, sizeof(err)) < 0 ||
	    span_filter_new(&e->cfg.filter.application, &e->filter, err, sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		goto out;
	}
	rc = 1;
	if (enricher_setup(e))
		goto out;
	rc = emit_init(e, err, sizeof(err));
	if (rc) {
		/* A setting the row checks could not see (cross-field): a config error. */
		log_errorx("%s", err);
		rc = rc == -EINVAL ? 2 : 1;
		goto out;
	}
	/* After emit_init: it ran curl_global_init, which the API client needs too. */
	rc = k8s_new(&e->k8s, &e->loop, &e->cfg, err, sizeof(err));
	if (rc) {
		log_errorx("kubernetes metadata: %s", err);
		rc = 2;
		goto out;
	}
	enricher_peer_setup(e);
	rc = 1;
	if (enricher_conn_init(e) || enricher_confine(e))
		goto out;
	enricher_run(e);
	enricher_log_totals(e);
	rc = 0;
out:
	k8s_free(e->k8s);
	span_route_free(e->routes);
	span_filter_free(e->filter);
	emit_free(e);
	if (e->loop.pending) /* set up */
		evloop_free(&e->loop);
	proc_table_clear(&e->procs);
	config_free(&e->cfg);
out_free:
	free(e);
	return rc;
}
