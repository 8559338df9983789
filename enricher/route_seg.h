/* route_seg.h: splits a request path into '/' segments the way every route module must agree on. */
#ifndef OBI_ROUTE_SEG_H
#define OBI_ROUTE_SEG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Non-zero when one of the 8 bytes of v is zero (exact: no false positive for "any"). */
static inline uint64_t route_seg_has_zero(uint64_t v)
{
	return (v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL;
}

/*
 * Length of the path part of path[0..len): up to the first '?', '#' or NUL. Every span's path
 * goes through here (the cache key, the matcher, the heuristic): 8 bytes a step, then byte by
 * byte from the word that holds a stop byte.
 */
static inline size_t route_path_len(const char *path, size_t len)
{
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, path + i, 8);
		if (route_seg_has_zero(w) | route_seg_has_zero(w ^ 0x3f3f3f3f3f3f3f3fULL) |
		    route_seg_has_zero(w ^ 0x2323232323232323ULL))
			break;
	}
	for (; i < len; i++)
		if (path[i] == '?' || path[i] == '#' || path[i] == '\0')
			return i;
	return len;
}

/*
 * Segments of p[0..n) after dropping one leading and one trailing '/' (so "/", "" have none
 * and "/a/" has one); empty segments inside ("a//b") count.
 */
struct route_segs {
	const char *p, *end;
	size_t count;
};

static inline void route_segs_init(struct route_segs *s, const char *p, size_t n)
{
	if (n > 0 && p[0] == '/') {
		p++;
		n--;
	}
	if (n > 0 && p[n - 1] == '/')
		n--;
	s->p = p;
	s->end = p + n;
	s->count = 0;
	if (n == 0)
		return;
	s->count = 1;
	for (size_t i = 0; i < n; i++)
		s->count += p[i] == '/';
}

/* Next segment: sets *seg and returns its length. Call at most count times. */
static inline size_t route_segs_next(struct route_segs *s, const char **seg)
{
	const char *slash = memchr(s->p, '/', (size_t)(s->end - s->p));
	const char *stop = slash ? slash : s->end;
	size_t n = (size_t)(stop - s->p);

	*seg = s->p;
	s->p = slash ? slash + 1 : s->end;
	return n;
}

#endif /* OBI_ROUTE_SEG_H */
