/* lifecycle.c: BPF object lifecycle: choose the front end, configure, load, attach, tear down. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "obi_abi.h"
#include "probe.h"

static int probe_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n;

	/* libbpf's own debug output is one level below ours: it needs DEBUG to show. */
	if (level == LIBBPF_DEBUG && !log_enabled(LOG_LVL_DEBUG))
		return 0;
	/* Verifier logs are long and multi-line: pass them through whole. */
	if (strstr(fmt, "-- BEGIN PROG LOAD LOG --") || strstr(fmt, "-- END PROG LOAD LOG --")) {
		vfprintf(stderr, fmt, ap);
		return 0;
	}
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (level == LIBBPF_WARN)
		log_warnx("libbpf: %s", line);
	else
		log_debug("libbpf: %s", line);
	return 0;
}

/* The socket tracepoints exist if the kernel's BTF names their typedefs (Linux >= 6.3). */
static bool probe_kernel_has_sock_tracepoints(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool ok;

	if (!vmlinux)
		return false;
	ok = btf__find_by_name_kind(vmlinux, "btf_trace_sock_send_length", BTF_KIND_TYPEDEF) > 0 &&
	     btf__find_by_name_kind(vmlinux, "btf_trace_sock_recv_length", BTF_KIND_TYPEDEF) > 0;
	btf__free(vmlinux);
	return ok;
}

static bool probe_prog_is_syscall_frontend(const struct bpf_program *prog)
{
	return strncmp(bpf_program__section_name(prog), "tracepoint/syscalls/", 20) == 0;
}

static bool probe_prog_is_socket_frontend(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return strcmp(sec, "tp_btf/sock_send_length") == 0 ||
	       strcmp(sec, "tp_btf/sock_recv_length") == 0;
}

/* BPF atomics beyond add (cmpxchg, Linux 5.12): a six-instruction program either loads or not. */
static bool probe_kernel_has_bpf_atomics(void)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .off = -8, .imm = 0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1},
	    {.code = BPF_STX | BPF_ATOMIC | BPF_DW,
	     .dst_reg = BPF_REG_10,
	     .src_reg = BPF_REG_1,
	     .off = -8,
	     .imm = BPF_CMPXCHG},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0) {
		/* EINVAL is the verifier not knowing the instruction; anything else is not an
		 * answer about atomics, and the compat object is the safe guess. */
		if (errno != EINVAL)
			log_warnx("probing BPF atomics failed (%s): assuming none",
				  strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/* What users lose without the idle sweep (compat object, or no bpf_for_each_map_elem). */
#define PROBE_NO_SWEEP                                                                             \
	"no idle sweep: the last request of an idle keep-alive connection, and a request "         \
	"timeout, are reported when the next request, a late response or the close comes"

/*
 * Kernel features beyond the front end's own hooks, as measured facts of the running kernel
 * (backports count), not version numbers. Missing task storage or atomics select the compat
 * object; the other optional ones switch a feature off with a warning.
 */
static int probe_lifecycle_check_kernel(struct probe *p)
{
	struct utsname u;
	bool task_storage, atomics;
	const char *missing = NULL, *since = NULL;

	if (uname(&u) == 0)
		snprintf(p->kernel_release, sizeof(p->kernel_release), "%s", u.release);
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0) {
		log_errorx("this kernel lacks the BPF ring buffer (Linux >= 5.8), which obi needs "
			   "to deliver what it captures");
		return -1;
	}
	task_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) > 0;
	atomics = probe_kernel_has_bpf_atomics();
	if (!task_storage)
		missing = "BPF task storage", since = "5.11";
	else if (!atomics)
		missing = "BPF atomics (cmpxchg)", since = "5.12";
	switch (p->cfg.bpf_object) {
	case CONFIG_BPF_OBJECT_FULL:
		if (missing) {
			log_errorx("ebpf.bpf_object=full, but this kernel lacks %s (Linux >= %s); "
				   "use auto or compat",
				   missing, since);
			return -1;
		}
		p->compat = false;
		break;
	case CONFIG_BPF_OBJECT_COMPAT:
		p->compat = true;
		break;
	default:
		p->compat = missing != NULL;
	}
	if (p->compat) {
		log_info("BPF object: compat (%s%s): " PROBE_NO_SWEEP, missing ? "no " : "forced",
			 missing ? missing : "");
		return 0;
	}
	log_info("BPF object: full");
	p->have_for_each = libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT,
						   BPF_FUNC_for_each_map_elem, NULL) > 0;
	if (!p->have_for_each)
		log_warnx(
		    "this kernel lacks bpf_for_each_map_elem (Linux >= 5.13): " PROBE_NO_SWEEP);
	return 0;
}

