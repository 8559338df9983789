"""tests/e2e/cases_k8ssel.py: Kubernetes selection end to end: real servers in cgroups named as
containerd names pod containers, the API stand-in of tests/k8s serving their pods, real eBPF;
the probe asks the enricher which pod runs a container and decides with its own selectors."""
import os
import random
import re
import sys

from e2e import *  # noqa: F401,F403
from cases_discovery import instrumented_pids, write_file
from cases_k8s import PodCgroup, _readable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "k8s"))
import harness  # noqa: E402
import k8sworld  # noqa: E402

K8S_ON = "attributes:\n  kubernetes:\n    enable: true\n"
# Namespaces of our own: other worktrees' tests run servers in the stand-in's small world pods
# (namespace shop) on this machine, and a selector by namespace would rightly select them too.
SUFFIX = "%06x" % random.randint(0, 1 << 24)
SHOP, BILLING = "shop-" + SUFFIX, "billing-" + SUFFIX


def _pod(name, ns, ctr, rv, labels=None):
    return k8sworld.pod(name, ns, rv, "node-a", "10.1.9.%d" % (rv % 250), [ctr],
                        owners=[("apps/v1", "StatefulSet", name.rsplit("-", 1)[0])],
                        labels=labels)


class World:
    """The stand-in, its extra pods, and servers placed in their pods' container cgroups."""

    def __init__(self, ctx):
        self.ctx, self.st, self.cgs, self.srv = ctx, harness.Standin(), [], {}
        _readable(self.st)

    def add_pod(self, pod):
        self.st.control("upsert", {"resource": "pods", "object": pod})

    def server(self, key, pod):
        """A python server whose cgroup names pod's first container (the pod need not exist)."""
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        ctr = pod["spec"]["containers"][0]["name"]
        srv, port, _ = start_python_server(self.ctx, key)
        self.cgs.append(PodCgroup(srv.pid, pod["metadata"]["uid"],
                                  k8sworld.cid("%s/%s/%s" % (ns, name, ctr))))
        self.srv[key] = (srv, port)
        return srv, port

    def obi(self, yaml_text):
        path = write_file(self.ctx, "cfg", "obi.yaml", K8S_ON + yaml_text)
        obi = Obi(self.ctx, {"OTEL_EBPF_CONFIG_PATH": path, "KUBECONFIG": self.st.kubeconfig,
                             "OTEL_EBPF_LOG_LEVEL": "debug", "NODE_NAME": "node-a"})
        obi.wait_ready()
        return obi

    def close(self):
        for cg in self.cgs:
            cg.close()
        self.st.close()


def _rejected(obi, pid):
    """The probe decided pid with its pod's facts known, and did not select it."""
    return re.search(r"pid %d: not selected, its pod known" % pid, obi.stderr()) is not None


def _traced(obi, port, path):
    check(get("http://127.0.0.1:%d%s" % (port, path)) == "404", "request %s" % path)
    return len(obi.wait_spans(server_spans(port), 1)) >= 1


def _only(obi, w, chosen, others, timeout=20):
    """chosen are instrumented, and each of others is decided against with its pod known."""
    for k in chosen:
        obi.wait_instrumented(w.srv[k][0].pid, timeout)
    for k in others:
        pid = w.srv[k][0].pid
        check(wait_until(lambda: _rejected(obi, pid), timeout),
              "%s (pid %d) never decided with its pod's facts:\n%s" %
              (k, pid, obi.stderr()[-2000:]))
    got = instrumented_pids(obi)
    for k in others:
        check(w.srv[k][0].pid not in got, "%s was instrumented" % k)
    for k in chosen:
        check(_traced(obi, w.srv[k][1], "/sel-%s" % k), "no span from %s" % k)


