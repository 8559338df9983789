#!/usr/bin/env bash
# tests/kernels/run.sh: boots Debian kernels under qemu (KVM, or TCG when KVM cannot boot them) with obi in an initramfs and checks it captures HTTP there.
#
#   bash tests/kernels/run.sh [BUILD_DIR]     (root; after `make`; BUILD_DIR defaults to build)
#
# Environment:
#   OBI_KTEST_KERNELS   kernel packages to boot, space-separated (default: the Debian 12 cloud
#                       kernel that linux-image-cloud-amd64 points to, Linux 6.1: no socket
#                       tracepoints, so the syscall front end must be chosen; and the Debian 11
#                       cloud kernel, Linux 5.10: no BPF task storage or atomics, so the compat
#                       BPF object must be chosen). Packages apt cannot find in the host's
#                       sources are fetched from Debian bullseye.
#   OBI_KTEST_APPEND    extra kernel command-line words; NAME=VALUE words reach /init and obi as
#                       environment (e.g. OTEL_EBPF_LOG_LEVEL=debug)
#   OBI_KTEST_TIMEOUT   seconds one boot may take in all (default 240)
#   OBI_KTEST_ACCEL     auto (default): KVM, and if the guest has not reached /init within
#                       OBI_KTEST_KVM_GRACE seconds (default 20; a working KVM takes ~2 s), the
#                       same boot again under TCG (nested KVM without EPT can stall or fail to
#                       emulate an instruction); kvm: KVM only; tcg: TCG only
# Kernel .debs and their vmlinuz are cached in BUILD_DIR/kernels/; console logs land there too.
set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-$(cd "$here/../.." && pwd)/build}
cache=$build/kernels
timeout_s=${OBI_KTEST_TIMEOUT:-240}

die() {
	echo "kernels: $*" >&2
	echo "kernels: 0 passed, 1 failed"
	exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (apt-get, /dev/kvm)"
for b in obi obi-probe obi-enricher; do
	[ -x "$build/$b" ] || die "$build/$b missing: run make first"
done
accel=${OBI_KTEST_ACCEL:-auto}
case $accel in
auto | kvm | tcg) ;;
*) die "OBI_KTEST_ACCEL must be auto, kvm or tcg" ;;
esac
if [ ! -e /dev/kvm ]; then
	[ "$accel" = kvm ] && die "/dev/kvm missing"
	accel=tcg
fi

# --- host packages (idempotent) ---------------------------------------------------------------
apt_updated=0
apt_update_once() {
	[ "$apt_updated" = 1 ] && return 0
	apt-get update -qq >/dev/null || return 1
	apt_updated=1
}
need=()
for pkg in qemu-system-x86 busybox-static; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "kernels: installing ${need[*]}"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
		apt_update_once || die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
			die "apt-get install ${need[*]} failed"
	fi
fi
busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox missing (busybox-static)"

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# --- kernel: package name -> cached vmlinuz --------------------------------------------------
newest_deb() { # newest_deb GLOB: the newest cached .deb matching GLOB, by version
	(cd "$cache" && compgen -G "$1" | sort -V | tail -n1)
}

# Which 6.1 kernel: linux-image-cloud-amd64 names the current one. If apt cannot say (no
# network), the newest .deb already cached is used.
default_kernel() {
	local dep
	dep=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-6\.1\./ { print $2; exit }')
	if [ -z "$dep" ] && apt_update_once; then
		dep=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-6\.1\./ { print $2; exit }')
	fi
	if [ -z "$dep" ]; then
		dep=$(newest_deb 'linux-image-6.1.*_amd64.deb' | cut -d_ -f1)
	fi
	echo "$dep"
}

