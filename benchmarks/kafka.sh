#!/usr/bin/env bash
# The engine on Kafka against its baselines, on one generated history, in one run (docs/kafka.md,
# "Measured"): a broker of its own (scripts/kafka.sh), then
#   embedded        kezek append --data: the durable local runtime (fsync'd group commit)
#   exactly-once    kezek run --kafka, 1 partition: transactions (records + changelog + offsets)
#   at-least-once   the same member with --at-least-once: no transactions, offsets after a flush
#   1 member / 2 members   4 partitions folded by one member, then by two in one group
# Prints a table and one JSON line; figures are reported, never asserted.
#   benchmarks/kafka.sh [--applications N] [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
applications=30000
months=12
while [ $# -gt 0 ]; do
  case $1 in
    --quick) applications=3000; months=6; shift ;;
    --applications) applications=$2; shift 2 ;;
    *) echo "usage: benchmarks/kafka.sh [--applications N] [--quick]" >&2; exit 2 ;;
  esac
done
scripts/setup.sh > /dev/null
scripts/build.sh release > /dev/null
kezek=$PWD/build/adapters/kezek
work=$(mktemp -d /tmp/kezek-kafka-bench.XXXXXX)
broker=$work/kafka
trap 'scripts/kafka.sh stop "$broker" > /dev/null 2>&1 || true; rm -rf "$work"' EXIT
scripts/kafka.sh start "$broker" > /dev/null
brokers=$(cat "$broker/bootstrap")
"$kezek" sample --country --applications "$applications" --months "$months" --output "$work/history.jsonl" 2> /dev/null
inputs=$(wc -l < "$work/history.jsonl")

now() { date +%s.%N; }
rate() { echo "scale=0; $1 / $2" | bc; }

# embedded: the same lines through the durable runtime (one engine, one partition)
t0=$(now)
"$kezek" append --quiet --data "$work/embedded" "$work/history.jsonl" 2> /dev/null
embedded_s=$(echo "$(now) - $t0" | bc)

# One member folding one partition; the member's own figure (time in folding and committing,
# without joining the group or waiting) is the one reported.
member_rate() { # PREFIX EXTRA...
  local prefix=$1
  shift
  "$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 1 > /dev/null
  "$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/history.jsonl" 2> /dev/null
  "$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --data "$work/$prefix" --exit-when-idle 500 "$@" 2>&1 |
    sed -n 's/.*folded \([0-9]*\) inputs in [0-9]* batches, \([0-9.]*\) s folding.*/\1 \2/p'
}
read -r eo_inputs eo_s <<< "$(member_rate eo)"
read -r alo_inputs alo_s <<< "$(member_rate alo --at-least-once)"

# 4 partitions: one member, then two members of one group, each timed from start to the last exit.
group_time() { # PREFIX MEMBERS
  local prefix=$1 members=$2 i t0 pids=()
  "$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 4 > /dev/null
  "$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/history.jsonl" 2> /dev/null
  t0=$(now)
  for ((i = 1; i <= members; i++)); do
    "$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --data "$work/$prefix-$i" --instance "m$i" \
      --exit-when-idle 1000 2> "$work/$prefix-$i.log" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  printf '%.3f' "$(echo "$(now) - $t0 - 1" | bc)"  # less the idle second the last member waited (joining the group counts)
}
"$kezek" kafka route --partitions 4 --out "$work/routed" "$work/history.jsonl" 2> /dev/null
four_inputs=$(cat "$work"/routed/*.jsonl | wc -l)  # the catalogue and the ticks go to every partition
one_s=$(group_time one 1)
two_s=$(group_time two 2)

printf '\n%-34s %10s %10s %12s\n' "Kafka runtime ($inputs actions)" "inputs" "seconds" "inputs/s"
printf '%-34s %10s %10.3f %12s\n' "embedded runtime (fsync)" "$inputs" "$embedded_s" "$(rate "$inputs" "$embedded_s")"
printf '%-34s %10s %10.3f %12s\n' "exactly-once, 1 partition" "$eo_inputs" "$eo_s" "$(rate "$eo_inputs" "$eo_s")"
printf '%-34s %10s %10.3f %12s\n' "at-least-once, 1 partition" "$alo_inputs" "$alo_s" "$(rate "$alo_inputs" "$alo_s")"
printf '%-34s %10s %10.3f %12s\n' "4 partitions, 1 member (wall)" "$four_inputs" "$one_s" "$(rate "$four_inputs" "$one_s")"
printf '%-34s %10s %10.3f %12s\n' "4 partitions, 2 members (wall)" "$four_inputs" "$two_s" "$(rate "$four_inputs" "$two_s")"
ratio=$(printf '%.2f' "$(echo "scale=4; ($eo_inputs / $eo_s) / ($alo_inputs / $alo_s)" | bc)")
echo "exactly-once / at-least-once: $ratio (aim >= 0.8); aim per partition: 100000 inputs/s"
printf '{"bench":"kafka","actions":%s,"embedded_per_s":%s,"exactly_once_per_s":%s,"at_least_once_per_s":%s,"eo_over_alo":%s,"four_partitions_one_member_s":%s,"four_partitions_two_members_s":%s}\n' \
  "$inputs" "$(rate "$inputs" "$embedded_s")" "$(rate "$eo_inputs" "$eo_s")" "$(rate "$alo_inputs" "$alo_s")" "$ratio" "$one_s" "$two_s"
