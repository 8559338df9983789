/* config_rows_filter.c: schema rows of the `filter` section and the attribute-filter sub-schema. */
#include "config_schema.h"

#include <string.h>

/* OBI: each attribute takes exactly one of match / not_match. */
static const char *config_attr_filter_check(const void *item)
{
	const struct config_attr_filter *f = item;

	if (!f->match == !f->not_match)
		return "needs exactly one of match and not_match";
	return NULL;
}

/* attribute filter: fields of one object. */
static const struct config_row config_attr_filter_schema_rows[] = {
    {.yaml = "match",
     .type = CONFIG_T_GLOB,
     CONFIG_ITEM(struct config_attr_filter, match),
     .doc = "The attribute value must match this glob."},
    {.yaml = "not_match",
     .type = CONFIG_T_GLOB,
     CONFIG_ITEM(struct config_attr_filter, not_match),
     .doc = "The attribute value must not match this glob."},
};

static const struct config_schema config_attr_filter_schema = {
    .title = "attribute filter",
    .rows = config_attr_filter_schema_rows,
    .n = sizeof(config_attr_filter_schema_rows) / sizeof(config_attr_filter_schema_rows[0]),
    .item_size = sizeof(struct config_attr_filter),
    .check = config_attr_filter_check,
};

/* Rows of another branch paste here verbatim (the initializer format is the contract). */
static const struct config_row config_rows_filter[] = {
    {.yaml = "filter.application",
     .type = CONFIG_T_OBJMAP,
     CONFIG_FIELD(filter.application),
     .proc = CONFIG_PROC_ENRICHER,
     .sub = &config_attr_filter_schema,
     .doc = "Spans and application metrics pass only if every listed attribute (dots or "
	    "underscores) matches; applied after decoration, before every exporter."},
    {.yaml = "filter.network",
     .type = CONFIG_T_OBJMAP,
     CONFIG_FIELD(filter.network),
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .sub = &config_attr_filter_schema,
     .doc = "The same for network flows."},
    {.yaml = "filter.stats",
     .type = CONFIG_T_OBJMAP,
     CONFIG_FIELD(filter.stats),
     .proc = CONFIG_PROC_ENRICHER,
     .status = CONFIG_PLANNED,
     .sub = &config_attr_filter_schema,
     .doc = "The same for stats metrics."},
};

const struct config_schema config_area_filter = {
    .title = "Attribute filters (`filter`)",
    .rows = config_rows_filter,
    .n = sizeof(config_rows_filter) / sizeof(config_rows_filter[0]),
};
