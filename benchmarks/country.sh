#!/usr/bin/env bash
# The country suite in one command: Kezek against the PostgreSQL baseline on one generated
# history of the whole country, with the decision-equality check (benchmarks/country_bench.cc).
#
#   benchmarks/country.sh            default: the country's births over 24 months from 2024 (about
#                                    660 k families and the 300 k queue waiting on the first day,
#                                    4.1 M actions; about 15 minutes)
#   benchmarks/country.sh --births   the seven-year history: births over 84 months from 2020
#                                    (about 2.4 M families; about 45 minutes, 10 GiB of memory)
#   benchmarks/country.sh --quick    10,000 applications, the baseline runs the whole history
#                                    (the CI smoke test: figures printed, not asserted; the
#                                    decision check must pass)
#   extra options go to country_bench, e.g. --applications 3000000 --pg-seconds 300
#
# Starts a PostgreSQL server of its own (benchmarks/pg.sh, fresh data directory, loopback, on the
# first free port from 54329, or KEZEK_PG_PORT) and stops it on exit, keeping its logs in
# out/country[-quick]/pg-*.log. Prints a table and writes JSON to out/country[-quick]/country.json. Exits
# non-zero if Kezek and the baseline decide differently.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
seven=0
args=()
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    --births) seven=1 ;;
    *) args+=("$a") ;;
  esac
done
[ "$quick$seven" != 11 ] || { echo "country.sh: --quick or --births, not both" >&2; exit 2; }
scripts/setup.sh > /dev/null
scripts/build.sh release > /dev/null
if [ "$quick" = 1 ]; then out=out/country-quick; elif [ "$seven" = 1 ]; then out=out/country-births; else out=out/country; fi
mkdir -p "$out"
pgdir=${KEZEK_PG_DIR:-${TMPDIR:-/tmp}/kezek-pg-$$}
# A free loopback port (another suite, or another user's server, may hold 54329).
port_free() { ! (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }
port=${KEZEK_PG_PORT:-}
if [ -z "$port" ]; then
  for candidate in $(seq 54329 54428); do
    if port_free "$candidate"; then port=$candidate; break; fi
  done
  [ -n "$port" ] || { echo "country.sh: no free port in 54329..54428 (set KEZEK_PG_PORT)" >&2; exit 1; }
fi
# On exit the server stops and its data directory goes, but its logs are kept in $out.
keep_logs() {
  benchmarks/pg.sh stop "$pgdir" "$port" || true
  [ -f "$pgdir/server.log" ] && cp "$pgdir/server.log" "$out/pg-server.log"
  [ -f "$pgdir.initdb.log" ] && cp "$pgdir.initdb.log" "$out/pg-initdb.log"
  rm -rf "$pgdir" "$pgdir.initdb.log"
}
trap keep_logs EXIT
if ! conninfo=$(benchmarks/pg.sh start "$pgdir" "$port"); then
  echo "country.sh: PostgreSQL did not start on port $port; its log is kept in $out/pg-server.log" >&2
  exit 1
fi
if [ "$quick" = 1 ]; then
  size=(--applications 10000 --pg-seconds 600 --durable-seconds 5 --reads 2000
        --work "$out" --json "$out/country.json")
elif [ "$seven" = 1 ]; then
  size=(--births --first-year 2020 --months 84 --pg-seconds 150 --durable-seconds 45 --reads 20000
        --work "$out" --json "$out/country.json")
else
  size=(--births --first-year 2024 --months 24 --pg-seconds 150 --durable-seconds 45 --reads 20000
        --work "$out" --json "$out/country.json")
fi
build/benchmarks/country_bench "${size[@]}" --pg "$conninfo" "${args[@]}"
# The same history as a fresh process reads it (benchmarks/replay_bench.cc): the durable data
# directory the suite just wrote, folded from its actions log alone, its head checked against the
# journal; the JSON fast path beside FlatBuffers' parser; then the auditor's whole verification
# (`kezek replay verify`: the hash chain on one core, the fold on the other), timed.
build/benchmarks/replay_bench --data "$out/kezek-data" --json "$out/replay.json"
started=$(date +%s.%N)
build/adapters/kezek replay verify --data "$out/kezek-data" 2> /dev/null | tail -1
ended=$(date +%s.%N)
verify_s=$(echo "$ended - $started" | bc)
printf '| kezek replay verify (open, chain + fold on two cores, state compared) | %.1f s |\n' "$verify_s"
printf '{"bench": "verify", "verify_s": %.2f}\n' "$verify_s" | tee "$out/verify.json"
