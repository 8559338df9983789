#!/usr/bin/env bash
# tests/deps.sh: installs the Debian packages the build, the tests and the benches need (idempotent).
set -eu
pkgs=(build-essential clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libcap-dev libcap2-bin
      libseccomp-dev libyaml-dev libcjson-dev libcurl4-openssl-dev libnanopb-dev nanopb
      libcmocka-dev pkg-config nginx wrk curl python3 golang-go nodejs protobuf-compiler iproute2
      procps gdb strace podman runc python3-kubernetes)
# kubectl for tests/k8s: Debian's kubernetes-client, unless a kubectl is installed already (another
# package shipping /usr/bin/kubectl makes kubernetes-client fail to unpack).
command -v kubectl >/dev/null 2>&1 || pkgs+=(kubernetes-client)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "deps: all present"
