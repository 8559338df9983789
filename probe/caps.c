/* caps.c: obi-probe's capability check and tracefs availability. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

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

int probe_caps_check(void)
{
	cap_t caps = cap_get_proc();
	char missing[512] = "";
	bool fatal = false, admin;
	size_t off = 0;

	if (!caps) {
		log_error(errno, "reading capabilities");
		return -1;
	}
	admin = probe_cap_effective(caps, CAP_SYS_ADMIN);
	for (size_t i = 0; i < PROBE_NCAPS; i++) {
		if (probe_cap_effective(caps, probe_caps[i].cap))
			continue;
		if (probe_caps[i].essential && !admin)
			fatal = true;
		log_msg(probe_caps[i].essential && !admin ? LOG_LVL_ERROR : LOG_LVL_WARN,
			"missing capability CAP_%s: needed to %s", probe_caps[i].name,
			probe_caps[i].why);
		off += snprintf(missing + off, sizeof(missing) - off, "%s%s", off ? ", " : "",
				probe_caps[i].name);
		if (off >= sizeof(missing))
			off = sizeof(missing) - 1;
	}
	cap_free(caps);
	if (off)
		log_msg(fatal ? LOG_LVL_ERROR : LOG_LVL_WARN,
			"add the missing capabilities (%s) to obi-probe: in Kubernetes "
			"securityContext.capabilities.add: [BPF, PERFMON, SYS_PTRACE, NET_RAW, "
			"CHECKPOINT_RESTORE, DAC_READ_SEARCH], or run it as root",
			missing);
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
int probe_tracefs_ensure(void)
{
	if (probe_tracefs_at("/sys/kernel/tracing") ||
	    probe_tracefs_at("/sys/kernel/debug/tracing"))
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == 0 &&
	    probe_tracefs_at("/sys/kernel/tracing")) {
		log_info("mounted tracefs at /sys/kernel/tracing");
		return 0;
	}
	log_error(errno, "the syscall front end needs tracefs, which is not mounted at "
			 "/sys/kernel/tracing and could not be mounted (needs CAP_SYS_ADMIN); run "
			 "'mount -t tracefs tracefs /sys/kernel/tracing' on the host, or mount the "
			 "host's /sys/kernel/tracing into the container");
	return -1;
}
