/* config_type_list.c: handlers of the collection types: port lists, string lists, k=v maps. */
#include "hex.h"
#include "config_schema.h"

#include <stdlib.h>
#include <string.h>

static int config_portlist_parse(void *field, const struct config_row *row, const char *s,
				 char *why, size_t whylen)
{
	(void)row;
	return config_parse_portlist(s, field, why, whylen);
}

static void config_portlist_clear(void *field, const struct config_row *row)
{
	(void)row;
	((struct config_portlist *)field)->n = 0;
}

static int config_portlist_add(void *field, const struct config_row *row, const char *s, char *why,
			       size_t whylen)
{
	(void)row;
	return config_portlist_append(s, field, why, whylen);
}

static void config_portlist_format(const void *field, const struct config_row *row,
				   struct config_buf *out)
{
	const struct config_portlist *pl = field;
	unsigned i;

	(void)row;
	if (pl->n == 0) {
		config_buf_puts(out, "null");
		return;
	}
	config_buf_puts(out, "\"");
	for (i = 0; i < pl->n && i < CONFIG_PORTLIST_MAX; i++) {
		if (pl->r[i].lo == pl->r[i].hi)
			config_buf_printf(out, "%s%u", i ? "," : "", pl->r[i].lo);
		else
			config_buf_printf(out, "%s%u-%u", i ? "," : "", pl->r[i].lo, pl->r[i].hi);
	}
	config_buf_puts(out, "\"");
}

const struct config_type_ops config_ops_portlist = {
    .docs = "port list",
    .parse = config_portlist_parse,
    .clear = config_portlist_clear,
    .add = config_portlist_add,
    .format = config_portlist_format,
};

/* ---- string lists ------------------------------------------------------------------------ */

static void config_strlist_clear(void *field, const struct config_row *row)
{
	struct config_strlist *l = field;
	unsigned i;

	(void)row;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->set = true;
}

static void config_strlist_free(void *field, const struct config_row *row)
{
	config_strlist_clear(field, row);
	((struct config_strlist *)field)->set = false;
}

static int config_strlist_add(void *field, const struct config_row *row, const char *s, char *why,
			      size_t whylen)
{
	struct config_strlist *l = field;
	size_t max = row->max ? (size_t)row->max : CONFIG_STRING_MAX;
	size_t len = strnlen(s, CONFIG_STRING_MAX + 1);
	char **grown, *copy;

	if (len > max) {
		config_fmt(why, whylen, "list item is longer than %zu bytes", max);
		return -1;
	}
	if (l->n >= CONFIG_LIST_MAX) {
		config_fmt(why, whylen, "too many list items (at most %d)", CONFIG_LIST_MAX);
		return -1;
	}
	if (row->check) {
		/* item checks see a one-item list */
		struct config_strlist one = {.n = 1, .set = true, .v = (char **)&s};
		const char *bad = row->check(&one, row);

		if (bad) {
			config_fmt(why, whylen, "list item \"%.200s\" %s", s, bad);
			return -1;
		}
	}
	/* capacity doubles at powers of two: n appends copy O(n), not O(n^2) */
	if ((l->n & (l->n - 1)) == 0) {
		grown = realloc(l->v, (l->n ? 2 * l->n : 1) * sizeof(*l->v));
		if (!grown)
			goto oom;
		l->v = grown;
	}
	copy = strndup(s, len);
	if (!copy)
		goto oom;
	l->v[l->n++] = copy;
	l->set = true;
	return 0;
oom:
	config_fmt(why, whylen, "out of memory");
	return -1;
}

/* Splits at commas outside {...} (a glob's alternatives) and trims blanks around items. */
static int config_strlist_parse(void *field, const struct config_row *row, const char *s, char *why,
				size_t whylen)
{
	config_strlist_clear(field, row);
	while (*s) {
		const char *e = s, *b;
		int depth = 0;
		char *item;
		int rc;

		while (*e && (*e != ',' || depth > 0)) {
			depth += *e == '{' ? 1 : *e == '}' ? -1 : 0;
			e++;
		}
		b = e;
		while (*s == ' ' || *s == '\t')
			s++;
		while (b > s && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > s) {
			item = strndup(s, (size_t)(b - s));
			if (!item) {
				config_fmt(why, whylen, "out of memory");
				return -1;
			}
			rc = config_strlist_add(field, row, item, why, whylen);
			free(item);
			if (rc < 0)
				return -1;
		}
		s = *e ? e + 1 : e;
	}
	return 0;
}

static void config_strlist_format(const void *field, const struct config_row *row,
				  struct config_buf *out)
{
	const struct config_strlist *l = field;
	unsigned i;

	(void)row;
	if (!l->set) {
		config_buf_puts(out, "null");
		return;
	}
	config_buf_puts(out, "[");
	for (i = 0; i < l->n; i++) {
		if (i)
			config_buf_puts(out, ", ");
		config_buf_quoted(out, l->v[i]);
	}
	config_buf_puts(out, "]");
}

static int config_strlist_check(const void *field, const struct config_row *row, char *why,
				size_t whylen)
{
	const struct config_strlist *l = field;
	const char *bad = row->check ? row->check(field, row) : NULL;

	if (l->n > CONFIG_LIST_MAX) {
		config_fmt(why, whylen, "too many list items (at most %d)", CONFIG_LIST_MAX);
		return -1;
	}
	if (bad) {
		config_fmt(why, whylen, "%s", bad);
		return -1;
	}
	return 0;
}

