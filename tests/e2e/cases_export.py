"""cases_export.py: obi exporting traces over OTLP to the real test receivers of tests/otlp
(node http + the OpenTelemetry JS protobuf root; grpc-js), with real eBPF and real servers:
HTTP/protobuf, gRPC, HTTP/JSON, gzip, headers, TLS and mTLS, the sampler, collector faults, and
the enricher's sandbox while it exports."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import e2e
from e2e import *

NODE = shutil.which("node") or "/usr/bin/node"
HERE_E2E = os.path.dirname(os.path.abspath(__file__))
OTLP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "otlp")


def _setup_node():
    r = subprocess.run(["bash", os.path.join(OTLP, "setup.sh")], capture_output=True,
                       timeout=600)
    check(r.returncode == 0, "tests/otlp/setup.sh (npm ci) failed: %s" % r.stderr[-400:])


class Receiver:
    """tests/otlp/receiver.js (HTTP) or grpc_receiver.js: one JSON line per request/call."""

    def __init__(self, ctx, kind="http", faults=(), tls=None, port=None, label="recv"):
        _setup_node()
        script = "receiver.js" if kind == "http" else "grpc_receiver.js"
        argv = [NODE, os.path.join(OTLP, script)]
        if faults:
            argv += ["--faults", ",".join(faults)]
        if tls:
            argv += ["--tls", tls]
        if port:
            argv += ["--port", str(port)]
        self.out = os.path.join(ctx.dir, label + ".out")
        self.p = ctx.spawn(argv, label, cwd=OTLP)
        wait_until(lambda: self.p.poll() is not None or read_text(self.out).startswith(
            "listening "), 20)
        first = read_text(self.out).split("\n", 1)[0]
        check(first.startswith("listening "), "%s did not start: %s" % (
            label, tail(os.path.join(ctx.dir, label + ".err"))))
        self.port = int(first.split()[1])

    def lines(self):
        out = []
        for line in read_text(self.out).split("\n")[1:]:
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # the last line may be incomplete
        return out

    def spans(self):
        """(resource attributes, span, scope) of every delivered request: the ones answered
        with success (a refused or hung attempt's spans are not delivered)."""
        out = []
        for ln in self.lines():
            if ln.get("fault") not in ("200", "ok") or "error" in ln:
                continue
            for rs in (ln.get("request") or {}).get("resourceSpans") or []:
                res = attrs((rs.get("resource") or {}).get("attributes"))
                for ss in rs.get("scopeSpans") or []:
                    for sp in ss.get("spans") or []:
                        out.append((res, sp, ss.get("scope") or {}))
        return out


def attrs(kvs):
    out = {}
    for kv in kvs or []:
        v = kv.get("value") or {}
        for k in ("stringValue", "intValue", "boolValue", "doubleValue"):
            if k in v:
                out[kv["key"]] = int(v[k]) if k == "intValue" else v[k]
    return out


def wait_spans(rcv, n, timeout=20):
    """Waits for n exported spans, then makes sure no more arrive within a quiet period."""
    wait_until(lambda: len(rcv.spans()) >= n, timeout, interval=0.1)
    time.sleep(1.0)
    got = rcv.spans()
    check(len(got) == n, "the receiver got %d spans, expected exactly %d" % (len(got), n))
    return got


def export_env(endpoint, **extra):
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
           # A batch goes out 200 ms after its first span: the tests need not wait 15 s.
           "OTEL_EBPF_OTLP_TRACES_BATCH_TIMEOUT": "200ms",
           "OTEL_EBPF_BACKOFF_INITIAL_INTERVAL": "200ms",
           "OTEL_EBPF_BACKOFF_MAX_INTERVAL": "1s"}
    env.update(extra)
    return env


def start_obi(ctx, srv, port, env, label="obi"):
    e = {"OTEL_EBPF_OPEN_PORT": str(port)}
    e.update(env)
    obi = Obi(ctx, e, label=label)
    obi.wait_ready()
    obi.wait_instrumented(srv.pid)
    return obi


def requests(port, n, prefix="/r", headers=()):
    for i in range(n):
        check(get("http://127.0.0.1:%d%s%d" % (port, prefix, i), headers) == "404",
              "request %d" % i)


def enricher_err(obi):
    return "\n".join(l for l in obi.stderr().split("\n") if "obi-enricher:" in l)


def stop_stats(obi):
    """The enricher's shutdown line of the OTLP exporter's counters, as a dict."""
    obi.stop()
    m = re.search(r"otlp traces: (\d+) exported, (\d+) dropped \(queue full\), (\d+) failed, "
                  r"(\d+) rejected by the collector, (\d+) too large, (\d+) unsent at "
                  r"shutdown, (\d+) requests, (\d+) retries", obi.stderr())
    check(m is not None, "no exporter totals in the enricher's log:\n%s" % enricher_err(obi)[-800:])
    keys = ("exported", "dropped", "failed", "rejected", "too_large", "unsent", "requests",
            "retries")
    return dict(zip(keys, map(int, m.groups())))


# ---------------------------------------------------------------------------------------------


