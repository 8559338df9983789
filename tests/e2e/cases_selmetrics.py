"""cases_selmetrics.py: a discovery selector's metrics.features (issue 8, item 2) on real
telemetry: real python servers instrumented with eBPF, RED metrics to the node receiver (the
official protobuf definitions decode what obi sent), counted per service."""
import time

from e2e import *
from cases_export import Receiver, export_env
from cases_attrsel import _metric_services
from cases_routes import _yaml

SEL_FEATURES_YAML = """\
metrics:
  features: [%s]
discovery:
  instrument:
    - open_ports: %d
      name: sel-global
    - open_ports: %d
      name: sel-own
      metrics:
        features: [%s]
"""


def _round(ctx, rcv, ports, global_features, own_features, want):
    """One obi run: n requests to each server, then the RED metrics per service must be want."""
    obi = Obi(ctx, export_env("http://127.0.0.1:%d" % rcv.port, OTEL_EBPF_METRICS_INTERVAL="500ms",
                              OTEL_EBPF_CONFIG_PATH=_yaml(ctx, SEL_FEATURES_YAML % (
                                  global_features, ports[0], ports[1], own_features))))
    obi.wait_ready()
    n = 4
    for port in ports:
        for i in range(n):
            check(get("http://127.0.0.1:%d/f%d" % (port, i)) == "404", "request")
    expect_exact(obi, lambda s: s.get("kind") == "SERVER", 2 * n)  # the printer sees all
    wait_until(lambda: _metric_services(rcv, "http.server.request.duration") == want(n), 20,
               interval=0.2)
    time.sleep(1.2)  # more metric rounds: a service without RED metrics must still have none
    per = _metric_services(rcv, "http.server.request.duration")
    check(per == want(n), "global [%s], selector [%s]: metrics per service %r" % (
        global_features, own_features, per))
    obi.stop()


def t_selector_metric_features(ctx):
    """Global metrics.features without `application` and one selector's list with it: only that
    selector's process has RED metrics (the metrics exporter exists for it alone). Then the
    reverse: the global list has it, the selector's list does not."""
    srvs = [start_python_server(ctx, "py%d" % i) for i in range(2)]
    ports = [p for _, p, _ in srvs]
    _round(ctx, Receiver(ctx, label="on"), ports, "application_span", "application",
           lambda n: {"sel-own": n})
    _round(ctx, Receiver(ctx, label="off"), ports, "application", "application_span",
           lambda n: {"sel-global": n})


TESTS = [
    ("selector_metric_features", t_selector_metric_features, ("socket",)),
]
