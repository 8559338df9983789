/* procfs.c: reads the facts of one process from /proc, in a reader thread (procworker.c): what
 * cannot stall first (exe, status, stat, cgroup, sockets, children), then its memory (cmdline,
 * environ), which a hostile process can make block forever. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "procparse.h"
#include "procworker.h"
#include "select.h"

/* The environment is read this far: the two variables taken from it come first in practice. */
#define PROBE_PROCFS_ENV_MAX (64 * 1024)
/* /proc/PID/maps is scanned in chunks, up to a bound (the runtime's library maps early). */
#define PROBE_PROCFS_MAPS_CHUNK (64 * 1024)
#define PROBE_PROCFS_MAPS_KEEP 256
#define PROBE_PROCFS_MAPS_MAX (4 * 1024 * 1024)

/* Reads a whole small /proc file into buf (NUL-terminated); returns bytes read or -1. */
static ssize_t probe_procfs_read(const char *path, char *buf, size_t cap)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	while ((size_t)total < cap - 1) {
		n = read(fd, buf + total, cap - 1 - total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

static int probe_procfs_exe(uint32_t pid, char *out, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, out, len - 1);
	if (n < 0)
		return -1;
	out[procparse_exe_len(out, (size_t)n)] = '\0';
	return 0;
}

static void probe_procfs_status(uint32_t pid, struct pw_safe_facts *f)
{
	char path[64], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	n = probe_procfs_read(path, buf, sizeof(buf));
	f->ns_pid = pid;
	if (n < 0)
		return;
	procparse_status_u32(buf, (size_t)n, "PPid", false, &f->ppid);
	procparse_status_u32(buf, (size_t)n, "NSpid", true, &f->ns_pid);
}

static uint64_t probe_procfs_start_unix_ns(uint32_t pid)
{
	char path[64], buf[1024];
	unsigned long long ticks;
	struct timespec real, boot;
	long hz = sysconf(_SC_CLK_TCK);
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	n = probe_procfs_read(path, buf, sizeof(buf));
	if (n < 0 || hz <= 0 || procparse_stat_starttime(buf, (size_t)n, &ticks))
		return 0;
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	return (uint64_t)(real.tv_sec - boot.tv_sec) * 1000000000ULL + real.tv_nsec - boot.tv_nsec +
	       ticks * (1000000000ULL / (uint64_t)hz);
}

static void probe_procfs_cgroup(uint32_t pid, struct pw_safe_facts *f)
{
	char path[64];
	ssize_t n;

	/* All lines are kept (cgroup v1 has one per hierarchy); the enricher parses them. */
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	n = probe_procfs_read(path, f->cgroup, sizeof(f->cgroup));
	f->cgroup[n > 0 ? procparse_cgroup_len(f->cgroup, (size_t)n) : 0] = '\0';
}

/* LISTEN sockets of the process's network namespace (whoever holds them). */
static int probe_procfs_listen_table(uint32_t pid, struct procparse_listen *l, int max)
{
	static const char *const files[] = {"tcp", "tcp6"};
	char path[64], *buf = malloc(256 * 1024);
	int n = 0;

	if (!buf)
		return 0;
	for (int i = 0; i < 2; i++) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/%u/net/%s", pid, files[i]);
		len = probe_procfs_read(path, buf, 256 * 1024);
		if (len > 0)
			n = procparse_tcp_listen(buf, (size_t)len, l, n, max);
	}
	free(buf);
	return n;
}

/* Ports of the LISTEN sockets among the process's descriptors (inodes matched). */
static void probe_procfs_ports(uint32_t pid, struct pw_safe_facts *f)
{
	struct procparse_listen l[256];
	char path[64];
	struct dirent *de;
	int nl = probe_procfs_listen_table(pid, l, 256);
	DIR *d;

	if (!nl)
		return;
	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && f->nports < PW_MAX_PORTS) {
		char fdpath[400], link[64];
		unsigned long ino;
		ssize_t k;

		if (de->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
		k = readlink(fdpath, link, sizeof(link));
		if (k <= 0 || procparse_socket_inode(link, (size_t)k, &ino))
			continue;
		for (int i = 0; i < nl && f->nports < PW_MAX_PORTS; i++)
			if (l[i].inode == ino)
				f->ports[f->nports++] = l[i].port;
	}
	closedir(d);
}

/* The LISTEN record's port, if the /proc read did not see it (closed since, or not asked). */
static void probe_procfs_add_port(struct pw_safe_facts *f, uint16_t port)
{
	for (int i = 0; i < f->nports; i++)
		if (f->ports[i] == port)
			return;
	if (port && f->nports < PW_MAX_PORTS)
		f->ports[f->nports++] = port;
}

/* Direct children of every thread of the process. */
static void probe_procfs_children(uint32_t pid, struct pw_safe_facts *f)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%u/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && f->nchildren < PW_MAX_CHILDREN) {
		char cpath[400], buf[4096];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "%s/%s/children", path, de->d_name);
		n = probe_procfs_read(cpath, buf, sizeof(buf));
		if (n > 0)
			f->nchildren = procparse_pid_list(buf, (size_t)n, f->children, f->nchildren,
							  PW_MAX_CHILDREN);
	}
	closedir(d);
}

