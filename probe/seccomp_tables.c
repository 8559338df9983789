/* seccomp_tables.c: the probe's seccomp rows, each with the reason it exists (one source for
 * the run-time filter and the generated OCI profile). */
#include "seccomp_tables.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/sockios.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include "procworker.h"

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
    {"pread64",
     0,
     {{0}},
     "the /proc readers: ELF section headers of /proc/PID/exe, opened read-only (language "
     "detection)"},
    {"bpf", 0, {SB_EQ(0, BPF_MAP_LOOKUP_ELEM)}, "reading the kernel-side statistics map"},
    {"bpf", 0, {SB_EQ(0, BPF_MAP_UPDATE_ELEM)}, "selecting a process (pids map)"},
    {"bpf", 0, {SB_EQ(0, BPF_MAP_DELETE_ELEM)}, "forgetting an exited process (pids map)"},
    {"bpf", 0, {SB_EQ(0, BPF_PROG_TEST_RUN)}, "running the idle-connection sweep program"},
    {"accept4", 0, {{0}}, "the enricher connecting to the listening socket"},
    {"getsockopt",
     0,
     {SB_EQ(1, SOL_SOCKET), SB_EQ(2, SO_PEERCRED)},
     "the connecting peer's uid and pid (admission)"},
    {"getsockopt",
     0,
     {SB_EQ(1, SOL_SOCKET), SB_EQ(2, SO_TYPE)},
     "a descriptor from the launcher must be a SEQPACKET socket (admit.c)"},
    {"getsockopt", 0, {SB_EQ(1, SOL_SOCKET), SB_EQ(2, SO_DOMAIN)}, "... and an AF_UNIX one"},
    {"ioctl",
     0,
     {SB_EQ(1, SIOCOUTQ)},
     "bytes the enricher has not read yet: tells a silent enricher a new one may replace"},
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
    /* The /proc reader threads (procworker.c) are started after confinement and inherit it. */
    {"clone3",
     ENOSYS,
     {{0}},
     "a filter cannot read clone3's flags: refused, so glibc falls back to clone"},
    {"clone",
     0,
     {SB_EQ(0, PW_CLONE_THREAD_FLAGS)},
     "pthread_create of a /proc reader: exactly a thread's flags, no fork, no new namespace"},
    {"set_robust_list", 0, {{0}}, "glibc, in every new /proc reader thread"},
    {"rseq", 0, {{0}}, "glibc, in every new /proc reader thread"},
};
const size_t probe_seccomp_runtime_n =
    sizeof(probe_seccomp_runtime) / sizeof(probe_seccomp_runtime[0]);

/*
 * Measured with tests/seccomp/measure.py (strace from execve to probe_confine(), all three
 * variants; docs/security.md). In the OCI profile a call not listed fails with EPERM.
 */
