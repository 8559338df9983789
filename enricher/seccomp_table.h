/* seccomp_table.h: obi-enricher's seccomp table (on top of sandbox_base_rules). */
#ifndef OBI_ENRICHER_SECCOMP_TABLE_H
#define OBI_ENRICHER_SECCOMP_TABLE_H

#include <stddef.h>

#include "sandbox.h"

extern const struct sandbox_rule enricher_seccomp_rules[];
extern const size_t enricher_seccomp_n;

#endif /* OBI_ENRICHER_SECCOMP_TABLE_H */
