"""cases_attrsel.py: attributes.select (issue 8, item 4) and per-selector exports / sampler
(item 2) on real telemetry: real python servers instrumented with eBPF, OTLP to the node receiver (the official protobuf definitions decode
what obi sent), checked on the decoded metrics and spans, for both encoders."""
import os
import shutil
import time

from e2e import *
from cases_export import Receiver, attrs, export_env, start_obi, wait_spans, _histograms
from cases_routes import _yaml

SELECT_YAML = """\
routes:
  patterns: ["/factorial/{num}"]
  unmatched: path
attributes:
  select:
    http_server_request_duration_seconds:
      exclude: [http.route]
    http.server.response.body.size:
      include: [http.request.method, server_port]
    traces:
      exclude: [url.path, client.address]
"""


def _counts(rcv, name):
    """{attribute set: count} of the histogram's last points (cumulative totals)."""
    out = {}
    for dp, a, _, _ in _histograms(rcv, name).values():
        out[tuple(sorted(a.items()))] = int(dp["count"])
    return out


def _run(ctx, protocol):
    rcv = Receiver(ctx)
    srv, port, _ = start_python_server(ctx, "py")
    obi = start_obi(ctx, srv, port, export_env(
        "http://127.0.0.1:%d" % rcv.port, OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_EBPF_METRICS_INTERVAL="500ms", OTEL_EBPF_CONFIG_PATH=_yaml(ctx, SELECT_YAML)))
    n_a, n_b = 6, 4
    for i in range(n_a):
        check(get("http://127.0.0.1:%d/factorial/%d" % (port, i + 1)) == "404", "request")
    for _ in range(n_b):
        check(get("http://127.0.0.1:%d/health" % port) == "404", "request")
    n = n_a + n_b
    dur_name = "http.server.request.duration"
    wait_until(lambda: sum(_counts(rcv, dur_name).values()) >= n, 20, interval=0.2)
    time.sleep(1.2)  # another round or two: cumulative totals must not move
    base = (("http.request.method", "GET"), ("http.response.status_code", 404),
            ("server.port", port))
    # http.route excluded from the duration metric: the two routes' series merge into one.
    dur = _counts(rcv, dur_name)
    check(len(dur) == 1 and list(dur.values()) == [n], "duration series %r" % dur)
    only = dict(list(dur)[0])
    check("http.route" not in only and all(only.get(k) == v for k, v in base),
          "duration attributes %r" % only)
    # Not named: request.body.size keeps its default attributes, one series per route.
    req = _counts(rcv, "http.server.request.body.size")
    by_route = {dict(k).get("http.route"): v for k, v in req.items()}
    check(by_route == {"/factorial/{num}": n_a, "/health": n_b}, "request.body.size %r" % req)
    # include limits response.body.size to the two attributes listed.
    resp = _counts(rcv, "http.server.response.body.size")
    check(resp == {(("http.request.method", "GET"), ("server.port", port)): n},
          "response.body.size %r" % resp)
    # traces: url.path and client.address gone from every exported span, the rest kept.
    got = wait_spans(rcv, n)
    for _, sp, _ in got:
        a = attrs(sp["attributes"])
        check("url.path" not in a and "client.address" not in a, "span attributes %r" % a)
        check(a.get("http.request.method") == "GET" and a.get("server.port") == port and
              a.get("http.route") in ("/factorial/{num}", "/health"), "span attributes %r" % a)
    obi.stop()


PER_SELECTOR_YAML = """\
discovery:
  instrument:
    - open_ports: %d
      name: sel-metrics-only
      exports: [metrics]
    - open_ports: %d
      name: sel-traces-only
      exports: [traces]
    - open_ports: %d
      name: sel-sampled-off
      sampler: {name: always_off}
"""


def _metric_services(rcv, name):
    out = {}
    for (svc, *_), (dp, _, _, _) in _histograms(rcv, name).items():
        out[svc] = out.get(svc, 0) + int(dp["count"])
    return out


