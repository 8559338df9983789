/* k8s_watch.c: streaming or paginated list, then watch of one resource, 410 relist, back-off. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "k8s_int.h"
#include "log.h"

#define K8S_PAGE_LIMIT 500
#define K8S_MAX_OBJECT (4u << 20) /* etcd refuses objects past 1.5 MiB: 4 MiB is junk */
#define K8S_BACKOFF_MIN_NS 500000000ULL
#define K8S_BACKOFF_MAX_NS 30000000000ULL
#define K8S_RBAC_BACKOFF_NS 300000000000ULL /* 401/403: an operator has to act */

static const struct {
	const char *resource, *path;
} k8s_paths[K8S_KINDS] = {
    [K8S_POD] = {"pods", "/api/v1/pods"},
    [K8S_SERVICE] = {"services", "/api/v1/services"},
    [K8S_NODE] = {"nodes", "/api/v1/nodes"},
    [K8S_REPLICASET] = {"replicasets", "/apis/apps/v1/replicasets"},
    [K8S_JOB] = {"jobs", "/apis/batch/v1/jobs"},
};

static void k8s_watch_begin(struct k8s_watch *w);
static int k8s_watch_auth(struct k8s_watch *w);

/* The resourceVersion of an event's object (bookmarks carry nothing else). */
static void k8s_watch_note_rv(struct k8s_watch *w, const cJSON *obj)
{
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion");

	if (cJSON_IsString(rv) && rv->valuestring[0] && strlen(rv->valuestring) < sizeof(w->rv))
		snprintf(w->rv, sizeof(w->rv), "%s", rv->valuestring);
}

/* The list is complete: objects not seen in it were deleted meanwhile; the watch goes on. */
static void k8s_watch_synced(struct k8s_watch *w)
{
	k8s_store_relist_end(&w->k->st, w->kind, evloop_now(w->k->loop));
	w->listing_open = false;
	w->initial = false;
	if (!w->synced)
		log_info("kubernetes: %s synced (%s%s)", w->resource, w->rv,
			 w->stream_list ? ", streaming list" : "");
	w->synced = true;
	w->state = K8S_W_WATCH;
}

/*
 * A bookmark while a streaming list's initial events are read: the end of them, or (no
 * annotation) a server that ignored sendInitialEvents and may never say the list is complete:
 * 1 stops the transfer, and paginated lists are used from then on.
 */
static int k8s_watch_initial_bookmark(struct k8s_watch *w, const struct k8s_event *ev)
{
	if (ev->initial_end) {
		k8s_watch_note_rv(w, ev->object);
		k8s_watch_synced(w);
		return 0;
	}
	log_warnx("kubernetes: %s: the server ignored sendInitialEvents: paginated lists",
		  w->resource);
	w->stream_list = false;
	w->gone = true; /* list again from scratch, in the generation already begun */
	return 1;
}

static void k8s_watch_object(struct k8s_watch *w, const cJSON *o, enum k8s_event_type type)
{
	struct k8s_parse_opts opts = {
	    .want_label = k8s_want_label, .want_annot = k8s_want_annot, .data = w->k};
	struct k8s_obj obj;

	if (k8s_parse_obj(o, w->kind, &opts, &obj)) {
		w->bad_json++;
		k8s_warn_rl(w->k, "kubernetes: %s: an object without name/namespace/uid skipped",
			    w->resource);
		return;
	}
	if (type == K8S_EV_DELETED)
		k8s_store_delete(&w->k->st, &obj, evloop_now(w->k->loop));
	else
		k8s_store_upsert(&w->k->st, &obj);
}

/* A watch event's object, or the end of the initial events: 1 stops the transfer. */
static int k8s_watch_event(struct k8s_watch *w, const struct k8s_event *ev)
{
	if (ev->type == K8S_EV_ERROR) {
		w->errors++;
		w->gone = ev->code == 410;
		k8s_warn_rl(w->k, "kubernetes: %s watch: error event %d%s", w->resource, ev->code,
			    w->gone ? " (resourceVersion too old: relisting)" : "");
		return w->gone ? 1 : 0; /* stop reading: the stream is done */
	}
	if (ev->type == K8S_EV_BOOKMARK && w->initial) {
		w->bookmarks++;
		return k8s_watch_initial_bookmark(w, ev);
	}
	w->events++;
	if (ev->type == K8S_EV_BOOKMARK)
		w->bookmarks++;
	else
		k8s_watch_object(w, ev->object, ev->type);
	k8s_watch_note_rv(w, ev->object);
	return 0;
}

