#!/usr/bin/env bash
# Runs the benchmarks in a release build and prints their tables and JSON lines; figures are
# reported, never asserted. benchmarks/run.sh [--quick]
#   fold_bench     the in-memory fold, the JSON path, position reads, memory (baselines in-run)
#   runtime_bench  durable append+fold with fsync'd group commit vs the in-memory fold; restart
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh > /dev/null
scripts/build.sh release > /dev/null
if [ "${1:-}" = "--quick" ]; then
  build/benchmarks/fold_bench --applications 2000 --repeats 1
  build/benchmarks/runtime_bench --applications 2000 --restart-applications 20000
else
  build/benchmarks/fold_bench --applications 20000
  build/benchmarks/runtime_bench --applications 20000 --restart-applications 1000000
fi
