#!/usr/bin/env bash
# Determinism across processes: the same input log folded by two processes with different time
# zones, locales and environments gives byte-identical journals and equal state hashes.
# usage: determinism_cli.sh KEZEK_BINARY WORK_DIR
set -euo pipefail
kezek=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
"$kezek" sample --seed 7 --applications 1500 --months 14 --output "$work/actions.jsonl" 2> /dev/null
printf '{ not json\n{"schema_version": 9}\n' >> "$work/actions.jsonl"   # rejected inputs are journaled too
h1=$(env -i PATH="$PATH" TZ=UTC LANG=C "$kezek" fold --quiet --journal "$work/j1.bin" "$work/actions.jsonl")
h2=$(env -i PATH="$PATH" TZ=Asia/Tokyo LC_ALL=C.UTF-8 LANG=kk_KZ.UTF-8 KEZEK_NOISE=$RANDOM HOME=/nonexistent \
     "$kezek" fold --quiet --journal "$work/j2.bin" "$work/actions.jsonl")
h3=$(TZ=America/Los_Angeles "$kezek" fold --quiet --journal "$work/j3.bin" < "$work/actions.jsonl")
echo "state hashes: $h1 $h2 $h3"
[ "$h1" = "$h2" ] && [ "$h2" = "$h3" ] || { echo "FAIL: state hashes differ"; exit 1; }
cmp "$work/j1.bin" "$work/j2.bin"
cmp "$work/j1.bin" "$work/j3.bin"
[ -s "$work/j1.bin" ] || { echo "FAIL: empty journal"; exit 1; }
"$kezek" journal "$work/j1.bin" > "$work/j1.jsonl"
records=$(wc -l < "$work/j1.jsonl")
inputs=$(grep -c . "$work/actions.jsonl")
[ "$records" -eq "$inputs" ] || { echo "FAIL: $inputs inputs but $records journal records"; exit 1; }
grep -q '"code": "MalformedJson"\|"code":"MalformedJson"' "$work/j1.jsonl" || { echo "FAIL: malformed line not journaled"; exit 1; }
# Tampering shows: flip one byte in the middle of the journal and the chain check fails.
size=$(stat -c %s "$work/j1.bin")
cp "$work/j1.bin" "$work/tampered.bin"
printf '\x5a' | dd of="$work/tampered.bin" bs=1 seek=$((size / 2)) conv=notrunc status=none
if "$kezek" journal "$work/tampered.bin" > /dev/null 2>&1; then echo "FAIL: tampering not detected"; exit 1; fi
echo "determinism: $inputs inputs, byte-identical journals across environments, chain verified, tampering detected"
