"""e2e: OBI's discovery selectors in obi-probe (issue 8): exe_path globs, open_ports, cmd_args
and exclusions select exactly the expected processes among real python, nginx and node servers
running at once, including ones started after obi; the service name precedence (selector name,
the target's OTEL_SERVICE_NAME, executable name) and telemetry.sdk.language on printed spans."""

from e2e import *
from cases_capture import go_server_binary

NODE = shutil.which("node") or "/usr/bin/node"
SYS_PYTHON = "/usr/bin/python3.11"

NODE_SRV = """
require("http").createServer((q, r) => { r.end("hi"); }).listen(+process.argv[2], "127.0.0.1");
"""

PY_SRV = r"""
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass

HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def private_python(ctx):
    """A copy of the system python in a directory of its own: an exe glob on it can match no
    other engineer's process on this shared machine. Its name stays python3.11."""
    d = ctx.tmpdir("pyexe")
    exe = os.path.join(d, "python3.11")
    shutil.copy(SYS_PYTHON, exe)
    os.chmod(exe, 0o755)
    return d, exe


def write_file(ctx, prefix, name, text):
    path = os.path.join(ctx.tmpdir(prefix), name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def start_script(ctx, label, exe, script, port, args=(), env=None):
    p = ctx.spawn([exe, script, str(port)] + list(args), label, env=clean_env(env))
    check(wait_until(lambda: p.poll() is not None or is_listening(port), 15) and p.poll() is None,
          "%s did not start on %d" % (label, port))
    return p


def instrumented_pids(obi):
    return set(int(m) for m in re.findall(r"instrumenting pid (\d+) \(", obi.stderr()))


def obi_with_yaml(ctx, yaml_text, label="obi", env=None):
    path = write_file(ctx, "cfg", "obi.yaml", yaml_text)
    e = {"OTEL_EBPF_CONFIG_PATH": path}
    e.update(env or {})
    obi = Obi(ctx, e, label=label)
    obi.wait_ready()
    return obi


def t_discovery_selectors(ctx):
    """exe glob, port, cmd args and an exclusion among python, nginx and node, some started
    after obi: exactly the expected processes are instrumented and traced."""
    pydir, py = private_python(ctx)
    script = write_file(ctx, "pysrv", "srv.py", PY_SRV)
    js = write_file(ctx, "nodesrv", "srv-selected.js", NODE_SRV)
    js_late = write_file(ctx, "nodesrv2", "srv-late.js", NODE_SRV)
    js_other = write_file(ctx, "nodesrv3", "srv-other.js", NODE_SRV)
    ports = {k: free_port() for k in ("py", "py_admin", "py_late", "ng", "ng_late", "ng_other",
                                      "node", "node_late", "node_other")}
    while len(set(ports.values())) < len(ports):  # free_port may hand out one twice
        ports = {k: free_port() for k in ports}
    # Before obi: python (exe glob), python excluded by its arguments, nginx (port), node (cmd
    # args), node not matching anything.
    py_a = start_script(ctx, "py", py, script, ports["py"])
    py_admin = start_script(ctx, "py-admin", py, script, ports["py_admin"], args=["--admin"])
    ng = Nginx(ctx, "ng", port=ports["ng"], files={"index.html": b"hello\n"})
    node = start_script(ctx, "node", NODE, js, ports["node"])
    node_other = start_script(ctx, "node-other", NODE, js_other, ports["node_other"])
    obi = obi_with_yaml(ctx, """
discovery:
  instrument:
    - exe_path: '%s/python3*'
    - open_ports: %d,%d
    - cmd_args: '*/srv-selected.js*'
    - cmd_args: '*%s*'
  exclude_instrument:
    - cmd_args: '* --admin*'
""" % (pydir, ports["ng"], ports["ng_late"], js_late))
    # After obi: python (exe at exec), nginx on a selected port (at listen), nginx on another
    # port, node by its arguments.
    py_late = start_script(ctx, "py-late", py, script, ports["py_late"])
    ng_late = Nginx(ctx, "ng-late", port=ports["ng_late"], files={"index.html": b"hello\n"})
    ng_other = Nginx(ctx, "ng-other", port=ports["ng_other"], files={"index.html": b"hello\n"})
    node_late = start_script(ctx, "node-late", NODE, js_late, ports["node_late"])

    want = {py_a.pid, py_late.pid, node.pid, node_late.pid, ng.master, ng_late.master}
    want |= set(ng.workers) | set(ng_late.workers)
    never = {py_admin.pid, node_other.pid, ng_other.master} | set(ng_other.workers)
    for pid in sorted(want):
        obi.wait_instrumented(pid, timeout=10)
    for name, port in ports.items():
        check(get("http://127.0.0.1:%d/" % port) == "200", "%s answered non-200" % name)
    selected_ports = [ports[k] for k in ("py", "py_late", "ng", "ng_late", "node", "node_late")]
    for port in selected_ports:
        expect_exact(obi, server_spans(port), 1, what="spans of port %d" % port)
    got = instrumented_pids(obi)
    check(not (got & never), "instrumented although not selected or excluded: %s (py-admin %d, "
          "node-other %d, nginx-other %s)" % (sorted(got & never), py_admin.pid, node_other.pid,
                                              [ng_other.master] + ng_other.workers))
    extra = got - want
    check(not extra, "instrumented beyond the expected processes: %s" % sorted(extra))
    for k in ("py_admin", "ng_other", "node_other"):
        check(not [s for s in obi.spans() if s["attributes"].get("server.port") == ports[k]],
              "spans of the unselected %s" % k)
    check_obi_alive(obi)


def t_discovery_service_identity(ctx):
    """service.name: the selector's name beats the target's OTEL_SERVICE_NAME, which beats the
    executable's name; telemetry.sdk.language from the detected language."""
    pydir, py = private_python(ctx)
    script = write_file(ctx, "pysrv", "srv.py", PY_SRV)
    js = write_file(ctx, "nodesrv", "srv-ident.js", NODE_SRV)
    p_named, p_env, p_node, p_go, p_ng = (free_port() for _ in range(5))
    named = start_script(ctx, "py-named", py, script, p_named,
                         env={"OTEL_SERVICE_NAME": "from-env-a"})
    env_named = start_script(ctx, "py-env", py, script, p_env,
                             env={"OTEL_SERVICE_NAME": "from-env-b",
                                  "OTEL_SERVICE_NAMESPACE": "env-ns"})
    node = start_script(ctx, "node", NODE, js, p_node)
    go_d = ctx.tmpdir("go")
    go = ctx.spawn([go_server_binary(), "127.0.0.1:%d" % p_go, os.path.join(go_d, "log")], "go")
    check(wait_until(lambda: go.poll() is not None or is_listening(p_go), 15) and
          go.poll() is None, "Go server did not start")
    ng = Nginx(ctx, "ng", port=p_ng, files={"index.html": b"hello\n"})
    obi = obi_with_yaml(ctx, """
discovery:
  instrument:
    - open_ports: %d
      name: selector-name
      namespace: selector-ns
    - exe_path: '%s/python3*'
    - cmd_args: '*/srv-ident.js*'
    - open_ports: %d,%d
""" % (p_named, pydir, p_go, p_ng), env={"OTEL_SERVICE_NAME": "global-name"})
    for pid in (named.pid, env_named.pid, node.pid, go.pid, ng.master):
        obi.wait_instrumented(pid, timeout=10)
    for port in (p_named, p_env, p_node, p_go, p_ng):
        get("http://127.0.0.1:%d/" % port)
    spans = []
    for port in (p_named, p_env, p_node, p_go, p_ng):
        spans += expect_exact(obi, server_spans(port), 1, what="spans of port %d" % port)
    by = {s["attributes"]["server.port"]: s["service"] for s in spans}
    want = {
        p_named: ("selector-name", "selector-ns", "python"),
        p_env: ("from-env-b", "env-ns", "python"),
        p_node: ("node", "", "nodejs"),
        p_go: ("goserver", "", "go"),
        p_ng: ("nginx", "", "generic"),
    }
    for port, (name, ns, lang) in want.items():
        svc = by[port]
        check((svc["name"], svc["namespace"], svc["sdkLanguage"]) == (name, ns, lang),
              "port %d: service %r, want name %r namespace %r language %r" % (
                  port, svc, name, ns, lang))
        check(svc["instanceId"].endswith(":%d" % svc["pid"]), "instanceId %r" % svc["instanceId"])
    # The global OTEL_SERVICE_NAME names only the OPEN_PORT / AUTO_TARGET_EXE criteria.
    check("global-name" not in [s["name"] for s in by.values()], "global name applied to a "
          "discovery.instrument selector")


TESTS = [
    ("discovery_selectors", t_discovery_selectors, ("socket", "compat")),
    ("discovery_service_identity", t_discovery_service_identity, ("socket",)),
]
