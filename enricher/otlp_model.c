/* otlp_model.c: the span adapter and resource builder behind the OTLP encoders' neutral views. */
#include "hex.h"
#include "otlp_model.h"
#include "span_build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Bits of OTLP Span.flags above the W3C trace flags (trace.proto SpanFlags). */
#define OTLP_FLAG_HAS_IS_REMOTE 0x100u
#define OTLP_FLAG_IS_REMOTE 0x200u

/* vlen 0: not known here (the encoder measures it). */
static void otlp_add_str_n(struct otlp_span *o, const char *key, uint32_t klen, const char *v,
			   uint32_t vlen)
{
	if (!v[0] || o->n_attrs >= OTLP_SPAN_ATTRS_MAX)
		return;
	o->attrs[o->n_attrs++] = (struct otlp_attr){
	    .key = key, .klen = klen, .vlen = vlen, .type = OTLP_ATTR_STR, .v.s = v};
}

static void otlp_add_int_n(struct otlp_span *o, const char *key, uint32_t klen, int64_t v)
{
	if (o->n_attrs >= OTLP_SPAN_ATTRS_MAX)
		return;
	o->attrs[o->n_attrs++] =
	    (struct otlp_attr){.key = key, .klen = klen, .type = OTLP_ATTR_INT, .v.i = v};
}

/* Keys are literals: their lengths are known at compile time (one strlen fewer per attribute). */
#define otlp_add_str(o, key, v) otlp_add_str_n(o, "" key, sizeof(key) - 1, v, 0)
#define otlp_add_int(o, key, v) otlp_add_int_n(o, "" key, sizeof(key) - 1, v)

static bool otlp_id_zero(const uint8_t *id, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (id[i])
			return false;
	return true;
}

/* Every exported attribute the span holds, in table order, then its connection (the JSON
 * trace printer emits the same set). No protocol is named here: a new span type adds rows. */
static void otlp_span_attrs(const struct span *sp, struct otlp_span *o)
{
	/* The set bits in table order: only what the span holds is visited (at most SPAN_A_COUNT,
	 * which OTLP_SPAN_ATTRS_MAX leaves room for before the connection's three). */
	for (uint32_t m = sp->set & SPAN_A_EXPORTED; m; m &= m - 1) {
		int a = __builtin_ctz(m);
		const struct span_attr_def *d = &span_attr_defs[a];
		struct otlp_attr *t = &o->attrs[o->n_attrs++];

		t->key = d->key;
		t->klen = d->klen;
		t->vlen = 0;
		if (d->type == SPAN_V_STR) {
			t->type = OTLP_ATTR_STR;
			t->v.s = sp->text + sp->v[a].s.off;
			t->vlen = sp->v[a].s.len;
		} else if (d->type == SPAN_V_INT) {
			t->type = OTLP_ATTR_INT;
			t->v.i = sp->v[a].i;
		} else {
			t->type = OTLP_ATTR_BOOL;
			t->v.b = sp->v[a].i != 0;
		}
	}
	otlp_add_str(o, "server.address", sp->host_addr);
	if (sp->host_port)
		otlp_add_int(o, "server.port", sp->host_port);
	if (sp->kind == SPAN_KIND_SERVER)
		otlp_add_str(o, "client.address", sp->peer_addr);
}

void otlp_span_view(const struct span *sp, struct otlp_span *o)
{
	bool root = otlp_id_zero(sp->parent_span_id, sizeof(sp->parent_span_id));

	memset(o, 0, offsetof(struct otlp_span, attrs));
	o->trace_id = sp->trace_id;
	o->span_id = sp->span_id;
	o->parent_span_id = root ? NULL : sp->parent_span_id;
	o->name = span_str(sp, SPAN_A_NAME);
	o->kind = (uint32_t)sp->kind;
	o->status = (uint32_t)sp->status;
	/* A server span's parent came in a traceparent header: it is remote. */
	o->flags = sp->trace_flags | OTLP_FLAG_HAS_IS_REMOTE;
	if (!root && sp->kind == SPAN_KIND_SERVER)
		o->flags |= OTLP_FLAG_IS_REMOTE;
	o->start_ns = sp->start_ns;
	o->end_ns = sp->end_ns;
	otlp_span_attrs(sp, o);
}

