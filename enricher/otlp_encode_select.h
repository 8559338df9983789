/* otlp_encode_select.h: which span attributes the OTLP trace encoders write (attributes.select
 * `traces`), decided once per attribute key at start-up. */
#ifndef OBI_OTLP_ENCODE_SELECT_H
#define OBI_OTLP_ENCODE_SELECT_H

#include <stddef.h>

#include "../common/config.h"
#include "otlp_model.h"

/* The span adapter's keys the selection turns off; n == 0 keeps every attribute. */
struct otlp_span_select {
	size_t n;
	const char *drop[OTLP_SPAN_ATTRS_MAX * 2];
};

/*
 * Decides every key the span adapter (otlp_span_view) can write, server and client spans
 * alike, against select's `traces` rules. 0, or -ENOMEM (s then empty).
 */
int otlp_span_select_init(struct otlp_span_select *s, const struct config_objlist *select);
/* Removes the dropped attributes from v, keeping the others' order. NULL s: nothing. */
void otlp_span_select_apply(const struct otlp_span_select *s, struct otlp_span *v);

#endif /* OBI_OTLP_ENCODE_SELECT_H */
