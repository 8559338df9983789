/* seccomp_table.c: obi-enricher's seccomp rows, each with the reason it exists (also printed
 * into docs/security.md by tools/seccomp_profile). */
#include "seccomp_table.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* Everything the enricher does once sandboxed (on top of sandbox_base_rules). */
const struct sandbox_rule enricher_seccomp_rules[] = {
    {"socket", 0, {SB_EQ(0, AF_UNIX)}, "reconnecting to the probe after it restarts"},
    {"connect", 0, {{0}}, "the same reconnect (the socket is the only one it can create)"},
    {"openat", EACCES, {{0}}, "libc's lazy locale/time-zone opens fail harmlessly, no file opens"},
    {"open", EACCES, {{0}}, "the same for the legacy call"},
    {"ioctl",
     ENOTTY,
     {SB_EQ(1, TCGETS)},
     "stdio's isatty() on stdout: 'not a terminal' (full buffering; the printer flushes)"},
};
const size_t enricher_seccomp_n =
    sizeof(enricher_seccomp_rules) / sizeof(enricher_seccomp_rules[0]);
