/* config_dump.c: --dump-config: the effective configuration as YAML, secrets redacted. */
#include "config_schema.h"

#include <string.h>

static bool config_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return false;
	return true;
}

static void config_dump_value(const struct obi_config *cfg, const struct config_row *row, FILE *out)
{
	struct config_buf b = {0};
	const void *f = config_cfield(cfg, row);
	unsigned i;

	if (row->secret) {
		fputs(config_zero(f, row->width) ? "null" : "\"<redacted>\"", out);
		return;
	}
	config_types[row->type]->format(f, row, &b);
	for (i = 0; b.p && i < cfg->n_secret_values; i++) {
		/* ${VAR} copied a secret into an ordinary setting: hide the whole value */
		if (strstr(b.p, cfg->secret_values[i])) {
			fputs("\"<redacted>\"", out);
			config_buf_free(&b);
			return;
		}
	}
	if (row->check == config_check_url && b.p) {
		char red[1100];

		config_redact_url(b.p, red, sizeof(red));
		fputs(red, out);
	} else {
		fputs(b.p ? b.p : "null", out);
	}
	config_buf_free(&b);
}

/* Number of leading dotted components two paths share. */
static size_t config_common_depth(const char *a, const char *b)
{
	size_t depth = 0;

	for (;;) {
		const char *da = strchr(a, '.'), *db = strchr(b, '.');

		if (!da || !db || da - a != db - b || strncmp(a, b, (size_t)(da - a)) != 0)
			return depth;
		depth++;
		a = da + 1;
		b = db + 1;
	}
}

/* Opens the sections this key needs that the previous key did not, then prints it. */
static void config_dump_row(const struct obi_config *cfg, const struct config_row *row,
			    const char *prev, FILE *out)
{
	size_t depth = config_common_depth(prev, row->yaml), d;
	const char *p = row->yaml;

	for (d = 0; d < depth; d++)
		p = strchr(p, '.') + 1;
	for (;;) {
		const char *dot = strchr(p, '.');

		if (!dot)
			break;
		fprintf(out, "%*s%.*s:\n", (int)(depth * 2), "", (int)(dot - p), p);
		depth++;
		p = dot + 1;
	}
	fprintf(out, "%*s%s: ", (int)(depth * 2), "", p);
	config_dump_value(cfg, row, out);
	fputc('\n', out);
}

/*
 * Rows are printed grouped by their first path component, so a section that rows of two areas
 * share (attributes.kubernetes and attributes.select) is opened once.
 */
void config_dump(const struct obi_config *cfg, FILE *out)
{
	const struct config_row *row, *r2;
	size_t area = 0, i = 0, a2, i2;
	const char *prev = "";

	fputs("# Effective configuration (defaults < YAML file < environment).\n", out);
	if (cfg->config_path) {
		fputs("# Loaded from ", out);
		fputs(cfg->config_path, out);
		fputc('\n', out);
	}
	while ((row = config_next_row(&area, &i))) {
		if (row->yaml)
			continue;
		fprintf(out, "# %s: ", row->env[0]);
		config_dump_value(cfg, row, out);
		fputc('\n', out);
	}
	area = i = 0;
	while ((row = config_next_row(&area, &i))) {
		const char *dot;
		size_t top;
		bool seen = false;

		if (!row->yaml)
			continue;
		dot = strchr(row->yaml, '.');
		top = dot ? (size_t)(dot - row->yaml) + 1 : strlen(row->yaml);
		/* a row whose section was already printed with an earlier row is done */
		a2 = i2 = 0;
		while ((r2 = config_next_row(&a2, &i2)) && r2 != row)
			if (r2->yaml && dot && strncmp(r2->yaml, row->yaml, top) == 0)
				seen = true;
		if (seen)
			continue;
		a2 = area;
		i2 = i - 1;
		while ((r2 = config_next_row(&a2, &i2))) {
			if (!r2->yaml ||
			    (r2 != row && (!dot || strncmp(r2->yaml, row->yaml, top) != 0)))
				continue;
			config_dump_row(cfg, r2, prev, out);
			prev = r2->yaml;
		}
	}
}
