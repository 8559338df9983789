// SPDX-License-Identifier: GPL-2.0
/* obi.bpf.c: the BPF programs: two capture front ends, TCP state, process events, idle sweep. */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "maps.bpf.h"
#include "pidns.bpf.h"
#include "exchange.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define OBI_MSG_PEEK 2
#define OBI_TCP_LISTEN 10
#define OBI_S_IFMT 00170000
#define OBI_S_IFSOCK 0140000

/* Syscall numbers whose user buffer the socket tracepoints can reach (per architecture). */
#if defined(__TARGET_ARCH_x86)
#define OBI_NR_READ 0
#define OBI_NR_WRITE 1
#define OBI_NR_READV 19
#define OBI_NR_WRITEV 20
#define OBI_NR_SENDTO 44
#define OBI_NR_RECVFROM 45
#define OBI_NR_SENDMSG 46
#define OBI_NR_RECVMSG 47
#define OBI_REG_NR_DIRECT(r) ((r)->orig_ax)
#define OBI_REG_ARG2_DIRECT(r) ((r)->si)
#define OBI_REG_ARG3_DIRECT(r) ((r)->dx)
#elif defined(__TARGET_ARCH_arm64)
#define OBI_NR_READ 63
#define OBI_NR_WRITE 64
#define OBI_NR_READV 65
#define OBI_NR_WRITEV 66
#define OBI_NR_SENDTO 206
#define OBI_NR_RECVFROM 207
#define OBI_NR_SENDMSG 211
#define OBI_NR_RECVMSG 212
#define OBI_REG_NR_DIRECT(r) ((r)->syscallno)
#define OBI_REG_ARG2_DIRECT(r) ((r)->regs[1])
#define OBI_REG_ARG3_DIRECT(r) ((r)->regs[2])
#endif

/* Syscall front end: sk came out of the file table as a plain address: read it with helpers. */
static __always_inline bool obi_sk_is_tcp(struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (family != OBI_AF_INET && family != OBI_AF_INET6)
		return false;
	return BPF_CORE_READ(sk, sk_protocol) == OBI_IPPROTO_TCP &&
	       BPF_CORE_READ(sk, sk_type) == OBI_SOCK_STREAM;
}

static __always_inline __u32 obi_sk_netns(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* tp_btf arguments are trusted BTF pointers: fields are plain (relocated) loads. */
static __always_inline __u32 obi_sk_netns_direct(struct sock *sk)
{
	return sk->__sk_common.skc_net.net->ns.inum;
}

#ifndef OBI_COMPAT /* the socket tracepoints came in 6.3: the compat object never needs them */
/* Socket front end: sk is a trusted BTF pointer, so fields are plain (relocated) loads. */
static __always_inline bool obi_sk_is_tcp_direct(struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	if (family != OBI_AF_INET && family != OBI_AF_INET6)
		return false;
	return sk->sk_protocol == OBI_IPPROTO_TCP && sk->sk_type == OBI_SOCK_STREAM;
}

/* ---- front end 1: socket tracepoints -------------------------------------------------- */

/*
 * sock_{send,recv}_length fire inside sock_sendmsg/sock_recvmsg with the socket at hand. The
 * user buffer is not an argument: it is found through the syscall's saved registers.
 */
static __always_inline void obi_sock_io(struct sock *sk, int ret, bool egress, __u64 pid_tgid)
{
	struct task_struct *task;
	struct pt_regs *regs;
	struct obi_io io = {.egress = egress};
	long nr;

	task = bpf_get_current_task_btf();
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	nr = OBI_REG_NR_DIRECT(regs);
	switch (nr) {
	case OBI_NR_READ:
	case OBI_NR_WRITE:
	case OBI_NR_RECVFROM:
	case OBI_NR_SENDTO:
		io.kind = OBI_BUF_PLAIN;
		io.ptr = OBI_REG_ARG2_DIRECT(regs);
		break;
	case OBI_NR_READV:
	case OBI_NR_WRITEV:
		io.kind = OBI_BUF_IOV;
		io.ptr = OBI_REG_ARG2_DIRECT(regs);
		io.count = OBI_REG_ARG3_DIRECT(regs);
		break;
	case OBI_NR_RECVMSG:
	case OBI_NR_SENDMSG:
		io.kind = OBI_BUF_MSG;
		io.ptr = OBI_REG_ARG2_DIRECT(regs);
		break;
	default:
		/* sendfile, splice, io_uring, kernel senders: bytes count, payload unseen. */
		io.kind = OBI_BUF_NONE;
	}
	obi_on_io(sk, obi_sk_netns_direct(sk), &io, ret, pid_tgid);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(obi_sock_send, struct sock *sk, int ret, int flags)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!obi_pid_selected(obi_pidns_cur_tgid(id)))
		return 0;
	if (ret <= 0 || !obi_sk_is_tcp_direct(sk))
		return 0;
	obi_sock_io(sk, ret, true, id);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(obi_sock_recv, struct sock *sk, int ret, int flags)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!obi_pid_selected(obi_pidns_cur_tgid(id)))
		return 0;
	if (ret <= 0 || (flags & OBI_MSG_PEEK) || !obi_sk_is_tcp_direct(sk))
		return 0;
	obi_sock_io(sk, ret, false, id);
	return 0;
}
#endif /* !OBI_COMPAT */

