/* config_schema.c: the list of area tables that make up the top-level schema, and lookups in it. */
#include "config_schema.h"

#include <string.h>

/* Order is the order of the dump and of docs/configuration.md. */
const struct config_schema *const config_areas[] = {
    &config_area_general,    &config_area_selection,  &config_area_discovery,
    &config_area_naming,     &config_area_ebpf,	      &config_area_probe,
    &config_area_routes,     &config_area_attributes, &config_area_kubernetes,
    &config_area_filter,     &config_area_otlp,	      &config_area_metrics,
    &config_area_prometheus, &config_area_network,
};
const size_t config_n_areas = sizeof(config_areas) / sizeof(config_areas[0]);

const struct config_row *config_next_row(size_t *area, size_t *i)
{
	while (*area < config_n_areas) {
		const struct config_schema *s = config_areas[*area];

		if (*i < s->n)
			return &s->rows[(*i)++];
		(*area)++;
		*i = 0;
	}
	return NULL;
}

static const struct config_row *config_find(const struct config_schema *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->rows[i].yaml && strcmp(s->rows[i].yaml, path) == 0)
			return &s->rows[i];
	return NULL;
}

const struct config_row *config_row_by_yaml(const struct config_schema *s, const char *path)
{
	const struct config_row *r = NULL;
	size_t a;

	if (s)
		return config_find(s, path);
	for (a = 0; a < config_n_areas && !r; a++)
		r = config_find(config_areas[a], path);
	return r;
}

static bool config_has_section(const struct config_schema *s, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const char *y = s->rows[i].yaml;

		if (y && strncmp(y, path, len) == 0 && y[len] == '.')
			return true;
	}
	return false;
}

/* A section is a proper prefix, at a '.', of some row's YAML path. */
bool config_is_section(const struct config_schema *s, const char *path)
{
	size_t a, len = strlen(path);

	if (s)
		return config_has_section(s, path, len);
	for (a = 0; a < config_n_areas; a++)
		if (config_has_section(config_areas[a], path, len))
			return true;
	return false;
}
