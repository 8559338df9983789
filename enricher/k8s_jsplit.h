/* k8s_jsplit.h: incremental JSON splitter: hands out one list item or watch event at a time. */
#ifndef OBI_K8S_JSPLIT_H
#define OBI_K8S_JSPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A list response is one object whose "items" array can be tens of MiB: it is never held
 * whole. Fed bytes as they arrive, the splitter calls back with the text of each element of
 * the top-level "items" array and of the top-level "metadata" object (LIST mode), or of each
 * top-level value of a stream of concatenated JSON values (STREAM mode: watch events). Only
 * the element being cut is buffered, up to max_elem bytes: a longer one is skipped and counted
 * (its bytes still scanned so the elements after it are found).
 */
enum k8s_jsplit_mode { K8S_JSPLIT_LIST, K8S_JSPLIT_STREAM };

enum k8s_jsplit_part { K8S_JPART_ITEM, K8S_JPART_METADATA };

/* Returns 0 to go on, non-zero to stop the feed (k8s_jsplit_feed then returns it). */
typedef int (*k8s_jsplit_cb)(void *data, enum k8s_jsplit_part part, const char *text, size_t n);

struct k8s_jsplit {
	enum k8s_jsplit_mode mode;
	size_t max_elem;
	k8s_jsplit_cb cb;
	void *data;

	char *buf; /* the element being cut */
	size_t len, cap;
	bool capturing, oversized;
	enum k8s_jsplit_part part;

	unsigned depth;
	bool in_str, esc;
	bool want_key;	     /* LIST, depth 1: the next string is a member name */
	bool in_key;	     /* LIST: inside that name */
	char key[16];	     /* its first bytes ("items" and "metadata" fit) */
	size_t key_len;	     /* bytes of the name, even past sizeof(key) */
	int cur;	     /* LIST: 1 value of "items", 2 of "metadata", 0 other */
	bool items_open;     /* LIST: inside the "items" array (depth 2 is its level) */
	unsigned elem_depth; /* depth at which the captured element started */

	uint64_t elements, oversized_n, bad;
	bool error; /* malformed (unbalanced) input: reset before reuse */
};

void k8s_jsplit_init(struct k8s_jsplit *s, enum k8s_jsplit_mode mode, size_t max_elem,
		     k8s_jsplit_cb cb, void *data);
/* Starts over (a new response); counters are kept. */
void k8s_jsplit_reset(struct k8s_jsplit *s);
void k8s_jsplit_free(struct k8s_jsplit *s);
/* 0, a callback's non-zero value, or -ENOMEM (element too big for memory: skipped). */
int k8s_jsplit_feed(struct k8s_jsplit *s, const char *p, size_t n);
/* True when no element is half-cut (a cut stream ends mid-element otherwise). */
bool k8s_jsplit_idle(const struct k8s_jsplit *s);

#endif /* OBI_K8S_JSPLIT_H */
