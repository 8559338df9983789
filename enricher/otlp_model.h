/* otlp_model.h: protocol-neutral views the OTLP encoders read (attributes, span, resource). */
#ifndef OBI_OTLP_MODEL_H
#define OBI_OTLP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

enum otlp_attr_type { OTLP_ATTR_STR, OTLP_ATTR_INT, OTLP_ATTR_BOOL, OTLP_ATTR_DOUBLE };

/* One typed attribute; strings are borrowed (NUL-terminated, owned by the view's source). */
struct otlp_attr {
	const char *key;
	uint32_t klen; /* strlen(key) when known (the span adapter's literal keys), else 0 */
	uint32_t vlen; /* strlen(v.s) when known (the span keeps its lengths), else 0 */
	enum otlp_attr_type type;
	union {
		const char *s;
		int64_t i;
		bool b;
		double d;
	} v;
};

/* Enough for every attribute the span adapter emits: the table's and the connection's three. */
#define OTLP_SPAN_ATTRS_MAX (SPAN_A_COUNT + 3)

/* A span as OTLP sees it; filled by otlp_span_view() from a struct span, borrows from it. */
struct otlp_span {
	const uint8_t *trace_id;       /* 16 bytes */
	const uint8_t *span_id;	       /* 8 bytes */
	const uint8_t *parent_span_id; /* 8 bytes, or NULL for a root span */
	const char *name;
	uint32_t kind;	   /* OTLP SpanKind */
	uint32_t status;   /* OTLP Status.StatusCode */
	uint32_t flags;	   /* OTLP Span.flags: W3C trace flags | remote-parent bits */
	uint64_t start_ns; /* Unix epoch */
	uint64_t end_ns;
	size_t n_attrs;
	struct otlp_attr attrs[OTLP_SPAN_ATTRS_MAX];
};

/* Process-wide resource facts (obi's own), shared by every service's resource. */
struct otlp_host {
	const char *host_name;	    /* host.name */
	const char *host_id;	    /* host.id; NULL or "" when unknown */
	const char *sdk_name;	    /* telemetry.sdk.name */
	const char *sdk_version;    /* telemetry.sdk.version */
	const char *resource_attrs; /* obi's own OTEL_RESOURCE_ATTRIBUTES; NULL or "" if none */
};

/* One service's resource attributes; owns its copies of decoded OTEL_RESOURCE_ATTRIBUTES. */
struct otlp_resource {
	struct otlp_attr *attrs;
	size_t n_attrs, cap;
	char *strings;	  /* percent-decoded key/value storage */
	unsigned bad_env; /* OTEL_RESOURCE_ATTRIBUTES values discarded as malformed */
};

/* The adapter from the enricher's span (the only place that knows struct span's layout). */
void otlp_span_view(const struct span *sp, struct otlp_span *out);

/*
 * Builds svc's resource: service.*, telemetry.sdk.*, host.*, process.*, then the process's
 * and obi's OTEL_RESOURCE_ATTRIBUTES (an earlier source wins a duplicate key; a malformed
 * list is discarded whole, as the OTel specification asks, and counted in bad_env).
 * Returns 0, or -ENOMEM with *r left empty but freeable.
 */
int otlp_resource_build(struct otlp_resource *r, const struct span_service *svc,
			const struct otlp_host *host);
void otlp_resource_free(struct otlp_resource *r);

/*
 * Writes s at w in OTEL_RESOURCE_ATTRIBUTES' value syntax: every byte outside printable ASCII
 * and every '%', ',' and '=' as %XX (what otlp_resource_build decodes). w needs 3 * strlen(s)
 * bytes; returns the end (not NUL-terminated).
 */
char *otlp_res_escape(char *w, const char *s);
/* One "k=v" item of an OTEL_RESOURCE_ATTRIBUTES list decoded in place (spaces trimmed,
 * percent-escapes, bytes no OTLP string may hold cleaned); false when it is malformed. */
bool otlp_res_item(char *item, char **key, char **value);

/* The instrumentation scope every span of obi's is reported under. */
struct otlp_scope {
	const char *name;
	const char *version;
};

/*
 * A batch cut into one group per service (one ResourceSpans each), spans in arrival order.
 * order[] holds span indexes grouped; group g is order[start[g] .. start[g + 1]).
 */
struct otlp_groups {
	size_t n_groups;
	const struct span_service **svc; /* [n_groups]; a span without a service has the fallback */
	size_t *start;			 /* [n_groups + 1] */
	size_t *order;			 /* [n spans] */
};

int otlp_groups_build(struct otlp_groups *g, const struct span *const *spans, size_t n);
void otlp_groups_free(struct otlp_groups *g);

/* A growable byte buffer (encoder output and scratch). */
struct otlp_buf {
	uint8_t *data;
	size_t len, cap;
};

/* Makes room for n more bytes past len. 0 or -ENOMEM. */
int otlp_buf_reserve(struct otlp_buf *b, size_t n);
int otlp_buf_append(struct otlp_buf *b, const void *p, size_t n);
void otlp_buf_free(struct otlp_buf *b);

#endif /* OBI_OTLP_MODEL_H */
