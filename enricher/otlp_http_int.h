/* otlp_http_int.h: what the exporter's two halves (queue, sender) share; not a public API. */
#ifndef OBI_OTLP_HTTP_INT_H
#define OBI_OTLP_HTTP_INT_H

#include "otlp_http.h"

/* Starts the head of the queue when nothing is in flight (otlp_http_send.c). */
void otlp_http_kick(struct otlp_http *x);
/* libcurl finished the request in flight (otlp_http_send.c). */
void otlp_http_done(struct otlp_curl *c, CURL *easy, CURLcode cc, void *data);
/* Sets the options every request shares on x->easy (otlp_http_send.c). */
int otlp_http_easy_setup(struct otlp_http *x);
void otlp_req_free(struct otlp_req *r);

#endif /* OBI_OTLP_HTTP_INT_H */
