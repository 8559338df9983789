/* config_yaml.c: the YAML source: bounded pre-scan, then a schema-driven walk of the document. */
#include "config_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Nodes the walk may visit: aliases share nodes, so a small file can name billions of them. */
#define CONFIG_YAML_NODES_MAX 100000u
/* Past this many errors the rest of a file is noise (and an alias bomb makes millions). */
#define CONFIG_YAML_ERRORS_MAX 200u

struct config_yaml {
	struct obi_config *cfg; /* planned-option notes; NULL for object defaults */
	yaml_document_t *doc;
	const char *name;
	struct config_errs *e;
	unsigned budget;
	bool stop; /* the budget ran out: one error, then nothing more */
};

static unsigned long config_line(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

/* A plain "~", "null" or empty scalar means "no value here": the setting keeps what it had. */
static bool config_yaml_is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE)
		return false;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
	    n->data.scalar.style != YAML_ANY_SCALAR_STYLE)
		return false;
	return n->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static bool config_yaml_has_nul(const yaml_node_t *n)
{
	return memchr(n->data.scalar.value, '\0', n->data.scalar.length) != NULL;
}

static bool config_yaml_spend(struct config_yaml *y, const yaml_node_t *n)
{
	if (y->stop)
		return false;
	if (y->e->n >= CONFIG_YAML_ERRORS_MAX) {
		config_errs_add(y->e, "config: %s:%lu: too many errors, stopped reading", y->name,
				config_line(n));
		y->stop = true;
		return false;
	}
	if (y->budget-- > 0)
		return true;
	config_errs_add(y->e,
			"config: %s:%lu: more than %u YAML nodes once aliases are expanded "
			"(alias bomb?): refused",
			y->name, config_line(n), CONFIG_YAML_NODES_MAX);
	y->stop = true;
	return false;
}

static void config_yaml_err(struct config_yaml *y, const yaml_node_t *n, const char *key,
			    const char *why)
{
	config_errs_add(y->e, "config: %s:%lu: %s: %s", y->name, config_line(n), key, why);
}

static void config_yaml_mapping(struct config_yaml *y, const struct config_schema *s, void *base,
				const yaml_node_t *map, const char *prefix, const char *shown);

static void config_yaml_scalar(struct config_yaml *y, const struct config_row *row, void *base,
			       const yaml_node_t *val, const char *shown)
{
	char why[CONFIG_WHY_MAX];

	if (config_yaml_is_null(val))
		return;
	if (config_yaml_has_nul(val)) {
		config_yaml_err(y, val, shown, "value contains a NUL byte");
		return;
	}
	if (row->type == CONFIG_T_OBJLIST) {
		config_yaml_err(y, val, shown, "expected a list of objects, not a single value");
		return;
	}
	if (row->type == CONFIG_T_OBJMAP || row->type == CONFIG_T_MAP) {
		config_yaml_err(y, val, shown, "expected a mapping, not a single value");
		return;
	}
	if (config_set_text(base, row, (const char *)val->data.scalar.value, why, sizeof(why)) < 0)
		config_yaml_err(y, val, shown, why);
}

/* Scalar items of a list setting (ports, strings, flags); the list replaces the old value. */
static void config_yaml_items(struct config_yaml *y, const struct config_row *row, void *field,
			      const yaml_node_t *seq, const char *shown)
{
	const struct config_type_ops *ops = config_types[row->type];
	char why[CONFIG_WHY_MAX];
	yaml_node_item_t *it;

	ops->clear(field, row);
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		const yaml_node_t *item = yaml_document_get_node(y->doc, *it);

		if (!item || !config_yaml_spend(y, item))
			return;
		if (item->type != YAML_SCALAR_NODE || config_yaml_has_nul(item)) {
			config_yaml_err(y, item, shown, "list items must be single values");
			continue;
		}
		if (ops->add(field, row, (const char *)item->data.scalar.value, why, sizeof(why)) <
		    0)
			config_yaml_err(y, item, shown,
					row->secret ? "invalid item (secret)" : why);
	}
}

