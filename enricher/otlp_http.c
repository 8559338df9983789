/* otlp_http.c: the exporter's intake: validation, the bounded queue, batching and splitting. */
#include "otlp_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "monotime.h"
#include "otlp_encode.h"
#include "otlp_gzip.h"
#include "otlp_http_int.h"

static bool otlp_http_token(const char *s)
{
	if (!s || !s[0])
		return false;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", *s))
			return false;
	return true;
}

/* Header names are RFC 9110 tokens; values may not hold CR, LF or NUL (request splitting). */
static int otlp_http_headers(struct otlp_http *x, char *err, size_t errlen)
{
	const struct otlp_http_config *c = &x->cfg;

	for (size_t i = 0; i < c->n_headers; i++) {
		const struct otlp_header *h = &c->headers[i];
		struct curl_slist *n;
		char *line;

		if (!otlp_http_token(h->key) || !h->value || strpbrk(h->value, "\r\n")) {
			snprintf(err, errlen, "header %zu (\"%.64s\"): bad name or value", i + 1,
				 otlp_http_token(h->key) ? h->key : "?");
			return -EINVAL;
		}
		if (asprintf(&line, "%s: %s", h->key, h->value) < 0)
			return -ENOMEM;
		n = curl_slist_append(x->hdrs, line);
		free(line);
		if (!n)
			return -ENOMEM;
		x->hdrs = n;
	}
	return 0;
}

static int otlp_http_check(const struct otlp_http_config *c, char *err, size_t errlen)
{
	if (!c->url ||
	    (strncmp(c->url, "http://", 7) != 0 && strncmp(c->url, "https://", 8) != 0)) {
		snprintf(err, errlen, "endpoint must be an http:// or https:// URL");
		return -EINVAL;
	}
	if (!c->batch_max_spans || !c->queue_max_spans || !c->max_request_bytes || !c->timeout_ns ||
	    !c->host || !c->scope) {
		snprintf(err, errlen,
			 "batch size, queue size, request limit and timeout must be > 0");
		return -EINVAL;
	}
	if (c->grpc && c->json) {
		snprintf(err, errlen, "gRPC carries protobuf only");
		return -EINVAL;
	}
	if (!c->client_cert != !c->client_key) {
		snprintf(err, errlen, "client certificate and client key go together");
		return -EINVAL;
	}
	return 0;
}

static void otlp_http_batch_due(struct evloop *l, struct ev_timer *t)
{
	(void)l;
	otlp_http_flush(t->data);
}

static void otlp_http_retry_due(struct evloop *l, struct ev_timer *t)
{
	(void)l;
	otlp_http_kick(t->data);
}

int otlp_http_init(struct otlp_http *x, struct evloop *loop, const struct otlp_http_config *cfg,
		   char *err, size_t errlen)
{
	int rc = otlp_http_check(cfg, err, errlen);

	memset(x, 0, sizeof(*x));
	if (rc)
		return rc;
	x->cfg = *cfg;
	x->loop = loop;
	x->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000000000ULL, 5);
	if (getrandom(&x->rnd, sizeof(x->rnd), 0) != sizeof(x->rnd) || !x->rnd)
		x->rnd = monotime_ns() | 1;
	ev_timer_init(&x->batch_timer, otlp_http_batch_due, x);
	ev_timer_init(&x->retry_timer, otlp_http_retry_due, x);
	rc = otlp_http_headers(x, err, errlen);
	if (!rc) {
		size_t n = strlen(cfg->url);

		while (cfg->grpc && n && cfg->url[n - 1] == '/')
			n--;
		if (asprintf(&x->url, "%.*s%s", (int)n, cfg->url,
			     !cfg->grpc				  ? ""
			     : cfg->signal == OTLP_SIGNAL_METRICS ? OTLP_GRPC_METRICS_PATH
								  : OTLP_GRPC_TRACES_PATH) < 0) {
			x->url = NULL;
			rc = -ENOMEM;
		}
	}
	if (!rc)
		rc = otlp_curl_init(&x->curl, loop, otlp_http_done, x);
	if (!rc) {
		x->easy = curl_easy_init();
		rc = x->easy ? otlp_http_easy_setup(x) : -ENOMEM;
	}
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		otlp_http_free(x);
	}
	return rc;
}