def t_export_http_protobuf(ctx):
    """OTEL_EXPORTER_OTLP_ENDPOINT (the sidecar/DaemonSet setting), printer on too: every span
    arrives once, with the ids, timestamps and attributes the printer shows, and the resource."""
    rcv = Receiver(ctx)
    srv, port, _ = start_python_server(ctx, "py")
    # obi's own resource attributes (the sidecar/DaemonSet manifests' env), %-escapes included.
    obi = start_obi(ctx, srv, port, export_env(
        "http://127.0.0.1:%d" % rcv.port,
        OTEL_RESOURCE_ATTRIBUTES="deployment.environment=e2e,team=obs%20one,k8s.cluster.name=c%2C1"))
    n = 20
    requests(port, n - 1)
    tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    requests(port, 1, prefix="/parent", headers=["traceparent: " + tp])
    printed = {s["attributes"]["url.path"]: s for s in expect_exact(obi, server_spans(port), n)}
    got = wait_spans(rcv, n)
    lines = rcv.lines()
    check(all(l["path"] == "/v1/traces" and l["contentType"] == "application/x-protobuf"
              for l in lines), "requests: %r" % [(l["path"], l["contentType"]) for l in lines])
    seen = set()
    for res, sp, scope in got:
        a = attrs(sp.get("attributes"))
        p = printed.get(a.get("url.path"))
        check(p is not None, "exported span of %r was not printed" % a.get("url.path"))
        check(a["url.path"] not in seen, "span of %s exported twice" % a["url.path"])
        seen.add(a["url.path"])
        check(sp["traceId"] == p["traceId"] and sp["spanId"] == p["spanId"],
              "%s: ids %s/%s, printed %s/%s" % (a["url.path"], sp["traceId"], sp["spanId"],
                                                p["traceId"], p["spanId"]))
        check(sp["kind"] == 2 and sp["name"].startswith("GET"), "kind/name %r/%r" % (
            sp["kind"], sp["name"]))
        check(a["http.request.method"] == "GET" and a["http.response.status_code"] == 404 and
              a["server.port"] == port and a["client.address"] == "127.0.0.1",
              "attributes %r" % a)
        start, end = int(sp["startTimeUnixNano"]), int(sp["endTimeUnixNano"])
        check(abs(start / 1e9 - time.time()) < 120 and 0 < end - start < 10 * 10**9,
              "timestamps %d..%d" % (start, end))
        check(res.get("service.name") == p["service"]["name"] and
              res.get("process.pid") == srv.pid and res.get("host.name") == socket.gethostname()
              and res.get("telemetry.sdk.language"), "resource %r" % res)
        check(res.get("deployment.environment") == "e2e" and res.get("team") == "obs one" and
              res.get("k8s.cluster.name") == "c,1", "OTEL_RESOURCE_ATTRIBUTES: resource %r" % res)
        check(scope.get("name"), "instrumentation scope %r" % scope)
    par = [sp for _, sp, _ in got if attrs(sp["attributes"])["url.path"] == "/parent0"][0]
    check(par["traceId"] == "0af7651916cd43dd8448eb211c80319c" and
          par["parentSpanId"] == "b7ad6b7169203331" and (par.get("flags", 0) & 0xff) == 1,
          "traceparent span: %s/%s flags %r" % (par["traceId"], par.get("parentSpanId"),
                                               par.get("flags")))
    st = stop_stats(obi)
    check(st["exported"] == n and st["failed"] == 0 and st["dropped"] == 0, "stats %r" % st)


def _grpc_port():
    """A free port whose number ends in 4317: the protocol guess must pick gRPC from it."""
    busy = listening_ports()
    for p in (14317, 24317, 34317, 44317, 54317, 64317):
        if p not in busy:
            return p
    raise TestFailure("every ...4317 port is taken")


def _grpc_receiver(ctx, faults=(), label="grpc"):
    for _ in range(3):
        port = _grpc_port()
        try:
            return Receiver(ctx, "grpc", faults=faults, port=port, label=label)
        except TestFailure:
            label += "x"  # lost a race for the port with another run: next one
    raise TestFailure("the gRPC receiver did not start on a ...4317 port")


CONFIGMAP = """trace_printer: text
otel_traces_export:
  endpoint: http://127.0.0.1:{port}
  sampler:
    name: parentbased_traceidratio
    arg: "{arg}"
routes:
  patterns:
    - /factorial/{{num}}
"""

TRACEPARENT = re.compile(r"traceparent=\[00-([0-9a-f]{32})-([0-9a-f]{16})\[([0-9a-f]{16})\]-"
                         r"([0-9a-f]{2})\]")


def _keepalive_requests(port, n, path="/factorial/"):
    """n requests, each on its own connection (python's http.server closes after one)."""
    for i in range(n):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d%s%d" % (port, path, i), timeout=10)
        except urllib.error.HTTPError as e:
            check(e.code == 404, "request %d: %d" % (i, e.code))


