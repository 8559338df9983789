#!/usr/bin/env bash
# tests/k8s/setup.sh: installs the pinned npm packages of the Kubernetes tests (npm ci; idempotent).
set -eu
cd "$(dirname "$0")"
want=$(sha256sum package-lock.json | cut -d' ' -f1)
[ "$(cat node_modules/.obi-lock-sha256 2>/dev/null)" = "$want" ] && exit 0
npm ci --no-audit --no-fund --loglevel=error >/dev/null
echo "$want" > node_modules/.obi-lock-sha256
