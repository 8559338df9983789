"""tests/e2e/cases_k8s.py: Kubernetes decoration end to end: a real server in a cgroup named as
containerd names a pod's container, the API stand-in of tests/k8s serving that pod, real eBPF,
and the k8s.* resource attributes on the spans and metrics the OTLP receiver decodes."""
import os
import sys

from e2e import *  # noqa: F401,F403
from cases_export import Receiver, attrs, export_env, start_obi

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "k8s"))
import harness  # noqa: E402
import k8sworld  # noqa: E402

POD, NS, CTR = "web-5d8f9c7b6-x2x4z", "shop", "web"


class PodCgroup:
    """A cgroup at containerd's cgroupfs path of the pod's container; the pid is moved in."""

    def __init__(self, pid, pod_uid, container_id):
        rel = "kubepods/besteffort/pod%s/%s" % (pod_uid, container_id)
        if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            base = "/sys/fs/cgroup"  # v2: one hierarchy
        else:
            base = "/sys/fs/cgroup/pids"  # v1: any one controller names the container
        self.base, self.path = base, os.path.join(base, rel)
        os.makedirs(self.path, exist_ok=True)
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def close(self):
        try:
            with open(os.path.join(self.path, "cgroup.procs")) as f:
                pids = f.read().split()
            for p in pids:
                with open(os.path.join(self.base, "cgroup.procs"), "w") as f:
                    f.write(p)
        except OSError:
            pass
        d = self.path
        while d != self.base:
            try:
                os.rmdir(d)
            except OSError:
                break
            d = os.path.dirname(d)


def _readable(st):
    # The enricher reads the token and CA as its own uid after the sandbox (rotation, TLS).
    for d in (st.dir, harness.certs()):
        os.chmod(d, 0o755)
        for f in os.listdir(d):
            os.chmod(os.path.join(d, f), 0o644)


def t_k8s_decoration(ctx):
    """A Deployment's pod: every k8s.* attribute of its container, its service name from the
    app.kubernetes.io/name label, service.instance.id namespace.pod.container, on exported
    spans and on the RED metrics' resource."""
    world = k8sworld.small_world()
    pod = [p for p in world["pods"] if p["metadata"]["name"] == POD][0]
    cid = k8sworld.cid("%s/%s/%s" % (NS, POD, CTR))
    st = harness.Standin()
    cg = None
    try:
        _readable(st)
        cg = _decoration(ctx, st, world, pod, cid)
    finally:
        if cg:
            cg.close()
        st.close()


def _decoration(ctx, st, world, pod, cid):
    rcv = Receiver(ctx)
    srv, port, _ = start_python_server(ctx, "py")
    cg = PodCgroup(srv.pid, pod["metadata"]["uid"], cid)
    obi = start_obi(ctx, srv, port, export_env(
        "http://127.0.0.1:%d" % rcv.port, KUBECONFIG=st.kubeconfig,
        OTEL_EBPF_KUBE_METADATA_ENABLE="true", OTEL_EBPF_METRICS_INTERVAL="500ms",
        NODE_NAME="node-a"))

    def decorated():
        check(get("http://127.0.0.1:%d/warm" % port) == "404", "request")
        return any(res.get("k8s.pod.name") for res, _, _ in rcv.spans())
    # The cache syncs in the background: spans before it are undecorated, then decorated.
    check(wait_until(decorated, 30, interval=0.3), "no decorated span: %s" %
          "\n".join(l for l in obi.stderr().split("\n") if "enricher" in l)[-1500:])
    n = 10
    for i in range(n):
        check(get("http://127.0.0.1:%d/k/%d" % (port, i)) == "404", "request %d" % i)

    def ours():
        # Counted by path: a warm-up span still in a batch may arrive after these requests.
        return [res for res, sp, _ in rcv.spans()
                if attrs(sp.get("attributes")).get("url.path", "").startswith("/k/")]
    wait_until(lambda: len(ours()) >= n, 20, interval=0.1)
    time.sleep(0.5)
    got = ours()
    check(len(got) == n, "%d of %d spans exported" % (len(got), n))
    want = {"k8s.namespace.name": NS, "k8s.pod.name": POD, "k8s.container.name": CTR,
            "k8s.deployment.name": "web", "k8s.replicaset.name": "web-5d8f9c7b6",
            "k8s.node.name": "node-a", "k8s.pod.uid": pod["metadata"]["uid"],
            "k8s.pod.start_time": "2026-02-06 15:28:19 +0000 UTC",
            "service.name": "storefront", "service.instance.id": "%s.%s.%s" % (NS, POD, CTR)}
    for res in got:
        bad = {k: (res.get(k), v) for k, v in want.items() if res.get(k) != v}
        check(not bad, "resource attributes (got, want): %r\nresource: %r" % (bad, res))
        check(res.get("process.pid") == srv.pid, "process.pid %r" % res.get("process.pid"))
    ctx.note("resource: %s" % ", ".join("%s=%s" % (k, got[0][k]) for k in sorted(got[0])
                                          if k.startswith("k8s.")))

    def metric_resources():
        out = []
        for ln in rcv.lines():
            for rm in (ln.get("request") or {}).get("resourceMetrics") or []:
                out.append(attrs((rm.get("resource") or {}).get("attributes")))
        return out
    check(wait_until(lambda: any(r.get("k8s.pod.name") == POD for r in metric_resources()), 10,
                     interval=0.2), "no metrics with the pod's resource")
    obi.stop()
    return cg


TESTS = [
    ("k8s_decoration", t_k8s_decoration, ("socket",)),
]
