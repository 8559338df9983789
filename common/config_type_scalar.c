/* config_type_scalar.c: handlers of the scalar types: bool, uint, int, duration, size, enum, flags.
 */
#include "config_schema.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Copies s without surrounding blanks (noise from shells and YAML block scalars). */
static const char *config_trim(const char *s, char *buf, size_t len, char *why, size_t whylen)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
		s++;
	n = strlen(s);
	while (n && strchr(" \t\n\r\v\f", s[n - 1]))
		n--;
	if (n >= len) {
		config_fmt(why, whylen, "invalid value \"%.32s...\": too long", s);
		return NULL;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

static uint64_t config_row_max(const struct config_row *row)
{
	if (row->max)
		return row->max;
	return row->width >= 8 ? UINT64_MAX : (1ull << (row->width * 8)) - 1;
}

static void config_format_number(const struct config_row *row, uint64_t v, char *buf, size_t len)
{
	if (row->type == CONFIG_T_DURATION)
		config_format_duration(v, buf, len);
	else if (row->type == CONFIG_T_SIZE)
		config_format_size(v, buf, len);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static int config_range(const struct config_row *row, uint64_t v, char *why, size_t whylen)
{
	char a[48], lo[48], hi[48];
	uint64_t max = config_row_max(row);

	if (v >= row->min && v <= max)
		return 0;
	config_format_number(row, v, a, sizeof(a));
	config_format_number(row, row->min, lo, sizeof(lo));
	config_format_number(row, max, hi, sizeof(hi));
	if (row->max)
		config_fmt(why, whylen, "%s out of range %s-%s", a, lo, hi);
	else if (v < row->min)
		config_fmt(why, whylen, "%s is below the minimum %s", a, lo);
	else
		config_fmt(why, whylen, "%s is above the maximum %s", a, hi);
	return -1;
}

/* Range first: the field may be narrower than the parsed value. */
static int config_store_checked(void *field, const struct config_row *row, uint64_t v, char *why,
				size_t whylen)
{
	if (config_range(row, v, why, whylen) < 0)
		return -1;
	config_store_uint(field, row->width, v);
	return 0;
}

static int config_number_check(const void *field, const struct config_row *row, char *why,
			       size_t whylen)
{
	return config_range(row, config_load_uint(field, row->width), why, whylen);
}

static void config_number_format(const void *field, const struct config_row *row,
				 struct config_buf *out)
{
	char buf[64];

	config_format_number(row, config_load_uint(field, row->width), buf, sizeof(buf));
	config_buf_puts(out, buf);
}

static int config_bool_parse(void *field, const struct config_row *row, const char *s, char *why,
			     size_t whylen)
{
	char buf[128];
	const char *t = config_trim(s, buf, sizeof(buf), why, whylen);
	bool b;

	if (!t)
		return -1;
	if (config_parse_bool(t, &b) < 0) {
		config_fmt(why, whylen, "invalid boolean \"%s\": expected true or false", t);
		return -1;
	}
	config_store_uint(field, row->width, b);
	return 0;
}

static void config_bool_format(const void *field, const struct config_row *row,
			       struct config_buf *out)
{
	config_buf_puts(out, config_load_uint(field, row->width) ? "true" : "false");
}

const struct config_type_ops config_ops_bool = {
    .docs = "bool",
    .parse = config_bool_parse,
    .format = config_bool_format,
};

/* The unsigned kinds differ only in their text parser and in how they say what was wrong. */
typedef int (*config_utext_fn)(const char *t, uint64_t *v);
typedef void (*config_uwhy_fn)(const char *t, char *why, size_t whylen);

static int config_unsigned_parse(void *field, const struct config_row *row, const char *s,
				 char *why, size_t whylen, config_utext_fn parse,
				 config_uwhy_fn complain)
{
	char buf[128];
	const char *t = config_trim(s, buf, sizeof(buf), why, whylen);
	uint64_t v;

	if (!t)
		return -1;
	if (parse(t, &v) < 0) {
		complain(t, why, whylen);
		return -1;
	}
	return config_store_checked(field, row, v, why, whylen);
}

static void config_uint_why(const char *t, char *why, size_t whylen)
{
	config_fmt(why, whylen, "invalid number \"%s\": expected a decimal integer", t);
}

static int config_uint_parse(void *field, const struct config_row *row, const char *s, char *why,
			     size_t whylen)
{
	return config_unsigned_parse(field, row, s, why, whylen, config_parse_uint_text,
				     config_uint_why);
}

const struct config_type_ops config_ops_uint = {
    .docs = "integer",
    .parse = config_uint_parse,
    .format = config_number_format,
    .check = config_number_check,
};

static int config_int_parse(void *field, const struct config_row *row, const char *s, char *why,
			    size_t whylen)
{
	char buf[128];
	const char *t = config_trim(s, buf, sizeof(buf), why, whylen);
	int64_t v;

	(void)row;
	if (!t)
		return -1;
	if (config_parse_int_text(t, &v) < 0) {
		config_fmt(why, whylen, "invalid number \"%s\": expected a decimal integer", t);
		return -1;
	}
	memcpy(field, &v, sizeof(v));
	return 0;
}

static void config_int_format(const void *field, const struct config_row *row,
			      struct config_buf *out)
{
	int64_t v;

	(void)row;
	memcpy(&v, field, sizeof(v));
	config_buf_printf(out, "%lld", (long long)v);
}

const struct config_type_ops config_ops_int = {
    .docs = "signed integer",
    .parse = config_int_parse,
    .format = config_int_format,
};

static void config_duration_why(const char *t, char *why, size_t whylen)
{
	size_t len = strlen(t);

	if (len && strspn(t, "0123456789.") == len)
		config_fmt(why, whylen,
			   "invalid duration \"%s\": a unit is required (e.g. \"%ss\" or \"%sms\")",
			   t, t, t);
	else
		config_fmt(why, whylen, "invalid duration \"%s\": expected e.g. 300ms, 1.5s, 1m30s",
			   t);
}

static int config_duration_parse(void *field, const struct config_row *row, const char *s,
				 char *why, size_t whylen)
{
	return config_unsigned_parse(field, row, s, why, whylen, config_parse_duration,
				     config_duration_why);
}

const struct config_type_ops config_ops_duration = {
    .docs = "duration",
    .parse = config_duration_parse,
    .format = config_number_format,
    .check = config_number_check,
};

static void config_size_why(const char *t, char *why, size_t whylen)
{
	config_fmt(why, whylen,
		   "invalid size \"%s\": expected bytes, optionally with B, KiB, MiB, GiB, KB, MB "
		   "or GB",
		   t);
}

static int config_size_parse(void *field, const struct config_row *row, const char *s, char *why,
			     size_t whylen)
{
	return config_unsigned_parse(field, row, s, why, whylen, config_parse_size,
				     config_size_why);
}

const struct config_type_ops config_ops_size = {
    .docs = "size",
    .parse = config_size_parse,
    .format = config_number_format,
    .check = config_number_check,
};

static void config_enum_names(const struct config_row *row, char *buf, size_t len)
{
	size_t off = 0, i;
	int n;

	buf[0] = '\0';
	for (i = 0; row->enums[i] && off < len; i++) {
		n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", row->enums[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static int config_enum_index(const struct config_row *row, const char *t, uint64_t *out, char *why,
			     size_t whylen)
{
	char names[512];
	size_t i;

	for (i = 0; row->enums[i]; i++) {
		if (strcasecmp(t, row->enums[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	config_enum_names(row, names, sizeof(names));
	config_fmt(why, whylen, "invalid value \"%s\": expected one of %s", t, names);
	return -1;
}

static int config_enum_parse(void *field, const struct config_row *row, const char *s, char *why,
			     size_t whylen)
{
	char buf[128];
	const char *t = config_trim(s, buf, sizeof(buf), why, whylen);
	uint64_t v = 0;

	if (!t || config_enum_index(row, t, &v, why, whylen) < 0)
		return -1;
	config_store_uint(field, row->width, v);
	return 0;
}

static void config_enum_format(const void *field, const struct config_row *row,
			       struct config_buf *out)
{
	uint64_t v = config_load_uint(field, row->width), i;

	for (i = 0; row->enums[i]; i++) {
		if (i == v) {
			config_buf_puts(out, row->enums[i]);
			return;
		}
	}
	config_buf_printf(out, "%llu", (unsigned long long)v);
}

static int config_enum_check(const void *field, const struct config_row *row, char *why,
			     size_t whylen)
{
	uint64_t v = config_load_uint(field, row->width), i;

	for (i = 0; row->enums[i]; i++)
		if (i == v)
			return 0;
	config_fmt(why, whylen, "%llu is not a valid value", (unsigned long long)v);
	return -1;
}

const struct config_type_ops config_ops_enum = {
    .docs = "one of",
    .parse = config_enum_parse,
    .format = config_enum_format,
    .check = config_enum_check,
};

/* flags: a bit set; "*" and "all" mean every name, "disabled" and "none" none. */
static int config_flags_add(void *field, const struct config_row *row, const char *s, char *why,
			    size_t whylen)
{
	char buf[128];
	const char *t = config_trim(s, buf, sizeof(buf), why, whylen);
	uint64_t v = config_load_uint(field, 8), i = 0;

	if (!t)
		return -1;
	if (strcmp(t, "*") == 0 || strcasecmp(t, "all") == 0) {
		for (i = 0; i < 64 && row->enums[i]; i++)
			v |= 1ull << i;
	} else if (strcasecmp(t, "disabled") == 0 || strcasecmp(t, "none") == 0) {
		v = 0;
	} else {
		if (config_enum_index(row, t, &i, why, whylen) < 0)
			return -1;
		v |= 1ull << i;
	}
	config_store_uint(field, 8, v);
	return 0;
}

static void config_flags_clear(void *field, const struct config_row *row)
{
	(void)row;
	config_store_uint(field, 8, 0);
}

static int config_flags_parse(void *field, const struct config_row *row, const char *s, char *why,
			      size_t whylen)
{
	char item[128];

	config_flags_clear(field, row);
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);

		if (n >= sizeof(item)) {
			config_fmt(why, whylen, "invalid value \"%.32s...\": too long", s);
			return -1;
		}
		memcpy(item, s, n);
		item[n] = '\0';
		if (config_flags_add(field, row, item, why, whylen) < 0)
			return -1;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

static void config_flags_format(const void *field, const struct config_row *row,
				struct config_buf *out)
{
	uint64_t v = config_load_uint(field, 8), i;
	bool first = true;

	config_buf_puts(out, "[");
	for (i = 0; i < 64 && row->enums[i]; i++) {
		if (v & (1ull << i)) {
			config_buf_printf(out, "%s%s", first ? "" : ", ", row->enums[i]);
			first = false;
		}
	}
	config_buf_puts(out, "]");
}

const struct config_type_ops config_ops_flags = {
    .docs = "list of",
    .parse = config_flags_parse,
    .clear = config_flags_clear,
    .add = config_flags_add,
    .format = config_flags_format,
};
