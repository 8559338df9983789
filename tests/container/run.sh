#!/usr/bin/env bash
# tests/container/run.sh BUILD [-k NAME]...: the deployment tests (make test-containers): the
# image built by `make image` run under podman + runc with the manifests' security contexts.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/deps.sh"
exec /usr/bin/python3 "$here/run.py" "$@"
