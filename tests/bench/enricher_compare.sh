#!/usr/bin/env bash
# tests/bench/enricher_compare.sh: enricher_bench of an older revision beside the work tree's,
# alternating in one run (the ratios in docs/benchmarks.md).
#
# Usage: bash tests/bench/enricher_compare.sh BUILD_DIR OLD_REV [ROUNDS] [SPANS]
# OLD_REV is built whole in a temporary git worktree (its own enricher_bench, so any change to
# the span, the builder or the encoder is compared as it was), the work tree's in BUILD_DIR.
# ENRICHER_COMPARE_KEEP=PATH keeps the old binary there (e.g. for callgrind).
set -u
cd "$(dirname "$0")/../.." || exit 2
build=${1:?usage: enricher_compare.sh BUILD_DIR OLD_REV [ROUNDS] [SPANS]}
rev=${2:?old revision}
rounds=${3:-5}
spans=${4:-2000000}
old=$(mktemp -d /tmp/obi-enricher-compare.XXXXXX)
trap 'git worktree remove --force "$old/wt" >/dev/null 2>&1; rm -rf "$old"' EXIT

make -s -j2 "$build/tests/enricher_bench" || exit 1
git worktree add -q --detach "$old/wt" "$rev" || exit 1
make -s -C "$old/wt" -j2 build/tests/enricher_bench || exit 1
oldbin=$old/wt/build/tests/enricher_bench
if [ -n "${ENRICHER_COMPARE_KEEP:-}" ]; then cp "$oldbin" "$ENRICHER_COMPARE_KEEP" || exit 1; fi

echo "enricher_compare: $rev (old) vs work tree (new), $rounds rounds of $spans spans, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$rounds"); do
	for m in plain gzip; do
		"$oldbin" -n "$spans" -r 1 -m "$m" | sed -n 's/^mode/old mode/p'
		"$build/tests/enricher_bench" -n "$spans" -r 1 -m "$m" | sed -n 's/^mode/new mode/p'
	done
done | tee "$old/lines"
echo "enricher_compare: load after $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$old/lines" <<'EOF'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r'(old|new) mode (\w+) .*?\(([\d.]+) ns/span:([^)]*)\).*peak RSS (\d+)', line)
    if m:
        st = {k: float(v) for k, v in re.findall(r'(\w+) ([\d.]+)', m[4])}
        rows.setdefault((m[1], m[2]), []).append((float(m[3]), st, int(m[5])))
stages = ("recv", "parse", "route", "name", "encode", "queue", "gzip")
print("version mode  | spans/s per core | ns/span total " + " ".join(stages) + " | peak RSS KiB (max)")
for mode in ("plain", "gzip"):
    med = {}
    for ver in ("old", "new"):
        r = rows.get((ver, mode), [])
        if not r:
            continue
        tot = statistics.median(x[0] for x in r)
        per = {s: statistics.median(x[1].get(s, 0.0) for x in r) for s in stages}
        med[ver] = (tot, per)
        print(f"{ver}     {mode:5} | {1e9 / tot:16.0f} | {tot:7.1f} " +
              " ".join(f"{per[s]:.1f}" for s in stages) + f" | {max(x[2] for x in r)}")
    if len(med) == 2:
        o, n = med["old"], med["new"]
        ratio = lambda s: o[1][s] / n[1][s] if n[1][s] else float("nan")
        print(f"ratio new/old {mode}: throughput {o[0] / n[0]:.2f}x, parse {ratio('parse'):.2f}x, encode {ratio('encode'):.2f}x")
EOF
