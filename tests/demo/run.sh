#!/usr/bin/env bash
# tests/demo/run.sh: the README's run command: obi on every listening TCP port, spans printed.
#
# Starts obi with a built-in default (every process listening on TCP 1-65535, text printer)
# plus a small demo workload (python http.server and a curl every second) so spans show up
# within seconds even on an idle machine. DEMO=0 skips the workload. Ctrl-C stops everything.
set -u
build=$(readlink -f "${1:-build}")
shift || true
port=${DEMO_PORT:-8765}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "run: obi loads eBPF programs: run as root (make run re-runs itself with sudo when there is one)"; exit 1; }
export OTEL_EBPF_OPEN_PORT=${OTEL_EBPF_OPEN_PORT:-1-65535}
export OTEL_EBPF_TRACE_PRINTER=${OTEL_EBPF_TRACE_PRINTER:-text}
"$build/obi" "$@" &
pids+=($!)
if [ "${DEMO:-1}" = 1 ]; then
	dir=$(mktemp -d)
	echo "hello from the obi demo" >"$dir/index.html"
	# Started after obi, so it is also picked up by the LISTEN event, not only the start scan.
	sleep 1
	(cd "$dir" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
	pids+=($!)
	(while sleep 1; do curl -s -o /dev/null "http://127.0.0.1:$port/?demo=1"; done) &
	pids+=($!)
fi
wait "${pids[0]}"
