#!/usr/bin/env bash
# The read models' store (issue #10): `kezek projections rebuild` writes byte-identical stores,
# `verify` tells a store that matches its journal from one that does not, and `kezek serve` loads
# a matching store, catches it up, and rebuilds one that belongs to another journal or is damaged.
# usage: projections_cli.sh KEZEK_BINARY WORK_DIR
set -euo pipefail
K=$1
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work"
spec() { current="$*"; }
fail() { echo "FAIL: $current${1:+: $1}"; exit 1; }
sha_of() { sed -n 's/.*sha256 \([0-9a-f]\{64\}\).*/\1/p' "$1" | head -1; }
# A server on DIR until it listens, then SIGTERM; its log in serve-DIR.log.
serve_briefly() {
  local dir=$1
  rm -f port
  "$K" serve --data "$dir" --keys keys --listen 127.0.0.1:0 --port-file port --tick-interval 0 >> "serve-$dir.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do [ -s port ] && break; kill -0 $pid 2> /dev/null || fail "serve exited; $(tail -3 "serve-$dir.log")"; sleep 0.05; done
  [ -s port ] || fail "serve did not listen"
  kill -TERM $pid
  wait $pid || fail "serve exited $?"
}
echo "edu EducationDepartment $(printf 'k' | sha256sum | cut -d' ' -f1)" > keys

"$K" sample --seed 5 --applications 300 --output a.jsonl 2> /dev/null
"$K" sample --seed 6 --applications 400 --output b.jsonl 2> /dev/null
"$K" append --data A a.jsonl > /dev/null 2>&1
"$K" append --data B b.jsonl > /dev/null 2>&1

spec "projections: rebuild writes DATA/projections from the journal alone; a second rebuild elsewhere is byte-identical"
"$K" projections rebuild --data A > r1.txt 2> /dev/null || fail "exit $?"
"$K" projections rebuild --data A --out copy > r2.txt 2> /dev/null || fail "exit $?"
[ -n "$(sha_of r1.txt)" ] && [ "$(sha_of r1.txt)" = "$(sha_of r2.txt)" ] || fail "$(cat r1.txt r2.txt)"
grep -q "at journal sequence $(wc -l < a.jsonl):" r1.txt || fail "$(cat r1.txt)"

spec "projections: verify finds a rebuilt store equal to the journal's rebuild"
"$K" projections verify --data A > v.txt || fail "exit $?: $(cat v.txt)"
grep -q '^equal: ' v.txt || fail "$(cat v.txt)"

spec "projections: a store of another journal does not verify"
cp -r A/projections B/projections
set +e
"$K" projections verify --data B > v.txt 2>&1; status=$?
set -e
[ $status -eq 1 ] && grep -q '^differ' v.txt || fail "exit $status: $(cat v.txt)"

spec "projections: serve rebuilds a store of another journal, and the store then verifies"
serve_briefly B
grep -q "made from another journal; rebuilding them from the journal" serve-B.log || fail "$(cat serve-B.log)"
"$K" projections verify --data B > v.txt || fail "$(cat v.txt)"

spec "projections: serve loads a matching store, applies only the newer records, and it still verifies"
serve_briefly A
grep -q "projections: loaded at journal sequence $(wc -l < a.jsonl)" serve-A.log || fail "$(cat serve-A.log)"
grep -q "rebuilding" serve-A.log && fail "rebuilt instead of loading: $(cat serve-A.log)"
"$K" sample --seed 5 --applications 300 --output more.jsonl 2> /dev/null
sed -n '1,50p' more.jsonl | sed 's/"idempotency_key":"/"idempotency_key":"again-/' | "$K" append --data A > /dev/null 2>&1
serve_briefly A
grep -q "projections: applied 50 journal records from sequence $(wc -l < a.jsonl)" serve-A.log || fail "$(cat serve-A.log)"
"$K" projections verify --data A > v.txt || fail "$(cat v.txt)"

spec "projections: a damaged store is rebuilt by serve, never believed"
for sst in A/projections/*.sst A/projections/*.log; do
  [ -f "$sst" ] && printf 'garbage' | dd of="$sst" bs=1 seek=100 conv=notrunc 2> /dev/null
done
set +e
"$K" projections verify --data A > v.txt 2>&1; status=$?
set -e
[ $status -eq 1 ] || fail "verify of a damaged store exits $status: $(cat v.txt)"
serve_briefly A
grep -q "rebuilding" serve-A.log || fail "$(tail -5 serve-A.log)"
"$K" projections verify --data A > v.txt || fail "$(cat v.txt)"

spec "projections: usage errors"
set +e
"$K" projections rebuild --data A --out copy > /dev/null 2>&1; [ $? -eq 2 ] || fail "rebuild into an existing --out"
"$K" projections verify --data nowhere > /dev/null 2>&1; [ $? -eq 1 ] || fail "verify of a missing directory"
"$K" projections rebuild > /dev/null 2>&1; [ $? -eq 2 ] || fail "no --data"
set -e
echo "projections_cli: rebuilds are byte-identical; verify, load, catch-up and rebuild of foreign or damaged stores hold"
