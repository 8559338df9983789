"""e2e: /proc reads of a process that makes them stall forever must not stall the probe's ring
drain, the spans of other processes, or the discovery of others (issue 6)."""

import glob as _glob

from e2e import *
from e2e import _children_named

HELPER_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers", "stall.c")
CC = shutil.which("gcc") or shutil.which("cc") or "cc"


class Stall:
    """A FUSE file system whose reads are never answered (tests/e2e/helpers/stall.c), and
    the means to start targets on it. stop() answers nothing but aborts the connection, which
    releases every waiting read."""

    def __init__(self, ctx):
        self.ctx = ctx
        d = ctx.tmpdir("stall")
        self.exe = os.path.join(d, "stall")
        r = subprocess.run([CC, "-O1", "-pthread", "-o", self.exe, HELPER_SRC],
                           capture_output=True, timeout=60)
        check(r.returncode == 0, "building the stall helper: %s" % r.stderr[-400:])
        self.mnt = os.path.join(d, "mnt")
        os.mkdir(self.mnt)
        self.status = os.path.join(d, "status")
        self.fs = ctx.spawn([self.exe, "fs", self.mnt, self.status], "stallfs")
        check(wait_until(lambda: os.path.exists(self.status) or self.fs.poll() is not None, 10)
              and self.fs.poll() is None, "the FUSE server did not start")

    def reads(self):
        m = re.match(r"reads (\d+)", read_text(self.status))
        return int(m.group(1)) if m else 0

    def target(self, port, label="target"):
        """A process listening on port whose cmdline and environ cannot be read."""
        t = self.ctx.spawn([self.exe, "target", os.path.join(self.mnt, "page"), self.status,
                            str(port)], label)
        check(wait_until(lambda: t.poll() is not None or is_listening(port), 10) and
              t.poll() is None, "the stall target did not listen on %d" % port)
        # Proven, not assumed: our own read of its command line must not come back.
        r = subprocess.run(["timeout", "1", "cat", "/proc/%d/cmdline" % t.pid],
                           capture_output=True)
        check(r.returncode == 124, "reading the target's cmdline did not stall (rc %d)" %
              r.returncode)
        return t

    def stop(self):
        kill_group(self.fs)
        subprocess.run(["umount", "-l", self.mnt], capture_output=True)


def probe_pid(obi):
    kids = _children_named(obi.p.pid, "obi-probe")
    check(kids, "no obi-probe under the launcher")
    return kids[0]


def stuck_reader(pid):
    """A thread of pid waiting inside a read of another process's memory (its kernel stack)."""
    for stack in _glob.glob("/proc/%d/task/*/stack" % pid):
        s = read_text(stack)
        if "get_mm_cmdline" in s or "environ_read" in s or "access_remote_vm" in s:
            return True
    return False


STATS_PERIOD = 1.0  # the probe sends its counters (STATS) once a second


def drop_totals(obi):
    """Stops obi and returns the enricher's totals (kernel exchanges, ring drops, queue drops):
    first waits out one STATS period, so the last STATS counts every exchange so far."""
    time.sleep(STATS_PERIOD + 0.2)
    obi.stop()
    m = re.search(r"kernel: (\d+) exchanges, (\d+) ring drops.*, (\d+) send queue full",
                  obi.stderr())
    check(m, "the enricher did not report its totals at exit")
    return tuple(int(x) for x in m.groups())


def spawn_http(ctx, port, label):
    srv = ctx.spawn([PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"], label,
                    cwd=ctx.tmpdir(label))
    check(wait_until(lambda: srv.poll() is not None or is_listening(port), 10) and
          srv.poll() is None, "python server %s did not start on %d" % (label, port))
    return srv


def requests(port, n, tag):
    out = curl(["-s", "-o", "/dev/null", "-w", "%{http_code}\n",
                "http://127.0.0.1:%d/%s/[1-%d]" % (port, tag, n)])
    codes = out.split()
    check(len(codes) == n and all(c == "404" for c in codes),
          "curl: %d answers, codes %s" % (len(codes), sorted(set(codes))))


def t_stalled_proc_read(ctx):
    """A process that stalls every read of its memory starts listening on a selected port while
    others are traced: the probe's reader waits on it, the drain and the rest go on."""
    st = Stall(ctx)
    try:
        a, pa, _ = start_python_server(ctx, "pyA")
        pt, pb = free_port(), free_port()
        obi = Obi(ctx, {"OTEL_EBPF_OPEN_PORT": "%d,%d,%d" % (pa, pt, pb)})
        obi.wait_ready()
        obi.wait_instrumented(a.pid)
        probe = probe_pid(obi)
        tgt = st.target(pt)
        check(wait_until(lambda: stuck_reader(probe), 5),
              "no thread of the probe is waiting in the target's memory")
        # While the reader is stuck: exact spans for A, and a new server is found and traced.
        requests(pa, 50, "during")
        expect_exact(obi, server_spans(pa), 50, what="spans of A during the stall")
        b = spawn_http(ctx, pb, "pyB")
        obi.wait_instrumented(b.pid, timeout=3)
        requests(pb, 5, "b")
        expect_exact(obi, server_spans(pb), 5, what="spans of B started during the stall")
        check(stuck_reader(probe), "the stalled read ended early: nothing was proven")
        # The target itself is selected from what could be read without its memory.
        obi.wait_instrumented(tgt.pid, timeout=3)
        check("pid %d: reading its /proc took over" % tgt.pid in obi.stderr(),
              "the stall was not logged")
    finally:
        st.stop()
    # Released: the late answer comes back and the probe stops normally.
    check(wait_until(lambda: not stuck_reader(probe), 5), "the probe's reader did not return")
    check_obi_alive(obi)
    exch, ring, queue = drop_totals(obi)
    check(ring == 0 and queue == 0, "drops: ring %d, queue %d" % (ring, queue))
    check(exch == 55, "kernel exchanges %d, expected 55" % exch)
    check("did not stop within" not in obi.stderr(), "obi did not stop in time")


def t_stalled_proc_at_start(ctx):
    """The same process exists before obi starts: start-up is not held up by it."""
    st = Stall(ctx)
    try:
        pt = free_port()
        tgt = st.target(pt)
        a, pa, _ = start_python_server(ctx, "pyA")
        t0 = time.monotonic()
        obi = Obi(ctx, {"OTEL_EBPF_OPEN_PORT": "%d,%d" % (pa, pt)})
        obi.wait_ready(timeout=8)
        ctx.note("ready in %.1f s" % (time.monotonic() - t0))
        obi.wait_instrumented(a.pid)
        obi.wait_instrumented(tgt.pid, timeout=3)
        check(stuck_reader(probe_pid(obi)), "no thread of the probe is waiting in the target")
        requests(pa, 20, "start")
        expect_exact(obi, server_spans(pa), 20, what="spans of A")
    finally:
        st.stop()
    exch, ring, queue = drop_totals(obi)
    check(ring == 0 and queue == 0 and exch == 20, "exchanges %d, drops: ring %d, queue %d" % (
        exch, ring, queue))


TESTS = [
    ("stalled_proc_read", t_stalled_proc_read, USERSPACE),
    ("stalled_proc_at_start", t_stalled_proc_at_start, USERSPACE),
]
