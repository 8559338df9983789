/* k8s_arena.h: a bump arena cJSON parses one API element into, reset after the element. */
#ifndef OBI_K8S_ARENA_H
#define OBI_K8S_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/*
 * cJSON mallocs every node and string of a tree and frees each one again: for a ~3 KB pod
 * that is ~200 malloc/free pairs, a third of the client's time per watch event. Parsed here,
 * a tree lives in one block taken once and reused: allocation is a pointer bump and the tree
 * is dropped whole by k8s_arena_release. An element whose tree outgrows the block continues
 * in malloc (the tree is then freed node by node, the arena's nodes skipped), so there is no
 * size limit beyond the caller's (k8s_jsplit's max_elem).
 */
#define K8S_ARENA_CAP (256u << 10)

struct k8s_arena {
	size_t cap; /* bytes of the block; 0 stands for K8S_ARENA_CAP (tests set it small) */
	char *base; /* cap bytes, taken at the first parse */
	size_t used;
	bool spilled;	 /* the tree in use has nodes in malloc too */
	uint64_t spills; /* trees that outgrew the block */
};

/*
 * cJSON_ParseWithLength of [text, text + n) into the arena; NULL for malformed JSON (or no
 * memory). At most one tree per arena at a time: k8s_arena_release it before the next parse.
 * The tree's strings are valid until then; nothing from it may be kept past it.
 */
cJSON *k8s_arena_parse(struct k8s_arena *a, const char *text, size_t n);
/* Ends the tree's life (NULL is fine): the block is reused by the next parse. */
void k8s_arena_release(struct k8s_arena *a, cJSON *tree);
void k8s_arena_free(struct k8s_arena *a);

#endif /* OBI_K8S_ARENA_H */
