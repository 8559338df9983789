#!/usr/bin/env python3
"""tests/k8s/standin.py: a Kubernetes API stand-in for the tests and the benchmark.

Serves core/v1 pods, services, nodes, apps/v1 replicasets and batch/v1 jobs as the API server
does: paginated lists (limit + opaque continue tokens, 410 once compacted), chunked watches from
a resourceVersion (history replayed, then live events), bookmarks, the streaming list
(sendInitialEvents=true: ADDED events, then the bookmark annotated k8s.io/initial-events-end), 410 ERROR events for versions
older than the compaction point, field selectors spec.nodeName / metadata.name, bearer tokens
read from a file on every request (rotation), discovery documents for kubectl, and fault
injection. Control endpoints (no auth, 127.0.0.1 only):

  POST /control/upsert    {"resource": "pods", "object": {...}}
  POST /control/delete    {"resource": "pods", "namespace": "ns", "name": "n"}
  POST /control/compact   {"drop": [{resource, namespace, name}]} forget history (older
                          watches get 410), dropping objects without DELETED events
  POST /control/fail      {"prefix": "/api/v1/pods", "code": 500, "count": 2, "retry_after": 1}
  POST /control/churn     {"resource": "pods", "count": N} N MODIFIED events (throughput)
  POST /control/cut       end every open watch stream in the middle of an object
  POST /control/watchlist {"mode": "on" | "refuse" | "ignore"} the streaming list
                          (sendInitialEvents): served (the default, as API servers with the
                          WatchList feature), refused with 422 (servers without it), or the
                          parameters ignored (servers older than 1.27: a plain watch)
  GET  /control/stats     request counts

  python3 tests/k8s/standin.py --port-file F --token-file T [--world small|bench:P,S,N] [--bookmark S]
"""
import argparse
import base64
import bisect
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8sworld  # noqa: E402

RESOURCES = {
    "pods": ("", "v1", "Pod", True), "services": ("", "v1", "Service", True),
    "nodes": ("", "v1", "Node", False), "replicasets": ("apps", "v1", "ReplicaSet", True),
    "jobs": ("batch", "v1", "Job", True),
}


class World:
    def __init__(self):
        self.lock = threading.Condition()
        self.rv = 1000
        self.objs = {r: {} for r in RESOURCES}    # resource -> key -> (rv, json text, obj)
        self.log = []                              # (rv, resource, type, text, obj)
        self.compacted = 0
        self.cut_gen = 0
        self.faults = []
        self.list_cache = (None, None)
        self.stream_cache = {}                     # (res, ns, sel) -> (rv, framed chunks)
        self.watch_list = "on"
        self.stats = {"list": 0, "watch": 0, "watchlist": 0, "watchlist_refused": 0,
                      "denied": 0, "gone": 0, "faults": 0, "tokens": {}}

    @staticmethod
    def key(obj):
        m = obj["metadata"]
        return f"{m.get('namespace', '')}/{m['name']}"

    def upsert(self, res, obj, log=True, lite=False):
        """lite: keep only what selectors and DELETED events need (benchmark worlds)."""
        with self.lock:
            self.rv += 1
            obj["metadata"]["resourceVersion"] = str(self.rv)
            k = self.key(obj)
            typ = "MODIFIED" if k in self.objs[res] else "ADDED"
            text = json.dumps(obj, separators=(",", ":"))
            if lite:
                obj = {"metadata": obj["metadata"],
                       "spec": {"nodeName": obj.get("spec", {}).get("nodeName")}}
            self.objs[res][k] = (self.rv, text, obj)
            if log:
                self.log.append((self.rv, res, typ, text, obj))
            self.lock.notify_all()

    def delete(self, res, ns, name):
        with self.lock:
            e = self.objs[res].pop(f"{ns or ''}/{name}", None)
            if e:
                self.rv += 1
                obj = e[2]
                obj["metadata"]["resourceVersion"] = str(self.rv)
                self.log.append((self.rv, res, "DELETED", json.dumps(obj), obj))
                self.lock.notify_all()
            return e is not None

    def churn(self, res, count):
        """count MODIFIED events over the existing objects of res (watch throughput)."""
        with self.lock:
            keys = list(self.objs[res])
            for i in range(count):
                k = keys[i % len(keys)]
                old_rv, text, obj = self.objs[res][k]
                self.rv += 1
                text = text.replace(f'"resourceVersion":"{old_rv}"',
                                    f'"resourceVersion":"{self.rv}"', 1)
                self.objs[res][k] = (self.rv, text, obj)
                self.log.append((self.rv, res, "MODIFIED", text, obj))
            self.lock.notify_all()

    def initial_chunks(self, res, ns, sel):
        """The ADDED events of a streaming list, framed as HTTP chunks of 500 events, built
        once per snapshot (under the lock): a benchmark measures the client, not Python
        formatting 33 MB per request. Any change bumps rv and so builds them again."""
        key = (res, ns, sel)
        hit = self.stream_cache.get(key)
        if hit and hit[0] == self.rv:
            return hit[1]
        items = sorted((k, e) for k, e in self.objs[res].items()
                       if (ns is None or e[2]["metadata"].get("namespace") == ns)
                       and matches(e[2], sel))
        chunks = []
        for i in range(0, len(items), 500):
            data = "".join('{"type":"ADDED","object":%s}\n' % e[1]
                           for _, e in items[i:i + 500]).encode()
            chunks.append(b"%x\r\n" % len(data) + data + b"\r\n")
        self.stream_cache[key] = (self.rv, chunks)
        return chunks

    def since(self, rv, res):
        i = bisect.bisect_right(self.log, rv, key=lambda e: e[0])
        return [e for e in self.log[i:] if e[1] == res]

    def compact(self, drop=()):
        """History before now is gone (a watcher behind gets 410); drop: objects deleted
        meanwhile, whose DELETED events nobody will see."""
        with self.lock:
            for res, ns, name in drop:
                self.objs[res].pop(f"{ns or ''}/{name}", None)
            self.rv += 1
            self.compacted = self.rv
            self.log = []
            self.lock.notify_all()