static void k8s_watch_list_meta(struct k8s_watch *w, const cJSON *o)
{
	const char *rv, *cont;

	k8s_parse_list_meta(o, &rv, &cont);
	snprintf(w->rv, sizeof(w->rv), "%s", rv && strlen(rv) < sizeof(w->rv) ? rv : "");
	snprintf(w->cont, sizeof(w->cont), "%s",
		 cont && strlen(cont) < sizeof(w->cont) ? cont : "");
}

static int k8s_watch_part(void *data, enum k8s_jsplit_part part, const char *text, size_t n)
{
	struct k8s_watch *w = data;
	const char *t = k8s_strip_unused(&w->strip, text, &n);
	cJSON *o = k8s_arena_parse(&w->arena, t, n);
	struct k8s_event ev;
	int rc = 0;

	if (!o) {
		w->bad_json++;
		k8s_warn_rl(w->k, "kubernetes: %s: malformed JSON element skipped", w->resource);
	} else if (w->state == K8S_W_LIST && !w->initial) {
		if (part == K8S_JPART_METADATA)
			k8s_watch_list_meta(w, o);
		else
			k8s_watch_object(w, o, K8S_EV_ADDED);
	} else if (k8s_parse_event(o, &ev)) {
		w->bad_json++;
	} else {
		rc = k8s_watch_event(w, &ev);
	}
	k8s_arena_release(&w->arena, o);
	return rc;
}

static size_t k8s_watch_write(char *p, size_t size, size_t n, void *data)
{
	struct k8s_watch *w = data;
	size_t len = size * n;

	if (!w->code)
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &w->code);
	if (w->code != 200) {
		size_t room = sizeof(w->body) - 1 - w->body_len;

		memcpy(w->body + w->body_len, p, len < room ? len : room);
		w->body_len += len < room ? len : room;
		w->body[w->body_len] = '\0';
		return len;
	}
	/* A 410 event ends the watch: returning short aborts the transfer. */
	return k8s_jsplit_feed(&w->split, p, len) == 1 ? 0 : len;
}

static size_t k8s_watch_header(char *p, size_t size, size_t n, void *data)
{
	struct k8s_watch *w = data;
	size_t len = size * n;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		long s = strtol(p + 12, NULL, 10);

		w->retry_after = s > 0 && s < 3600 ? s : 0;
	}
	return len;
}

/* Jittered exponential back-off: [0.5, 1.5) x min(max, min x 2^failures). */
static void k8s_watch_backoff(struct k8s_watch *w, uint64_t floor_ns)
{
	uint64_t d = K8S_BACKOFF_MIN_NS << (w->failures < 10 ? w->failures : 10);

	if (d > K8S_BACKOFF_MAX_NS)
		d = K8S_BACKOFF_MAX_NS;
	d = d / 2 + (uint64_t)((double)d * k8s_rand01(w->k));
	if (d < floor_ns)
		d = floor_ns;
	if (w->retry_after)
		d = (uint64_t)w->retry_after * 1000000000ULL;
	w->failures++;
	w->state = K8S_W_BACKOFF;
	ev_timer_start(w->k->loop, &w->retry, d);
}

static void k8s_watch_on_retry(struct evloop *l, struct ev_timer *t)
{
	(void)l;
	k8s_watch_begin(t->data);
}

