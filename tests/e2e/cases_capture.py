"""e2e cases of the HTTP/1.x capture on real servers' I/O patterns (issue 7): Go keep-alive
(one-byte read-ahead), split and byte-at-a-time requests, responses that pause or stream,
long response heads with chunked / HEAD / 204 / 304, slow readers, pipelining."""

from e2e import *
from e2e import _raw_exchange

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
    r = subprocess.run([WRK, "-t1", "-c1", "-d3s", "-s", script,
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


NODE_STREAM = r"""
const http = require("http");
const fs = require("fs");
const log = fs.openSync(process.argv[3], "a");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
http.createServer(async (req, res) => {
  let n = 0;
  const w = (s) => { n += Buffer.byteLength(s); res.write(s); };
  if (req.url === "/chunks") {
    res.writeHead(200, {"Content-Type": "text/plain"});
    for (let i = 0; i < 3; i++) { if (i) await sleep(500); w("chunk number " + i + "\n"); }
    res.end();
  } else if (req.url === "/chunks-big") {
    // Longer than the response capture: only the kernel's tail shows the last chunk.
    res.writeHead(200, {"Content-Type": "application/octet-stream"});
    for (let i = 0; i < 3; i++) { if (i) await sleep(400); w("x".repeat(3000)); }
    res.end();
  } else if (req.url === "/sse") {
    res.writeHead(200, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"});
    for (let i = 0; i < 4; i++) { if (i) await sleep(300); w("id: " + i + "\ndata: tick " + i + "\n\n"); }
    res.end();
  } else if (req.url === "/sse-forever") {
    res.writeHead(200, {"Content-Type": "text/event-stream"});
    for (let i = 0; ; i++) { w("data: tick " + i + "\n\n"); await sleep(300); if (res.destroyed) break; }
  } else if (req.url === "/cl-slow") {
    res.writeHead(200, {"Content-Length": "30"});
    w("0123456789"); await sleep(400); w("0123456789"); await sleep(400); w("0123456789");
    res.end();
  } else {
    w("hi"); res.end();
  }
  fs.writeSync(log, req.method + " " + req.url + " " + res.statusCode + " " + n + "\n");
}).listen(+process.argv[2], "127.0.0.1");
"""


class NodeServer:
    def __init__(self, ctx, label="node"):
        d = ctx.tmpdir(label)
        js = os.path.join(d, "srv.js")
        with open(js, "w") as f:
            f.write(NODE_STREAM)
        self.log = os.path.join(d, "access.log")
        ctx.keep.append((self.log, label + ".access.log"))
        self.port = free_port()
        self.p = ctx.spawn([NODE, js, str(self.port), self.log], label)
        check(wait_until(lambda: self.p.poll() is not None or is_listening(self.port), 10)
              and self.p.poll() is None, "node server did not start")

    def lines(self):
        return [l.split() for l in read_text(self.log).splitlines()]


class RawClient:
    """One keep-alive connection; returns each response's wire bytes and its head length,
    the client's own count of what the span's sizes must say."""

    def __init__(self, port, rcvbuf=None):
        self.c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.c.settimeout(30)
        self.c.connect(("127.0.0.1", port))
        self.buf = b""

    def _fill(self, n=65536):
        d = self.c.recv(n)
        check(d, "server closed the connection")
        self.buf += d

    def request(self, method, path, extra=b"", slow=None):
        self.c.sendall(("%s %s HTTP/1.1\r\nHost: t\r\n" % (method, path)).encode() + extra +
                       b"\r\n")
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        hl = self.buf.index(b"\r\n\r\n") + 4
        head = self.buf[:hl].decode("latin-1").lower()
        status = int(head.split()[1])
        total = hl
        if method == "HEAD" or status in (204, 304) or status < 200:
            pass
        elif "transfer-encoding: chunked" in head:
            pos = hl
            while True:
                while b"\r\n" not in self.buf[pos:]:
                    self._fill()
                e = self.buf.index(b"\r\n", pos)
                size = int(self.buf[pos:e].split(b";")[0], 16)
                need = e + 2 + size + 2
                while len(self.buf) < need:
                    self._fill()
                pos = need
                if size == 0:
                    break
            total = pos
        else:
            m = re.search(r"content-length: *(\d+)", head)
            total = hl + int(m.group(1))
            got = 0
            while len(self.buf) < total:
                self._fill(slow[0] if slow else 65536)
                if slow and len(self.buf) - got >= slow[1]:
                    got = len(self.buf)
                    time.sleep(slow[2])
                    # drop what was read: keeps memory flat for big bodies
                if len(self.buf) > (1 << 22):
                    keep = len(self.buf)
                    self.buf = self.buf[-1:]
                    hl -= keep - 1
                    total -= keep - 1
                    got = 0
        body = total - hl
        self.buf = self.buf[total:]
        return status, body

    def close(self):
        self.c.close()


def span_by_path(spans, path):
    got = [s for s in spans if attrs(s).get("url.path") == path]
    check(len(got) == 1, "%d spans for %s" % (len(got), path))
    return got[0]


def dur_s(s):
    return (s["endUnixNano"] - s["startUnixNano"]) / 1e9


def t_stream_pauses(ctx):
    """Chunked and server-sent-event responses pausing longer than the sweep, and a
    Content-Length body written in pieces: one span each, whole body, whole duration."""
    node = NodeServer(ctx)
    obi = obi_on(ctx, node.p, node.port)
    cl = RawClient(node.port)
    want = {}
    for path in ("/chunks", "/sse", "/cl-slow", "/k", "/chunks-big"):
        want[path] = cl.request("GET", path)
    spans = expect_exact(obi, server_spans(node.port), 5, timeout=15)
    cl.close()
    for path, (status, body) in want.items():
        a = attrs(span_by_path(spans, path))
        check(a.get("http.response.status_code") == status, "%s status %r" % (
            path, a.get("http.response.status_code")))
        check(a.get("http.response.body.size") == body, "%s body %r, client read %d" % (
            path, a.get("http.response.body.size"), body))
        check("obi.http.response.cut" not in a, "%s marked cut" % path)
    for path, least in (("/chunks", 1.0), ("/sse", 0.9), ("/cl-slow", 0.8),
                        ("/chunks-big", 0.8)):
        d = dur_s(span_by_path(spans, path))
        check(d >= least, "%s lasted %.3fs in its span, the server took >= %.1fs" % (
            path, d, least))
    check(len(node.lines()) == 5, "node logged %d" % len(node.lines()))


def t_stream_cut(ctx):
    """An endless event stream is reported, marked cut, at the configured bound."""
    node = NodeServer(ctx)
    obi = obi_on(ctx, node.p, node.port, {"OTEL_EBPF_BPF_HTTP_RESPONSE_MAX_DURATION": "2s"})
    c = socket.create_connection(("127.0.0.1", node.port), timeout=10)
    c.sendall(b"GET /sse-forever HTTP/1.1\r\nHost: t\r\n\r\n")
    t0 = time.monotonic()
    got = obi.wait_spans(server_spans(node.port), 1, timeout=10)
    waited = time.monotonic() - t0
    c.close()
    check(len(got) == 1, "no span for the endless stream")
    a = attrs(got[0])
    check(a.get("obi.http.response.cut") is True, "span not marked cut: %s" % a)
    check(waited >= 1.5, "reported after %.2fs, before the 2s bound" % waited)
    time.sleep(1.0)
    check(len(obi.spans()) == 1, "more spans after the cut: %d" % len(obi.spans()))


def t_slow_reader_10mib(ctx):
    """nginx sends 10 MiB to a client that pauses longer than the sweep: one span, every
    byte."""
    data = os.urandom(10 << 20)
    ng = Nginx(ctx, files={"big.bin": data})
    obi = obi_on_nginx(ctx, ng)
    cl = RawClient(ng.port, rcvbuf=65536)
    status, body = cl.request("GET", "/big.bin", slow=(65536, 1 << 20, 0.3))
    check(status == 200 and body == len(data), "client: %d %d" % (status, body))
    if ctx.fe == "compat":
        cl.close()  # no sweep there: the close (or the next request) reports the exchange
    spans = expect_exact(obi, server_spans(ng.port), 1, timeout=15)
    cl.close()
    a = attrs(spans[0])
    check(a.get("http.response.body.size") == len(data), "body.size %r != %d" % (
        a.get("http.response.body.size"), len(data)))
    # The last ~2 MiB sit in socket buffers when nginx has written them: the span ends
    # there, so its duration is below the client's ~3 s, but far above the 0.2 s sweep.
    check(dur_s(spans[0]) >= 1.2, "span lasted %.2fs" % dur_s(spans[0]))


def t_long_heads(ctx):
    """~750-byte response heads: chunked, HEAD, 204, 304, Content-Length, with pauses longer
    than the sweep between them on one keep-alive connection."""
    go = GoServer(ctx)
    obi = obi_on(ctx, go.p, go.port)
    cl = RawClient(go.port)
    reqs = [("GET", "/long/chunked"), ("HEAD", "/long/cl"), ("GET", "/long/204"),
            ("GET", "/long/304"), ("GET", "/long/cl"), ("HEAD", "/long/chunked")]
    want = []
    for i, (m, path) in enumerate(reqs):
        want.append((m, path) + cl.request(m, path))
        t0 = time.monotonic()
        if i == 0 and ctx.fe != "compat":  # compat has no sweep: reported at the close
            # The last exchange of an idle keep-alive connection: reported promptly.
            obi.wait_spans(server_spans(go.port), 1, timeout=5)
            dt = time.monotonic() - t0
            check(dt <= 0.5, "idle keep-alive exchange reported after %.2fs" % dt)
        time.sleep(0.3)
    if ctx.fe == "compat":
        cl.close()
    spans = expect_exact(obi, server_spans(go.port), len(reqs), timeout=15)
    cl.close()
    got = sorted((attrs(s)["http.request.method"], attrs(s)["url.path"],
                  attrs(s).get("http.response.status_code"),
                  attrs(s).get("http.response.body.size")) for s in spans)
    check(got == sorted(want), "spans %s != client %s" % (got, sorted(want)))
    check(len(go.lines()) == len(reqs), "Go logged %d" % len(go.lines()))


def _pipelined(port, reqs):
    """Sends every request in one write, then reads until the server closes (the last one
    says Connection: close)."""
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        c.sendall(b"".join(reqs))
        data = b""
        while True:
            d = c.recv(65536)
            if not d:
                return data
            data += d
    finally:
        c.close()


def _nginx_log(ng):
    """(method, path, status, body bytes) per access log line of the e2e format."""
    out = []
    for l in read_text(ng.access_log).splitlines():
        m = re.search(r'"(\S+) (\S+) [^"]*" (\d+) (\d+)', l)
        out.append((m.group(1), m.group(2), int(m.group(3)), int(m.group(4))))
    return out


def t_pipelined_nginx(ctx):
    ng = Nginx(ctx)
    obi = obi_on_nginx(ctx, ng)
    reqs = [b"GET /k/p1 HTTP/1.1\r\nHost: t\r\n\r\n",
            b"GET /k/p2 HTTP/1.1\r\nHost: t\r\nUser-Agent: pipe\r\n\r\n",
            b"HEAD /k/p3 HTTP/1.1\r\nHost: t\r\n\r\n",
            b"GET /missing.html HTTP/1.1\r\nHost: t\r\n\r\n",
            b"GET /k/p5 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"]
    data = _pipelined(ng.port, reqs)
    check(data.count(b"HTTP/1.1 ") == 5, "nginx answered %d" % data.count(b"HTTP/1.1 "))
    check(wait_until(lambda: ng.access_lines() == 5, 5), "nginx logged %d" % ng.access_lines())
    spans = expect_exact(obi, server_spans(ng.port), 5)
    got = sorted((attrs(s)["http.request.method"], attrs(s)["url.path"],
                  attrs(s).get("http.response.status_code"),
                  attrs(s).get("http.response.body.size")) for s in spans)
    check(got == sorted(_nginx_log(ng)), "spans %s != access log %s" % (got, _nginx_log(ng)))
    check(len(set(s["spanId"] for s in spans)) == 5, "span ids not unique")
    check(sum(attrs(s)["http.request.body.size"] for s in spans) == 0, "request body sizes")
    obi.stop()
    check("5 pipelined (0 approximated)" in obi.stderr(), "pipelined counter: %s" %
          re.findall(r"\d+ pipelined \(\d+ approximated\)", obi.stderr()))


def t_pipelined_approx(ctx):
    """Response heads beyond the response capture (256 bytes here, about one nginx head): the
    batch cannot be split exactly; each request still gets a span and the counter says so."""
    ng = Nginx(ctx, files={"f.bin": os.urandom(3000)})
    obi = Obi(ctx, {"OTEL_EBPF_OPEN_PORT": str(ng.port),
                    "OTEL_EBPF_BPF_RESPONSE_CAPTURE_SIZE": "256"})
    obi.wait_ready()
    for pid in [ng.master] + list(ng.workers):
        obi.wait_instrumented(pid)
    reqs = [b"GET /f.bin HTTP/1.1\r\nHost: t\r\n\r\n"] * 2 + [
        b"GET /f.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"]
    data = _pipelined(ng.port, reqs)
    check(data.count(b"HTTP/1.1 200") == 3, "nginx answered %d" % data.count(b"HTTP/1.1 200"))
    spans = expect_exact(obi, server_spans(ng.port), 3)
    check(all(attrs(s)["url.path"] == "/f.bin" for s in spans), "paths")
    total = sum(attrs(s).get("http.response.body.size", 0) for s in spans)
    check(total <= len(data), "body sizes add up to %d > %d on the wire" % (total, len(data)))
    check(sorted(attrs(s).get("http.response.body.size") for s in spans)[-1] >= 3000,
          "body sizes %s" % [attrs(s).get("http.response.body.size") for s in spans])
    obi.stop()
    check("3 pipelined (3 approximated)" in obi.stderr(), "pipelined counter: %s" %
          re.findall(r"\d+ pipelined \(\d+ approximated\)", obi.stderr()))


def _front_and_down(ctx):
    """A python server that calls a downstream server from its handler thread, selected."""
    down, pdown, _ = start_python_server(ctx, "down", root_files={"down.txt": b"downstream\n"})
    script = os.path.join(ctx.tmpdir("script"), "front.py")
    with open(script, "w") as f:
        f.write(PARENT_SERVER)
    front, pfront, _ = start_python_server(ctx, "front", script=script, args=[str(pdown)])
    return obi_on(ctx, front, pfront), pfront, pdown


def _front_pair(obi, pfront, pdown):
    srv = expect_exact(obi, server_spans(pfront), 1, what="SERVER spans")[0]
    cli = expect_exact(obi, client_spans(pdown), 1, what="CLIENT spans")[0]
    check(cli["parentSpanId"] == srv["spanId"], "client parentSpanId %r != server spanId %s" % (
        cli["parentSpanId"], srv["spanId"]))
    return srv, cli


def t_trace_in_process_incoming(ctx):
    """An incoming traceparent deep in a head that arrives over three reads: the server span
    and the client call its handler makes both join that trace (the kernel looks for the
    header only when the client call needs it; otherwise the enricher takes it)."""
    obi, pfront, pdown = _front_and_down(ctx)
    tid, pid = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    resp = _raw_exchange(pfront, [
        b"GET /front HTTP/1.1\r\nHost: front.test\r\nX-Filler: " + b"f" * 300 + b"\r\n",
        b"Accept: */*\r\ntracep",
        ("arent: 00-%s-%s-01\r\nConnection: close\r\n\r\n" % (tid, pid)).encode()])
    check(resp.startswith(b"HTTP/1.0 200"), "front answered %r" % resp[:40])
    srv, cli = _front_pair(obi, pfront, pdown)
    check(srv["traceId"] == tid and srv["parentSpanId"] == pid,
          "server ids %s/%s" % (srv["traceId"], srv["parentSpanId"]))
    check(cli["traceId"] == tid, "client traceId %s, not the incoming %s" % (cli["traceId"], tid))


def t_trace_not_in_body(ctx):
    """A traceparent line after the end of the head (in a body, same write) is no header: not
    taken by the kernel's scan for the client call (it stops at the end of the head) nor by
    the enricher."""
    obi, pfront, pdown = _front_and_down(ctx)
    tid = "0af7651916cd43dd8448eb211c80319c"
    body = ("x\r\ntraceparent: 00-%s-b7ad6b7169203331-01\r\n\r\n" % tid).encode()
    resp = _raw_exchange(pfront, [
        b"GET /front HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body])
    check(resp.startswith(b"HTTP/1.0 200"), "front answered %r" % resp[:40])
    srv, cli = _front_pair(obi, pfront, pdown)
    check(srv["traceId"] != tid and srv["parentSpanId"] == "",
          "server took the body's traceparent: %s/%s" % (srv["traceId"], srv["parentSpanId"]))
    check(cli["traceId"] == srv["traceId"], "client traceId %s != server traceId %s" % (
        cli["traceId"], srv["traceId"]))


TESTS = [
    ("go_keepalive_curl", t_go_keepalive_curl),
    ("go_keepalive_wrk", t_go_keepalive_wrk),
    ("byte_at_a_time", t_byte_at_a_time),
    ("stream_pauses", t_stream_pauses),
    ("stream_cut", t_stream_cut, ("socket", "syscall")),
    ("slow_reader_10mib", t_slow_reader_10mib),
    ("long_heads", t_long_heads),
    ("pipelined_nginx", t_pipelined_nginx),
    ("pipelined_approx", t_pipelined_approx),
    ("trace_in_process_incoming", t_trace_in_process_incoming),
    ("trace_not_in_body", t_trace_not_in_body),
]
