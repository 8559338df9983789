/* discover.c: the selection policy: which processes are instrumented, found at start and by events.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glob.h"
#include "log.h"
#include "probe.h"

/* Our own binaries are never instrumented (OBI excludes itself the same way). */
static bool probe_discover_is_self(const char *exe)
{
	const char *base = strrchr(exe, '/');

	base = base ? base + 1 : exe;
	return strcmp(base, "obi") == 0 || strcmp(base, "obi-probe") == 0 ||
	       strcmp(base, "obi-enricher") == 0;
}

int probe_discover_init(struct probe *p)
{
	p->selected = calloc(PROBE_PID_LIMIT / 64, sizeof(uint64_t));
	return p->selected ? 0 : -ENOMEM;
}

void probe_discover_free(struct probe *p)
{
	free(p->selected);
	p->selected = NULL;
}

bool probe_discover_selected(const struct probe *p, uint32_t pid)
{
	return pid < PROBE_PID_LIMIT && (p->selected[pid / 64] >> (pid % 64) & 1);
}

static void probe_discover_mark(struct probe *p, uint32_t pid, bool on)
{
	uint64_t bit = 1ULL << (pid % 64);

	if (on && !(p->selected[pid / 64] & bit)) {
		p->selected[pid / 64] |= bit;
		p->nselected++;
	} else if (!on && (p->selected[pid / 64] & bit)) {
		p->selected[pid / 64] &= ~bit;
		p->nselected--;
	}
}

/*
 * Children that already exist when their parent gets selected (nginx forks its workers right
 * after listen(), before the LISTEN record reaches us) are selected with it; later children are
 * selected by the kernel's fork hook.
 */
static void probe_discover_select_children(struct probe *p, uint32_t pid, int depth)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	if (depth > 8)
		return;
	snprintf(path, sizeof(path), "/proc/%u/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char cpath[400], buf[4096], *s, *end;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "%s/%s/children", path, de->d_name);
		f = fopen(cpath, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			for (s = buf;; s = end) {
				unsigned long child = strtoul(s, &end, 10);

				if (end == s)
					break;
				if (child && child < PROBE_PID_LIMIT &&
				    !probe_discover_selected(p, child) &&
				    probe_discover_select(p, (uint32_t)child,
							  "child of a selected process") == 0)
					probe_discover_select_children(p, (uint32_t)child,
								       depth + 1);
			}
		}
		fclose(f);
	}
	closedir(d);
}

int probe_discover_select(struct probe *p, uint32_t pid, const char *why)
{
	char exe[4096] = "?";

	if (pid == 0 || pid >= PROBE_PID_LIMIT || probe_discover_selected(p, pid))
		return 0;
	if (pid == (uint32_t)p->self_pid || (p->conn_pid && pid == (uint32_t)p->conn_pid))
		return 0;
	if (probe_procfs_exe(pid, exe, sizeof(exe)) == 0 && probe_discover_is_self(exe))
		return 0;
	if (probe_lifecycle_select_pid(p, pid, true)) {
		log_warn(errno, "selecting pid %u", pid);
		return -1;
	}
	probe_discover_mark(p, pid, true);
	log_info("instrumenting pid %u (%s): %s", pid, exe, why);
	if (p->conn_ready)
		probe_ipc_send_proc(p, pid);
	if (strcmp(why, "child of a selected process") != 0)
		probe_discover_select_children(p, pid, 0);
	return 0;
}

void probe_discover_forget(struct probe *p, uint32_t pid)
{
	struct obi_wire_pid m = {.pid = pid};

	if (!probe_discover_selected(p, pid))
		return;
	probe_lifecycle_select_pid(p, pid, false);
	probe_discover_mark(p, pid, false);
	log_debug("pid %u left", pid);
	if (p->conn_ready)
		probe_ipc_queue(p, OBI_MSG_PROC_DEL, &m, sizeof(m));
}

static bool probe_discover_exe_ok(const struct probe *p, uint32_t pid)
{
	char exe[4096];

	if (!p->cfg.auto_target_exe)
		return true;
	return probe_procfs_exe(pid, exe, sizeof(exe)) == 0 &&
	       glob_match(p->cfg.auto_target_exe, exe);
}

