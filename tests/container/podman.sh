#!/usr/bin/env bash
# tests/container/podman.sh: podman with this project's private store (vfs), runc and the ulimits
# this sandbox accepts, so that image builds and container tests touch no system-wide state.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
store=${OBI_PODMAN_STORE:-/var/tmp/obi-podman}
mkdir -p "$store"
export CONTAINERS_CONF="$here/containers.conf"
exec podman --root "$store/root" --runroot "$store/run" --storage-driver vfs --runtime runc \
	--cgroup-manager cgroupfs --events-backend file "$@"
