/* config_text.c: text plumbing of the config layer: growing buffers and the list of errors. */
#include "config_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A dumped value never needs more; beyond it the text is cut (the dump is for humans). */
#define CONFIG_BUF_MAX (1u << 20)

void config_buf_putn(struct config_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t ncap = (b->len + n + 1) * 2;
		char *p;

		if (ncap > CONFIG_BUF_MAX)
			ncap = CONFIG_BUF_MAX;
		if (b->len + 1 >= ncap)
			return;
		if (b->len + n + 1 > ncap)
			n = ncap - b->len - 1;
		p = realloc(b->p, ncap);
		if (!p)
			return;
		b->p = p;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void config_buf_puts(struct config_buf *b, const char *s)
{
	config_buf_putn(b, s, strlen(s));
}

void config_buf_printf(struct config_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		config_buf_putn(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void config_buf_quoted(struct config_buf *b, const char *s)
{
	config_buf_putn(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			config_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			config_buf_printf(b, "\\x%02x", c);
		else
			config_buf_putn(b, s, 1);
	}
	config_buf_putn(b, "\"", 1);
}

void config_buf_free(struct config_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void config_fmt(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void config_errs_init(struct config_errs *e, char *buf, size_t cap)
{
	e->buf = buf;
	e->cap = buf ? cap : 0;
	e->len = 0;
	e->n = e->dropped = 0;
	e->nsecrets = 0;
	if (e->cap)
		buf[0] = '\0';
}

static void config_errs_scrub(const struct config_errs *e, char *line, size_t cap);

/* Lines that do not fit whole are dropped and counted, so no line is ever cut in half. */
void config_errs_add(struct config_errs *e, const char *fmt, ...)
{
	char line[1024];
	size_t len, sep;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	config_errs_scrub(e, line, sizeof(line));
	e->n++;
	len = strlen(line);
	sep = e->len ? 1 : 0;
	if (e->len + sep + len + 1 > e->cap) {
		/* the first error is always kept, cut if it must be */
		if (e->len == 0 && e->cap) {
			snprintf(e->buf, e->cap, "%s", line);
			e->len = strlen(e->buf);
		} else {
			e->dropped++;
		}
		return;
	}
	if (sep)
		e->buf[e->len++] = '\n';
	memcpy(e->buf + e->len, line, len + 1);
	e->len += len;
}

/* Secret values shorter than this are not scrubbed: they would redact ordinary words. */
#define CONFIG_SECRET_MIN 4

void config_errs_secrets_from_env(struct config_errs *e, char *const *envp)
{
	size_t area = 0, i = 0, j;
	const struct config_row *row;

	while ((row = config_next_row(&area, &i))) {
		if (!row->secret)
			continue;
		for (j = 0; row->env[j]; j++) {
			const char *v = config_getenv(envp, row->env[j]);

			if (v && strlen(v) >= CONFIG_SECRET_MIN && e->nsecrets < CONFIG_SECRETS_MAX)
				e->secrets[e->nsecrets++] = v;
		}
	}
}

/* Replaces every occurrence of each secret in line (cut at cap). */
static void config_errs_scrub(const struct config_errs *e, char *line, size_t cap)
{
	static const char red[] = "<redacted>";
	unsigned k;

	for (k = 0; k < e->nsecrets; k++) {
		size_t slen = strlen(e->secrets[k]);
		char out[1024];
		size_t o = 0;
		const char *p = line, *hit;

		if (!strstr(line, e->secrets[k]))
			continue;
		while ((hit = strstr(p, e->secrets[k])) && o < sizeof(out) - 1) {
			int n =
			    snprintf(out + o, sizeof(out) - o, "%.*s%s", (int)(hit - p), p, red);

			o = n < 0 || o + (size_t)n >= sizeof(out) ? sizeof(out) - 1 : o + (size_t)n;
			p = hit + slen;
		}
		if (o < sizeof(out) - 1)
			snprintf(out + o, sizeof(out) - o, "%s", p);
		out[sizeof(out) - 1] = '\0';
		snprintf(line, cap, "%s", out);
	}
}