void otlp_req_free(struct otlp_req *r)
{
	if (!r)
		return;
	otlp_buf_free(&r->body);
	free(r);
}

void otlp_http_free(struct otlp_http *x)
{
	if (x->sending)
		otlp_curl_remove(&x->curl, x->easy);
	x->sending = false;
	otlp_curl_free(&x->curl);
	if (x->easy)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	if (x->loop) {
		ev_timer_stop(x->loop, &x->batch_timer);
		ev_timer_stop(x->loop, &x->retry_timer);
	}
	otlp_req_free(x->inflight);
	while (x->head) {
		struct otlp_req *r = x->head;

		x->head = r->next;
		otlp_req_free(r);
	}
	otlp_buf_free(&x->pending);
	otlp_buf_free(&x->resp);
	free(x->url);
	x->url = NULL;
	x->easy = NULL;
	x->hdrs = NULL;
	x->inflight = x->tail = NULL;
}

/* Moves body into a new queued request (compressing it when asked). */
static void otlp_http_seal_buf(struct otlp_http *x, struct otlp_buf *body, size_t n_spans)
{
	struct otlp_req *r = calloc(1, sizeof(*r));
	int rc = r ? 0 : -ENOMEM;

	if (!rc && x->cfg.grpc)
		rc = otlp_grpc_frame(body->data, body->len, x->cfg.gzip, &r->body);
	else if (!rc && x->cfg.gzip)
		rc = otlp_gzip(body->data, body->len, &r->body);
	else if (!rc) {
		r->body = *body;
		*body = (struct otlp_buf){0};
	}
	otlp_buf_free(body);
	if (rc) {
		x->st.encode_errors += n_spans;
		otlp_req_free(r);
		return;
	}
	r->n_spans = n_spans;
	if (x->tail)
		x->tail->next = r;
	else
		x->head = r;
	x->tail = r;
	x->queued_spans += n_spans;
}

void otlp_http_flush(struct otlp_http *x)
{
	ev_timer_stop(x->loop, &x->batch_timer);
	if (x->pending_spans)
		otlp_http_seal_buf(x, &x->pending, x->pending_spans);
	x->pending_spans = 0;
	otlp_http_kick(x);
}

/* Queues one encoded request of n items (under the size limit); body is consumed. */
static void otlp_http_queue_body(struct otlp_http *x, struct otlp_buf *body, size_t n)
{
	/* JSON documents cannot be concatenated: each encoded chunk is its own request. */
	if (x->cfg.json) {
		otlp_http_seal_buf(x, body, n);
		return;
	}
	/* Protobuf can: concatenated requests parse as one with all their Resource* messages. */
	if (x->pending.len + body->len > x->cfg.max_request_bytes && x->pending_spans)
		otlp_http_flush(x);
	if (otlp_buf_append(&x->pending, body->data, body->len))
		x->st.encode_errors += n;
	else
		x->pending_spans += n;
	otlp_buf_free(body);
}

/* A chunk of n spans was just encoded at the end of pending (from `at`) and fits the limit
 * alone: if pending would pass it, what was there before goes out as its own request. */
static void otlp_http_keep_chunk(struct otlp_http *x, size_t at, size_t n)
{
	struct otlp_buf chunk = {0};

	if (x->pending.len > x->cfg.max_request_bytes && x->pending_spans) {
		/* Rare (a batch near 20 MiB): the one copy the direct encoding otherwise saves. */
		if (otlp_buf_append(&chunk, x->pending.data + at, x->pending.len - at)) {
			x->pending.len = at;
			x->st.encode_errors += n;
			return;
		}
		x->pending.len = at;
		otlp_http_flush(x);
		otlp_buf_free(&x->pending);
		x->pending = chunk;
	}
	x->pending_spans += n;
}

