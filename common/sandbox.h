/* sandbox.h: the last steps of privilege drop shared by both processes: no_new_privs, seccomp. */
#ifndef OBI_SANDBOX_H
#define OBI_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* One allowed system call, by name so the policy reads as a table. */
struct sandbox_rule {
	const char *name;
	int arg0_eq;	/* -1: any first argument; else it must equal this (e.g. socket(AF_UNIX)) */
	int deny_errno; /* 0: allow; else fail the call with this errno instead of killing */
};

/*
 * Sets PR_SET_NO_NEW_PRIVS, then installs a seccomp filter allowing a base set (memory, time,
 * signals, exit, I/O on held descriptors) plus exactly `rules`. Anything
 * else kills the process, or, with log_only, is allowed and logged by the kernel (debugging a
 * policy with OBI_SECCOMP=log). Returns 0 or -errno.
 */
int sandbox_apply(const struct sandbox_rule *rules, size_t n, bool log_only);

/* Clears every capability set (effective, permitted, inheritable, ambient). 0 or -errno. */
int sandbox_drop_all_caps(void);

#endif /* OBI_SANDBOX_H */