/* A transfer ended badly: what the status says about what to do next. */
static void k8s_watch_http_error(struct k8s_watch *w)
{
	const char *verb = w->state == K8S_W_LIST && !w->initial ? "list" : "watch";

	w->errors++;
	/* A server without the streaming list refuses its parameters (400, 422...): paginated
	 * lists, as client-go falls back. Auth, 404, 410 and 429 mean what they always do. */
	if (w->initial && w->code >= 400 && w->code < 500 && w->code != 401 && w->code != 403 &&
	    w->code != 404 && w->code != 410 && w->code != 429) {
		log_info("kubernetes: %s: no streaming list (HTTP %ld: %.200s): paginated lists",
			 w->resource, w->code, w->body);
		w->stream_list = false;
		w->failures = 0;
		w->state = K8S_W_LIST;
		k8s_watch_begin(w);
		return;
	}
	if (w->code == 410) {
		w->gone = true;
		w->failures = 0;
		k8s_watch_backoff(w, 0);
		return;
	}
	if (w->code == 401 || w->code == 403) {
		/* A streaming list is a watch that lists: name both verbs. */
		log_warnx("kubernetes: %s %s: HTTP %ld: the service account needs the RBAC verb "
			  "\"%s\" on \"%s\"%s (%s)",
			  verb, w->resource, w->code, w->initial ? "list" : verb, w->resource,
			  w->initial ? " and \"watch\" (a streaming list)" : "",
			  w->code == 401 ? "token refused" : "forbidden");
		if (w->kind == K8S_REPLICASET)
			w->k->ident.guess_rs = true;
		if (w->kind == K8S_JOB)
			w->k->ident.guess_job = true;
		k8s_watch_backoff(w, w->code == 403 ? K8S_RBAC_BACKOFF_NS : 0);
		return;
	}
	if (w->code == 404) {
		log_warnx("kubernetes: %s: not served by this API server (404): not watched",
			  w->resource);
		if (w->kind == K8S_REPLICASET)
			w->k->ident.guess_rs = true;
		if (w->kind == K8S_JOB)
			w->k->ident.guess_job = true;
		w->state = K8S_W_DISABLED;
		w->synced = true;
		return;
	}
	k8s_warn_rl(w->k, "kubernetes: %s %s: HTTP %ld: %.200s", verb, w->resource, w->code,
		    w->body);
	k8s_watch_backoff(w, 0);
}

static void k8s_watch_list_done(struct k8s_watch *w)
{
	if (w->initial) {
		w->errors++;
		k8s_warn_rl(w->k,
			    "kubernetes: %s: streaming list ended before its initial events: "
			    "retrying",
			    w->resource);
		k8s_watch_backoff(w, 0);
		return;
	}
	if (!k8s_jsplit_idle(&w->split) || w->split.error) {
		w->errors++;
		k8s_warn_rl(w->k, "kubernetes: list %s: response cut or malformed: retrying",
			    w->resource);
		k8s_watch_backoff(w, 0);
		return;
	}
	w->failures = 0;
	if (w->cont[0]) {
		k8s_watch_begin(w); /* next page */
		return;
	}
	k8s_watch_synced(w);
	k8s_watch_begin(w);
}

void k8s_watch_done(struct otlp_curl *c, CURL *easy, CURLcode result, void *data)
{
	struct k8s_watch *w = NULL;

	(void)c;
	(void)data;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&w);
	if (!w)
		return;
	if (!w->code)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &w->code);
	if (w->gone) {
		/* 410 in the watch (or a continue token expired): list again from scratch */
		w->relists++;
		w->state = K8S_W_LIST;
		w->cont[0] = w->rv[0] = '\0';
		k8s_watch_begin(w);
	} else if (w->code && w->code != 200) {
		k8s_watch_http_error(w);
	} else if (result != CURLE_OK &&
		   !(w->state == K8S_W_WATCH && result == CURLE_OPERATION_TIMEDOUT)) {
		w->errors++;
		k8s_warn_rl(w->k, "kubernetes: %s %s: %s",
			    w->state == K8S_W_LIST && !w->initial ? "list" : "watch", w->resource,
			    curl_easy_strerror(result));
		k8s_watch_backoff(w, 0);
	} else if (w->state == K8S_W_LIST) {
		k8s_watch_list_done(w);
	} else {
		/* The server's timeoutSeconds ended the watch: go on from the last version. */
		w->failures = 0;
		k8s_watch_begin(w);
	}
}

