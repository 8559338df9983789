/* route_lc.c: low-cardinality: a bounded per-service trie that collapses over-full nodes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

#define LC_NIL UINT32_MAX
#define LC_TEXT_PER_NODE 32

struct lc_node {
	uint32_t children; /* distinct literal children so far */
	uint32_t wild;	   /* child reached by the wildcard (collapsed or already '*'); LC_NIL */
	uint8_t collapsed; /* reported once */
};

struct lc_slot {	       /* open addressing: (parent, text) -> child */
	uint32_t parent_plus1; /* 0 = empty */
	uint32_t child;
	uint32_t text;
	uint32_t len;
	uint32_t hash;
};

struct route_lc {
	unsigned max_children;
	struct lc_node *nodes;
	uint32_t n_nodes, max_nodes;
	struct lc_slot *slots;
	uint32_t slot_mask;
	char *text;
	size_t text_used, text_cap;
};

static uint32_t lc_hash(uint32_t parent, const char *s, size_t n)
{
	uint32_t h = 2166136261u ^ parent;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

struct route_lc *route_lc_new(unsigned max_children, size_t max_nodes)
{
	struct route_lc *lc;
	uint32_t slots = 16;

	if (max_nodes < 1 || max_nodes > (1u << 24))
		return NULL;
	while (slots < max_nodes * 2)
		slots <<= 1;
	lc = calloc(1, sizeof(*lc));
	if (!lc)
		return NULL;
	lc->max_children = max_children;
	lc->max_nodes = (uint32_t)max_nodes;
	lc->nodes = calloc(max_nodes, sizeof(*lc->nodes));
	lc->slots = calloc(slots, sizeof(*lc->slots));
	lc->text_cap = max_nodes * LC_TEXT_PER_NODE;
	lc->text = malloc(lc->text_cap);
	lc->slot_mask = slots - 1;
	if (!lc->nodes || !lc->slots || !lc->text) {
		route_lc_free(lc);
		return NULL;
	}
	lc->nodes[0] = (struct lc_node){.wild = LC_NIL};
	lc->n_nodes = 1;
	return lc;
}

void route_lc_free(struct route_lc *lc)
{
	if (!lc)
		return;
	free(lc->nodes);
	free(lc->slots);
	free(lc->text);
	free(lc);
}

static uint32_t lc_alloc_node(struct route_lc *lc)
{
	if (lc->n_nodes == lc->max_nodes)
		return LC_NIL;
	lc->nodes[lc->n_nodes] = (struct lc_node){.wild = LC_NIL};
	return lc->n_nodes++;
}

/* Finds (parent, s) or the empty slot where it would go. */
static struct lc_slot *lc_probe(struct route_lc *lc, uint32_t parent, const char *s, size_t n,
				uint32_t h)
{
	for (uint32_t i = h & lc->slot_mask;; i = (i + 1) & lc->slot_mask) {
		struct lc_slot *sl = &lc->slots[i];
		if (sl->parent_plus1 == 0)
			return sl;
		if (sl->hash == h && sl->parent_plus1 == parent + 1 && sl->len == n &&
		    memcmp(lc->text + sl->text, s, n) == 0)
			return sl;
	}
}

/* The child for segment s of node at: existing, new, or LC_NIL when it must collapse. */
static uint32_t lc_child(struct route_lc *lc, uint32_t at, const char *s, size_t n)
{
	uint32_t h = lc_hash(at, s, n), child;
	struct lc_slot *sl = lc_probe(lc, at, s, n, h);

	if (sl->parent_plus1)
		return sl->child;
	/* The table holds at most max_nodes entries in 2 * max_nodes slots: never full. */
	if (lc->nodes[at].children >= lc->max_children || lc->text_cap - lc->text_used < n)
		return LC_NIL;
	child = lc_alloc_node(lc);
	if (child == LC_NIL)
		return LC_NIL;
	memcpy(lc->text + lc->text_used, s, n);
	*sl = (struct lc_slot){.parent_plus1 = at + 1,
			       .child = child,
			       .text = (uint32_t)lc->text_used,
			       .len = (uint32_t)n,
			       .hash = h};
	lc->text_used += n;
	lc->nodes[at].children++;
	return child;
}

static uint32_t lc_wild(struct route_lc *lc, uint32_t at)
{
	if (lc->nodes[at].wild == LC_NIL)
		lc->nodes[at].wild = lc_alloc_node(lc);
	return lc->nodes[at].wild;
}

static void lc_note(struct route_lc *lc, uint32_t at, const char *route, size_t prefix,
		    struct route_lc_event *ev)
{
	ev->collapsed++;
	if (at == LC_NIL || lc->nodes[at].collapsed)
		return;
	lc->nodes[at].collapsed = 1;
	if (!ev->new_node_collapsed) {
		ev->new_node_collapsed = true;
		snprintf(ev->prefix, sizeof(ev->prefix), "%.*s", (int)prefix, route);
	}
}

size_t route_lc_apply(struct route_lc *lc, char *route, size_t len, char wc,
		      struct route_lc_event *ev)
{
	struct route_lc_event dummy;
	size_t r = 0, w = 0;
	uint32_t at = 0;

	if (!ev)
		ev = &dummy;
	memset(ev, 0, sizeof(*ev));
	if (!lc || lc->max_children == 0 || !route)
		return len;
	if (r < len && route[r] == '/')
		route[w++] = route[r++];
	while (r < len) {
		const char *seg = route + r, *slash = memchr(seg, '/', len - r);
		size_t n = slash ? (size_t)(slash - seg) : len - r;
		uint32_t next = LC_NIL;

		if (n == 0) { /* "//": no value to count, and the route must never grow */
			route[w++] = route[r++];
			continue;
		}
		if (at != LC_NIL && !(n == 1 && seg[0] == wc))
			next = lc_child(lc, at, seg, n);
		if (next != LC_NIL) {
			memmove(route + w, seg, n);
			w += n;
		} else {
			/* Over the limit (or out of memory: then everything below collapses). */
			if (!(n == 1 && seg[0] == wc))
				lc_note(lc, at, route, w, ev);
			route[w++] = wc;
			next = at != LC_NIL ? lc_wild(lc, at) : LC_NIL;
		}
		at = next;
		r += n;
		if (r < len)
			route[w++] = route[r++]; /* the '/' */
	}
	if (w < len)
		route[w] = '\0';
	return w;
}