def _two_pods(w):
    web = _pod("web-0", SHOP, "web", 901, {"app": "web", "tier": "front"})
    api = _pod("api-0", BILLING, "api", 902, {"app": "api", "tier": "backend"})
    # Annotations no decoration uses (not resource.opentelemetry.io/): only a selector keeps them.
    web["metadata"].setdefault("annotations", {})["team.example.com/owner"] = "storefront"
    api["metadata"].setdefault("annotations", {})["team.example.com/owner"] = "billing-team"
    w.add_pod(web)
    w.add_pod(api)
    w.server("web", web)
    w.server("api", api)


def t_k8s_select_namespace(ctx):
    """Two servers in two pods of different namespaces: `k8s_namespace: %s" % SHOP + "` selects exactly
    the one in shop; the other is decided against once its pod is known."""
    w = World(ctx)
    try:
        _two_pods(w)
        obi = w.obi("discovery:\n  instrument:\n    - k8s_namespace: %s" % SHOP + "\n")
        _only(obi, w, ["web"], ["api"])
        obi.stop()
    finally:
        w.close()


def t_k8s_select_labels(ctx):
    """`k8s_pod_labels: {tier: 'back*'}` (a glob on a label's value) selects only the api pod."""
    w = World(ctx)
    try:
        _two_pods(w)
        obi = w.obi("discovery:\n  instrument:\n    - k8s_pod_labels: {tier: 'back*'}\n")
        _only(obi, w, ["api"], ["web"])
        obi.stop()
    finally:
        w.close()


def t_k8s_select_annotations(ctx):
    """`k8s_pod_annotations: {team.example.com/owner: 'billing*'}` selects only the api pod: the
    enricher keeps that annotation because a selector names it, and sends it to the probe."""
    w = World(ctx)
    try:
        _two_pods(w)
        obi = w.obi("discovery:\n  instrument:\n"
                    "    - k8s_pod_annotations: {team.example.com/owner: 'billing*'}\n")
        _only(obi, w, ["api"], ["web"])
        obi.stop()
    finally:
        w.close()


def t_k8s_default_exclude(ctx):
    """Every port selected, but the server in a kube-system pod is not instrumented: OBI's
    default excluded namespaces apply once Kubernetes metadata is on."""
    w = World(ctx)
    try:
        web = _pod("web-0", SHOP, "web", 901)
        sys_pod = _pod("dns-0", "kube-system", "dns", 903)
        w.add_pod(web)
        w.add_pod(sys_pod)
        w.server("web", web)
        w.server("dns", sys_pod)
        ports = ",".join(str(w.srv[k][1]) for k in ("web", "dns"))
        obi = w.obi("discovery:\n  instrument:\n    - open_ports: %s\n" % ports)
        _only(obi, w, ["web"], ["dns"])
        obi.stop()
    finally:
        w.close()


def t_k8s_pod_after_process(ctx):
    """A process running before its pod exists in the API is not selected; once the pod
    arrives the enricher announces it and the probe selects the process."""
    w = World(ctx)
    try:
        late = _pod("late-0", SHOP, "late", 904)
        srv, port = w.server("late", late)
        obi = w.obi("discovery:\n  instrument:\n    - k8s_namespace: %s" % SHOP + "\n")
        # The question was asked and answered "no such pod" (the cache has synced by then).
        check(wait_until(lambda: "running:" in obi.stderr(), 20), "probe not running")
        time.sleep(2)  # a window in which a wrong selection would show
        check(srv.pid not in instrumented_pids(obi), "selected before its pod existed")
        w.add_pod(late)
        obi.wait_instrumented(srv.pid, 20)
        check(_traced(obi, port, "/sel-late"), "no span from the late pod's server")
        obi.stop()
    finally:
        w.close()


TESTS = [
    ("k8s_select_namespace", t_k8s_select_namespace, ("socket",)),
    ("k8s_select_annotations", t_k8s_select_annotations, ("socket",)),
    ("k8s_select_labels", t_k8s_select_labels, ("socket",)),
    ("k8s_default_exclude", t_k8s_default_exclude, ("socket",)),
    ("k8s_pod_after_process", t_k8s_pod_after_process, ("socket",)),
]
