"""tests/k8s/harness.py: starts the API stand-in and the k8s-tool client, waits for conditions."""
import atexit
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import k8sworld  # noqa: E402,F401


def wait_for(cond, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


_CERTS = None


def certs():
    """One throw-away CA and server/client certificates per test run (tests/otlp/mkcerts.sh)."""
    global _CERTS
    if _CERTS is None:
        d = tempfile.mkdtemp(prefix="obi-k8s-certs-")
        atexit.register(shutil.rmtree, d, True)
        subprocess.run(["bash", os.path.join(HERE, "..", "otlp", "mkcerts.sh"), d], check=True)
        _CERTS = d
    return _CERTS


class Standin:
    """The stand-in on a free 127.0.0.1 port, a token file it checks, a kubeconfig for it."""

    def __init__(self, world="small", bookmark=1.0, watch_list="on"):
        self.dir = tempfile.mkdtemp(prefix="obi-k8s-")
        self.server_token = os.path.join(self.dir, "server-token")
        self.client_token = os.path.join(self.dir, "client-token")
        self.write_token("token-1")
        port_file = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "standin.py"), "--port-file", port_file,
             "--token-file", self.server_token, "--world", world, "--bookmark", str(bookmark),
             "--watch-list", watch_list,
             "--tls", certs()])
        wait_for(lambda: os.path.exists(port_file), 900, "the stand-in to listen")
        with open(port_file) as f:
            self.port = int(f.read())
        self.url = f"https://127.0.0.1:{self.port}"
        self.ca = os.path.join(certs(), "ca.crt")
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        with open(self.kubeconfig, "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
current-context: standin
contexts:
- name: standin
  context: {{cluster: standin, user: agent, namespace: shop}}
clusters:
- name: standin
  cluster: {{server: "{self.url}", certificate-authority: "{self.ca}"}}
users:
- name: agent
  user: {{tokenFile: client-token}}
""")

    def write_token(self, tok, server=True, client=True):
        """Atomic replacement, as the kubelet rotates a projected token."""
        for want, path in ((server, self.server_token), (client, self.client_token)):
            if want:
                with open(path + ".new", "w") as f:
                    f.write(tok)  # no newline: as the kubelet writes tokens
                os.rename(path + ".new", path)

    def ctx(self):
        return ssl.create_default_context(cafile=self.ca)

    def control(self, what, body=None):
        data = json.dumps(body or {}).encode()
        req = urllib.request.Request(f"{self.url}/control/{what}", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        # churn rewrites every object under the world's lock: slow on a loaded machine
        with urllib.request.urlopen(req, timeout=120 if what == "churn" else 10,
                                    context=self.ctx()) as r:
            return json.load(r)

    def stats(self):
        with urllib.request.urlopen(f"{self.url}/control/stats", timeout=10,
                                    context=self.ctx()) as r:
            return json.load(r)

    def get(self, path):
        tok = open(self.server_token).read().strip()
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {tok}"})
        with urllib.request.urlopen(req, timeout=30, context=self.ctx()) as r:
            return r.read().decode()

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Tool:
    """build/tests/k8s-tool against a stand-in; ask() sends one command, returns its JSON."""

    def __init__(self, build, standin, env=None):
        e = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "KUBE"))}
        e.update({"KUBECONFIG": standin.kubeconfig, "OTEL_EBPF_KUBE_METADATA_ENABLE": "true",
                  "HOME": standin.dir, "ASAN_OPTIONS": "detect_leaks=1"})
        e.update(env or {})
        e.pop("KUBERNETES_SERVICE_HOST", None)
        self.log_path = os.path.join(standin.dir, f"tool-{time.monotonic_ns()}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([os.path.join(build, "tests", "k8s-tool")], env=e,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, bufsize=1)
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("k8s-tool exited: " + open(self.log_path).read())
        first = json.loads(line)
        self.ready_s, self.ready_cpu_s = first["ready"], first["cpu_s"]

    def ask(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("k8s-tool died: " + open(self.log_path).read()[-3000:])
        return json.loads(line)

    def logs(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def close(self):
        """Exit status 0 required: sanitizer reports (leaks included) fail the test."""
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        rc = self.proc.wait(30)
        self.log.close()
        if rc != 0:
            raise AssertionError(f"k8s-tool exit {rc}: " + open(self.log_path).read()[-3000:])
