/* fuzz_route.c: libFuzzer harness for the route matcher, heuristic and low-cardinality. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

/* Input: patterns separated by '\n', then a NUL, then the request path. */
static void fuzz_route_match(const char *in, size_t len)
{
	const char *nul = memchr(in, '\0', len), *pats[64];
	char buf[4096];
	size_t np = 0, plen, off = 0, bad;
	struct route_matcher *m = NULL;
	char err[128];
	const char *got;

	if (!nul || (size_t)(nul - in) >= sizeof(buf))
		return;
	plen = (size_t)(nul - in);
	memcpy(buf, in, plen);
	buf[plen] = '\0';
	while (off <= plen && np < 64) {
		char *nl = memchr(buf + off, '\n', plen - off);
		pats[np++] = buf + off;
		if (!nl)
			break;
		*nl = '\0';
		off = (size_t)(nl - buf) + 1;
	}
	if (route_matcher_new(pats, np, &m, &bad, err, sizeof(err)) < 0) {
		if (bad >= np || strnlen(err, sizeof(err)) == sizeof(err))
			abort();
		return;
	}
	got = route_matcher_find(m, nul + 1, len - plen - 1);
	if (got) {
		size_t i = 0;
		while (i < np && strcmp(pats[i], got) != 0)
			i++;
		if (i == np) /* the answer must be one of the patterns */
			abort();
	}
	route_matcher_free(m);
}

/* The heuristic route is the path with whole segments replaced by the wildcard, nothing else. */
static void fuzz_route_heuristic(const char *in, size_t len)
{
	static struct route_lc *lc;
	char out[8192];
	size_t n, i = 0, o = 0, plen = 0, pieces = 0;

	if (len + 3 > sizeof(out))
		return;
	n = route_heuristic(in, len, '*', out, sizeof(out));
	if (n != strlen(out))
		abort();
	while (plen < len && in[plen] != '?' && in[plen] != '#' && in[plen] != '\0')
		plen++;
	for (;;) {
		size_t a = i, b = o;
		while (a < plen && in[a] != '/')
			a++;
		while (b < n && out[b] != '/')
			b++;
		pieces++;
		if (pieces > ROUTE_HEUR_SEGS_MAX + 1) {
			if (!(b == o + 1 && out[o] == '*' && b == n))
				abort();
			break;
		}
		if (!(b - o == a - i && memcmp(in + i, out + o, a - i) == 0) &&
		    !(b == o + 1 && out[o] == '*'))
			abort();
		if ((a == plen) != (b == n))
			abort();
		if (a == plen)
			break;
		i = a + 1;
		o = b + 1;
	}
	if (!lc)
		lc = route_lc_new(4, 256);
	if (lc && route_lc_apply(lc, out, n, '*', NULL) > n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_route_match((const char *)data + 1, size - 1);
	else
		fuzz_route_heuristic((const char *)data + 1, size - 1);
	return 0;
}
