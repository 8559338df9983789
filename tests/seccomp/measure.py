#!/usr/bin/env python3
"""tests/seccomp/measure.py BUILD [SECONDS] [FRONTEND]: the system calls obi-probe and
obi-enricher make, measured under real traffic (wrk against nginx), split at the seccomp filter.

obi runs under `strace -f -ff` (seccomp off so that nothing is killed while we look); each
process's trace is cut where its filter would be installed (the PR_SET_NO_NEW_PRIVS after its
execve): calls before it are start-up, after it run time. Prints per process and phase: syscall,
count, and for bpf/ioctl/openat/mmap/mprotect/prctl the distinct arguments that matter.
"""
import collections
import glob
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import e2e  # noqa: E402

LINE = re.compile(r"^(?:\d+\s+)?(?:\d+:\d+:\d+\.\d+\s+)?([a-z_0-9]+)\((.*)")


def split_trace(path):
    """(name, phases): phases = {"startup": Counter, "runtime": Counter, args...}."""
    phase = "startup"
    name = None
    cnt = {"startup": collections.Counter(), "runtime": collections.Counter()}
    args = {"startup": collections.defaultdict(collections.Counter),
            "runtime": collections.defaultdict(collections.Counter)}
    for line in open(path, errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        sc, rest = m.groups()
        if sc == "execve":
            mm = re.search(r'"([^"]*)"', rest)
            if mm and mm.group(1).endswith(("obi-probe", "obi-enricher")):
                name = os.path.basename(mm.group(1))
        # The filter goes in right after no_new_privs (sandbox_apply); the launcher also sets
        # no_new_privs before exec, so only the one after execve counts.
        if sc == "prctl" and "PR_SET_NO_NEW_PRIVS" in rest and name and phase == "startup" \
                and cnt["startup"]["execve"]:
            cnt[phase][sc] += 1
            phase = "runtime"
            continue
        cnt[phase][sc] += 1
        if sc in ("bpf", "ioctl", "socket", "getsockopt", "fcntl", "prctl"):
            a = rest.split(",")[0] if sc == "bpf" else ",".join(rest.split(",")[:3])
            args[phase][sc][re.sub(r"\d+", "N", a) if sc != "bpf" else a] += 1
        elif sc in ("openat",):
            fl = rest.split(",")[2].strip() if rest.count(",") >= 2 else "?"
            key = fl.split(")")[0]
            if phase == "runtime":  # few: name them (with pids masked)
                key += " " + re.sub(r"/\d+/", "/PID/", rest.split(",")[1].strip())
            args[phase][sc][key] += 1
        elif sc in ("mmap", "mprotect"):
            parts = rest.split(",")
            args[phase][sc][parts[2].strip() if len(parts) > 2 else "?"] += 1
    return name, cnt, args


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    secs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    fe = sys.argv[3] if len(sys.argv) > 3 else "socket"
    e2e.BUILD = build
    os.makedirs(e2e.LOG_ROOT, exist_ok=True)
    os.makedirs(e2e.SOCK_ROOT, 0o755, exist_ok=True)
    ctx = e2e.Ctx("measure_seccomp", fe)
    try:
        ng = e2e.Nginx(ctx)
        tdir = ctx.tmpdir("strace")
        sock = "%s/measure-%d/obi.sock" % (e2e.SOCK_ROOT, os.getpid())
        env = e2e.clean_env({"OTEL_EBPF_OPEN_PORT": "%d,18000-18999" % ng.port, "OTEL_EBPF_TRACE_PRINTER": "json",
                             "OTEL_EBPF_PROBE_SOCKET_PATH": sock, "OBI_SECCOMP": "off",
                             **ctx.fe_env})
        obi = ctx.spawn(["strace", "-f", "-ff", "-qq", "-o", tdir + "/t",
                         os.path.join(build, "obi")], "obi", env=env)
        errf = os.path.join(ctx.dir, "obi.err")
        e2e.check(e2e.wait_until(lambda: "enricher connected" in e2e.read_text(errf), 60),
                  "obi not ready: " + e2e.tail(errf))
        time.sleep(1)
        # A process of another user appearing at run time: discovery's /proc reads, map update.
        late = e2e.free_port()
        srv = ctx.spawn(["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "--",
                         e2e.PYTHON, "-m", "http.server", str(late), "--bind", "127.0.0.1"],
                        "late", env=e2e.clean_env({"OTEL_SERVICE_NAME": "late"}), cwd="/tmp")
        e2e.wait_until(lambda: e2e.is_listening(late), 10)
        e2e.get("http://127.0.0.1:%d/" % late)
        e2e.kill_group(srv)
        r = subprocess.run([e2e.WRK, "-t1", "-c4", "-d%ds" % secs,
                            "http://127.0.0.1:%d/measure" % ng.port], capture_output=True)
        print(r.stdout.decode().strip().splitlines()[-2:])
        time.sleep(2)
        e2e.kill_group(obi, timeout=15)
        for f in sorted(glob.glob(tdir + "/t.*")):
            name, cnt, args = split_trace(f)
            if not name:
                continue
            for ph in ("startup", "runtime"):
                print("== %s %s %s (%s)" % (name, ph, fe, os.path.basename(f)))
                for sc, n in sorted(cnt[ph].items(), key=lambda x: -x[1]):
                    extra = dict(args[ph].get(sc, {}))
                    print("  %-18s %8d %s" % (sc, n, extra if extra else ""))
    finally:
        ctx.cleanup()


if __name__ == "__main__":
    main()