def _configmap_run(ctx, arg, n):
    rcv = _grpc_receiver(ctx)
    srv, port, _ = start_python_server(ctx, "py")
    path = os.path.join(ctx.dir, "configmap.yaml")
    with open(path, "w") as f:
        f.write(CONFIGMAP.format(port=rcv.port, arg=arg))
    obi = start_obi(ctx, srv, port, {"OTEL_EBPF_CONFIG_PATH": path,
                                     "OTEL_EBPF_TRACE_PRINTER": "",
                                     "OTEL_EBPF_OTLP_TRACES_BATCH_TIMEOUT": "200ms"})
    check("exporting traces to http://127.0.0.1:%d (grpc" % rcv.port in obi.stderr(),
          "the enricher did not pick gRPC from the port:\n%s" % enricher_err(obi)[-600:])
    _keepalive_requests(port, n)
    # The text printer shows every span with the sampler's decision in its flags.
    wait_until(lambda: len(TRACEPARENT.findall(read_text(obi.out))) >= n, 60, interval=0.2)
    printed = TRACEPARENT.findall(read_text(obi.out))
    check(len(printed) == n, "printed %d spans of %d requests" % (len(printed), n))
    bound = int(float(arg) * (1 << 63))
    want = set()
    for tid, _, _, fl in printed:
        # OpenTelemetry Go's TraceIDRatioBased: the last 8 bytes, big-endian, shifted right 1.
        keep = float(arg) >= 1.0 or (int(tid[16:], 16) >> 1) < bound
        check(fl == ("01" if keep else "00"), "trace %s: flags %s, the ratio rule says %s" % (
            tid, fl, keep))
        if keep:
            want.add(tid)
    time.sleep(1.5)
    got = [sp["traceId"] for _, sp, _ in rcv.spans()]
    check(len(got) == len(set(got)), "a span was exported twice")
    check(set(got) == want, "exported %d traces, the sampled ones are %d (%d missing, %d extra)"
          % (len(got), len(want), len(want - set(got)), len(set(got) - want)))
    check(all(l["path"].endswith("TraceService/Export") for l in rcv.lines()), "gRPC method")
    st = stop_stats(obi)
    check(st["exported"] == len(want) and st["failed"] == 0, "stats %r" % st)
    return len(want)


def t_export_configmap_grpc_ratio(ctx):
    """The ConfigMap of the product's documentation (gRPC by the port, parentbased_traceidratio
    "0.01"): the exported traces are exactly those the ratio rule keeps, and their number is
    within the binomial bounds of 2000 requests (mean 20, sd 4.45; 5..40 is beyond 3.3 sd)."""
    n = 2000
    k = _configmap_run(ctx, "0.01", n)
    ctx.note("ratio 0.01: %d of %d traces sampled" % (k, n))
    check(5 <= k <= 40, "%d of %d traces sampled at ratio 0.01" % (k, n))


def t_export_configmap_ratio_one(ctx):
    """The same ConfigMap with arg 1.0: every trace is exported."""
    n = 50
    k = _configmap_run(ctx, "1.0", n)
    check(k == n, "%d of %d exported at ratio 1.0" % (k, n))


def t_export_json_gzip(ctx):
    rcv = Receiver(ctx)
    srv, port, _ = start_python_server(ctx, "py")
    obi = start_obi(ctx, srv, port, export_env(
        "http://127.0.0.1:%d" % rcv.port, OTEL_EXPORTER_OTLP_PROTOCOL="http/json",
        OTEL_EXPORTER_OTLP_COMPRESSION="gzip"))
    requests(port, 10)
    got = wait_spans(rcv, 10)
    for l in rcv.lines():
        check(l["contentType"].startswith("application/json") and l["encoding"] == "gzip" and
              "error" not in l, "request %r" % {k: l.get(k) for k in
                                                ("contentType", "encoding", "error")})
    paths = sorted(attrs(sp["attributes"])["url.path"] for _, sp, _ in got)
    check(paths == sorted("/r%d" % i for i in range(10)), "paths %r" % paths)
    check(all(re.fullmatch(r"[0-9a-f]{32}", sp["traceId"]) for _, sp, _ in got), "hex ids")
    stop_stats(obi)


def t_export_headers_secret(ctx):
    """OTEL_EXPORTER_OTLP_HEADERS from a Secret: the headers arrive (the traces one overriding),
    their values never appear in the enricher's log or in --dump-config; no printer at all."""
    rcv = Receiver(ctx)
    srv, port, _ = start_python_server(ctx, "py")
    secret = "s3cr3t-%d" % os.getpid()
    env = export_env("http://127.0.0.1:%d" % rcv.port,
                     OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%%20%s,X-Tenant=shared" %
                     secret,
                     OTEL_EXPORTER_OTLP_TRACES_HEADERS="x-tenant=traces-%s" % secret,
                     OTEL_EBPF_TRACE_PRINTER="disabled")
    obi = start_obi(ctx, srv, port, env)
    requests(port, 5)
    wait_spans(rcv, 5)
    for l in rcv.lines():
        h = l["headers"]
        check(h.get("authorization") == "Bearer " + secret and
              h.get("x-tenant") == "traces-" + secret, "headers %r" % h)
    check(read_text(obi.out) == "", "the printer printed although disabled")
    obi.stop()
    check(secret not in obi.stderr(), "a header value is in obi's log")
    e = clean_env(env)
    e["OTEL_EBPF_OPEN_PORT"] = "1"
    r = subprocess.run([os.path.join(e2e.BUILD, "obi-enricher"), "--dump-config"], env=e,
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and "<redacted>" in r.stdout and secret not in r.stdout + r.stderr,
          "--dump-config: rc %d, secret shown: %s" % (r.returncode, secret in r.stdout))


