/* sandbox.h: the last steps of privilege drop shared by both processes: no_new_privs, seccomp. */
#ifndef OBI_SANDBOX_H
#define OBI_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

/* How one argument is constrained (libseccomp's comparisons; OpenSSH's SC_ALLOW_ARG*). */
enum sandbox_cmp {
	SANDBOX_CMP_NONE = 0,  /* unused slot */
	SANDBOX_CMP_EQ,	       /* arg == value */
	SANDBOX_CMP_MASKED_EQ, /* (arg & mask) == value; value 0: none of the mask's bits set */
	SANDBOX_CMP_NE	       /* arg != value (the complement of an allow row, e.g. EACCES) */
};

struct sandbox_arg {
	uint8_t cmp; /* enum sandbox_cmp */
	uint8_t index;
	uint64_t mask;
	uint64_t value;
};

#define SANDBOX_MAX_ARGS 3

/*
 * One row of a table: a system call by name, allowed (or failed with deny_errno) when every
 * condition in args holds. Several rows for one name are alternatives. `why` is the reason the
 * row exists; it is printed into docs/security.md and the generated seccomp profile.
 */
struct sandbox_rule {
	const char *name;
	int deny_errno; /* 0: allow; else fail the call with this errno instead of killing */
	struct sandbox_arg args[SANDBOX_MAX_ARGS];
	const char *why;
};

/* Argument conditions for table rows. */
#define SB_EQ(i, v)                                                                                \
	{                                                                                          \
		.cmp = SANDBOX_CMP_EQ, .index = (i), .value = (uint64_t)(v)                        \
	}
#define SB_NONE_OF(i, m)                                                                           \
	{                                                                                          \
		.cmp = SANDBOX_CMP_MASKED_EQ, .index = (i), .mask = (uint64_t)(m)                  \
	}
#define SB_NE(i, v)                                                                                \
	{                                                                                          \
		.cmp = SANDBOX_CMP_NE, .index = (i), .value = (uint64_t)(v)                        \
	}
#define SB_MASKED_EQ(i, m, v)                                                                      \
	{                                                                                          \
		.cmp = SANDBOX_CMP_MASKED_EQ, .index = (i), .mask = (uint64_t)(m),                 \
		.value = (uint64_t)(v)                                                             \
	}

/* The rows every one of our event loops needs (memory, time, signals, exit, held fds). */
extern const struct sandbox_rule sandbox_base_rules[];
extern const size_t sandbox_base_nrules;

enum sandbox_mode {
	SANDBOX_KILL = 0, /* anything not allowed kills the process (default) */
	SANDBOX_LOG,	  /* OBI_SECCOMP=log: allowed, logged by the kernel (debugging a policy) */
	SANDBOX_OFF, /* OBI_SECCOMP=off: no filter (sanitizer runs: LeakSanitizer needs ptrace) */
};

/* The mode from OBI_SECCOMP (unset or anything else: kill). */
enum sandbox_mode sandbox_mode_from_env(void);

/*
 * Sets PR_SET_NO_NEW_PRIVS (always), then, unless mode is SANDBOX_OFF, installs a seccomp
 * filter allowing sandbox_base_rules plus exactly `rules`. Returns 0 or -errno.
 */
int sandbox_apply(const struct sandbox_rule *rules, size_t n, enum sandbox_mode mode);

/* Marks the process non-dumpable: no core, no ptrace or /proc/PID/{environ,mem} for peers of
 * the same uid. Credential changes reset it, so call it again after each one. 0 or -errno. */
int sandbox_nodump(void);

/* Clears every capability set (effective, permitted, inheritable, ambient). 0 or -errno. */
int sandbox_drop_all_caps(void);

#endif /* OBI_SANDBOX_H */
