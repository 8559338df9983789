/* k8s_arena.c: cJSON's allocator pointed at a reused bump block while a k8s element is parsed. */
#include "k8s_arena.h"

#include <stdalign.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define K8S_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define K8S_ARENA_ASAN 1
#endif
#endif

#ifdef K8S_ARENA_ASAN
#include <sanitizer/asan_interface.h>
/* Released bytes stay poisoned: a pointer kept past k8s_arena_release still faults under ASan. */
#define K8S_ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define K8S_ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define K8S_ARENA_POISON(p, n) ((void)(p), (void)(n))
#define K8S_ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/*
 * cJSON's hooks are process-wide and take no context, so they find the arena here. They are
 * installed only for the length of one parse or one release (the enricher's loop thread is
 * cJSON's only user, and nothing else runs meanwhile); the rest of the time cJSON has its
 * defaults, realloc included (the printers' cJSON_Print keeps growing buffers in place).
 */
static struct k8s_arena *k8s_arena_cur;

static bool k8s_arena_owns(const struct k8s_arena *a, const void *p)
{
	uintptr_t b = (uintptr_t)a->base, q = (uintptr_t)p;

	return a->base && q >= b && q < b + a->cap;
}

static void *k8s_arena_alloc(size_t n)
{
	struct k8s_arena *a = k8s_arena_cur;
	const size_t al = alignof(max_align_t);
	size_t need = (n + al - 1) & ~(al - 1);
	void *p;

	if (a && a->base && need >= n && need <= a->cap - a->used) {
		p = a->base + a->used;
		a->used += need;
		K8S_ARENA_UNPOISON(p, n);
		return p;
	}
	if (a)
		a->spilled = true;
	return malloc(n);
}

static void k8s_arena_dealloc(void *p)
{
	if (k8s_arena_cur && k8s_arena_owns(k8s_arena_cur, p))
		return; /* dropped with the whole block at release */
	free(p);
}

static void k8s_arena_hooks(struct k8s_arena *a)
{
	cJSON_Hooks h = {.malloc_fn = k8s_arena_alloc, .free_fn = k8s_arena_dealloc};

	k8s_arena_cur = a;
	cJSON_InitHooks(a ? &h : NULL);
}

cJSON *k8s_arena_parse(struct k8s_arena *a, const char *text, size_t n)
{
	cJSON *o;

	if (!a->base) {
		/* no block (no memory): the parse goes to malloc, as cJSON alone would */
		a->cap = a->cap ? a->cap : K8S_ARENA_CAP;
		a->base = malloc(a->cap);
		if (a->base)
			K8S_ARENA_POISON(a->base, a->cap);
	}
	a->used = 0;
	a->spilled = false;
	k8s_arena_hooks(a);
	o = cJSON_ParseWithLength(text, n);
	k8s_arena_hooks(NULL);
	if (a->spilled)
		a->spills++;
	return o;
}

void k8s_arena_release(struct k8s_arena *a, cJSON *tree)
{
	if (tree && a->spilled) {
		/* the malloc'd part freed node by node; the arena's nodes are skipped */
		k8s_arena_hooks(a);
		cJSON_Delete(tree);
		k8s_arena_hooks(NULL);
	}
	if (a->base)
		K8S_ARENA_POISON(a->base, a->used);
	a->used = 0;
	a->spilled = false;
}

void k8s_arena_free(struct k8s_arena *a)
{
	if (a->base)
		K8S_ARENA_UNPOISON(a->base, a->cap);
	free(a->base);
	a->base = NULL;
	a->used = 0;
}