def _certs(ctx):
    d = ctx.tmpdir("certs")
    subprocess.run(["bash", os.path.join(OTLP, "mkcerts.sh"), d], check=True, timeout=120)
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)  # the enricher runs as its own uid
    return d


def t_export_tls_mtls(ctx):
    """https with a self-signed CA from OTEL_EXPORTER_OTLP_CERTIFICATE, then mTLS with the
    client pair; a wrong CA delivers nothing and the enricher keeps running."""
    d = _certs(ctx)
    p = lambda f: os.path.join(d, f)
    srv, port, _ = start_python_server(ctx, "py")
    cases = [("tls", p("server.crt") + "," + p("server.key"), {}),
             ("mtls", p("server.crt") + "," + p("server.key") + "," + p("ca.crt"),
              {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": p("client.crt"),
               "OTEL_EXPORTER_OTLP_CLIENT_KEY": p("client.key")})]
    for name, tls, extra in cases:
        rcv = Receiver(ctx, tls=tls, label="recv-" + name)
        env = export_env("https://127.0.0.1:%d" % rcv.port,
                         OTEL_EXPORTER_OTLP_CERTIFICATE=p("ca.crt"), **extra)
        obi = start_obi(ctx, srv, port, env, label="obi-" + name)
        requests(port, 4, prefix="/" + name)
        wait_spans(rcv, 4)
        st = stop_stats(obi)
        check(st["exported"] == 4 and st["failed"] == 0, "%s: stats %r" % (name, st))
    rcv = Receiver(ctx, tls=p("server.crt") + "," + p("server.key"), label="recv-wrongca")
    obi = start_obi(ctx, srv, port, export_env(
        "https://127.0.0.1:%d" % rcv.port, OTEL_EXPORTER_OTLP_CERTIFICATE=p("other.crt")),
        label="obi-wrongca")
    requests(port, 3, prefix="/wrong")
    check(wait_until(lambda: "SSL" in enricher_err(obi) or "certificate" in enricher_err(obi),
                     15), "no TLS failure logged:\n%s" % enricher_err(obi)[-600:])
    check(rcv.lines() == [] and obi.alive(), "a request passed a wrong CA")
    st = stop_stats(obi)
    check(st["exported"] == 0 and st["failed"] == 3, "wrong CA: stats %r" % st)
    # OBI's insecure_skip_verify: the same wrong CA, accepted.
    obi = start_obi(ctx, srv, port, export_env(
        "https://127.0.0.1:%d" % rcv.port, OTEL_EXPORTER_OTLP_CERTIFICATE=p("other.crt"),
        OTEL_EBPF_INSECURE_SKIP_VERIFY="true"), label="obi-skipverify")
    requests(port, 2, prefix="/skip")
    wait_spans(rcv, 2)
    stop_stats(obi)


def t_export_collector_late(ctx):
    """The collector is not running when obi starts and spans are made; once it starts, they
    arrive exactly once."""
    cport = free_port()
    srv, port, _ = start_python_server(ctx, "py")
    obi = start_obi(ctx, srv, port, export_env("http://127.0.0.1:%d" % cport))
    requests(port, 5)
    # The exporter's own retry warning: "connect" and "export" alone are in its start-up lines,
    # and a collector started before the first attempt would make the test vacuous.
    check(wait_until(lambda: "otlp traces: attempt" in enricher_err(obi), 10),
          "no failed attempt logged")
    rcv = Receiver(ctx, port=cport)
    got = wait_spans(rcv, 5, timeout=30)
    check(len({sp["spanId"] for _, sp, _ in got}) == 5 and obi.alive(), "spans %d" % len(got))
    st = stop_stats(obi)
    check(st["exported"] == 5 and st["retries"] >= 1, "stats %r" % st)


def _fault_run(ctx, faults, n, kind="http", extra=None, label="recv"):
    rcv = Receiver(ctx, kind, faults=faults, label=label) if kind == "http" else \
        _grpc_receiver(ctx, faults=faults, label=label)
    srv, port, _ = start_python_server(ctx, "py")
    # One batch of exactly n spans: sealed by size, not by a timer racing the requests.
    env = export_env("http://127.0.0.1:%d" % rcv.port,
                     OTEL_EBPF_OTLP_TRACES_BATCH_MAX_SIZE=str(n),
                     OTEL_EBPF_OTLP_TRACES_BATCH_TIMEOUT="3s", **(extra or {}))
    if kind == "grpc":
        env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc"
    obi = start_obi(ctx, srv, port, env)
    # One batch: the spans before the first answer.
    requests(port, n)
    return rcv, srv, port, obi


