"""cases_attrsel.py: attributes.select on real telemetry (issue 8, item 4): a real python server
instrumented with eBPF, OTLP to the node receiver (the official protobuf definitions decode
what obi sent), checked on the decoded metrics and spans, for both encoders."""
import os
import time

from e2e import *
from cases_export import Receiver, attrs, export_env, start_obi, wait_spans, _histograms

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


def _yaml(ctx, text):
    """A config file the enricher (another uid) can read."""
    path = os.path.join(ctx.tmpdir("cfg"), "obi.yaml")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


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


def t_attrsel_protobuf(ctx):
    _run(ctx, "http/protobuf")


def t_attrsel_json(ctx):
    _run(ctx, "http/json")


TESTS = [
    ("attrsel_protobuf", t_attrsel_protobuf, ("socket",)),
    ("attrsel_json", t_attrsel_json, ("socket",)),
]
