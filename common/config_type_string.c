/* config_type_string.c: handlers of the string types: plain, glob (validated), regex (validated).
 */
#include "config_schema.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* Product of the counted repetitions of one regex: bounds what regcomp may expand to. */
#define CONFIG_REGEX_REPEAT_MAX 4096

static size_t config_string_max(const struct config_row *row)
{
	return row->max ? (size_t)row->max : CONFIG_STRING_MAX;
}

static int config_string_parse(void *field, const struct config_row *row, const char *s, char *why,
			       size_t whylen)
{
	char *copy, *old;
	size_t len = strnlen(s, CONFIG_STRING_MAX + 1);

	if (len > config_string_max(row)) {
		config_fmt(why, whylen, "value is longer than %zu bytes", config_string_max(row));
		return -1;
	}
	copy = strndup(s, len);
	if (!copy) {
		config_fmt(why, whylen, "out of memory");
		return -1;
	}
	memcpy(&old, field, sizeof(old));
	free(old);
	memcpy(field, &copy, sizeof(copy));
	return 0;
}

static void config_string_format(const void *field, const struct config_row *row,
				 struct config_buf *out)
{
	const char *s;

	(void)row;
	memcpy(&s, field, sizeof(s));
	if (s)
		config_buf_quoted(out, s);
	else
		config_buf_puts(out, "null");
}

static void config_string_free(void *field, const struct config_row *row)
{
	char *s;

	(void)row;
	memcpy(&s, field, sizeof(s));
	free(s);
	s = NULL;
	memcpy(field, &s, sizeof(s));
}

static int config_string_check(const void *field, const struct config_row *row, char *why,
			       size_t whylen)
{
	const char *s;

	memcpy(&s, field, sizeof(s));
	if (s && strlen(s) > config_string_max(row)) {
		config_fmt(why, whylen, "value is longer than %zu bytes", config_string_max(row));
		return -1;
	}
	return 0;
}

const struct config_type_ops config_ops_string = {
    .docs = "string",
    .parse = config_string_parse,
    .format = config_string_format,
    .free = config_string_free,
    .check = config_string_check,
};

/* Why `p` is not a glob our matcher (common/glob.c) handles as meant, or NULL. */
const char *config_glob_problem(const char *p)
{
	bool in_brace = false;

	for (; *p; p++) {
		if (*p == '\\') {
			if (!p[1])
				return "ends with a lone backslash";
			p++;
		} else if (*p == '[') {
			const char *q = p + 1;

			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']')
				q++;
			if (!*q)
				return "has an unterminated [ class";
			p = q;
		} else if (*p == '{') {
			if (in_brace)
				return "nests { } alternatives, which are not supported";
			in_brace = true;
		} else if (*p == '}') {
			if (!in_brace)
				return "has a } without {";
			in_brace = false;
		}
	}
	return in_brace ? "has an unterminated { alternative" : NULL;
}

static int config_glob_validate(const char *s, char *why, size_t whylen)
{
	const char *bad = config_glob_problem(s);

	if (!bad)
		return 0;
	config_fmt(why, whylen, "invalid glob \"%.200s\": %s", s, bad);
	return -1;
}

static int config_glob_parse(void *field, const struct config_row *row, const char *s, char *why,
			     size_t whylen)
{
	if (config_glob_validate(s, why, whylen) < 0)
		return -1;
	return config_string_parse(field, row, s, why, whylen);
}

static int config_glob_check(const void *field, const struct config_row *row, char *why,
			     size_t whylen)
{
	const char *s;

	if (config_string_check(field, row, why, whylen) < 0)
		return -1;
	memcpy(&s, field, sizeof(s));
	return s ? config_glob_validate(s, why, whylen) : 0;
}

const struct config_type_ops config_ops_glob = {
    .docs = "glob",
    .parse = config_glob_parse,
    .format = config_string_format,
    .free = config_string_free,
    .check = config_glob_check,
};

