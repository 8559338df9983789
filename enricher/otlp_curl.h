/* otlp_curl.h: libcurl's multi interface driven by the event loop (socket and timer callbacks). */
#ifndef OBI_OTLP_CURL_H
#define OBI_OTLP_CURL_H

#include <curl/curl.h>

#include "evloop.h"

struct otlp_curl;

/* Called once per finished transfer, from the loop; the callback owns easy afterwards. */
typedef void (*otlp_curl_done_cb)(struct otlp_curl *c, CURL *easy, CURLcode result, void *data);

struct otlp_curl {
	struct evloop *loop;
	CURLM *multi;
	struct ev_timer timer; /* libcurl's single timeout (CURLMOPT_TIMERFUNCTION) */
	otlp_curl_done_cb done;
	void *data;
	int running;
};

/* curl_global_init must have run (once per process, before any thread). 0 or -ENOMEM. */
int otlp_curl_init(struct otlp_curl *c, struct evloop *l, otlp_curl_done_cb done, void *data);
/* Aborts transfers still running (their easy handles are left to the caller's cleanup). */
void otlp_curl_free(struct otlp_curl *c);
/* Starts a configured transfer; done() reports it. 0 or -EIO. */
int otlp_curl_add(struct otlp_curl *c, CURL *easy);
/* Removes a transfer before it finished (done() is then not called for it). */
void otlp_curl_remove(struct otlp_curl *c, CURL *easy);

#endif /* OBI_OTLP_CURL_H */
