/* lifecycle.c: BPF object lifecycle: choose the front end, configure, load, attach, tear down. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "obi_abi.h"
#include "obi.skel.h"
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

/*
 * Kernel features beyond the front end's own hooks. Hard requirements fail with the version
 * that brings them; optional ones switch a feature off with a warning. (Measured facts of
 * the running kernel, not version numbers: backports count.)
 */
static int probe_lifecycle_check_kernel(struct probe *p)
{
	struct utsname u;

	if (uname(&u) == 0)
		snprintf(p->kernel_release, sizeof(p->kernel_release), "%s", u.release);
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) <= 0) {
		log_errorx(
		    "this kernel lacks BPF task storage (Linux >= 5.11), which obi uses to link "
		    "client calls to the request a thread serves");
		return -1;
	}
	p->have_bpf_loop =
	    libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, NULL) > 0;
	if (!p->have_bpf_loop && p->cfg.track_request_headers)
		log_warnx(
		    "this kernel lacks bpf_loop (Linux >= 5.17): incoming traceparent headers "
		    "are not read (ebpf.track_request_headers ignored)");
	p->have_for_each = libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT,
						   BPF_FUNC_for_each_map_elem, NULL) > 0;
	if (!p->have_for_each)
		log_warnx(
		    "this kernel lacks bpf_for_each_map_elem (Linux >= 5.13): the last request "
		    "of an idle keep-alive connection is reported when the connection closes");
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
		p->frontend = CONFIG_FRONTEND_SOCKET;
		break;
	case CONFIG_FRONTEND_SYSCALL:
		p->frontend = CONFIG_FRONTEND_SYSCALL;
		break;
	default:
		p->frontend = have_sock ? CONFIG_FRONTEND_SOCKET : CONFIG_FRONTEND_SYSCALL;
	}
	log_info("capture front end: %s", p->frontend == CONFIG_FRONTEND_SOCKET
					      ? "socket tracepoints"
					      : "syscall tracepoints");
	return 0;
}

static int probe_lifecycle_before_load(struct probe *p)
{
	struct obi_bpf *s = p->skel;
	struct bpf_program *prog;
	uint32_t rec = sizeof(struct obi_rec_http) + 256;
	int err = 0;

	s->rodata->obi_cfg.req_cap = p->cfg.request_capture_size;
	/* wakeup_len counts records, as OBI's; the kernel compares bytes. */
	s->rodata->obi_cfg.wakeup_bytes =
	    p->cfg.wakeup_len ? p->cfg.wakeup_len * rec : p->cfg.ringbuf_size / 4;
	if (s->rodata->obi_cfg.wakeup_bytes > p->cfg.ringbuf_size / 2)
		s->rodata->obi_cfg.wakeup_bytes = p->cfg.ringbuf_size / 2;
	s->rodata->obi_cfg.sweep_idle_ns = p->cfg.sweep_idle_ns;
	s->rodata->obi_cfg.request_timeout_ns = p->cfg.http_request_timeout_ns;
	s->rodata->obi_cfg.track_traceparent = p->cfg.track_request_headers && p->have_bpf_loop;
	s->rodata->obi_cfg.exec_events = p->cfg.auto_target_exe != NULL;

	err = err ?: bpf_map__set_max_entries(s->maps.obi_events, p->cfg.ringbuf_size);
	err = err ?: bpf_map__set_max_entries(s->maps.obi_conns, p->cfg.max_connections);
	if (err)
		return err;
	bpf_object__for_each_program(prog, s->obj)
	{
		bool want = true;

		if (probe_prog_is_syscall_frontend(prog))
			want = p->frontend == CONFIG_FRONTEND_SYSCALL;
		else if (probe_prog_is_socket_frontend(prog))
			want = p->frontend == CONFIG_FRONTEND_SOCKET;
		else if (prog == s->progs.obi_sweep)
			want = p->have_for_each;
		bpf_program__set_autoload(prog, want);
	}
	if (p->frontend != CONFIG_FRONTEND_SYSCALL) {
		/* No syscall tracepoints: their per-syscall maps are not needed at all. */
		bpf_map__set_max_entries(s->maps.obi_sys_args, 1);
		bpf_map__set_max_entries(s->maps.obi_fd_cache, 1);
	}
	return 0;
}

static int probe_lifecycle_attach(struct probe *p)
{
	/* The skeleton attaches every loaded program; SEC("raw_tp") without a name (the sweep,
	 * run on demand with BPF_PROG_TEST_RUN) is left unattached by libbpf. */
	int err = obi_bpf__attach(p->skel);

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
	if (p->frontend == CONFIG_FRONTEND_SYSCALL && probe_tracefs_ensure())
		return -1;
	p->skel = obi_bpf__open();
	if (!p->skel) {
		log_error(errno, "opening the BPF object");
		return -1;
	}
	err = probe_lifecycle_before_load(p);
	if (err) {
		log_error(-err, "configuring BPF maps");
		goto fail;
	}
	err = obi_bpf__load(p->skel);
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
	obi_bpf__destroy(p->skel);
	p->skel = NULL;
	return -1;
}

void probe_lifecycle_stop(struct probe *p)
{
	if (p->skel)
		obi_bpf__destroy(p->skel);
	p->skel = NULL;
}

int probe_lifecycle_sweep(struct probe *p)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	uint64_t args[1] = {0};

	if (!p->have_for_each)
		return 0;
	opts.ctx_in = args;
	opts.ctx_size_in = sizeof(args);
	return bpf_prog_test_run_opts(bpf_program__fd(p->skel->progs.obi_sweep), &opts);
}

int probe_lifecycle_select_pid(struct probe *p, uint32_t pid, bool on)
{
	uint32_t flags = 1;
	int fd = bpf_map__fd(p->skel->maps.obi_pids);

	if (on)
		return bpf_map_update_elem(fd, &pid, &flags, BPF_ANY);
	return bpf_map_delete_elem(fd, &pid);
}

int probe_lifecycle_read_stats(struct probe *p, uint64_t out[OBI_ST__MAX])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(p->skel->maps.obi_stats);
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
