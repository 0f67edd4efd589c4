#!/usr/bin/env bash
# kezek serve under wrk on loopback: position reads per second with p50/p99 at fixed
# concurrencies, and durable posts (filings) per second with p50/p99, beside the embedded
# runtime's ingest of the same city measured in the same run (kezek append, no HTTP).
# Prints a table and writes out/http/http.json. Figures are reported, never asserted.
#   benchmarks/http.sh [--quick]      (--quick: 3 s per measure instead of 10)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10
[[ "${1:-}" == "--quick" ]] && duration=3
command -v wrk > /dev/null || { echo "http.sh: wrk is missing (scripts/setup.sh installs it)"; exit 1; }
K=build/adapters/kezek
out=out/http
rm -rf "$out" && mkdir -p "$out"
applications=20000
year=$(date -u +%Y); month=$(date -u +%-m)
first_year=$((year - 2)); months=$((24 + month - 1))
if ((year > 2026)); then first_year=2024; months=36; fi
"$K" sample --applications "$applications" --first-year "$first_year" --months "$months" --output "$out/city.jsonl" 2> /dev/null
start=$(date +%s.%N)
"$K" append --data "$out/data" --quiet "$out/city.jsonl" 2> "$out/append.log"
end=$(date +%s.%N)
inputs=$(wc -l < "$out/city.jsonl")
ingest=$(echo "$inputs / ($end - $start)" | bc -l)

edu=bench-education-key; portal=bench-portal-key; parent=900427400175
{
  echo "education EducationDepartment $(printf %s "$edu" | sha256sum | cut -d' ' -f1)"
  echo "portal Portal $(printf %s "$portal" | sha256sum | cut -d' ' -f1)"
} > "$out/keys"
"$K" serve --data "$out/data" --keys "$out/keys" --listen 127.0.0.1:0 --port-file "$out/port" 2> "$out/serve.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do [ -s "$out/port" ] && curl -fs "http://127.0.0.1:$(cat "$out/port")/readyz" > /dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$out/port")"

# wrk --latency prints "50%  123.00us" lines; the figure in microseconds.
micros() { awk -v p="$1" '$1 == p { v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
  if (u == "us") print v; else if (u == "ms") print v * 1000; else if (u == "s") print v * 1000000; }' "$2"; }
rate() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
errors() { awk '/Non-2xx or 3xx responses:/ { print $5 } END { }' "$1" | tail -1; }

rows=()
json="{\"applications\": $applications, \"seconds_per_measure\": $duration, \"embedded_ingest_per_s\": $(printf %.0f "$ingest")"
for connections in 1 16 64; do
  f="$out/read-$connections.txt"
  APPLICATIONS=$applications KEY=$edu wrk -t"$(( connections < 2 ? 1 : 2 ))" -c"$connections" -d"${duration}s" --latency \
    -s benchmarks/http/read_position.lua "$base" > "$f"
  rows+=("$(printf '%-34s %12.0f %10.0f %10.0f' "position reads, $connections connections" "$(rate "$f")" "$(micros 50% "$f")" "$(micros 99% "$f")")")
  json+=", \"read_c$connections\": {\"per_s\": $(rate "$f"), \"p50_us\": $(micros 50% "$f"), \"p99_us\": $(micros 99% "$f")}"
done
run=0
for connections in 16 64 256; do
  f="$out/post-$connections.txt"
  KEY=$portal PARENT=$parent RUN=$run wrk -t2 -c"$connections" -d"${duration}s" --latency \
    -s benchmarks/http/post_filing.lua "$base" > "$f"
  bad=$(errors "$f"); bad=${bad:-0}
  rows+=("$(printf '%-34s %12.0f %10.0f %10.0f' "durable posts, $connections connections" "$(rate "$f")" "$(micros 50% "$f")" "$(micros 99% "$f")")")
  run=$((run + 1))
  json+=", \"post_c$connections\": {\"per_s\": $(rate "$f"), \"p50_us\": $(micros 50% "$f"), \"p99_us\": $(micros 99% "$f"), \"non_2xx\": $bad}"
done
json+="}"
printf '%-34s %12s %10s %10s\n' "measure (kezek serve, loopback)" "per second" "p50 us" "p99 us"
printf '%s\n' "${rows[@]}"
printf '%-34s %12.0f\n' "embedded ingest (append, no HTTP)" "$ingest"
echo "$json" > "$out/http.json"
echo "JSON: $out/http.json"
