#!/usr/bin/env bash
# tests/bench/enricher_compare.sh: enricher_bench of an older revision's encoder and span builder
# beside the current ones, alternating in one run (the ratios in docs/benchmarks.md).
#
# Usage: bash tests/bench/enricher_compare.sh BUILD_DIR OLD_REV [ROUNDS] [SPANS]
# The files listed in $files are taken from OLD_REV (git show), everything else is the work
# tree's; both binaries are the same tool, so only those files differ. ENRICHER_COMPARE_KEEP=PATH
# keeps the old binary there (e.g. for callgrind).
set -u
cd "$(dirname "$0")/../.." || exit 2
build=${1:?usage: enricher_compare.sh BUILD_DIR OLD_REV [ROUNDS] [SPANS]}
rev=${2:?old revision}
rounds=${3:-5}
spans=${4:-2000000}
files="enricher/otlp_encode.c enricher/otlp_encode.h enricher/otlp_model.c enricher/otlp_model.h enricher/span_build.c"
old=$(mktemp -d /tmp/obi-enricher-compare.XXXXXX)
trap 'rm -rf "$old"' EXIT

make -s -j2 "$build/tests/enricher_bench" || exit 1
mkdir -p "$old/enricher"
for f in $files; do
	git show "$rev:$f" >"$old/$f" || exit 1
done
cflags=(-O2 -g -std=gnu11 -D_GNU_SOURCE "-I$old/enricher" "-I$build" "-I$build/proto" -Icommon -Ienricher)
objs=()
for f in $files; do
	case "$f" in *.c)
		o=$old/$(basename "$f" .c).o
		gcc "${cflags[@]}" -c "$old/$f" -o "$o" || exit 1
		objs+=("$o") ;;
	esac
done
gcc "${cflags[@]}" -c tests/bench/enricher_bench.c -o "$old/enricher_bench.o" || exit 1
skip=$(for f in $files; do case "$f" in *.c) echo "$build/${f%.c}.o" ;; esac; done)
lib=()
for o in "$build"/enricher/*.o; do
	[ "$o" = "$build/enricher/main.o" ] && continue
	grep -qxF "$o" <<<"$skip" && continue
	lib+=("$o")
done
mapfile -t protos < <(find "$build/proto" -name '*.o')
gcc -o "$old/enricher_bench" "$old/enricher_bench.o" "${objs[@]}" "${lib[@]}" "$build"/common/*.o \
	"${protos[@]}" -lyaml -lcjson -lcap -lseccomp -lprotobuf-nanopb -lcurl -lz || exit 1
if [ -n "${ENRICHER_COMPARE_KEEP:-}" ]; then cp "$old/enricher_bench" "$ENRICHER_COMPARE_KEEP" || exit 1; fi

echo "enricher_compare: $rev (old) vs work tree (new), $rounds rounds of $spans spans, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$rounds"); do
	for m in plain gzip; do
		"$old/enricher_bench" -n "$spans" -r 1 -m "$m" | sed -n 's/^mode/old mode/p'
		"$build/tests/enricher_bench" -n "$spans" -r 1 -m "$m" | sed -n 's/^mode/new mode/p'
	done
done | tee "$old/lines"
echo "enricher_compare: load after $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$old/lines" <<'EOF'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r'(old|new) mode (\w+) .*?\(([\d.]+) ns/span: recv ([\d.]+) parse ([\d.]+) encode ([\d.]+)(?: queue ([\d.]+))? gzip ([\d.]+)\).*peak RSS (\d+)', line)
    if m:
        rows.setdefault((m[1], m[2]), []).append([float(x or 0) for x in m.groups()[2:]])
print("version mode  | spans/s per core | ns/span total recv parse encode queue gzip | peak RSS KiB (max)")
for mode in ("plain", "gzip"):
    med = {}
    for ver in ("old", "new"):
        r = rows.get((ver, mode), [])
        if not r:
            continue
        med[ver] = [statistics.median(c) for c in zip(*r)]
        tot, rv, pa, en, qu, gz, _ = med[ver]
        print(f"{ver}     {mode:5} | {1e9 / tot:16.0f} | {tot:7.1f} {rv:5.1f} {pa:6.1f} {en:7.1f} {qu:5.1f} {gz:6.1f} | {max(x[6] for x in r):.0f}")
    if len(med) == 2:
        print(f"ratio new/old {mode}: throughput {med['old'][0] / med['new'][0]:.2f}x, parse {med['old'][2] / med['new'][2]:.2f}x, encode {med['old'][3] / med['new'][3]:.2f}x")
EOF
