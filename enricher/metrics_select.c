/* metrics_select.c: the RED metrics' names and which attributes each one's series carry
 * (attributes.select, opt-in attributes, the rename_unresolved_hosts words; decided once at
 * start-up, never per span). */
#include <errno.h>
#include <stdio.h>

#include "attr_select.h"
#include "metrics_int.h"

const struct metrics_name metrics_names[METRICS_FAMILIES][METRICS_HISTS] = {
    {{"http.server.request.duration", "s", "Duration of HTTP server requests."},
     {"http.server.request.body.size", "By", "Size of HTTP server request bodies."},
     {"http.server.response.body.size", "By", "Size of HTTP server response bodies."}},
    {{"http.client.request.duration", "s", "Duration of HTTP client requests."},
     {"http.client.request.body.size", "By", "Size of HTTP client request bodies."},
     {"http.client.response.body.size", "By", "Size of HTTP client response bodies."}},
};

/* Indexed by bit number of enum metrics_attr_bit. */
const char *const metrics_attr_keys[METRICS_ATTRS] = {
    "http.request.method",
    "http.response.status_code",
    "http.route",
    "server.address",
    "server.port",
    "error.type",
    "url.path",
    "client.address",
};

/* The rename words, copied at start-up (the series compare pointers to them, never the
 * configuration's strings). A word too long for the buffer cannot come from a valid
 * configuration (the rows' max is 255). */
static void metrics_select_unresolved(const struct obi_config *cfg, struct metrics_agg_config *ac)
{
	const char *w[METRICS_UNRES_N] = {cfg->attributes.rename_unresolved_hosts,
					  cfg->attributes.rename_unresolved_hosts_outgoing,
					  cfg->attributes.rename_unresolved_hosts_incoming};

	for (int i = 0; i < METRICS_UNRES_N; i++)
		snprintf(ac->unresolved[i], sizeof(ac->unresolved[i]), "%s", w[i] ? w[i] : "");
}

/* Whether metric (f, h) carries attribute b: default ones unless excluded or left out of an
 * include, opt-in ones only when an include names them (OBI applies include globs, `*` too,
 * to every attribute a metric has). HTTP client metrics have no client.address. */
static bool metrics_select_keeps(const struct attr_select *s, int f, int h, int b)
{
	if (f == METRICS_CLIENT && b == METRICS_A_CLIENT)
		return false;
	return attr_select_keep_def(s, metrics_names[f][h].name, metrics_attr_keys[b],
				    b < METRICS_A_OPTIN);
}

int metrics_select_from(const struct obi_config *cfg, struct metrics_agg_config *ac, char *err,
			size_t errlen)
{
	struct attr_select *s = NULL;

	if (attr_select_new(&cfg->attributes.select, &s) < 0) {
		snprintf(err, errlen, "out of memory (attributes.select)");
		return -ENOMEM;
	}
	for (int f = 0; f < METRICS_FAMILIES; f++)
		for (int h = 0; h < METRICS_HISTS; h++) {
			ac->drop[f][h] = ac->optin[f][h] = 0;
			for (int b = 0; b < METRICS_ATTRS; b++) {
				bool keep = metrics_select_keeps(s, f, h, b);

				if (b < METRICS_A_OPTIN && !keep)
					ac->drop[f][h] |= (metrics_drop_t)(1u << b);
				else if (b >= METRICS_A_OPTIN && keep)
					ac->optin[f][h] |= (metrics_drop_t)(1u << b);
			}
		}
	attr_select_free(s);
	metrics_select_unresolved(cfg, ac);
	return 0;
}
