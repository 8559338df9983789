#!/usr/bin/env bash
# tests/container/deps.sh: what the container tests need beyond tests/deps.sh (idempotent):
# podman with runc and catatonit (the pod infra image is built from it locally), kubectl, and
# the npm schema validator pinned by package-lock.json, installed next to this script.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
pkgs=(podman runc catatonit libcap2-bin util-linux)
command -v kubectl >/dev/null || pkgs+=(kubernetes-client)
# Node and npm may come from elsewhere than Debian (nodesource): only the commands matter.
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "container deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -d "$here/node_modules/kubernetes-models" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "container deps: all present"
