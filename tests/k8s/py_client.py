#!/usr/bin/python3
"""tests/k8s/py_client.py: the official Python client (Debian python3-kubernetes) against the
stand-in: paginated list decoded into typed models, then its watch helper from the list's
resourceVersion sees a pod added meanwhile. Prints one JSON summary line.

  /usr/bin/python3 tests/k8s/py_client.py KUBECONFIG STANDIN_URL
"""
import json
import ssl
import sys
import threading
import urllib.request

from kubernetes import client, config, watch


def main():
    kubeconfig, url = sys.argv[1], sys.argv[2]
    config.load_kube_config(config_file=kubeconfig)
    v1 = client.CoreV1Api()
    pods, cont, pages = [], None, 0
    while True:
        r = v1.list_pod_for_all_namespaces(limit=3, _continue=cont)
        pages += 1
        pods += r.items
        cont = r.metadata._continue
        if not cont:
            break
    rv = r.metadata.resource_version
    ids = sorted(s.container_id for p in pods for s in (p.status.container_statuses or []))
    svcs = [s.metadata.name for s in v1.list_service_for_all_namespaces().items]
    rss = client.AppsV1Api().list_replica_set_for_all_namespaces().items
    owners = {r.metadata.name: [o.kind for o in (r.metadata.owner_references or [])] for r in rss}

    def add_later():
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": "py-watched", "namespace": "shop", "uid": "11111111-2222-4333-a444-555555555555",
            "creationTimestamp": "2026-02-06T15:28:19Z"},
            "spec": {"containers": [{"name": "c", "image": "x"}]}}
        req = urllib.request.Request(url + "/control/upsert", method="POST",
                                     data=json.dumps({"resource": "pods", "object": obj}).encode())
        ctx = ssl.create_default_context(cafile=client.Configuration.get_default_copy().ssl_ca_cert)
        urllib.request.urlopen(req, timeout=10, context=ctx).read()

    threading.Timer(0.5, add_later).start()
    seen = []
    w = watch.Watch()
    for ev in w.stream(v1.list_pod_for_all_namespaces, resource_version=rv, timeout_seconds=5,
                       allow_watch_bookmarks=True):
        if ev["type"] in ("ADDED", "MODIFIED", "DELETED"):
            seen.append((ev["type"], ev["object"].metadata.name))
            if ev["object"].metadata.name == "py-watched":
                w.stop()
    print(json.dumps({"pods": len(pods), "pages": pages, "container_ids": ids, "services": svcs,
                      "rs_owners": owners, "watched": seen, "streamed": streaming_list(v1)}))


def streaming_list(v1):
    """The streaming list (sendInitialEvents; this client version has no parameter for it, so
    through its generic call) with each event decoded by its watch helper into typed models:
    the pods' names, then the end bookmark's annotations."""
    resp = v1.api_client.call_api(
        "/api/v1/pods", "GET", auth_settings=["BearerToken"], _preload_content=False,
        query_params=[("watch", "true"), ("sendInitialEvents", "true"),
                      ("resourceVersionMatch", "NotOlderThan"), ("allowWatchBookmarks", "true"),
                      ("timeoutSeconds", "5")])[0]
    w, names, end = watch.Watch(), [], None
    buf = b""
    for data in resp.stream(4096):
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            ev = w.unmarshal_event(line.decode(), "V1Pod")
            if ev["type"] == "ADDED":
                names.append(ev["object"].metadata.name)
            elif ev["type"] == "BOOKMARK":
                end = ev["raw_object"]["metadata"].get("annotations")
                break
        if end is not None:
            break
    resp.release_conn()
    return {"names": names, "end": end}


if __name__ == "__main__":
    main()
