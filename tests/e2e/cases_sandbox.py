"""cases_sandbox.py: the sandbox of both processes attacked as a local attacker would: their
/proc status, dumpability against a peer of the same uid, and a debugger (gdb, as root) making
the running obi-probe and obi-enricher call what their seccomp tables forbid."""
import pty
import resource

import e2e
from e2e import *  # noqa: F401,F403

GDB = shutil.which("gdb") or "/usr/bin/gdb"
SIGSYS = 31
SECCOMP_OFF = os.environ.get("OBI_SECCOMP") == "off"  # sanitizer runs (make test-e2e-san)


def _pair(ctx, stdin_tty=False, tag=""):
    """obi-probe and obi-enricher started directly as root (each confines itself)."""
    srv, port, _ = start_python_server(ctx, tag + "py")
    sock_dir = ctx.tmpdir("sbsock")
    env = clean_env({"OTEL_EBPF_OPEN_PORT": str(port), "OTEL_EBPF_TRACE_PRINTER": "json",
                     "OTEL_EBPF_BPF_BATCH_TIMEOUT": "20ms",
                     "OTEL_EBPF_PROBE_SOCKET_PATH": sock_dir + "/obi.sock",
                     "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer sb-secret-%d" % port,
                     **ctx.fe_env})
    probe = ctx.spawn([os.path.join(e2e.BUILD, "obi-probe")], tag + "probe", env=env)
    perr = os.path.join(ctx.dir, tag + "probe.err")
    check(wait_until(lambda: probe.poll() is not None or "running:" in read_text(perr), 30),
          "probe did not start")
    check(probe.poll() is None, "probe exited: %s" % tail(perr))
    enr = _spawn_tty(ctx, [os.path.join(e2e.BUILD, "obi-enricher")], tag + "enricher", env) \
        if stdin_tty else ctx.spawn([os.path.join(e2e.BUILD, "obi-enricher")], tag + "enricher", env=env)
    check(wait_until(lambda: "enricher connected" in read_text(perr), 10),
          "enricher did not connect: %s" % tail(os.path.join(ctx.dir, tag + "enricher.err")))
    return probe, enr, port, env


def _spawn_tty(ctx, argv, label, env):
    """A process whose stdin is a pseudo-terminal, as a terminal-started agent's would be."""
    master, slave = pty.openpty()
    out = open(os.path.join(ctx.dir, label + ".out"), "wb")
    err = open(os.path.join(ctx.dir, label + ".err"), "wb")
    p = subprocess.Popen(argv, env=env, stdin=slave, stdout=out, stderr=err,
                         start_new_session=True)
    os.close(slave)
    out.close()
    err.close()
    ctx.procs.append((p, label))
    ctx.keep_fds = getattr(ctx, "keep_fds", []) + [master]
    return p


def t_sandbox_status(ctx):
    """/proc/PID/status of both processes as started by root through the launcher."""
    obi, probe, enr, port = _launched(ctx)
    for pid, role, uid, caps in ((probe, "obi-probe", 65518, RUNTIME_CAPS),
                                 (enr, "obi-enricher", 65519, 0)):
        st = proc_status(pid)
        check(st["Uid"].split() == [str(uid)] * 4, "%s Uid %s, expected %d" % (role, st["Uid"], uid))
        check(st["Gid"].split() == [str(uid)] * 4, "%s Gid %s" % (role, st["Gid"]))
        check(st["Groups"] == "", "%s supplementary groups %r" % (role, st["Groups"]))
        check(int(st["CapEff"], 16) == caps and int(st["CapPrm"], 16) == caps,
              "%s CapEff %s CapPrm %s, expected %x" % (role, st["CapEff"], st["CapPrm"], caps))
        check(int(st["CapInh"], 16) == 0 and int(st["CapAmb"], 16) == 0,
              "%s CapInh %s CapAmb %s" % (role, st["CapInh"], st["CapAmb"]))
        check(st["NoNewPrivs"] == "1", "%s NoNewPrivs %s" % (role, st["NoNewPrivs"]))
        want_sc = "0" if SECCOMP_OFF else "2"
        check(st["Seccomp"] == want_sc, "%s Seccomp %s" % (role, st["Seccomp"]))
        # Non-dumpable: the kernel hands /proc/PID/* to root instead of the process's uid.
        check(os.stat("/proc/%d/environ" % pid).st_uid == 0,
              "%s is dumpable (/proc/PID/environ owned by its uid)" % role)
    # The probe was root: its bounding set is cut to the run-time capabilities.
    bnd = int(proc_status(probe)["CapBnd"], 16)
    check(bnd == RUNTIME_CAPS, "obi-probe CapBnd %x, expected %x" % (bnd, RUNTIME_CAPS))
    check(get("http://127.0.0.1:%d/sb" % port) == "404", "request")
    expect_exact(obi, server_spans(port), 1)


