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

sink_pid=

cleanup() {
	[ -n "$obi_pid" ] && kill "$obi_pid" 2>/dev/null && wait "$obi_pid" 2>/dev/null
	[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
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
ng_worker=$(pgrep -P "$ng_pid" | head -n1)

# A browser-like request head (~480 bytes, 8 headers) for the -hdr variant: wrk's own default
# request is ~40 bytes, shorter than any traceparent scan or real client.
hdr_args=(-H "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	-H "Accept-Language: en-US,en;q=0.5" -H "Accept-Encoding: gzip, deflate, br"
	-H "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
	-H "Cookie: session=0123456789abcdef0123456789abcdef; theme=dark" -H "Cache-Control: no-cache"
	-H "X-Request-Id: 7f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b")

run_wrk() { # run_wrk VARIANT: prints requests/s and total requests
	local -a extra=()
	[ "${1%-hdr}" != "$1" ] && extra=("${hdr_args[@]}")
	taskset -c 1 wrk -t1 -c8 -d"${secs}s" "${extra[@]}" "http://127.0.0.1:$port/" 2>/dev/null |
		awk '/requests in/ {n=$1} /Requests\/sec/ {r=$2} END {printf "%s %s\n", r, n}'
}

# The OTLP collector of the socket-otlp variant: accepts every export (HTTP/protobuf, traces
# and metrics), reads the body and discards it: what obi pays to export, not what a collector
# pays to decode.
sink_port=$((port + 2))
cat >"$work/sink.py" <<'EOF2'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF2
python3 "$work/sink.py" "$sink_port" &
sink_pid=$!

# $1 variant: socket, syscall, compat (the syscall front end in the compat BPF object that
# Linux 5.8-5.11 load), socket-hdr (socket, browser-like request heads), socket-otlp (socket,
# traces and RED metrics exported over OTLP/HTTP to the local sink), or socket-idle (attached,
# nginx not selected)
start_obi() {
	local fe=${1%-idle} sel=$port ready='instrumenting pid' obj=full
	local -a otlp=()
	if [ "$fe" != "$1" ]; then sel=$((port + 1)); ready='running:'; fi
	fe=${fe%-hdr}
	if [ "${fe%-otlp}" != "$fe" ]; then
		fe=${fe%-otlp}
		otlp=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port"
			OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_EBPF_METRICS_INTERVAL=5s)
	fi
	if [ "$fe" = compat ]; then fe=syscall; obj=compat; fi
	mkdir -p "$sock_dir"
	env "${otlp[@]}" OTEL_EBPF_OPEN_PORT=$sel OTEL_EBPF_TRACE_PRINTER=counter OTEL_EBPF_BPF_OBJECT=$obj \
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

declare -A rps ns prss erss pc ec bases insts ngb ngi
allbases=
echo "bench: nginx 1 worker (CPU 0), wrk -t1 -c8 -d${secs}s (CPU 1), $rounds rounds, $(nproc) CPUs, $(uname -r)"
run_wrk warm-up >/dev/null
hz=$(getconf CLK_TCK)
variants="${OBI_BENCH_VARIANTS:-socket socket-otlp syscall compat socket-hdr socket-idle}"
for r in $(seq "$rounds"); do
	for fe in $variants; do
		# nginx CPU per request: where nginx itself saturates, the throughput ratio shows every
		# ns we add; where wrk is the limit, nginx has slack and the ratio hides some.
		w0=$(cpu_ticks "$ng_worker")
		read -r base breqs < <(run_wrk "$fe")
		w1=$(cpu_ticks "$ng_worker")
		ngbase=$(python3 -c "print(f'{($w1-$w0)/$hz*1e6/max($breqs,1):.2f}')")
		start_obi "$fe"
		probe=$(pgrep -P "$obi_pid" -x obi-probe)
		enricher=$(pgrep -P "$obi_pid" -x obi-enricher)
		# Throughput and CPU with BPF statistics off, as in production: they add two clock
		# reads to every program run (costly in a VM), which would count against obi.
		p0=$(cpu_ticks "$probe"); e0=$(cpu_ticks "$enricher"); s0=$(cpu_ticks "$sink_pid")
		w0=$(cpu_ticks "$ng_worker")
		read -r inst reqs < <(run_wrk "$fe")
		w1=$(cpu_ticks "$ng_worker")
		nginst=$(python3 -c "print(f'{($w1-$w0)/$hz*1e6/max($reqs,1):.2f}')")
		p1=$(cpu_ticks "$probe"); e1=$(cpu_ticks "$enricher"); s1=$(cpu_ticks "$sink_pid")
		pcpu=$(( (p1 - p0) * 100 / hz / secs )); ecpu=$(( (e1 - e0) * 100 / hz / secs ))
		# The -otlp variants' sink shares the two CPUs too: what it takes is shown apart.
		scpu=$(( (s1 - s0) * 100 / hz / secs ))
		# Then a run with them on, for the BPF time per request only.
		sysctl -qw kernel.bpf_stats_enabled=1
		t0=$(bpf_ns_total)
		read -r _ sreqs < <(run_wrk "$fe")
		t1=$(bpf_ns_total)
		sysctl -qw kernel.bpf_stats_enabled=0
		stop_obi
		spans=$(awk '/Processed/ {n=$2} END {print n+0}' "$work/obi-$fe.out")
		reqs_all=$((reqs + sreqs))
		ratio=$(python3 -c "print(f'{$inst/$base:.3f}')")
		nsreq=$(python3 -c "print(f'{($t1-$t0)/max($sreqs,1):.0f}')")
		printf 'round %d %-11s base %7.0f/s obi %7.0f/s ratio %s bpf %4s ns/req nginx %s/%s us/req spans %s/%s cpu probe %s%% enricher %s%% sink %s%% rss %s/%s KiB\n' \
			"$r" "$fe" "$base" "$inst" "$ratio" "$nsreq" "$ngbase" "$nginst" "$spans" "$reqs_all" "$pcpu" "$ecpu" "$scpu" "$probe_rss" "$enricher_rss"
		allbases+="$base "
		ngb[$fe]+="$ngbase "
		ngi[$fe]+="$nginst "
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
# Every baseline run is the same workload: their median over the whole run is the steadiest
# reference (a variant's own few baselines swing with the machine as much as its ratio does).
pooled=$(echo "$allbases" | median)
echo "pooled baseline (median of all $(echo "$allbases" | wc -w) baseline runs): $pooled/s"
echo "variant | throughput ratio (median of rounds) | median obi / median baseline | median obi / pooled baseline | BPF ns/request (median) | nginx CPU us/request base / obi (median) | CPU % of a core probe / enricher (median) | peak RSS probe / enricher KiB (max)"
for fe in $variants; do
	mb=$(echo "${bases[$fe]}" | median)
	mi=$(echo "${insts[$fe]}" | median)
	printf '%-11s | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s\n' "$fe" "$(echo "${rps[$fe]}" | median)" \
		"$(python3 -c "print(f'{$mi/$mb:.3f}')")" "$(python3 -c "print(f'{$mi/$pooled:.3f}')")" \
		"$(echo "${ns[$fe]}" | median)" "$(echo "${ngb[$fe]}" | median)" "$(echo "${ngi[$fe]}" | median)" \
		"$(echo "${pc[$fe]}" | median)" "$(echo "${ec[$fe]}" | median)" \
		"$(echo "${prss[$fe]}" | maxv)" "$(echo "${erss[$fe]}" | maxv)"
done