static bool probe_discover_ports_ok(const struct probe *p, uint32_t pid)
{
	uint16_t ports[256];
	int n;

	if (!p->cfg.open_port.n)
		return true;
	n = probe_procfs_listen_ports(pid, ports, 256);
	for (int i = 0; i < n; i++)
		if (config_portlist_contains(&p->cfg.open_port, ports[i]))
			return true;
	return false;
}

/* Both criteria, when both are set, must hold (as OBI). */
static bool probe_discover_matches(const struct probe *p, uint32_t pid)
{
	return probe_discover_exe_ok(p, pid) && probe_discover_ports_ok(p, pid);
}

int probe_discover_scan(struct probe *p)
{
	uint32_t *pids = NULL, *ppids = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	bool changed = true;
	DIR *d = opendir("/proc");
	int rc = -1;

	if (!d) {
		log_error(errno, "opening /proc");
		return -1;
	}
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !pid || pid >= PROBE_PID_LIMIT)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			uint32_t *np = realloc(pids, ncap * sizeof(*np));
			uint32_t *npp = np ? realloc(ppids, ncap * sizeof(*npp)) : NULL;

			if (np)
				pids = np;
			if (!np || !npp)
				goto out;
			ppids = npp;
			cap = ncap;
		}
		pids[n] = (uint32_t)pid;
		ppids[n] = 0;
		probe_procfs_ppid((uint32_t)pid, &ppids[n]);
		n++;
	}
	for (size_t i = 0; i < n; i++)
		if (probe_discover_matches(p, pids[i]))
			probe_discover_select(p, pids[i], "matched at start");
	/* Children of selected processes are selected too; repeat until nothing changes. */
	for (int round = 0; changed && round < 16; round++) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			if (!probe_discover_selected(p, pids[i]) && ppids[i] &&
			    probe_discover_selected(p, ppids[i])) {
				probe_discover_select(p, pids[i], "child of a selected process");
				changed = probe_discover_selected(p, pids[i]);
			}
		}
	}
	rc = 0;
out:
	closedir(d);
	free(pids);
	free(ppids);
	return rc;
}

void probe_discover_on_record(struct probe *p, const void *data, size_t len)
{
	struct obi_rec_hdr h;

	memcpy(&h, data, sizeof(h));
	switch (h.type) {
	case OBI_REC_EXEC:
		if (probe_discover_selected(p, h.pid)) {
			/* Same pid, new program: the enricher must learn the new executable. */
			if (p->conn_ready)
				probe_ipc_send_proc(p, h.pid);
		} else if (p->cfg.auto_target_exe && !p->cfg.open_port.n &&
			   probe_discover_exe_ok(p, h.pid)) {
			probe_discover_select(p, h.pid, "executable matched at exec");
		}
		break;
	case OBI_REC_FORK:
		/* Already in the kernel filter; record it and tell the enricher. */
		if (!probe_discover_selected(p, h.pid) && h.pid < PROBE_PID_LIMIT) {
			struct obi_rec_proc pr;
			char exe[4096] = "?";

			memcpy(&pr, data, len < sizeof(pr) ? len : sizeof(pr));
			probe_discover_mark(p, h.pid, true);
			probe_procfs_exe(h.pid, exe, sizeof(exe));
			log_info("instrumenting pid %u (%s): forked by selected pid %u", h.pid, exe,
				 pr.ppid);
			if (p->conn_ready)
				probe_ipc_send_proc(p, h.pid);
		}
		break;
	case OBI_REC_EXIT:
		probe_discover_forget(p, h.pid);
		break;
	case OBI_REC_LISTEN: {
		struct obi_rec_listen l;

		if (len < sizeof(l))
			break;
		memcpy(&l, data, sizeof(l));
		if (!p->cfg.open_port.n || probe_discover_selected(p, h.pid) ||
		    !config_portlist_contains(&p->cfg.open_port, l.port))
			break;
		if (probe_discover_exe_ok(p, h.pid))
			probe_discover_select(p, h.pid, "listening on a selected port");
		break;
	}
	default:
		break;
	}
	(void)len;
}
