/* route_match.c: compiles route patterns into a segment trie and finds the most specific match. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "route_seg.h"

struct rm_edge {
	const char *label; /* points into the owning pattern copy */
	uint32_t len;
	uint32_t child;
};

struct rm_node {
	struct rm_edge *edges; /* literal children, sorted by (len, bytes) once built */
	uint32_t n_edges, cap_edges;
	int32_t param; /* child for `{x}`, `:x` or a `*` before the last segment; -1 none */
	int32_t term;  /* pattern ending exactly here; -1 none */
	int32_t rest;  /* pattern ending in `*` here (matches the rest, even nothing); -1 none */
};

struct route_matcher {
	char **patterns;
	size_t n_patterns;
	struct rm_node *nodes;
	uint32_t n_nodes, cap_nodes;
	unsigned max_depth;
};

static bool rm_is_param(const char *s, size_t n)
{
	size_t i = 1, end = n;

	if (n >= 1 && s[0] == ':')
		end = n;
	else if (n >= 2 && s[0] == '{' && s[n - 1] == '}')
		end = n - 1;
	else
		return false;
	for (; i < end; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(c == '_' || (c >= '0' && c <= '9') ||
		      ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
			return false;
	}
	return true;
}

static int rm_new_node(struct route_matcher *m, uint32_t *out)
{
	if (m->n_nodes == m->cap_nodes) {
		uint32_t cap = m->cap_nodes ? m->cap_nodes * 2 : 16;
		struct rm_node *p = realloc(m->nodes, cap * sizeof(*p));
		if (!p)
			return -1;
		m->nodes = p;
		m->cap_nodes = cap;
	}
	m->nodes[m->n_nodes] = (struct rm_node){.param = -1, .term = -1, .rest = -1};
	*out = m->n_nodes++;
	return 0;
}

static int rm_edge_cmp(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

/* Literal child of node for s[0..n), or -1. Binary search: edges are sorted after building. */
static int32_t rm_lookup(const struct rm_node *node, const char *s, size_t n)
{
	uint32_t lo = 0, hi = node->n_edges;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = rm_edge_cmp(node->edges[mid].label, node->edges[mid].len, s, (uint32_t)n);
		if (c == 0)
			return (int32_t)node->edges[mid].child;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Linear search during building (edges not sorted yet; building is not on the span path). */
static int rm_literal_child(struct route_matcher *m, uint32_t at, const char *s, size_t n,
			    uint32_t *out)
{
	struct rm_node *node = &m->nodes[at];
	uint32_t child;

	for (uint32_t i = 0; i < node->n_edges; i++) {
		if (rm_edge_cmp(node->edges[i].label, node->edges[i].len, s, (uint32_t)n) == 0) {
			*out = node->edges[i].child;
			return 0;
		}
	}
	if (rm_new_node(m, &child) < 0)
		return -1;
	node = &m->nodes[at]; /* nodes may have moved */
	if (node->n_edges == node->cap_edges) {
		uint32_t cap = node->cap_edges ? node->cap_edges * 2 : 4;
		struct rm_edge *p = realloc(node->edges, cap * sizeof(*p));
		if (!p)
			return -1;
		node->edges = p;
		node->cap_edges = cap;
	}
	node->edges[node->n_edges++] =
	    (struct rm_edge){.label = s, .len = (uint32_t)n, .child = child};
	*out = child;
	return 0;
}

static int rm_param_child(struct route_matcher *m, uint32_t at, uint32_t *out)
{
	uint32_t child;

	if (m->nodes[at].param >= 0) {
		*out = (uint32_t)m->nodes[at].param;
		return 0;
	}
	if (rm_new_node(m, &child) < 0)
		return -1;
	m->nodes[at].param = (int32_t)child;
	*out = child;
	return 0;
}

static const char *rm_validate(const char *p, size_t n)
{
	if (n == 0)
		return "empty pattern";
	if (n > ROUTE_PATTERN_MAX)
		return "pattern longer than 1024 bytes";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= ' ' || c == 0x7f)
			return "pattern contains a space or control character";
		if (c == '?' || c == '#')
			return "pattern contains '?' or '#' (the query string never takes part)";
	}
	return NULL;
}

static int rm_add(struct route_matcher *m, uint32_t idx, const char **why)
{
	const char *p = m->patterns[idx];
	struct route_segs segs;
	uint32_t at = 0;

	route_segs_init(&segs, p, strlen(p));
	if (segs.count > ROUTE_DEPTH_MAX) {
		*why = "pattern has more than 64 segments";
		return -1;
	}
	for (size_t d = 0; d < segs.count; d++) {
		const char *s;
		size_t n = route_segs_next(&segs, &s);
		bool last = d + 1 == segs.count;
		int rc;

		if (last && n == 1 && s[0] == '*') {
			if (m->nodes[at].rest < 0)
				m->nodes[at].rest = (int32_t)idx;
			return 0;
		}
		if (rm_is_param(s, n) || (n == 1 && s[0] == '*'))
			rc = rm_param_child(m, at, &at);
		else
			rc = rm_literal_child(m, at, s, n, &at);
		if (rc < 0) {
			*why = "out of memory";
			return -1;
		}
	}
	if (segs.count > m->max_depth)
		m->max_depth = (unsigned)segs.count;
	if (m->nodes[at].term < 0)
		m->nodes[at].term = (int32_t)idx;
	return 0;
}

static int rm_sort_cmp(const void *a, const void *b)
{
	const struct rm_edge *x = a, *y = b;
	return rm_edge_cmp(x->label, x->len, y->label, y->len);
}

static int rm_build(struct route_matcher *m, const char *const *patterns, size_t n, size_t *bad,
		    char *err, size_t errlen)
{
	uint32_t root;
	const char *why = "out of memory";

	m->patterns = calloc(n ? n : 1, sizeof(*m->patterns));
	if (!m->patterns || rm_new_node(m, &root) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		*bad = i;
		why = patterns[i] ? rm_validate(patterns[i], strlen(patterns[i])) : "null pattern";
		if (why)
			goto fail;
		why = "out of memory";
		m->patterns[i] = strdup(patterns[i]);
		if (!m->patterns[i])
			goto fail;
		m->n_patterns = i + 1;
		if (rm_add(m, (uint32_t)i, &why) < 0)
			goto fail;
	}
	for (uint32_t i = 0; i < m->n_nodes; i++)
		if (m->nodes[i].n_edges > 1)
			qsort(m->nodes[i].edges, m->nodes[i].n_edges, sizeof(struct rm_edge),
			      rm_sort_cmp);
	return 0;
fail:
	snprintf(err, errlen, "%s", why);
	return -1;
}

int route_matcher_new(const char *const *patterns, size_t n, struct route_matcher **out,
		      size_t *bad, char *err, size_t errlen)
{
	struct route_matcher *m;
	size_t bad_local = 0;

	*out = NULL;
	if (!bad)
		bad = &bad_local;
	*bad = 0;
	if (n > ROUTE_PATTERNS_MAX) {
		snprintf(err, errlen, "more than %d patterns", ROUTE_PATTERNS_MAX);
		return -1;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (rm_build(m, patterns, n, bad, err, errlen) < 0) {
		route_matcher_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

void route_matcher_free(struct route_matcher *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->n_nodes; i++)
		free(m->nodes[i].edges);
	free(m->nodes);
	for (size_t i = 0; i < m->n_patterns; i++)
		free(m->patterns[i]);
	free(m->patterns);
	free(m);
}

/*
 * Depth-first search, literal before parameter before a trailing `*`, so the first complete
 * match is the most specific one. A trie node sits at one depth and is reached by one path,
 * so it is visited at most once: the work is bounded by the trie, whatever the input.
 */
const char *route_matcher_find(const struct route_matcher *m, const char *path, size_t len)
{
	struct {
		uint32_t node;
		uint8_t stage;
	} stack[ROUTE_DEPTH_MAX + 1];
	const char *seg[ROUTE_DEPTH_MAX + 1];
	size_t seglen[ROUTE_DEPTH_MAX + 1];
	struct route_segs segs;
	size_t nseg, want;
	int sp = 0;

	if (!m || !path)
		return NULL;
	route_segs_init(&segs, path, route_path_len(path, len));
	nseg = segs.count;
	want = nseg < m->max_depth + 1 ? nseg : m->max_depth + 1;
	for (size_t i = 0; i < want; i++)
		seglen[i] = route_segs_next(&segs, &seg[i]);

	stack[0].node = 0;
	stack[0].stage = 0;
	while (sp >= 0) {
		const struct rm_node *n = &m->nodes[stack[sp].node];
		size_t d = (size_t)sp;
		int32_t next = -1;

		if (d == nseg) {
			if (n->term >= 0)
				return m->patterns[n->term];
			if (n->rest >= 0)
				return m->patterns[n->rest];
			sp--;
			continue;
		}
		switch (stack[sp].stage++) {
		case 0:
			next = d < want ? rm_lookup(n, seg[d], seglen[d]) : -1;
			break;
		case 1:
			next = (d < want && seglen[d] > 0) ? n->param : -1;
			break;
		case 2:
			if (n->rest >= 0)
				return m->patterns[n->rest];
			continue;
		default:
			sp--;
			continue;
		}
		if (next >= 0 && sp < ROUTE_DEPTH_MAX) {
			sp++;
			stack[sp].node = (uint32_t)next;
			stack[sp].stage = 0;
		}
	}
	return NULL;
}
