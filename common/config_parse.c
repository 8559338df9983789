/* config_parse.c: scalar syntax shared by every source: numbers, durations, sizes, booleans, ports.
 */
#include "config_schema.h"

#include <string.h>

static bool config_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static const char *config_skip_space(const char *p)
{
	while (config_is_space(*p))
		p++;
	return p;
}

/* v = v * 10 + digit, refusing to wrap around. */
static int config_digit(uint64_t *v, char c)
{
	uint64_t d = (uint64_t)(c - '0');

	if (*v > UINT64_MAX / 10 || (*v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
		return -1;
	*v = *v * 10 + d;
	return 0;
}

/* Reads a run of digits; saturates so "99999999999" still reads as "too big". */
static const char *config_read_port(const char *p, unsigned long *v)
{
	*v = 0;
	while (*p >= '0' && *p <= '9') {
		if (*v < 1000000)
			*v = *v * 10 + (unsigned long)(*p - '0');
		p++;
	}
	return p;
}

int config_portlist_append(const char *s, struct config_portlist *pl, char *err, size_t errlen)
{
	const char *p = s;
	int rc = -1;

	if (*config_skip_space(s) == '\0') {
		config_fmt(err, errlen, "invalid port list \"%s\": empty", s);
		goto out;
	}
	for (;;) {
		const char *lo_s, *lo_e, *hi_s, *hi_e;
		unsigned long lo, hi;

		p = config_skip_space(p);
		if (*p == ',' || *p == '\0') {
			config_fmt(err, errlen,
				   "invalid port list \"%s\": empty entry at offset %zu", s,
				   (size_t)(p - s));
			goto out;
		}
		lo_s = p;
		lo_e = p = config_read_port(p, &lo);
		if (lo_e == lo_s)
			goto syntax;
		p = config_skip_space(p);
		hi_s = lo_s;
		hi_e = lo_e;
		hi = lo;
		if (*p == '-') {
			p = config_skip_space(p + 1);
			hi_s = p;
			hi_e = p = config_read_port(p, &hi);
			if (hi_e == hi_s)
				goto syntax;
			p = config_skip_space(p);
		}
		if (*p != ',' && *p != '\0')
			goto syntax;
		if (lo < 1 || lo > 65535) {
			config_fmt(err, errlen, "port %.*s out of range 1-65535",
				   (int)(lo_e - lo_s), lo_s);
			goto out;
		}
		if (hi < 1 || hi > 65535) {
			config_fmt(err, errlen, "port %.*s out of range 1-65535",
				   (int)(hi_e - hi_s), hi_s);
			goto out;
		}
		if (lo > hi) {
			config_fmt(err, errlen, "invalid port range %lu-%lu: start is above end",
				   lo, hi);
			goto out;
		}
		if (pl->n >= CONFIG_PORTLIST_MAX) {
			config_fmt(err, errlen, "too many port entries (at most %d)",
				   CONFIG_PORTLIST_MAX);
			goto out;
		}
		pl->r[pl->n].lo = (uint16_t)lo;
		pl->r[pl->n].hi = (uint16_t)hi;
		pl->n++;
		if (*p == '\0')
			break;
		p++; /* ',' */
	}
	rc = 0;
	goto out;
syntax:
	config_fmt(err, errlen, "invalid port list \"%s\": expected PORT or LO-HI", s);
out:
	return rc;
}

int config_parse_portlist(const char *s, struct config_portlist *out, char *err, size_t errlen)
{
	struct config_portlist tmp = {0};
	int rc = -1;

	if (!s || !out) {
		config_fmt(err, errlen, "invalid port list: missing value");
		goto out;
	}
	if (config_portlist_append(s, &tmp, err, errlen) < 0)
		goto out;
	*out = tmp;
	rc = 0;
out:
	return rc;
}

bool config_portlist_contains(const struct config_portlist *pl, uint16_t port)
{
	unsigned i, n;

	if (!pl)
		return false;
	n = pl->n < CONFIG_PORTLIST_MAX ? pl->n : CONFIG_PORTLIST_MAX;
	for (i = 0; i < n; i++)
		if (port >= pl->r[i].lo && port <= pl->r[i].hi)
			return true;
	return false;
}

struct config_unit {
	const char *name;
	uint64_t mult;
};

static const struct config_unit config_duration_units[] = {
    {"ns", 1},
    {"us", NS_PER_US},
    {"\xc2\xb5s", NS_PER_US}, /* U+00B5 */
    {"\xce\xbcs", NS_PER_US},
    /* U+03BC */ {"ms", NS_PER_MS},
    {"s", NS_PER_S},
    {"m", NS_PER_MIN},
    {"h", NS_PER_H},
};

/* Go's time.ParseDuration, minus negative values (nothing here can wait a negative time). */
int config_parse_duration(const char *s, uint64_t *ns)
{
	uint64_t total = 0;
	int rc = -1;

	if (!s || !ns)
		goto out;
	if (*s == '+')
		s++;
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		rc = 0;
		goto out;
	}
	if (*s == '\0')
		goto out;
	while (*s) {
		uint64_t whole = 0, frac = 0, scale = 1, mult = 0;
		bool digits = false;
		const char *u;
		size_t ulen, i;
		unsigned __int128 part;

		if (!(*s >= '0' && *s <= '9') && *s != '.')
			goto out;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (config_digit(&whole, *s) < 0)
				goto out;
			digits = true;
		}
		if (*s == '.') {
			for (s++; *s >= '0' && *s <= '9'; s++) {
				/* digits past 1e-18 cannot change a nanosecond count */
				if (scale < 1000000000000000000ull) {
					frac = frac * 10 + (uint64_t)(*s - '0');
					scale *= 10;
				}
				digits = true;
			}
		}
		if (!digits)
			goto out;
		u = s;
		while (*s && *s != '.' && !(*s >= '0' && *s <= '9'))
			s++;
		ulen = (size_t)(s - u);
		for (i = 0; i < sizeof(config_duration_units) / sizeof(config_duration_units[0]);
		     i++) {
			if (strlen(config_duration_units[i].name) == ulen &&
			    memcmp(config_duration_units[i].name, u, ulen) == 0) {
				mult = config_duration_units[i].mult;
				break;
			}
		}
		if (!mult)
			goto out;
		part = (unsigned __int128)whole * mult + (unsigned __int128)frac * mult / scale;
		if (part > UINT64_MAX - total)
			goto out;
		total += (uint64_t)part;
	}
	*ns = total;
	rc = 0;
out:
	return rc;
}