/*
 * Encodes spans[0..n) as one request; one over the size limit is halved until it fits.
 * Protobuf is encoded straight onto the pending batch (concatenated requests parse as one),
 * so a span's bytes are not copied again on their way to the wire; JSON is its own request.
 */
static void otlp_http_add(struct otlp_http *x, const struct span *const *spans, size_t n)
{
	struct otlp_buf tmp = {0};
	struct otlp_buf *out = x->cfg.json ? &tmp : &x->pending;
	size_t at = out->len;
	struct otlp_encode_stats es = {0};
	int rc = x->cfg.json ? otlp_encode_traces_json_sel(spans, n, x->cfg.host, x->cfg.scope,
							   x->cfg.span_select, out, &es)
			     : otlp_encode_traces_pb_sel(spans, n, x->cfg.host, x->cfg.scope,
							 x->cfg.span_select, out, &es);

	x->st.bad_resource_env += es.bad_resource_env;
	if (rc || out->len - at > x->cfg.max_request_bytes) {
		out->len = at;
		otlp_buf_free(&tmp);
		if (rc)
			x->st.encode_errors += n;
		else if (n == 1)
			x->st.spans_too_large++;
		if (rc || n == 1)
			return;
		otlp_http_add(x, spans, n / 2);
		otlp_http_add(x, spans + n / 2, n - n / 2);
		return;
	}
	if (x->cfg.json)
		otlp_http_seal_buf(x, &tmp, n);
	else
		otlp_http_keep_chunk(x, at, n);
}

size_t otlp_http_held(const struct otlp_http *x)
{
	return x->pending_spans + x->queued_spans + (x->inflight ? x->inflight->n_spans : 0);
}

size_t otlp_http_abandon(struct otlp_http *x)
{
	size_t held = otlp_http_held(x);

	x->st.unsent += held;
	return held;
}

static size_t otlp_http_room(const struct otlp_http *x)
{
	size_t held = otlp_http_held(x);

	return held < x->cfg.queue_max_spans ? x->cfg.queue_max_spans - held : 0;
}

size_t otlp_http_export_encoded(struct otlp_http *x, struct otlp_buf *body, size_t n_items)
{
	if (n_items > otlp_http_room(x) || body->len > x->cfg.max_request_bytes) {
		if (n_items > otlp_http_room(x))
			x->st.spans_dropped_queue += n_items;
		else
			x->st.spans_too_large += n_items;
		otlp_buf_free(body);
		return 0;
	}
	otlp_http_queue_body(x, body, n_items);
	if (x->pending_spans && !ev_timer_active(&x->batch_timer) &&
	    ev_timer_start(x->loop, &x->batch_timer, x->cfg.batch_timeout_ns))
		otlp_http_flush(x);
	return n_items;
}

size_t otlp_http_export(struct otlp_http *x, const struct span *const *spans, size_t n)
{
	size_t room = otlp_http_room(x);
	size_t take = n < room ? n : room;

	x->st.spans_dropped_queue += n - take;
	for (size_t i = 0; i < take;) {
		size_t space = x->cfg.batch_max_spans - x->pending_spans;
		size_t k = take - i < space ? take - i : space;

		otlp_http_add(x, spans + i, k);
		i += k;
		if (x->pending_spans >= x->cfg.batch_max_spans)
			otlp_http_flush(x);
	}
	if (x->pending_spans && !ev_timer_active(&x->batch_timer) &&
	    ev_timer_start(x->loop, &x->batch_timer, x->cfg.batch_timeout_ns))
		otlp_http_flush(x); /* no timer memory: send now rather than hold spans */
	otlp_http_kick(x);
	return take;
}

bool otlp_http_idle(const struct otlp_http *x)
{
	return !x->pending_spans && !x->head && !x->inflight;
}
