/* test_config_schema.c: the schema tables themselves: widths, defaults, names, docs, sub-schemas. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config_schema.h"

/* The storage each type's handlers assume. */
static bool width_ok(const struct config_row *r)
{
	switch (r->type) {
	case CONFIG_T_BOOL:
		return r->width == sizeof(bool);
	case CONFIG_T_UINT:
	case CONFIG_T_ENUM:
		return r->width == 1 || r->width == 2 || r->width == 4 || r->width == 8;
	case CONFIG_T_DURATION:
	case CONFIG_T_FLAGS:
	case CONFIG_T_INT:
		return r->width == 8;
	case CONFIG_T_SIZE:
		return r->width == 4 || r->width == 8;
	case CONFIG_T_STRING:
	case CONFIG_T_GLOB:
	case CONFIG_T_REGEX:
		return r->width == sizeof(char *);
	case CONFIG_T_PORTLIST:
		return r->width == sizeof(struct config_portlist);
	case CONFIG_T_STRLIST:
		return r->width == sizeof(struct config_strlist);
	case CONFIG_T_MAP:
		return r->width == sizeof(struct config_map);
	case CONFIG_T_OBJLIST:
	case CONFIG_T_OBJMAP:
		return r->width == sizeof(struct config_objlist) && r->sub;
	default:
		return false;
	}
}

static void check_rows(const struct config_schema *s, void *base, size_t size, bool top)
{
	char why[CONFIG_WHY_MAX];
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		const struct config_row *r = &s->rows[i];
		const char *name = config_row_name(r);

		if (!name || !r->doc || !*r->doc)
			fail_msg("%s: row %zu has no name or doc", s->title, i);
		if (!width_ok(r) || r->off + r->width > size)
			fail_msg("%s: width/offset do not fit type %d", name, r->type);
		if ((r->type == CONFIG_T_ENUM || r->type == CONFIG_T_FLAGS) && !r->enums)
			fail_msg("%s: no names", name);
		if (top && !r->proc)
			fail_msg("%s: no process reads it", name);
		if (r->def && config_set_text(base, r, r->def, why, sizeof(why)) < 0)
			fail_msg("%s: default \"%s\" does not parse: %s", name, r->def, why);
		if (r->def && config_check_value(base, r, why, sizeof(why)) < 0)
			fail_msg("%s: default fails its check: %s", name, why);
		for (j = 0; j < i; j++)
			if (r->yaml && s->rows[j].yaml && strcmp(r->yaml, s->rows[j].yaml) == 0)
				fail_msg("%s: YAML path twice", r->yaml);
		if (r->sub)
			check_rows(r->sub, calloc(1, r->sub->item_size), r->sub->item_size, false);
	}
	if (!top) {
		config_free_schema(base, s);
		free(base);
	}
}

static void test_rows(void **state)
{
	struct obi_config *c = calloc(1, sizeof(*c));
	size_t a, b, i, j;

	(void)state;
	assert_non_null(c);
	for (a = 0; a < config_n_areas; a++)
		check_rows(config_areas[a], c, sizeof(*c), true);
	config_free(c);
	free(c);
	/* a YAML path is in one area only, and no row's path is another's section */
	for (a = 0; a < config_n_areas; a++)
		for (i = 0; i < config_areas[a]->n; i++)
			for (b = 0; b < config_n_areas; b++)
				for (j = 0; j < config_areas[b]->n; j++) {
					const char *x = config_areas[a]->rows[i].yaml;
					const char *y = config_areas[b]->rows[j].yaml;
					size_t lx = x ? strlen(x) : 0;

					if (!x || !y || (a == b && i == j))
						continue;
					if (strcmp(x, y) == 0)
						fail_msg("%s in two areas", x);
					if (strncmp(x, y, lx) == 0 && y[lx] == '.')
						fail_msg("%s is a value and a section", x);
				}
}

/* Rows that OBI documents with both names resolve to the same setting. */
static void test_aliases(void **state)
{
	static const char *const pairs[][2] = {
	    {"OTEL_EBPF_TRACES_INSTRUMENTATIONS", "OTEL_EBPF_OTEL_TRACES_INSTRUMENTATIONS"},
	    {"OTEL_EBPF_METRICS_INSTRUMENTATIONS", "OTEL_EBPF_OTEL_METRICS_INSTRUMENTATIONS"},
	    {"OTEL_EBPF_INSECURE_SKIP_VERIFY", "OTEL_EBPF_OTEL_INSECURE_SKIP_VERIFY"},
	    {"OTEL_EBPF_SDK_LOG_LEVEL", "OTEL_EBPF_OTEL_SDK_LOG_LEVEL"},
	    {"OTEL_EBPF_METRICS_TTL", "OTEL_EBPF_OTEL_METRICS_TTL"},
	    {"OTEL_EBPF_OTLP_TRACES_BATCH_MAX_SIZE", "OTEL_EBPF_OTLP_TRACES_MAX_EXPORT_BATCH_SIZE"},
	    {"OTEL_EBPF_OTLP_TRACES_QUEUE_SIZE", "OTEL_EBPF_OTLP_TRACES_MAX_QUEUE_SIZE"},
	    {"OTEL_EBPF_AUTO_TARGET_EXE", "OTEL_GO_AUTO_TARGET_EXE"},
	    {"OTEL_SERVICE_NAME", "OTEL_EBPF_SERVICE_NAME"},
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
		const struct config_row *r;
		size_t area = 0, i = 0, j;
		bool found = false;

		while ((r = config_next_row(&area, &i)) && !found)
			for (j = 0; r->env[j] && r->env[j + 1]; j++)
				if (strcmp(r->env[j], pairs[k][0]) == 0 &&
				    strcmp(r->env[j + 1], pairs[k][1]) == 0)
					found = true;
		if (!found)
			fail_msg("no row has %s then %s", pairs[k][0], pairs[k][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_aliases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
