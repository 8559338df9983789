/* vmlinux_min.h: the few kernel types bpf/ reads, declared for CO-RE (relocated at load time). */
#ifndef __VMLINUX_MIN_H__
#define __VMLINUX_MIN_H__

/*
 * Why not a generated vmlinux.h: the build must not need /sys/kernel/btf/vmlinux. Every struct
 * here carries preserve_access_index, so only the field *names* must match the running kernel;
 * libbpf relocates offsets (and finds members nested in anonymous unions) from the kernel's BTF
 * at load time. Constants and UAPI layouts come from the UAPI headers.
 */
#include <linux/types.h>
#include <linux/bpf.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;
#define true 1
#define false 0

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
#if defined(__TARGET_ARCH_x86)
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax;
	unsigned long ip, cs, flags, sp, ss;
#elif defined(__TARGET_ARCH_arm64)
	unsigned long regs[31];
	unsigned long sp, pc, pstate;
	unsigned long orig_x0;
	int syscallno;
#else
#error "unsupported architecture"
#endif
};

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__u32 u6_addr32[4];
	} in6_u;
};

struct sock_common {
	__u32 skc_daddr;     /* network order */
	__u32 skc_rcv_saddr; /* network order */
	__u16 skc_dport;     /* network order */
	__u16 skc_num;	     /* host order */
	unsigned short skc_family;
	volatile unsigned char skc_state;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_type;
	__u16 sk_protocol;
};

struct socket {
	short type;
	struct sock *sk;
};

struct inode {
	unsigned short i_mode;
};

struct file {
	struct inode *f_inode;
	void *private_data;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

/* PID namespaces (bpf/pidns.bpf.h): a struct pid holds one number per level it is seen at. */
struct pid_namespace {
	unsigned int level; /* 0: the initial namespace */
	struct ns_common ns;
};

struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	unsigned int level;
	struct upid numbers[]; /* [0 .. level]; declared [1] before Linux 6.5: same layout */
};

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct files_struct *files;
	struct pid *thread_pid;
};

struct linux_binprm;

#pragma clang attribute pop

/* UAPI layouts read from user memory: fixed by the syscall ABI, not relocated. */
struct obi_user_iovec {
	__u64 base;
	__u64 len;
};

struct obi_user_msghdr {
	__u64 name;
	__s32 namelen;
	__u32 pad;
	__u64 iov;
	__u64 iovlen;
};

/* Format of syscalls:sys_enter_* and sys_exit_* tracepoints (stable tracefs ABI). */
struct obi_sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct obi_sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

#endif /* __VMLINUX_MIN_H__ */
