#!/usr/bin/env bash
# The auditors' tools on the largest generated history (docs/audit.md): `kezek replay verify`
# (the chain and a fresh fold compared record by record) and `kezek replay rebuild` (a new data
# directory from the actions log), beside the ingest that made the data directory and the
# journal's export as JSON (`kezek journal --data`: chain checked, no fold) measured in the same run; and
# `kezek stats` as of a date half-way and as of the end. Prints a table and writes
# out/audit/audit.json. Figures are reported, never asserted.
#   benchmarks/audit.sh            the country's births over 24 months (4.1 M actions; ~20 minutes)
#   benchmarks/audit.sh --quick    a country of 20,000 applications over 12 months (~1 minute)
# Also the as-of questions (docs/audit.md, "As of"): `kezek replay checkpoint`, then the state and
# the read models as of the date half-way, each from the checkpoint before it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh > /dev/null
scripts/build.sh release > /dev/null
K=build/adapters/kezek
out=out/audit
rm -rf "$out" && mkdir -p "$out"
if [ "${1:-}" = "--quick" ]; then
  size=(--applications 20000 --months 12); half=2024-06-30
else
  size=(--births --months 24); half=2024-12-31
fi
seconds() { local start=$1; echo "$(date +%s.%N) - $start" | bc -l; }
start=$(date +%s.%N)
"$K" sample --country "${size[@]}" --output "$out/history.jsonl" 2> "$out/sample.log"
generate=$(seconds "$start")
inputs=$(wc -l < "$out/history.jsonl")
start=$(date +%s.%N)
"$K" append --data "$out/data" --quiet "$out/history.jsonl" > /dev/null 2> "$out/append.log"
ingest=$(seconds "$start")
rm -f "$out/history.jsonl"  # the data directory's actions log holds it
records=$("$K" status --data "$out/data" | awk '/^journal/ { print $2; exit }')
start=$(date +%s.%N)
"$K" journal --data "$out/data" > /dev/null 2> "$out/journal.log"
chain=$(seconds "$start")
start=$(date +%s.%N)
"$K" replay verify --data "$out/data" > "$out/verify.txt" 2> "$out/verify.log"
verify=$(seconds "$start")
start=$(date +%s.%N)
"$K" replay rebuild --data "$out/data" --out "$out/rebuilt" > "$out/rebuild.txt" 2> "$out/rebuild.log"
rebuild=$(seconds "$start")
# As of: the checkpoints (every 250,000 records; --quick: 20,000), then one question of the state
# and one of the read models half-way, each from the checkpoint before it.
every=250000; [ "${1:-}" = "--quick" ] && every=20000
start=$(date +%s.%N)
"$K" replay checkpoint --data "$out/data" --every "$every" > "$out/checkpoint.txt" 2> "$out/checkpoint.log"
checkpoint=$(seconds "$start")
checkpoint_bytes=$(du -sb "$out/data/checkpoints" | cut -f1)
start=$(date +%s.%N)
"$K" status --data "$out/data" --as-of "$half" > "$out/status-half.txt"
asof_state=$(seconds "$start")
start=$(date +%s.%N)
"$K" explain 1000001 --data "$out/data" --as-of "$half" --json > /dev/null 2> "$out/explain-half.log"
asof_models=$(seconds "$start")
start=$(date +%s.%N)
"$K" stats --data "$out/data" --as-of "$half" --format json > "$out/stats-half.json"
stats_half=$(seconds "$start")
start=$(date +%s.%N)
"$K" stats --data "$out/data" --format json > "$out/stats-end.json"
stats_end=$(seconds "$start")
per_s() { echo "$1 / $2" | bc -l; }
printf '\nKezek audit benchmark: %s inputs, %s journal records (%s)\n\n' "$inputs" "$records" "${size[*]}"
printf '| %-58s | %10s | %14s |\n' measure seconds "inputs/s"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..60})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..16})"
row() { printf '| %-58s | %10.1f | %14.0f |\n' "$1" "$2" "$(per_s "$inputs" "$2")"; }
row "generate (kezek sample, its own fold included)" "$generate"
row "ingest: kezek append (durable, fsync'd group commit)" "$ingest"
row "export: kezek journal --data (chain checked, JSON printed)" "$chain"
row "replay verify: chain + fresh fold compared record by record" "$verify"
row "replay rebuild: a new data directory + read models" "$rebuild"
row "checkpoint: state + read models every $every records" "$checkpoint"
row "as of $half: state hash (status --as-of)" "$asof_state"
row "as of $half: read models (explain --as-of)" "$asof_models"
row "stats as of $half" "$stats_half"
row "stats as of the end" "$stats_end"
grep -q '^verified$' "$out/verify.txt" || { echo "audit.sh: verify did not verify:"; cat "$out/verify.txt"; exit 1; }
grep -q '^journal: equal' "$out/rebuild.txt" || { echo "audit.sh: the rebuild differs:"; cat "$out/rebuild.txt"; exit 1; }
printf '\nverify: %s; rebuild: %s\n' "$(tail -1 "$out/verify.txt")" "$(grep '^journal:' "$out/rebuild.txt")"
printf 'checkpoints: %s bytes; as of %s: %s\n' "$checkpoint_bytes" "$half" "$(grep '^as of' "$out/status-half.txt")"
cat > "$out/audit.json" << EOF
{"benchmark": "audit", "inputs": $inputs, "records": $records, "generate_s": $generate, "ingest_s": $ingest,
 "chain_s": $chain, "verify_s": $verify, "rebuild_s": $rebuild, "stats_half_s": $stats_half, "stats_end_s": $stats_end,
 "verify_inputs_per_s": $(per_s "$inputs" "$verify"), "rebuild_inputs_per_s": $(per_s "$inputs" "$rebuild"),
 "verify_over_ingest": $(echo "$verify / $ingest" | bc -l),
 "checkpoint_every": $every, "checkpoint_s": $checkpoint, "checkpoint_bytes": $checkpoint_bytes,
 "as_of_state_s": $asof_state, "as_of_read_models_s": $asof_models}
EOF
echo "JSON: $out/audit.json"