def _read_as(uid, path):
    r = subprocess.run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
                        "--inh-caps=-all", "--bounding-set=-all", "--", "cat", path],
                       capture_output=True, timeout=10)
    return r.returncode, r.stdout


def _launched(ctx, env_extra=None):
    """obi (the launcher) as root with a selected server: (obi, probe pid, enricher pid, port)."""
    srv, port, _ = start_python_server(ctx, "py")
    obi = Obi(ctx, {"OTEL_EBPF_OPEN_PORT": str(port), **(env_extra or {})})
    obi.wait_ready()
    obi.wait_instrumented(srv.pid)
    kids = {read_text("/proc/%d/comm" % c).strip(): c for c in children_of(obi.p.pid)}
    check("obi-probe" in kids and "obi-enricher" in kids, "children %r" % kids)
    return obi, kids["obi-probe"], kids["obi-enricher"], port


def t_sandbox_environ_peer(ctx):
    """Another process of the enricher's uid (65519) cannot read its environment (the OTLP
    headers): the launcher exec'd it under that uid, which made it dumpable until it said no."""
    secret = "authorization=Bearer sb-secret-%d" % random.randint(0, 1 << 30)
    obi, probe, enr, _ = _launched(ctx, {"OTEL_EXPORTER_OTLP_HEADERS": secret})
    with open("/proc/%d/environ" % enr, "rb") as f:
        check(secret.encode() in f.read(), "the secret is not in the enricher's environment")
    rc, out = _read_as(65519, "/proc/%d/environ" % enr)
    check(rc != 0 and secret.encode() not in out,
          "a uid-65519 peer read the enricher's environ (rc %d)" % rc)
    rc, out = _read_as(65518, "/proc/%d/environ" % probe)
    check(rc != 0 and secret.encode() not in out,
          "a uid-65518 peer read the probe's environ (rc %d)" % rc)
    # Control: the same read of a dumpable process of that uid succeeds, so the check can fail.
    ctl = ctx.spawn(["setpriv", "--reuid=65519", "--regid=65519", "--clear-groups", "--",
                     "sleep", "60"], "control", env=clean_env({"OTEL_EXPORTER_OTLP_HEADERS": secret}))
    check(wait_until(lambda: read_text("/proc/%d/comm" % ctl.pid).strip() == "sleep", 5),
          "control did not start")
    rc, out = _read_as(65519, "/proc/%d/environ" % ctl.pid)
    check(rc == 0 and secret.encode() in out, "control: a dumpable uid-65519 process's environ "
          "was not readable by its peer (rc %d): the test proves nothing" % rc)


