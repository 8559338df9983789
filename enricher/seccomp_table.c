/* seccomp_table.c: obi-enricher's seccomp rows, each with the reason it exists (also printed
 * into docs/security.md by tools/seccomp_profile). */
#include "seccomp_table.h"

#include "enricher.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* Everything the enricher does once sandboxed (on top of sandbox_base_rules). */
const struct sandbox_rule enricher_seccomp_rules[] = {
    {"socket", 0, {SB_EQ(0, AF_UNIX)}, "reconnecting to the probe after it restarts"},
    {"connect", 0, {{0}}, "the same reconnect (the socket is the only one it can create)"},
    {"getsockopt",
     0,
     {SB_EQ(1, SOL_SOCKET), SB_EQ(2, SO_PEERCRED)},
     "the probe's uid after each connect: nothing else may feed it records (connect.c)"},
    {"openat",
     0,
     {SB_EQ(2, ENRICHER_DIR_OPEN_FLAGS)},
     "reconnects reopen the socket directory: O_PATH|O_DIRECTORY|O_NOFOLLOW, nothing else"},
    {"openat",
     EACCES,
     {SB_NE(2, ENRICHER_DIR_OPEN_FLAGS)},
     "libc's lazy locale/time-zone opens fail harmlessly: no file can be opened"},
    {"open", EACCES, {{0}}, "the same for the legacy call"},
    {"ioctl",
     ENOTTY,
     {SB_EQ(1, TCGETS)},
     "stdio's isatty() on stdout: 'not a terminal' (full buffering; the printer flushes)"},
};
const size_t enricher_seccomp_n =
    sizeof(enricher_seccomp_rules) / sizeof(enricher_seccomp_rules[0]);
