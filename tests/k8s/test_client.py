#!/usr/bin/env python3
"""tests/k8s/test_client.py: obi's Kubernetes client (build/tests/k8s-tool) against the stand-in.

  python3 tests/k8s/test_client.py BUILD_DIR [-k NAME]
"""
import base64
import json
import sys
import time

from harness import Standin, Tool, certs, wait_for
import k8sworld as W

NS = "shop"


def cg_systemd(ns, pod, ctr, runtime="cri-containerd"):
    """/proc/PID/cgroup of a container as containerd's systemd driver names it (cgroup v2)."""
    return (f"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
            f"{W.uid(ns + '/' + pod).replace('-', '_')}.slice/{runtime}-{W.cid(f'{ns}/{pod}/{ctr}')}.scope")


def cg_cgroupfs(ns, pod, ctr):
    return f"0::/kubepods/besteffort/pod{W.uid(ns + '/' + pod)}/{W.cid(f'{ns}/{pod}/{ctr}')}"


def expect(got, want, absent=()):
    for k, v in want.items():
        if got.get(k) != v:
            raise AssertionError(f"{k}: got {got.get(k)!r}, want {v!r}\nall: {got}")
    for k in absent:
        if k in got:
            raise AssertionError(f"{k} should be absent: {got}")


OWNER_KEYS = ("k8s.deployment.name", "k8s.replicaset.name", "k8s.statefulset.name",
              "k8s.daemonset.name", "k8s.job.name", "k8s.cronjob.name")


def only(*keys):
    return [k for k in OWNER_KEYS if k not in keys]


def t_sync_every_owner(build):
    s = Standin()
    try:
        t = Tool(build, s)
        expect(t.ask("cgroup " + cg_systemd(NS, "web-5d8f9c7b6-x2x4z", "web")), {
            "k8s.namespace.name": NS, "k8s.pod.name": "web-5d8f9c7b6-x2x4z",
            "k8s.container.name": "web", "k8s.node.name": "node-a",
            "k8s.pod.uid": W.uid(NS + "/web-5d8f9c7b6-x2x4z"),
            "k8s.pod.start_time": "2026-02-06 15:28:19 +0000 UTC",
            "k8s.deployment.name": "web", "k8s.replicaset.name": "web-5d8f9c7b6",
            "k8s.owner.name": "web", "service.name": "storefront",
            "service.namespace": "shop-suite",
            "service.instance.id": "shop.web-5d8f9c7b6-x2x4z.web"},
            only("k8s.deployment.name", "k8s.replicaset.name"))
        expect(t.ask("cgroup " + cg_cgroupfs(NS, "db-0", "postgres")), {
            "k8s.statefulset.name": "db", "k8s.owner.name": "db", "service.name": "orders-db",
            "deployment.environment": "prod"}, only("k8s.statefulset.name"))
        expect(t.ask("cgroup " + cg_systemd(NS, "agent-7kq2p", "agent", "crio")), {
            "k8s.daemonset.name": "agent", "service.name": "node-agent",
            "service.namespace": "infra"}, only("k8s.daemonset.name"))
        expect(t.ask("cgroup " + cg_systemd(NS, "report-28461600-abcde", "report", "docker")), {
            "k8s.job.name": "report-28461600", "k8s.cronjob.name": "report",
            "k8s.owner.name": "report"}, only("k8s.job.name", "k8s.cronjob.name"))
        expect(t.ask("cgroup " + cg_cgroupfs(NS, "my-job-zzzzz", "work")), {
            "k8s.job.name": "my-job", "k8s.owner.name": "my-job"}, only("k8s.job.name"))
        expect(t.ask("cgroup " + cg_cgroupfs(NS, "lonely", "main")), {
            "k8s.owner.name": "lonely", "service.name": "lonely"}, only())
        expect(t.ask("ip 10.96.0.21"), {"kind": "Service", "name": "db", "namespace": NS})
        expect(t.ask("ip 10.1.0.11"), {"kind": "Pod", "name": "web-5d8f9c7b6-x2x4z",
                                       "service": "storefront"})
        expect(t.ask("ip 10.0.0.2"), {"kind": "Node", "name": "node-b"})
        st = t.ask("stats")
        assert st["pods"] == 8 and st["errors"] == 0 and st["bad_json"] == 0, st
        t.close()
    finally:
        s.close()