/* One object of a list or mapping of objects: its own sub-schema, then its cross-field rule. */
static void config_yaml_object(struct config_yaml *y, const struct config_row *row, void *field,
			       const yaml_node_t *node, const char *key, const char *shown)
{
	char why[CONFIG_WHY_MAX];
	void *item = config_types[row->type]->new_item(field, row, why, sizeof(why));
	unsigned before = y->e->n;
	const char *bad;

	if (!item) {
		config_yaml_err(y, node, shown, why);
		return;
	}
	/* objects of a mapping keep their key in their first field */
	if (key && !(*(char **)item = strdup(key))) {
		config_yaml_err(y, node, shown, "out of memory");
		return;
	}
	if (node->type == YAML_MAPPING_NODE)
		config_yaml_mapping(y, row->sub, item, node, "", shown);
	else if (!config_yaml_is_null(node)) {
		config_yaml_err(y, node, shown, "expected an object (a mapping of fields)");
		return;
	}
	/* the object's own rule only means something when its fields were fine */
	bad = row->sub->check && y->e->n == before ? row->sub->check(item) : NULL;
	if (bad)
		config_yaml_err(y, node, shown, bad);
}

static void config_yaml_sequence(struct config_yaml *y, const struct config_row *row, void *base,
				 const yaml_node_t *seq, const char *shown)
{
	const struct config_type_ops *ops = config_types[row->type];
	void *field = config_field(base, row);
	char at[CONFIG_PATH_MAX + 16];
	yaml_node_item_t *it;
	unsigned k = 0;

	if (ops->add) {
		config_yaml_items(y, row, field, seq, shown);
		return;
	}
	if (row->type != CONFIG_T_OBJLIST) {
		config_yaml_err(y, seq, shown,
				row->type == CONFIG_T_MAP || row->type == CONFIG_T_OBJMAP
				    ? "expected a mapping, not a list"
				    : "expected a single value, not a list");
		return;
	}
	ops->clear(field, row);
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		const yaml_node_t *item = yaml_document_get_node(y->doc, *it);

		if (!item || !config_yaml_spend(y, item))
			return;
		snprintf(at, sizeof(at), "%s[%u]", shown, ++k);
		config_yaml_object(y, row, field, item, NULL, at);
	}
}

/* "key: [a, b]" inside a map is stored as "a,b" (resource_labels: first present wins). */
static int config_yaml_join(struct config_yaml *y, const yaml_node_t *seq, char *out, size_t len)
{
	yaml_node_item_t *it;
	size_t off = 0;

	out[0] = '\0';
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		const yaml_node_t *item = yaml_document_get_node(y->doc, *it);
		int n;

		if (!item || !config_yaml_spend(y, item) || item->type != YAML_SCALAR_NODE ||
		    config_yaml_has_nul(item))
			return -1;
		n = snprintf(out + off, len - off, "%s%s", off ? "," : "",
			     (const char *)item->data.scalar.value);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static void config_yaml_map_value(struct config_yaml *y, const struct config_row *row, void *base,
				  const yaml_node_t *map, const char *shown)
{
	const struct config_type_ops *ops = config_types[row->type];
	void *field = config_field(base, row);
	char why[CONFIG_WHY_MAX], joined[CONFIG_STRING_MAX + 1], at[CONFIG_PATH_MAX * 2];
	yaml_node_pair_t *pair;

	if (row->type != CONFIG_T_MAP && row->type != CONFIG_T_OBJMAP) {
		config_yaml_err(y, map, shown,
				row->type == CONFIG_T_OBJLIST
				    ? "expected a list of objects, not a mapping"
				    : "expected a value, not a mapping");
		return;
	}
	ops->clear(field, row);
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const yaml_node_t *k = yaml_document_get_node(y->doc, pair->key);
		const yaml_node_t *v = yaml_document_get_node(y->doc, pair->value);
		const char *key, *val;

		if (!k || !v || !config_yaml_spend(y, k))
			return;
		if (k->type != YAML_SCALAR_NODE || config_yaml_has_nul(k)) {
			config_yaml_err(y, k, shown, "keys must be plain names");
			continue;
		}
		key = (const char *)k->data.scalar.value;
		snprintf(at, sizeof(at), "%s.%.200s", shown, key);
		if (row->type == CONFIG_T_OBJMAP) {
			config_yaml_object(y, row, field, v, key, at);
			continue;
		}
		if (v->type == YAML_SEQUENCE_NODE) {
			if (config_yaml_join(y, v, joined, sizeof(joined)) < 0) {
				config_yaml_err(y, v, at, "expected a list of short strings");
				continue;
			}
			val = joined;
		} else if (v->type == YAML_SCALAR_NODE && !config_yaml_has_nul(v)) {
			val = config_yaml_is_null(v) ? "" : (const char *)v->data.scalar.value;
		} else {
			config_yaml_err(y, v, at, "expected a single value");
			continue;
		}
		if (ops->put(field, row, key, val, why, sizeof(why)) < 0)
			config_yaml_err(y, v, at, why);
	}
}