static int probe_lifecycle_choose_frontend(struct probe *p)
{
	bool have_sock = probe_kernel_has_sock_tracepoints();

	switch (p->cfg.frontend) {
	case CONFIG_FRONTEND_SOCKET:
		if (!have_sock) {
			log_errorx(
			    "ebpf.capture_frontend=socket, but this kernel has no "
			    "sock:sock_send_length/sock_recv_length tracepoints (Linux >= 6.3); "
			    "use auto or syscall");
			return -1;
		}
		if (p->compat) {
			log_errorx("ebpf.capture_frontend=socket needs the full BPF object "
				   "(ebpf.bpf_object=full or auto)");
			return -1;
		}
		p->frontend = CONFIG_FRONTEND_SOCKET;
		break;
	case CONFIG_FRONTEND_SYSCALL:
		p->frontend = CONFIG_FRONTEND_SYSCALL;
		break;
	default:
		p->frontend =
		    have_sock && !p->compat ? CONFIG_FRONTEND_SOCKET : CONFIG_FRONTEND_SYSCALL;
	}
	log_info("capture front end: %s", p->frontend == CONFIG_FRONTEND_SOCKET
					      ? "socket tracepoints"
					      : "syscall tracepoints");
	return 0;
}

static int probe_lifecycle_before_load(struct probe *p)
{
	struct probe_bpf *b = &p->bpf;
	volatile struct obi_bpf_cfg *cfg = b->cfg;
	struct bpf_program *prog;
	uint32_t rec = sizeof(struct obi_rec_http) + 256;
	int err = 0;

	cfg->req_cap = p->cfg.request_capture_size;
	/* wakeup_len counts records, as OBI's; the kernel compares bytes. */
	cfg->wakeup_bytes = p->cfg.wakeup_len ? p->cfg.wakeup_len * rec : p->cfg.ringbuf_size / 4;
	if (cfg->wakeup_bytes > p->cfg.ringbuf_size / 2)
		cfg->wakeup_bytes = p->cfg.ringbuf_size / 2;
	cfg->sweep_idle_ns = p->cfg.sweep_idle_ns;
	cfg->request_timeout_ns = p->cfg.http_request_timeout_ns;
	cfg->resp_cap = p->cfg.response_capture_size;
	cfg->resp_max_ns = p->cfg.http_response_max_duration_ns;
	cfg->track_traceparent = p->cfg.track_request_headers;
	/* A selector may match at exec; a selected process that execs is described again. */
	cfg->exec_events = p->disc.sel.any_exec || p->cfg.auto_target_exe != NULL;

	err = err ?: bpf_map__set_max_entries(b->events, p->cfg.ringbuf_size);
	err = err ?: bpf_map__set_max_entries(b->conns, p->cfg.max_connections);
	if (err)
		return err;
	bpf_object__for_each_program(prog, b->obj)
	{
		bool want = true;

		if (probe_prog_is_syscall_frontend(prog))
			want = p->frontend == CONFIG_FRONTEND_SYSCALL;
		else if (probe_prog_is_socket_frontend(prog))
			want = p->frontend == CONFIG_FRONTEND_SOCKET;
		else if (prog == b->sweep)
			want = p->have_for_each;
		bpf_program__set_autoload(prog, want);
	}
	if (!p->have_for_each)
		b->sweep = NULL; /* from here on: the sweep program that runs, if any */
	if (p->frontend != CONFIG_FRONTEND_SYSCALL) {
		/* No syscall tracepoints: their per-syscall maps are not needed at all. */
		bpf_map__set_max_entries(b->sys_args, 1);
		bpf_map__set_max_entries(b->fd_cache, 1);
	}
	return 0;
}

