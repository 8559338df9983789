#!/usr/bin/env bash
# tests/bench/run.sh: side-by-side throughput, BPF time and RSS benchmark: nginx+wrk with and without obi.
#
# Usage: bash tests/bench/run.sh BUILD_DIR [ROUNDS] [SECONDS]
# Alternates runs (baseline, socket front end, baseline, syscall front end, ...) so that drift of
# the machine hits every variant alike; prints medians and ratios against the adjacent baselines.
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

start_obi() { # $1 front end
	mkdir -p "$sock_dir"
	OTEL_EBPF_OPEN_PORT=$port OTEL_EBPF_TRACE_PRINTER=counter \
		OTEL_EBPF_BPF_CAPTURE_FRONTEND="$1" OTEL_EBPF_PROBE_SOCKET_PATH="$sock_dir/$1.sock" \
		"$build/obi" >"$work/obi-$1.out" 2>"$work/obi-$1.err" &
	obi_pid=$!
	for _ in $(seq 200); do
		grep -q 'enricher connected' "$work/obi-$1.err" 2>/dev/null &&
			grep -q 'instrumenting pid' "$work/obi-$1.err" && return 0
		sleep 0.05
	done
	echo "bench: obi did not start"; cat "$work/obi-$1.err"; exit 1
}

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
	local probe enricher
	probe=$(pgrep -P "$obi_pid" -x obi-probe)
	enricher=$(pgrep -P "$obi_pid" -x obi-enricher)
	probe_rss=$(rss_kib "$probe")
	enricher_rss=$(rss_kib "$enricher")
	kill "$obi_pid"; wait "$obi_pid" 2>/dev/null
	obi_pid=
}

declare -A rps ns prss erss
echo "bench: nginx 1 worker (CPU 0), wrk -t1 -c8 -d${secs}s (CPU 1), $rounds rounds, $(nproc) CPUs, $(uname -r)"
run_wrk >/dev/null # warm-up
for r in $(seq "$rounds"); do
	for fe in socket syscall; do
		read -r base _ < <(run_wrk)
		start_obi "$fe"
		sysctl -qw kernel.bpf_stats_enabled=1
		t0=$(bpf_ns_total)
		read -r inst reqs < <(run_wrk)
		t1=$(bpf_ns_total)
		sysctl -qw kernel.bpf_stats_enabled=0
		stop_obi
		spans=$(awk '/Processed/ {n=$2} END {print n+0}' "$work/obi-$fe.out")
		ratio=$(python3 -c "print(f'{$inst/$base:.3f}')")
		nsreq=$(python3 -c "print(f'{($t1-$t0)/max($reqs,1):.0f}')")
		printf 'round %d %-8s baseline %9.0f req/s  with obi %9.0f req/s  ratio %s  bpf %4s ns/req  spans %s/%s  rss probe %s KiB enricher %s KiB\n' \
			"$r" "$fe" "$base" "$inst" "$ratio" "$nsreq" "$spans" "$reqs" "$probe_rss" "$enricher_rss"
		rps[$fe]+="$ratio "
		ns[$fe]+="$nsreq "
		prss[$fe]+="$probe_rss "
		erss[$fe]+="$enricher_rss "
	done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maxv() { tr ' ' '\n' | grep -v '^$' | sort -g | tail -1; }
echo
echo "front end | throughput ratio (median) | BPF ns/request (median) | peak RSS probe / enricher (KiB, max)"
for fe in socket syscall; do
	printf '%-9s | %s | %s | %s / %s\n' "$fe" "$(echo "${rps[$fe]}" | median)" \
		"$(echo "${ns[$fe]}" | median)" "$(echo "${prss[$fe]}" | maxv)" "$(echo "${erss[$fe]}" | maxv)"
done