static void config_yaml_row(struct config_yaml *y, const struct config_row *row, void *base,
			    const yaml_node_t *val, const char *shown)
{
	config_note_planned(y->cfg, row, shown);
	switch (val->type) {
	case YAML_SCALAR_NODE:
		config_yaml_scalar(y, row, base, val, shown);
		break;
	case YAML_SEQUENCE_NODE:
		config_yaml_sequence(y, row, base, val, shown);
		break;
	case YAML_MAPPING_NODE:
		config_yaml_map_value(y, row, base, val, shown);
		break;
	default:
		config_yaml_err(y, val, shown, "unsupported YAML node");
	}
}

static void config_yaml_pair(struct config_yaml *y, const struct config_schema *s, void *base,
			     const yaml_node_t *key, const yaml_node_t *val, const char *prefix,
			     const char *shown)
{
	char path[CONFIG_PATH_MAX], disp[CONFIG_PATH_MAX * 2];
	const struct config_row *row;
	int n;

	n = snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "",
		     (const char *)key->data.scalar.value);
	snprintf(disp, sizeof(disp), "%s%s%.*s", shown, *shown ? "." : "", (int)sizeof(path) - 1,
		 (const char *)key->data.scalar.value);
	if (n < 0 || (size_t)n >= sizeof(path))
		goto unknown;
	row = config_row_by_yaml(s, path);
	if (row) {
		config_yaml_row(y, row, base, val, disp);
		return;
	}
	if (!config_is_section(s, path))
		goto unknown;
	if (val->type == YAML_MAPPING_NODE)
		config_yaml_mapping(y, s, base, val, path, disp);
	else if (!config_yaml_is_null(val)) /* "ebpf:" with nothing under it is harmless */
		config_errs_add(y->e, "config: %s:%lu: \"%s\" is a section: expected a mapping",
				y->name, config_line(val), disp);
	return;
unknown:
	config_errs_add(y->e, "config: %s:%lu: unknown key \"%.*s\"", y->name, config_line(key),
			CONFIG_PATH_MAX, disp);
}

/* `prefix` is the path inside schema s; `shown` the same place as the user reads it. */
static void config_yaml_mapping(struct config_yaml *y, const struct config_schema *s, void *base,
				const yaml_node_t *map, const char *prefix, const char *shown)
{
	yaml_node_pair_t *pair;

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		const yaml_node_t *key = yaml_document_get_node(y->doc, pair->key);
		const yaml_node_t *val = yaml_document_get_node(y->doc, pair->value);

		if (!key || !val) {
			config_errs_add(y->e, "config: %s:%lu: malformed mapping", y->name,
					config_line(map));
			return;
		}
		if (!config_yaml_spend(y, key))
			return;
		if (key->type != YAML_SCALAR_NODE || config_yaml_has_nul(key)) {
			config_errs_add(y->e, "config: %s:%lu: keys must be plain names", y->name,
					config_line(key));
			continue;
		}
		config_yaml_pair(y, s, base, key, val, prefix, shown);
	}
}

static void config_yaml_syntax(const yaml_parser_t *p, const char *name, struct config_errs *e)
{
	if (p->problem)
		config_errs_add(e, "config: %s:%lu:%lu: YAML syntax error: %s", name,
				(unsigned long)p->problem_mark.line + 1,
				(unsigned long)p->problem_mark.column + 1, p->problem);
	else
		config_errs_add(e, "config: %s: YAML error (out of memory?)", name);
}

