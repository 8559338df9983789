#!/usr/bin/env bash
# tests/bench/run.sh: side-by-side throughput, BPF time and RSS benchmark: nginx+wrk with and without obi.
#
# Usage: bash tests/bench/run.sh BUILD_DIR [ROUNDS] [SECONDS]
# Alternates runs (baseline, socket front end, baseline, syscall front end, baseline, compat
# object, ...) so that drift of the machine hits every variant alike; prints medians and ratios
# against the adjacent baselines.
set -u
build=$(readlink -f "${1:-build}")
rounds=${2:-3}
secs=${3:-5}
port=18990
work=$(mktemp -d /tmp/obi-bench.XXXXXX)
sock_dir=/run/obi-bench-$$
obi_pid=
ng_pid=

cleanup() {
	[ -n "$obi_pid" ] && kill "$obi_pid" 2>/dev/null && wait "$obi_pid" 2>/dev/null
	[ -n "$ng_pid" ] && kill "$ng_pid" 2>/dev/null && wait "$ng_pid" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled=0 2>/dev/null
	rm -rf "$work" "$sock_dir"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "bench: must run as root"; exit 1; }
for t in nginx wrk bpftool taskset python3; do
	command -v "$t" >/dev/null || { echo "bench: $t missing (make deps)"; exit 1; }
done

cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$port;
    location / { return 200 "ok\n"; }
  }
}
EOF

# nginx on CPU 0, wrk on CPU 1: the agent competes with both, as it would on a busy node.
taskset -c 0 nginx -c "$work/nginx.conf" -g 'daemon off;' &
ng_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done

run_wrk() { # prints requests/s and total requests
	taskset -c 1 wrk -t1 -c8 -d"${secs}s" "http://127.0.0.1:$port/" 2>/dev/null |
		awk '/requests in/ {n=$1} /Requests\/sec/ {r=$2} END {printf "%s %s\n", r, n}'
}

# $1 variant: socket, syscall, compat (the syscall front end in the compat BPF object that
# Linux 5.8-5.11 load), or socket-idle (attached, nginx not selected)
start_obi() {
	local fe=${1%-idle} sel=$port ready='instrumenting pid' obj=full
	if [ "$fe" != "$1" ]; then sel=$((port + 1)); ready='running:'; fi
	if [ "$fe" = compat ]; then fe=syscall; obj=compat; fi
	mkdir -p "$sock_dir"
	OTEL_EBPF_OPEN_PORT=$sel OTEL_EBPF_TRACE_PRINTER=counter OTEL_EBPF_BPF_OBJECT=$obj \
		OTEL_EBPF_BPF_CAPTURE_FRONTEND="$fe" OTEL_EBPF_PROBE_SOCKET_PATH="$sock_dir/$1.sock" \
		"$build/obi" >"$work/obi-$1.out" 2>"$work/obi-$1.err" &
	obi_pid=$!
	for _ in $(seq 200); do
		grep -q 'enricher connected' "$work/obi-$1.err" 2>/dev/null &&
			grep -q "$ready" "$work/obi-$1.err" && return 0
		sleep 0.05
	done
	echo "bench: obi did not start"; cat "$work/obi-$1.err"; exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

rss_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

bpf_ns_total() { # sum of run_time_ns over obi programs
	bpftool prog show -j 2>/dev/null | python3 -c '
import json,sys
t=0
for p in json.load(sys.stdin):
    if p.get("name","").startswith("obi_"): t+=p.get("run_time_ns",0)
print(t)'
}

stop_obi() {
	probe_rss=$(rss_kib "$probe")
	enricher_rss=$(rss_kib "$enricher")
	kill "$obi_pid"; wait "$obi_pid" 2>/dev/null
	obi_pid=
}

declare -A rps ns prss erss pc ec bases insts
echo "bench: nginx 1 worker (CPU 0), wrk -t1 -c8 -d${secs}s (CPU 1), $rounds rounds, $(nproc) CPUs, $(uname -r)"
run_wrk >/dev/null # warm-up
hz=$(getconf CLK_TCK)
variants="socket syscall compat socket-idle"
for r in $(seq "$rounds"); do
	for fe in $variants; do
		read -r base _ < <(run_wrk)
		start_obi "$fe"
		probe=$(pgrep -P "$obi_pid" -x obi-probe)
		enricher=$(pgrep -P "$obi_pid" -x obi-enricher)
		sysctl -qw kernel.bpf_stats_enabled=1
		t0=$(bpf_ns_total); p0=$(cpu_ticks "$probe"); e0=$(cpu_ticks "$enricher")
		read -r inst reqs < <(run_wrk)
		t1=$(bpf_ns_total); p1=$(cpu_ticks "$probe"); e1=$(cpu_ticks "$enricher")
		sysctl -qw kernel.bpf_stats_enabled=0
		pcpu=$(( (p1 - p0) * 100 / hz / secs )); ecpu=$(( (e1 - e0) * 100 / hz / secs ))
		stop_obi
		spans=$(awk '/Processed/ {n=$2} END {print n+0}' "$work/obi-$fe.out")
		ratio=$(python3 -c "print(f'{$inst/$base:.3f}')")
		nsreq=$(python3 -c "print(f'{($t1-$t0)/max($reqs,1):.0f}')")
		printf 'round %d %-11s base %7.0f/s obi %7.0f/s ratio %s bpf %4s ns/req spans %s/%s cpu probe %s%% enricher %s%% rss %s/%s KiB\n' \
			"$r" "$fe" "$base" "$inst" "$ratio" "$nsreq" "$spans" "$reqs" "$pcpu" "$ecpu" "$probe_rss" "$enricher_rss"
		pc[$fe]+="$pcpu "
		bases[$fe]+="$base "
		insts[$fe]+="$inst "
		ec[$fe]+="$ecpu "
		rps[$fe]+="$ratio "
		ns[$fe]+="$nsreq "
		prss[$fe]+="$probe_rss "
		erss[$fe]+="$enricher_rss "
	done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maxv() { tr ' ' '\n' | grep -v '^$' | sort -g | tail -1; }
echo
echo "variant | throughput ratio (median of rounds) | median obi / median baseline | BPF ns/request (median) | CPU % of a core probe / enricher (median) | peak RSS probe / enricher KiB (max)"
for fe in $variants; do
	mb=$(echo "${bases[$fe]}" | median)
	mi=$(echo "${insts[$fe]}" | median)
	printf '%-11s | %s | %s | %s | %s / %s | %s / %s\n' "$fe" "$(echo "${rps[$fe]}" | median)" \
		"$(python3 -c "print(f'{$mi/$mb:.3f}')")" \
		"$(echo "${ns[$fe]}" | median)" "$(echo "${pc[$fe]}" | median)" "$(echo "${ec[$fe]}" | median)" \
		"$(echo "${prss[$fe]}" | maxv)" "$(echo "${erss[$fe]}" | maxv)"
done