def t_selector_exports_sampler(ctx):
    """Per-selector exports and sampler (discovery.instrument[i]) among three real servers
    selected by port: metrics only, traces only, a sampler that keeps no trace. Checked on what
    the OTLP receiver decoded, per service.name (each selector's name override)."""
    rcv = Receiver(ctx)
    srvs = [start_python_server(ctx, "py%d" % i) for i in range(3)]
    ports = [p for _, p, _ in srvs]
    obi = Obi(ctx, export_env("http://127.0.0.1:%d" % rcv.port, OTEL_EBPF_METRICS_INTERVAL="500ms",
                              OTEL_EBPF_CONFIG_PATH=_yaml(ctx, PER_SELECTOR_YAML % tuple(ports))))
    obi.wait_ready()
    for srv, _, _ in srvs:
        obi.wait_instrumented(srv.pid)
    n = 5
    for port in ports:
        for i in range(n):
            check(get("http://127.0.0.1:%d/s%d" % (port, i)) == "404", "request")
    expect_exact(obi, lambda s: s.get("kind") == "SERVER", 3 * n)  # the printer sees all
    names = ("sel-metrics-only", "sel-sampled-off")
    wait_until(lambda: all(_metric_services(rcv, "http.server.request.duration").get(k) == n
                           for k in names), 20, interval=0.2)
    got = wait_spans(rcv, n)
    svcs = sorted(set(res.get("service.name") for res, _, _ in got))
    check(svcs == ["sel-traces-only"], "services of the exported spans %r" % svcs)
    time.sleep(1.2)  # more metric rounds: the traces-only service must still have none
    per = _metric_services(rcv, "http.server.request.duration")
    check(per == {"sel-metrics-only": n, "sel-sampled-off": n}, "metrics per service %r" % per)
    obi.stop()


SELECTOR_ROUTES_YAML = """\
routes:
  patterns: ["/factorial/{num}"]
  unmatched: path
discovery:
  instrument:
    - open_ports: %d
      routes:
        incoming: ["/items/{id}", "/factorial/{x}/more"]
"""


def t_selector_routes(ctx):
    """A selector's routes.incoming apply to its process after the global patterns and before
    the unmatched policy (here `path`), on real server spans."""
    srv, port, _ = start_python_server(ctx, "py")
    obi = Obi(ctx, {"OTEL_EBPF_CONFIG_PATH": _yaml(ctx, SELECTOR_ROUTES_YAML % port)})
    obi.wait_ready()
    obi.wait_instrumented(srv.pid)
    want = {"/items/7": "/items/{id}", "/factorial/3": "/factorial/{num}",
            "/other/5": "/other/5", "/factorial/3/more": "/factorial/{x}/more"}
    for path in want:
        check(get("http://127.0.0.1:%d%s" % (port, path)) == "404", "request")
    got = expect_exact(obi, server_spans(port), len(want))
    routes = {s["attributes"].get("url.path"): s["attributes"].get("http.route") for s in got}
    check(routes == want, "routes %r" % routes)
    check(all(s["name"] == "GET " + want[s["attributes"]["url.path"]] for s in got),
          "names %r" % [s["name"] for s in got])
    obi.stop()


def t_attrsel_protobuf(ctx):
    _run(ctx, "http/protobuf")


def t_attrsel_json(ctx):
    _run(ctx, "http/json")


OPTIN_YAML = """\
attributes:
  rename_unresolved_hosts_incoming: ""
  select:
    http.server.request.duration:
      include: [http.request.method, url.path, client_address]
"""


def _run_optin(ctx, protocol):
    """Opt-in url.path and client.address on http.server.request.duration only: its series
    split by path (the query string never in it), carry the client's address (the incoming
    rename word disabled), and nothing else; the other metrics keep OBI's default attributes,
    without either, and their server.address is the generic rename word (an IP address)."""
    rcv = Receiver(ctx)
    srv, port, _ = start_python_server(ctx, "py")
    obi = start_obi(ctx, srv, port, export_env(
        "http://127.0.0.1:%d" % rcv.port, OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_EBPF_METRICS_INTERVAL="500ms", OTEL_EBPF_CONFIG_PATH=_yaml(ctx, OPTIN_YAML)))
    want = {"/optin/a": 3, "/optin/b": 2}
    for path, k in want.items():
        for i in range(k):
            check(get("http://127.0.0.1:%d%s?q=%d" % (port, path, i)) == "404", "request")
    n = sum(want.values())
    dur_name = "http.server.request.duration"
    wait_until(lambda: sum(_counts(rcv, dur_name).values()) >= n, 20, interval=0.2)
    time.sleep(1.2)  # another round or two: cumulative totals must not move
    dur = _counts(rcv, dur_name)
    expect = {(("client.address", "127.0.0.1"), ("http.request.method", "GET"),
               ("url.path", p)): k for p, k in want.items()}
    check(dur == expect, "duration series %r, expected %r" % (dur, expect))
    for name in ("http.server.request.body.size", "http.server.response.body.size"):
        pts = _counts(rcv, name)
        check(sum(pts.values()) == n, "%s counts %r" % (name, pts))
        for a in pts:
            a = dict(a)
            check("url.path" not in a and "client.address" not in a, "%s %r" % (name, a))
            check(a.get("server.address") == "unresolved" and a.get("server.port") == port and
                  a.get("http.response.status_code") == 404, "%s %r" % (name, a))
    obi.stop()


def t_attrsel_optin_protobuf(ctx):
    _run_optin(ctx, "http/protobuf")


def t_attrsel_optin_json(ctx):
    _run_optin(ctx, "http/json")