const struct sandbox_rule probe_seccomp_startup[] = {
    {"execve", 0, {{0}}, "the runtime executing obi-probe"},
    /* runc's init runs these after it installed the profile and before exec (measured). */
    {"fcntl", 0, {{0}}, "runc init: marking its descriptors close-on-exec"},
    {"fstatfs", 0, {{0}}, "runc init: checking /proc/self/fd is procfs"},
    {"chdir", 0, {{0}}, "runc init: the container's working directory"},
    {"setuid", 0, {{0}}, "runc init: the container's user (runAsUser)"},
    {"setgid", 0, {{0}}, "runc init: the container's group"},
    {"getcwd", 0, {{0}}, "runc init: checking the working directory is inside the container"},
    {"getppid", 0, {{0}}, "runc init: checking its parent is still there"},
    {"arch_prctl", 0, {{0}}, "libc start-up: thread pointer"},
    {"set_tid_address", 0, {{0}}, "libc start-up"},
    {"set_robust_list", 0, {{0}}, "libc start-up"},
    {"rseq", 0, {{0}}, "libc start-up: restartable sequences registration"},
    {"prlimit64", 0, {{0}}, "libc start-up (stack limit)"},
    {"access", 0, {{0}}, "the dynamic loader (ld.so.preload)"},
    {"faccessat2", 0, {{0}}, "whether tracefs is mounted (effective credentials)"},
    {"pread64", 0, {{0}}, "the dynamic loader reading ELF headers"},
    {"uname", 0, {{0}}, "the kernel release (BPF object choice, logs)"},
    {"openat", 0, {{0}}, "libraries, configuration, BTF, tracefs ids, /proc of every process"},
    {"readlink", 0, {{0}}, "/proc/PID/exe during the first scan"},
    {"getdents64", 0, {{0}}, "listing /proc during the first scan"},
    {"mmap", 0, {{0}}, "the dynamic loader maps libraries executable; BPF ring buffers"},
    {"mprotect", 0, {{0}}, "the dynamic loader's RELRO"},
    {"bpf", 0, {{0}}, "loading and attaching the programs: every command libbpf uses"},
    {"perf_event_open", 0, {{0}}, "the syscall front end's tracepoints (perf-event links)"},
    {"ioctl", 0, {SB_EQ(1, PERF_EVENT_IOC_ENABLE)}, "enabling those tracepoint events"},
    {"ioctl",
     0,
     {SB_EQ(1, PERF_EVENT_IOC_SET_BPF)},
     "attaching to them where the kernel has no perf-event BPF links (5.8-5.14)"},
    {"capget", 0, {{0}}, "the capability check"},
    {"capset", 0, {{0}}, "dropping to the run-time capabilities"},
    {"prctl", 0, {SB_EQ(0, PR_SET_NAME)}, "naming the process"},
    {"prctl", 0, {SB_EQ(0, PR_SET_DUMPABLE)}, "non-dumpable before reading the environment"},
    {"prctl", 0, {SB_EQ(0, PR_CAPBSET_READ)}, "libcap probing the bounding set"},
    {"prctl", 0, {SB_EQ(0, PR_CAPBSET_DROP)}, "shrinking the bounding set"},
    {"prctl", 0, {SB_EQ(0, PR_CAP_AMBIENT)}, "clearing the ambient set"},
    {"prctl", 0, {SB_EQ(0, PR_SET_KEEPCAPS)}, "keeping capabilities across the uid change"},
    {"prctl", 0, {SB_EQ(0, PR_SET_NO_NEW_PRIVS)}, "before its own filter"},
    {"prctl", 0, {SB_EQ(0, PR_GET_SECCOMP)}, "libseccomp checking the current mode"},
    {"prctl", 0, {SB_EQ(0, PR_SET_SECCOMP)}, "libseccomp's fallback for loading the filter"},
    {"seccomp", 0, {{0}}, "installing its own, narrower run-time filter"},
    {"setgroups", 0, {{0}}, "dropping supplementary groups (where it holds CAP_SETGID)"},
    {"setresgid", 0, {{0}}, "becoming probe.gid"},
    {"setresuid", 0, {{0}}, "becoming probe.uid"},
    {"socket", 0, {SB_EQ(0, AF_UNIX)}, "the listening socket for the enricher"},
    {"bind", 0, {{0}}, "the same"},
    {"listen", 0, {{0}}, "the same"},
    {"mkdir", 0, {{0}}, "the socket directory"},
    {"mkdirat", 0, {{0}}, "the same through a directory descriptor"},
    {"unlink", 0, {{0}}, "a stale socket from an earlier run"},
    {"unlinkat", 0, {{0}}, "the same through the directory descriptor"},
    {"chown", 0, {{0}}, "handing the socket to the enricher's uid"},
    {"chmod", 0, {{0}}, "the socket's mode"},
    {"fchownat", 0, {{0}}, "the same through the directory descriptor, without following links"},
    {"fchmodat", 0, {{0}}, "the same"},
    {"fchown", 0, {{0}}, "the private socket directory's owner, through its descriptor"},
    {"fchmod", 0, {{0}}, "the private socket directory's mode, through its descriptor"},
    {"umask", 0, {{0}}, "binding the socket with its final mode at once"},
    {"rt_sigaction",
     0,
     {{0}},
     "glibc's first pthread_create installs its cancellation handler (a warm-up thread "
     "started before confinement, procworker.c)"},
    {"eventfd2", 0, {{0}}, "the /proc readers' answer descriptor, made before confinement"},
    {"epoll_create1", 0, {{0}}, "the event loop"},
    {"timerfd_create", 0, {{0}}, "the drain timer"},
    {"signalfd4", 0, {{0}}, "SIGTERM/SIGINT as a descriptor"},
};
const size_t probe_seccomp_startup_n =
    sizeof(probe_seccomp_startup) / sizeof(probe_seccomp_startup[0]);
