/* span_testutil.h: spans with their own text arena, for unit tests, fuzzers and benchmarks. */
#ifndef OBI_SPAN_TESTUTIL_H
#define OBI_SPAN_TESTUTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "span.h"

/* A span and an arena that holds any span, allocated together. */
struct span_t_box {
	struct span sp; /* first: the span's address is the allocation's */
	char text[SPAN_TEXT_CAP];
};

/* An empty span with its arena attached; span_t_free() frees both. */
static inline struct span *span_t_new(void)
{
	struct span_t_box *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	span_init(&b->sp, b->text, sizeof(b->text));
	return &b->sp;
}

static inline void span_t_free(struct span *sp)
{
	free(sp); /* == the box: sp is its first member */
}

/*
 * A NUL-terminated string as the attribute's value ("" unsets it), cut at the attribute's
 * bound as the fixed fields of earlier versions were. A test never fills the arena: that
 * aborts rather than cut the text.
 */
static inline void span_t_set(struct span *sp, enum span_attr a, const char *s)
{
	uint32_t cut = sp->text_cut;

	span_set_str(sp, a, s, strlen(s));
	if (sp->text_cut != cut) {
		fprintf(stderr, "span_t_set: arena full at attribute %d\n", (int)a);
		abort();
	}
}

/* span_t_set of a formatted string. */
__attribute__((format(printf, 3, 4))) static inline void
span_t_setf(struct span *sp, enum span_attr a, const char *fmt, ...)
{
	char buf[SPAN_TEXT_CAP];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	span_t_set(sp, a, buf);
}

/* http.response.status_code as span_build_http sets it: only a code > 0 is there. */
static inline void span_t_status(struct span *sp, int code)
{
	if (code > 0)
		span_set_int(sp, SPAN_A_HTTP_STATUS_CODE, code);
	else
		span_unset(sp, SPAN_A_HTTP_STATUS_CODE);
}

#endif /* OBI_SPAN_TESTUTIL_H */
