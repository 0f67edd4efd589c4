#!/usr/bin/env bash
# A full disk under `kezek serve` and `kezek append`: a tmpfs of 8 MiB in a mount namespace of the
# test's own (`unshare`; as root, or as a user through a user namespace), the data directory on it,
# the disk filled while posts arrive. Before this test, `serve` aborted (SIGABRT, exit 134) a
# second after its partition stopped: RocksDB's file logger asserted at its next line after a
# failed write. Now: a clean exit 1 naming the cause, every acknowledged post in the journal, and
# the directory verified once there is room again. Exits 77 (skipped) where no mount namespace
# can be made.
# usage: diskfull_cli.sh KEZEK_BINARY WORK_DIR
set -euo pipefail
K=$(readlink -f "$1")
work=$(readlink -m "$2")
self=$(readlink -f "$0")
fail() { echo "FAIL: $*"; exit 1; }
if [ "${3:-}" != --inner ]; then
  rm -rf "$work" && mkdir -p "$work" && cd "$work"
  "$K" sample --applications 100 --months 3 --output s.jsonl 2> /dev/null
  "$K" append --data D --quiet s.jsonl > /dev/null 2>&1
  if [ "$(id -u)" = 0 ]; then ns=(unshare -m); else ns=(unshare -rm); fi
  if ! "${ns[@]}" true 2> /dev/null; then echo "SKIP: no mount namespace can be made here (unshare)"; exit 77; fi
  exec "${ns[@]}" bash "$self" "$K" "$work" --inner
fi
cd "$work"
mkdir -p mnt
mount -t tmpfs -o size=8m tmpfs mnt || { echo "SKIP: tmpfs cannot be mounted here"; exit 77; }
cp -a D mnt/SF
printf 'system System %s\n' "$(printf key-System | sha256sum | cut -d' ' -f1)" > keys.txt
fill() { fallocate -l $(( $(df --output=avail -B1 mnt | tail -1) - $1 )) mnt/filler; }
last=$(python3 -c 'import json,sys; print(max(json.loads(l)["instant_ms"] for l in open(sys.argv[1]) if l.startswith("{")))' s.jsonl)

echo "== serve: the disk fills while ticks are posted"
"$K" serve --data mnt/SF --keys keys.txt --listen 127.0.0.1:0 --port-file port --tick-interval 0 \
  --checkpoint-every 0 > serve.out 2> serve.err &
pid=$!
for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || fail "serve did not start: $(cat serve.err)"
fill 20000
acknowledged=0
for i in $(seq 1 400); do
  code=$(curl -s -o answer.json -w '%{http_code}' -H 'Authorization: Bearer key-System' \
    -H 'Content-Type: application/json' --max-time 10 \
    -d "{\"schema_version\":1,\"idempotency_key\":\"full-$i\",\"instant_ms\":$((last + i * 60000)),\"actor\":{\"role\":\"System\"},\"body_type\":\"ClockTick\",\"body\":{}}" \
    "http://127.0.0.1:$(cat port)/v1/actions" || true)
  [ "$code" = 200 ] || break
  acknowledged=$i
done
[ "$code" = 503 ] || fail "the first refused post got $code, not 503: $(cat answer.json)"
rc=0
for _ in $(seq 1 100); do kill -0 $pid 2> /dev/null || break; sleep 0.1; done
kill -0 $pid 2> /dev/null && fail "serve still runs with its partition stopped"
wait $pid || rc=$?
[ "$rc" = 1 ] || fail "serve exited $rc, not 1: $(tail -5 serve.err)"
grep -q "Assertion" serve.err && fail "an assertion: $(grep Assertion serve.err)"
grep -q "the partition stopped: .*No space left on device" serve.err || fail "no cause named: $(cat serve.err)"
echo "$acknowledged posts acknowledged before the disk was full; serve exited 1"
rm mnt/filler
"$K" replay verify --data mnt/SF > verify.out 2>&1 || fail "verify after room was made: $(tail -3 verify.out)"
"$K" journal --data mnt/SF > journal.jsonl 2> /dev/null
for i in $(seq 1 "$acknowledged"); do
  grep -q "\"idempotency_key\": \"full-$i\"" journal.jsonl || fail "acknowledged post full-$i is not in the journal"
done

echo "== append: the disk full from the start"
fill 4096
"$K" sample --applications 300 --months 3 --seed 5 --output more.jsonl 2> /dev/null
rc=0; "$K" append --data mnt/SF --quiet more.jsonl > /dev/null 2> append.err || rc=$?
[ "$rc" = 1 ] || fail "append exited $rc, not 1: $(tail -3 append.err)"
grep -q "Assertion" append.err && fail "an assertion: $(grep Assertion append.err)"
grep -q "No space left on device" append.err || fail "no cause named: $(cat append.err)"
rm mnt/filler
"$K" replay verify --data mnt/SF > verify.out 2>&1 || fail "verify after append: $(tail -3 verify.out)"
echo "== replay checkpoint: stops before it fills the disk (--every 2 of a city wrote 2.8 GB in a minute, until the disk was full)"
rc=0; "$K" replay checkpoint --data mnt/SF --every 100 > checkpoint.out 2> checkpoint.err || rc=$?
[ "$rc" = 1 ] || fail "checkpoint exited $rc, not 1: $(tail -3 checkpoint.err)"
grep -q "not written: its disk has [0-9]* bytes free and a checkpoint here takes about [0-9]*" checkpoint.err ||
  fail "no reason given: $(cat checkpoint.err)"
[ "$(find mnt/SF/checkpoints -name '*.kzc' | wc -l)" = 1 ] || fail "checkpoints written: $(ls mnt/SF/checkpoints)"
"$K" replay verify --data mnt/SF > verify.out 2>&1 || fail "verify after checkpoint: $(tail -3 verify.out)"
echo "PASS"
