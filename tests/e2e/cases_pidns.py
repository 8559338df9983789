"""obi inside a PID namespace it shares with the application (the sidecar shape,
shareProcessNamespace), without containers: `unshare --pid --fork --mount-proc` runs a small
shell as the namespace's pid 1, which starts the servers and obi. /proc there numbers processes
in that namespace; every pid obi reports (and selects by) must be that number, and processes
outside the namespace, invisible from it, must never be instrumented even when they match."""

from e2e import *

UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"

# pid 1 of the namespace. $1: the control directory. The test's commands run before obi
# ("pre") and once the harness creates $D/go ("post"); "$@" is obi's argv. As pid 1 it gets
# the harness's SIGTERM only because it traps it (init ignores default-action signals); its
# exit then takes the rest of the namespace with it.
NS_INIT = r"""
D=$1; shift
PIDS=
trap 'kill $PIDS 2>/dev/null; wait; exit 0' TERM
cd "$D"
{pre}
"$@" &
OBI=$!
PIDS="$PIDS $OBI"
while [ ! -e go ]; do sleep 0.02; done
{post}
wait $OBI
"""

# A server in the namespace: its pid as the namespace numbers it goes to NAME.pid.
NS_START = """{env} "{py}" {args} >{name}.log 2>&1 &
PIDS="$PIDS $!"
echo $! > {name}.pid
"""

# One child per connection (socketserver.ForkingMixIn): each request is served by a process
# obi learns of from a FORK record alone. The body names the child's pid (its os.getpid(), the
# namespace's number); the child lingers after answering so that its /proc entry is there when
# obi reads it for the enricher, then exits (an EXIT record).
FORKING_SERVER = r"""
import os, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ForkingMixIn

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("child %d parent %d\n" % (os.getpid(), os.getppid())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        time.sleep(0.4)
    def log_message(self, *a):
        pass

class S(ForkingMixIn, HTTPServer):
    pass

S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


class Ns:
    """The namespace's control directory, its init script and the servers it starts."""

    def __init__(self, ctx, pre="", post=""):
        self.d = ctx.tmpdir("pidns")
        self.init = os.path.join(self.d, "init.sh")
        with open(self.init, "w") as f:
            f.write(NS_INIT.format(pre=pre, post=post))
        self.wrap = [UNSHARE, "--pid", "--fork", "--mount-proc", "sh", self.init, self.d]
        for name in ("a", "b", "c"):
            ctx.keep.append((os.path.join(self.d, name + ".log"), "ns-%s.log" % name))

    def go(self):
        open(os.path.join(self.d, "go"), "w").close()

    def pid(self, name, timeout=10):
        """The namespace's pid of a server it started (written by the init script)."""
        path = os.path.join(self.d, name + ".pid")
        check(wait_until(lambda: read_text(path).strip().isdigit(), timeout),
              "namespace did not start %s" % name)
        return int(read_text(path))

    def write(self, name, content):
        path = os.path.join(self.d, name)
        with open(path, "w") as f:
            f.write(content)
        return path


def ns_start(name, args, env=""):
    return NS_START.format(env=env, py=PYTHON, args=args, name=name)


def wait_port(port, timeout=10):
    check(wait_until(lambda: is_listening(port), timeout), "nothing listens on %d" % port)


def instrumented_pids(obi):
    return sorted(set(int(m) for m in re.findall(r"instrumenting pid (\d+) \(", obi.stderr())))


def check_ns_reported(obi):
    m = re.search(r"PID namespace pid:\[(\d+)\] \(level (\d+)\)", obi.stderr())
    check(m is not None, "obi-probe did not report translating to its PID namespace")
    own = os.stat("/proc/self/ns/pid").st_ino
    check(int(m.group(1)) != own and int(m.group(2)) >= 1,
          "obi-probe reported pid:[%s] level %s (the harness is in pid:[%d])"
          % (m.group(1), m.group(2), own))


def start_sibling(ctx, port):
    """A server in a namespace of its own, beside obi's (another pod): it is the first child
    of that namespace's init, so its pid there is the one obi's first server has in obi's."""
    d = ctx.tmpdir("sibling")
    pidfile = os.path.join(d, "pid")
    p = ctx.spawn([UNSHARE, "--pid", "--fork", "--mount-proc", "sh", "-c",
                   'trap \'kill $P; exit 0\' TERM; "%s" -m http.server %d --bind 127.0.0.1 & '
                   'P=$!; echo $P > %s; wait $P' % (PYTHON, port, pidfile)],
                  "sibling", cwd=d, env=clean_env({"OTEL_SERVICE_NAME": "sibling"}))
    check(wait_until(lambda: read_text(pidfile).strip().isdigit(), 10), "sibling did not start")
    wait_port(port)
    return p, int(read_text(pidfile))


def span_svc(s):
    return s["service"]["name"], s["service"]["pid"]