def t_sandbox_runtime_reads(ctx):
    """The probe, already uid 65518 under its run-time filter, still does its job for a process
    of another user started after it: exe, fd, net/tcp (port selection) and environ (service
    name) of that process, the pids map update, the sweep, the ring drain, the socket."""
    port = free_port()
    obi = Obi(ctx, {"OTEL_EBPF_OPEN_PORT": str(port)})
    obi.wait_ready()
    probe = [c for c in children_of(obi.p.pid)
             if read_text("/proc/%d/comm" % c).strip() == "obi-probe"][0]
    check(proc_status(probe)["Uid"].split()[0] == "65518", "probe not running as 65518")
    d = ctx.tmpdir("py1000")
    srv = ctx.spawn(["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "--",
                     PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"], "py",
                    env=clean_env({"OTEL_SERVICE_NAME": "late-uid-1000"}), cwd=d)
    check(wait_until(lambda: srv.poll() is not None or is_listening(port), 10) and
          srv.poll() is None, "server did not start")
    obi.wait_instrumented(srv.pid, timeout=5)
    check(get("http://127.0.0.1:%d/" % port) == "200", "request")
    spans = expect_exact(obi, server_spans(port), 1)
    check(spans[0]["service"]["name"] == "late-uid-1000",
          "service name %r: the run-time probe could not read the environ of a uid-1000 process"
          % spans[0]["service"]["name"])
    check(obi.alive() and os.path.exists("/proc/%d" % probe) and
          proc_status(probe)["State"][0] != "Z", "the probe died at run time")


# Each attack: (name, gdb commands preparing $m, the syscall expression). $m is 4 KiB of zeroed
# memory in the target. x86-64 numbers: ioctl 16, openat 257, bpf 321, perf_event_open 298, mmap 9.
ATTACKS = [
    ("ioctl TIOCSTI on fd 0", [], "syscall(16, 0, 0x5412, $m)"),
    ("ioctl TIOCSTI on fd 2", [], "syscall(16, 2, 0x5412, $m)"),
    ("openat O_WRONLY|O_CREAT in /tmp",
     ["call (char *)strcpy($m + 2048, \"/tmp/obi-e2e-sandbox-attack\")"],
     "syscall(257, -100, $m + 2048, 0101, 0600)"),
    # {victim}: another root process (pid 1 of this machine's namespace refuses even root).
    ("open a root process's /proc/PID/mem O_RDWR",
     ["call (char *)strcpy($m + 2048, \"/proc/{victim}/mem\")"],
     "syscall(257, -100, $m + 2048, 2, 0)"),
    # BPF_PROG_LOAD of a valid socket filter (r0 = 0; exit) licensed "GPL".
    ("bpf BPF_PROG_LOAD", ["set var *(int *)$m = 1", "set var *(int *)($m + 4) = 2",
                           "set var *(long *)($m + 8) = (long)($m + 1024)",
                           "set var *(long *)($m + 16) = (long)($m + 1100)",
                           "set var *(long *)($m + 1024) = 0xb7",
                           "set var *(long *)($m + 1032) = 0x95",
                           "set var *(int *)($m + 1100) = 0x4c5047"],
     "syscall(321, 5, $m, 144)"),
    # A software cpu-clock counter of the calling thread: type 1, size 128, config 0.
    ("perf_event_open", ["set var *(int *)$m = 1", "set var *(int *)($m + 4) = 128"],
     "syscall(298, $m, 0, -1, -1, 0)"),
    ("mmap PROT_READ|PROT_EXEC", [], "syscall(9, 0, 4096, 5, 0x22, -1, 0)"),
]


def _gdb_call(ctx, pid, prep, expr, tag):
    prep = [c.replace("{victim}", str(ctx.victim)) for c in prep]
    cmds = ["set confirm off", "set pagination off",
            "set $m = (char *)calloc(1, 4096)"] + prep + [
        "print (long)%s" % expr, "print (int)*(int *)__errno_location()", "detach"]
    argv = [GDB, "-nx", "-batch", "-p", str(pid)]
    for c in cmds:
        argv += ["-ex", c]
    # gdb itself may dump core when its target is killed mid-call: not into the work tree.
    r = subprocess.run(argv, capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
                       cwd=ctx.dir, preexec_fn=lambda: resource.setrlimit(
                           resource.RLIMIT_CORE, (0, 0)))
    out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    with open(os.path.join(ctx.dir, "gdb.log"), "a") as f:
        f.write("=== %s pid %d: %s\n%s\n" % (tag, pid, expr, out))
    vals = re.findall(r"^\$\d+ = (-?\d+)", out, re.M)
    return vals, out


def _attack(ctx, target, name, prep, expr, tag):
    """Returns 'killed by SIGSYS', 'errno N' or 'returned N' for one forbidden call."""
    vals, out = _gdb_call(ctx, target.pid, prep, expr, tag)
    if wait_until(lambda: target.poll() is not None, 3):
        rc = target.poll()
        check(rc == -SIGSYS, "%s: %s: target died with %r, not SIGSYS" % (tag, name, rc))
        return "killed by SIGSYS"
    check(len(vals) >= 2, "%s: %s: gdb did not report the call's result: %s" % (
        tag, name, out[-400:]))
    ret, err = int(vals[-2]), int(vals[-1])
    return "errno %d" % err if ret == -1 else "returned %d" % ret


def _attack_all(ctx, role, start):
    """Runs every attack against a fresh or still-running sandboxed target."""
    target = None
    results = []
    for name, prep, expr in ATTACKS:
        if target is None or target.poll() is not None:
            target = start()
        res = _attack(ctx, target, name, prep, expr, role)
        ok = res == "killed by SIGSYS" or res in ("errno 1", "errno 13")
        check(ok, "%s: %s was not refused: %s" % (role, name, res))
        results.append("%s: %s" % (name, res))
    ctx.note("%s: %s" % (role, "; ".join(results)))


def t_sandbox_debugger_attack(ctx):
    """gdb (root) attached to the running processes makes them call the forbidden syscalls:
    each is refused (EPERM/EACCES) or kills the process with SIGSYS. A control process outside
    the sandbox makes the same calls successfully, so the attacks themselves work."""
    if SECCOMP_OFF:
        ctx.note("OBI_SECCOMP=off (sanitizer run): the attack is only meaningful with the filter")
        return
    check(os.access(GDB, os.X_OK), "gdb missing (tests/deps.sh installs it)")
    ctx.victim = ctx.spawn(["sleep", "300"], "victim").pid
    # Control first: an ordinary root process with a terminal on fd 0 and 2.
    master, slave = pty.openpty()
    ctl = subprocess.Popen(["sleep", "300"], stdin=slave, stdout=subprocess.DEVNULL,
                           stderr=slave, start_new_session=True)
    os.close(slave)
    ctx.procs.append((ctl, "control"))
    try:
        check(wait_until(lambda: read_text("/proc/%d/comm" % ctl.pid).strip() == "sleep", 5),
              "control did not start")
        for name, prep, expr in ATTACKS:
            vals, out = _gdb_call(ctx, ctl.pid, prep, expr, "control")
            check(ctl.poll() is None, "control died on %s" % name)
            check(len(vals) >= 2 and int(vals[-2]) >= 0,
                  "control: %s failed outside the sandbox (%s): the attack proves nothing" % (
                      name, vals))
    finally:
        os.close(master)
        try:
            os.unlink("/tmp/obi-e2e-sandbox-attack")
        except OSError:
            pass
    state = {"n": 0, "pair": ()}

    def restart(stdin_tty):
        for o in state["pair"]:
            kill_group(o)
        state["n"] += 1
        state["pair"] = _pair(ctx, stdin_tty, tag="r%d." % state["n"])[:2]
        return state["pair"]

    def start_enricher():
        return restart(True)[1]

    def start_probe():
        return restart(False)[0]

    _attack_all(ctx, "obi-enricher", start_enricher)
    # The one request answered instead of killing: isatty()'s TCGETS on its terminal.
    enr = start_enricher()
    res = _attack(ctx, enr, "ioctl TCGETS", [], "syscall(16, 0, 0x5401, $m)", "obi-enricher")
    check(res == "errno 25" and enr.poll() is None, "TCGETS on the enricher's tty: %s" % res)
    _attack_all(ctx, "obi-probe", start_probe)
    check(not os.path.exists("/tmp/obi-e2e-sandbox-attack"), "a sandboxed process created a file")


OCI_ACTIONS = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
               "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
               "SCMP_ACT_NOTIFY"}
