/* span_filter.h: filter.application: drops spans whose attributes fail the match / not_match globs.
 */
#ifndef OBI_SPAN_FILTER_H
#define OBI_SPAN_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/config.h"
#include "span.h"

struct span_filter;

/*
 * Compiles filter.application (entries: attribute name with dots or underscores -> exactly
 * one of match / not_match, a glob checked by the config layer). An attribute spans never
 * carry is reported once with a warning and ignored, as OBI does. *out is NULL when no entry
 * is left (every span passes). -1 only when out of memory (said in err).
 */
int span_filter_new(const struct config_objlist *application, struct span_filter **out, char *err,
		    size_t errlen);
void span_filter_free(struct span_filter *f);

/* Whether sp passes every entry (an absent attribute has the value ""). NULL f keeps all. */
bool span_filter_keep(const struct span_filter *f, const struct span *sp);

/* span_filter_keep, then a span that fails is dropped from every signal (traces and metrics:
 * filter.application covers both). Returns whether it passed. */
bool span_filter_apply(struct span_filter *f, struct span *sp);

/* Spans dropped so far. */
uint64_t span_filter_dropped(const struct span_filter *f);

/* Canonical attribute name: '_' read as '.' (OBI accepts both); false if not a span attribute. */
bool span_filter_attr_known(const char *name);

#endif /* OBI_SPAN_FILTER_H */
