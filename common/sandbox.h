/* sandbox.h: the last steps of privilege drop shared by both processes: no_new_privs, seccomp. */
#ifndef OBI_SANDBOX_H
#define OBI_SANDBOX_H

#include <stddef.h>

/* An optional test of the third argument (openat's flags), on top of arg0_eq. */
enum sandbox_cmp { SANDBOX_ANY = 0, SANDBOX_A2_EQ, SANDBOX_A2_NE };

/* One allowed system call, by name so the policy reads as a table. */
struct sandbox_rule {
	const char *name;
	int arg0_eq;	/* -1: any first argument; else it must equal this (e.g. socket(AF_UNIX)) */
	int deny_errno; /* 0: allow; else fail the call with this errno instead of killing */
	enum sandbox_cmp a2_cmp;
	unsigned long a2_val;
};

enum sandbox_mode {
	SANDBOX_KILL = 0, /* anything not allowed kills the process (default) */
	SANDBOX_LOG,	  /* OBI_SECCOMP=log: allowed, logged by the kernel (debugging a policy) */
	SANDBOX_OFF, /* OBI_SECCOMP=off: no filter (sanitizer runs: LeakSanitizer needs ptrace) */
};

/* The mode from OBI_SECCOMP (unset or anything else: kill). */
enum sandbox_mode sandbox_mode_from_env(void);

/*
 * Sets PR_SET_NO_NEW_PRIVS (always), then, unless mode is SANDBOX_OFF, installs a seccomp
 * filter allowing a base set (memory, time, signals, exit, I/O on held descriptors) plus exactly
 * `rules`. Returns 0 or -errno.
 */
int sandbox_apply(const struct sandbox_rule *rules, size_t n, enum sandbox_mode mode);

/* Clears every capability set (effective, permitted, inheritable, ambient). 0 or -errno. */
int sandbox_drop_all_caps(void);

#endif /* OBI_SANDBOX_H */