OCI_OPS = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
           "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}


def _check_oci_profile(path):
    """The fields and enums of the OCI runtime spec's linux.seccomp (schema/config-linux.json)."""
    prof = json.load(open(path))
    allowed = {"defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath",
               "listenerMetadata", "syscalls"}
    check(set(prof) <= allowed, "profile has unknown keys %s" % (set(prof) - allowed))
    check(prof["defaultAction"] == "SCMP_ACT_ERRNO", "defaultAction %r" % prof["defaultAction"])
    check(isinstance(prof["defaultErrnoRet"], int), "defaultErrnoRet")
    check(all(a.startswith("SCMP_ARCH_") for a in prof["architectures"]), "architectures")
    names = set()
    for e in prof["syscalls"]:
        check(set(e) <= {"names", "action", "errnoRet", "args"}, "entry keys %s" % set(e))
        check(e["names"] and all(isinstance(n, str) and n for n in e["names"]), "names")
        check(e["action"] in OCI_ACTIONS, "action %r" % e["action"])
        for a in e.get("args", []):
            check(set(a) <= {"index", "value", "valueTwo", "op"} and 0 <= a["index"] <= 5 and
                  a["op"] in OCI_OPS and a["value"] >= 0 and a.get("valueTwo", 0) >= 0,
                  "bad args %r" % a)
        if e["action"] == "SCMP_ACT_ALLOW":
            names.update(e["names"])
    return prof, names