/* One event of the pre-scan: 1 at the end of the stream, 0 to go on, -1 refused. */
static int config_yaml_prescan_event(const yaml_event_t *ev, unsigned *depth, unsigned *docs,
				     const char *name, struct config_errs *e)
{
	unsigned long line = (unsigned long)ev->start_mark.line + 1;

	/* the second document's first node names the line, as the user sees it */
	if (*docs > 1 && ev->type != YAML_DOCUMENT_START_EVENT) {
		config_errs_add(e, "config: %s:%lu: only one YAML document is supported", name,
				line);
		return -1;
	}
	switch (ev->type) {
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++*depth > CONFIG_YAML_DEPTH_MAX) {
			config_errs_add(
			    e, "config: %s:%lu: YAML nested deeper than %d levels: refused", name,
			    line, CONFIG_YAML_DEPTH_MAX);
			return -1;
		}
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		--*depth;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		++*docs;
		return 0;
	case YAML_STREAM_END_EVENT:
		return 1;
	default:
		return 0;
	}
}

/*
 * Events only, before anything is built: refuses nesting deeper than CONFIG_YAML_DEPTH_MAX and
 * more than one document, so no tree of a hostile document is ever built (a 200k-deep one took
 * 99 s per process through yaml_parser_load).
 */
static int config_yaml_prescan(const char *text, size_t len, const char *name,
			       struct config_errs *e)
{
	yaml_parser_t p;
	yaml_event_t ev;
	unsigned depth = 0, docs = 0;
	int rc = 0;

	if (!yaml_parser_initialize(&p)) {
		config_errs_add(e, "config: %s: out of memory", name);
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			config_yaml_syntax(&p, name, e);
			rc = -1;
			break;
		}
		rc = config_yaml_prescan_event(&ev, &depth, &docs, name, e);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc < 0 ? -1 : 0;
}

/* Loads the single document and walks it with schema s into base. */
static int config_yaml_walk(struct config_yaml *y, const struct config_schema *s, void *base,
			    const char *text, size_t len, const struct config_row *root_row)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	const yaml_node_t *root;
	unsigned before = y->e->n;
	int rc = -1;

	if (config_yaml_prescan(text, len, y->name, y->e) < 0)
		return -1;
	if (!yaml_parser_initialize(&parser)) {
		config_errs_add(y->e, "config: %s: out of memory", y->name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		config_yaml_syntax(&parser, y->name, y->e);
		goto out_parser;
	}
	y->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root || config_yaml_is_null(root)) {
		/* empty or comments only: nothing to apply */
	} else if (root_row) {
		config_yaml_row(y, root_row, base, root, root_row->yaml ? root_row->yaml : "value");
	} else if (root->type != YAML_MAPPING_NODE) {
		config_errs_add(y->e, "config: %s:%lu: expected a mapping of settings", y->name,
				config_line(root));
	} else {
		config_yaml_mapping(y, s, base, root, "", "");
	}
	rc = y->e->n == before ? 0 : -1;
	y->doc = NULL;
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	return rc;
}

int config_yaml_load(struct obi_config *cfg, const char *text, size_t len, const char *name,
		     struct config_errs *e)
{
	struct config_yaml y = {.cfg = cfg, .e = e, .budget = CONFIG_YAML_NODES_MAX};

	y.name = name ? name : "<yaml>";
	return config_yaml_walk(&y, NULL, cfg, text ? text : "", text ? len : 0, NULL);
}

int config_apply_yaml(struct obi_config *cfg, const char *text, size_t len, const char *name,
		      char *err, size_t errlen)
{
	struct config_errs e;

	config_errs_init(&e, err, errlen);
	return config_yaml_load(cfg, text, len, name, &e);
}

/* Object defaults in the schema are YAML flow text ("[{exe_path: '*alloy'}]"). */
int config_yaml_objlist_text(void *field, const struct config_row *row, const char *text, char *why,
			     size_t whylen)
{
	struct config_errs e;
	struct config_yaml y = {.e = &e, .name = "value", .budget = CONFIG_YAML_NODES_MAX};
	/* the walk sets the row at offset 0 of a fake base so the field is written in place */
	struct config_row r = *row;

	config_errs_init(&e, why, whylen);
	r.off = 0;
	return config_yaml_walk(&y, NULL, field, text, strlen(text), &r);
}
