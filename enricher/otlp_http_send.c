/* otlp_http_send.c: the exporter's sender: one libcurl POST at a time, outcomes, retries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "monotime.h"
#include "otlp_http_int.h"

/* A collector's answer is a small message; more than this is not worth keeping. */
#define OTLP_RESP_MAX (64 * 1024)

static size_t otlp_http_write(char *p, size_t size, size_t nmemb, void *data)
{
	struct otlp_buf *b = data;
	size_t n = size * nmemb, keep = b->len < OTLP_RESP_MAX ? OTLP_RESP_MAX - b->len : 0;

	if (keep > n)
		keep = n;
	if (keep && otlp_buf_append(b, p, keep))
		return 0; /* aborts the transfer: it is then retried or dropped like any failure */
	return n;
}

static int otlp_http_add_hdr(struct otlp_http *x, const char *line)
{
	struct curl_slist *n = curl_slist_append(x->hdrs, line);

	if (!n)
		return -ENOMEM;
	x->hdrs = n;
	return 0;
}

/* grpc-status and friends arrive as headers (trailers-only answers) or as trailers. */
static size_t otlp_http_header(char *p, size_t size, size_t nmemb, void *data)
{
	otlp_grpc_status_line(data, p, size * nmemb);
	return size * nmemb;
}

static int otlp_http_grpc_setup(struct otlp_http *x)
{
	CURL *e = x->easy;
	/* h2c with prior knowledge for http://, HTTP/2 negotiated by ALPN for https://. */
	long ver = strncmp(x->url, "https://", 8) ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
						  : CURL_HTTP_VERSION_2TLS;

	if (otlp_http_add_hdr(x, "Content-Type: application/grpc") ||
	    otlp_http_add_hdr(x, "TE: trailers") ||
	    (x->cfg.gzip && otlp_http_add_hdr(x, "grpc-encoding: gzip")))
		return -ENOMEM;
	/* libcurl 7.88 (Debian 12) breaks a reused prior-knowledge h2c connection with a framing
	 * error (curl issue 10634, fixed in 8.0): one connection per h2c request until then. */
	if (ver == CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE &&
	    curl_version_info(CURLVERSION_NOW)->version_num < 0x080000 &&
	    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK)
		return -EINVAL;
	if (curl_easy_setopt(e, CURLOPT_HTTP_VERSION, ver) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, otlp_http_header) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_HEADERDATA, &x->gs) != CURLE_OK)
		return -EINVAL;
	return 0;
}

static int otlp_http_plain_setup(struct otlp_http *x)
{
	const struct otlp_http_config *c = &x->cfg;

	if (otlp_http_add_hdr(x, c->json ? "Content-Type: application/json"
					 : "Content-Type: application/x-protobuf") ||
	    (c->gzip && otlp_http_add_hdr(x, "Content-Encoding: gzip")))
		return -ENOMEM;
	return 0;
}

int otlp_http_easy_setup(struct otlp_http *x)
{
	const struct otlp_http_config *c = &x->cfg;
	CURL *e = x->easy;
	long ms = (long)(c->timeout_ns / 1000000ULL);
	bool ok = true;
	int rc = c->grpc ? otlp_http_grpc_setup(x) : otlp_http_plain_setup(x);

	if (rc)
		return rc;
	if (otlp_http_add_hdr(x, "Expect:")) /* no 100-continue round trip for big bodies */
		return -ENOMEM;
	ok = ok && curl_easy_setopt(e, CURLOPT_URL, x->url) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_POST, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms ? ms : 1) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	/* Only the schemes OTLP/HTTP uses; redirects are not followed (the URL is configured). */
	ok = ok && curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_USERAGENT, "OBI-OTLP-Exporter-C") == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, otlp_http_write) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_WRITEDATA, &x->resp) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
	ok = ok && curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK;
	if (ok && c->ca_file)
		ok = curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file) == CURLE_OK;
	if (ok && c->client_cert)
		ok = curl_easy_setopt(e, CURLOPT_SSLCERT, c->client_cert) == CURLE_OK &&
		     curl_easy_setopt(e, CURLOPT_SSLKEY, c->client_key) == CURLE_OK;
	if (ok && c->insecure_skip_verify)
		ok = curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L) == CURLE_OK &&
		     curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L) == CURLE_OK;
	return ok ? 0 : -EINVAL;
}

void otlp_http_kick(struct otlp_http *x)
{
	struct otlp_req *r;

	if (x->sending || ev_timer_active(&x->retry_timer))
		return;
	if (!x->inflight) {
		r = x->head;
		if (!r)
			return;
		x->head = r->next;
		if (!x->head)
			x->tail = NULL;
		r->next = NULL;
		x->queued_spans -= r->n_spans;
		x->inflight = r;
	}
	r = x->inflight;
	if (!r->attempts++)
		r->first_ns = monotime_ns();
	x->resp.len = 0;
	otlp_grpc_status_reset(&x->gs);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, (const char *)r->body.data);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
	x->st.requests++;
	x->st.bytes_sent += r->body.len;
	if (otlp_curl_add(&x->curl, x->easy)) {
		x->st.spans_failed += r->n_spans;
		otlp_req_free(r);
		x->inflight = NULL;
		return;
	}
	x->sending = true;
}

