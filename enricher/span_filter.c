/* span_filter.c: filter.application over span attributes (OBI's match / not_match globs). */
#include "span_filter.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/glob.h"
#include "../common/log.h"

/* Text of one span attribute; numbers are written into tmp (OBI compares their text too). */
typedef const char *(*span_filter_get)(const struct span *sp, char *tmp, size_t n);

static const char *get_method(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return span_str(sp, SPAN_A_HTTP_METHOD);
}
static const char *get_path(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return span_str(sp, SPAN_A_URL_PATH);
}
static const char *get_query(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return span_str(sp, SPAN_A_URL_QUERY);
}
static const char *get_route(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return span_str(sp, SPAN_A_HTTP_ROUTE);
}
static const char *get_full(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return sp->kind == SPAN_KIND_CLIENT ? span_str(sp, SPAN_A_URL_FULL) : "";
}
static const char *get_server_addr(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return sp->host_addr;
}
static const char *get_client_addr(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return sp->kind == SPAN_KIND_CLIENT ? "" : sp->peer_addr;
}
static const char *get_user_agent(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return span_str(sp, SPAN_A_USER_AGENT);
}
static const char *get_proto(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return span_str(sp, SPAN_A_NET_PROTO_VERSION);
}
static const char *get_status(const struct span *sp, char *t, size_t n)
{
	if (!span_has(sp, SPAN_A_HTTP_STATUS_CODE))
		return "";
	snprintf(t, n, "%" PRId64, span_int(sp, SPAN_A_HTTP_STATUS_CODE));
	return t;
}
static const char *get_server_port(const struct span *sp, char *t, size_t n)
{
	snprintf(t, n, "%u", sp->host_port);
	return t;
}
static const char *get_svc_name(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return sp->svc && sp->svc->name ? sp->svc->name : "";
}
static const char *get_svc_ns(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return sp->svc && sp->svc->namespace_ ? sp->svc->namespace_ : "";
}
static const char *get_kind(const struct span *sp, char *t, size_t n)
{
	(void)t, (void)n;
	return sp->kind == SPAN_KIND_CLIENT ? "client" : "server";
}

/* Names in canonical form ('.' separators): the span attributes of docs/architecture.md. */
static const struct {
	const char *name;
	span_filter_get get;
} span_filter_attrs[] = {
    {"http.request.method", get_method},
    {"url.path", get_path},
    {"url.query", get_query},
    {"http.route", get_route},
    {"url.full", get_full},
    {"server.address", get_server_addr},
    {"server.port", get_server_port},
    {"client.address", get_client_addr},
    {"user.agent.original", get_user_agent},
    {"network.protocol.version", get_proto},
    {"http.response.status.code", get_status},
    {"service.name", get_svc_name},
    {"service.namespace", get_svc_ns},
    {"span.kind", get_kind},
};

#define SPAN_FILTER_NATTRS (sizeof(span_filter_attrs) / sizeof(span_filter_attrs[0]))

struct span_filter_entry {
	span_filter_get get;
	const char *glob; /* owned by the configuration, which outlives the filter */
	bool negate;	  /* not_match */
};

struct span_filter {
	size_t n;
	uint64_t dropped;
	struct span_filter_entry e[];
};

/* Index of a configured name ("url_path", "url.path") in the table, or -1. */
static int span_filter_lookup(const char *name)
{
	char canon[64];
	size_t len = strlen(name);

	if (len >= sizeof(canon))
		return -1;
	for (size_t i = 0; i <= len; i++)
		canon[i] = name[i] == '_' ? '.' : name[i];
	for (size_t i = 0; i < SPAN_FILTER_NATTRS; i++)
		if (strcmp(canon, span_filter_attrs[i].name) == 0)
			return (int)i;
	return -1;
}

bool span_filter_attr_known(const char *name)
{
	return name && span_filter_lookup(name) >= 0;
}

int span_filter_new(const struct config_objlist *application, struct span_filter **out, char *err,
		    size_t errlen)
{
	struct span_filter *f;

	*out = NULL;
	if (!application || application->n == 0)
		return 0;
	f = calloc(1, sizeof(*f) + application->n * sizeof(f->e[0]));
	if (!f) {
		snprintf(err, errlen, "filter.application: out of memory");
		return -1;
	}
	for (unsigned i = 0; i < application->n; i++) {
		const struct config_attr_filter *c = config_objlist_at(application, sizeof(*c), i);
		int idx = span_filter_lookup(c->key ? c->key : "");

		if (idx < 0) {
			log_warnx("filter.application.%s: spans have no such attribute; ignored",
				  c->key ? c->key : "");
			continue;
		}
		f->e[f->n++] = (struct span_filter_entry){
		    .get = span_filter_attrs[idx].get,
		    .glob = c->match ? c->match : c->not_match,
		    .negate = c->match == NULL,
		};
	}
	if (f->n == 0) {
		free(f);
		return 0;
	}
	*out = f;
	return 0;
}

void span_filter_free(struct span_filter *f)
{
	if (f && f->dropped)
		log_info("filter.application: %" PRIu64 " spans dropped", f->dropped);
	free(f);
}

bool span_filter_keep(const struct span_filter *f, const struct span *sp)
{
	char tmp[24];

	for (size_t i = 0; f && i < f->n; i++) {
		const char *v = f->e[i].get(sp, tmp, sizeof(tmp));

		if (glob_match(f->e[i].glob, v) == f->e[i].negate)
			return false;
	}
	return true;
}

bool span_filter_apply(struct span_filter *f, struct span *sp)
{
	if (span_filter_keep(f, sp))
		return true;
	f->dropped++;
	sp->drop_traces = true;
	sp->drop_metrics = true;
	return false;
}

uint64_t span_filter_dropped(const struct span_filter *f)
{
	return f ? f->dropped : 0;
}
