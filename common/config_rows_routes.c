/* config_rows_routes.c: schema rows of the `routes` section (HTTP route decoration). */
#include "config_schema.h"

#include <string.h>

static const char *const config_routes_ignore_modes[] = {"all", "metrics", "traces", NULL};
static const char *const config_routes_unmatched_names[] = {"heuristic", "unset",	    "path",
							    "wildcard",	 "low-cardinality", NULL};

/* route.h's wildcard: one printable byte that cannot be part of a path's structure. */
static const char *config_routes_check_wildcard(const void *field, const struct config_row *row)
{
	const char *s = *(char *const *)field;
	unsigned char c;

	if (config_check_one_char(field, row))
		return config_check_one_char(field, row);
	c = s ? (unsigned char)s[0] : '*';
	if (c <= ' ' || c >= 0x7f || c == '/' || c == '?' || c == '#')
		return "must be a printable character other than '/', '?' and '#'";
	return NULL;
}

/* Rows of another branch paste here verbatim (the initializer format is the contract). */
static const struct config_row config_rows_routes[] = {
    {.yaml = "routes.patterns",
     .type = CONFIG_T_STRLIST,
     CONFIG_FIELD(routes.patterns),
     .proc = CONFIG_PROC_ENRICHER,
     .check = config_check_route_patterns,
     .doc = "Route templates: `{name}` or `:name` match one segment, `*` the rest of the path; the "
	    "most specific match wins; the query string never matters."},
    {.yaml = "routes.ignored_patterns",
     .type = CONFIG_T_STRLIST,
     CONFIG_FIELD(routes.ignored_patterns),
     .proc = CONFIG_PROC_ENRICHER,
     .check = config_check_route_patterns,
     .doc = "Spans whose path matches one of these are dropped from the signals routes.ignore_mode "
	    "names."},
    {.yaml = "routes.ignore_mode",
     .type = CONFIG_T_ENUM,
     CONFIG_FIELD(routes.ignore_mode),
     .enums = config_routes_ignore_modes,
     .def = "all",
     .proc = CONFIG_PROC_ENRICHER,
     .doc = "Which signals drop ignored spans."},
    {.yaml = "routes.unmatched",
     .type = CONFIG_T_ENUM,
     CONFIG_FIELD(routes.unmatched),
     .enums = config_routes_unmatched_names,
     .def = "heuristic",
     .proc = CONFIG_PROC_ENRICHER,
     .doc = "http.route when no pattern matched: unset, path (raw path), wildcard (`/**`), "
	    "heuristic (identifier segments become the wildcard), low-cardinality (heuristic plus "
	    "a per-node child limit)."},
    {.yaml = "routes.wildcard_char",
     .type = CONFIG_T_STRING,
     CONFIG_FIELD(routes.wildcard_char),
     .def = "*",
     .proc = CONFIG_PROC_ENRICHER,
     .check = config_routes_check_wildcard,
     .doc = "Character replacing a segment in heuristic and low-cardinality routes."},
    {.yaml = "routes.max_path_segment_cardinality",
     .type = CONFIG_T_UINT,
     CONFIG_FIELD(routes.max_path_segment_cardinality),
     .max = 100000,
     .def = "10",
     .proc = CONFIG_PROC_ENRICHER,
     .doc = "low-cardinality: distinct children per node per service before they collapse (0: no "
	    "limit)."},
};

const struct config_schema config_area_routes = {
    .title = "HTTP routes (`routes`)",
    .rows = config_rows_routes,
    .n = sizeof(config_rows_routes) / sizeof(config_rows_routes[0]),
};
