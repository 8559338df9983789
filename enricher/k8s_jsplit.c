/* k8s_jsplit.c: a JSON structure scanner that cuts list items and watch events out of a stream. */
#include "k8s_jsplit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void k8s_jsplit_init(struct k8s_jsplit *s, enum k8s_jsplit_mode mode, size_t max_elem,
		     k8s_jsplit_cb cb, void *data)
{
	*s = (struct k8s_jsplit){.mode = mode, .max_elem = max_elem, .cb = cb, .data = data};
}

void k8s_jsplit_reset(struct k8s_jsplit *s)
{
	s->len = 0;
	s->capturing = s->oversized = s->in_str = s->esc = s->in_key = false;
	s->want_key = s->items_open = s->error = false;
	s->depth = s->elem_depth = 0;
	s->cur = 0;
	s->key_len = 0;
}

void k8s_jsplit_free(struct k8s_jsplit *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

bool k8s_jsplit_idle(const struct k8s_jsplit *s)
{
	return !s->capturing && s->depth == 0 && !s->in_str;
}

/* Appends [p, p + n) to the element being cut, or marks it oversized. */
static int k8s_jsplit_append(struct k8s_jsplit *s, const char *p, size_t n)
{
	if (s->oversized || n == 0)
		return 0;
	if (s->len + n > s->max_elem) {
		s->oversized = true;
		return 0;
	}
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *b;

		while (cap < s->len + n)
			cap *= 2;
		b = realloc(s->buf, cap);
		if (!b) {
			s->oversized = true;
			return -ENOMEM;
		}
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

/* The element ends at p (inclusive); start is where it began in this chunk, or NULL. */
static int k8s_jsplit_emit(struct k8s_jsplit *s, const char *start, const char *p)
{
	int rc = 0;

	s->capturing = false;
	s->elements++;
	if (!s->oversized && s->len == 0 && start && (size_t)(p + 1 - start) <= s->max_elem)
		return s->cb(s->data, s->part, start, (size_t)(p + 1 - start));
	if (start)
		k8s_jsplit_append(s, start, (size_t)(p + 1 - start));
	if (s->oversized)
		s->oversized_n++;
	else
		rc = s->cb(s->data, s->part, s->buf, s->len);
	s->len = 0;
	s->oversized = false;
	return rc;
}

static void k8s_jsplit_begin(struct k8s_jsplit *s, enum k8s_jsplit_part part, unsigned depth)
{
	s->capturing = true;
	s->oversized = false;
	s->len = 0;
	s->part = part;
	s->elem_depth = depth;
}

/* LIST mode, an opening bracket at s->depth (before it is counted). True: capture starts. */
static bool k8s_jsplit_list_open(struct k8s_jsplit *s, char c)
{
	if (s->depth == 0) {
		if (c != '{')
			s->error = true;
		s->want_key = true;
		return false;
	}
	if (s->capturing)
		return false;
	if (s->depth == 1 && s->cur == 1 && c == '[') {
		s->items_open = true;
		return false;
	}
	if (s->depth == 1 && s->cur == 2 && c == '{') {
		k8s_jsplit_begin(s, K8S_JPART_METADATA, 1);
		return true;
	}
	if (s->depth == 2 && s->items_open) {
		k8s_jsplit_begin(s, K8S_JPART_ITEM, 2);
		return true;
	}
	return false;
}

static void k8s_jsplit_list_punct(struct k8s_jsplit *s, char c)
{
	if (s->depth != 1)
		return;
	if (c == ':')
		s->cur = s->key_len == 5 && memcmp(s->key, "items", 5) == 0	 ? 1
			 : s->key_len == 8 && memcmp(s->key, "metadata", 8) == 0 ? 2
										 : 0;
	else if (c == ',') {
		s->want_key = true;
		s->cur = 0;
	}
}

/* One string byte; true when it ends the string. */
static bool k8s_jsplit_str(struct k8s_jsplit *s, char c)
{
	if (s->in_key && !s->esc && c != '"') {
		if (s->key_len < sizeof(s->key))
			s->key[s->key_len] = c;
		s->key_len++;
	}
	if (s->esc) {
		s->esc = false;
		return false;
	}
	if (c == '\\') {
		s->esc = true;
		return false;
	}
	if (c != '"')
		return false;
	s->in_str = s->in_key = false;
	return true;
}

/* Bytes of v equal to b have their top bit set, exactly up to the first one (borrows only
 * run upwards from a match): enough to find the first match. */
static uint64_t k8s_jsplit_match(uint64_t v, unsigned char b)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t x = v ^ (ones * b);

	return (x - ones) & ~x & highs;
}

/*
 * The first '"' or '\\' in [p, end), else end: string contents are most of the bytes, read 8
 * at a time (the first flagged byte in memory: the lowest on little-endian, the highest on
 * big-endian hosts).
 */
static const char *k8s_jsplit_skip_str(const char *p, const char *end)
{
	while (end - p >= 8) {
		uint64_t v, m;

		memcpy(&v, p, 8);
		m = k8s_jsplit_match(v, '"') | k8s_jsplit_match(v, '\\');
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		if (m)
			return p + (__builtin_clzll(m) >> 3);
#else
		if (m)
			return p + (__builtin_ctzll(m) >> 3);
#endif
		p += 8;
	}
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

int k8s_jsplit_feed(struct k8s_jsplit *s, const char *p, size_t n)
{
	const char *start = s->capturing ? p : NULL, *end = p + n;
	int rc = 0;

	for (; p < end && !s->error; p++) {
		char c = *p;

		if (s->in_str) {
			/* the bulk of the bytes: string contents, skipped without state changes */
			if (!s->in_key && !s->esc) {
				p = k8s_jsplit_skip_str(p, end);
				if (p == end)
					break;
				c = *p;
			}
			k8s_jsplit_str(s, c);
			continue;
		}
		switch (c) {
		case '"':
			s->in_str = true;
			if (s->mode == K8S_JSPLIT_LIST && s->depth == 1 && s->want_key &&
			    !s->capturing) {
				s->in_key = true;
				s->want_key = false;
				s->key_len = 0;
			}
			break;
		case '{':
		case '[':
			if (s->mode == K8S_JSPLIT_STREAM ? s->depth == 0
							 : k8s_jsplit_list_open(s, c)) {
				if (s->mode == K8S_JSPLIT_STREAM)
					k8s_jsplit_begin(s, K8S_JPART_ITEM, 0);
				start = p;
			}
			s->depth++;
			break;
		case '}':
		case ']':
			if (s->depth == 0) {
				/* STREAM: a stray closer between events is junk, counted, skipped.
				 */
				if (s->mode == K8S_JSPLIT_LIST)
					s->error = true;
				else
					s->bad++;
				break;
			}
			s->depth--;
			if (s->mode == K8S_JSPLIT_LIST && s->depth == 1 && c == ']')
				s->items_open = false;
			if (s->capturing && s->depth == s->elem_depth) {
				rc = k8s_jsplit_emit(s, start, p);
				start = NULL;
				if (rc)
					return rc;
			}
			break;
		case ':':
		case ',':
			if (s->mode == K8S_JSPLIT_LIST && !s->capturing)
				k8s_jsplit_list_punct(s, c);
			break;
		default:
			/* STREAM: bytes between values are whitespace; anything else is junk. */
			if (s->mode == K8S_JSPLIT_STREAM && s->depth == 0 && c != ' ' &&
			    c != '\n' && c != '\r' && c != '\t')
				s->bad++;
			break;
		}
	}
	if (s->error)
		s->bad++;
	if (s->capturing && start)
		rc = k8s_jsplit_append(s, start, (size_t)(end - start));
	return rc;
}