def matches(obj, sel):
    for term in filter(None, (sel or "").split(",")):
        field, _, want = term.partition("=")
        val = {"spec.nodeName": obj.get("spec", {}).get("nodeName"),
               "metadata.name": obj["metadata"].get("name"),
               "metadata.namespace": obj["metadata"].get("namespace")}.get(field)
        if val != want:
            return False
    return True


def load_world(w, spec):
    if spec == "small":
        for res, items in k8sworld.small_world().items():
            for o in items:
                w.upsert(res, o, log=False)
    elif spec.startswith("bench:"):
        p, s, n = (int(x) for x in spec[6:].split(","))
        for res, o in k8sworld.bench_world(p, s, n):
            w.upsert(res, o, log=False, lite=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    world = None
    token_file = None
    bookmark_s = 1.0

    def log_message(self, fmt, *args):
        pass

    def send_json(self, code, body, extra=None):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def status(self, code, reason, msg, extra=None):
        self.send_json(code, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                              "status": "Failure", "message": msg, "reason": reason,
                              "code": code}, extra)

    def authorized(self):
        cert = getattr(self.connection, "getpeercert", lambda: None)()
        if cert:
            return True
        try:
            with open(self.token_file) as f:
                # one accepted token per line: a rotated-out projected token stays valid
                # until it expires, so during a rotation both are accepted
                want = [t.strip() for t in f if t.strip()]
        except OSError:
            return False
        got = self.headers.get("Authorization", "")
        for t in want:
            if got == f"Bearer {t}":
                with self.world.lock:
                    used = self.world.stats["tokens"]
                    used[t] = used.get(t, 0) + 1
                return True
        return False

    def do_POST(self):
        w = self.world
        n = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(n) or b"{}")
        path = urlparse(self.path).path
        if path == "/control/upsert":
            w.upsert(body["resource"], body["object"])
        elif path == "/control/delete":
            if not w.delete(body["resource"], body.get("namespace"), body["name"]):
                return self.status(404, "NotFound", "no such object")
        elif path == "/control/churn":
            w.churn(body["resource"], int(body["count"]))
        elif path == "/control/compact":
            w.compact([(d["resource"], d.get("namespace"), d["name"])
                       for d in body.get("drop", [])])
        elif path == "/control/fail":
            with w.lock:
                w.faults.append(dict(body))
        elif path == "/control/watchlist":
            with w.lock:
                w.watch_list = body["mode"]
        elif path == "/control/cut":
            with w.lock:
                w.cut_gen += 1
                w.lock.notify_all()
        else:
            return self.status(404, "NotFound", "no such control")
        with w.lock:
            rv = w.rv
        self.send_json(200, {"ok": True, "resourceVersion": str(rv)})

    def fault(self, path):
        w = self.world
        with w.lock:
            for f in w.faults:
                if path.startswith(f["prefix"]) and f.get("count", 1) > 0:
                    f["count"] = f.get("count", 1) - 1
                    w.stats["faults"] += 1
                    return f
        return None

    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if u.path == "/control/stats":
            with self.world.lock:
                return self.send_json(200, dict(self.world.stats, rv=self.world.rv))
        if not self.authorized():
            self.world.stats["denied"] += 1
            return self.status(401, "Unauthorized", "Unauthorized")
        f = self.fault(u.path)
        if f:
            extra = {"Retry-After": str(f["retry_after"])} if "retry_after" in f else None
            return self.status(f["code"], "Injected", "injected fault", extra)
        disc = self.discovery(u.path)
        if disc is not None:
            return self.send_json(200, disc)
        res, ns, name = self.route(u.path)
        if res is None:
            return self.status(404, "NotFound", f"the server could not find {u.path}")
        if name:
            return self.get_one(res, ns, name)
        if q.get("watch") in ("1", "true", "True"):
            return self.watch(res, ns, q)
        return self.list(res, ns, q)

    @staticmethod
    def route(path):
        parts = path.strip("/").split("/")
        # api/v1[/namespaces/NS]/RES[/NAME], apis/G/v1[/namespaces/NS]/RES[/NAME]
        base = 2 if parts[:1] == ["api"] else 3 if parts[:1] == ["apis"] else None
        if base is None:
            return None, None, None
        group = "" if base == 2 else parts[1]
        rest = parts[base:]
        ns = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            ns, rest = rest[1], rest[2:]
        if not rest or rest[0] not in RESOURCES or RESOURCES[rest[0]][0] != group:
            return None, None, None
        return rest[0], ns, rest[1] if len(rest) > 1 else None

    @staticmethod
    def discovery(path):
        def resources(gv, names):
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                    "resources": [{"name": r, "singularName": r[:-1], "namespaced": RESOURCES[r][3],
                                   "kind": RESOURCES[r][2], "verbs": ["get", "list", "watch"]}
                                  for r in names]}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                    "serverAddress": "127.0.0.1"}]}
        if path == "/apis":
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g, "versions": [{"groupVersion": f"{g}/v1", "version": "v1"}],
                 "preferredVersion": {"groupVersion": f"{g}/v1", "version": "v1"}}
                for g in ("apps", "batch")]}
        if path == "/api/v1":
            return resources("v1", ["pods", "services", "nodes"])
        if path == "/apis/apps/v1":
            return resources("apps/v1", ["replicasets"])
        if path == "/apis/batch/v1":
            return resources("batch/v1", ["jobs"])
        if path == "/version":
            return {"major": "1", "minor": "29", "gitVersion": "v1.29.0-standin"}
        return None

    def get_one(self, res, ns, name):
        with self.world.lock:
            e = self.world.objs[res].get(f"{ns or ''}/{name}")
        if not e:
            return self.status(404, "NotFound", f'{res} "{name}" not found')
        self.send_json(200, e[1])

    def list(self, res, ns, q):
        w = self.world
        limit = int(q.get("limit", "0") or 0)
        start = 0
        with w.lock:
            w.stats["list"] += 1
            if q.get("continue"):
                tok = json.loads(base64.b64decode(q["continue"]))
                if tok["rv"] <= w.compacted:
                    w.stats["gone"] += 1
                    return self.status(410, "Expired", "The provided continue parameter is too old")
                start, list_rv = tok["off"], tok["rv"]
                snap = tok["snap"]
            else:
                list_rv = w.rv
            # a consistent snapshot: objects by key order, those not newer than list_rv
            ck = (res, ns, q.get("fieldSelector"), list_rv, w.rv)
            if w.list_cache[0] != ck:  # pages of one snapshot share one sorted selection
                w.list_cache = (ck, sorted(
                    (k, e) for k, e in w.objs[res].items()
                    if (ns is None or e[2]["metadata"].get("namespace") == ns)
                    and matches(e[2], q.get("fieldSelector")) and e[0] <= list_rv))
            items = w.list_cache[1]
            if not q.get("continue"):
                snap = list_rv
        page = items[start:start + limit] if limit else items[start:]
        more = limit and start + limit < len(items)
        meta = {"resourceVersion": str(list_rv)}
        if more:
            meta["continue"] = base64.b64encode(json.dumps(
                {"rv": list_rv, "off": start + limit, "snap": snap}).encode()).decode()
        g, v, kind, _ = RESOURCES[res]
        head = json.dumps({"kind": kind + "List", "apiVersion": f"{g}/{v}" if g else v,
                           "metadata": meta})[:-1]
        body = head + ',"items":[' + ",".join(e[1] for _, e in page) + "]}"
        self.send_json(200, body)

    def chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch_list_refused(self, q):
        """The API server's ListOptions validation of a streaming list, or the 422 of a server
        without the WatchList feature; None when the request may go on."""
        with self.world.lock:
            mode = self.world.watch_list
            if mode == "refuse":
                self.world.stats["watchlist_refused"] += 1
        if mode == "refuse":
            return "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"
        if mode == "ignore":
            return None
        if q.get("resourceVersionMatch") != "NotOlderThan":
            return "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"
        if q.get("allowWatchBookmarks") != "true":
            return "sendInitialEvents requires setting allowWatchBookmarks to true"
        return None

    def initial_events(self, res, ns, sel):
        """A streaming list's ADDED events (a consistent snapshot) then, unless the server
        ignores sendInitialEvents, the bookmark closing them; the snapshot's version."""
        w = self.world
        with w.lock:
            w.stats["watchlist"] += 1
            snap = w.rv
            chunks = w.initial_chunks(res, ns, sel)
            mode = w.watch_list
        for c in chunks:
            self.wfile.write(c)
        self.wfile.flush()
        if mode == "on":
            g, v, kind, _ = RESOURCES[res]
            self.chunk(json.dumps({"type": "BOOKMARK", "object": {
                "kind": kind, "apiVersion": f"{g}/{v}" if g else v,
                "metadata": {"resourceVersion": str(snap),
                             "annotations": {"k8s.io/initial-events-end": "true"}}}}) + "\n")
        return snap

    def watch(self, res, ns, q):
        w = self.world
        rv = int(q.get("resourceVersion") or "0")
        deadline = time.monotonic() + min(int(q.get("timeoutSeconds") or 1800), 1800)
        bookmarks = q.get("allowWatchBookmarks") == "true"
        sel = q.get("fieldSelector")
        initial = "sendInitialEvents" in q
        if initial:
            why = self.watch_list_refused(q)
            if why:
                return self.status(422, "Invalid", f"ListOptions.meta.k8s.io \"\" is invalid: {why}")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with w.lock:
            w.stats["watch"] += 1
            cut = w.cut_gen
        try:
            if rv and rv < w.compacted:
                with w.lock:
                    w.stats["gone"] += 1
                self.chunk(json.dumps({"type": "ERROR", "object": {
                    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": f"too old resource version: {rv} ({w.compacted})",
                    "reason": "Expired", "code": 410}}) + "\n")
                return self.end_chunks()
            if initial and q.get("sendInitialEvents") == "true":
                rv = max(rv, self.initial_events(res, ns, sel))
            if not rv:
                rv = w.rv
            last_bm = time.monotonic()
            while time.monotonic() < deadline:
                with w.lock:
                    if w.cut_gen != cut:
                        # half an object, then the connection dies: no terminating chunk
                        self.chunk('{"type":"ADDED","object":{"metadata":{"name":"cut')
                        self.close_connection = True
                        return
                    new = w.since(rv, res)
                    if not new:
                        w.lock.wait(timeout=0.2)
                        new = w.since(rv, res)
                    # After the wait, before `top`: a compaction during it must end this watch
                    # with 410, not be skipped by the next bookmark (rv = top), as an API
                    # server's watch cache would (seen as a flake of k8s/streaming_list).
                    if rv < w.compacted:
                        self.chunk(json.dumps({"type": "ERROR", "object": {
                            "kind": "Status", "apiVersion": "v1", "metadata": {},
                            "status": "Failure", "message": "too old resource version",
                            "reason": "Expired", "code": 410}}) + "\n")
                        w.stats["gone"] += 1
                        return self.end_chunks()
                    top = w.rv
                out = []
                for e_rv, _, typ, text, obj in new:
                    rv = max(rv, e_rv)
                    if (ns is None or obj["metadata"].get("namespace") == ns) and matches(obj, sel):
                        out.append('{"type":"%s","object":%s}\n' % (typ, text))
                if out:
                    self.chunk("".join(out))
                if bookmarks and time.monotonic() - last_bm >= self.bookmark_s:
                    rv = max(rv, top)
                    g, v, kind, _ = RESOURCES[res]
                    self.chunk(json.dumps({"type": "BOOKMARK", "object": {
                        "kind": kind, "apiVersion": f"{g}/{v}" if g else v,
                        "metadata": {"resourceVersion": str(rv)}}}) + "\n")
                    last_bm = time.monotonic()
            self.end_chunks()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--world", default="small")
    ap.add_argument("--bookmark", type=float, default=1.0)
    ap.add_argument("--watch-list", default="on", choices=("on", "refuse", "ignore"))
    ap.add_argument("--tls", help="DIR with server.crt, server.key and ca.crt (client certs)")
    a = ap.parse_args()
    w = World()
    load_world(w, a.world)
    for res in RESOURCES:  # the streaming lists of everything, ready before the port is known
        w.initial_chunks(res, None, None)
    w.watch_list = a.watch_list
    Handler.world = w
    Handler.token_file = a.token_file
    Handler.bookmark_s = a.bookmark
    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(f"{a.tls}/server.crt", f"{a.tls}/server.key")
        # a client certificate is optional; one signed by the CA stands for a valid token
        ctx.load_verify_locations(f"{a.tls}/ca.crt")
        ctx.verify_mode = ssl.CERT_OPTIONAL
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
