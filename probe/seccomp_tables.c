/* seccomp_tables.c: the probe's seccomp rows, each with the reason it exists (one source for
 * the run-time filter and the generated OCI profile). */
#include "seccomp_tables.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/socket.h>
#include <sys/ioctl.h>

/*
 * Any of these in openat's flags means writing or creating: the running probe only reads.
 * 020000000 is the kernel's own O_TMPFILE bit: glibc's __O_TMPFILE also has O_DIRECTORY in it,
 * which opendir() uses.
 */
#define PROBE_OPEN_TMPFILE_BIT 020000000
#define PROBE_OPEN_WRITE_BITS                                                                      \
	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_EXCL | PROBE_OPEN_TMPFILE_BIT)

const struct sandbox_rule probe_seccomp_runtime[] = {
    {"openat",
     0,
     {SB_NONE_OF(2, PROBE_OPEN_WRITE_BITS)},
     "/proc/PID/{stat,status,environ,cgroup,net/tcp*} of new processes: read-only (arg2)"},
    {"getdents64", 0, {{0}}, "listing /proc and /proc/PID/fd while discovering processes"},
    {"readlink", 0, {{0}}, "/proc/PID/exe and /proc/PID/fd/N of new processes"},
    {"readlinkat", 0, {{0}}, "the same through the *at form"},
    {"bpf", 0, {SB_EQ(0, BPF_MAP_LOOKUP_ELEM)}, "reading the kernel-side statistics map"},
    {"bpf", 0, {SB_EQ(0, BPF_MAP_UPDATE_ELEM)}, "selecting a process (pids map)"},
    {"bpf", 0, {SB_EQ(0, BPF_MAP_DELETE_ELEM)}, "forgetting an exited process (pids map)"},
    {"bpf", 0, {SB_EQ(0, BPF_PROG_TEST_RUN)}, "running the idle-connection sweep program"},
    {"accept4", 0, {{0}}, "the enricher connecting to the listening socket"},
    {"getsockopt",
     0,
     {SB_EQ(1, SOL_SOCKET), SB_EQ(2, SO_PEERCRED)},
     "the connecting peer's uid and pid (admission)"},
    {"geteuid", 0, {{0}}, "admission accepts a peer with the probe's own uid"},
    {"unlink", EACCES, {{0}}, "path-based unlink refused harmlessly (the exit path's fallback)"},
    {"ioctl",
     0,
     {SB_EQ(1, PERF_EVENT_IOC_DISABLE)},
     "detaching the syscall front end's perf-event tracepoint links at exit (fds it holds)"},
    {"ioctl",
     ENOTTY,
     {SB_EQ(1, TCGETS)},
     "stdio's isatty() on stderr: answered 'not a terminal' instead of killing"},
};
const size_t probe_seccomp_runtime_n =
    sizeof(probe_seccomp_runtime) / sizeof(probe_seccomp_runtime[0]);

/* Filled from the start-up trace (docs/security.md): everything before probe_confine(). */
const struct sandbox_rule probe_seccomp_startup[] = {
    {"execve", 0, {{0}}, "the runtime executing obi-probe"},
};
const size_t probe_seccomp_startup_n =
    sizeof(probe_seccomp_startup) / sizeof(probe_seccomp_startup[0]);
