/* procfs.c: reads process facts from /proc: exe, parent, listening ports, the PROC_ADD payload. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"

/* Reads a whole small /proc file into buf (NUL-terminated); returns bytes read or -1. */
static ssize_t probe_procfs_read(const char *path, char *buf, size_t cap)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

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

int probe_procfs_exe(uint32_t pid, char *out, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, out, len - 1);
	if (n < 0)
		return -1;
	out[n] = '\0';
	/* A replaced binary reads "/usr/bin/x (deleted)": match on the path it had. */
	if (n > 10 && strcmp(out + n - 10, " (deleted)") == 0)
		out[n - 10] = '\0';
	return 0;
}

static int probe_procfs_status_field(uint32_t pid, const char *field, char *out, size_t len)
{
	char path[64], buf[4096], *line, *save = NULL;
	size_t flen = strlen(field);

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	if (probe_procfs_read(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			line += flen + 1;
			while (*line == ' ' || *line == '\t')
				line++;
			snprintf(out, len, "%s", line);
			return 0;
		}
	}
	return -1;
}

int probe_procfs_ppid(uint32_t pid, uint32_t *ppid)
{
	char v[32];

	if (probe_procfs_status_field(pid, "PPid", v, sizeof(v)))
		return -1;
	*ppid = (uint32_t)strtoul(v, NULL, 10);
	return 0;
}

/* Inodes of LISTEN sockets in the process's network namespace, with their ports. */
static int probe_procfs_listen_inodes(uint32_t pid, const char *file, unsigned long *inodes,
				      uint16_t *ports, int n, int max)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/net/%s", pid, file);
	f = fopen(path, "re");
	if (!f)
		return n;
	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned port, state;
		unsigned long inode;
		char local[80];

		/* sl local rem st tx:rx tr:tm retr uid timeout inode */
		if (sscanf(line, " %*u: %79[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*u %*u %lu", local,
			   &port, &state, &inode) != 4)
			continue;
		if (state != 0x0A || !inode)
			continue;
		inodes[n] = inode;
		ports[n] = (uint16_t)port;
		n++;
	}
	fclose(f);
	return n;
}

int probe_procfs_listen_ports(uint32_t pid, uint16_t *ports, int max)
{
	unsigned long inodes[256];
	uint16_t lports[256];
	int nl = 0, found = 0;
	char path[64], link[64];
	struct dirent *de;
	DIR *d;

	nl = probe_procfs_listen_inodes(pid, "tcp", inodes, lports, nl, 256);
	nl = probe_procfs_listen_inodes(pid, "tcp6", inodes, lports, nl, 256);
	if (!nl)
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) && found < max) {
		unsigned long ino;
		char fdpath[400];
		ssize_t k;

		if (de->d_name[0] == '.')
			continue;
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
		k = readlink(fdpath, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) != 1)
			continue;
		for (int i = 0; i < nl; i++)
			if (inodes[i] == ino)
				ports[found++] = lports[i];
	}
	closedir(d);
	return found;
}

/* Value of NAME in a NUL-separated environment block, or NULL. */
static const char *probe_procfs_env_get(const char *env, size_t len, const char *name)
{
	size_t nlen = strlen(name);

	for (size_t off = 0; off < len;) {
		const char *e = env + off;
		size_t elen = strnlen(e, len - off);

		if (elen > nlen && strncmp(e, name, nlen) == 0 && e[nlen] == '=')
			return e + nlen + 1;
		off += elen + 1;
	}
	return NULL;
}

static uint64_t probe_procfs_start_unix_ns(uint32_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks = 0;
	struct timespec real, boot;
	long hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (probe_procfs_read(path, buf, sizeof(buf)) < 0)
		return 0;
	/* comm may hold spaces and parentheses: fields restart after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || hz <= 0)
		return 0;
	/* field 22 (starttime) is the 20th after ")" */
	if (sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
		   "%*d %llu",
		   &ticks) != 1)
		return 0;
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	return (uint64_t)(real.tv_sec - boot.tv_sec) * 1000000000ULL + real.tv_nsec - boot.tv_nsec +
	       ticks * (1000000000ULL / (uint64_t)hz);
}

ssize_t probe_procfs_facts(uint32_t pid, uint8_t *out, size_t cap)
{
	struct obi_wire_proc f = {.pid = pid};
	char path[64], exe[OBI_WIRE_EXE_MAX], nspid[256], cgroup[OBI_WIRE_CGROUP_MAX] = "";
	char *cmdline = NULL, *env = NULL, *last;
	const char *svc = NULL, *res = NULL;
	ssize_t cmdlen, envlen, rc = -1;
	uint32_t ppid = 0;

	cmdline = malloc(OBI_WIRE_CMDLINE_MAX + 1);
	env = malloc(64 * 1024);
	if (!cmdline || !env)
		goto out;
	if (probe_procfs_exe(pid, exe, sizeof(exe)))
		goto out;
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	cmdlen = probe_procfs_read(path, cmdline, OBI_WIRE_CMDLINE_MAX + 1);
	if (cmdlen < 0)
		cmdlen = 0;
	while (cmdlen > 0 && cmdline[cmdlen - 1] == '\0')
		cmdlen--;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	if (probe_procfs_read(path, cgroup, sizeof(cgroup)) > 0) {
		/* All lines are kept (cgroup v1 has one per hierarchy); the enricher parses them.
		 */
		size_t cl = strlen(cgroup);

		while (cl && cgroup[cl - 1] == '\n')
			cgroup[--cl] = '\0';
	}
	/* Only two variables are taken from the environment; the rest may hold secrets. */
	snprintf(path, sizeof(path), "/proc/%u/environ", pid);
	envlen = probe_procfs_read(path, env, 64 * 1024);
	if (envlen > 0) {
		svc = probe_procfs_env_get(env, (size_t)envlen, "OTEL_SERVICE_NAME");
		res = probe_procfs_env_get(env, (size_t)envlen, "OTEL_RESOURCE_ATTRIBUTES");
	}
	probe_procfs_ppid(pid, &ppid);
	f.ppid = ppid;
	f.ns_pid = pid;
	if (probe_procfs_status_field(pid, "NSpid", nspid, sizeof(nspid)) == 0) {
		last = strrchr(nspid, '\t');
		f.ns_pid = (uint32_t)strtoul(last ? last + 1 : nspid, NULL, 10);
	}
	f.start_unix_ns = probe_procfs_start_unix_ns(pid);
	rc = wire_build_proc(out, cap, &f, exe, cmdline, (size_t)cmdlen, cgroup, svc, res);
out:
	free(cmdline);
	free(env);
	return rc;
}
