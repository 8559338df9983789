/* select.h: OBI's discovery selectors compiled for the probe, their evaluation against what is
 * known of a process, and language detection. */
#ifndef OBI_SELECT_H
#define OBI_SELECT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "wire.h"

/* PIDs or a PID range of target_pids. */
struct select_pids {
	uint32_t lo, hi;
};

/* One selector ready to evaluate: every criterion present must hold (fields AND). */
struct select_entry {
	const char *exe_glob, *cmd_glob; /* exe_path, cmd_args (globs), AUTO_TARGET_EXE */
	/* Regexes: exe_path and cmd_args of discovery.services, exe_path_regexp (exe_re2). */
	regex_t exe_re, exe_re2, cmd_re;
	bool has_exe_re, has_exe_re2, has_cmd_re;
	const struct config_portlist *ports; /* open_ports; NULL: any */
	struct select_pids *pids;	     /* target_pids */
	unsigned npids;
	char *const *langs; /* languages (globs); nlangs 0: any */
	unsigned nlangs;
	bool containers_only;
	/* Kubernetes criteria (globs, enum wire_pod_str order; NULL: any), labels, annotations */
	const char *k8s[WIRE_POD_NSTR];
	const struct config_map *k8s_labels, *k8s_annots;
	bool has_k8s;
	/* container_name, or Kubernetes criteria with decoration off: no such metadata */
	bool unmatchable;
	const char *name, *namespace_; /* service overrides */
	uint16_t wire_index;	       /* obi_wire_proc.selector of a process it matched */
};

struct select_list {
	struct select_entry *e;
	unsigned n;
};

/* The namespaces the probe counts as the host's (containers_only): those of /proc/1. */
struct select_host_ns {
	bool known;
	char pid[64], mnt[64], net[64];
};

struct select_set {
	struct select_list include, exclude;
	bool any_ports; /* some include entry has open_ports: LISTEN events matter */
	bool any_exec;	/* some include entry can hold without a port: EXEC events matter */
	bool need_ns;	/* some entry is containers_only: the readers compare namespaces */
	bool need_k8s;	/* some entry has Kubernetes criteria: a container's pod is asked for */
	struct select_host_ns host;
};

/* Three-valued: a criterion on a fact not read (yet) is MAYBE, never YES. */
enum select_tri { SELECT_NO = 0, SELECT_MAYBE, SELECT_YES };

/* What is known of a process's pod. Zero is "unknown": a reader's facts never claim more. */
enum select_pod_state {
	SELECT_POD_UNKNOWN = 0, /* container id not read, or its pod not answered yet */
	SELECT_POD_NONE,	/* not a container, or no pod runs it (or no answer in time) */
	SELECT_POD_KNOWN,	/* pod holds its facts */
};

/* What is known of one process. */
struct select_facts {
	uint32_t pid;
	const char *exe;
	const char *cmdline; /* NUL-separated; NULL: not read */
	size_t cmdline_len;
	const uint16_t *ports; /* LISTEN ports it holds */
	int nports;
	bool ports_known;
	unsigned lang;	  /* enum obi_wire_lang; OBI_LANG_UNKNOWN: not detected */
	int in_container; /* 1, 0, or -1: unknown */
	enum select_pod_state pod_state;
	const struct wire_pod_view *pod; /* SELECT_POD_KNOWN only */
};

/*
 * Compiles the selectors of cfg (discovery.instrument, else discovery.services; the
 * OTEL_EBPF_OPEN_PORT / AUTO_TARGET_EXE entry last; the exclusions and default exclusions).
 * Regexes were checked at load; a failure here is reported in err. 0 or -1.
 */
int select_build(struct select_set *s, const struct obi_config *cfg, char *err, size_t errlen);
void select_free(struct select_set *s);
/* Kubernetes metadata may be on (attributes.kubernetes.enable true or autodetect). */
bool select_k8s_possible(const struct obi_config *cfg);
/* The one-time start-up warnings: criteria that cannot match yet, settings not applied yet. */
void select_warn_unsupported(const struct obi_config *cfg);
/* Reads the host's namespaces from /proc/1 (before confinement). */
void select_read_host_ns(struct select_host_ns *h);

/*
 * The verdict for a process: YES when an include entry holds and no exclusion may hold (the
 * first such entry in *match). MAYBE when a missing fact could change it.
 */
enum select_tri select_eval(const struct select_set *s, const struct select_facts *f,
			    const struct select_entry **match);
enum select_tri select_entry_eval(const struct select_entry *e, const struct select_facts *f);
/* The rule of containers_only: any of the pid, mount, network namespaces differs from the
 * host's. -1 when unknown (a link unreadable, or the host's unknown). */
int select_in_container(const struct select_host_ns *h, const char *pid_ns, const char *mnt_ns,
			const char *net_ns);

/* select_lang.c: language detection from cheap facts. */
/* From the executable's base name (java, python3.11, node, ruby, dotnet, php-fpm). */
unsigned select_lang_from_exe(const char *exe);
/* From a chunk of /proc/PID/maps text (libjvm.so, libpython, libnode, libcoreclr.so...). */
unsigned select_lang_from_maps(const char *buf, size_t len);
/* Reads n bytes at off of the executable; bytes read or -1. */
typedef ssize_t (*select_pread_fn)(void *ctx, void *buf, size_t n, uint64_t off);
/* From the executable's ELF sections: go (.go.buildinfo, .gopclntab, .note.go.buildid) or rust
 * (rustc's .comment line, .rustc). OBI_LANG_UNKNOWN if neither. */
unsigned select_lang_from_elf(select_pread_fn rd, void *ctx);
/* The libraries, then the name, then the ELF file; generic when none says. */
unsigned select_lang_decide(unsigned from_maps, unsigned from_exe, unsigned from_elf);

#endif /* OBI_SELECT_H */
