/* config_checks.c: constraints rows attach to their values (.check): NULL when fine, else why. */
#include "config_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static const char *config_str(const void *field)
{
	const char *s;

	memcpy(&s, field, sizeof(s));
	return s;
}

const char *config_check_pow2(const void *field, const struct config_row *row)
{
	uint64_t v = config_load_uint(field, row->width);

	return v && (v & (v - 1)) == 0 ? NULL : "must be a power of two";
}

const char *config_check_sock_path(const void *field, const struct config_row *row)
{
	const char *s = config_str(field);

	(void)row;
	if (!s)
		return "must be set";
	if (s[0] != '/')
		return "must be an absolute path";
	if (strlen(s) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return "is too long for a Unix socket (at most 107 bytes)";
	return NULL;
}

/* A sampler ratio: a decimal number from 0 to 1. */
const char *config_check_ratio(const void *field, const struct config_row *row)
{
	const char *s = config_str(field);
	char *end;
	double d;

	(void)row;
	if (!s)
		return NULL;
	d = strtod(s, &end);
	if (end == s || *end || !(d >= 0.0 && d <= 1.0))
		return "is not a ratio from 0 to 1";
	return NULL;
}

const char *config_check_one_char(const void *field, const struct config_row *row)
{
	const char *s = config_str(field);

	(void)row;
	return s && strlen(s) != 1 ? "must be a single character" : NULL;
}

/* Every item of a string list is a finite decimal number (histogram bucket bounds). */
const char *config_check_numbers(const void *field, const struct config_row *row)
{
	const struct config_strlist *l = field;
	unsigned i;

	(void)row;
	for (i = 0; i < l->n; i++) {
		char *end;
		double d = strtod(l->v[i], &end);

		if (end == l->v[i] || *end || d != d || d > 1e300 || d < -1e300)
			return "is not a number";
	}
	return NULL;
}

/* Every item is a process id (OBI's IntEnum, so ranges are fine). */
const char *config_check_pids(const void *field, const struct config_row *row)
{
	const struct config_strlist *l = field;
	unsigned i;

	(void)row;
	for (i = 0; i < l->n; i++) {
		const char *p = l->v[i];
		uint64_t lo, hi;
		char a[24];
		const char *dash = strchr(p, '-');
		size_t n = dash ? (size_t)(dash - p) : strlen(p);

		if (n == 0 || n >= sizeof(a))
			return "is not a PID or PID range";
		memcpy(a, p, n);
		a[n] = '\0';
		if (config_parse_uint_text(a, &lo) < 0 || lo < 1 || lo > 4194304)
			return "is not a PID or PID range";
		hi = lo;
		if (dash && (config_parse_uint_text(dash + 1, &hi) < 0 || hi > 4194304))
			return "is not a PID or PID range";
		if (hi < lo)
			return "is a backwards range";
	}
	return NULL;
}

/* An OTLP endpoint: scheme://host[:port][/path]. */
const char *config_check_url(const void *field, const struct config_row *row)
{
	const char *s = config_str(field), *host;

	(void)row;
	if (!s)
		return NULL;
	host = strstr(s, "://");
	if (!host || host == s)
		return "is not a URL (expected scheme://host:port)";
	if (!host[3] || host[3] == '/' || host[3] == ':')
		return "has no host";
	if (strpbrk(s, " \t\r\n"))
		return "contains blanks";
	/* Only OTLP endpoints use this check, and both exporters speak HTTP(S) only. */
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return "must be an http:// or https:// URL";
	return NULL;
}

/* Every item of a string list is a well-formed glob. */
const char *config_check_globs(const void *field, const struct config_row *row)
{
	const struct config_strlist *l = field;
	unsigned i;

	(void)row;
	for (i = 0; i < l->n; i++)
		if (config_glob_problem(l->v[i]))
			return config_glob_problem(l->v[i]);
	return NULL;
}

/*
 * Route templates: absolute paths, no query, no blanks; `{name}` braces balanced; within the
 * enricher's matcher bounds (enricher/route.h: 1024 bytes and 64 segments a pattern), so a
 * pattern --check-config accepts is one the enricher compiles.
 */
const char *config_check_route_patterns(const void *field, const struct config_row *row)
{
	const struct config_strlist *l = field;
	unsigned i;

	(void)row;
	for (i = 0; i < l->n; i++) {
		const char *p = l->v[i];
		int depth = 0, segs = 0;

		if (p[0] != '/')
			return "must start with /";
		if (strlen(p) > 1024)
			return "is longer than 1024 bytes";
		for (; *p; p++) {
			if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '?' || *p == '#')
				return "must not contain blanks, control characters, ? or #";
			segs += *p == '/';
			depth += *p == '{' ? 1 : *p == '}' ? -1 : 0;
			if (depth < 0 || depth > 1)
				return "has unbalanced { }";
		}
		if (depth)
			return "has unbalanced { }";
		if (segs - (p[-1] == '/') > 64)
			return "has more than 64 segments";
	}
	return NULL;
}

/*
 * An endpoint's user:password@ part is a credential (a Grafana Cloud URL often carries one,
 * also through ${VAR}): shown as <redacted>@ in the dump and in errors.
 */
void config_redact_url(const char *s, char *out, size_t len)
{
	const char *sep = strstr(s, "://");
	const char *host = sep ? sep + 3 : s;
	/* without "://" the text is malformed: anything before an '@' may be a credential */
	const char *at = sep ? strchr(host, '@') : strrchr(host, '@');
	const char *slash = strchr(host, '/');

	if (!at || (sep && slash && slash < at)) {
		snprintf(out, len, "%s", s);
		return;
	}
	snprintf(out, len, "%.*s<redacted>%s", (int)(host - s), s, at);
}
