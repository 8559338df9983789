/* config_type_object.c: handlers of lists and mappings of objects that have their own sub-schema.
 */
#include "config_schema.h"

#include <stdlib.h>
#include <string.h>

static void config_objlist_clear(void *field, const struct config_row *row)
{
	struct config_objlist *l = field;
	unsigned i;

	for (i = 0; i < l->n; i++) {
		void *item = config_objlist_at(l, row->sub->item_size, i);

		if (row->type == CONFIG_T_OBJMAP) {
			char *key;

			memcpy(&key, item, sizeof(key));
			free(key);
		}
		config_free_schema(item, row->sub);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
	l->set = true;
}

static void config_objlist_free(void *field, const struct config_row *row)
{
	config_objlist_clear(field, row);
	((struct config_objlist *)field)->set = false;
}

static void *config_objlist_new(void *field, const struct config_row *row, char *why, size_t whylen)
{
	struct config_objlist *l = field;
	size_t sz = row->sub->item_size;
	void *grown, *item;

	if (l->n >= CONFIG_LIST_MAX) {
		config_fmt(why, whylen, "too many entries (at most %d)", CONFIG_LIST_MAX);
		return NULL;
	}
	/* capacity doubles at powers of two, so n appends copy O(n) bytes, not O(n^2) */
	if ((l->n & (l->n - 1)) == 0) {
		grown = realloc(l->items, (l->n ? 2 * l->n : 1) * sz);
		if (!grown) {
			config_fmt(why, whylen, "out of memory");
			return NULL;
		}
		l->items = grown;
	}
	item = config_objlist_at(l, sz, l->n++);
	memset(item, 0, sz);
	config_apply_defaults(item, row->sub);
	l->set = true;
	return item;
}

static bool config_is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

/* One object as a YAML flow mapping of the fields that are set. */
static void config_item_format(const void *item, const struct config_schema *s,
			       struct config_buf *out)
{
	bool first = true;
	size_t i;

	config_buf_puts(out, "{");
	for (i = 0; i < s->n; i++) {
		const struct config_row *r = &s->rows[i];
		const void *f = config_cfield(item, r);

		if (!r->yaml || config_is_zero(f, r->width))
			continue;
		config_buf_printf(out, "%s%s: ", first ? "" : ", ", r->yaml);
		first = false;
		if (r->secret)
			config_buf_puts(out, "\"<redacted>\"");
		else
			config_types[r->type]->format(f, r, out);
	}
	config_buf_puts(out, "}");
}

/* Dotted sub-row names ("sampler.name") are printed flat; the YAML front end reads them back. */
static void config_objlist_format(const void *field, const struct config_row *row,
				  struct config_buf *out)
{
	const struct config_objlist *l = field;
	size_t sz = row->sub->item_size;
	unsigned i;

	if (!l->set) {
		config_buf_puts(out, "null");
		return;
	}
	config_buf_puts(out, row->type == CONFIG_T_OBJMAP ? "{" : "[");
	for (i = 0; i < l->n; i++) {
		const void *item = config_objlist_at(l, sz, i);

		if (i)
			config_buf_puts(out, ", ");
		if (row->type == CONFIG_T_OBJMAP) {
			const char *key;

			memcpy(&key, item, sizeof(key));
			config_buf_quoted(out, key ? key : "");
			config_buf_puts(out, ": ");
		}
		config_item_format(item, row->sub, out);
	}
	config_buf_puts(out, row->type == CONFIG_T_OBJMAP ? "}" : "]");
}

static int config_objlist_check(const void *field, const struct config_row *row, char *why,
				size_t whylen)
{
	const struct config_objlist *l = field;
	size_t sz = row->sub->item_size, i;
	unsigned k;

	for (k = 0; k < l->n; k++) {
		const void *item = config_objlist_at(l, sz, k);
		char sub[CONFIG_WHY_MAX];
		const char *bad;

		for (i = 0; i < row->sub->n; i++) {
			if (config_check_value(item, &row->sub->rows[i], sub, sizeof(sub)) < 0) {
				config_fmt(why, whylen, "entry %u: %s: %s", k + 1,
					   row->sub->rows[i].yaml, sub);
				return -1;
			}
		}
		bad = row->sub->check ? row->sub->check(item) : NULL;
		if (bad) {
			config_fmt(why, whylen, "entry %u: %s", k + 1, bad);
			return -1;
		}
	}
	return 0;
}

/* Text is a YAML flow sequence (how object defaults are written in the schema). */
static int config_objlist_parse(void *field, const struct config_row *row, const char *s, char *why,
				size_t whylen)
{
	return config_yaml_objlist_text(field, row, s, why, whylen);
}

const struct config_type_ops config_ops_objlist = {
    .docs = "list of objects",
    .parse = config_objlist_parse,
    .clear = config_objlist_clear,
    .new_item = config_objlist_new,
    .format = config_objlist_format,
    .free = config_objlist_free,
    .check = config_objlist_check,
};

const struct config_type_ops config_ops_objmap = {
    .docs = "mapping of objects",
    .parse = config_objlist_parse,
    .clear = config_objlist_clear,
    .new_item = config_objlist_new,
    .format = config_objlist_format,
    .free = config_objlist_free,
    .check = config_objlist_check,
};