def t_export_retryable_faults(ctx):
    """503 then 200, 429 with Retry-After 1 s, and gRPC UNAVAILABLE: each batch is retried and
    delivered once; the enricher keeps running."""
    rcv, _, port, obi = _fault_run(ctx, ["503", "503"], 5)
    got = wait_spans(rcv, 5)
    answered = [l for l in rcv.lines() if l["fault"] == "200"]
    check(len(answered) == 1 and answered[0]["spans"] == 5 and
          [l["fault"] for l in rcv.lines()] == ["503", "503", "200"],
          "requests %r" % [(l["fault"], l.get("spans")) for l in rcv.lines()])
    st = stop_stats(obi)
    check(st["exported"] == 5 and st["retries"] == 2 and st["failed"] == 0, "503: %r" % st)
    del got

    rcv, _, port, obi = _fault_run(ctx, ["429:ra=1"], 5, label="recv429")
    wait_until(lambda: len(rcv.lines()) >= 2, 15)
    ls = rcv.lines()
    check(len(ls) == 2 and ls[1]["t"] - ls[0]["t"] >= 950,
          "429 Retry-After 1: retried after %r ms" % [l["t"] - ls[0]["t"] for l in ls])
    st = stop_stats(obi)
    check(st["exported"] == 5 and st["retries"] == 1, "429: %r" % st)

    rcv, _, port, obi = _fault_run(ctx, ["unavailable"], 5, kind="grpc", label="grpc")
    wait_until(lambda: len(rcv.lines()) >= 2, 15)
    check([l["fault"] for l in rcv.lines()] == ["unavailable", "ok"] and obi.alive(),
          "gRPC calls %r" % [l["fault"] for l in rcv.lines()])
    st = stop_stats(obi)
    check(st["exported"] == 5 and st["retries"] == 1, "UNAVAILABLE: %r" % st)


def t_export_grpc_reset(ctx):
    """The gRPC collector's HTTP/2 connection torn down under a call (a crash, a restart, a
    proxy), then the retry's stream refused with RST_STREAM REFUSED_STREAM. The reset is
    UNAVAILABLE to a gRPC client: the enricher retries on a new connection and says why. A
    refused stream was, by HTTP/2's rule, not processed: libcurl itself sends it again at once
    (no back-off, not counted as our retry). The batch is delivered exactly once and the
    enricher keeps running."""
    rcv, _, port, obi = _fault_run(ctx, ["reset", "refused"], 5, kind="grpc", label="grpc")
    got = wait_spans(rcv, 5)
    check([l["fault"] for l in rcv.lines() if "TraceService" in l["path"]] == ["reset", "refused", "ok"]
          and obi.alive(), "gRPC calls %r" % [l["fault"] for l in rcv.lines()])
    check(len({sp["spanId"] for _, sp, _ in got}) == 5, "a span delivered twice")
    check(re.search(r"otlp traces: attempt 1 to export 5 spans failed \(HTTP/2 stream \d+ was not "
                    r"closed cleanly", obi.stderr()),
          "the retry is not said:\n%s" % enricher_err(obi)[-800:])
    st = stop_stats(obi)
    check(st["exported"] == 5 and st["retries"] == 1 and st["failed"] == 0, "reset: %r" % st)


def t_export_fatal_and_hang(ctx):
    """400 is never retried (the batch is dropped and counted) and the next batch still goes;
    a collector hanging past OTEL_EXPORTER_OTLP_TIMEOUT is given up on and retried."""
    rcv, _, port, obi = _fault_run(ctx, ["400"], 4)
    wait_until(lambda: len(rcv.lines()) >= 1, 10)
    time.sleep(1.5)  # a retry would come within the 200 ms..1 s back-off
    check(len(rcv.lines()) == 1, "400 was retried: %d requests" % len(rcv.lines()))
    requests(port, 3, prefix="/after")
    wait_until(lambda: len(rcv.lines()) >= 2, 10)
    check(rcv.lines()[-1]["fault"] == "200" and rcv.lines()[-1]["spans"] == 3 and obi.alive(),
          "the batch after the 400: %r" % [(l["fault"], l.get("spans")) for l in rcv.lines()])
    st = stop_stats(obi)
    check(st["exported"] == 3 and st["failed"] == 4 and st["retries"] == 0, "400: %r" % st)

    rcv, _, port, obi = _fault_run(ctx, ["hang"], 4, extra={"OTEL_EXPORTER_OTLP_TIMEOUT": "1000"},
                                   label="recvhang")
    wait_until(lambda: len(rcv.lines()) >= 2, 15)
    ls = rcv.lines()
    check(len(ls) == 2 and ls[0]["fault"] == "hang" and ls[1]["fault"] == "200" and
          ls[1]["t"] - ls[0]["t"] >= 950, "hang: %r" % [(l["fault"], l["t"]) for l in ls])
    got = wait_spans(rcv, 4)
    check(len({sp["spanId"] for _, sp, _ in got}) == 4 and obi.alive(), "after the hang")
    st = stop_stats(obi)
    check(st["exported"] == 4 and st["retries"] == 1, "hang: %r" % st)



