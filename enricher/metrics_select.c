/* metrics_select.c: the RED metrics' names and which attributes each one's series carry
 * (attributes.select, decided once at start-up, never per span). */
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
    "http.request.method", "http.response.status_code",
    "http.route",	   "server.address",
    "server.port",	   "error.type",
};

int metrics_select_from(const struct obi_config *cfg, struct metrics_agg_config *ac, char *err,
			size_t errlen)
{
	struct attr_select *s = NULL;

	if (attr_select_new(&cfg->attributes.select, &s) < 0) {
		snprintf(err, errlen, "out of memory (attributes.select)");
		return -ENOMEM;
	}
	/* Every attribute of these metrics is on by default (reference 3.4): the opt-in ones
	 * (url.path, client.address) are not in the series at all yet. */
	for (int f = 0; f < METRICS_FAMILIES; f++)
		for (int h = 0; h < METRICS_HISTS; h++) {
			ac->drop[f][h] = 0;
			for (int b = 0; b < METRICS_ATTRS; b++)
				if (!attr_select_keep(s, metrics_names[f][h].name,
						      metrics_attr_keys[b]))
					ac->drop[f][h] |= (uint8_t)(1u << b);
		}
	attr_select_free(s);
	return 0;
}