/* ---- front end 2: syscall tracepoints (kernels without the socket tracepoints) --------- */

static __always_inline int obi_sys_enter(struct obi_sys_enter_ctx *ctx, __u8 kind, bool egress,
					 bool peek_arg4)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct obi_sys_args a = {};

	if (!obi_pid_selected(obi_pidns_cur_tgid(id)))
		return 0;
	if (peek_arg4 && (ctx->args[3] & OBI_MSG_PEEK))
		return 0;
	a.fd = (__s32)ctx->args[0];
	a.io.ptr = ctx->args[1];
	a.io.count = (__u32)ctx->args[2];
	a.io.kind = kind;
	a.io.egress = egress;
	bpf_map_update_elem(&obi_sys_args, &id, &a, BPF_ANY);
	return 0;
}

/* fd -> struct sock of a TCP socket, through the task's file table; cached by (tgid, fd). */
static __always_inline struct sock *obi_fd_to_sock(__u32 tgid, __s32 fd)
{
	/* Helper reads throughout: bpf_get_current_task() predates BTF task pointers (5.11). */
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct obi_fd_cache_val *cv, nv = {};
	__u64 key = (__u64)tgid << 32 | (__u32)fd;
	struct fdtable *fdt;
	struct file **fds;
	struct file *f = NULL;
	struct socket *so;
	struct sock *sk;
	__u16 mode;

	if (fd < 0)
		return NULL;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	cv = bpf_map_lookup_elem(&obi_fd_cache, &key);
	if (cv && cv->file == (__u64)f)
		return (struct sock *)cv->sk;
	nv.file = (__u64)f;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & OBI_S_IFMT) == OBI_S_IFSOCK) {
		so = BPF_CORE_READ(f, private_data);
		sk = BPF_CORE_READ(so, sk);
		if (sk && obi_sk_is_tcp(sk))
			nv.sk = (__u64)sk;
	}
	bpf_map_update_elem(&obi_fd_cache, &key, &nv, BPF_ANY);
	return (struct sock *)nv.sk;
}

static __always_inline int obi_sys_exit(struct obi_sys_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct obi_sys_args *a = bpf_map_lookup_elem(&obi_sys_args, &id);
	struct obi_sys_args args;
	struct sock *sk;

	if (!a)
		return 0;
	args = *a;
	bpf_map_delete_elem(&obi_sys_args, &id);
	if (ctx->ret <= 0)
		return 0;
	sk = obi_fd_to_sock(id >> 32, args.fd);
	if (!sk)
		return 0;
	obi_on_io(sk, obi_sk_netns(sk), &args.io, ctx->ret, id);
	return 0;
}

#define OBI_SYS_IO(name, kind, egress, peek)                                                       \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int obi_enter_##name(struct obi_sys_enter_ctx *ctx)                                        \
	{                                                                                          \
		return obi_sys_enter(ctx, kind, egress, peek);                                     \
	}
#include "obi_sys_io.def"
#undef OBI_SYS_IO

/*
 * Every exit is the same code (the entry stashed what differs): one program, verified once
 * and attached to each sys_exit_<name> of obi_sys_io.def by obi-probe. Nine copies took the
 * verifier ~2 s at every start (each inlines the whole exchange core).
 */
SEC("tracepoint/syscalls/sys_exit_read")
int obi_exit_io(struct obi_sys_exit_ctx *ctx)
{
	return obi_sys_exit(ctx);
}

/* close(): the fd may be reused for another socket; the cache compares file pointers anyway,
 * so this only keeps the cache small. */
SEC("tracepoint/syscalls/sys_enter_close")
int obi_enter_close(struct obi_sys_enter_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), key;

	if (!obi_pid_selected(obi_pidns_cur_tgid(id)))
		return 0;
	key = (id >> 32) << 32 | (__u32)ctx->args[0];
	bpf_map_delete_elem(&obi_fd_cache, &key);
	return 0;
}

/* ---- common: TCP state, processes, sweep ----------------------------------------------- */

