#!/usr/bin/env bash
# The deterministic core (engine/) and the read models (projections/) read no clock, randomness, environment, file or socket.
# This check fails the build if a forbidden call or header appears there.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='std::chrono::(system_clock|steady_clock|high_resolution_clock)|\b(time|clock|gettimeofday|clock_gettime|rand|srand|random|getenv|secure_getenv|fopen|open|socket)\s*\(|std::random_device|<random>|<fstream>|<ctime>|<thread>|std::getenv'
# Comment lines are skipped: they may say "time (" in prose.
if grep -nE "$pattern" engine/*.h engine/*.cc projections/*.h projections/*.cc | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//'; then
  echo "check-core-purity: forbidden call in engine/ or projections/ (see above)" >&2
  exit 1
fi
echo "check-core-purity: engine/ and projections/ are free of clocks, randomness, environment and I/O"