def t_seccomp_profile(ctx):
    """The generated OCI profile: schema-valid, no more than the tables say (no ptrace, mount,
    process_vm_writev...), and the real probe starts and works under it, installed by
    libseccomp exactly as an OCI runtime installs a Localhost profile."""
    path = os.path.join(e2e.BUILD, "seccomp", "obi-probe.json")
    _, names = _check_oci_profile(path)
    for bad in ("ptrace", "mount", "process_vm_writev", "process_vm_readv", "kexec_load",
                "init_module", "finit_module", "setns", "unshare", "clone3", "keyctl",
                "open_by_handle_at", "userfaultfd", "io_uring_setup"):
        check(bad not in names, "the profile allows %s" % bad)
    # docs/security.md carries the tables as the tool prints them from the installed arrays.
    md = subprocess.run([os.path.join(e2e.BUILD, "tools", "seccomp_profile"), "markdown"],
                        capture_output=True, text=True, check=True).stdout.strip("\n")
    doc = read_text(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                                 "security.md"))
    check(md in doc, "docs/security.md's seccomp tables differ from `seccomp_profile markdown`")
    if SECCOMP_OFF:
        # The sanitizer runtimes need calls the production profile rightly refuses
        # (sigaltstack, ptrace for LeakSanitizer): the run under it is the plain suite's.
        ctx.note("OBI_SECCOMP=off (sanitizer run): the probe is not run under the profile")
        return
    srv, port, _ = start_python_server(ctx, "py")
    sock_dir = ctx.tmpdir("profsock")
    env = clean_env({"OTEL_EBPF_OPEN_PORT": str(port), "OTEL_EBPF_TRACE_PRINTER": "json",
                     "OTEL_EBPF_PROBE_SOCKET_PATH": sock_dir + "/obi.sock", **ctx.fe_env})
    loader = os.path.join(e2e.BUILD, "tools", "seccomp_oci_exec")
    probe = ctx.spawn([loader, path, os.path.join(e2e.BUILD, "obi-probe")], "probe", env=env)
    perr = os.path.join(ctx.dir, "probe.err")
    check(wait_until(lambda: probe.poll() is not None or "running:" in read_text(perr), 30),
          "probe did not start under the profile")
    check(probe.poll() is None, "probe exited under the profile: %s" % tail(perr))
    st = proc_status(probe.pid)
    check(st["Seccomp"] == "2" and int(st["Seccomp_filters"]) >= (1 if SECCOMP_OFF else 2),
          "expected the profile and the probe's own filter stacked: %s" % st["Seccomp_filters"])
    enr = ctx.spawn([os.path.join(e2e.BUILD, "obi-enricher")], "enricher", env=env)
    check(wait_until(lambda: "enricher connected" in read_text(perr), 10), "enricher")
    check(get("http://127.0.0.1:%d/profile" % port) == "404", "request")
    out = os.path.join(ctx.dir, "enricher.out")
    check(wait_until(lambda: '"url.path":"/profile"' in read_text(out), 10),
          "no span with the probe under the profile")
    # The same loader refuses what the profile leaves out: the profile is really in force.
    r = subprocess.run([loader, path, "/usr/bin/unshare", "-U", "true"], capture_output=True)
    check(r.returncode != 0 and b"Operation not permitted" in r.stderr,
          "unshare under the profile: rc %d %r" % (r.returncode, r.stderr[-200:]))


PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
SIX = "BPF,PERFMON,SYS_PTRACE,NET_RAW,CHECKPOINT_RESTORE,DAC_READ_SEARCH"


