#!/usr/bin/env python3
"""tests/k8s/k8sworld.py: Kubernetes objects (as the API server serialises them) for the
fixtures, the API stand-in and the benchmark: a small hand-made world and generated big ones.

  python3 tests/k8s/k8sworld.py fixtures DIR      writes DIR/{pods,replicasets,jobs,services,nodes}.json
"""
import hashlib
import json
import sys

CREATED = "2026-02-06T15:28:19Z"


def cid(seed):
    """A 64-hex container id, stable for a seed."""
    return hashlib.sha256(seed.encode()).hexdigest()


def uid(seed):
    h = hashlib.md5(seed.encode()).hexdigest()
    return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def meta(name, ns, rv, owners=(), labels=None, annotations=None, created=CREATED):
    m = {"name": name, "uid": uid(f"{ns}/{name}"), "resourceVersion": str(rv),
         "creationTimestamp": created}
    if ns is not None:
        m["namespace"] = ns
    if owners:
        m["ownerReferences"] = [
            {"apiVersion": av, "kind": k, "name": n, "uid": uid(f"{ns}/{k}/{n}"),
             "controller": True, "blockOwnerDeletion": True} for av, k, n in owners]
    if labels:
        m["labels"] = labels
    if annotations:
        m["annotations"] = annotations
    return m


def pod(name, ns, rv, node, ip, containers, owners=(), labels=None, annotations=None,
        env=None, init=(), host_network=False, runtime="containerd"):
    """containers: names; env: {container: [{name, value}]}; ids from cid(ns/name/container)."""
    env = env or {}
    spec = {"nodeName": node, "containers": [
        dict({"name": c, "image": "registry.example/app:1"},
             **({"env": env[c]} if c in env else {})) for c in containers]}
    if init:
        spec["initContainers"] = [{"name": c, "image": "registry.example/init:1"} for c in init]
    if host_network:
        spec["hostNetwork"] = True
    host_ip = "10.0.0.1"

    def status(c):
        return {"name": c, "containerID": f"{runtime}://{cid(f'{ns}/{name}/{c}')}",
                "image": "registry.example/app:1", "imageID": "", "ready": True,
                "restartCount": 0, "started": True,
                "state": {"running": {"startedAt": CREATED}}}
    pod_ip = host_ip if host_network else ip
    st = {"phase": "Running", "hostIP": host_ip, "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
          "startTime": "2026-02-06T15:28:21Z",
          "containerStatuses": [status(c) for c in containers]}
    if init:
        st["initContainerStatuses"] = [status(c) for c in init]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": meta(name, ns, rv, owners, labels, annotations),
            "spec": spec, "status": st}


def replicaset(name, ns, rv, deployment=None):
    owners = [("apps/v1", "Deployment", deployment)] if deployment else []
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta(name, ns, rv, owners),
            "spec": {"selector": {"matchLabels": {"app": name}}}}


def job(name, ns, rv, cronjob=None):
    owners = [("batch/v1", "CronJob", cronjob)] if cronjob else []
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta(name, ns, rv, owners),
            "spec": {"template": {"spec": {"containers": [{"name": "j", "image": "x"}],
                                           "restartPolicy": "Never"}}}}


def service(name, ns, rv, ip):
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns, rv),
            "spec": {"clusterIP": ip, "clusterIPs": [ip], "type": "ClusterIP",
                     "ports": [{"port": 80, "protocol": "TCP"}]}}


def node(name, rv, ip, labels=None):
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta(name, None, rv, labels=labels),
            "spec": {}, "status": {"addresses": [{"type": "InternalIP", "address": ip},
                                                 {"type": "Hostname", "address": name}]}}


def small_world():
    """Every owner kind once, plus the traps of OBI's name guess."""
    ns = "shop"
    pods = [
        pod("web-5d8f9c7b6-x2x4z", ns, 101, "node-a", "10.1.0.11", ["web", "istio-proxy"],
            owners=[("apps/v1", "ReplicaSet", "web-5d8f9c7b6")],
            labels={"app.kubernetes.io/name": "storefront", "app.kubernetes.io/part-of": "shop-suite",
                    "app.kubernetes.io/version": "1.4.2", "pod-template-hash": "5d8f9c7b6"},
            init=["migrate"]),
        pod("db-0", ns, 102, "node-a", "10.1.0.12", ["postgres"],
            owners=[("apps/v1", "StatefulSet", "db")],
            annotations={"resource.opentelemetry.io/service.name": "orders-db",
                         "resource.opentelemetry.io/deployment.environment": "prod",
                         "kubectl.kubernetes.io/last-applied-configuration": "{}"}),
        pod("agent-7kq2p", ns, 103, "node-b", "10.1.0.13", ["agent"],
            owners=[("apps/v1", "DaemonSet", "agent")], runtime="cri-o",
            env={"agent": [{"name": "OTEL_SERVICE_NAME", "value": "node-agent"},
                           {"name": "OTEL_RESOURCE_ATTRIBUTES",
                            "value": "service.namespace=infra,team=core"}]}),
        pod("report-28461600-abcde", ns, 104, "node-b", "10.1.0.14", ["report"],
            owners=[("batch/v1", "Job", "report-28461600")],
            env={"report": [{"name": "OTEL_SERVICE_NAME", "value": "$(SVC)"}]}),
        pod("my-job-zzzzz", ns, 105, "node-b", "10.1.0.15", ["work"],
            owners=[("batch/v1", "Job", "my-job")], runtime="docker"),
        pod("lonely", ns, 106, "node-a", "10.1.0.16", ["main"]),
        pod("solo-rs-abcde", ns, 107, "node-a", "10.1.0.17", ["main"],
            owners=[("apps/v1", "ReplicaSet", "solo-rs")]),
        pod("hostnet-xyz", "kube-system", 108, "node-a", "10.0.0.1", ["proxy"],
            owners=[("apps/v1", "DaemonSet", "kube-proxy")], host_network=True),
    ]
    rss = [replicaset("web-5d8f9c7b6", ns, 201, deployment="web"),
           replicaset("solo-rs", ns, 202)]
    jobs = [job("report-28461600", ns, 301, cronjob="report"), job("my-job", ns, 302)]
    svcs = [service("web", ns, 401, "10.96.0.20"), service("db", ns, 402, "10.96.0.21")]
    nodes = [node("node-a", 501, "10.0.0.1",
                  labels={"topology.kubernetes.io/zone": "z1",
                          "alpha.eksctl.io/cluster-name": "eks-lab"}),
             node("node-b", 502, "10.0.0.2")]
    return {"pods": pods, "replicasets": rss, "jobs": jobs, "services": svcs, "nodes": nodes}


