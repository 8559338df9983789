"""cases_routes.py: routes and filters on real spans (issue 8, items 3 and 4): the ConfigMap's
pattern, the unmatched policies, ignored_patterns per signal, filter.application; real eBPF,
real servers (python http.server, Go net/http, nginx) and curl as an HTTP client."""
import os

from e2e import *
from cases_capture import GoServer, go_server_binary

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGMAP = os.path.join(os.path.dirname(HERE), "config", "obi-examples", "configmap.yaml")


def _yaml(ctx, text):
    """A config file the enricher (another uid) can read."""
    path = os.path.join(ctx.tmpdir("cfg"), "obi.yaml")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def _obi(ctx, pid, port, yaml_text=None, config_path=None, env=None):
    e = {"OTEL_EBPF_CONFIG_PATH": config_path or _yaml(ctx, yaml_text)}
    if port:
        e["OTEL_EBPF_OPEN_PORT"] = str(port)
    e.update(env or {})
    obi = Obi(ctx, e)
    obi.wait_ready()
    obi.wait_instrumented(pid)
    return obi


def _by_path(spans):
    out = {}
    for s in spans:
        out.setdefault(s["attributes"].get("url.path"), []).append(s)
    return out


def _check_route(s, route, name):
    a = s["attributes"]
    check(s["name"] == name, "%s: span name %r, want %r" % (a.get("url.path"), s["name"], name))
    check(a.get("http.route") == route, "%s: http.route %r, want %r" % (
        a.get("url.path"), a.get("http.route"), route))


def _stop_log(obi):
    """The enricher's counters line at shutdown (routes: ... / filter.application: ...)."""
    obi.stop()
    return obi.stderr()


def t_routes_configmap(ctx):
    """The issue's ConfigMap as written (env selects the port; json printer reads the spans):
    /factorial/5 is `GET /factorial/{num}`, an unmatched path gets the default heuristic."""
    srv, port, _ = start_python_server(ctx, "py")
    obi = _obi(ctx, srv.pid, port, config_path=CONFIGMAP)
    for p in ("/factorial/5", "/factorial/120?fmt=json", "/users/123/orders"):
        check(get("http://127.0.0.1:%d%s" % (port, p)) == "404", "request %s" % p)
    got = _by_path(expect_exact(obi, server_spans(port), 3))
    _check_route(got["/factorial/5"][0], "/factorial/{num}", "GET /factorial/{num}")
    _check_route(got["/factorial/120"][0], "/factorial/{num}", "GET /factorial/{num}")
    check(got["/factorial/120"][0]["attributes"].get("url.query") == "fmt=json", "url.query")
    _check_route(got["/users/123/orders"][0], "/users/*/orders", "GET /users/*/orders")
    check("routes: 3 spans routed" in _stop_log(obi), "no routes counter line")


def t_routes_text_printer(ctx):
    """The text printer (the ConfigMap's own trace_printer) shows the route after OBI's fields."""
    srv, port, _ = start_python_server(ctx, "py")
    obi = _obi(ctx, srv.pid, port, config_path=CONFIGMAP, env={"OTEL_EBPF_TRACE_PRINTER": "text"})
    check(get("http://127.0.0.1:%d/factorial/7" % port) == "404", "request")
    ok = wait_until(lambda: "GET /factorial/7 " in read_text(obi.out), 10)
    line = [l for l in read_text(obi.out).splitlines() if "GET /factorial/7 " in l]
    check(ok and len(line) == 1, "no text line for the request: %r" % read_text(obi.out)[-300:])
    check(line[0].endswith(" route=[/factorial/{num}]"), "text line %r" % line[0])
    check(" HTTP 404 GET /factorial/7 [" in line[0], "OBI's fields moved: %r" % line[0])


def _ignored(ctx, mode):
    g = GoServer(ctx)
    obi = _obi(ctx, g.p.pid, g.port, "routes:\n  ignored_patterns: [/health, /k/internal/*]\n"
               "  ignore_mode: %s\n" % mode)
    paths = ["/health", "/k/a", "/health?full=1", "/k/internal/x/y", "/k/b", "/healthz"]
    for p in paths:
        check(get("http://127.0.0.1:%d%s" % (g.port, p)) in ("200", "404"), "request %s" % p)
    check(wait_until(lambda: len(g.lines()) == len(paths), 10), "go server log")
    return g, obi, paths


def t_routes_ignored_traces(ctx):
    """ignore_mode traces: /health and /k/internal/* never reach the trace printer; the others do,
    and the enricher counts the three it dropped (not from metrics: the flag only drops traces)."""
    g, obi, _ = _ignored(ctx, "traces")
    got = _by_path(expect_exact(obi, server_spans(g.port), 3))
    check(sorted(got) == ["/healthz", "/k/a", "/k/b"], "printed paths %s" % sorted(got))
    _check_route(got["/k/a"][0], "/k/a", "GET /k/a")
    check("3 matched ignored_patterns" in _stop_log(obi), "ignored counter")


