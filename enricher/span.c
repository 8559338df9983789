/* span.c: a span's attribute table and text arena (storage only; span_build cleans wire text). */
#include "span.h"

#include <string.h>

#define SPAN_A_DEF_(id, k, t, m)                                                                   \
	[SPAN_A_##id] = {.key = (k), .klen = sizeof(k) - 1, .type = SPAN_V_##t, .max = (m)},
const struct span_attr_def span_attr_defs[SPAN_A_COUNT] = {SPAN_ATTR_TABLE(SPAN_A_DEF_)};
#undef SPAN_A_DEF_

void span_reset(struct span *sp)
{
	memset(sp, 0, offsetof(struct span, peer_addr));
	sp->peer_addr[0] = sp->host_addr[0] = '\0';
}

void span_init(struct span *sp, char *buf, size_t cap)
{
	sp->text = buf;
	sp->text_cap = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	span_reset(sp);
}

/* A term of a mask over the table's rows: it cannot be one parenthesised expression. */
// NOLINTNEXTLINE(bugprone-macro-parentheses)
#define SPAN_A_STRBIT_(id, k, t, m) | (SPAN_V_##t == SPAN_V_STR ? 1u << SPAN_A_##id : 0u)
static const uint32_t span_str_mask = 0u SPAN_ATTR_TABLE(SPAN_A_STRBIT_);
#undef SPAN_A_STRBIT_

void span_copy(struct span *dst, const struct span *src, char *buf, size_t cap)
{
	bool fits = src->text_len <= cap;

	/* The values are offsets into the arena: a copy needs no fix-up, only the bytes. */
	*dst = *src;
	dst->text = buf;
	dst->text_cap = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	if (fits && src->text_len) {
		memcpy(buf, src->text, src->text_len);
		return;
	}
	/* The caller sizes buf from src, so this is only a guard: the strings go, not memory. */
	dst->text_len = 0;
	if (!fits) {
		dst->set &= ~span_str_mask;
		dst->text_cut++;
	}
}

void span_set_str(struct span *sp, enum span_attr a, const char *s, size_t n)
{
	size_t room;
	char *p;

	if (!n) {
		span_unset(sp, a);
		return;
	}
	p = span_str_begin(sp, a, &room);
	if (n > room) {
		sp->text_cut += room < span_attr_defs[a].max;
		n = room;
		/* Never split a UTF-8 sequence: back off to its lead byte. */
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (p && n)
		memmove(p, s, n);
	span_str_commit(sp, a, p, n);
}

int span_attr_find(const char *key, size_t n)
{
	for (int a = 0; a < SPAN_A_COUNT; a++)
		if (n && span_attr_defs[a].klen == n && !memcmp(span_attr_defs[a].key, key, n))
			return a;
	return -1;
}