int config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	size_t i;

	if (!s || !out)
		return -1;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static const struct config_unit config_size_units[] = {
    {"", 1},	  {"B", 1},	   {"KiB", KIB},       {"MiB", MIB},
    {"GiB", GIB}, {"KB", 1000ull}, {"MB", 1000000ull}, {"GB", 1000000000ull},
};

int config_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	const char *p;

	if (!s || !out)
		return -1;
	p = s;
	if (!(*p >= '0' && *p <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (config_digit(&v, *p) < 0)
			return -1;
	}
	while (*p == ' ')
		p++;
	for (i = 0; i < sizeof(config_size_units) / sizeof(config_size_units[0]); i++) {
		if (strcmp(p, config_size_units[i].name) == 0) {
			if (v > UINT64_MAX / config_size_units[i].mult)
				return -1;
			*out = v * config_size_units[i].mult;
			return 0;
		}
	}
	return -1;
}

int config_parse_uint_text(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!(*s >= '0' && *s <= '9'))
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (config_digit(&v, *s) < 0)
			return -1;
	}
	if (*s)
		return -1;
	*out = v;
	return 0;
}

/* Appends "N" or "N.fff" of v/unit with trailing zeros trimmed. */
static int config_fmt_frac(char *buf, size_t len, uint64_t v, uint64_t unit, const char *suffix)
{
	char frac[24];
	uint64_t rem = v % unit;
	int n;

	if (!rem)
		return snprintf(buf, len, "%llu%s", (unsigned long long)(v / unit), suffix);
	n = snprintf(frac, sizeof(frac), "%0*llu",
		     unit == NS_PER_S	 ? 9
		     : unit == NS_PER_MS ? 6
					 : 3,
		     (unsigned long long)rem);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	return snprintf(buf, len, "%llu.%s%s", (unsigned long long)(v / unit), frac, suffix);
}

void config_format_duration(uint64_t ns, char *buf, size_t len)
{
	uint64_t h, m;
	size_t off = 0;
	int n;

	if (ns == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (ns < NS_PER_US) {
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
		return;
	}
	if (ns < NS_PER_MS) {
		config_fmt_frac(buf, len, ns, NS_PER_US, "us");
		return;
	}
	if (ns < NS_PER_S) {
		config_fmt_frac(buf, len, ns, NS_PER_MS, "ms");
		return;
	}
	h = ns / NS_PER_H;
	ns %= NS_PER_H;
	m = ns / NS_PER_MIN;
	ns %= NS_PER_MIN;
	buf[0] = '\0';
	if (h) {
		n = snprintf(buf, len, "%lluh", (unsigned long long)h);
		off = n > 0 && (size_t)n < len ? (size_t)n : len - 1;
	}
	if (m) {
		n = snprintf(buf + off, len - off, "%llum", (unsigned long long)m);
		off += n > 0 && (size_t)n < len - off ? (size_t)n : len - off - 1;
	}
	if (ns)
		config_fmt_frac(buf + off, len - off, ns, NS_PER_S, "s");
}

void config_format_size(uint64_t v, char *buf, size_t len)
{
	if (v && v % GIB == 0)
		snprintf(buf, len, "%lluGiB", (unsigned long long)(v / GIB));
	else if (v && v % MIB == 0)
		snprintf(buf, len, "%lluMiB", (unsigned long long)(v / MIB));
	else if (v && v % KIB == 0)
		snprintf(buf, len, "%lluKiB", (unsigned long long)(v / KIB));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

int config_parse_int_text(const char *s, int64_t *out)
{
	uint64_t v;
	bool neg = *s == '-';

	if (config_parse_uint_text(s + neg, &v) < 0 || v > (uint64_t)INT64_MAX + neg)
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

const char *config_getenv(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	if (!envp)
		return NULL;
	for (; *envp; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}