def t_pidns_shared(ctx):
    """Port selection: a server started before obi, a forking one started after (LISTEN, FORK,
    EXIT records), and two matching servers outside the namespace (one before, one after)."""
    out_a, po_a, _ = start_python_server(ctx, "outside-a", env_extra={"OTEL_SERVICE_NAME": "out"})
    pa, pb, po_b, ps = free_port(), free_port(), free_port(), free_port()
    _, sib = start_sibling(ctx, ps)
    d = ctx.tmpdir("forking")
    forking = os.path.join(d, "forking.py")
    with open(forking, "w") as f:
        f.write(FORKING_SERVER)
    ns = Ns(ctx,
            pre=ns_start("a", "-m http.server %d --bind 127.0.0.1" % pa, "OTEL_SERVICE_NAME=in-a"),
            post=ns_start("b", "%s %d" % (forking, pb), "OTEL_SERVICE_NAME=in-b"))
    obi = Obi(ctx, {"OTEL_EBPF_OPEN_PORT": "%d,%d,%d,%d,%d" % (pa, pb, po_a, po_b, ps),
                    "OTEL_EBPF_LOG_LEVEL": "debug"}, wrap=ns.wrap)
    a = ns.pid("a")
    obi.wait_ready()
    check_ns_reported(obi)
    obi.wait_instrumented(a)
    # The same number in another namespace: only the namespace's inode tells them apart.
    check(sib == a, "sibling namespace's server is pid %d there, obi's first is %d" % (sib, a))
    # Started after obi: the LISTEN records of b (inside) and of out_b (outside).
    out_b = ctx.spawn([PYTHON, "-m", "http.server", str(po_b), "--bind", "127.0.0.1"],
                      "outside-b", cwd=d, env=clean_env({"OTEL_SERVICE_NAME": "out"}))
    ns.go()
    b = ns.pid("b")
    wait_port(po_b)
    wait_port(pb)
    obi.wait_instrumented(b)
    children = []
    for i in range(2):
        check(get("http://127.0.0.1:%d/a%d" % (pa, i)) == "404", "inside a")
        body = curl(["-s", "http://127.0.0.1:%d/b%d" % (pb, i)])
        m = re.fullmatch(r"child (\d+) parent (\d+)\n", body)
        check(m and int(m.group(2)) == b, "forking server answered %r" % body)
        children.append(int(m.group(1)))
        check(get("http://127.0.0.1:%d/o%d" % (po_a, i)) == "404", "outside a")
        check(get("http://127.0.0.1:%d/o%d" % (po_b, i)) == "404", "outside b")
        check(get("http://127.0.0.1:%d/s%d" % (ps, i)) == "404", "sibling")
    spans = expect_exact(obi, lambda s: True, 4)
    got = sorted((s["attributes"]["server.port"], s["attributes"]["url.path"]) + span_svc(s)
                 for s in spans)
    want = sorted([(pa, "/a0", "in-a", a), (pa, "/a1", "in-a", a),
                   (pb, "/b0", "in-b", children[0]), (pb, "/b1", "in-b", children[1])])
    check(got == want, "spans (port, path, service, pid) %s, expected %s" % (got, want))
    for c in children:
        check(re.search(r"instrumenting pid %d \(.*forked by selected pid %d" % (c, b),
                        obi.stderr()), "no FORK record for child %d of %d" % (c, b))
        check(wait_until(lambda: re.search(r"pid %d left" % c, obi.stderr()), 5),
              "no EXIT record for child %d" % c)
    sel = instrumented_pids(obi)
    check(sel == sorted([a, b] + children), "instrumented pids %s, expected %s"
          % (sel, sorted([a, b] + children)))
    check(not obi.instrumented(out_a.pid) and not obi.instrumented(out_b.pid),
          "a server outside the namespace was instrumented")
    ctx.note("namespace pids a=%d b=%d children %s; outside %d %d"
             % (a, b, children, out_a.pid, out_b.pid))


def t_pidns_exec(ctx):
    """Executable selection: an exec inside the namespace after start (EXEC record) is
    instrumented; the same executable outside, before and after, is not."""
    exe = os.path.realpath(PYTHON)
    out_a, po_a, _ = start_python_server(ctx, "outside-a")
    pc, po_b = free_port(), free_port()
    ns = Ns(ctx, post=ns_start("c", "-m http.server %d --bind 127.0.0.1" % pc,
                               "OTEL_SERVICE_NAME=in-c"))
    obi = Obi(ctx, {"OTEL_EBPF_AUTO_TARGET_EXE": exe}, wrap=ns.wrap)
    obi.wait_ready()
    check_ns_reported(obi)
    d = ctx.tmpdir("outside-b")
    out_b = ctx.spawn([PYTHON, "-m", "http.server", str(po_b), "--bind", "127.0.0.1"],
                      "outside-b", cwd=d)
    ns.go()
    c = ns.pid("c")
    wait_port(pc)
    wait_port(po_b)
    obi.wait_instrumented(c)
    check(re.search(r"instrumenting pid %d \(.*executable matched at exec" % c, obi.stderr()),
          "pid %d not selected by its EXEC record" % c)
    for i in range(3):
        check(get("http://127.0.0.1:%d/c%d" % (pc, i)) == "404", "inside c")
        check(get("http://127.0.0.1:%d/o%d" % (po_a, i)) == "404", "outside a")
        check(get("http://127.0.0.1:%d/o%d" % (po_b, i)) == "404", "outside b")
    spans = expect_exact(obi, lambda s: True, 3)
    got = sorted((s["attributes"]["server.port"], s["attributes"]["url.path"]) + span_svc(s)
                 for s in spans)
    want = [(pc, "/c%d" % i, "in-c", c) for i in range(3)]
    check(got == want, "spans (port, path, service, pid) %s, expected %s" % (got, want))
    # Every python on this host matches the glob; only the namespace's own may be selected.
    check(instrumented_pids(obi) == [c], "instrumented pids %s, expected [%d]"
          % (instrumented_pids(obi), c))
    check(not obi.instrumented(out_a.pid) and not obi.instrumented(out_b.pid),
          "a server outside the namespace was instrumented")


TESTS = [
    ("pidns_shared", t_pidns_shared),
    ("pidns_exec", t_pidns_exec),
]