static int k8s_watch_url(struct k8s_watch *w, char *url, size_t n)
{
	char *cont = w->cont[0] ? curl_easy_escape(w->easy, w->cont, 0) : NULL;
	char *rv = w->rv[0] ? curl_easy_escape(w->easy, w->rv, 0) : NULL;
	const char *sel = w->selector ? w->selector : "";
	int len;

	if (w->initial)
		/* No resourceVersion: the initial events are a consistent read of the newest. */
		len = snprintf(
		    url, n,
		    "%s%s?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&"
		    "allowWatchBookmarks=true&timeoutSeconds=%ld%s%s",
		    w->k->conn.server, w->path, 300 + (long)(k8s_rand01(w->k) * 300),
		    *sel ? "&fieldSelector=" : "", sel);
	else if (w->state == K8S_W_LIST)
		len = snprintf(url, n, "%s%s?limit=%d%s%s%s%s", w->k->conn.server, w->path,
			       K8S_PAGE_LIMIT, cont ? "&continue=" : "", cont ? cont : "",
			       *sel ? "&fieldSelector=" : "", sel);
	else
		/* timeoutSeconds spread over 5-10 min so many agents do not reconnect together */
		len = snprintf(url, n,
			       "%s%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&"
			       "timeoutSeconds=%ld%s%s",
			       w->k->conn.server, w->path, rv ? rv : "0",
			       300 + (long)(k8s_rand01(w->k) * 300), *sel ? "&fieldSelector=" : "",
			       sel);
	curl_free(cont);
	curl_free(rv);
	return len > 0 && (size_t)len < n ? 0 : -ENAMETOOLONG;
}

static void k8s_watch_begin(struct k8s_watch *w)
{
	char url[4096];
	bool watching;

	/* A list cut half-way is resumed (its continue token) or redone, never skipped. */
	if (w->state == K8S_W_BACKOFF)
		w->state = w->synced && !w->gone && w->rv[0] && !w->listing_open ? K8S_W_WATCH
										 : K8S_W_LIST;
	w->initial = w->state == K8S_W_LIST && w->stream_list && !w->cont[0];
	watching = w->state == K8S_W_WATCH || w->initial;
	w->gone = false;
	w->code = 0;
	w->body_len = 0;
	w->body[0] = '\0';
	w->retry_after = 0;
	k8s_jsplit_reset(&w->split);
	w->split.mode = watching ? K8S_JSPLIT_STREAM : K8S_JSPLIT_LIST;
	if (w->state == K8S_W_LIST && !w->cont[0]) {
		w->lists++; /* streaming or paginated */
		w->stream_lists += w->initial;
		if (!w->listing_open)
			k8s_store_relist_begin(&w->k->st, w->kind);
		w->listing_open = true;
	}
	if (k8s_watch_url(w, url, sizeof(url))) {
		log_warnx("kubernetes: %s: URL too long", w->resource);
		k8s_watch_backoff(w, 0);
		return;
	}
	curl_easy_setopt(w->easy, CURLOPT_URL, url);
	/* No total timeout on a watch: the server ends it (timeoutSeconds); a dead peer is found
	 * by the low-speed check (bookmarks arrive about every minute). */
	curl_easy_setopt(w->easy, CURLOPT_TIMEOUT, watching ? 0L : 120L);
	curl_easy_setopt(w->easy, CURLOPT_LOW_SPEED_LIMIT, watching ? 1L : 0L);
	curl_easy_setopt(w->easy, CURLOPT_LOW_SPEED_TIME, watching ? 180L : 0L);
	if (k8s_watch_auth(w) || otlp_curl_add(&w->k->curl, w->easy))
		k8s_watch_backoff(w, 0);
}