static int probe_lifecycle_attach(struct probe *p)
{
	int err = probe_bpf_attach(&p->bpf);

	if (err)
		log_error(-err, "attaching BPF programs");
	return err;
}

int probe_lifecycle_start(struct probe *p)
{
	int err;

	libbpf_set_print(probe_libbpf_print);
	if (faccessat(AT_FDCWD, "/sys/kernel/btf/vmlinux", R_OK, AT_EACCESS) != 0) {
		log_errorx(
		    "kernel BTF is missing (/sys/kernel/btf/vmlinux): obi needs a kernel built "
		    "with CONFIG_DEBUG_INFO_BTF=y (Linux >= 5.8 with BTF)");
		return -1;
	}
	if (probe_lifecycle_check_kernel(p) || probe_lifecycle_choose_frontend(p))
		return -1;
	if (probe_caps_check_frontend(p))
		return -1;
	err = probe_bpf_open(&p->bpf, p->compat);
	if (err) {
		log_error(-err, "opening the BPF object");
		return -1;
	}
	if (probe_pidns_configure(p))
		goto fail;
	err = probe_lifecycle_before_load(p);
	if (err) {
		log_error(-err, "configuring BPF maps");
		goto fail;
	}
	err = probe_bpf_load(&p->bpf);
	if (err) {
		/* EACCES is also the verifier's answer: only blame capabilities when they lack. */
		if (probe_caps_check_quiet())
			log_error(-err, "loading BPF programs: the capabilities above are missing");
		else
			log_error(-err,
				  "the kernel's BPF verifier rejected a program (its log is "
				  "above); please report it with this kernel's version (%s)",
				  p->kernel_release);
		goto fail;
	}
	err = probe_lifecycle_attach(p);
	if (err)
		goto fail;
	return 0;
fail:
	probe_bpf_destroy(&p->bpf);
	return -1;
}

void probe_lifecycle_stop(struct probe *p)
{
	probe_bpf_destroy(&p->bpf);
}

int probe_lifecycle_sweep(struct probe *p)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	uint64_t args[1] = {0};

	if (!p->bpf.sweep)
		return 0;
	opts.ctx_in = args;
	opts.ctx_size_in = sizeof(args);
	return bpf_prog_test_run_opts(bpf_program__fd(p->bpf.sweep), &opts);
}

/* The full object's selection bitmap, shared with the fork and exit hooks. */
static int probe_lifecycle_select_bit(uint64_t *bits, uint32_t pid, bool on)
{
	uint64_t bit = 1ULL << (pid % 64);

	if (pid >= OBI_PID_LIMIT) {
		errno = ERANGE;
		return -1;
	}
	/* Atomic: the fork and exit hooks change other bits of the same word meanwhile.
	 * Sequentially consistent, as the map update system call it replaces was: what the
	 * caller does next may rely on the programs seeing the change. */
	if (on)
		__atomic_fetch_or(&bits[pid / 64], bit, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&bits[pid / 64], ~bit, __ATOMIC_SEQ_CST);
	return 0;
}

int probe_lifecycle_select_pid(struct probe *p, uint32_t pid, bool on)
{
	uint32_t flags = 1;
	int fd;

	if (p->bpf.pid_bits)
		return probe_lifecycle_select_bit(p->bpf.pid_bits, pid, on);
	fd = bpf_map__fd(p->bpf.pids);
	if (on)
		return bpf_map_update_elem(fd, &pid, &flags, BPF_ANY);
	return bpf_map_delete_elem(fd, &pid);
}

int probe_lifecycle_read_stats(struct probe *p, uint64_t out[OBI_ST__MAX])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(p->bpf.stats);
	uint64_t vals[ncpu > 0 ? ncpu : 1];

	if (ncpu <= 0)
		return -1;
	for (uint32_t i = 0; i < OBI_ST__MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return 0;
}
