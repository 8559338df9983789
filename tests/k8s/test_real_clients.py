#!/usr/bin/env python3
"""tests/k8s/test_real_clients.py: clients we did not write keep the stand-in honest: kubectl
and python3-kubernetes list (paginated) and watch it, and what the stand-in serves validates
against the official schemas (npm kubernetes-models).

  python3 tests/k8s/test_real_clients.py
"""
import json
import os
import shutil
import subprocess
import sys
import time

from harness import HERE, Standin, wait_for
import k8sworld as W


def kubectl(s, *args, timeout=30):
    return subprocess.run(["kubectl", "--kubeconfig", s.kubeconfig, *args], capture_output=True,
                          text=True, timeout=timeout, check=True).stdout


def t_kubectl_list_paginated(s):
    before = s.stats()["list"]
    out = json.loads(kubectl(s, "get", "pods", "-A", "-o", "json", "--chunk-size=3"))
    names = sorted(p["metadata"]["name"] for p in out["items"])
    want = sorted(p["metadata"]["name"] for p in W.small_world()["pods"])
    assert names == want, (names, want)
    assert s.stats()["list"] - before >= 3, "8 pods in pages of 3"
    ids = {p["metadata"]["name"]: p["status"]["containerStatuses"][0]["containerID"]
           for p in out["items"]}
    assert ids["web-5d8f9c7b6-x2x4z"] == "containerd://" + W.cid("shop/web-5d8f9c7b6-x2x4z/web")
    names = kubectl(s, "get", "services", "-n", "shop", "-o", "name").split()
    assert names == ["service/db", "service/web"], names
    rs = json.loads(kubectl(s, "get", "replicasets", "-n", "shop", "web-5d8f9c7b6", "-o", "json"))
    assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"


def t_kubectl_watch(s):
    before = s.stats()["watch"]
    p = subprocess.Popen(["kubectl", "--kubeconfig", s.kubeconfig, "get", "pods", "-n", "shop",
                          "--watch-only", "-o", "name"], stdout=subprocess.PIPE, text=True)
    try:
        # kubectl's watch is open (a pod added before its list would not be printed)
        wait_for(lambda: s.stats()["watch"] > before, 30, "kubectl's watch")
        s.control("upsert", {"resource": "pods", "object": W.pod(
            "kubectl-watched", "shop", 1, "node-a", "10.1.0.80", ["c"])})
        line = p.stdout.readline().strip()
        assert line == "pod/kubectl-watched", line
    finally:
        p.terminate()
        p.wait(10)


def t_python_client(s):
    out = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "py_client.py"), s.kubeconfig,
                          s.url], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    r = json.loads(out.stdout)
    assert r["pods"] >= 8 and r["pages"] >= 3, r
    assert "cri-o://" + W.cid("shop/agent-7kq2p/agent") in r["container_ids"], r
    assert sorted(r["services"]) == ["db", "web"], r
    assert r["rs_owners"] == {"web-5d8f9c7b6": ["Deployment"], "solo-rs": []}, r
    assert ["ADDED", "py-watched"] in r["watched"], r
    # the streaming list: every pod (py-watched included) as an ADDED event, then the end
    assert len(r["streamed"]["names"]) == r["pods"] + 1, r
    assert "py-watched" in r["streamed"]["names"], r
    assert r["streamed"]["end"] == {"k8s.io/initial-events-end": "true"}, r


def t_schemas(s):
    """Lists as the stand-in serves them (small world and a heavy generated one)."""
    lines = [s.get(f"/api/v1/{r}") for r in ("pods", "services", "nodes")]
    lines += [s.get("/apis/apps/v1/replicasets"), s.get("/apis/batch/v1/jobs")]
    big = Standin(world="bench:200,20,5")
    try:
        lines += [big.get("/api/v1/pods?limit=100"), big.get("/api/v1/nodes")]
    finally:
        big.close()
    out = subprocess.run(["node", os.path.join(HERE, "validate.mjs")], input="\n".join(lines),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout)
    assert r["validated"] >= 8 + 2 + 2 + 2 + 2 + 100 + 5, r
    out = subprocess.run(["node", os.path.join(HERE, "validate.mjs")] +
                         [os.path.join(HERE, "fixtures", f) for f in
                          sorted(os.listdir(os.path.join(HERE, "fixtures")))],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-3000:]


TESTS = [("kubectl_list_paginated", t_kubectl_list_paginated), ("kubectl_watch", t_kubectl_watch),
         ("python_client", t_python_client), ("schemas", t_schemas)]


def main():
    if not shutil.which("kubectl"):
        print("FAIL k8s/real-clients: kubectl missing (make deps)")
        return 1
    fails = 0
    for name, fn in TESTS:
        s = Standin()
        t0 = time.monotonic()
        try:
            fn(s)
            print(f"PASS k8s/{name} ({time.monotonic() - t0:.1f}s)", flush=True)
        except Exception as e:  # noqa: BLE001
            fails += 1
            print(f"FAIL k8s/{name}: {type(e).__name__}: {e}", flush=True)
        finally:
            s.close()
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
