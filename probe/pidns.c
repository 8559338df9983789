/* pidns.c: the PID namespace obi-probe's /proc numbers processes in, told to the BPF programs. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "pidns_query.skel.h"
#include "probe.h"

/* PROC_PID_INIT_INO (include/linux/proc_ns.h): the initial namespace's fixed nsfs inode. */
#define PROBE_PIDNS_INIT_INO 0xEFFFFFFCu

/* What the kernel says about the namespace, from pidns_query.bpf.c run in our context. */
struct probe_pidns_answer {
	uint32_t level, inum, nr;
};

/* Levels 0 .. 32 (MAX_PID_NS_LEVEL): at most 33 numbers per process. */
#define PROBE_PIDNS_MAX_ENTRIES 33

/* The pids of an NSpid line ("\t12\t1\n"): how many, each a valid pid. */
static int probe_pidns_count_numbers(const char *s, unsigned *count)
{
	unsigned n = 0;
	char *end;

	for (;; s = end) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s)
			break;
		if (v == 0 || v > INT_MAX || ++n > PROBE_PIDNS_MAX_ENTRIES)
			return -1;
	}
	*count = n;
	return n ? 0 : -1;
}

/* Entries of the NSpid line of /proc/self/status: 1 + levels between /proc's ns and ours. */
static int probe_pidns_nspid_count(unsigned *count)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[512];
	int rc = 0;

	if (!f)
		return -1;
	*count = 1; /* kernels before 4.1 have no NSpid line, nor nested /proc views */
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6) == 0) {
			rc = probe_pidns_count_numbers(line + 6, count);
			break;
		}
	}
	fclose(f);
	return rc;
}

/* Our pid as /proc numbers it (/proc/self links to it). */
static uint32_t probe_pidns_proc_self(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	char *end;
	unsigned long v;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	v = strtoul(buf, &end, 10);
	return *end || v > INT_MAX ? 0 : (uint32_t)v;
}

/* Runs the query program once in this thread's context (BPF_PROG_TEST_RUN, Linux 5.10). */
static int probe_pidns_query(unsigned up, struct probe_pidns_answer *a)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	uint64_t args[1] = {0};
	struct pidns_query_bpf *q = pidns_query_bpf__open();
	int err;

	if (!q)
		return -errno;
	q->rodata->obi_q_up = up;
	err = pidns_query_bpf__load(q);
	if (!err) {
		opts.ctx_in = args;
		opts.ctx_size_in = sizeof(args);
		err = bpf_prog_test_run_opts(bpf_program__fd(q->progs.obi_pidns_query), &opts);
	}
	if (!err && (opts.retval != 0 || !q->bss->obi_q_answered))
		err = -ENOENT;
	if (!err)
		*a = (struct probe_pidns_answer){.level = q->bss->obi_q_level,
						 .inum = q->bss->obi_q_inum,
						 .nr = q->bss->obi_q_nr};
	pidns_query_bpf__destroy(q);
	return err;
}

/*
 * Decides whose pids the BPF programs report and obi_pids is keyed by: those of the namespace
 * /proc shows (it is what discovery reads). The initial namespace needs no translation and no
 * query (inum 0: the programs use the kernel's tgid as they always did).
 */
int probe_pidns_configure(struct probe *p)
{
	struct probe_pidns_answer a = {0};
	struct stat st;
	unsigned count;
	uint32_t self;
	int err;

	if (stat("/proc/self/ns/pid", &st) != 0) {
		/* No nsfs entry: a kernel without CONFIG_PID_NS has only the initial one. */
		if (errno == ENOENT)
			return 0;
		log_error(errno, "reading obi-probe's PID namespace (/proc/self/ns/pid)");
		return -1;
	}
	if (probe_pidns_nspid_count(&count)) {
		log_errorx("cannot read the NSpid line of /proc/self/status");
		return -1;
	}
	if (count == 1 && st.st_ino == PROBE_PIDNS_INIT_INO)
		return 0;
	err = probe_pidns_query(count - 1, &a);
	if (err) {
		log_error(-err,
			  "obi-probe runs in a PID namespace (pid:[%lu]) but cannot ask the "
			  "kernel how deep it is (needs BPF_PROG_TEST_RUN of raw_tp, Linux >= "
			  "5.10); run obi-probe in the host's PID namespace (hostPID: true)",
			  (unsigned long)st.st_ino);
		return -1;
	}
	self = probe_pidns_proc_self();
	if (a.nr != self || (count == 1 && a.inum != st.st_ino) ||
	    (a.level == 0) != (a.inum == PROBE_PIDNS_INIT_INO)) {
		log_errorx("PID namespace query disagrees with /proc (level %u pid:[%u] pid %u; "
			   "/proc/self is %u, pid:[%lu]): refusing to report wrong pids",
			   a.level, a.inum, a.nr, self, (unsigned long)st.st_ino);
		return -1;
	}
	/* /proc may belong to an ancestor namespace (no /proc of our own mounted): its pids. */
	p->self_pid = (pid_t)self;
	if (a.level == 0)
		return 0;
	p->bpf.cfg->pidns_inum = a.inum;
	p->bpf.cfg->pidns_level = a.level;
	log_info("PID namespace pid:[%u] (level %u): pids are reported as seen there; processes "
		 "outside it are not visible and never instrumented",
		 a.inum, a.level);
	return 0;
}
