/* config_schema.h: internal to the config layer: rows, areas, value-type handlers, error lists. */
#ifndef OBI_CONFIG_SCHEMA_H
#define OBI_CONFIG_SCHEMA_H

#include <stdarg.h>

#include "config.h"

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define NS_PER_MIN (60ull * NS_PER_S)
#define NS_PER_H (60ull * NS_PER_MIN)

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

#define CONFIG_WHY_MAX 512
#define CONFIG_PATH_MAX 256

/* Value types; config_types[] (config_types.c) holds one handler set per type. */
enum config_type {
	CONFIG_T_BOOL,
	CONFIG_T_UINT,
	CONFIG_T_DURATION, /* stored as uint64_t nanoseconds */
	CONFIG_T_SIZE,	   /* bytes */
	CONFIG_T_STRING,   /* heap-allocated, NULL when unset */
	CONFIG_T_ENUM,	   /* index into .enums */
	CONFIG_T_PORTLIST,
	CONFIG_T_INT,	  /* int64_t */
	CONFIG_T_GLOB,	  /* string, validated as a glob */
	CONFIG_T_REGEX,	  /* string, validated as a POSIX extended regex */
	CONFIG_T_FLAGS,	  /* uint64_t bit set over .enums ("a,b", a YAML list, "*" or "all") */
	CONFIG_T_STRLIST, /* struct config_strlist */
	CONFIG_T_MAP,	  /* struct config_map */
	CONFIG_T_OBJLIST, /* struct config_objlist, items described by .sub */
	CONFIG_T_OBJMAP,  /* struct config_objlist keyed by a YAML mapping, items by .sub */
	CONFIG_T_COUNT,
};

/* Implementation state of a row. */
enum config_status {
	CONFIG_DONE = 0, /* read and honoured */
	CONFIG_PLANNED,	 /* recognised and stored, not acted on yet: one warning names it */
};

struct config_row;

/* A table of rows: an area of the top-level schema or the sub-schema of an object. */
struct config_schema {
	const char *title; /* docs section */
	const struct config_row *rows;
	size_t n;
	size_t item_size; /* sub-schemas: size of one object */
	/* cross-field rule on one object (sub-schemas), NULL when fine */
	const char *(*check)(const void *item);
};

struct config_row {
	const char *yaml;   /* dotted path, NULL for environment-only settings */
	const char *env[4]; /* NULL-terminated; the first one set (non-empty) wins */
	enum config_type type;
	size_t off, width;	  /* where the value lives in struct obi_config (or the object) */
	uint64_t min, max;	  /* numbers: bounds (max 0 = the field's); strings: max bytes */
	const char *const *enums; /* NULL-terminated names for CONFIG_T_ENUM and CONFIG_T_FLAGS */
	const char *def;	  /* default, parsed as user input (objects: YAML flow text) */
	unsigned proc;		  /* enum config_proc mask: every process that reads it */
	bool secret;		  /* never printed: dump says <redacted>, errors omit it */
	enum config_status status;
	const struct config_schema *sub; /* CONFIG_T_OBJLIST / CONFIG_T_OBJMAP items */
	/* extra constraint on the stored value: NULL when fine, else why not */
	const char *(*check)(const void *field, const struct config_row *row);
	const char *doc;
};

#define CONFIG_FIELD(f)                                                                            \
	.off = offsetof(struct obi_config, f), .width = sizeof(((struct obi_config *)0)->f)
#define CONFIG_ITEM(type, f) .off = offsetof(type, f), .width = sizeof(((type *)0)->f)