static __always_inline void obi_ctl_emit_listen(struct sock *sk)
{
	struct obi_rec_listen *r;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = obi_pidns_cur_tgid(id);

	if (!pid) /* a listener obi-probe cannot see */
		return;
	r = bpf_ringbuf_reserve(&obi_ctl_events, sizeof(*r), 0);
	if (!r) {
		obi_stat_inc(OBI_ST_PROC_DROPS);
		return;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->hdr.type = OBI_REC_LISTEN;
	r->hdr.abi_version = OBI_ABI_VERSION;
	r->hdr.size = sizeof(*r);
	r->hdr.pid = pid;
	r->hdr.tid = obi_pidns_cur_tid(id);
	r->hdr.netns = obi_sk_netns(sk);
	r->hdr.ktime_ns = bpf_ktime_get_ns();
	r->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	r->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	bpf_ringbuf_submit(r, 0);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(obi_sock_state, struct sock *sk, int oldstate, int newstate)
{
	if (newstate == OBI_TCP_LISTEN) {
		/* listen() runs in the listener's context: this is how ports are discovered. */
		obi_ctl_emit_listen(sk);
		return 0;
	}
	/* 4 FIN_WAIT1, 7 CLOSE, 9 LAST_ACK (include/net/tcp_states.h): we closed, or it is over. */
	if (newstate != 4 && newstate != 7 && newstate != 9)
		return 0;
	obi_on_state(sk, obi_sk_netns_direct(sk), newstate);
	return 0;
}

static __always_inline void obi_ctl_emit_proc(__u8 type, struct task_struct *p, __u32 ppid)
{
	__u32 pid = obi_pidns_task_tgid(p);
	struct obi_rec_proc *r;

	if (!pid) /* a process obi-probe cannot see */
		return;
	r = bpf_ringbuf_reserve(&obi_ctl_events, sizeof(*r), 0);
	if (!r) {
		obi_stat_inc(OBI_ST_PROC_DROPS);
		return;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->hdr.type = type;
	r->hdr.abi_version = OBI_ABI_VERSION;
	r->hdr.size = sizeof(*r);
	r->hdr.pid = pid;
	r->hdr.tid = obi_pidns_task_tid(p);
	r->hdr.ktime_ns = bpf_ktime_get_ns();
	r->ppid = ppid;
	BPF_CORE_READ_STR_INTO(&r->comm, p, comm);
	bpf_ringbuf_submit(r, 0);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(obi_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	if (!obi_cfg.exec_events)
		return 0;
	obi_ctl_emit_proc(OBI_REC_EXEC, p, obi_pidns_task_tgid(p->real_parent));
	return 0;
}

/* A selected process's children are selected here, before they can run a single syscall. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(obi_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);

	if (ptgid == ctgid) /* a thread */
		return 0;
	ptgid = obi_pidns_tgid_of(parent, ptgid);
	if (!obi_pid_selected(ptgid))
		return 0;
	ctgid = obi_pidns_tgid_of(child, ctgid);
	if (!ctgid) /* a child is visible where its parent is; key 0 would match the invisible */
		return 0;
	obi_pid_select(ctgid);
	obi_ctl_emit_proc(OBI_REC_FORK, child, ptgid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(obi_exit, struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid), tgid = BPF_CORE_READ(p, tgid);

#ifdef OBI_COMPAT
	/*
	 * Task storage dies with its task; the tid-keyed stand-in has to be told. Unconditional:
	 * in exit_group the leader may exit (and be deselected) before the other threads.
	 */
	bpf_map_delete_elem(&obi_srv_spans, &tid);
#endif
	if (tid != tgid)
		return 0;
	tgid = obi_pidns_tgid_of(p, tgid);
	if (!obi_pid_selected(tgid))
		return 0;
	obi_pid_forget(tgid);
	obi_ctl_emit_proc(OBI_REC_EXIT, p, 0);
	return 0;
}

#ifndef OBI_COMPAT /* bpf_for_each_map_elem came in 5.13 */
struct obi_sweep_ctx {
	__u64 now;
};

static long obi_sweep_one(void *map, struct obi_conn_key *key, struct obi_conn *c,
			  struct obi_sweep_ctx *sc)
{
	/* Signed: the connection may have been touched after `now` was read. */
	__s64 idle = (__s64)(sc->now - c->last_ns);

	if (c->state == OBI_CS_RESP && obi_cfg.resp_max_ns &&
	    (__s64)(sc->now - c->rec.start_ns) >= (__s64)obi_cfg.resp_max_ns) {
		/* Streaming past the bound (or an open keep-alive connection that long after
		 * its last exchange, which the enricher has printed already and drops). */
		if (obi_claim(c, OBI_CS_RESP)) {
			obi_stat_inc(OBI_ST_MAX_DURATION);
			obi_emit(c, OBI_CS_RESP, OBI_HTTP_F_CUT, sc->now);
		}
	} else if (c->state == OBI_CS_RESP && idle >= (__s64)obi_cfg.sweep_idle_ns &&
		   c->snap_bytes != c->rec.req_bytes + c->rec.resp_bytes) {
		if (obi_claim(c, OBI_CS_RESP))
			obi_emit_snapshot(c, sc->now);
	} else if (c->state == OBI_CS_REQ && obi_timed_out(c, sc->now)) {
		if (obi_claim(c, OBI_CS_REQ))
			obi_emit_timeout(c, sc->now);
	}
	return 0;
}

/*
 * Run by obi-probe through BPF_PROG_TEST_RUN on a timer: emits exchanges whose response went
 * quiet (keep-alive connections that stay open), so spans do not wait for the next request.
 * Walking the connection table here keeps the per-request path free of bookkeeping.
 */
SEC("raw_tp")
int obi_sweep(void *ctx)
{
	struct obi_sweep_ctx sc = {.now = bpf_ktime_get_ns()};

	bpf_for_each_map_elem(&obi_conns, obi_sweep_one, &sc, 0);
	return 0;
}
#endif /* !OBI_COMPAT */