def t_export_unsent_at_shutdown(ctx):
    """A collector that never answers while obi stops: the exporter gives up at 90% of
    shutdown_timeout, says how many spans it drops and counts them (nothing silently lost), and
    the enricher still exits cleanly within the timeout."""
    rcv, _, port, obi = _fault_run(ctx, ["hang"], 6, label="recvstuck",
                                   extra={"OTEL_EXPORTER_OTLP_TIMEOUT": "30000",
                                          "OTEL_EBPF_SHUTDOWN_TIMEOUT": "2s"})
    check(wait_until(lambda: len(rcv.lines()) >= 1, 10), "the batch was never sent")
    requests(port, 2, prefix="/late")  # a second batch, still filling when obi stops
    t0 = time.monotonic()
    st = stop_stats(obi)
    took = time.monotonic() - t0
    check(st["unsent"] == 6 + 2 and st["exported"] == 0 and st["failed"] == 0,
          "unsent at shutdown: %r" % st)
    check(re.search(r"shutdown_timeout reached: 8 spans and 0 metric data points still queued",
                    obi.stderr()), "the drop is not said:\n%s" % enricher_err(obi)[-800:])
    check(took < 4, "stopping took %.1f s with a 2 s shutdown_timeout" % took)


def t_export_413_partial(ctx):
    """413 is never retried (the batch is counted as failed, the next goes); a partial success
    is logged with the rejected count (its message escaped) and not retried."""
    rcv, _, port, obi = _fault_run(ctx, ["413"], 4)
    wait_until(lambda: len(rcv.lines()) >= 1, 10)
    time.sleep(1.5)  # a retry would come within the 200 ms..1 s back-off
    check(len(rcv.lines()) == 1, "413 was retried: %d requests" % len(rcv.lines()))
    requests(port, 2, prefix="/after")
    wait_until(lambda: len(rcv.lines()) >= 2, 10)
    check(rcv.lines()[-1]["fault"] == "200" and obi.alive(), "the batch after the 413")
    st = stop_stats(obi)
    check(st["failed"] == 4 and st["retries"] == 0 and st["exported"] == 2, "413: %r" % st)

    rcv, _, port, obi = _fault_run(ctx, ["partial:3"], 5, label="recvpartial")
    wait_until(lambda: len(rcv.lines()) >= 1, 10)
    time.sleep(1.5)
    check(len(rcv.lines()) == 1, "a partial success was retried: %d requests" % len(rcv.lines()))
    err = enricher_err(obi)
    check("rejected 3 of 5" in err, "no partial-success line: %s" % err[-600:])
    check("\x01" not in obi.stderr(), "the collector's control byte reached the log")
    st = stop_stats(obi)
    check(st["rejected"] == 3 and st["retries"] == 0, "partial: %r" % st)


def t_export_collector_away(ctx):
    """The collector goes away mid-run and comes back on the same port: what was sent while it
    was away is retried and delivered, each span once; intake never stops."""
    rcv = Receiver(ctx, label="recv1")
    srv, port, _ = start_python_server(ctx, "py")
    obi = start_obi(ctx, srv, port, export_env("http://127.0.0.1:%d" % rcv.port))
    requests(port, 3, prefix="/before")
    wait_spans(rcv, 3)
    kill_group(rcv.p)
    requests(port, 4, prefix="/away")
    time.sleep(1.0)  # at least one refused attempt
    rcv2 = Receiver(ctx, port=rcv.port, label="recv2")
    requests(port, 2, prefix="/back")
    got = wait_spans(rcv2, 6, timeout=30)
    paths = sorted(attrs(sp.get("attributes"))["url.path"] for _, sp, _ in got)
    check(paths == sorted(["/away%d" % i for i in range(4)] + ["/back%d" % i for i in range(2)]),
          "delivered after the collector came back: %r" % paths)
    st = stop_stats(obi)
    check(st["exported"] == 9 and st["failed"] == 0 and st["retries"] >= 1, "stats %r" % st)

class _Pid:
    """A process that is not our child, with the Popen calls the sandbox attack helpers use."""

    def __init__(self, pid):
        self.pid = pid

    def poll(self):
        try:
            state = read_text("/proc/%d/stat" % self.pid).split(") ", 1)[1][0]
        except (OSError, IndexError):
            state = "X"
        return None if state not in "ZX" else -1