# Debian 11 (bullseye) carries Linux 5.10, the oldest kernel reachable here. apt reads it from
# its own source list, state and cache directories under the cache, so the host's package
# lists and caches are untouched.
bullseye_opts=()
bullseye_update_once() {
	local dir=$cache/apt-bullseye
	[ ${#bullseye_opts[@]} -gt 0 ] && return 0
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo 'deb http://deb.debian.org/debian bullseye main' >"$dir/sources.list"
	local -a opts=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=/nonexistent
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o APT::Get::List-Cleanup=0)
	apt-get "${opts[@]}" update -qq >/dev/null 2>&1 || return 1
	bullseye_opts=("${opts[@]}")
}

bullseye_download() { # bullseye_download PKG: apt-get download from bullseye into the cache
	bullseye_update_once || return 1
	(cd "$cache" && apt-get "${bullseye_opts[@]}" download -qq "$1" >/dev/null 2>&1)
}

# The 5.10 kernel: the newest one cached, else the one bullseye's linux-image-cloud-amd64
# points to now, else the one this test was written against.
bullseye_kernel() {
	local dep
	dep=$(newest_deb 'linux-image-5.10.*-cloud-amd64_*_amd64.deb' | cut -d_ -f1)
	if [ -z "$dep" ] && bullseye_update_once; then
		dep=$(apt-cache "${bullseye_opts[@]}" depends linux-image-cloud-amd64 2>/dev/null |
			awk '/Depends: linux-image-5\.10\./ { print $2; exit }')
	fi
	echo "${dep:-linux-image-5.10.0-32-cloud-amd64}"
}

# fetch_kernel PKG: prints the directory holding vmlinuz, config and version for PKG.
fetch_kernel() {
	local pkg=$1 deb dir tmp
	deb=$(newest_deb "${pkg}_*_amd64.deb")
	if [ -z "$deb" ]; then
		echo "kernels: downloading $pkg" >&2
		# The host's sources as they are, then bullseye, then the host's after an update.
		if ! (cd "$cache" && apt-get download -qq "$pkg" >/dev/null 2>&1) &&
			! bullseye_download "$pkg"; then
			apt_update_once || return 1
			(cd "$cache" && apt-get download -qq "$pkg" >/dev/null 2>&1) || return 1
		fi
		deb=$(newest_deb "${pkg}_*_amd64.deb")
		[ -n "$deb" ] || return 1
	fi
	dir=$cache/${deb%.deb}
	if [ ! -s "$dir/vmlinuz" ]; then
		tmp=$(mktemp -d)
		dpkg-deb --fsys-tarfile "$cache/$deb" | tar -x -C "$tmp" ./boot || {
			rm -rf "$tmp"
			return 1
		}
		mkdir -p "$dir"
		cp "$tmp"/boot/config-* "$dir/config"
		dpkg-deb -f "$cache/$deb" Version >"$dir/version"
		cp "$tmp"/boot/vmlinuz-* "$dir/vmlinuz.tmp" && mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
		rm -rf "$tmp"
	fi
	echo "$dir"
}

# check_config DIR: what an initramfs-only boot with obi needs, built in.
check_config() {
	local opt bad=0
	for opt in DEBUG_INFO_BTF BPF_SYSCALL BPF_EVENTS FTRACE_SYSCALLS BLK_DEV_INITRD RD_GZIP DEVTMPFS \
		SERIAL_8250 SERIAL_8250_CONSOLE UNIX INET TMPFS; do
		if ! grep -q "^CONFIG_$opt=y" "$1/config"; then
			echo "kernels: CONFIG_$opt is not =y in $1/config" >&2
			bad=1
		fi
	done
	return $bad
}

# --- initramfs: busybox, /init, obi's three binaries and every library they load -------------
build_initramfs() {
	local out=$1 root lib
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,obi,proc,sys,dev,run,tmp,www,etc}
	cp "$busybox" "$root/bin/busybox"
	cp "$here/init.sh" "$root/init"
	chmod 0755 "$root/init"
	for b in obi obi-probe obi-enricher; do
		cp "$build/$b" "$root/obi/$b"
	done
	# Shared libraries and the dynamic loader at the paths ldd names (symlinks resolved).
	for lib in $(for b in obi obi-probe obi-enricher; do ldd "$build/$b"; done |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\// && $i !~ /:$/) print $i }' | sort -u); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	(cd "$root" && find . -mindepth 1 | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 >"$out.tmp" || {
		rm -rf "$root"
		return 1
	}
	mv "$out.tmp" "$out"
	rm -rf "$root"
}

# expect_object KERNEL_DIR: the BPF object obi must choose there: compat below Linux 5.12.
expect_object() {
	local v
	v=$(cut -d. -f1,2 "$1/version")
	if [ "$(printf '%s\n5.12\n' "$v" | sort -V | head -n1)" = 5.12 ]; then
		echo full
	else
		echo compat
	fi
}