const struct config_type_ops config_ops_strlist = {
    .docs = "list of strings",
    .parse = config_strlist_parse,
    .clear = config_strlist_clear,
    .add = config_strlist_add,
    .format = config_strlist_format,
    .free = config_strlist_free,
    .check = config_strlist_check,
};

/* ---- maps --------------------------------------------------------------------------------- */

static void config_map_clear(void *field, const struct config_row *row)
{
	struct config_map *m = field;
	unsigned i;

	(void)row;
	for (i = 0; i < m->n; i++) {
		free(m->kv[i].k);
		free(m->kv[i].v);
	}
	free(m->kv);
	m->kv = NULL;
	m->n = 0;
}

/* A later key replaces an earlier one, as OTEL_EXPORTER_OTLP_HEADERS parsers do. */
static int config_map_put(void *field, const struct config_row *row, const char *k, const char *v,
			  char *why, size_t whylen)
{
	struct config_map *m = field;
	size_t max = row->max ? (size_t)row->max : CONFIG_STRING_MAX;
	struct config_kv *grown;
	char *kc, *vc;
	unsigned i;

	if (!*k) {
		config_fmt(why, whylen, "empty key");
		return -1;
	}
	if (strnlen(k, max + 1) > max || strnlen(v, max + 1) > max) {
		config_fmt(why, whylen, "key or value is longer than %zu bytes", max);
		return -1;
	}
	kc = strdup(k);
	vc = strdup(v);
	if (!kc || !vc)
		goto oom;
	for (i = 0; i < m->n; i++) {
		if (strcmp(m->kv[i].k, k) == 0) {
			free(kc);
			free(m->kv[i].v);
			m->kv[i].v = vc;
			return 0;
		}
	}
	if (m->n >= CONFIG_LIST_MAX) {
		free(kc);
		free(vc);
		config_fmt(why, whylen, "too many entries (at most %d)", CONFIG_LIST_MAX);
		return -1;
	}
	if ((m->n & (m->n - 1)) == 0) {
		grown = realloc(m->kv, (m->n ? 2 * m->n : 1) * sizeof(*m->kv));
		if (!grown)
			goto oom;
		m->kv = grown;
	}
	m->kv[m->n].k = kc;
	m->kv[m->n].v = vc;
	m->n++;
	return 0;
oom:
	free(kc);
	free(vc);
	config_fmt(why, whylen, "out of memory");
	return -1;
}

/* Trims blanks and percent-decodes [s, e) into a new string; NULL on a bad escape or a NUL. */
static char *config_map_decode(const char *s, const char *e)
{
	size_t o = 0;
	char *out;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	out = malloc((size_t)(e - s) + 1);
	if (!out)
		return NULL;
	for (; s < e; s++) {
		if (*s == '%') {
			int hi = s + 2 < e ? hex_digit(s[1]) : -1;
			int lo = hi >= 0 ? hex_digit(s[2]) : -1;

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi * 16 + lo);
			s += 2;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return out;
}

static int config_map_parse_entry(void *field, const struct config_row *row, const char *s,
				  const char *e, unsigned idx, char *why, size_t whylen)
{
	const char *eq = memchr(s, '=', (size_t)(e - s));
	char *k = NULL, *v = NULL;
	int rc = -1;

	if (!eq) {
		config_fmt(why, whylen, "entry %u is not key=value", idx);
		goto out;
	}
	k = config_map_decode(s, eq);
	v = config_map_decode(eq + 1, e);
	if (!k || !v) {
		config_fmt(why, whylen, "entry %u has a bad %%-escape", idx);
		goto out;
	}
	rc = config_map_put(field, row, k, v, why, whylen);
out:
	free(k);
	free(v);
	return rc;
}

/* "k1=v1,k2=v2" with %-escapes (the W3C baggage syntax OTEL_RESOURCE_ATTRIBUTES uses). */
static int config_map_parse(void *field, const struct config_row *row, const char *s, char *why,
			    size_t whylen)
{
	unsigned idx = 1;

	config_map_clear(field, row);
	while (*s) {
		const char *e = strchr(s, ',');

		if (!e)
			e = s + strlen(s);
		if (strspn(s, " \t") < (size_t)(e - s) &&
		    config_map_parse_entry(field, row, s, e, idx, why, whylen) < 0)
			return -1;
		idx++;
		s = *e ? e + 1 : e;
	}
	return 0;
}

static void config_map_format(const void *field, const struct config_row *row,
			      struct config_buf *out)
{
	const struct config_map *m = field;
	unsigned i;

	(void)row;
	config_buf_puts(out, "{");
	for (i = 0; i < m->n; i++) {
		if (i)
			config_buf_puts(out, ", ");
		config_buf_quoted(out, m->kv[i].k);
		config_buf_puts(out, ": ");
		config_buf_quoted(out, m->kv[i].v);
	}
	config_buf_puts(out, "}");
}

const struct config_type_ops config_ops_map = {
    .docs = "map",
    .parse = config_map_parse,
    .clear = config_map_clear,
    .put = config_map_put,
    .format = config_map_format,
    .free = config_map_clear,
};