/* Growing text buffer for formatted values; truncates silently at a fixed bound. */
struct config_buf {
	char *p;
	size_t len, cap;
};
void config_buf_puts(struct config_buf *b, const char *s);
void config_buf_putn(struct config_buf *b, const char *s, size_t n);
void config_buf_printf(struct config_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void config_buf_quoted(struct config_buf *b, const char *s); /* YAML double-quoted */
void config_buf_free(struct config_buf *b);

#define CONFIG_SECRETS_MAX 16

/*
 * Every error of a load, one line each; lines that do not fit are counted. Any text equal to a
 * known secret (the values of secret rows' environment variables, which ${VAR} can copy into
 * other settings) is replaced by <redacted> before a line is stored.
 */
struct config_errs {
	char *buf;
	size_t cap, len;
	unsigned n, dropped;
	const char *secrets[CONFIG_SECRETS_MAX];
	unsigned nsecrets;
};
void config_errs_init(struct config_errs *e, char *buf, size_t cap);
void config_errs_secrets_from_env(struct config_errs *e, char *const *envp);
void config_errs_add(struct config_errs *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void config_fmt(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Handlers of one value type. NULL where the type has no such operation. */
struct config_type_ops {
	const char *docs; /* type column of the docs */
	/* whole value from text (environment, YAML scalar, default); why gets the reason */
	int (*parse)(void *field, const struct config_row *row, const char *s, char *why,
		     size_t whylen);
	/* lists: the YAML sequence replaces the value: clear, then add each scalar item */
	void (*clear)(void *field, const struct config_row *row);
	int (*add)(void *field, const struct config_row *row, const char *s, char *why,
		   size_t whylen);
	/* maps: one YAML mapping entry */
	int (*put)(void *field, const struct config_row *row, const char *k, const char *v,
		   char *why, size_t whylen);
	/* objects: a new zeroed item (with its sub-schema defaults applied by the caller) */
	void *(*new_item)(void *field, const struct config_row *row, char *why, size_t whylen);
	void (*format)(const void *field, const struct config_row *row, struct config_buf *out);
	void (*free)(void *field, const struct config_row *row);
	/* range and syntax checks of a stored value (validation of fields set behind our back) */
	int (*check)(const void *field, const struct config_row *row, char *why, size_t whylen);
};
extern const struct config_type_ops *const config_types[CONFIG_T_COUNT];
extern const struct config_type_ops config_ops_bool, config_ops_uint, config_ops_int,
    config_ops_duration, config_ops_size, config_ops_enum, config_ops_flags, config_ops_string,
    config_ops_glob, config_ops_regex, config_ops_portlist, config_ops_strlist, config_ops_map,
    config_ops_objlist, config_ops_objmap;

/* The top-level schema: one table per area (config_schema.c lists them). */
/* Enum name lists more than one area's rows use (defined beside their main rows). */
extern const char *const config_metric_features[], *const config_instrumentations[],
						       *const config_sampler_names[];

extern const struct config_schema *const config_areas[];
extern const size_t config_n_areas;
/* Area tables, defined in config_rows_*.c. */
extern const struct config_schema config_area_general, config_area_selection, config_area_discovery,
    config_area_naming, config_area_ebpf, config_area_probe, config_area_routes,
    config_area_attributes, config_area_kubernetes, config_area_filter, config_area_otlp,
    config_area_metrics, config_area_prometheus, config_area_network;

/* Lookups over a schema (NULL = the top level). */
const struct config_row *config_row_by_yaml(const struct config_schema *s, const char *path);
bool config_is_section(const struct config_schema *s, const char *path);
/* Iterates the top level: *area and *i start at 0; NULL at the end. */
const struct config_row *config_next_row(size_t *area, size_t *i);

/* Field access. */
void *config_field(void *base, const struct config_row *row);
const void *config_cfield(const void *base, const struct config_row *row);
uint64_t config_load_uint(const void *field, size_t width);
void config_store_uint(void *field, size_t width, uint64_t v);
const char *config_row_name(const struct config_row *row);

/* Setting and checking through the handlers (config_set.c). */
int config_set_text(void *base, const struct config_row *row, const char *s, char *why,
		    size_t whylen);
int config_check_value(const void *base, const struct config_row *row, char *why, size_t whylen);
void config_apply_defaults(void *base, const struct config_schema *s);
void config_free_schema(void *base, const struct config_schema *s);
void config_note_planned(struct obi_config *cfg, const struct config_row *row, const char *name);
/* Replaces `why` by a reason that shows no value, for secret rows. */
void config_why_secret(const struct config_row *row, char *why, size_t whylen);

/* Scalar parsing helpers (config_parse.c). */
int config_parse_uint_text(const char *s, uint64_t *out);
int config_parse_int_text(const char *s, int64_t *out);
int config_portlist_append(const char *s, struct config_portlist *pl, char *err, size_t errlen);
void config_format_duration(uint64_t ns, char *buf, size_t len);
void config_format_size(uint64_t v, char *buf, size_t len);
const char *config_getenv(char *const *envp, const char *name);

/* Sources and validation, writing into one error list (config_yaml.c, config_env.c, ...). */
int config_yaml_load(struct obi_config *cfg, const char *text, size_t len, const char *name,
		     struct config_errs *e);
int config_yaml_load_file(struct obi_config *cfg, const char *path, char *const *envp,
			  struct config_errs *e);
int config_env_load(struct obi_config *cfg, char *const *envp, struct config_errs *e);
int config_validate_into(const struct obi_config *cfg, unsigned proc, struct config_errs *e);

/* YAML front end for a sub-schema from text (object defaults): 0 or -1 with why. */
int config_yaml_objlist_text(void *field, const struct config_row *row, const char *text, char *why,
			     size_t whylen);

/* Common row checks. */
const char *config_check_pow2(const void *field, const struct config_row *row);
const char *config_check_sock_path(const void *field, const struct config_row *row);
const char *config_check_ratio(const void *field, const struct config_row *row);
const char *config_check_one_char(const void *field, const struct config_row *row);
const char *config_check_numbers(const void *field, const struct config_row *row);
const char *config_check_pids(const void *field, const struct config_row *row);
const char *config_check_url(const void *field, const struct config_row *row);
void config_redact_url(const char *s, char *out, size_t len);
const char *config_check_globs(const void *field, const struct config_row *row);
const char *config_check_route_patterns(const void *field, const struct config_row *row);

#endif /* OBI_CONFIG_SCHEMA_H */
