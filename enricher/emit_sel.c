/* emit_sel.c: per-selector exports, sampler and metrics.features (reference 1.3), indexed by
 * the selector number the probe sends in PROC_ADD. */
#include "emit_sel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_schema.h"
#include "metrics.h"

/* metrics.features bit 0 is "application" (config_rows_metrics.c's order): the one metric
 * feature obi produces, so the only one a selector's list can turn on or off. */
#define EMIT_SEL_FEATURE_APPLICATION 1ULL

static bool emit_sel_has(const struct config_strlist *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return true;
	return false;
}

static int emit_sel_one(struct emit_sel *o, const struct config_selector *c, const char *list,
			unsigned i, bool app, char *err, size_t errlen)
{
	char why[160];

	/* OBI: unset exports keep the global setting; `[]` exports nothing. */
	o->traces = !c->exports.set || emit_sel_has(&c->exports, "traces");
	o->metrics = !c->exports.set || emit_sel_has(&c->exports, "metrics");
	/* The config keeps no "set" flag for a flag list: no feature named is the global list. */
	if (c->metrics_features)
		app = (c->metrics_features & EMIT_SEL_FEATURE_APPLICATION) != 0;
	o->metrics = o->metrics && app;
	/* The config layer keeps no "set" flag for an enum: a sampler counts as configured when it
	 * names another than the default or gives an argument. */
	o->own_sampler = c->sampler.name != CONFIG_SAMPLER_PARENTBASED_ALWAYS_ON ||
			 (c->sampler.arg && c->sampler.arg[0]);
	if (!o->own_sampler)
		return 0;
	if (c->sampler.name > CONFIG_SAMPLER_PARENTBASED_TRACEIDRATIO ||
	    sampler_init(&o->sampler, config_sampler_names[c->sampler.name], c->sampler.arg, why,
			 sizeof(why))) {
		snprintf(err, errlen, "%s[%u].sampler: %s", list, i,
			 c->sampler.name > CONFIG_SAMPLER_PARENTBASED_TRACEIDRATIO
			     ? "unknown sampler"
			     : why);
		return -EINVAL;
	}
	return 0;
}

/* The list the probe numbers its selectors by: instrument, else the deprecated services. */
static const struct config_objlist *emit_sels_list(const struct obi_config *cfg, const char **name)
{
	const struct config_discovery *d = &cfg->discovery;
	bool inst = d->instrument.n > 0;

	*name = inst ? "discovery.instrument" : "discovery.services";
	return inst ? &d->instrument : &d->services;
}

bool emit_sels_want_app(const struct obi_config *cfg)
{
	const char *list;
	const struct config_objlist *ol = emit_sels_list(cfg, &list);

	for (unsigned i = 0; i < ol->n; i++) {
		const struct config_selector *c =
		    config_objlist_at(ol, sizeof(struct config_selector), i);

		if (c->metrics_features & EMIT_SEL_FEATURE_APPLICATION)
			return true;
	}
	return false;
}

int emit_sels_init(struct emit_sels *s, const struct obi_config *cfg, char *err, size_t errlen)
{
	const char *list;
	const struct config_objlist *ol = emit_sels_list(cfg, &list);
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->app_metrics = metrics_app_feature(cfg);
	if (!ol->n)
		return 0;
	s->v = calloc(ol->n, sizeof(*s->v));
	if (!s->v) {
		snprintf(err, errlen, "out of memory (selectors)");
		return -ENOMEM;
	}
	s->n = ol->n;
	for (unsigned i = 0; !rc && i < ol->n; i++)
		rc =
		    emit_sel_one(&s->v[i], config_objlist_at(ol, sizeof(struct config_selector), i),
				 list, i, s->app_metrics, err, errlen);
	if (rc)
		emit_sels_free(s);
	return rc;
}

const struct emit_sel *emit_sels_of(const struct emit_sels *s, const struct span *sp)
{
	unsigned k = sp->svc ? sp->svc->selector : 0;

	/* 0 is the OTEL_EBPF_OPEN_PORT / AUTO_TARGET_EXE criteria; a number past the list (a
	 * probe with another configuration) gets the global settings too. */
	return k && k <= s->n ? &s->v[k - 1] : NULL;
}

void emit_sels_free(struct emit_sels *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
