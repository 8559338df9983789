#!/usr/bin/env bash
# tests/otlp/run.sh: the OTLP tests (make test-otlp): npm packages, the field-number check against
# the official .proto files, both receivers' proof with the OTel JS SDK (traces and metrics), then
# the unit-test binaries of proto encoding, HTTP and gRPC export, results, sampler, event loop and
# metrics (aggregation, export, config) in DIR.
set -u
dir=${1:?usage: run.sh DIR}
cd "$(dirname "$0")/../.."
bash tests/otlp/setup.sh || { echo "otlp: npm ci failed"; exit 1; }
pass=0 fail=0
run() {
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $*"; fi
}
run node tests/otlp/check_fields.js
run timeout 120 node tests/otlp/prove_receiver.js http
run timeout 120 node tests/otlp/prove_receiver.js grpc
run timeout 120 node tests/otlp/prove_metrics.js http
run timeout 120 node tests/otlp/prove_metrics.js grpc
for t in test_otlp_encode test_otlp_http test_otlp_grpc test_otlp_result test_sampler test_evloop \
	test_metrics test_metrics_export test_metrics_config; do
	run env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 "$dir/$t"
done
echo "otlp: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
