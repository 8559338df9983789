/* pidns.bpf.h: pids as obi-probe sees them (its PID namespace), for obi_pids and every record. */
#ifndef OBI_PIDNS_BPF_H
#define OBI_PIDNS_BPF_H

#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"

/*
 * obi-probe selects processes by the pids its /proc shows. On a host that is the initial
 * namespace, where the kernel's tgid is that pid. In a pod sharing its process namespace
 * (shareProcessNamespace), /proc numbers processes in the pod's namespace, so every pid that
 * leaves the kernel or keys obi_pids is translated to it: a task's struct pid holds its number
 * at each level of the namespaces it is visible in, and numbers[L] is the one in the probe's
 * namespace if that entry's namespace is the probe's (by nsfs inode). A task outside that
 * namespace (the rest of the node) translates to 0: never selected, no record.
 *
 * obi_cfg.pidns_inum is a .rodata constant: on a host it is 0 and the verifier drops the
 * translation as dead code, leaving what the programs did before (bpf_get_current_pid_tgid(),
 * task->tgid).
 */

#define OBI_PIDNS_MAX_LEVEL 32 /* MAX_PID_NS_LEVEL: levels are 0 .. 32 */

/*
 * numbers[L] of a struct pid at least L deep, if it is the probe's namespace's. Helper reads:
 * older kernels declare the array numbers[1], and their verifier refuses a direct load past
 * its first entry ("access beyond struct pid", Linux 5.10).
 */
static __always_inline __u32 obi_pidns_nr_at(struct pid *pid, __u32 l)
{
	struct upid up;

	/* l in a local: inside bpf_core_read() obi_cfg's field would be relocated as CO-RE. */
	if (bpf_core_read(&up, sizeof(up), &pid->numbers[l]) ||
	    BPF_CORE_READ(up.ns, ns.inum) != obi_cfg.pidns_inum)
		return 0;
	return up.nr;
}

/* A struct pid reached through trusted BTF pointers: its level is a plain load. */
static __always_inline __u32 obi_pidns_nr(struct pid *pid)
{
	__u32 l = obi_cfg.pidns_level;

	if (l > OBI_PIDNS_MAX_LEVEL || !pid || pid->level < l)
		return 0;
	return obi_pidns_nr_at(pid, l);
}

#ifdef OBI_COMPAT
/* Before 5.11 the current task is no BTF pointer (no bpf_get_current_task_btf): helper reads. */
static __always_inline __u32 obi_pidns_nr_read(struct pid *pid)
{
	__u32 l = obi_cfg.pidns_level;

	if (l > OBI_PIDNS_MAX_LEVEL || !pid || BPF_CORE_READ(pid, level) < l)
		return 0;
	return obi_pidns_nr_at(pid, l);
}
#endif

/*
 * The current task's tgid (leader) or tid (thread) struct pid, translated. Not inlined: then
 * the data path's host-side register allocation is what it was before the translation existed
 * (inlined, its registers spilled the callers' on the host path too).
 */
static __noinline __u32 obi_pidns_current(bool leader)
{
#ifndef OBI_COMPAT
	struct task_struct *t = bpf_get_current_task_btf();

	return obi_pidns_nr(leader ? t->group_leader->thread_pid : t->thread_pid);
#else
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return obi_pidns_nr_read(leader ? BPF_CORE_READ(t, group_leader, thread_pid)
					: BPF_CORE_READ(t, thread_pid));
#endif
}

/* id: bpf_get_current_pid_tgid() of the current task. */
static __always_inline __u32 obi_pidns_cur_tgid(__u64 id)
{
	if (obi_cfg.pidns_inum)
		return obi_pidns_current(true);
	return id >> 32;
}

static __always_inline __u32 obi_pidns_cur_tid(__u64 id)
{
	return obi_cfg.pidns_inum ? obi_pidns_current(false) : (__u32)id;
}

/* Any task handed to a tp_btf program (a trusted pointer); host_tgid: its t->tgid. */
static __always_inline __u32 obi_pidns_tgid_of(struct task_struct *t, __u32 host_tgid)
{
	return obi_cfg.pidns_inum ? obi_pidns_nr(t->group_leader->thread_pid) : host_tgid;
}

static __always_inline __u32 obi_pidns_task_tgid(struct task_struct *t)
{
	return obi_cfg.pidns_inum ? obi_pidns_nr(t->group_leader->thread_pid)
				  : BPF_CORE_READ(t, tgid);
}

static __always_inline __u32 obi_pidns_task_tid(struct task_struct *t)
{
	return obi_cfg.pidns_inum ? obi_pidns_nr(t->thread_pid) : BPF_CORE_READ(t, pid);
}

#endif /* OBI_PIDNS_BPF_H */
