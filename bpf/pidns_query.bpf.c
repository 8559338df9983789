// SPDX-License-Identifier: GPL-2.0
/* pidns_query.bpf.c: run once by obi-probe in its own context: the level of its /proc's pidns. */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/*
 * Inside a PID namespace /proc shows only its own level (NSpid has one entry), so user space
 * cannot learn how deep that namespace is; the kernel's struct pid of the probe knows. `up`:
 * how many levels above the probe's own namespace its /proc's is (NSpid entries - 1).
 */
const volatile __u32 obi_q_up = 0;

/* The answer, read by obi-probe from .bss after the run. */
__u32 obi_q_level;    /* absolute level of that namespace (0: the initial one) */
__u32 obi_q_inum;     /* its nsfs inode */
__u32 obi_q_nr;	      /* obi-probe's tgid there: must be what /proc/self says */
__u32 obi_q_answered; /* 1 once the fields above are valid */

SEC("raw_tp")
int obi_pidns_query(void *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct pid *pid = BPF_CORE_READ(t, group_leader, thread_pid);
	__u32 own, l;
	struct upid up;

	if (!pid)
		return 1;
	own = BPF_CORE_READ(pid, level);
	if (own < obi_q_up)
		return 1;
	l = own - obi_q_up;
	if (l > 32 || bpf_core_read(&up, sizeof(up), &pid->numbers[l]) || !up.ns ||
	    BPF_CORE_READ(up.ns, level) != l)
		return 1;
	obi_q_level = l;
	obi_q_inum = BPF_CORE_READ(up.ns, ns.inum);
	obi_q_nr = up.nr;
	obi_q_answered = 1;
	return 0;
}