static bool otlp_res_has(const struct otlp_resource *r, const char *key)
{
	for (size_t i = 0; i < r->n_attrs; i++)
		if (!strcmp(r->attrs[i].key, key))
			return true;
	return false;
}

/* An earlier source wins a duplicate key (computed identity first, then process, then obi). */
static int otlp_res_add(struct otlp_resource *r, struct otlp_attr a)
{
	if (a.type == OTLP_ATTR_STR && (!a.v.s || !a.v.s[0]))
		return 0;
	if (otlp_res_has(r, a.key))
		return 0;
	if (r->n_attrs == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct otlp_attr *n = realloc(r->attrs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->attrs = n;
		r->cap = cap;
	}
	r->attrs[r->n_attrs++] = a;
	return 0;
}

/* In-place trimming (raw spaces around the text) and percent-decoding; false on a bad escape. */
static bool otlp_pct_decode(char *s)
{
	char *w = s, *r = s, *end = s + strlen(s);

	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	while (*r == ' ' || *r == '\t')
		r++;
	for (; *r; r++) {
		int hi, lo;

		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		hi = hex_digit(r[1]);
		lo = hi < 0 ? -1 : hex_digit(r[2]);
		if (lo < 0 || (hi == 0 && lo == 0)) /* %00 would cut the value short */
			return false;
		*w++ = (char)(hi << 4 | lo);
		r += 2;
	}
	*w = '\0';
	return true;
}

bool otlp_res_item(char *item, char **key, char **value)
{
	char *eq = strchr(item, '=');

	if (!eq)
		return false;
	*eq = '\0';
	if (!otlp_pct_decode(item) || !otlp_pct_decode(eq + 1) || !item[0])
		return false;
	/* %FF decodes to a byte no OTLP string may hold: collectors refuse the whole request
	 * over invalid UTF-8, so keys and values are cleaned like span text. */
	span_build_copy_safe(item, strlen(item) + 1, item, strlen(item));
	span_build_copy_safe(eq + 1, strlen(eq + 1) + 1, eq + 1, strlen(eq + 1));
	*key = item;
	*value = eq + 1;
	return true;
}

/* Checks one "k=v,k=v" list whole (the spec discards it all on any error), then adds it. */
static int otlp_res_env(struct otlp_resource *r, char *list)
{
	size_t first = r->n_attrs;
	char *save = NULL, *k, *v;

	for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (!otlp_res_item(item, &k, &v))
			goto bad;
		if (otlp_res_add(r, (struct otlp_attr){.key = k, .type = OTLP_ATTR_STR, .v.s = v}))
			return -ENOMEM;
	}
	return 0;
bad:
	r->n_attrs = first;
	r->bad_env++;
	return 0;
}

/* Copies both raw lists into one allocation the attributes then point into. */
char *otlp_res_escape(char *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c > 0x20 && *c < 0x7f && !strchr("%,=", *c)) {
			*w++ = (char)*c;
		} else {
			*w++ = '%';
			*w++ = hex[*c >> 4];
			*w++ = hex[*c & 15];
		}
	}
	return w;
}

static int otlp_res_envs(struct otlp_resource *r, const char *proc, const char *own)
{
	size_t lp = proc ? strlen(proc) : 0, lo = own ? strlen(own) : 0;
	int rc;

	if (!lp && !lo)
		return 0;
	r->strings = malloc(lp + lo + 2);
	if (!r->strings)
		return -ENOMEM;
	memcpy(r->strings, lp ? proc : "", lp + 1);
	memcpy(r->strings + lp + 1, lo ? own : "", lo + 1);
	rc = otlp_res_env(r, r->strings);
	return rc ? rc : otlp_res_env(r, r->strings + lp + 1);
}

#define OTLP_RES_STR(k, val) ((struct otlp_attr){.key = (k), .type = OTLP_ATTR_STR, .v.s = (val)})

