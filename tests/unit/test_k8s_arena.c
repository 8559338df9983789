/* test_k8s_arena.c: cJSON trees in the per-element arena: reuse, spill to malloc, hooks undone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_arena.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define T_ASAN 1
#endif

static bool t_in(const struct k8s_arena *a, const void *p)
{
	uintptr_t b = (uintptr_t)a->base, q = (uintptr_t)p;

	return q >= b && q < b + a->cap;
}

/* {"items":[{"name":"n0","v":0},...]}: n items, every value checked after the parse. */
static char *t_doc(unsigned n)
{
	size_t cap = 64 + (size_t)n * 48, len;
	char *s = malloc(cap);

	assert_non_null(s);
	len = (size_t)snprintf(s, cap, "{\"items\":[");
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s{\"name\":\"n%u\",\"v\":%u}",
					i ? "," : "", i, i);
	snprintf(s + len, cap - len, "]}");
	return s;
}

static void t_check(const cJSON *o, unsigned n)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(o, "items"), *e;
	unsigned i = 0;
	char want[16];

	assert_int_equal(cJSON_GetArraySize(items), n);
	cJSON_ArrayForEach(e, items)
	{
		snprintf(want, sizeof(want), "n%u", i);
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring, want);
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(e, "v")->valueint, i);
		i++;
	}
}

/* A small element lives in the block alone, and the next one reuses the same bytes. */
static void test_small_reused(void **state)
{
	struct k8s_arena a = {0};
	char *doc = t_doc(20);
	cJSON *o = k8s_arena_parse(&a, doc, strlen(doc));
	const void *first = o;

	(void)state;
	assert_non_null(o);
	assert_true(t_in(&a, o));
	assert_false(a.spilled);
	t_check(o, 20);
	k8s_arena_release(&a, o);
#ifdef T_ASAN
	assert_true(__asan_address_is_poisoned(first)); /* kept past release: ASan faults */
#endif
	o = k8s_arena_parse(&a, doc, strlen(doc));
	assert_ptr_equal(o, first);
	t_check(o, 20);
	k8s_arena_release(&a, o);
	assert_int_equal(a.spills, 0);
	k8s_arena_free(&a);
	free(doc);
}

/* A tree larger than the block goes on in malloc; release frees that part (LeakSanitizer). */
static void test_spill(void **state)
{
	struct k8s_arena a = {.cap = 2048};
	char *doc = t_doc(500);
	cJSON *o;

	(void)state;
	for (int round = 0; round < 3; round++) {
		o = k8s_arena_parse(&a, doc, strlen(doc));
		assert_non_null(o);
		assert_true(a.spilled);
		t_check(o, 500);
		k8s_arena_release(&a, o);
	}
	assert_int_equal(a.spills, 3);
	/* and a small one after a spill is in the block again */
	o = k8s_arena_parse(&a, "{\"items\":[]}", 12);
	assert_non_null(o);
	assert_false(a.spilled);
	k8s_arena_release(&a, o);
	k8s_arena_free(&a);
	free(doc);
}

/* Malformed text: NULL, cJSON's partial tree freed (spilled or not), the arena still usable. */
static void test_malformed(void **state)
{
	static const char *const bad[] = {"{\"items\":[{\"name\":", "[1,2,", "{]", ""};
	struct k8s_arena a = {.cap = 256};
	char *doc = t_doc(50);
	size_t n = strlen(doc);
	cJSON *o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = k8s_arena_parse(&a, bad[i], strlen(bad[i]));
		assert_null(o);
		k8s_arena_release(&a, o);
	}
	doc[n - 3] = '\0'; /* cut inside the last item: a partial tree past the 256 bytes */
	assert_null(k8s_arena_parse(&a, doc, n - 3));
	k8s_arena_release(&a, NULL);
	doc[n - 3] = '}';
	o = k8s_arena_parse(&a, doc, n);
	assert_non_null(o);
	t_check(o, 50);
	k8s_arena_release(&a, o);
	k8s_arena_free(&a);
	free(doc);
}

/* Outside a parse cJSON has its own allocator again: other users' trees are plain malloc. */
static void test_hooks_undone(void **state)
{
	struct k8s_arena a = {0};
	cJSON *o = k8s_arena_parse(&a, "{\"a\":1}", 7), *other;
	char *text;

	(void)state;
	assert_non_null(o);
	other = cJSON_CreateObject();
	cJSON_AddStringToObject(other, "k", "v");
	assert_false(t_in(&a, other));
	text = cJSON_PrintUnformatted(other);
	assert_string_equal(text, "{\"k\":\"v\"}");
	free(text); /* malloc'd: the printers free cJSON's output with free() */
	cJSON_Delete(other);
	k8s_arena_release(&a, o);
	k8s_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_small_reused),
	    cmocka_unit_test(test_spill),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_hooks_undone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
