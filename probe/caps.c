/* caps.c: obi-probe's capability checks (what the configured features need against what the
 * process has, and the sysctls and tracefs that gate them). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "log.h"
#include "probe.h"
#include "sandbox.h"

struct probe_cap_need {
	cap_value_t cap;
	const char *name;
	const char *why;
	bool essential; /* nothing can work without it */
};

/* What the probe needs at run time; anything else is dropped after start-up. */
static const struct probe_cap_need probe_caps[] = {
    {CAP_BPF, "BPF", "load BPF programs and maps", true},
    {CAP_PERFMON, "PERFMON", "attach tracepoints and read kernel/user memory from BPF", true},
    {CAP_SYS_PTRACE, "SYS_PTRACE", "read /proc/PID/{exe,environ} of other users' processes", false},
    {CAP_DAC_READ_SEARCH, "DAC_READ_SEARCH", "open executables and /proc entries of any owner",
     false},
    {CAP_CHECKPOINT_RESTORE, "CHECKPOINT_RESTORE", "follow /proc/PID/map_files links", false},
};

#define PROBE_NCAPS (sizeof(probe_caps) / sizeof(probe_caps[0]))

static bool probe_cap_effective(cap_t caps, cap_value_t c)
{
	cap_flag_value_t v = CAP_CLEAR;

	return cap_get_flag(caps, c, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET;
}

/* What one configured feature needs from the kernel, and how a deployment grants it. */
struct probe_cap_req {
	cap_value_t cap;
	const char *name;    /* as written in capabilities.add */
	const char *feature; /* the configured feature that needs it */
	const char *why;
	bool essential; /* the probe cannot run at all without it (or CAP_SYS_ADMIN) */
};

#define PROBE_MANIFEST_HINT                                                                        \
	"the obi-probe container's securityContext.capabilities.add "                              \
	"(manifests/daemonset/daemonset.yaml)"

/* Reads a small integer sysctl; -1 when it cannot be read (then nothing is claimed about it). */
static int probe_sysctl_int(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC), v = -1;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0 && sscanf(buf, "%d", &v) != 1)
		v = -1;
	return n > 0 ? v : -1;
}

/* Linux < 5.11 charges BPF maps to RLIMIT_MEMLOCK instead of the memory cgroup. */
static bool probe_kernel_memlock_accounted(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major < 5 || (major == 5 && minor < 11);
}

/* The capabilities the configuration in p needs; returns how many were written to out. */
static size_t probe_caps_needed(struct probe_cap_req *out, size_t max)
{
	static const struct probe_cap_req always[] = {
	    {CAP_BPF, "BPF", "every feature", "load BPF programs and create maps", true},
	    {CAP_PERFMON, "PERFMON", "the capture tracepoints",
	     "attach tracepoints and read socket and process memory from BPF", true},
	    {CAP_SYS_PTRACE, "SYS_PTRACE", "process discovery (open_port, AUTO_TARGET_EXE)",
	     "read /proc/PID/exe and /proc/PID/environ of other users' processes", false},
	    {CAP_DAC_READ_SEARCH, "DAC_READ_SEARCH",
	     "process discovery (open_port, AUTO_TARGET_EXE)",
	     "open /proc entries and executables of any owner", false},
	};
	static const struct probe_cap_req memlock = {
	    CAP_SYS_RESOURCE, "SYS_RESOURCE", "BPF maps on Linux < 5.11",
	    "raise RLIMIT_MEMLOCK, which these kernels charge BPF maps to", false};
	struct rlimit rl;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]) && n < max; i++)
		out[n++] = always[i];
	if (n < max && probe_kernel_memlock_accounted() &&
	    (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_max != RLIM_INFINITY))
		out[n++] = memlock;
	return n;
}

/* Why bpf() may refuse even a process that looks privileged enough; logged once if relevant. */
static void probe_caps_explain_bpf(bool have_bpf)
{
	int v = probe_sysctl_int("/proc/sys/kernel/unprivileged_bpf_disabled");

	if (!have_bpf && v > 0)
		log_errorx(
		    "kernel.unprivileged_bpf_disabled is %d: bpf() is refused to every "
		    "process without CAP_BPF or CAP_SYS_ADMIN; add BPF to " PROBE_MANIFEST_HINT,
		    v);
}

/* The "Seccomp:" mode of /proc/self/status: 0 none, 1 strict, 2 filter; -1 unknown. */
static int probe_seccomp_mode(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC), mode = -1;
	ssize_t n;
	const char *at;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	at = strstr(buf, "\nSeccomp:");
	if (at && sscanf(at + 9, "%d", &mode) != 1)
		mode = -1;
	return mode;
}

/*
 * Container runtimes' default seccomp profiles refuse bpf() with EPERM whatever the
 * capabilities: try the smallest map and, if refused under a filter, name the setting.
 */
static int probe_caps_check_seccomp(void)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	fd = (int)syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EPERM || probe_seccomp_mode() <= 0)
		return 0; /* not a seccomp refusal: the load reports what it is */
	log_errorx("bpf() is refused (EPERM) although CAP_BPF is held: a seccomp profile blocks it "
		   "(container runtimes' default profiles do); set the obi-probe container's "
		   "securityContext.seccompProfile to {type: Localhost, localhostProfile: "
		   "obi-probe.json} with build/seccomp/obi-probe.json installed on the node, or to "
		   "{type: Unconfined} (manifests/daemonset-unconfined)");
	return -1;
}