def t_export_sandbox(ctx):
    """While exporting (through libcurl's resolver thread, to this host's name from /etc/hosts),
    the enricher, attacked with gdb, cannot read /proc/1/environ, /etc/shadow or even the
    world-readable /etc/passwd (Landlock), and creating a file kills it (seccomp)."""
    import cases_sandbox
    if os.environ.get("OBI_SECCOMP") == "off":
        ctx.note("OBI_SECCOMP=off (sanitizer run): the sandbox is only meaningful with it")
        return
    host = socket.gethostname()
    check(socket.gethostbyname(host).startswith("127."), "%s is not a loopback name" % host)
    rcv = Receiver(ctx)
    srv, port, _ = start_python_server(ctx, "py")
    obi = start_obi(ctx, srv, port, export_env("http://%s:%d" % (host, rcv.port)))
    requests(port, 3)
    wait_spans(rcv, 3)
    enr = [c for c in children_of(obi.p.pid)
           if read_text("/proc/%d/comm" % c).strip() == "obi-enricher"]
    check(len(enr) == 1, "enricher %r" % enr)
    st = e2e.proc_status(enr[0])
    check(st.get("Seccomp") == "2" and st.get("NoNewPrivs") == "1", "enricher status %r" % st)
    target = _Pid(enr[0])
    ctx.victim = 1
    reads = [("read /proc/1/environ", ["call (char *)strcpy($m + 2048, \"/proc/1/environ\")"],
              "syscall(257, -100, $m + 2048, 0, 0)"),
             ("read /etc/shadow", ["call (char *)strcpy($m + 2048, \"/etc/shadow\")"],
              "syscall(257, -100, $m + 2048, 0, 0)"),
             # World-readable: file permissions allow it, only Landlock refuses.
             ("read /etc/passwd", ["call (char *)strcpy($m + 2048, \"/etc/passwd\")"],
              "syscall(257, -100, $m + 2048, 0, 0)")]
    for name, prep, expr in reads:
        res = cases_sandbox._attack(ctx, target, name, prep, expr, "obi-enricher")
        check(res == "errno 13", "%s: %s" % (name, res))
        ctx.note("%s: %s" % (name, res))
    # Still exporting after the attempts.
    requests(port, 2, prefix="/after")
    wait_spans(rcv, 5)
    # Our own path: other worktrees' sandbox tests create cases_sandbox's in their control runs.
    victim_file = "/tmp/obi-e2e-export-attack-%d" % os.getpid()
    ctx.allow_sigsys = True
    prep = ["call (char *)strcpy($m + 2048, \"%s\")" % victim_file]
    cases_sandbox._gdb_call(ctx, enr[0], prep, "syscall(257, -100, $m + 2048, 0101, 0600)",
                            "obi-enricher")
    check(wait_until(lambda: target.poll() is not None, 5), "creating a file did not kill it")
    check(wait_until(lambda: "obi-enricher exited (signal %d)" % signal.SIGSYS in obi.stderr(), 5),
          "the enricher did not die of SIGSYS")
    check(not os.path.exists(victim_file), "the enricher created a file")
    ctx.note("create a file: killed")



def _histograms(rcv, name):
    """{(service, attributes...): last data point} of histogram `name` over every delivered
    metrics request (cumulative: the last point of a series is its total)."""
    last = {}
    for ln in rcv.lines():
        if ln.get("path") != "/v1/metrics" or ln.get("fault") not in ("200", "ok"):
            continue
        for rm in (ln.get("request") or {}).get("resourceMetrics") or []:
            svc = attrs((rm.get("resource") or {}).get("attributes")).get("service.name")
            for sm in rm.get("scopeMetrics") or []:
                for m in sm.get("metrics") or []:
                    if m.get("name") != name:
                        continue
                    h = m.get("histogram") or {}
                    for dp in h.get("dataPoints") or []:
                        a = attrs(dp.get("attributes"))
                        last[(svc,) + tuple(sorted(a.items()))] = (dp, a, h, m)
    return last


def t_export_metrics(ctx):
    """RED metrics over OTLP/HTTP from real requests: http.server.request.duration's count
    equals the requests made, per route and status, cumulative, with OBI's attributes and
    units; the body-size histograms count the same requests; traces flow beside them."""
    rcv = Receiver(ctx)
    srv, port, _ = start_python_server(ctx, "py")
    obi = start_obi(ctx, srv, port, export_env("http://127.0.0.1:%d" % rcv.port,
                                               OTEL_EBPF_METRICS_INTERVAL="500ms"))
    n_a, n_b = 12, 5
    for i in range(n_a):
        check(get("http://127.0.0.1:%d/factorial/%d" % (port, i + 1)) == "404", "request")
    for i in range(n_b):
        check(get("http://127.0.0.1:%d/health" % port) == "404", "request")
    expect_exact(obi, server_spans(port), n_a + n_b)

    def total():
        return sum(int(dp["count"]) for dp, _, _, _ in
                   _histograms(rcv, "http.server.request.duration").values())
    wait_until(lambda: total() >= n_a + n_b, 20, interval=0.2)
    time.sleep(1.2)  # another round or two: cumulative counts must not move
    dur = _histograms(rcv, "http.server.request.duration")
    check(total() == n_a + n_b, "duration count %d, requests %d" % (total(), n_a + n_b))
    routes = {}
    for dp, a, h, m in dur.values():
        check(m.get("unit") == "s" and h.get("aggregationTemporality") in (2, "AGGREGATION_TEMPORALITY_CUMULATIVE"),
              "unit/temporality %r/%r" % (m.get("unit"), h.get("aggregationTemporality")))
        check(a.get("http.request.method") == "GET" and a.get("http.response.status_code") == 404
              and a.get("server.port") == port, "attributes %r" % a)
        check(len(dp.get("explicitBounds") or []) + 1 == len(dp.get("bucketCounts") or []) and
              sum(int(c) for c in dp["bucketCounts"]) == int(dp["count"]), "buckets %r" % dp)
        routes[a.get("http.route")] = routes.get(a.get("http.route"), 0) + int(dp["count"])
    check(routes.get("/factorial/*") == n_a and routes.get("/health") == n_b,
          "counts per http.route %r" % routes)
    for name in ("http.server.request.body.size", "http.server.response.body.size"):
        got = sum(int(dp["count"]) for dp, _, _, _ in _histograms(rcv, name).values())
        check(got == n_a + n_b, "%s count %d" % (name, got))
    wait_spans(rcv, n_a + n_b)
    obi.stop()
    check(re.search(r"metrics: %d spans recorded" % (n_a + n_b), obi.stderr()) is not None,
          "metrics totals: %s" % enricher_err(obi)[-600:])


