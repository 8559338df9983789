"""e2e cases of the HTTP/1.x capture on real servers' I/O patterns (issue 7): Go keep-alive
(one-byte read-ahead), split and byte-at-a-time requests, responses that pause or stream,
long response heads with chunked / HEAD / 204 / 304, slow readers, pipelining."""

from e2e import *

HERE = os.path.dirname(os.path.abspath(__file__))
GO = shutil.which("go") or "/usr/bin/go"
NODE = shutil.which("node") or "/usr/bin/node"
_go_bin = None


def go_server_binary():
    """Builds tests/e2e/goserver once per run (GOPATH mode, no network) into a temp dir."""
    global _go_bin
    if _go_bin and os.path.exists(_go_bin):
        return _go_bin
    d = tempfile.mkdtemp(prefix="obi-e2e-gobuild-")
    env = clean_env({"GO111MODULE": "off", "HOME": d, "GOCACHE": os.path.join(d, "cache"),
                     "GOPATH": os.path.join(d, "gopath"), "CGO_ENABLED": "0"})
    out = os.path.join(d, "goserver")
    r = subprocess.run([GO, "build", "-o", out, os.path.join(HERE, "goserver", "main.go")],
                       capture_output=True, timeout=300, env=env, cwd=d)
    check(r.returncode == 0, "go build failed: %s" % r.stderr[-500:])
    _go_bin = out
    return out


class GoServer:
    def __init__(self, ctx, label="go"):
        d = ctx.tmpdir(label)
        self.log = os.path.join(d, "access.log")
        ctx.keep.append((self.log, label + ".access.log"))
        self.port = free_port()
        self.p = ctx.spawn([go_server_binary(), "127.0.0.1:%d" % self.port, self.log], label)
        check(wait_until(lambda: self.p.poll() is not None or is_listening(self.port), 10)
              and self.p.poll() is None, "Go server did not start")

    def lines(self):
        return [l.split() for l in read_text(self.log).splitlines()]


def obi_on(ctx, p, port, env=None):
    e = {"OTEL_EBPF_OPEN_PORT": str(port)}
    e.update(env or {})
    obi = Obi(ctx, e)
    obi.wait_ready()
    obi.wait_instrumented(p.pid)
    return obi


def attrs(s):
    return s["attributes"]


def check_spans_match_log(spans, log, what):
    """Exact multiset equality of (method, path, status, response body size)."""
    got = sorted((attrs(s).get("http.request.method"), attrs(s).get("url.path"),
                  attrs(s).get("http.response.status_code"),
                  attrs(s).get("http.response.body.size")) for s in spans)
    want = sorted((l[0], l[1], int(l[2]), int(l[3])) for l in log)
    if got != want:
        import collections
        g, w = collections.Counter(got), collections.Counter(want)
        raise TestFailure("%s: %d spans vs %d log lines; spans not in log %s; log not in spans %s"
                          % (what, len(got), len(want), list((g - w).items())[:4],
                             list((w - g).items())[:4]))


def t_go_keepalive_curl(ctx):
    go = GoServer(ctx)
    obi = obi_on(ctx, go.p, go.port)
    n = 500
    out = curl(["-s", "-o", "/dev/null", "-w", "%{num_connects} %{http_code}\n",
                "http://127.0.0.1:%d/k/[1-%d]" % (go.port, n)], timeout=120)
    lines = out.split("\n")[:-1]
    check(len(lines) == n and all(l.split()[1] == "200" for l in lines), "curl transfers")
    check(sum(int(l.split()[0]) for l in lines) == 1, "curl used more than one connection")
    check(wait_until(lambda: len(go.lines()) == n, 10), "Go logged %d" % len(go.lines()))
    spans = expect_exact(obi, server_spans(go.port), n, timeout=20)
    check_spans_match_log(spans, go.lines(), "curl keep-alive")
    check(all(attrs(s).get("http.request.body.size") == 0 for s in spans),
          "request body size not 0: %s" % sorted(set(attrs(s).get("http.request.body.size")
                                                     for s in spans)))
    check(sorted(attrs(s)["url.path"] for s in spans) ==
          sorted("/k/%d" % i for i in range(1, n + 1)), "paths differ")


WRK_STOP_AFTER = """
local n = 0
function response(status, headers, body)
  n = n + 1
  if n == %d then wrk.thread:stop() end
end
"""


def t_go_keepalive_wrk(ctx):
    """wrk stops itself after its 500th response, so no request is left in flight (one cut
    off by wrk's timer would be read by Go after the reset and answered into a dead socket)."""
    go = GoServer(ctx)
    obi = obi_on(ctx, go.p, go.port)
    n = 500
    script = os.path.join(ctx.tmpdir("wrk"), "stop.lua")
    with open(script, "w") as f:
        f.write(WRK_STOP_AFTER % n)
    r = subprocess.run([WRK, "-t1", "-c1", "-d20s", "-s", script,
                        "http://127.0.0.1:%d/k/wrk" % go.port],
                       capture_output=True, timeout=60, env=clean_env())
    check(r.returncode == 0, "wrk failed: %s" % r.stderr[-300:])
    m = re.search(rb"(\d+) requests in", r.stdout)
    check(m and int(m.group(1)) == n, "wrk output: %r" % r.stdout[-300:])
    check(wait_until(lambda: len(go.lines()) == n, 10), "Go logged %d" % len(go.lines()))
    spans = expect_exact(obi, server_spans(go.port), n, timeout=30)
    check_spans_match_log(spans, go.lines(), "wrk keep-alive")


def _bytewise(port, reqs, gap=0.002):
    """Writes each request one byte per send() (TCP_NODELAY) and reads its response."""
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = c.makefile("rb")
    try:
        for req in reqs:
            for i in range(len(req)):
                c.send(req[i:i + 1])
                time.sleep(gap)
            line = f.readline()
            check(line.startswith(b"HTTP/1.1 "), "response %r" % line)
            clen = 0
            while True:
                h = f.readline()
                if h in (b"\r\n", b""):
                    break
                if h.lower().startswith(b"content-length:"):
                    clen = int(h.split(b":")[1])
            f.read(clen)
    finally:
        f.close()
        c.close()


def t_byte_at_a_time(ctx):
    go = GoServer(ctx)
    obi = obi_on(ctx, go.p, go.port)
    reqs = [("GET /k/byte%d HTTP/1.1\r\nHost: x\r\nUser-Agent: bytewise\r\n\r\n" % i).encode()
            for i in range(3)]
    _bytewise(go.port, reqs)
    spans = expect_exact(obi, server_spans(go.port), 3)
    check_spans_match_log(spans, go.lines(), "byte at a time")
    check(all(attrs(s).get("user_agent.original") == "bytewise" for s in spans),
          "user agent %s" % [attrs(s).get("user_agent.original") for s in spans])
    check(all(attrs(s).get("http.request.body.size") == 0 for s in spans), "request body size")


TESTS = [
    ("go_keepalive_curl", t_go_keepalive_curl),
    ("go_keepalive_wrk", t_go_keepalive_wrk),
    ("byte_at_a_time", t_byte_at_a_time),
]