def _rootfs(ctx):
    """A minimal root filesystem: obi-probe and the libraries ldd lists (what the image holds)."""
    root = ctx.tmpdir("rootfs")
    probe = os.path.join(e2e.BUILD, "obi-probe")
    libs = re.findall(r"(/\S+) \(0x", subprocess.run(["ldd", probe], capture_output=True,
                                                     text=True).stdout)
    for d in ("bin", "proc", "sys", "dev", "tmp", "etc", "var/run/obi"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy(probe, os.path.join(root, "bin"))
    for lib in libs:
        dst = root + lib
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(lib, dst)
    return root


def t_seccomp_profile_podman(ctx):
    """The probe in a real container (podman + runc) as the hardened DaemonSet runs it: exactly
    the six capabilities, uid 0, read-only root, host PID namespace, and the generated
    profile as its seccomp profile (what Kubernetes' seccompProfile Localhost installs)."""
    if SECCOMP_OFF:
        ctx.note("OBI_SECCOMP=off (sanitizer run): sanitizer runtimes cannot run under the profile")
        return
    if not shutil.which("podman") or not shutil.which("runc"):
        raise TestFailure("podman/runc missing (tests/deps.sh)")
    srv, port, _ = start_python_server(ctx, "py")
    root = _rootfs(ctx)
    sock_dir = ctx.tmpdir("podsock")
    name = "obi-e2e-sb-%d-%d" % (os.getpid(), random.randint(0, 1 << 30))
    prof = os.path.join(e2e.BUILD, "seccomp", "obi-probe.json")
    tracing = ["-v", "/sys/kernel/tracing:/sys/kernel/tracing:ro"] if ctx.fe != "socket" else []
    env = []
    for k, v in list(ctx.fe_env.items()) + [("OTEL_EBPF_OPEN_PORT", str(port))]:
        env += ["-e", "%s=%s" % (k, v)]
    argv = PODMAN + ["run", "--rm", "--name", name, "--ulimit", "nofile=1024:1024",
                     "--ulimit", "nproc=4096:4096", "--net=host", "--pid=host", "--read-only",
                     "--user", "0:65519", "--cap-drop", "ALL", "--cap-add", SIX,
                     "--security-opt", "seccomp=" + prof, "-v", sock_dir + ":/var/run/obi"] + \
        tracing + env + ["--rootfs", root, "/bin/obi-probe"]
    pod = ctx.spawn(argv, "podman")
    perr = os.path.join(ctx.dir, "podman.err")
    try:
        ok = wait_until(lambda: pod.poll() is not None or "running:" in read_text(perr) +
                        read_text(os.path.join(ctx.dir, "podman.out")), 60)
        logs = read_text(perr) + read_text(os.path.join(ctx.dir, "podman.out"))
        check(ok and pod.poll() is None, "containerized probe did not start: %s" % logs[-800:])
        check("keeps uid 0" in logs, "the six-capability probe did not log that it keeps uid 0")
        pids = [int(d) for d in os.listdir("/proc") if d.isdigit() and
                read_text("/proc/%s/comm" % d).strip() == "obi-probe" and
                read_text("/proc/%s/cmdline" % d).startswith("/bin/obi-probe")]
        check(len(pids) == 1, "containerized probe pid: %r" % pids)
        st = proc_status(pids[0])
        check(int(st["CapEff"], 16) == RUNTIME_CAPS and int(st["CapPrm"], 16) == RUNTIME_CAPS,
              "CapEff %s CapPrm %s" % (st["CapEff"], st["CapPrm"]))
        check(st["Seccomp"] == "2" and int(st["Seccomp_filters"]) >= (1 if SECCOMP_OFF else 2),
              "the profile and the probe's own filter: Seccomp_filters %s" % st["Seccomp_filters"])
        env_h = clean_env({"OTEL_EBPF_TRACE_PRINTER": "json",
                           "OTEL_EBPF_PROBE_SOCKET_PATH": sock_dir + "/obi.sock"})
        ctx.spawn([os.path.join(e2e.BUILD, "obi-enricher")], "enricher", env=env_h)
        out = os.path.join(ctx.dir, "enricher.out")
        check(wait_until(lambda: "connected to obi-probe" in
                         read_text(os.path.join(ctx.dir, "enricher.err")), 10), "enricher")
        check(get("http://127.0.0.1:%d/pod" % port) == "404", "request")
        check(wait_until(lambda: '"url.path":"/pod"' in read_text(out), 10),
              "no span from the probe in the container")
    finally:
        subprocess.run(PODMAN + ["rm", "-f", "-t", "2", name], capture_output=True, timeout=60)


TESTS = [
    ("sandbox_status", t_sandbox_status),
    ("sandbox_environ_peer", t_sandbox_environ_peer, ("socket",)),
    ("sandbox_runtime_reads", t_sandbox_runtime_reads),
    ("seccomp_profile", t_seccomp_profile),
    ("seccomp_profile_podman", t_seccomp_profile_podman),
    ("sandbox_debugger_attack", t_sandbox_debugger_attack, ("socket",)),
]
