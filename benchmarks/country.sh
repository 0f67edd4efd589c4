#!/usr/bin/env bash
# The country suite in one command: Kezek against the PostgreSQL baseline on one generated
# history of the whole country, with the decision-equality check (benchmarks/country_bench.cc).
#
#   benchmarks/country.sh            default size: 1,000,000 applications (about 9 minutes)
#   benchmarks/country.sh --quick    10,000 applications, the baseline runs the whole history
#                                    (the CI smoke test: figures printed, not asserted; the
#                                    decision check must pass)
#   extra options go to country_bench, e.g. --applications 3000000 --pg-seconds 300
#
# Starts a PostgreSQL server of its own (benchmarks/pg.sh, fresh data directory, loopback) and
# stops it on exit. Prints a table and writes JSON to out/country[-quick]/country.json. Exits
# non-zero if Kezek and the baseline decide differently.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
args=()
for a in "$@"; do
  if [ "$a" = "--quick" ]; then quick=1; else args+=("$a"); fi
done
scripts/setup.sh > /dev/null
scripts/build.sh release > /dev/null
pgdir=${KEZEK_PG_DIR:-${TMPDIR:-/tmp}/kezek-pg-$$}
port=${KEZEK_PG_PORT:-54329}
trap 'benchmarks/pg.sh stop "$pgdir" "$port" || true; rm -rf "$pgdir" "$pgdir.initdb.log"' EXIT
conninfo=$(benchmarks/pg.sh start "$pgdir" "$port")
if [ "$quick" = 1 ]; then
  size=(--applications 10000 --pg-seconds 600 --durable-seconds 5 --reads 2000
        --work out/country-quick --json out/country-quick/country.json)
else
  size=(--applications 1000000 --pg-seconds 150 --durable-seconds 45 --reads 20000
        --work out/country --json out/country/country.json)
fi
build/benchmarks/country_bench "${size[@]}" --pg "$conninfo" "${args[@]}"
