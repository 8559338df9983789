#!/usr/bin/env bash
# tests/fuzz/run.sh: builds every tests/fuzz/fuzz_*.c with libFuzzer+ASan+UBSan and runs each briefly.
#
#   bash tests/fuzz/run.sh [SECONDS]     (default 30 s per harness)
#
# Binaries, corpora (build/fuzz/corpus-NAME, seeded from tests/fuzz/seeds/NAME/) and crash
# artifacts (build/fuzz/NAME-crash-*) go to build/fuzz/. Exits non-zero if any harness fails to
# build or finds a crash, leak or sanitizer report.
set -u
cd "$(dirname "$0")/../.." || exit 2

secs=${1:-30}
case "$secs" in '' | *[!0-9]*) echo "usage: run.sh [SECONDS]" >&2; exit 2 ;; esac
CLANG=${CLANG:-clang}
out=build/fuzz
mkdir -p "$out"

# Product sources and libraries each harness links.
fuzz_srcs() {
	case "$1" in
	config | config_env) echo "$(ls common/config*.c) common/glob.c common/log.c -lyaml" ;;
	http) echo "enricher/http_parse.c enricher/span_build.c enricher/span.c enricher/pipeline.c common/log.c" ;;
	wire) echo "common/wire.c common/wire_pod.c enricher/records.c enricher/proc_table.c enricher/span_build.c enricher/span.c" \
		"tests/fuzz/sinks.c" \
		"enricher/exch_hold.c enricher/pipeline.c $(ls enricher/route*.c enricher/span_route*.c)" \
		"enricher/span_filter.c enricher/span_peer.c" \
		"enricher/http_parse.c enricher/printer.c enricher/otlp_model.c" \
		"$(ls common/config*.c) common/glob.c common/log.c -lyaml -lcjson" ;;
	route) echo "enricher/route_match.c enricher/route_heur.c enricher/route_word.c" \
		"enricher/route_vocab.c enricher/route_model.c enricher/route_lc.c" ;;
	otlp) echo "enricher/otlp_result.c enricher/otlp_grpc.c enricher/otlp_gzip.c" \
		"enricher/otlp_model.c enricher/span_build.c enricher/span.c enricher/http_parse.c" \
		"common/log.c" build/proto/obi/*.pb.c \
		build/proto/opentelemetry/proto/*/v1/*.pb.c \
		build/proto/opentelemetry/proto/collector/*/v1/*.pb.c \
		"-Ibuild/proto -lprotobuf-nanopb -lcjson -lz -lcurl" ;;
	procparse) echo "probe/procparse.c" ;;
	select_lang) echo "probe/select_lang.c common/glob.c common/wire.c" ;;
	glob) echo "common/glob.c" ;;
	printer) echo "enricher/printer.c enricher/span_build.c enricher/span.c enricher/http_parse.c" \
		"enricher/otlp_model.c" \
		"$(ls common/config*.c) common/glob.c common/log.c -lyaml -lcjson" ;;
	probe_msg) echo "probe/msgtable.c probe/select_pod.c common/wire.c common/wire_pod.c" ;;
	enricher_msg) echo "enricher/messages.c common/wire.c common/wire_pod.c enricher/records.c" \
		"enricher/k8s_podinfo.c" \
		"tests/fuzz/sinks.c" \
		"enricher/exch_hold.c enricher/pipeline.c $(ls enricher/route*.c enricher/span_route*.c)" \
		"enricher/span_filter.c enricher/span_peer.c" \
		"enricher/proc_table.c enricher/span_build.c enricher/span.c enricher/http_parse.c" \
		"enricher/printer.c enricher/otlp_model.c $(ls common/config*.c) common/glob.c" \
		"common/log.c -lyaml -lcjson" ;;
	k8s_event) echo "enricher/k8s_jsplit.c enricher/k8s_arena.c enricher/k8s_parse.c enricher/k8s_store.c" \
		"enricher/k8s_map.c enricher/k8s_ident.c enricher/otlp_model.c enricher/span_build.c enricher/span.c" \
		"enricher/http_parse.c common/log.c common/k8s_cgroup.c -lcjson" ;;
	*) return 1 ;;
	esac
}

# The OTLP harness links the nanopb-generated messages.
make -s build/proto/.stamp >/dev/null || exit 2

# One harness: build, seed, run. Prints its lines, returns non-zero on a build failure or a finding.
fuzz_one() {
	local src=$1 name bin corpus deps log
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	bin=$out/fuzz_$name
	corpus=$out/corpus-$name
	if ! deps=$(fuzz_srcs "$name"); then
		echo "fuzz_$name: no source list in tests/fuzz/run.sh"
		return 1
	fi
	echo "  FUZZ-CC $bin"
	# shellcheck disable=SC2086 # deps is a word list on purpose
	if ! "$CLANG" -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -fno-omit-frame-pointer -D_GNU_SOURCE \
		-Icommon -Ienricher -Iprobe "$src" $deps -o "$bin" 2>&1; then
		echo "fuzz_$name: build failed"
		return 1
	fi
	mkdir -p "$corpus"
	if [ -d "tests/fuzz/seeds/$name" ]; then
		cp -n tests/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null || true
	fi
	echo "  FUZZ    $bin (${secs}s)"
	log=$out/fuzz_$name.log
	if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/fuzz_$name-" "$corpus" >"$log" 2>&1; then
		echo "fuzz_$name: ok ($(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" |
			grep -o '[0-9]*$') runs, corpus $(find "$corpus" -type f | wc -l) inputs)"
		return 0
	fi
	echo "fuzz_$name: FAILED (log: $log)"
	grep -a -m 20 -E 'ERROR|SUMMARY|runtime error|Test unit written|#[0-9]+ 0x' "$log"
	return 1
}

# Harnesses are independent and each libFuzzer run is one thread: run FUZZ_JOBS at once (one per
# CPU by default), each printing its lines when it ends so that they do not interleave (a failing
# harness's to stderr, as before).
jobs_max=${FUZZ_JOBS:-$(nproc)}
res=$(mktemp -d "$out/results.XXXXXX")
n=0
for src in ${FUZZ_ONLY:-tests/fuzz/fuzz_*.c}; do
	[ -e "$src" ] || continue
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
	n=$((n + 1))
	(
		fuzz_one "$src" >"$res/$n.out"
		rc=$?
		echo "$rc" >"$res/$n.rc"
		if [ "$rc" = 0 ]; then cat "$res/$n.out"; else cat "$res/$n.out" >&2; fi
	) &
done
wait
pass=0 fail=0
for rc in "$res"/*.rc; do
	[ -e "$rc" ] || continue
	if [ "$(cat "$rc")" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
rm -rf "$res"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
