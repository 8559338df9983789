/* factcache.h: the PROC_ADD payload of every selected process, kept so that a (re)connecting
 * enricher and a forked child get theirs without reading /proc on the drain path. */
#ifndef OBI_FACTCACHE_H
#define OBI_FACTCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procworker.h"

struct factcache;

struct factcache *factcache_new(void);
void factcache_free(struct factcache *c);
/* The selector a process matched, as PROC_ADD tells the enricher. */
struct factcache_sel {
	uint16_t index; /* obi_wire_proc.selector */
	const char *name, *namespace_;
};

/*
 * Builds pid's PROC_ADD payload from a job's facts (memory facts only if read) and keeps it.
 * sel NULL: the selector it had, else its parent's (a child selected with its parent).
 */
int factcache_put_job(struct factcache *c, const struct pw_job *j, const struct factcache_sel *sel);
/*
 * A child's payload before its own facts are read: the parent's, with the child's pid, ppid
 * and start time (fork copies the executable, arguments, cgroup and environment). -1 if the
 * parent has none.
 */
int factcache_put_fork(struct factcache *c, uint32_t parent, uint32_t child,
		       uint64_t start_unix_ns);
/* The kept payload, valid until the next put or del for pid; NULL if none. */
const uint8_t *factcache_get(const struct factcache *c, uint32_t pid, size_t *len);
void factcache_del(struct factcache *c, uint32_t pid);
/* Bytes kept (all payloads). */
size_t factcache_bytes(const struct factcache *c);

#endif /* OBI_FACTCACHE_H */
