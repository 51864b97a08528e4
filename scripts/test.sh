#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, checks layers, then runs every test with node's runner.
# Extra arguments are passed to `node --test` (e.g. a single file under dist/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
node scripts/lint_layers.mjs
if [ "$#" -gt 0 ]; then
  exec node --test --test-concurrency="${K8TS_TEST_CONCURRENCY:-2}" "$@"
fi
mapfile -t files < <(find dist scripts -name '*_test.js' -o -name '*_test.mjs' | sort)
# TAP for every test, then a summary of the failures at the very end of the output.
exec node --test --test-concurrency="${K8TS_TEST_CONCURRENCY:-2}" \
  --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=./scripts/failures_reporter.mjs --test-reporter-destination=stdout \
  "${files[@]}"
