#!/usr/bin/env bash
# tests/k8s/bench.sh BUILD: the Kubernetes client benchmark (make bench-k8s; not in make test).
set -u
cd "$(dirname "$0")/../.." || exit 2
exec python3 tests/k8s/bench.py "${1:?usage: bench.sh BUILD}"