static uint32_t otlp_http_rand(struct otlp_http *x)
{
	/* xorshift64: jitter only needs to spread clients, not to be unpredictable. */
	x->rnd ^= x->rnd << 13;
	x->rnd ^= x->rnd >> 7;
	x->rnd ^= x->rnd << 17;
	return (uint32_t)(x->rnd >> 32);
}

static int otlp_http_partial(struct otlp_http *x, struct otlp_partial *p)
{
	const uint8_t *msg;
	size_t len;

	if (x->cfg.json)
		return otlp_partial_parse_json((const char *)x->resp.data, x->resp.len, p);
	if (!x->cfg.grpc)
		return otlp_partial_parse_pb(x->resp.data, x->resp.len, p);
	if (otlp_grpc_unframe(x->resp.data, x->resp.len, &msg, &len))
		return -EINVAL;
	return otlp_partial_parse_pb(msg, len, p);
}

static const char *otlp_http_noun(const struct otlp_http *x)
{
	return x->cfg.signal == OTLP_SIGNAL_METRICS ? "data points" : "spans";
}

static void otlp_http_ok(struct otlp_http *x, struct otlp_req *r)
{
	struct otlp_partial p;
	int rc = otlp_http_partial(x, &p);
	uint64_t rejected = 0;

	if (rc)
		log_ratelimited(&x->rl, monotime_ns(), LOG_LVL_WARN,
				"otlp: unreadable 2xx response body (%zu bytes), %s counted sent",
				x->resp.len, otlp_http_noun(x));
	if (!rc && p.present && (p.rejected > 0 || p.message[0])) {
		rejected = p.rejected > 0 ? (uint64_t)p.rejected : 0;
		if (rejected > r->n_spans)
			rejected = r->n_spans;
		log_ratelimited(&x->rl, monotime_ns(), LOG_LVL_WARN,
				"otlp: collector rejected %llu of %zu %s: %s",
				(unsigned long long)rejected, r->n_spans, otlp_http_noun(x),
				p.message);
	}
	x->st.spans_rejected += rejected;
	x->st.spans_exported += r->n_spans - rejected;
}

/* Why an attempt failed, for the log: libcurl's detail ("Could not resolve host: otelcol"),
 * else its code's text, plus the HTTP or gRPC status. Never a header: none is in either. */
static const char *otlp_http_why(struct otlp_http *x, CURLcode cc, long status, char *buf,
				 size_t len)
{
	const char *what = cc != CURLE_OK && x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc);

	if (x->cfg.grpc && cc == CURLE_OK)
		snprintf(buf, len, "grpc-status %d %s", x->gs.has_status ? x->gs.code : -1,
			 x->gs.message);
	else if (cc == CURLE_OK)
		snprintf(buf, len, "HTTP %ld", status);
	else
		snprintf(buf, len, "%s", what);
	return buf;
}

static const char *otlp_http_signal_name(const struct otlp_http *x)
{
	return x->cfg.signal == OTLP_SIGNAL_METRICS ? "metrics" : "traces";
}

/* Schedules r's next attempt, or gives up once the back-off's time budget is spent. Each
 * retry is said (rate-limited): a wrong endpoint must show before the budget runs out. */
static bool otlp_http_retry(struct otlp_http *x, struct otlp_req *r, const char *why)
{
	curl_off_t ra = -1;
	int64_t server_ns = -1;
	uint64_t delay, now = monotime_ns();

	if (x->cfg.grpc)
		server_ns = x->gs.retry_delay_ns;
	else if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		server_ns = (int64_t)ra * 1000000000LL;
	delay = otlp_backoff_delay(&x->cfg.backoff, r->attempts, server_ns, otlp_http_rand(x));
	if (now - r->first_ns + delay > x->cfg.backoff.max_elapsed_ns)
		return false;
	if (ev_timer_start(x->loop, &x->retry_timer, delay))
		return false;
	x->st.retries++;
	log_ratelimited(&x->rl, now, LOG_LVL_WARN,
			"otlp %s: attempt %u to export %zu %s failed (%s): retrying in %llu ms",
			otlp_http_signal_name(x), r->attempts, r->n_spans, otlp_http_noun(x), why,
			(unsigned long long)(delay / 1000000ULL));
	return true;
}

void otlp_http_done(struct otlp_curl *c, CURL *easy, CURLcode cc, void *data)
{
	struct otlp_http *x = data;
	struct otlp_req *r = x->inflight;
	long status = 0;
	enum otlp_outcome o;
	char why[CURL_ERROR_SIZE + 64];

	(void)c;
	x->sending = false;
	if (!r)
		return;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	o = otlp_http_outcome(cc, status);
	if (x->cfg.grpc && cc == CURLE_OK)
		o = otlp_grpc_outcome(&x->gs, status);
	if (o == OTLP_OUTCOME_OK)
		otlp_http_ok(x, r);
	if (o != OTLP_OUTCOME_OK)
		otlp_http_why(x, cc, status, why, sizeof(why));
	if (o == OTLP_OUTCOME_RETRY && otlp_http_retry(x, r, why))
		return; /* stays in flight; the retry timer sends it again */
	if (o != OTLP_OUTCOME_OK) {
		x->st.spans_failed += r->n_spans;
		log_ratelimited(&x->rl, monotime_ns(), LOG_LVL_WARN,
				"otlp %s: export of %zu %s failed after %u attempt(s): %s",
				otlp_http_signal_name(x), r->n_spans, otlp_http_noun(x),
				r->attempts, why);
	}
	otlp_req_free(r);
	x->inflight = NULL;
	otlp_http_kick(x);
}