/*
 * Compares what the configured features need with the process's effective set. BPF and
 * PERFMON (each satisfied by SYS_ADMIN, as in the kernel) are fatal when missing: nothing can
 * load. The rest only warn unless enforce_sys_caps, as OBI's OTEL_EBPF_ENFORCE_SYS_CAPS.
 */
int probe_caps_check(const struct obi_config *cfg)
{
	struct probe_cap_req need[8];
	size_t n = probe_caps_needed(need, sizeof(need) / sizeof(need[0]));
	cap_t caps = cap_get_proc();
	bool fatal = false, admin, any = false;

	if (!caps) {
		log_error(errno, "reading capabilities");
		return -1;
	}
	admin = probe_cap_effective(caps, CAP_SYS_ADMIN);
	for (size_t i = 0; i < n; i++) {
		bool stop = need[i].essential || cfg->general.enforce_sys_caps;

		if (probe_cap_effective(caps, need[i].cap) || (need[i].essential && admin))
			continue;
		any = true;
		fatal |= stop;
		log_msg(stop ? LOG_LVL_ERROR : LOG_LVL_WARN,
			"missing capability CAP_%s, needed by %s (to %s): add `- %s` "
			"to " PROBE_MANIFEST_HINT ", or run obi-probe as root",
			need[i].name, need[i].feature, need[i].why, need[i].name);
	}
	if (!admin)
		probe_caps_explain_bpf(probe_cap_effective(caps, CAP_BPF));
	if ((admin || probe_cap_effective(caps, CAP_BPF)) && probe_caps_check_seccomp())
		fatal = true;
	cap_free(caps);
	if (any && !fatal)
		log_warnx("required capabilities not present: obi-probe may malfunction "
			  "(OTEL_EBPF_ENFORCE_SYS_CAPS=true makes this fatal)");
	return fatal ? -1 : 0;
}

int probe_caps_check_quiet(void)
{
	cap_t caps = cap_get_proc();
	int missing = 0;

	if (!caps)
		return -1;
	if (!probe_cap_effective(caps, CAP_SYS_ADMIN))
		for (size_t i = 0; i < PROBE_NCAPS; i++)
			if (probe_caps[i].essential &&
			    !probe_cap_effective(caps, probe_caps[i].cap))
				missing++;
	cap_free(caps);
	return missing;
}

static bool probe_tracefs_at(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/syscalls", dir);
	/* Effective credentials: access(2) would ignore our capabilities when not root. */
	return faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) == 0;
}

/* The syscall tracepoints are found by id under tracefs, which a fresh machine may not mount. */
static int probe_tracefs_ensure(bool admin)
{
	if (probe_tracefs_at("/sys/kernel/tracing") ||
	    probe_tracefs_at("/sys/kernel/debug/tracing"))
		return 0;
	if (admin &&
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == 0 &&
	    probe_tracefs_at("/sys/kernel/tracing")) {
		log_info("mounted tracefs at /sys/kernel/tracing");
		return 0;
	}
	if (admin)
		log_error(errno, "the syscall front end needs tracefs, which is not mounted at "
				 "/sys/kernel/tracing and could not be mounted there");
	else
		log_errorx("the syscall front end needs tracefs, which is not mounted at "
			   "/sys/kernel/tracing, and mounting it needs CAP_SYS_ADMIN");
	log_errorx(
	    "mount it on the host ('mount -t tracefs tracefs /sys/kernel/tracing') and add "
	    "the hostPath volume to the obi-probe container: volumes: "
	    "{name: tracefs, hostPath: {path: /sys/kernel/tracing}}, volumeMounts: "
	    "{name: tracefs, mountPath: /sys/kernel/tracing, readOnly: true} "
	    "(manifests/daemonset/daemonset.yaml); or use a kernel >= 6.3 (socket front end)");
	return -1;
}

/*
 * Checks that depend on the front end chosen: the syscall one attaches tracepoints through
 * perf_event_open, found by id under tracefs; the socket one (tp_btf) needs neither.
 */
int probe_caps_check_frontend(const struct probe *p)
{
	cap_t caps;
	bool admin;
	int paranoid, rc = 0;

	if (p->frontend != CONFIG_FRONTEND_SYSCALL)
		return 0;
	caps = cap_get_proc();
	if (!caps) {
		log_error(errno, "reading capabilities");
		return -1;
	}
	admin = probe_cap_effective(caps, CAP_SYS_ADMIN);
	cap_free(caps);
	/* Debian's and Ubuntu's level 3 refuses perf_event_open to all but CAP_SYS_ADMIN. */
	paranoid = probe_sysctl_int("/proc/sys/kernel/perf_event_paranoid");
	if (paranoid > 2 && !admin) {
		log_errorx(
		    "kernel.perf_event_paranoid is %d (above 2): this kernel refuses "
		    "perf_event_open, which the syscall front end's tracepoints need, to "
		    "processes without CAP_SYS_ADMIN even with CAP_PERFMON; lower it to 2 "
		    "('sysctl -w kernel.perf_event_paranoid=2' on the node), or add SYS_ADMIN "
		    "instead of PERFMON to " PROBE_MANIFEST_HINT,
		    paranoid);
		rc = -1;
	}
	if (probe_tracefs_ensure(admin))
		rc = -1;
	return rc;
}