/* Bounds counted repetitions ("a{1000}{1000}" makes regcomp build millions of states). */
static const char *config_regex_repeats(const char *re)
{
	unsigned long product = 1;
	const char *p;

	for (p = re; *p; p++) {
		unsigned long n = 0;

		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p != '{')
			continue;
		for (p++; *p && *p != '}'; p++)
			if (*p >= '0' && *p <= '9' && n < CONFIG_REGEX_REPEAT_MAX + 1)
				n = n * 10 + (unsigned long)(*p - '0');
		if (n > 1)
			product *= n;
		if (product > CONFIG_REGEX_REPEAT_MAX)
			return "counted repetitions multiply beyond 4096";
		if (!*p)
			break;
	}
	return NULL;
}

/*
 * OBI's regexes are Go RE2; we compile POSIX extended ones, rewriting the RE2 spellings real
 * configurations use: (?: groups become plain groups, \d \D become [0-9] [^0-9]. RE2 flag
 * groups ((?i) ...) have no POSIX equivalent and are refused.
 */
int config_regex_compile(const char *re, regex_t *out, char *why, size_t whylen)
{
	size_t len = strlen(re), i, o = 0;
	char *t = malloc(len * 5 + 1);
	const char *bad = config_regex_repeats(re);
	int rc = -1, e;

	if (!t) {
		config_fmt(why, whylen, "out of memory");
		goto out;
	}
	if (bad) {
		config_fmt(why, whylen, "invalid regex \"%.200s\": %s", re, bad);
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (re[i] == '\\' && (re[i + 1] == 'd' || re[i + 1] == 'D')) {
			const char *cls = re[i + 1] == 'd' ? "[0-9]" : "[^0-9]";

			memcpy(t + o, cls, strlen(cls));
			o += strlen(cls);
			i++;
		} else if (re[i] == '\\' && re[i + 1]) {
			t[o++] = re[i++];
			t[o++] = re[i];
		} else if (re[i] == '(' && re[i + 1] == '?') {
			if (re[i + 2] != ':') {
				config_fmt(why, whylen,
					   "invalid regex \"%.200s\": RE2 flag groups such as (?i) "
					   "are not supported",
					   re);
				goto out;
			}
			t[o++] = '(';
			i += 2;
		} else {
			t[o++] = re[i];
		}
	}
	t[o] = '\0';
	e = regcomp(out, t, REG_EXTENDED | REG_NOSUB);
	if (e) {
		char msg[128];

		regerror(e, out, msg, sizeof(msg));
		config_fmt(why, whylen, "invalid regex \"%.200s\": %s", re, msg);
		goto out;
	}
	rc = 0;
out:
	free(t);
	return rc;
}

static int config_regex_validate(const char *s, char *why, size_t whylen)
{
	regex_t re;

	if (config_regex_compile(s, &re, why, whylen) < 0)
		return -1;
	regfree(&re);
	return 0;
}

static int config_regex_parse(void *field, const struct config_row *row, const char *s, char *why,
			      size_t whylen)
{
	if (strnlen(s, CONFIG_STRING_MAX + 1) > config_string_max(row)) {
		config_fmt(why, whylen, "value is longer than %zu bytes", config_string_max(row));
		return -1;
	}
	if (config_regex_validate(s, why, whylen) < 0)
		return -1;
	return config_string_parse(field, row, s, why, whylen);
}

static int config_regex_check(const void *field, const struct config_row *row, char *why,
			      size_t whylen)
{
	const char *s;

	if (config_string_check(field, row, why, whylen) < 0)
		return -1;
	memcpy(&s, field, sizeof(s));
	return s ? config_regex_validate(s, why, whylen) : 0;
}

const struct config_type_ops config_ops_regex = {
    .docs = "regex",
    .parse = config_regex_parse,
    .format = config_string_format,
    .free = config_string_free,
    .check = config_regex_check,
};