def t_export_by_dns_name(ctx):
    """The collector named as in a cluster (a Service name resolved over DNS, not /etc/hosts):
    glibc's resolver runs inside the sandboxed enricher (UDP, poll, FIONREAD), every span arrives,
    an unknown name is retried, and the enricher is never killed nor restarted on the way."""
    stub_addr = "127.0.0.77"
    d = ctx.tmpdir("dns")
    conf = os.path.join(d, "resolv.conf")
    with open(conf, "w") as f:
        f.write("nameserver %s\noptions timeout:1 attempts:1\n" % stub_addr)
    stub = ctx.spawn([sys.executable, os.path.join(HERE_E2E, "helpers", "dns_stub.py"),
                      stub_addr, "otelcol.obi-e2e.test=127.0.0.1"], "dns")
    wait_until(lambda: stub.poll() is not None or "ready" in read_text(
        os.path.join(ctx.dir, "dns.out")), 10)
    check(stub.poll() is None, "dns stub: %s" % tail(os.path.join(ctx.dir, "dns.err")))
    rcv = Receiver(ctx)
    srv, port, _ = start_python_server(ctx, "py")
    # obi's own mount namespace sees the stub as its DNS server; the host's file is untouched.
    wrap = [shutil.which("unshare") or "/usr/bin/unshare", "--mount", "--propagation",
            "private", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"', conf]
    env = {"OTEL_EBPF_OPEN_PORT": str(port), "OTEL_EBPF_SHUTDOWN_TIMEOUT": "3s",
           # Metrics to a name the DNS does not know: retried, and said while retried (the
           # endpoint's userinfo is a credential: never in the log).
           "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT":
           "http://obi:pw-%d@nosuch.obi-e2e.test:%d/v1/metrics" % (os.getpid(), rcv.port),
           "OTEL_METRIC_EXPORT_INTERVAL": "300"}
    env.update(export_env("http://otelcol.obi-e2e.test:%d" % rcv.port))
    obi = Obi(ctx, env, wrap=wrap)
    obi.wait_ready()
    obi.wait_instrumented(srv.pid)
    requests(port, 5)
    wait_spans(rcv, 5)
    queries = read_text(os.path.join(ctx.dir, "dns.out"))
    check("q otelcol.obi-e2e.test 1" in queries, "the stub saw no A query: %r" % queries)
    check(wait_until(lambda: re.search(
        r"otlp metrics: attempt \d+ to export \d+ data points failed \(Could not resolve host: "
        r"nosuch\.obi-e2e\.test\): retrying", obi.stderr()), 10),
        "an unknown collector name is not said:\n%s" % enricher_err(obi)[-600:])
    check("q nosuch.obi-e2e.test 1" in read_text(os.path.join(ctx.dir, "dns.out")),
          "the unknown name was not asked over DNS")
    check("restarted obi-enricher" not in obi.stderr(), "the enricher was restarted:\n%s"
          % enricher_err(obi)[-600:])
    st = stop_stats(obi)
    check(st["exported"] == 5, "totals %r" % st)
    check("pw-%d" % os.getpid() not in obi.stderr() and
          "http://<redacted>@nosuch.obi-e2e.test" in obi.stderr(),
          "the endpoint's password is in the log, or the endpoint is not said")
    ctx.note("%d DNS queries" % queries.count("q "))


TESTS = [
    ("export_http_protobuf", t_export_http_protobuf, ("socket",)),
    ("export_configmap_grpc_ratio", t_export_configmap_grpc_ratio, ("socket",)),
    ("export_configmap_ratio_one", t_export_configmap_ratio_one, ("socket",)),
    ("export_json_gzip", t_export_json_gzip, ("socket",)),
    ("export_headers_secret", t_export_headers_secret, ("socket",)),
    ("export_tls_mtls", t_export_tls_mtls, ("socket",)),
    ("export_collector_late", t_export_collector_late, ("socket",)),
    ("export_retryable_faults", t_export_retryable_faults, ("socket",)),
    ("export_fatal_and_hang", t_export_fatal_and_hang, ("socket",)),
    ("export_unsent_at_shutdown", t_export_unsent_at_shutdown, ("socket",)),
    ("export_grpc_reset", t_export_grpc_reset, ("socket",)),
    ("export_sandbox", t_export_sandbox, ("socket",)),
    ("export_by_dns_name", t_export_by_dns_name, ("socket",)),
    ("export_metrics", t_export_metrics, ("socket",)),
    ("export_413_partial", t_export_413_partial, ("socket",)),
    ("export_collector_away", t_export_collector_away, ("socket",)),
]