def new_pod(name, ip, rv=1):
    return W.pod(name, NS, rv, "node-a", ip, ["app"],
                 owners=[("apps/v1", "ReplicaSet", "web-5d8f9c7b6")])


def t_pod_added_then_deleted(build):
    s = Standin()
    try:
        t = Tool(build, s)
        cg = cg_cgroupfs(NS, "late-1", "app")
        assert t.ask("cgroup " + cg).get("pod", 0) is None  # the process came first
        s.control("upsert", {"resource": "pods", "object": new_pod("late-1", "10.1.0.99")})
        got = wait_for(lambda: t.ask("cgroup " + cg).get("k8s.pod.name"), 10, "the late pod")
        assert got == "late-1"
        expect(t.ask("ip 10.1.0.99"), {"kind": "Pod", "name": "late-1"})
        s.control("delete", {"resource": "pods", "namespace": NS, "name": "late-1"})
        wait_for(lambda: t.ask("ip 10.1.0.99").get("kind", 0) is None, 10, "the IP to go")
        # the deleted pod's processes keep their decoration for their last records
        expect(t.ask("cgroup " + cg), {"k8s.pod.name": "late-1"})
        t.close()
    finally:
        s.close()


def t_tree_past_arena(build):
    """A pod whose cJSON tree is far larger than the parse arena (k8s_arena.c, 256 KiB): its
    tree continues in malloc and is freed node by node (LeakSanitizer at the tool's exit), the
    annotation kept after 20,000 unkept ones is read, and the pods after it are intact."""
    s = Standin()
    try:
        t = Tool(build, s)
        ann = {f"example.com/filler-{i:05d}": "v" * 8 for i in range(20000)}
        ann["resource.opentelemetry.io/deployment.environment"] = "huge"
        big = W.pod("big-1", NS, 1, "node-a", "10.1.0.95", ["app"],
                    owners=[("apps/v1", "ReplicaSet", "web-5d8f9c7b6")], annotations=ann)
        assert len(json.dumps(big)) > 600000  # ~20,000 nodes of 64 bytes in the tree
        s.control("upsert", {"resource": "pods", "object": big})
        s.control("upsert", {"resource": "pods", "object": new_pod("after-big", "10.1.0.94")})
        wait_for(lambda: t.ask("ip 10.1.0.94").get("name"), 10, "the pod after the big one")
        expect(t.ask("cgroup " + cg_cgroupfs(NS, "big-1", "app")),
               {"k8s.pod.name": "big-1", "deployment.environment": "huge"})
        expect(t.ask("ip 10.1.0.95"), {"kind": "Pod", "name": "big-1"})
        assert t.ask("stats")["bad_json"] == 0
        t.close()
    finally:
        s.close()


def t_gone_410_mid_watch(build):
    s = Standin(bookmark=0.2)
    try:
        t = Tool(build, s)
        s.control("compact", {"drop": [{"resource": "pods", "namespace": NS, "name": "lonely"}]})
        # the next watch round gets the ERROR 410 event and relists
        wait_for(lambda: t.ask("stats")["relists"] >= 1, 15, "a relist after 410")
        s.control("upsert", {"resource": "pods", "object": new_pod("after-410", "10.1.0.98")})
        wait_for(lambda: t.ask("cgroup " + cg_cgroupfs(NS, "after-410", "app"))
                 .get("k8s.pod.name"), 10, "a pod after the relist")
        # a pod deleted unseen (no DELETED event) is gone after the relist: its IP first
        wait_for(lambda: t.ask("ip 10.1.0.16").get("kind", 0) is None, 10, "the dropped pod")
        expect(t.ask("ip 10.1.0.11"), {"kind": "Pod"})  # the others stay
        assert s.stats()["gone"] >= 1
        t.close()
    finally:
        s.close()


