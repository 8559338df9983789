/* seccomp_table.h: obi-enricher's seccomp table (on top of sandbox_base_rules). */
#ifndef OBI_ENRICHER_SECCOMP_TABLE_H
#define OBI_ENRICHER_SECCOMP_TABLE_H

#include <stddef.h>

#include "sandbox.h"

/* The clone() flags of glibc's pthread_create (CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|
 * PARENT_SETTID|CHILD_CLEARTID): the only clone the resolver thread needs. */
#define ENRICHER_CLONE_THREAD_FLAGS 0x3d0f00

/* glibc's SIGSETXID (SIGRTMIN + 1, internal to libc): its handler is installed lazily. */
#define ENRICHER_SIGSETXID 33

extern const struct sandbox_rule enricher_seccomp_rules[];
extern const size_t enricher_seccomp_n;

#endif /* OBI_ENRICHER_SECCOMP_TABLE_H */