def bench_world(n_pods, n_svcs, n_nodes):
    """A cluster of n_pods pods (Deployments of 10 replicas, some StatefulSets and DaemonSets),
    n_svcs services and n_nodes nodes, objects as heavy as real ones (managedFields, probes,
    resources, many labels): what the client must reduce while parsing."""
    nodes = [f"node-{i:04d}" for i in range(max(n_nodes, 1))]
    rv = 2000
    for i, n in enumerate(nodes):
        rv += 1
        yield "nodes", node(n, rv, f"10.0.{i // 250}.{i % 250 + 1}",
                            labels={"topology.kubernetes.io/zone": f"z{i % 3}",
                                    "kubernetes.io/hostname": n})
    for i in range(n_svcs):
        rv += 1
        yield "services", service(f"svc-{i:05d}", f"ns-{i % 50:02d}", rv,
                                  f"10.96.{i // 250}.{i % 250 + 1}")
    for d in range((n_pods + 9) // 10):
        ns = f"ns-{d % 50:02d}"
        rv += 1
        yield "replicasets", replicaset(f"app-{d:05d}-7c9d8f6b5", ns, rv,
                                        deployment=f"app-{d:05d}")
    for i in range(n_pods):
        d = i // 10
        ns = f"ns-{d % 50:02d}"
        name = f"app-{d:05d}-7c9d8f6b5-{i % 10:05d}"
        rv += 1
        p = pod(name, ns, rv, nodes[i % len(nodes)],
                f"10.{64 + i // 65000}.{(i // 250) % 260 % 256}.{i % 250 + 1}",
                ["app", "sidecar"], owners=[("apps/v1", "ReplicaSet", f"app-{d:05d}-7c9d8f6b5")],
                labels={"app.kubernetes.io/name": f"app-{d:05d}",
                        "app.kubernetes.io/part-of": f"suite-{d % 20}",
                        "app.kubernetes.io/version": "2.3.1", "pod-template-hash": "7c9d8f6b5",
                        "team": f"team-{d % 7}", "tier": "backend"},
                annotations={"kubectl.kubernetes.io/restartedAt": CREATED,
                             "prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
                env={"app": [{"name": "LOG_LEVEL", "value": "info"},
                             {"name": "OTEL_RESOURCE_ATTRIBUTES",
                              "value": f"deployment.environment=prod,team=team-{d % 7}"}]})
        for c in p["spec"]["containers"]:
            c["resources"] = {"requests": {"cpu": "100m", "memory": "128Mi"},
                              "limits": {"memory": "256Mi"}}
            c["ports"] = [{"containerPort": 8080, "name": "http", "protocol": "TCP"}]
            c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080},
                                   "periodSeconds": 10}
            c["volumeMounts"] = [{"name": "kube-api-access-x", "readOnly": True,
                                  "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
        p["metadata"]["managedFields"] = [{
            "manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
            "time": CREATED, "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {f"f:{k}": {} for k in p["metadata"]["labels"]}},
                         "f:spec": {"f:containers": {'k:{"name":"app"}': {
                             ".": {}, "f:image": {}, "f:name": {}, "f:ports": {}}}}}}]
        p["status"]["conditions"] = [{"type": t, "status": "True", "lastTransitionTime": CREATED,
                                      "lastProbeTime": None}
                                     for t in ("Initialized", "Ready", "ContainersReady",
                                               "PodScheduled")]
        p["status"]["qosClass"] = "Burstable"
        yield "pods", p


LIST_KIND = {"pods": ("v1", "PodList"), "replicasets": ("apps/v1", "ReplicaSetList"),
             "jobs": ("batch/v1", "JobList"), "services": ("v1", "ServiceList"),
             "nodes": ("v1", "NodeList")}


def as_list(resource, items, rv, cont=None):
    av, kind = LIST_KIND[resource]
    m = {"resourceVersion": str(rv)}
    if cont:
        m["continue"] = cont
    return {"apiVersion": av, "kind": kind, "metadata": m, "items": items}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "fixtures":
        for res, items in small_world().items():
            with open(f"{sys.argv[2]}/{res}.json", "w") as f:
                json.dump(as_list(res, items, 1000), f, indent=1)
                f.write("\n")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
