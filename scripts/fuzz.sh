#!/usr/bin/env bash
# Fuzzes the JSON fast path against FlatBuffers' parser (tests/fuzz/json_decoder_fuzz.cc) with
# libFuzzer, under AddressSanitizer and UndefinedBehaviorSanitizer, for SECONDS (default 120).
# usage: scripts/fuzz.sh [SECONDS]
# Builds the target with Clang in build-fuzz/ (Debian's clang and libclang-rt-14-dev, which
# scripts/setup.sh installs); seeds: the crash corpus and the lines of a generated history; a
# dictionary of the schema's names. The corpus libFuzzer grows is kept in build-fuzz/corpus/ (the
# next run starts from it). Exit 0 when no difference and no crash was found; otherwise libFuzzer's
# status, the finding saved as build-fuzz/crash-* and printed with its bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
case "$seconds" in ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;; esac
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" \
  -DKEZEK_FUZZ=ON -DBUILD_TESTING=OFF > /dev/null
if ! ninja -C build-fuzz -j2 json_decoder_fuzz > build-fuzz/build.log 2>&1; then
  grep -E 'error|FAILED' build-fuzz/build.log | head -20
  echo "fuzz: the fuzz target did not build (build-fuzz/build.log)"
  exit 1
fi
[ -x build/adapters/kezek ] || scripts/build.sh release > /dev/null  # writes the seed history
seeds=build-fuzz/seeds
rm -rf "$seeds" && mkdir -p "$seeds" build-fuzz/corpus
# One seed a line: the crash corpus, and a small generated city (every action kind).
{ cat tests/corpus/crashes.jsonl
  build/adapters/kezek sample --seed 5 --applications 300 --months 14 2> /dev/null | awk 'NR % 7 == 1'
} | split -l 1 -a 5 - "$seeds/line-"
# The dictionary: the schema's field, table and enum value names, quoted as JSON keys and values.
grep -ohE '\b[A-Za-z_][A-Za-z0-9_]*\b' schemas/actions.fbs schemas/common.fbs | sort -u |
  awk '{ printf "\"\\\"%s\\\"\"\n", $0 }' > build-fuzz/json.dict
printf '"null"\n"true"\n"false"\n"-0"\n"1e2"\n"\\\\u0000"\n"\\\\ud800"\n"18446744073709551616"\n' >> build-fuzz/json.dict
echo "fuzz: $(ls "$seeds" | wc -l) seed lines, $(ls build-fuzz/corpus | wc -l) in the kept corpus, ${seconds} s"
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  build-fuzz/tests/fuzz/json_decoder_fuzz -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -dict=build-fuzz/json.dict -artifact_prefix=build-fuzz/ -print_final_stats=1 \
  build-fuzz/corpus "$seeds" 2>&1 | grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse)' | tail -25
status=${PIPESTATUS[0]}
if [ "$status" != 0 ]; then
  for f in build-fuzz/crash-*; do [ -f "$f" ] && { echo "fuzz: finding $f:"; od -c "$f" | head -20; }; done
  echo "fuzz: FAILED (status $status)"
  exit "$status"
fi
echo "fuzz: no difference and no crash in ${seconds} s"