/* The bearer token is re-read when its file changed (kubelet rotates projected tokens). */
static int k8s_watch_auth(struct k8s_watch *w)
{
	struct k8s *k = w->k;
	struct curl_slist *h = NULL, *t;
	int rc = k8s_secret_refresh(&k->conn.token);

	if (rc < 0)
		k8s_warn_rl(k, "kubernetes: cannot re-read the token file: %s", strerror(-rc));
	if (k->conn.token.data && k->conn.token.len &&
	    (size_t)snprintf(k->auth, sizeof(k->auth), "Authorization: Bearer %.*s",
			     (int)k->conn.token.len, k->conn.token.data) >= sizeof(k->auth)) {
		k8s_warn_rl(k, "kubernetes: the token is too long");
		return -E2BIG;
	}
	h = curl_slist_append(NULL, "Accept: application/json");
	t = h && k->conn.token.len ? curl_slist_append(h, k->auth) : h;
	if (!t) {
		curl_slist_free_all(h);
		return -ENOMEM;
	}
	curl_slist_free_all(w->hdrs);
	w->hdrs = t;
	curl_easy_setopt(w->easy, CURLOPT_HTTPHEADER, w->hdrs);
	return 0;
}

static void k8s_watch_tls(struct k8s_watch *w)
{
	const struct k8s_conn *c = &w->k->conn;
	struct curl_blob ca = {c->ca.data, c->ca.len, CURL_BLOB_COPY};
	struct curl_blob cert = {c->cert.data, c->cert.len, CURL_BLOB_COPY};
	struct curl_blob key = {c->key.data, c->key.len, CURL_BLOB_COPY};

	/* Inline or file contents alike go in as blobs: a rotated CA file is picked up by the
	 * same refresh as the token. */
	if (c->ca.data)
		curl_easy_setopt(w->easy, CURLOPT_CAINFO_BLOB, &ca);
	if (c->cert.data)
		curl_easy_setopt(w->easy, CURLOPT_SSLCERT_BLOB, &cert);
	if (c->key.data)
		curl_easy_setopt(w->easy, CURLOPT_SSLKEY_BLOB, &key);
	curl_easy_setopt(w->easy, CURLOPT_SSL_VERIFYPEER, c->insecure ? 0L : 1L);
	curl_easy_setopt(w->easy, CURLOPT_SSL_VERIFYHOST, c->insecure ? 0L : 2L);
}

int k8s_watch_init(struct k8s_watch *w, struct k8s *k, enum k8s_kind kind)
{
	memset(w, 0, sizeof(*w));
	w->k = k;
	w->kind = kind;
	w->resource = k8s_paths[kind].resource;
	w->path = k8s_paths[kind].path;
	ev_timer_init(&w->retry, k8s_watch_on_retry, w);
	k8s_jsplit_init(&w->split, K8S_JSPLIT_LIST, K8S_MAX_OBJECT, k8s_watch_part, w);
	w->easy = curl_easy_init();
	if (!w->easy)
		return -ENOMEM;
	curl_easy_setopt(w->easy, CURLOPT_PRIVATE, w);
	curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, k8s_watch_write);
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->easy, CURLOPT_HEADERFUNCTION, k8s_watch_header);
	curl_easy_setopt(w->easy, CURLOPT_HEADERDATA, w);
	curl_easy_setopt(w->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(w->easy, CURLOPT_REDIR_PROTOCOLS_STR, "");
	curl_easy_setopt(w->easy, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(w->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	/* HTTP/2 where TLS ALPN offers it, keep-alive HTTP/1.1 otherwise. */
	curl_easy_setopt(w->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(w->easy, CURLOPT_ACCEPT_ENCODING, "");
	k8s_watch_tls(w);
	w->stream_list = true;
	w->state = K8S_W_OFF;
	return 0;
}

void k8s_watch_start(struct k8s_watch *w)
{
	w->state = K8S_W_LIST;
	k8s_watch_begin(w);
}

void k8s_watch_free(struct k8s_watch *w)
{
	if (w->easy) {
		otlp_curl_remove(&w->k->curl, w->easy);
		curl_easy_cleanup(w->easy);
	}
	if (w->k)
		ev_timer_stop(w->k->loop, &w->retry);
	curl_slist_free_all(w->hdrs);
	k8s_jsplit_free(&w->split);
	k8s_strip_free(&w->strip);
	k8s_arena_free(&w->arena);
	free(w->selector);
	memset(w, 0, sizeof(*w));
}
