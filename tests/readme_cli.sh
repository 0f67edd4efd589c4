#!/usr/bin/env bash
# Every README example of the kezek command runs: each line of the README's ```sh blocks that
# starts with `$K ` (or pipes into `$K`) is run, in order, in a fresh directory, and must exit 0.
# For the test's time, sizes are cut (--applications at most 2000, --months at most 1); every
# option and file name is taken as written. (scripts/ and benchmarks/ lines are not run here:
# scripts/test.sh runs them.)
# usage: readme_cli.sh KEZEK_BINARY README WORK_DIR
set -euo pipefail
K=$1
readme=$2
work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
export K
# The Kafka examples ($B: the broker) run against the suite's broker (scripts/kafka.sh run sets
# KEZEK_KAFKA_BOOTSTRAP); without one they are skipped, and said so.
export B=${KEZEK_KAFKA_BOOTSTRAP:-}
count=0
skipped=0
while IFS= read -r line; do
  if [ -z "$B" ] && [[ $line == *'$B'* ]]; then
    skipped=$((skipped + 1))
    continue
  fi
  command=${line%%  #*}  # the comment after two spaces goes
  command=$(echo "$command" | sed -E 's/--applications [0-9]+/--applications 2000/; s/--months [0-9]+/--months 1/')
  count=$((count + 1))
  if ! bash -c "set -o pipefail; $command" > "out-$count.txt" 2>&1; then
    echo "FAIL: README example $count: $line"
    cat "out-$count.txt"
    exit 1
  fi
done < <(awk '/^```sh$/ {inside = 1; next} /^```$/ {inside = 0} inside' "$readme" | grep -E '^\$K |\| \$K ')
[ "$count" -ge 10 ] || { echo "FAIL: only $count README examples found"; exit 1; }
echo "readme_cli: $count README examples of the kezek command ran${B:+ (the Kafka ones against $B)}"
[ "$skipped" -eq 0 ] || echo "readme_cli: $skipped Kafka examples skipped: no broker (KEZEK_KAFKA_BOOTSTRAP)"
