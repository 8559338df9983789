#!/usr/bin/env bash
# tests/k8s/run.sh BUILD: the Kubernetes client against the API stand-in (sync, pod added and
# deleted, 410 mid-watch, token rotation, faults, RBAC, TLS), then kubectl, python3-kubernetes
# and the official schemas (npm kubernetes-models) against the same stand-in (make test-k8s).
set -u
cd "$(dirname "$0")/../.." || exit 2
build=${1:?usage: run.sh BUILD}
bash tests/k8s/setup.sh || { echo "k8s: npm ci failed"; exit 1; }
fail=0
python3 tests/k8s/test_client.py "$build" || fail=1
python3 tests/k8s/test_real_clients.py || fail=1
[ "$fail" = 0 ] && echo "k8s: all passed" || echo "k8s: FAILED"
exit "$fail"
