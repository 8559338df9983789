/* config_values.h: the value containers a setting can hold (port lists, lists, maps, objects). */
#ifndef OBI_CONFIG_VALUES_H
#define OBI_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_PORTLIST_MAX 64
#define CONFIG_LIST_MAX 1024	 /* items in any list, map or list of objects */
#define CONFIG_STRING_MAX 4096	 /* bytes in any string value unless the row says less */
#define CONFIG_YAML_DEPTH_MAX 32 /* nesting levels of a YAML document */

/* Ports and ranges as OBI's PortEnum: "80", "80,443", "8000-8999". */
struct config_portlist {
	unsigned n;
	struct {
		uint16_t lo, hi;
	} r[CONFIG_PORTLIST_MAX];
};

/* A list of strings ("a,b" from the environment, a YAML sequence or scalar). */
struct config_strlist {
	unsigned n;
	bool set; /* distinguishes "[]" (set, empty) from "not given" */
	char **v;
};

struct config_kv {
	char *k, *v;
};

/* k=v pairs: OTEL_EXPORTER_OTLP_HEADERS syntax (percent-decoded) or a YAML mapping. */
struct config_map {
	unsigned n;
	struct config_kv *kv;
};

/*
 * A list of objects described by a sub-schema (discovery.instrument entries, filters). `items`
 * holds n structs of the sub-schema's item size. For a mapping of objects (filter.application:
 * {url_path: {...}}), each item's first field is `char *key`, the mapping key.
 */
struct config_objlist {
	unsigned n;
	bool set;
	void *items;
};

/* Item of a list of objects, i-th. */
static inline void *config_objlist_at(const struct config_objlist *l, size_t item_size, unsigned i)
{
	return (char *)l->items + (size_t)i * item_size;
}

#endif /* OBI_CONFIG_VALUES_H */
