/* emit_sel.h: the per-selector `exports`, `sampler` and `metrics.features` of
 * discovery.instrument entries, for the spans of the processes each selector chose (decided
 * once at start-up). */
#ifndef OBI_EMIT_SEL_H
#define OBI_EMIT_SEL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "sampler.h"
#include "span.h"

/* What one selector overrides; a selector that sets nothing has the global behaviour. */
struct emit_sel {
	bool traces;  /* exports: unset keeps it (the global exporter decides) */
	bool metrics; /* exports, and the RED metrics among its features (else the global ones) */
	bool own_sampler;
	struct sampler sampler;
};

struct emit_sels {
	struct emit_sel *v; /* [n]: v[i] is wire selector i + 1 */
	unsigned n;
	bool app_metrics; /* the global metrics.features has `application` */
};

/* From the list the probe numbers its selectors by (instrument, else the deprecated services).
 * 0; -EINVAL with err naming the selector (a bad sampler); -ENOMEM. */
int emit_sels_init(struct emit_sels *s, const struct obi_config *cfg, char *err, size_t errlen);
/* Does any selector's metrics.features ask for `application` (the RED metrics)? */
bool emit_sels_want_app(const struct obi_config *cfg);
/* The settings of the selector that chose sp's process; NULL: the global ones. */
const struct emit_sel *emit_sels_of(const struct emit_sels *s, const struct span *sp);
void emit_sels_free(struct emit_sels *s);

#endif /* OBI_EMIT_SEL_H */
