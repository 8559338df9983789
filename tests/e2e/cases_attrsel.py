"""cases_attrsel.py: attributes.select (issue 8, item 4) and per-selector exports / sampler
(item 2) on real telemetry: real python servers instrumented with eBPF, OTLP to the node receiver (the official protobuf definitions decode
what obi sent), checked on the decoded metrics and spans, for both encoders."""
import os
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


TESTS = [
    ("attrsel_protobuf", t_attrsel_protobuf, ("socket",)),
    ("attrsel_json", t_attrsel_json, ("socket",)),
    ("attrsel_selector_exports", t_selector_exports_sampler, ("socket",)),
    ("attrsel_selector_routes", t_selector_routes, ("socket",)),
]
