#!/usr/bin/env bash
# The README's second command (and .ci/run's): set up, build, and run every test, first in the
# release build, then under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/python-env.sh  # the OpenAPI tests' pinned PyPI packages, in .venv (at once when present)
scripts/check-core-purity.sh
scripts/build.sh release
# The release suites run beside a real Apache Kafka broker (scripts/kafka.sh: fetched once into a
# cache, one KRaft node on free loopback ports, stopped when ctest ends whatever it did);
# KEZEK_NO_KAFKA=1 runs them without one, and the Kafka smoke test is then reported skipped.
if [ "${KEZEK_NO_KAFKA:-}" = 1 ]; then
  ctest --test-dir build --output-on-failure -j2
else
  scripts/kafka.sh run build/kafka -- ctest --test-dir build --output-on-failure -j2
fi
# ctest counts suites ("6 tests"); doctest's own totals say what ran inside kezek_tests.
doctest_totals() {
  grep -h '^\[doctest\] \(test cases\|assertions\):' "$1/Testing/Temporary/LastTest.log" | tr -s ' ' | sed 's/^\[doctest\] /  /'
}
echo "test: release: kezek_tests ran"; doctest_totals build
# The JSON fast path against FlatBuffers' parser under libFuzzer (Clang, ASan+UBSan), a minute.
scripts/fuzz.sh 60
# The country suite's smoke size against a real PostgreSQL server: figures are printed, not
# asserted; it fails if Kezek and the baseline decide differently.
benchmarks/country.sh --quick
scripts/build.sh sanitize
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-sanitize --output-on-failure -j2
echo "test: all suites passed (release, the country suite's decision check, and ASan+UBSan); kezek_tests under ASan+UBSan ran"
doctest_totals build-sanitize
