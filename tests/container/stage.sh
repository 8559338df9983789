#!/usr/bin/env bash
# tests/container/stage.sh: lays out the image's root (the three binaries, the libraries ldd
# lists, passwd/group with the dedicated users, empty mount points) for the FROM scratch build.
set -eu
build=${1:?usage: stage.sh BUILD_DIR OUT_DIR}
out=${2:?usage: stage.sh BUILD_DIR OUT_DIR}
rm -rf "$out"
mkdir -p "$out/rootfs/usr/bin" "$out/rootfs/etc" "$out/rootfs/tmp" "$out/rootfs/var/run/obi" \
	"$out/rootfs/config" "$out/rootfs/sys/kernel/tracing" "$out/rootfs/sys/kernel/btf" \
	"$out/rootfs/sys/fs/cgroup" "$out/rootfs/proc"
for b in obi obi-probe obi-enricher; do
	install -m 0755 "$build/$b" "$out/rootfs/usr/bin/$b"
done
# Every shared object the binaries load, at the path the dynamic loader looks for it.
ldd "$build/obi" "$build/obi-probe" "$build/obi-enricher" |
	awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | sort -u |
	while read -r lib; do
		real=$(readlink -f "$lib")
		mkdir -p "$out/rootfs$(dirname "$lib")"
		cp "$real" "$out/rootfs$lib"
	done
# The loader is also reached through /lib64 on x86_64; Debian keeps it under /lib too.
if [ -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e "$out/rootfs/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ]; then
	mkdir -p "$out/rootfs/lib/x86_64-linux-gnu"
	cp "$(readlink -f /lib64/ld-linux-x86-64.so.2)" "$out/rootfs/lib/x86_64-linux-gnu/"
fi
# Names for the dedicated ids (logs, ps); no shells, no passwords.
cat > "$out/rootfs/etc/passwd" <<'P'
root:x:0:0:root:/:/nonexistent
obi-probe:x:65518:65518:obi-probe:/:/nonexistent
obi-enricher:x:65519:65519:obi-enricher:/:/nonexistent
nobody:x:65534:65534:nobody:/:/nonexistent
P
cat > "$out/rootfs/etc/group" <<'G'
root:x:0:
obi-probe:x:65518:
obi-enricher:x:65519:
nogroup:x:65534:
G
chmod 1777 "$out/rootfs/tmp"
