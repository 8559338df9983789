/* bpfobj.c: which compiled BPF object runs (full or compat), and named access to its parts. */
#include <errno.h>
#include <sys/mman.h>

#include <bpf/libbpf.h>

#include "obi_abi.h" /* before the skeletons: their .rodata holds struct obi_bpf_cfg */
#include "obi.skel.h"
#include "obi_compat.skel.h"
#include "probe.h"

/*
 * Both objects come from bpf/obi.bpf.c; the compat one lacks the socket front end, the sweep
 * and task storage. Everything the probe touches is looked up by name, so the rest of the
 * probe never depends on which skeleton type is behind it.
 */
int probe_bpf_open(struct probe_bpf *b, bool compat)
{
	*b = (struct probe_bpf){.compat = compat};
	if (compat) {
		struct obi_compat_bpf *s = obi_compat_bpf__open();

		if (!s)
			return -errno;
		b->skel = s;
		b->obj = s->obj;
		b->cfg = &s->rodata->obi_cfg;
	} else {
		struct obi_bpf *s = obi_bpf__open();

		if (!s)
			return -errno;
		b->skel = s;
		b->obj = s->obj;
		b->cfg = &s->rodata->obi_cfg;
		b->sweep = s->progs.obi_sweep;
	}
	b->events = bpf_object__find_map_by_name(b->obj, "obi_events");
	b->ctl_events = bpf_object__find_map_by_name(b->obj, "obi_ctl_events");
	b->pids = bpf_object__find_map_by_name(b->obj, "obi_pids");
	b->conns = bpf_object__find_map_by_name(b->obj, "obi_conns");
	b->stats = bpf_object__find_map_by_name(b->obj, "obi_stats");
	b->sys_args = bpf_object__find_map_by_name(b->obj, "obi_sys_args");
	b->fd_cache = bpf_object__find_map_by_name(b->obj, "obi_fd_cache");
	if (!b->events || !b->ctl_events || !b->pids || !b->conns || !b->stats || !b->sys_args ||
	    !b->fd_cache) {
		probe_bpf_destroy(b);
		return -ENOENT;
	}
	return 0;
}

#define PROBE_PID_BITS_SIZE ((size_t)OBI_PID_LIMIT / 8)

int probe_bpf_load(struct probe_bpf *b)
{
	void *m;
	int err;

	if (b->compat)
		return obi_compat_bpf__load(b->skel);
	err = obi_bpf__load(b->skel);
	if (err)
		return err;
	/* The selection bitmap: written in place, as the BPF side writes it (maps.bpf.h). */
	m = mmap(NULL, PROBE_PID_BITS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 bpf_map__fd(b->pids), 0);
	if (m == MAP_FAILED)
		return -errno;
	b->pid_bits = m;
	return 0;
}

static const char *const probe_sys_exits[] = {
#define OBI_SYS_IO(name, kind, egress, peek) "sys_exit_" #name,
#include "obi_sys_io.def"
#undef OBI_SYS_IO
};
_Static_assert(sizeof(probe_sys_exits) / sizeof(probe_sys_exits[0]) == PROBE_SYS_IO_COUNT,
	       "PROBE_SYS_IO_COUNT differs from obi_sys_io.def");

/* The one exit program (attached to its own section, the first exit) on the other exits. */
static int probe_bpf_attach_exits(struct probe_bpf *b)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(b->obj, "obi_exit_io");

	if (!prog || !bpf_program__autoload(prog))
		return 0;
	for (int i = 1; i < PROBE_SYS_IO_COUNT; i++) {
		b->exit_links[i] =
		    bpf_program__attach_tracepoint(prog, "syscalls", probe_sys_exits[i]);
		if (!b->exit_links[i]) {
			int err = -errno;

			log_error(-err, "attaching the exit program to syscalls:%s",
				  probe_sys_exits[i]);
			return err;
		}
	}
	return 0;
}

/* Attaches every loaded program; SEC("raw_tp") without a name (the sweep) is left unattached. */
int probe_bpf_attach(struct probe_bpf *b)
{
	int err = b->compat ? obi_compat_bpf__attach(b->skel) : obi_bpf__attach(b->skel);

	return err ?: probe_bpf_attach_exits(b);
}

void probe_bpf_destroy(struct probe_bpf *b)
{
	for (int i = 0; i < PROBE_SYS_IO_COUNT; i++)
		bpf_link__destroy(b->exit_links[i]);
	if (b->pid_bits)
		munmap(b->pid_bits, PROBE_PID_BITS_SIZE);
	if (b->skel) {
		if (b->compat)
			obi_compat_bpf__destroy(b->skel);
		else
			obi_bpf__destroy(b->skel);
	}
	*b = (struct probe_bpf){0};
}
