#!/usr/bin/env bash
# tests/bench/ablate.sh: where the BPF time per request goes: the bench with one step cut at a time.
#
# Usage: bash tests/bench/ablate.sh [PASSES] [SECONDS] [VARIANT...]   (as root; make bench-ablate)
# Copies the tracked files of the working tree (edits included), builds them once as is ("base")
# and once per cut of ablate.py (one step of the per-request path left out), then runs
# tests/bench/run.sh's socket and socket-hdr variants for base and each cut build in turn, base
# right before each, so that each cut is read against a base run of the same minute: on a
# machine whose cost per operation drifts by 10 % within minutes (the bench VM) nothing else
# shows a 50 ns step.
set -eu -o pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
passes=${1:-2}
secs=${2:-5}
shift $(($# < 2 ? $# : 2))
variants=${*:-$(python3 "$repo/tests/bench/ablate.py" --list | cut -f1)}
tmp=$(mktemp -d /tmp/obi-ablate.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# mktemp makes it 0700: the enricher, which the launcher starts under an unprivileged uid, could
# not then execute its own binary in here.
chmod 755 "$tmp"

mkdir "$tmp/src"
(cd "$repo" && git ls-files -z | tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$tmp/src"
cp -a "$tmp/src/bpf" "$tmp/bpf.orig"
make -s -C "$tmp/src" -j"$(nproc)" BUILD="$tmp/b-base" all >"$tmp/build-base.log" 2>&1 ||
	{ cat "$tmp/build-base.log"; exit 1; }
for v in $variants; do
	rm -rf "$tmp/src/bpf" && cp -a "$tmp/bpf.orig" "$tmp/src/bpf"
	python3 "$repo/tests/bench/ablate.py" "$tmp/src" "$v"
	# Copied with its timestamps, and its dependency files pointed at the copy: only what depends
	# on the edited file (the BPF object, the skeleton, the probe) is rebuilt.
	cp -a "$tmp/b-base" "$tmp/b-$v"
	find "$tmp/b-$v" -name '*.d' -exec sed -i "s#$tmp/b-base/#$tmp/b-$v/#g" {} +
	make -s -C "$tmp/src" -j"$(nproc)" BUILD="$tmp/b-$v" all >"$tmp/build-$v.log" 2>&1 ||
		{ cat "$tmp/build-$v.log"; exit 1; }
	# A cut that left the probe (which embeds the BPF object) as it was would measure nothing.
	if cmp -s "$tmp/b-base/obi-probe" "$tmp/b-$v/obi-probe"; then
		echo "ablate: $v: the cut build's obi-probe is the base build's"; exit 1
	fi
done

for pass in $(seq "$passes"); do
	for v in $variants; do
		for b in base "$v"; do
			echo "# pass $pass pair $v build $b $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
			OBI_BENCH_VARIANTS="socket socket-hdr" bash "$repo/tests/bench/run.sh" "$tmp/b-$b" 1 "$secs" |
				sed -n -e "s/^round 1 /pass $pass pair $v build $b /p" -e '/^bench: \(must\|obi did not\|.* missing\)/,$p'
		done
	done
done | tee "$tmp/runs.log"

python3 - "$tmp/runs.log" "$repo/tests/bench/ablate.py" <<'EOF'
import re, statistics, subprocess, sys
what = dict(l.split("\t", 1) for l in
            subprocess.run([sys.executable, sys.argv[2], "--list"], capture_output=True,
                           text=True, check=True).stdout.splitlines())
runs = {}  # (pass, pair, build, fe) -> bpf ns/request
for line in open(sys.argv[1]):
    m = re.match(r"pass (\d+) pair (\S+) build (\S+) (\S+) .* bpf +(\d+) ns/req", line)
    if m:
        runs[m.group(1, 2, 3, 4)] = int(m.group(5))
print("\ncut | what the cut build leaves out | socket: BPF ns/request base -> cut (saved) | "
      "socket-hdr: base -> cut (saved)   [medians over passes; saved = median of per-pass base - cut]")
for v in dict.fromkeys(k[1] for k in runs):
    cells = []
    for fe in ("socket", "socket-hdr"):
        pairs = [(runs[(p, v, "base", fe)], runs[(p, v, v, fe)]) for p, pv, b, f in runs
                 if pv == v and b == v and f == fe and (p, v, "base", fe) in runs]
        if not pairs:
            cells.append("-")
            continue
        base = statistics.median(a for a, _ in pairs)
        cut = statistics.median(c for _, c in pairs)
        saved = statistics.median(a - c for a, c in pairs)
        cells.append(f"{base:.0f} -> {cut:.0f} ({saved:+.0f})")
    print(f"{v} | {what.get(v, '?')} | {cells[0]} | {cells[1]}")
EOF
