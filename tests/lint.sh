#!/usr/bin/env bash
# tests/lint.sh: static checks: clang-format conformance, cppcheck, clang-tidy (make lint).
set -u
cd "$(dirname "$0")/.."
srcs=$(ls common/*.c probe/*.c enricher/*.c)
hdrs=$(ls common/*.h probe/*.h enricher/*.h)
fail=0
echo "lint: clang-format"
for f in $srcs $hdrs; do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "  needs formatting: $f"; fail=1
	fi
done
echo "lint: cppcheck"
# nanopb's generated headers check <pb.h>'s version, a system header cppcheck does not read.
cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	--suppress='preprocessorErrorDirective:build/proto/*' --inline-suppr -D_GNU_SOURCE -Icommon -Ibuild -Ibuild/proto $srcs || fail=1
echo "lint: clang-tidy"
make -s build/obi.skel.h build/proto/.stamp >/dev/null
for f in $srcs; do
	clang-tidy --quiet "$f" -- -std=gnu11 -D_GNU_SOURCE -Icommon -Ibuild -Ibuild/proto 2>/dev/null | grep -v "^build/" |
		grep -E 'warning:|error:' && fail=1
done
[ "$fail" = 0 ] && echo "lint: clean" || echo "lint: problems found"
exit "$fail"
