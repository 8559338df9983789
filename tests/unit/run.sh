#!/usr/bin/env bash
# tests/unit/run.sh: runs every cmocka unit-test binary in DIR and prints one summary line.
set -u
dir=${1:?usage: run.sh DIR}
pass=0 fail=0
for t in "$dir"/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue;; esac
	if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "FAILED: $t"
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