int otlp_resource_build(struct otlp_resource *r, const struct span_service *svc,
			const struct otlp_host *host)
{
	int rc = 0;

	memset(r, 0, sizeof(*r));
	rc = rc ? rc : otlp_res_add(r, OTLP_RES_STR("service.name", svc->name));
	rc = rc ? rc : otlp_res_add(r, OTLP_RES_STR("service.namespace", svc->namespace_));
	rc = rc ? rc : otlp_res_add(r, OTLP_RES_STR("service.instance.id", svc->instance_id));
	rc = rc ? rc : otlp_res_add(r, OTLP_RES_STR("telemetry.sdk.language", svc->sdk_language));
	rc = rc ? rc : otlp_res_add(r, OTLP_RES_STR("telemetry.sdk.name", host->sdk_name));
	rc = rc ? rc : otlp_res_add(r, OTLP_RES_STR("telemetry.sdk.version", host->sdk_version));
	rc = rc ? rc : otlp_res_add(r, OTLP_RES_STR("host.name", host->host_name));
	rc = rc ? rc : otlp_res_add(r, OTLP_RES_STR("host.id", host->host_id));
	if (!rc && svc->pid)
		rc = otlp_res_add(r, (struct otlp_attr){.key = "process.pid",
							.type = OTLP_ATTR_INT,
							.v.i = svc->pid});
	rc = rc ? rc : otlp_res_add(r, OTLP_RES_STR("process.executable.path", svc->exe_path));
	rc = rc ? rc : otlp_res_envs(r, svc->resource_attrs, host->resource_attrs);
	if (rc)
		otlp_resource_free(r);
	return rc;
}

void otlp_resource_free(struct otlp_resource *r)
{
	free(r->attrs);
	free(r->strings);
	memset(r, 0, sizeof(*r));
}

/* Spans the enricher could not attribute to a process still need a valid resource. */
static const struct span_service otlp_unknown_svc = {.name = "unknown_service",
						     .namespace_ = "",
						     .instance_id = "",
						     .sdk_language = "generic",
						     .exe_path = "",
						     .resource_attrs = ""};

static size_t otlp_group_of(struct otlp_groups *g, const struct span_service *svc)
{
	for (size_t i = 0; i < g->n_groups; i++)
		if (g->svc[i] == svc)
			return i;
	g->svc[g->n_groups] = svc;
	return g->n_groups++;
}

/* Counting sort by group: O(n * services), and services per batch are few. */
int otlp_groups_build(struct otlp_groups *g, const struct span *const *spans, size_t n)
{
	size_t *gid = calloc(n ? n : 1, sizeof(*gid));

	memset(g, 0, sizeof(*g));
	g->svc = calloc(n ? n : 1, sizeof(const struct span_service *));
	g->start = calloc(n + 2, sizeof(*g->start));
	g->order = calloc(n ? n : 1, sizeof(*g->order));
	if (!gid || !g->svc || !g->start || !g->order) {
		free(gid);
		otlp_groups_free(g);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		gid[i] = otlp_group_of(g, spans[i]->svc ? spans[i]->svc : &otlp_unknown_svc);
		g->start[gid[i] + 1]++;
	}
	for (size_t k = 0; k < g->n_groups; k++)
		g->start[k + 1] += g->start[k];
	for (size_t i = 0; i < n; i++)
		g->order[g->start[gid[i]]++] = i;
	/* The fill pass advanced each start to its group's end: shift back by one group. */
	memmove(g->start + 1, g->start, g->n_groups * sizeof(*g->start));
	g->start[0] = 0;
	free(gid);
	return 0;
}

void otlp_groups_free(struct otlp_groups *g)
{
	free(g->svc);
	free(g->start);
	free(g->order);
	memset(g, 0, sizeof(*g));
}

int otlp_buf_reserve(struct otlp_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *d;

	if (n > SIZE_MAX / 4 - b->len)
		return -ENOMEM;
	if (b->len + n <= b->cap)
		return 0;
	while (cap < b->len + n)
		cap *= 2;
	d = realloc(b->data, cap);
	if (!d)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

int otlp_buf_append(struct otlp_buf *b, const void *p, size_t n)
{
	if (!n)
		return 0;
	if (otlp_buf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void otlp_buf_free(struct otlp_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
