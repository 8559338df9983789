/* span_route_sel.c: per-selector routes (discovery.instrument[i].routes.incoming / outgoing):
 * patterns tried for a selector's processes after the global ones, before the unmatched
 * policy (OBI's precedence, reference 1.5). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "span_route_int.h"

static int span_route_sel_one(struct route_matcher **m, const struct config_strlist *l,
			      const char *what, unsigned i, char *err, size_t errlen)
{
	char why[160];
	size_t bad = 0;

	*m = NULL;
	if (!l->n)
		return 0;
	if (route_matcher_new((const char *const *)l->v, l->n, m, &bad, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "discovery selector %u: routes.%s[%zu]: %s", i, what, bad,
			 why);
		return -EINVAL;
	}
	return 0;
}

int span_route_selectors(struct span_route *r, const struct config_discovery *d, char *err,
			 size_t errlen)
{
	/* The list the probe numbers its selectors by (select.c): instrument, else services. */
	const struct config_objlist *ol = d->instrument.n ? &d->instrument : &d->services;
	int rc = 0;

	if (!r || !ol->n)
		return 0;
	r->sel = calloc(ol->n, sizeof(*r->sel));
	if (!r->sel) {
		snprintf(err, errlen, "out of memory (selector routes)");
		return -ENOMEM;
	}
	r->n_sel = ol->n;
	for (unsigned i = 0; !rc && i < ol->n; i++) {
		const struct config_selector *c =
		    config_objlist_at(ol, sizeof(struct config_selector), i);

		rc = span_route_sel_one(&r->sel[i].in, &c->routes_incoming, "incoming", i, err,
					errlen);
		if (!rc)
			rc = span_route_sel_one(&r->sel[i].out, &c->routes_outgoing, "outgoing", i,
						err, errlen);
	}
	return rc;
}

const char *span_route_sel_find(const struct span_route *r, const struct span *sp)
{
	unsigned k = sp->svc ? sp->svc->selector : 0;
	const struct route_matcher *m;

	if (!k || k > r->n_sel)
		return NULL;
	m = sp->kind == SPAN_KIND_CLIENT ? r->sel[k - 1].out : r->sel[k - 1].in;
	return m ? route_matcher_find(m, span_str(sp, SPAN_A_URL_PATH),
				      span_str_len(sp, SPAN_A_URL_PATH))
		 : NULL;
}

void span_route_sel_free(struct span_route *r)
{
	for (unsigned i = 0; i < r->n_sel; i++) {
		route_matcher_free(r->sel[i].in);
		route_matcher_free(r->sel[i].out);
	}
	free(r->sel);
	r->sel = NULL;
	r->n_sel = 0;
}
