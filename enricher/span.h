/* span.h: a finished span: common scalars, its connection, and typed attributes in a text arena. */
#ifndef OBI_SPAN_H
#define OBI_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Values are OTLP's SpanKind and Status.StatusCode. */
enum span_kind { SPAN_KIND_INTERNAL = 1, SPAN_KIND_SERVER = 2, SPAN_KIND_CLIENT = 3 };
enum span_status { SPAN_STATUS_UNSET = 0, SPAN_STATUS_OK = 1, SPAN_STATUS_ERROR = 2 };

/* What produced the span. Every type shares struct span; only its attribute set differs. */
enum span_type { SPAN_TYPE_NONE = 0, SPAN_TYPE_HTTP = 1 };

/* The service (resource) a span belongs to; owned by the process table. */
struct span_service {
	const char *name;	    /* service.name */
	const char *namespace_;	    /* service.namespace; "" if none */
	const char *instance_id;    /* service.instance.id */
	const char *sdk_language;   /* telemetry.sdk.language ("generic" when unknown) */
	const char *exe_path;	    /* process.executable.path */
	const char *resource_attrs; /* raw OTEL_RESOURCE_ATTRIBUTES of the process; "" if none */
	uint32_t pid;		    /* host pid */
	unsigned selector; /* 1 + the discovery selector that chose it; 0: the legacy criteria */
};

enum span_vtype { SPAN_V_STR, SPAN_V_INT, SPAN_V_BOOL };

#define SPAN_STR_MAX 1024
/* An IP, or a Kubernetes name (span_peer.c): Service names fit (63), most pod and node ones
 * too; a longer name keeps the IP. */
#define SPAN_ADDR_MAX 128

/*
 * Every attribute a span can hold, in the order the sinks emit them:
 * X(id, OTel key ("": kept for the enricher, never exported), type, most bytes of a string).
 * A new protocol adds its rows here (db.*, rpc.*); sinks that walk the table need no change.
 * The bounds are what the fixed fields of earlier versions held, so truncation is unchanged.
 */
// clang-format off
#define SPAN_ATTR_TABLE(X) \
	X(NAME, "", STR, SPAN_STR_MAX + 31) \
	X(HTTP_METHOD, "http.request.method", STR, 31) \
	X(URL_PATH, "url.path", STR, SPAN_STR_MAX - 1) \
	X(URL_QUERY, "url.query", STR, SPAN_STR_MAX - 1) \
	X(HTTP_ROUTE, "http.route", STR, SPAN_STR_MAX - 1) \
	X(URL_FULL, "url.full", STR, SPAN_STR_MAX * 2 + 63) \
	X(HTTP_STATUS_CODE, "http.response.status_code", INT, 0) \
	X(HTTP_REQ_BODY_SIZE, "http.request.body.size", INT, 0) \
	X(HTTP_RESP_BODY_SIZE, "http.response.body.size", INT, 0) \
	X(NET_PROTO_VERSION, "network.protocol.version", STR, 7) \
	X(USER_AGENT, "user_agent.original", STR, 255) \
	X(HTTP_RESP_CUT, "obi.http.response.cut", BOOL, 0) \
	X(HTTP_HOST, "", STR, 255)
// clang-format on

#define SPAN_A_ID_(id, key, type, max) SPAN_A_##id,
enum span_attr { SPAN_ATTR_TABLE(SPAN_A_ID_) SPAN_A_COUNT };
#undef SPAN_A_ID_
_Static_assert(SPAN_A_COUNT <= 32, "span attributes: the presence mask is 32 bits");

struct span_attr_def {
	const char *key; /* "": internal */
	uint32_t klen;
	enum span_vtype type;
	uint32_t max; /* strings: most bytes kept (without the NUL) */
};
extern const struct span_attr_def span_attr_defs[SPAN_A_COUNT];

/* The rows with an OTel key (what the sinks export), as a mask of enum span_attr bits. */
// NOLINTNEXTLINE(bugprone-macro-parentheses)
#define SPAN_A_EXPBIT_(id, k, t, m) | (sizeof(k) > 1 ? 1u << SPAN_A_##id : 0u)
#define SPAN_A_EXPORTED (0u SPAN_ATTR_TABLE(SPAN_A_EXPBIT_))

/*
 * The most text one span can hold: every string at its bound, plus a rewrite of the name and
 * of the route (the route stage sets both after the builder).
 */
/* A term of a sum (and below, of a mask) spread over the table's rows: it cannot be one
 * parenthesised expression. */
// NOLINTNEXTLINE(bugprone-macro-parentheses)
#define SPAN_A_BYTES_(id, key, type, max) +(SPAN_V_##type == SPAN_V_STR ? (max) + 1 : 0)
#define SPAN_TEXT_CAP ((size_t)(0 SPAN_ATTR_TABLE(SPAN_A_BYTES_)) + 2 * (SPAN_STR_MAX + 32))

union span_val {
	int64_t i; /* INT, BOOL (0/1) */
	struct {
		uint32_t off, len; /* STR: text + off, NUL-terminated */
	} s;
};

