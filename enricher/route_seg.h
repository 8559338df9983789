/* route_seg.h: splits a request path into '/' segments the way every route module must agree on. */
#ifndef OBI_ROUTE_SEG_H
#define OBI_ROUTE_SEG_H

#include <stddef.h>
#include <string.h>

/* Length of the path part of path[0..len): up to the first '?', '#' or NUL. */
static inline size_t route_path_len(const char *path, size_t len)
{
	for (size_t i = 0; i < len; i++)
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
