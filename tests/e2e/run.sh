#!/usr/bin/env bash
# End-to-end tests: bash tests/e2e/run.sh BUILD_DIR [e2e.py options: -k NAME, --frontend socket|syscall|compat]
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-build}
[ $# -gt 0 ] && shift
exec python3 "$here/e2e.py" "$build" "$@"