def t_token_rotated(build):
    """The kubelet rotates the projected token: the API server accepts the old one until it
    expires, so a rotation never refuses a request; the client must still move to the new one."""
    s = Standin()
    try:
        t = Tool(build, s)
        s.write_token("token-1\ntoken-2", client=False)  # the new token is valid first...
        s.write_token("token-2", server=False)  # ...then the kubelet writes it into the pod
        before = s.stats()["tokens"].get("token-2", 0)
        s.control("cut")  # the open watches die mid-object: reconnect, now with the new token
        s.control("upsert", {"resource": "pods", "object": new_pod("rotated", "10.1.0.97")})
        wait_for(lambda: t.ask("cgroup " + cg_cgroupfs(NS, "rotated", "app"))
                 .get("k8s.pod.name"), 15, "a pod seen after the rotation")
        assert s.stats()["tokens"].get("token-2", 0) > before, s.stats()
        s.write_token("token-2", client=False)  # the old token expired
        s.control("cut")
        s.control("upsert", {"resource": "pods", "object": new_pod("expired", "10.1.0.98")})
        wait_for(lambda: t.ask("cgroup " + cg_cgroupfs(NS, "expired", "app"))
                 .get("k8s.pod.name"), 15, "a pod seen once the old token expired")
        assert s.stats()["denied"] == 0, s.stats()
        t.close()
    finally:
        s.close()


def t_faults_recover(build):
    s = Standin()
    try:
        s.control("fail", {"prefix": "/api/v1/pods", "code": 500, "count": 2})
        s.control("fail", {"prefix": "/api/v1/services", "code": 429, "count": 1,
                           "retry_after": 1})
        start = time.monotonic()
        t = Tool(build, s)
        st = t.ask("stats")
        assert st["errors"] >= 3 and st["pods"] == 8, st
        assert time.monotonic() - start >= 0.9, "Retry-After: 1 honoured"
        expect(t.ask("ip 10.96.0.20"), {"kind": "Service", "name": "web"})
        s.control("cut")
        s.control("upsert", {"resource": "pods", "object": new_pod("after-cut", "10.1.0.96")})
        wait_for(lambda: t.ask("cgroup " + cg_cgroupfs(NS, "after-cut", "app"))
                 .get("k8s.pod.name"), 15, "a pod after a stream cut mid-object")
        t.close()
    finally:
        s.close()


def t_rbac_denied_replicasets(build):
    """403 on replicasets: the RBAC hint is logged and OBI's name guess takes over."""
    s = Standin()
    try:
        s.control("fail", {"prefix": "/apis/apps/v1/replicasets", "code": 403, "count": 1000})
        t = Tool(build, s, {"OTEL_EBPF_KUBE_INFORMERS_SYNC_TIMEOUT": "1s"})
        expect(t.ask("cgroup " + cg_systemd(NS, "web-5d8f9c7b6-x2x4z", "web")),
               {"k8s.deployment.name": "web", "k8s.replicaset.name": "web-5d8f9c7b6"})
        expect(t.ask("cgroup " + cg_cgroupfs(NS, "solo-rs-abcde", "main")),
               {"k8s.deployment.name": "solo"})  # the guess's known weakness, only now
        logs = t.logs()
        assert 'RBAC verb "list" on "replicasets"' in logs, logs
        assert "partial metadata" in logs, logs
        assert "token-1" not in logs  # the secret is never logged
        t.close()
    finally:
        s.close()


def t_unauthorized_then_fixed(build):
    s = Standin()
    try:
        s.write_token("wrong", server=False)
        t = Tool(build, s, {"OTEL_EBPF_KUBE_INFORMERS_SYNC_TIMEOUT": "1s"})
        assert t.ask("stats")["pods"] == 0
        assert "token refused" in t.logs()
        s.write_token("token-1", server=False)
        wait_for(lambda: t.ask("stats")["pods"] == 8, 30, "the pods once the token is right")
        t.close()
    finally:
        s.close()


