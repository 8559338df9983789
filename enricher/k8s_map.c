/* k8s_map.c: string hash map (linear probing) and the interned-string table built on it. */
#include "k8s_map.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

uint64_t k8s_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a, then a final mix for the low bits */

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

void k8s_map_init(struct k8s_map *m, size_t *bytes)
{
	*m = (struct k8s_map){.bytes = bytes};
}

void k8s_map_free(struct k8s_map *m)
{
	if (m->bytes)
		*m->bytes -= m->cap * sizeof(*m->slots);
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

static bool k8s_key_eq(const char *a, const char *b, size_t n)
{
	return a == b || (strncmp(a, b, n) == 0 && a[n] == '\0');
}

static struct k8s_map_slot *k8s_map_find(const struct k8s_map *m, const char *key, size_t n,
					 uint64_t h)
{
	if (!m->cap)
		return NULL;
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct k8s_map_slot *s = &m->slots[i];

		if (!s->key)
			return NULL;
		if (s->hash == h && k8s_key_eq(s->key, key, n))
			return s;
	}
}

void *k8s_map_getn(const struct k8s_map *m, const char *key, size_t n)
{
	struct k8s_map_slot *s = k8s_map_find(m, key, n, k8s_hash(key, n));

	return s ? s->val : NULL;
}

void *k8s_map_get(const struct k8s_map *m, const char *key)
{
	return key ? k8s_map_getn(m, key, strlen(key)) : NULL;
}

static void k8s_map_insert(struct k8s_map_slot *slots, size_t cap, struct k8s_map_slot e)
{
	size_t i = e.hash & (cap - 1);

	while (slots[i].key)
		i = (i + 1) & (cap - 1);
	slots[i] = e;
}

static int k8s_map_grow(struct k8s_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	struct k8s_map_slot *s = calloc(cap, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			k8s_map_insert(s, cap, m->slots[i]);
	if (m->bytes)
		*m->bytes += (cap - m->cap) * sizeof(*s);
	free(m->slots);
	m->slots = s;
	m->cap = cap;
	return 0;
}

int k8s_map_put(struct k8s_map *m, const char *key, void *val)
{
	uint64_t h = k8s_hash(key, strlen(key));
	struct k8s_map_slot *s = k8s_map_find(m, key, strlen(key), h);

	if (s) {
		s->key = key;
		s->val = val;
		return 0;
	}
	/* Load <= 3/4: probe runs stay short. */
	if ((m->n + 1) * 4 > m->cap * 3 && k8s_map_grow(m))
		return -ENOMEM;
	k8s_map_insert(m->slots, m->cap, (struct k8s_map_slot){key, val, h});
	m->n++;
	return 0;
}

void *k8s_map_del(struct k8s_map *m, const char *key)
{
	struct k8s_map_slot *s =
	    key ? k8s_map_find(m, key, strlen(key), k8s_hash(key, strlen(key))) : NULL;
	size_t i, j, mask = m->cap - 1;
	void *val;

	if (!s)
		return NULL;
	val = s->val;
	i = (size_t)(s - m->slots);
	/* Backward shift: pull later entries of the run into the hole when their home allows. */
	for (j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i] = (struct k8s_map_slot){0};
	m->n--;
	return val;
}

/* An interned string: the count lives in front of the characters handed out. */
struct k8s_istr {
	uint32_t refs;
	uint32_t len;
	char s[];
};

static struct k8s_istr *k8s_istr_of(const char *s)
{
	return (struct k8s_istr *)(void *)(s - offsetof(struct k8s_istr, s));
}

void k8s_strtab_init(struct k8s_strtab *t)
{
	memset(t, 0, sizeof(*t));
	k8s_map_init(&t->map, &t->bytes);
}

void k8s_strtab_free(struct k8s_strtab *t)
{
	for (size_t i = 0; i < t->map.cap; i++)
		if (t->map.slots[i].key)
			free(k8s_istr_of(t->map.slots[i].key));
	k8s_map_free(&t->map);
	t->bytes = 0;
	t->n_strings = 0;
}

const char *k8s_str_getn(struct k8s_strtab *t, const char *s, size_t n)
{
	struct k8s_map_slot *slot;
	struct k8s_istr *is;

	if (!s || n > UINT32_MAX - 1)
		return NULL;
	slot = k8s_map_find(&t->map, s, n, k8s_hash(s, n));
	if (slot) {
		k8s_istr_of(slot->key)->refs++;
		return slot->key;
	}
	is = malloc(sizeof(*is) + n + 1);
	if (!is)
		return NULL;
	is->refs = 1;
	is->len = (uint32_t)n;
	memcpy(is->s, s, n);
	is->s[n] = '\0';
	if (k8s_map_put(&t->map, is->s, is)) {
		free(is);
		return NULL;
	}
	t->bytes += sizeof(*is) + n + 1;
	t->n_strings++;
	return is->s;
}

const char *k8s_str_get(struct k8s_strtab *t, const char *s)
{
	return s ? k8s_str_getn(t, s, strlen(s)) : NULL;
}

void k8s_str_put(struct k8s_strtab *t, const char *s)
{
	struct k8s_istr *is;

	if (!s)
		return;
	is = k8s_istr_of(s);
	if (--is->refs)
		return;
	k8s_map_del(&t->map, s);
	t->bytes -= sizeof(*is) + is->len + 1;
	t->n_strings--;
	free(is);
}