static void probe_procfs_memory(uint32_t pid, struct pw_mem_facts *m)
{
	char path[64], *env = malloc(PROBE_PROCFS_ENV_MAX);
	const char *v;
	ssize_t n;
	size_t vlen;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	n = probe_procfs_read(path, m->cmdline, sizeof(m->cmdline));
	m->cmdline_len = n > 0 ? procparse_cmdline_len(m->cmdline, (size_t)n) : 0;
	/* Only two variables are taken from the environment; the rest may hold secrets. */
	snprintf(path, sizeof(path), "/proc/%u/environ", pid);
	n = env ? probe_procfs_read(path, env, PROBE_PROCFS_ENV_MAX) : -1;
	if (n > 0 && (v = procparse_env_get(env, (size_t)n, "OTEL_SERVICE_NAME", &vlen)))
		snprintf(m->svc, sizeof(m->svc), "%.*s", (int)vlen, v);
	if (n > 0 && (v = procparse_env_get(env, (size_t)n, "OTEL_RESOURCE_ATTRIBUTES", &vlen)))
		snprintf(m->res, sizeof(m->res), "%.*s", (int)vlen, v);
	if (n > 0 && (v = procparse_env_get(env, (size_t)n, "OTEL_SERVICE_NAMESPACE", &vlen)))
		snprintf(m->svc_ns, sizeof(m->svc_ns), "%.*s", (int)vlen, v);
	m->read = true;
	free(env);
}

static ssize_t probe_procfs_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
	ssize_t got, total = 0;

	while ((size_t)total < n) {
		got = pread(*(int *)ctx, (char *)buf + total, n - (size_t)total,
			    (off_t)(off + (uint64_t)total));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		total += got;
	}
	return total;
}

/* The first runtime library among the mappings (read in chunks: a JVM maps thousands). */
static unsigned probe_procfs_maps_lang(uint32_t pid)
{
	char path[64], *buf = malloc(PROBE_PROCFS_MAPS_CHUNK + PROBE_PROCFS_MAPS_KEEP);
	unsigned lang = OBI_LANG_UNKNOWN;
	size_t keep = 0, total = 0, len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	fd = buf ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	while (fd >= 0 && lang == OBI_LANG_UNKNOWN && total < PROBE_PROCFS_MAPS_MAX) {
		ssize_t n = read(fd, buf + keep, PROBE_PROCFS_MAPS_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += (size_t)n;
		len = keep + (size_t)n;
		lang = select_lang_from_maps(buf, len);
		/* A name cut by the chunk's end is found whole in the next round. */
		keep = len < PROBE_PROCFS_MAPS_KEEP ? len : PROBE_PROCFS_MAPS_KEEP;
		memmove(buf, buf + len - keep, keep);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return lang;
}

/* The language, from the libraries, the name, then the ELF file (opened through the link). */
static unsigned probe_procfs_lang(uint32_t pid, const char *exe)
{
	char path[64];
	unsigned maps = probe_procfs_maps_lang(pid), elf = OBI_LANG_UNKNOWN;
	unsigned name = select_lang_from_exe(exe);
	int fd;

	if (maps != OBI_LANG_UNKNOWN || name != OBI_LANG_UNKNOWN)
		return select_lang_decide(maps, name, elf);
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		elf = select_lang_from_elf(probe_procfs_pread, &fd);
		close(fd);
	}
	return select_lang_decide(maps, name, elf);
}

/* containers_only: the process's namespaces against the host's (select.h states the rule). */
static void probe_procfs_namespaces(const struct pw_job *j, struct pw_safe_facts *f)
{
	char links[3][64], path[64];
	const char *const names[3] = {"pid", "mnt", "net"};

	for (int i = 0; i < 3; i++) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%u/ns/%s", j->pid, names[i]);
		n = readlink(path, links[i], sizeof(links[i]) - 1);
		links[i][n > 0 ? n : 0] = '\0';
	}
	f->in_container = select_in_container(&j->sel->host, links[0], links[1], links[2]);
}

/* Whether the selectors already rule the process out (its memory is then not read). */
static bool probe_procfs_ruled_out(const struct pw_job *j)
{
	struct select_facts sf = {.pid = j->pid,
				  .exe = j->safe.exe,
				  .ports = j->safe.ports,
				  .nports = j->safe.nports,
				  .ports_known = j->want_ports,
				  .in_container = j->safe.in_container};

	return j->sel && select_eval(j->sel, &sf, NULL) == SELECT_NO;
}

void probe_procfs_gather(struct pw_job *j)
{
	struct pw_safe_facts *f = &j->safe;

	f->alive = probe_procfs_exe(j->pid, f->exe, sizeof(f->exe)) == 0;
	if (f->alive) {
		probe_procfs_status(j->pid, f);
		f->start_unix_ns = probe_procfs_start_unix_ns(j->pid);
		probe_procfs_cgroup(j->pid, f);
		if (j->want_ports)
			probe_procfs_ports(j->pid, f);
		probe_procfs_add_port(f, j->listen_port);
		f->in_container = -1;
		if (j->sel && j->sel->need_ns)
			probe_procfs_namespaces(j, f);
		if (j->why == PW_KIDS)
			probe_procfs_children(j->pid, f);
	}
	/* From here on the main loop may take the safe facts if the rest never comes. */
	atomic_store_explicit(&j->stage, PW_STAGE_SAFE, memory_order_release);
	if (f->alive && j->why != PW_KIDS && !probe_procfs_ruled_out(j)) {
		probe_procfs_memory(j->pid, &j->mem);
		j->mem.lang = probe_procfs_lang(j->pid, f->exe);
	}
	atomic_store_explicit(&j->stage, PW_STAGE_DONE, memory_order_release);
}
