/* config_set.c: setting, checking, defaulting and freeing values through the type handlers. */
#include "config_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *config_field(void *base, const struct config_row *row)
{
	return (char *)base + row->off;
}

const void *config_cfield(const void *base, const struct config_row *row)
{
	return (const char *)base + row->off;
}

uint64_t config_load_uint(const void *p, size_t width)
{
	uint8_t b;
	uint16_t h;
	uint32_t w;
	uint64_t v = 0;

	switch (width) {
	case 1:
		memcpy(&b, p, 1);
		v = b;
		break;
	case 2:
		memcpy(&h, p, 2);
		v = h;
		break;
	case 4:
		memcpy(&w, p, 4);
		v = w;
		break;
	case 8:
		memcpy(&v, p, 8);
		break;
	}
	return v;
}

void config_store_uint(void *p, size_t width, uint64_t v)
{
	uint8_t b = (uint8_t)v;
	uint16_t h = (uint16_t)v;
	uint32_t w = (uint32_t)v;

	switch (width) {
	case 1:
		memcpy(p, &b, 1);
		break;
	case 2:
		memcpy(p, &h, 2);
		break;
	case 4:
		memcpy(p, &w, 4);
		break;
	case 8:
		memcpy(p, &v, 8);
		break;
	}
}

const char *config_row_name(const struct config_row *row)
{
	return row->yaml ? row->yaml : row->env[0];
}

void config_why_secret(const struct config_row *row, char *why, size_t whylen)
{
	config_fmt(why, whylen, "invalid %s (value not shown: secret)",
		   config_types[row->type]->docs);
}

/* The row's own constraint, with the offending value quoted unless it is a secret. */
static int config_row_constraint(const void *field, const struct config_row *row, char *why,
				 size_t whylen)
{
	struct config_buf shown = {0};
	const char *bad;
	const char *s;

	if (!row->check || row->type == CONFIG_T_STRLIST)
		return 0;
	bad = row->check(field, row);
	if (!bad)
		return 0;
	if (row->secret) {
		config_fmt(why, whylen, "value %s (not shown: secret)", bad);
		return -1;
	}
	if (row->type == CONFIG_T_STRING || row->type == CONFIG_T_GLOB ||
	    row->type == CONFIG_T_REGEX) {
		char red[256];

		memcpy(&s, field, sizeof(s));
		config_redact_url(s ? s : "", red, sizeof(red));
		config_fmt(why, whylen, "\"%.200s\" %s",
			   row->check == config_check_url ? red
			   : s				  ? s
							  : "",
			   bad);
	} else {
		config_types[row->type]->format(field, row, &shown);
		config_fmt(why, whylen, "\"%.200s\" %s", shown.p ? shown.p : "", bad);
		config_buf_free(&shown);
	}
	return -1;
}

int config_set_text(void *base, const struct config_row *row, const char *s, char *why,
		    size_t whylen)
{
	const struct config_type_ops *ops = config_types[row->type];
	void *field = config_field(base, row);

	if (!ops->parse) {
		config_fmt(why, whylen, "cannot be given as text");
		return -1;
	}
	if (ops->parse(field, row, s, why, whylen) < 0) {
		if (row->secret && row->type != CONFIG_T_MAP && row->type != CONFIG_T_STRING)
			config_why_secret(row, why, whylen);
		return -1;
	}
	return config_row_constraint(field, row, why, whylen);
}

int config_check_value(const void *base, const struct config_row *row, char *why, size_t whylen)
{
	const struct config_type_ops *ops = config_types[row->type];
	const void *field = config_cfield(base, row);

	if (ops->check && ops->check(field, row, why, whylen) < 0) {
		if (row->secret)
			config_why_secret(row, why, whylen);
		return -1;
	}
	return config_row_constraint(field, row, why, whylen);
}

void config_apply_defaults(void *base, const struct config_schema *s)
{
	char why[CONFIG_WHY_MAX];
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->rows[i].def)
			/* defaults are tested to parse (test_config.c); a failure leaves zero */
			(void)config_set_text(base, &s->rows[i], s->rows[i].def, why, sizeof(why));
}

void config_free_schema(void *base, const struct config_schema *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct config_row *row = &s->rows[i];

		if (config_types[row->type]->free)
			config_types[row->type]->free(config_field(base, row), row);
	}
}

/* Remembers a planned option by name once, for the one warning at the end of the load. */
void config_note_planned(struct obi_config *cfg, const struct config_row *row, const char *name)
{
	size_t have, add;
	const char *p;
	char *grown;

	if (row->status != CONFIG_PLANNED || !cfg)
		return;
	have = cfg->planned_seen ? strlen(cfg->planned_seen) : 0;
	add = strlen(name);
	for (p = cfg->planned_seen; p && (p = strstr(p, name)); p += add)
		if ((p == cfg->planned_seen || p[-1] == ' ') && (p[add] == ',' || !p[add]))
			return;
	if (have + add > 8192)
		return;
	grown = realloc(cfg->planned_seen, have + add + 3);
	if (!grown)
		return;
	snprintf(grown + have, add + 3, "%s%s", have ? ", " : "", name);
	cfg->planned_seen = grown;
}
