/* attr_select.h: attributes.select: which attributes a signal or metric reports (include/exclude).
 */
#ifndef OBI_ATTR_SELECT_H
#define OBI_ATTR_SELECT_H

#include <stdbool.h>

#include "../common/config.h"

/*
 * OBI's rules (reference 1.4): the configuration maps a metric name (OTel or Prometheus form,
 * globs allowed; `traces` for span attributes) to include / exclude globs over attribute names.
 * Names are compared in a canonical form: '_' read as '.', and a metric name loses one of the
 * suffixes .ratio .bucket .sum .count .total, then one of .bytes .seconds (so
 * http_server_request_duration_seconds_bucket is http.server.request.duration).
 *
 * For one (name, attribute): the entry whose name equals the name wins alone; without one,
 * every entry whose glob matches applies together. If any applying entry has an include list,
 * the attribute is on only when an include glob matches (include replaces the default set,
 * OBI's "limit the metric to these attributes"); otherwise it keeps its default. For
 * `traces` include only adds (opt-in span attributes such as db.query.text). An exclude glob
 * that matches turns it off, always. One deviation: OBI falls back to the defaults when the
 * include lists match no attribute of the metric at all; one attribute at a time cannot see
 * that, so such a metric reports no attribute at all here.
 */
struct attr_select;

/* From attributes.select (items of struct config_attr_select). *out NULL when empty. -1: OOM. */
int attr_select_new(const struct config_objlist *select, struct attr_select **out);
void attr_select_free(struct attr_select *s);

/* The decision for an attribute that is reported by default (most span and metric
 * attributes). NULL s keeps everything. */
bool attr_select_keep(const struct attr_select *s, const char *signal_or_metric,
		      const char *attr_name);
/* The same for any default: pass false for opt-in attributes (url.path on metrics,
 * db.query.text on traces). */
bool attr_select_keep_def(const struct attr_select *s, const char *signal_or_metric,
			  const char *attr_name, bool default_on);

#endif /* OBI_ATTR_SELECT_H */
