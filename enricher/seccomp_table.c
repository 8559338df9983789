/* seccomp_table.c: obi-enricher's seccomp rows, each with the reason it exists (also printed
 * into docs/security.md by tools/seccomp_profile). */
#include "seccomp_table.h"

#include "enricher.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* Open flags that could write, create or truncate: never allowed. glibc's __O_TMPFILE includes
 * O_DIRECTORY (which the socket-directory open uses): only its own bit is taken. */
#define ENRICHER_OPEN_WRITE_BITS                                                                   \
	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | (__O_TMPFILE & ~O_DIRECTORY))

/* Everything the enricher does once sandboxed (on top of sandbox_base_rules). */
const struct sandbox_rule enricher_seccomp_rules[] = {
    {"socket", 0, {SB_EQ(0, AF_UNIX)}, "reconnecting to the probe after it restarts"},
    {"socket",
     0,
     {SB_EQ(0, AF_INET)},
     "OTLP export: TCP to the collector, UDP to the DNS server (Landlock limits TCP ports)"},
    {"socket", 0, {SB_EQ(0, AF_INET6)}, "the same over IPv6 (libcurl also probes IPv6 once)"},
    {"socketpair",
     0,
     {SB_EQ(0, AF_UNIX)},
     "libcurl's resolver thread signals a finished lookup on a local socket pair"},
    {"connect",
     0,
     {{0}},
     "the probe (Unix), the collector (TCP, ports limited by Landlock), DNS (UDP); a filter "
     "cannot read the address"},
    {"getsockopt",
     0,
     {SB_EQ(1, SOL_SOCKET), SB_EQ(2, SO_PEERCRED)},
     "the probe's uid after each connect: nothing else may feed it records (connect.c)"},
    {"getsockopt",
     0,
     {SB_EQ(1, SOL_SOCKET), SB_EQ(2, SO_ERROR)},
     "libcurl: the result of a non-blocking connect"},
    {"setsockopt",
     0,
     {SB_EQ(1, IPPROTO_TCP), SB_EQ(2, TCP_NODELAY)},
     "libcurl: no Nagle delay on requests"},
    {"setsockopt",
     0,
     {SB_EQ(1, SOL_SOCKET), SB_EQ(2, SO_KEEPALIVE)},
     "libcurl: TCP keep-alive on the collector connection (CURLOPT_TCP_KEEPALIVE)"},
    {"setsockopt",
     0,
     {SB_EQ(1, IPPROTO_TCP), SB_EQ(2, TCP_KEEPIDLE)},
     "libcurl: keep-alive idle time"},
    {"setsockopt",
     0,
     {SB_EQ(1, IPPROTO_TCP), SB_EQ(2, TCP_KEEPINTVL)},
     "libcurl: keep-alive probe interval"},
    {"setsockopt",
     0,
     {SB_EQ(1, IPPROTO_IP), SB_EQ(2, IP_RECVERR)},
     "glibc's resolver: ICMP errors on its UDP socket"},
    {"setsockopt",
     0,
     {SB_EQ(1, IPPROTO_IPV6), SB_EQ(2, IPV6_RECVERR)},
     "glibc's resolver: the same over IPv6"},
    {"getsockname", 0, {{0}}, "libcurl: the local address of a new connection"},
    {"getpeername", 0, {{0}}, "libcurl: the peer address of a new connection"},
    {"poll", 0, {{0}}, "libcurl and glibc's resolver wait on their own sockets"},
    {"ppoll", 0, {{0}}, "the same (glibc may use the p-variant)"},
    {"uname",
     0,
     {{0}},
     "glibc's resolver takes the default search domain from the host name (gethostname)"},
    {"sendmmsg", 0, {{0}}, "glibc's resolver sends its A and AAAA queries in one call"},
    {"fcntl", 0, {SB_EQ(1, F_GETFL)}, "libcurl: reading a socket's flags to make it non-blocking"},
    {"fcntl", 0, {SB_EQ(1, F_SETFL)}, "libcurl: making a socket non-blocking"},
    {"openat",
     0,
     {SB_NONE_OF(2, ENRICHER_OPEN_WRITE_BITS)},
     "read-only opens: the socket directory (O_PATH), CA/certificate/key and resolver files; "
     "Landlock limits which; anything that could write or create kills the process"},
    {"open", EACCES, {{0}}, "the legacy call: no file is opened through it"},
    {"ioctl",
     ENOTTY,
     {SB_EQ(1, TCGETS)},
     "stdio's isatty() on stdout: 'not a terminal' (full buffering; the printer flushes)"},
    {"ioctl",
     0,
     {SB_EQ(1, FIONREAD)},
     "glibc's resolver sizes each DNS answer by the bytes queued on its own socket"},
    /* libcurl's threaded resolver: a short-lived thread per lookup (see docs/security.md). */
    {"clone3",
     ENOSYS,
     {{0}},
     "a filter cannot read clone3's flags: refused, so glibc falls back to clone"},
    {"clone",
     0,
     {SB_EQ(0, ENRICHER_CLONE_THREAD_FLAGS)},
     "pthread_create of libcurl's resolver thread: exactly a thread's flags, no fork, no new "
     "namespace"},
    {"rt_sigaction",
     0,
     {SB_EQ(0, ENRICHER_SIGSETXID)},
     "glibc installs its internal set-id signal's handler when the first thread starts; no "
     "other handler can be changed"},
    {"rt_sigaction",
     0,
     {SB_EQ(0, SIGPIPE)},
     "libcurl ignores SIGPIPE around closing its connections (also at exit); SIGPIPE is "
     "blocked and read from the signalfd anyway"},
    {"set_robust_list", 0, {{0}}, "glibc, in every new resolver thread"},
    {"rseq", 0, {{0}}, "glibc, in every new resolver thread"},
};
const size_t enricher_seccomp_n =
    sizeof(enricher_seccomp_rules) / sizeof(enricher_seccomp_rules[0]);