# boot kvm|tcg CONSOLE KERNEL_DIR PKG: one qemu run, console to CONSOLE; its exit status (124:
# timed out). Under KVM it is stopped after OBI_KTEST_KVM_GRACE s if /init has not started.
boot() {
	local mode=$1 out=$2 kdir=$3 pkg=$4 qpid t=0 grace=${OBI_KTEST_KVM_GRACE:-20}
	local -a acc
	if [ "$mode" = kvm ]; then
		acc=(-enable-kvm -cpu host)
	else
		acc=(-accel 'tcg,thread=multi' -cpu max)
	fi
	: >"$out"
	timeout "$timeout_s" qemu-system-x86_64 "${acc[@]}" -m 1024 -smp 2 -no-reboot \
		-nographic -monitor none -nic none -serial "file:$out" \
		-kernel "$kdir/vmlinuz" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet OBI_KTEST_EXPECT_OBJECT=$(expect_object "$kdir") ${OBI_KTEST_APPEND:-}" </dev/null >"$cache/qemu-$pkg.out" 2>&1 &
	qpid=$!
	if [ "$mode" = kvm ] && [ "$accel" = auto ]; then
		while kill -0 "$qpid" 2>/dev/null && ! grep -q 'OBI-KTEST: INFO kernel' "$out"; do
			if [ "$t" -ge $((grace * 2)) ]; then
				kill "$qpid" 2>/dev/null # timeout passes the TERM on to qemu
				break
			fi
			sleep 0.5
			t=$((t + 1))
		done
	fi
	wait "$qpid"
}

initrd=$cache/initramfs.cpio.gz
build_initramfs "$initrd" || die "building the initramfs failed"

# --- boot each kernel -------------------------------------------------------------------------
if [ -n "${OBI_KTEST_KERNELS:-}" ]; then
	kernels=$OBI_KTEST_KERNELS
else
	k61=$(default_kernel)
	[ -n "$k61" ] || die "no 6.1 kernel package: apt-cache cannot resolve linux-image-cloud-amd64 and none is cached"
	kernels="$k61 $(bullseye_kernel)"
fi

passed=0
failed=0
for pkg in $kernels; do
	echo "kernels: === $pkg"
	if ! kdir=$(fetch_kernel "$pkg"); then
		echo "kernels: FAIL $pkg: cannot download or unpack it"
		failed=$((failed + 1))
		continue
	fi
	if ! check_config "$kdir"; then
		echo "kernels: FAIL $pkg: kernel configuration cannot run this test"
		failed=$((failed + 1))
		continue
	fi
	console=$cache/console-$pkg.log
	start=$(date +%s.%N)
	used=$accel
	note=
	if [ "$accel" != tcg ]; then
		used=kvm
		boot kvm "$console" "$kdir" "$pkg"
		qrc=$?
		if [ "$accel" = auto ] && ! grep -q 'OBI-KTEST: INFO kernel' "$console"; then
			note="KVM run never reached /init (qemu exit $qrc$(grep -q 'KVM internal error' "$cache/qemu-$pkg.out" && echo ', KVM internal error: emulation failure')); rerun under TCG"
			echo "kernels: $note"
			mv "$console" "$cache/console-$pkg.kvm.log"
			mv "$cache/qemu-$pkg.out" "$cache/qemu-$pkg.kvm.out"
			used=tcg
		fi
	fi
	if [ "$used" = tcg ]; then
		boot tcg "$console" "$kdir" "$pkg"
		qrc=$?
	fi
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	# One result per line, whatever the firmware's escape sequences left before the first one.
	tr -d '\r' <"$console" | sed 's/^.*\(OBI-KTEST: \)/\1/' >"$console.tmp" && mv "$console.tmp" "$console"

	kver=$(sed -n 's/^OBI-KTEST: INFO kernel //p' "$console" | head -n1)
	echo "kernels: $pkg $(cat "$kdir/version"): guest kernel ${kver:-unknown}; ${used}, boot+test ${secs} s (qemu exit $qrc)"
	grep '^OBI-KTEST: \(PASS\|FAIL\|INFO\)' "$console" | sed 's/^/kernels:   /'
	end=$(grep '^OBI-KTEST: END ' "$console" | tail -n1)
	ok=1
	if [ "$qrc" = 124 ]; then
		echo "kernels:   qemu timed out after ${timeout_s} s"
		ok=0
	fi
	if [ -z "$end" ]; then
		echo "kernels:   /init did not finish (no 'OBI-KTEST: END'); last console lines:"
		tail -n 30 "$console" | sed 's/^/kernels:   | /'
		ok=0
	elif ! echo "$end" | grep -q 'failed=0$' || grep -q '^OBI-KTEST: FAIL' "$console"; then
		ok=0
	fi
	if [ "$ok" = 1 ]; then
		echo "kernels: PASS $pkg ($end)"
		passed=$((passed + 1))
	else
		echo "kernels: FAIL $pkg; agent log and spans in $console"
		grep '^OBI-KTEST: \(LOG\|span\|socket-log\)|' "$console" | head -n 400 | sed 's/^/kernels:   /'
		failed=$((failed + 1))
	fi
done

echo "kernels: $passed passed, $failed failed"
[ "$failed" = 0 ]