def t_restrict_local_node(build):
    s = Standin()
    try:
        t = Tool(build, s, {"OTEL_EBPF_KUBE_META_RESTRICT_LOCAL_NODE": "true",
                            "NODE_NAME": "node-b"})
        st = t.ask("stats")
        assert st["pods"] == 3, st  # agent, report, my-job
        assert t.ask("cgroup " + cg_cgroupfs(NS, "lonely", "main")).get("pod", 0) is None
        expect(t.ask("cgroup " + cg_cgroupfs(NS, "my-job-zzzzz", "work")),
               {"k8s.node.name": "node-b"})
        t.close()
    finally:
        s.close()


def t_pagination(build):
    """More pods than a page (500): several pages with continue tokens, all cached (a server
    without the streaming list)."""
    s = Standin(world="bench:1200,10,3", watch_list="refuse")
    try:
        t = Tool(build, s)
        st = t.ask("stats")
        assert st["pods"] == 1200, st
        assert s.stats()["list"] >= 3 + 4, s.stats()  # 3 pod pages + the other kinds
        t.close()
    finally:
        s.close()


def t_streaming_list(build):
    """The streaming list (sendInitialEvents): no paginated list at all; the bookmark closing the
    initial events syncs; the same stream then carries the watch; a pod deleted while the
    client was away is gone after the streaming relist of a 410."""
    s = Standin(world="bench:1200,10,3", bookmark=0.2)
    try:
        t = Tool(build, s)
        st = t.ask("stats")
        assert st["pods"] == 1200, st
        ss = s.stats()
        assert ss["list"] == 0 and ss["watchlist"] >= 5, ss  # every kind streamed
        cid = W.cid("ns-00/app-00000-7c9d8f6b5-00000/app")
        expect(t.ask("container " + cid), {"k8s.namespace.name": "ns-00"})
        watches = s.stats()["watch"]
        s.control("upsert", {"resource": "pods", "object": new_pod("streamed", "10.1.0.97")})
        wait_for(lambda: t.ask("ip 10.1.0.97").get("name"), 10, "a pod after the sync")
        assert s.stats()["watch"] == watches, "the initial events' stream goes on as the watch"
        s.control("compact", {"drop": [{"resource": "pods", "namespace": NS, "name": "streamed"}]})
        wait_for(lambda: t.ask("stats")["relists"] >= 1, 15, "a relist after 410")
        wait_for(lambda: t.ask("ip 10.1.0.97").get("kind", 0) is None, 10, "the dropped pod")
        assert s.stats()["list"] == 0, s.stats()
        assert s.stats()["watchlist"] >= 6, s.stats()  # the relist streamed too
        expect(t.ask("container " + cid), {"k8s.namespace.name": "ns-00"})
        t.close()
    finally:
        s.close()


def t_streaming_refused(build):
    """A server without the WatchList feature answers 422: paginated lists, then the watch."""
    s = Standin(watch_list="refuse")
    try:
        t = Tool(build, s)
        expect(t.ask("cgroup " + cg_systemd(NS, "web-5d8f9c7b6-x2x4z", "web")),
               {"k8s.pod.name": "web-5d8f9c7b6-x2x4z", "k8s.deployment.name": "web"})
        ss = s.stats()
        assert ss["watchlist_refused"] >= 5 and ss["list"] >= 5 and ss["watchlist"] == 0, ss
        s.control("upsert", {"resource": "pods", "object": new_pod("late-2", "10.1.0.96")})
        wait_for(lambda: t.ask("ip 10.1.0.96").get("name"), 10, "a pod after the sync")
        t.close()
    finally:
        s.close()