struct span {
	enum span_type type;
	enum span_kind kind;
	enum span_status status;
	uint64_t start_ns; /* Unix epoch nanoseconds: request start */
	uint64_t end_ns;   /* Unix epoch nanoseconds: end of the exchange */
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_span_id[8]; /* all zero: root span */
	uint8_t trace_flags;
	/* Set by the stages before the sinks (routes.ignored_patterns, filters): the span still
	 * reaches the sinks it is not dropped from, e.g. metrics of an ignored trace. */
	bool drop_traces;
	bool drop_metrics;
	uint64_t req_bytes;  /* whole request on the wire, headers included */
	uint64_t resp_bytes; /* whole response on the wire, headers included */
	/* The connection, for every protocol. Peer is always the client side, host always the
	 * server side (as OBI): client.address / server.address of the sinks. */
	uint16_t peer_port; /* client's port */
	uint16_t host_port; /* server.port */
	const struct span_service *svc;
	uint32_t set;	   /* bit per enum span_attr: present */
	uint32_t text_len; /* arena bytes in use */
	uint32_t text_cut; /* strings shortened because the arena was full (never by design) */
	/* span_reset zeroes everything above in one memset, and these two by their first byte. */
	char peer_addr[SPAN_ADDR_MAX];
	char host_addr[SPAN_ADDR_MAX];

	union span_val v[SPAN_A_COUNT]; /* meaningful where `set` says so */
	/* The arena the string attributes live in: borrowed, never owned (span_init). */
	char *text;
	uint32_t text_cap;
};

/* Attaches the arena buf[cap) (SPAN_TEXT_CAP holds any span) and empties the span. */
void span_init(struct span *sp, char *buf, size_t cap);
/* Empties the span for reuse, keeping its arena. */
void span_reset(struct span *sp);
/* dst (with its own arena of at least src->text_len bytes) becomes a copy of src. */
void span_copy(struct span *dst, const struct span *src, char *buf, size_t cap);

static inline bool span_has(const struct span *sp, enum span_attr a)
{
	return sp->set >> a & 1u;
}

/* A string attribute, "" when absent. */
static inline const char *span_str(const struct span *sp, enum span_attr a)
{
	return span_has(sp, a) ? sp->text + sp->v[a].s.off : "";
}

static inline size_t span_str_len(const struct span *sp, enum span_attr a)
{
	return span_has(sp, a) ? sp->v[a].s.len : 0;
}

/* An integer (or boolean) attribute, 0 when absent. */
static inline int64_t span_int(const struct span *sp, enum span_attr a)
{
	return span_has(sp, a) ? sp->v[a].i : 0;
}

static inline void span_set_int(struct span *sp, enum span_attr a, int64_t v)
{
	sp->v[a].i = v;
	sp->set |= 1u << a;
}

static inline void span_unset(struct span *sp, enum span_attr a)
{
	sp->set &= ~(1u << a);
}

/*
 * Room for a string of up to `max` bytes (the attribute's bound and the arena's space both
 * apply): returns where to write, then span_str_commit() with the length written. The bytes
 * are the caller's to make safe (span_build cleans what came from the wire). Inline: a
 * span's strings pass here, a call each was a tenth of the builder's instructions.
 */
static inline char *span_str_begin(struct span *sp, enum span_attr a, size_t *room)
{
	uint32_t at = sp->text_len;

	/* The value written last is rewritten in place (the route stage renames the span). */
	if (span_has(sp, a) && sp->v[a].s.off + sp->v[a].s.len + 1 == sp->text_len)
		at = sp->v[a].s.off;
	if (!sp->text || at >= sp->text_cap) {
		*room = 0;
		return NULL;
	}
	*room = sp->text_cap - at - 1;
	if (*room > span_attr_defs[a].max)
		*room = span_attr_defs[a].max;
	return sp->text + at;
}

static inline void span_str_commit(struct span *sp, enum span_attr a, char *p, size_t len)
{
	uint32_t off, end;
	bool was_last;

	if (!p || !len) {
		span_unset(sp, a);
		return;
	}
	off = (uint32_t)(p - sp->text);
	end = off + (uint32_t)len + 1;
	was_last =
	    span_has(sp, a) && sp->v[a].s.off == off && off + sp->v[a].s.len + 1 == sp->text_len;
	p[len] = '\0';
	sp->v[a].s.off = off;
	sp->v[a].s.len = (uint32_t)len;
	sp->set |= 1u << a;
	/* A rewrite of the last value in place gives back what it no longer needs. */
	if (was_last || end > sp->text_len)
		sp->text_len = end;
}

/* Copies s[0..n) as the attribute's value, cut at its bound (trusted text only); "" unsets. */
void span_set_str(struct span *sp, enum span_attr a, const char *s, size_t n);
/* The attribute whose OTel key is key[0..n), or -1. */
int span_attr_find(const char *key, size_t n);

#endif /* OBI_SPAN_H */
