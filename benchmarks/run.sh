#!/usr/bin/env bash
# Runs the benchmarks in a release build: benchmarks/run.sh [fold_bench options].
# Prints a table and a JSON line; figures are reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh > /dev/null
scripts/build.sh release > /dev/null
build/benchmarks/fold_bench "$@"
