/* seccomp_tables.h: obi-probe's two seccomp tables (start-up and run time), shared by the probe
 * and by tools/seccomp_profile.c, which turns them into the container's OCI profile. */
#ifndef OBI_PROBE_SECCOMP_TABLES_H
#define OBI_PROBE_SECCOMP_TABLES_H

#include <stddef.h>

#include "sandbox.h"

/* What the running probe may do on top of sandbox_base_rules (installed by probe_confine()). */
extern const struct sandbox_rule probe_seccomp_runtime[];
extern const size_t probe_seccomp_runtime_n;

/*
 * What exec, libc start-up, configuration, BPF load/attach, the socket, the first /proc scan and
 * the credential change need before the run-time filter exists. Only the OCI profile uses it:
 * the container runtime installs that profile before exec.
 */
extern const struct sandbox_rule probe_seccomp_startup[];
extern const size_t probe_seccomp_startup_n;

#endif /* OBI_PROBE_SECCOMP_TABLES_H */