UNRESOLVED_YAML = """\
discovery:
  instrument:
    - open_ports: %d
    - exe_path: "%s"
attributes:
  rename_unresolved_hosts: gen-word
  rename_unresolved_hosts_outgoing: out-word
  rename_unresolved_hosts_incoming: in-word
  select:
    http.server.request.duration:
      include: ["*"]
"""


def _kind(sp):
    k = sp.get("kind")
    return {2: "SERVER", 3: "CLIENT", "SPAN_KIND_SERVER": "SERVER",
            "SPAN_KIND_CLIENT": "CLIENT"}.get(k, k)


def _run_unresolved(ctx, protocol):
    """rename_unresolved_hosts and its two directions on real traffic: curl (instrumented,
    client spans) calls a python server (server spans) over 127.0.0.1. In the metrics a
    server span's server.address is the generic word, its client.address (included) the
    incoming one, a client span's server.address the outgoing one; the exported spans keep
    127.0.0.1 everywhere."""
    rcv = Receiver(ctx)
    srv, port, _ = start_python_server(ctx, "py")
    # A private copy of curl: other engineers' curls on this machine must not be selected.
    client = os.path.join(ctx.tmpdir("bin"), "curl-unres")
    shutil.copy(CURL, client)
    os.chmod(client, 0o755)
    obi = Obi(ctx, export_env("http://127.0.0.1:%d" % rcv.port, OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
                              OTEL_EBPF_METRICS_INTERVAL="500ms",
                              OTEL_EBPF_CONFIG_PATH=_yaml(ctx, UNRESOLVED_YAML % (port, client))))
    obi.wait_ready()
    obi.wait_instrumented(srv.pid)
    base = "http://127.0.0.1:%d/u" % port
    urls = [base + str(i) for i in range(6)]
    # One curl paced at 4/s lives long enough to be selected before its later requests.
    p = ctx.spawn([client, "--rate", "4/s", "-s"] + ["-o", "/dev/null"] * len(urls) + urls, "curl")
    check(wait_until(lambda: p.poll() is not None, 30), "curl did not finish")
    check(p.returncode == 0, "curl rc %d" % p.returncode)

    def kinds():
        got = {"SERVER": 0, "CLIENT": 0}
        for _, sp, _ in rcv.spans():
            got[_kind(sp)] = got.get(_kind(sp), 0) + 1
        return got
    wait_until(lambda: kinds()["SERVER"] >= len(urls) and kinds()["CLIENT"] >= 1, 20, interval=0.2)
    time.sleep(1.0)
    k = kinds()
    check(k["SERVER"] == len(urls) and len(urls) - 2 <= k["CLIENT"] <= len(urls),
          "spans per kind %r" % k)
    for _, sp, _ in rcv.spans():
        a = attrs(sp["attributes"])
        check(a.get("server.address") == "127.0.0.1", "span server.address %r" % a)
        if _kind(sp) == "SERVER":
            check(a.get("client.address") == "127.0.0.1", "span client.address %r" % a)
    names = ("http.server.request.duration", "http.client.request.duration")
    wait_until(lambda: sum(_counts(rcv, names[0]).values()) >= k["SERVER"] and
               sum(_counts(rcv, names[1]).values()) >= k["CLIENT"], 20, interval=0.2)
    time.sleep(1.2)
    srv_pts, cli_pts = _counts(rcv, names[0]), _counts(rcv, names[1])
    check(sum(srv_pts.values()) == k["SERVER"] and sum(cli_pts.values()) == k["CLIENT"],
          "metric counts %r %r, spans %r" % (srv_pts, cli_pts, k))
    for a in srv_pts:
        a = dict(a)
        check(a.get("server.address") == "gen-word" and a.get("client.address") == "in-word"
              and a.get("url.path", "").startswith("/u"), "server series %r" % a)
    for a in cli_pts:
        a = dict(a)
        check(a.get("server.address") == "out-word" and "client.address" not in a and
              a.get("server.port") == port, "client series %r" % a)
    obi.stop()


def t_attrsel_unresolved_protobuf(ctx):
    _run_unresolved(ctx, "http/protobuf")


def t_attrsel_unresolved_json(ctx):
    _run_unresolved(ctx, "http/json")


TESTS = [
    ("attrsel_protobuf", t_attrsel_protobuf, ("socket",)),
    ("attrsel_json", t_attrsel_json, ("socket",)),
    ("attrsel_selector_exports", t_selector_exports_sampler, ("socket",)),
    ("attrsel_selector_routes", t_selector_routes, ("socket",)),
    ("attrsel_optin_protobuf", t_attrsel_optin_protobuf, ("socket",)),
    ("attrsel_optin_json", t_attrsel_optin_json, ("socket",)),
    ("attrsel_unresolved_protobuf", t_attrsel_unresolved_protobuf, ("socket",)),
    ("attrsel_unresolved_json", t_attrsel_unresolved_json, ("socket",)),
]
