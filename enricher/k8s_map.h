/* k8s_map.h: the metadata cache's string-keyed hash map and its refcounted string interning. */
#ifndef OBI_K8S_MAP_H
#define OBI_K8S_MAP_H

#include <stddef.h>
#include <stdint.h>

/* Open addressing, linear probing, backward-shift deletion (no tombstones to age). */
struct k8s_map_slot {
	const char *key; /* NULL: empty */
	void *val;
	uint64_t hash;
};

struct k8s_map {
	struct k8s_map_slot *slots;
	size_t cap, n; /* cap: 0 or a power of two */
	size_t *bytes; /* the owner's memory account (slots are charged to it) */
};

uint64_t k8s_hash(const char *s, size_t n);

void k8s_map_init(struct k8s_map *m, size_t *bytes);
void k8s_map_free(struct k8s_map *m);
void *k8s_map_get(const struct k8s_map *m, const char *key);
void *k8s_map_getn(const struct k8s_map *m, const char *key, size_t n);
/* key must live while it is in the map. Replaces; 0 or -ENOMEM. */
int k8s_map_put(struct k8s_map *m, const char *key, void *val);
/* The removed value, or NULL. */
void *k8s_map_del(struct k8s_map *m, const char *key);

/*
 * Interned strings: one copy of each distinct namespace, node, owner, label value... however
 * many pods carry it. k8s_str_get returns the shared copy with one more reference (NULL for
 * NULL or on ENOMEM); k8s_str_put drops one.
 */
struct k8s_strtab {
	struct k8s_map map;
	size_t bytes; /* strings and slots */
	uint64_t n_strings;
};

void k8s_strtab_init(struct k8s_strtab *t);
void k8s_strtab_free(struct k8s_strtab *t);
const char *k8s_str_get(struct k8s_strtab *t, const char *s);
const char *k8s_str_getn(struct k8s_strtab *t, const char *s, size_t n);
void k8s_str_put(struct k8s_strtab *t, const char *s);

#endif /* OBI_K8S_MAP_H */
