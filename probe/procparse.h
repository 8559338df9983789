/* procparse.h: pure parsers of /proc text (status, stat, net/tcp, children, environ, cmdline). */
#ifndef OBI_PROCPARSE_H
#define OBI_PROCPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every function takes a buffer and its length and reads nothing past it (the bytes come from
 * processes that may be hostile: no NUL termination is assumed). They are fuzzed
 * (tests/fuzz/fuzz_procparse.c).
 */

/* Value of "Field:" in /proc/PID/status, blanks trimmed, copied NUL-terminated. 0 or -1. */
int procparse_status_field(const char *buf, size_t len, const char *field, char *out,
			   size_t outlen);

/* A numeric status field; `last` takes the last of a tab-separated list (NSpid). 0 or -1. */
int procparse_status_u32(const char *buf, size_t len, const char *field, bool last, uint32_t *out);

/* starttime (field 22, clock ticks since boot) of /proc/PID/stat; comm may hold ") ". 0 or -1. */
int procparse_stat_starttime(const char *buf, size_t len, unsigned long long *ticks);

/* A LISTEN socket of /proc/PID/net/tcp{,6}. */
struct procparse_listen {
	unsigned long inode;
	uint16_t port;
};

/* Appends the LISTEN sockets of a net/tcp table to out[n..max); returns the new count. */
int procparse_tcp_listen(const char *buf, size_t len, struct procparse_listen *out, int n, int max);

/* Appends the pids of a blank-separated list (task/TID/children) to out[n..max); new count. */
int procparse_pid_list(const char *buf, size_t len, uint32_t *out, int n, int max);

/* Inode of a "socket:[N]" fd link. 0 or -1. */
int procparse_socket_inode(const char *link, size_t len, unsigned long *ino);

/*
 * Value of NAME in a NUL-separated environment block (the last entry may be cut short and
 * unterminated); *vlen gets its length. NULL if absent.
 */
const char *procparse_env_get(const char *env, size_t len, const char *name, size_t *vlen);

/* Length of a cmdline without its trailing NULs. */
size_t procparse_cmdline_len(const char *buf, size_t len);

/* Length of an exe link without a " (deleted)" suffix (a replaced binary keeps its old path). */
size_t procparse_exe_len(const char *buf, size_t len);

/* Length of /proc/PID/cgroup text without trailing newlines. */
size_t procparse_cgroup_len(const char *buf, size_t len);

#endif /* OBI_PROCPARSE_H */