def t_routes_ignored_metrics(ctx):
    """ignore_mode metrics: the same paths still reach traces (only metrics drop them)."""
    g, obi, paths = _ignored(ctx, "metrics")
    got = _by_path(expect_exact(obi, server_spans(g.port), len(paths)))
    check(len(got["/health"]) == 2, "/health spans: %d" % len(got.get("/health", [])))
    _check_route(got["/k/internal/x/y"][0], "/k/internal/x/y", "GET /k/internal/x/y")
    check("3 matched ignored_patterns" in _stop_log(obi), "ignored counter")


def t_routes_unmatched_nginx(ctx):
    """nginx, patterns plus unmatched heuristic (ids become *), then unset (no http.route)."""
    ng = Nginx(ctx)
    reqs = ["/users/123/orders", "/api/v1/items/8f14e45f-ceea-467f-a0e8-7d5e1f3c9a2b",
            "/k/how-to-deploy-a-rust-service", "/k/about", "/shop/42"]
    want = {"heuristic": ["/users/*/orders", "/api/v1/items/*", "/k/*", "/k/about",
                          "/shop/{id}"],
            "unset": [None, None, None, None, "/shop/{id}"]}
    for mode in ("heuristic", "unset"):
        obi = Obi(ctx, {"OTEL_EBPF_OPEN_PORT": str(ng.port), "OTEL_EBPF_CONFIG_PATH": _yaml(
            ctx, "routes:\n  patterns: ['/shop/{id}']\n  unmatched: %s\n" % mode)},
            label="obi-" + mode)
        obi.wait_ready()
        for pid in [ng.master] + list(ng.workers):
            obi.wait_instrumented(pid)
        for p in reqs:
            get("http://127.0.0.1:%d%s" % (ng.port, p))
        got = _by_path(expect_exact(obi, server_spans(ng.port), len(reqs)))
        for p, route in zip(reqs, want[mode]):
            s = got[p][0]
            if route is None:
                check("http.route" not in s["attributes"] and s["name"] == "GET",
                      "%s %s: %r %r" % (mode, p, s["name"], s["attributes"].get("http.route")))
            else:
                _check_route(s, route, "GET " + route)
        obi.stop()


def t_routes_filter(ctx):
    """filter.application: url_path not_match drops those spans from every sink; a second
    attribute (status) must pass too; client spans (curl) are routed and filtered alike.
    Server: Go net/http."""
    g = GoServer(ctx)
    port = g.port
    # One selector for the server and its client: the Go binary's own (unique) path, or curl.
    obi = _obi(ctx, g.p.pid, None, "routes:\n  patterns: ['/files/:name']\n"
               "filter:\n  application:\n    url_path: {not_match: '/skip*'}\n"
               "    http_response_status_code: {not_match: '5*'}\n",
               env={"OTEL_EBPF_AUTO_TARGET_EXE": "{*/curl,%s}" % go_server_binary()})
    base = "http://127.0.0.1:%d" % port
    # --rate: curl lives long enough to be selected before its later requests (as in e2e.py).
    p = ctx.spawn([CURL, "--rate", "4/s", "-s"] + ["-o", "/dev/null"] * 4 +
                  [base + "/k/keep", base + "/skip", base + "/skip/2", base + "/files/a.txt"],
                  "curl")
    check(wait_until(lambda: p.poll() is not None, 30) and p.returncode == 0, "curl")
    srv_got = _by_path(expect_exact(obi, server_spans(port), 2))
    check(sorted(srv_got) == ["/files/a.txt", "/k/keep"], "server spans %s" % sorted(srv_got))
    _check_route(srv_got["/files/a.txt"][0], "/files/:name", "GET /files/:name")
    cli_pred = client_spans(port)
    obi.wait_spans(lambda s: cli_pred(s) and s["attributes"].get("url.path") == "/files/a.txt", 1)
    cli = _by_path([s for s in obi.spans() if cli_pred(s)])
    check("/files/a.txt" in cli, "no client span for /files/a.txt: %s" % sorted(cli))
    check(not [k for k in cli if k.startswith("/skip")], "client /skip spans: %s" % sorted(cli))
    _check_route(cli["/files/a.txt"][0], "/files/:name", "GET /files/:name")
    check(cli["/files/a.txt"][0]["attributes"].get("url.full") == base + "/files/a.txt", "url.full")
    err = _stop_log(obi)
    check("filter.application: 4 spans dropped" in err or
          "filter.application: 3 spans dropped" in err, "filter counter: %s" % tail(obi.err, 5))


TESTS = [
    ("routes_configmap", t_routes_configmap, USERSPACE),
    ("routes_text_printer", t_routes_text_printer, ("socket",)),
    ("routes_ignored_traces", t_routes_ignored_traces, ("socket",)),
    ("routes_ignored_metrics", t_routes_ignored_metrics, ("socket",)),
    ("routes_unmatched_nginx", t_routes_unmatched_nginx, ("socket",)),
    ("routes_filter", t_routes_filter, ("socket",)),
]