def t_streaming_ignored(build):
    """A server older than the streaming list ignores its parameters (a plain watch: ADDED
    events, bookmarks without the end annotation): the client falls back to lists."""
    s = Standin(watch_list="ignore", bookmark=0.2)
    try:
        t = Tool(build, s)
        expect(t.ask("cgroup " + cg_systemd(NS, "web-5d8f9c7b6-x2x4z", "web")),
               {"k8s.pod.name": "web-5d8f9c7b6-x2x4z"})
        ss = s.stats()
        assert ss["watchlist"] >= 5 and ss["list"] >= 5, ss
        t.close()
    finally:
        s.close()


def kubeconfig(s, cluster, user):
    path = f"{s.dir}/kubeconfig-{time.monotonic_ns()}"
    with open(path, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
current-context: x
contexts:
- name: x
  context: {{cluster: c, user: u}}
clusters:
- name: c
  cluster: {{server: "{s.url}", {cluster}}}
users:
- name: u
  user: {{{user}}}
""")
    return path


def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def t_mtls_inline_data(build):
    """CA, client certificate and key inline (base64 *-data), no token: mTLS only."""
    s = Standin()
    try:
        d = certs()
        kc = kubeconfig(s, f"certificate-authority-data: {b64(d + '/ca.crt')}",
                        f"client-certificate-data: {b64(d + '/client.crt')}, "
                        f"client-key-data: {b64(d + '/client.key')}")
        t = Tool(build, s, {"KUBECONFIG": kc})
        assert t.ask("stats")["pods"] == 8
        t.close()
    finally:
        s.close()


def t_wrong_ca_refused(build):
    s = Standin()
    try:
        kc = kubeconfig(s, f"certificate-authority: {certs()}/other.crt", "tokenFile: " +
                        s.client_token)
        t = Tool(build, s, {"KUBECONFIG": kc, "OTEL_EBPF_KUBE_INFORMERS_SYNC_TIMEOUT": "1s"})
        st = t.ask("stats")
        assert st["pods"] == 0 and st["errors"] >= 1, st
        assert "SSL" in t.logs() or "certificate" in t.logs(), t.logs()
        t.close()
    finally:
        s.close()


def t_exec_plugin_refused(build):
    s = Standin()
    try:
        kc = kubeconfig(s, f"certificate-authority: {s.ca}",
                        "exec: {apiVersion: client.authentication.k8s.io/v1, "
                        "command: aws-iam-authenticator}")
        try:
            Tool(build, s, {"KUBECONFIG": kc})
            raise AssertionError("started with an exec plugin")
        except AssertionError as e:
            assert 'exec plugin "aws-iam-authenticator" is not supported' in str(e), e
    finally:
        s.close()


TESTS = [("sync_every_owner", t_sync_every_owner),
         ("pod_added_then_deleted", t_pod_added_then_deleted),
         ("tree_past_arena", t_tree_past_arena),
         ("gone_410_mid_watch", t_gone_410_mid_watch),
         ("token_rotated", t_token_rotated),
         ("faults_recover", t_faults_recover),
         ("rbac_denied_replicasets", t_rbac_denied_replicasets),
         ("unauthorized_then_fixed", t_unauthorized_then_fixed),
         ("restrict_local_node", t_restrict_local_node),
         ("pagination", t_pagination),
         ("streaming_list", t_streaming_list),
         ("streaming_refused", t_streaming_refused),
         ("streaming_ignored", t_streaming_ignored),
         ("mtls_inline_data", t_mtls_inline_data),
         ("wrong_ca_refused", t_wrong_ca_refused),
         ("exec_plugin_refused", t_exec_plugin_refused)]


def main():
    build = sys.argv[1]
    only_k = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "-k" else None
    fails = 0
    for name, fn in TESTS:
        if only_k and only_k not in name:
            continue
        t0 = time.monotonic()
        try:
            fn(build)
            print(f"PASS k8s/{name} ({time.monotonic() - t0:.1f}s)", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, the rest still run
            fails += 1
            print(f"FAIL k8s/{name}: {e}", flush=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
