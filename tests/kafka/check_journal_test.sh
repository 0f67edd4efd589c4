#!/usr/bin/env bash
# The independent journal checker (tests/kafka/check_journal.py) on a real broker
# (KEZEK_KAFKA_BOOTSTRAP, from `scripts/kafka.sh run`):
# 1. a topic set made by hand with the built kezek (kafka init, append --kafka, run --kafka in
#    batches, so the journal holds several transactions) passes, with --expect-inputs, and agrees
#    with `kezek kafka journal` on each partition's count and head;
# 2. copies of it, made by this script's own producer (confluent-kafka) into fresh topics with one
#    fault in one partition's journal, fail — exit 1, naming the topic, partition, offset and the
#    fault: a duplicate, a gap, an altered byte, a broken chain, messages that are no JournalRecord,
#    an input folded again, an input skipped, an input the actions topic lacks, an input published
#    but never folded, a wrong partition count; and a topic that does not exist is exit 2;
# 3. copies that are right pass: a record of the tail missing (a prefix, without --expect-inputs),
#    one input in two consecutive records, an aborted transaction in the middle (reported);
# 4. `kezek replay verify --kafka` verifies the engine's partitions, finds a changed byte, a
#    forged tail and a broken chain in the copies at their record, and reads a prefix as pending.
# Without a broker it exits 77 (ctest: skipped).
#
# usage: check_journal_test.sh KEZEK WORKDIR
set -euo pipefail
kezek=$1
work=$2
if [ -z "${KEZEK_KAFKA_BOOTSTRAP:-}" ]; then
  echo "check_journal_test: skipped: KEZEK_KAFKA_BOOTSTRAP is not set (scripts/kafka.sh run DIR -- CMD sets it)"
  exit 77
fi
brokers=$KEZEK_KAFKA_BOOTSTRAP
here=$(cd "$(dirname "$0")/../.." && pwd)
checker=$here/tests/kafka/check_journal.py
py() { "$here/scripts/python-env.sh" python "$@"; }
rm -rf "$work"
mkdir -p "$work"
prefix=cj-$$-$(date +%s)
partitions=3

fail() { echo "check_journal_test: FAIL: $*" >&2; exit 1; }
step() { echo "check_journal_test: $*"; }

# --- 1. A topic set made with kezek, checked. -------------------------------------------------
"$kezek" sample --country --applications 60 --months 2 --seed 13 --output "$work/history.jsonl"
{ cat "$work/history.jsonl"; echo '{"schema_version": 1, "body_type": "Nothing"}'; echo 'not json'; } > "$work/actions.jsonl"
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions "$partitions" > /dev/null
"$kezek" append --kafka --brokers "$brokers" --prefix "$prefix" "$work/actions.jsonl" > "$work/published.jsonl"
[ "$(wc -l < "$work/published.jsonl")" -eq "$(wc -l < "$work/actions.jsonl")" ] || fail "not every input was published"
"$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "g-$prefix" --batch 200 \
  --data "$work/member" --exit-when-idle 1500 2> "$work/run.log" || fail "kezek run --kafka: $(tail -3 "$work/run.log")"

py "$checker" --brokers "$brokers" --prefix "$prefix" --expect-inputs "$work/published.jsonl" \
  > "$work/check.txt" 2>&1 || fail "the checker refused the engine's own topics: $(cat "$work/check.txt")"
grep -q "^check_journal: OK: $partitions partition(s) of $prefix.journal$" "$work/check.txt" || fail "$(cat "$work/check.txt")"
for ((k = 0; k < partitions; k++)); do
  "$kezek" kafka journal --brokers "$brokers" --prefix "$prefix" --partition "$k" > "$work/kezek-$k.txt"
  # kezek: "P.journal partition K: N records, chain intact, last input L, head HEX"
  read -r records head < <(sed -E 's/.*: ([0-9]+) records, .* head ([0-9a-f]{16}).*/\1 \2/' "$work/kezek-$k.txt")
  grep -q "^$prefix.journal partition $k: $records records, chain head $head…; inputs folded $records of $records " "$work/check.txt" ||
    fail "partition $k: the checker and kezek kafka journal disagree: $(cat "$work/kezek-$k.txt") / $(grep "partition $k:" "$work/check.txt")"
done
[ "$(grep -c "records, chain head" "$work/check.txt")" -eq "$partitions" ] || fail "$(cat "$work/check.txt")"
step "$prefix: the engine's topics pass ($(grep -o 'in [0-9]* batches' "$work/run.log")); counts and heads agree with kezek kafka journal"
# Topics made before init with settings that would lose data (a retention on the actions, a
# deleting policy on the changelog) are refused by name, not taken as they are.
py - "$brokers" "$prefix-loose" <<'PY'
import sys
from confluent_kafka.admin import AdminClient, NewTopic
admin = AdminClient({"bootstrap.servers": sys.argv[1]})
topics = [NewTopic(f"{sys.argv[2]}.actions", 2, 1, config={"retention.ms": "1000"}),
          NewTopic(f"{sys.argv[2]}.journal", 2, 1), NewTopic(f"{sys.argv[2]}.state", 2, 1)]
for future in admin.create_topics(topics).values():
    future.result(30)
PY
rc=0
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix-loose" --partitions 2 > "$work/loose.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "topic $prefix-loose.actions exists with retention.ms=1000, not -1" "$work/loose.txt" ||
  fail "kafka init took an actions topic that deletes after a second: exit $rc: $(cat "$work/loose.txt")"
step "kafka init refuses existing topics whose settings would lose data"
# Two inits of one prefix at once, asking 2 and 3 partitions: exactly one succeeds, and the topics
# have its count (the loser took the winner's topics as its own and said its count, until
# 2026-12-06). Whoever wins the race, the outcome is the same.
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix-race" --partitions 2 > "$work/race2.txt" 2>&1 & race2=$!
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix-race" --partitions 3 > "$work/race3.txt" 2>&1 & race3=$!
rc2=0; rc3=0; wait "$race2" || rc2=$?; wait "$race3" || rc3=$?
if [ "$rc2" = 0 ] && [ "$rc3" = 1 ]; then won=2; elif [ "$rc2" = 1 ] && [ "$rc3" = 0 ]; then won=3; else
  fail "two inits at once: exits $rc2 and $rc3, one 0 and one 1 expected: $(cat "$work/race2.txt" "$work/race3.txt")"; fi
grep -q "exists with $won partitions, not $((5 - won))" "$work/race$((5 - won)).txt" ||
  fail "the losing init does not name the winner's count: $(cat "$work/race$((5 - won)).txt")"
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix-race" --partitions "$won" > /dev/null ||
  fail "the race's topics are not the winner's $won partitions"
step "two kafka inits at once with 2 and 3 partitions: the one with $won made them, the other refused"
rc=0
py "$checker" --brokers "$brokers" --prefix "$prefix-absent" > "$work/absent.txt" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q "^check_journal: ERROR: $prefix-absent.journal: " "$work/absent.txt" ||
  fail "no such topic: exit $rc, not 2: $(cat "$work/absent.txt")"

# --- 2. and 3. Copies with a fault: this script's producer, not the engine's. ------------------
cat > "$work/inject.py" <<'EOF'
"""inject.py BROKERS SRC DST PARTITION FAULT INDEX: copies SRC.actions and SRC.journal into new
topics DST.actions and DST.journal (same partition count), every message to the same partition,
with FAULT applied at record INDEX of DST.journal partition PARTITION. Actions keep their offsets;
the journal copy is produced without transactions (offset = position in the list) except for
`aborted`. Prints the faulted partition's record count."""
import hashlib, os, struct, sys
sys.path.insert(0, os.environ["CHECKER_DIR"])
import check_journal as cj
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

brokers, src, dst, part, fault, index = sys.argv[1:7]
part, index = int(part), int(index)
n = cj.partition_count(brokers, f"{src}.journal")
admin = AdminClient({"bootstrap.servers": brokers})
kept = {"retention.ms": "-1", "retention.bytes": "-1"}
for f in admin.create_topics([NewTopic(f"{dst}.{t}", num_partitions=n, replication_factor=1, config=kept)
                              for t in ("actions", "journal")]).values():
    f.result()
reader = cj.Reader(brokers)

def produce(producer, topic, p, values):
    delivered = []
    def report(err, msg):
        if err is not None:
            sys.exit(f"inject: delivery to {topic} partition {p}: {err}")
        delivered.append(msg.offset())
    for v in values:
        producer.produce(topic, value=None if v is None else bytes(v), partition=p, on_delivery=report)
        producer.poll(0)
    producer.flush(60)
    if len(delivered) != len(values):
        sys.exit(f"inject: {topic} partition {p}: {len(delivered)} of {len(values)} delivered")
    return delivered

plain = Producer({"bootstrap.servers": brokers, "enable.idempotence": True, "acks": "all", "linger.ms": 5})
for p in range(n):
    source = list(reader.read(f"{src}.actions", p, "read_committed"))
    offsets = produce(plain, f"{dst}.actions", p, [v for _, v in source])
    if offsets != [o for o, _ in source]:
        sys.exit(f"inject: {dst}.actions partition {p}: the copy's offsets differ from the source's")

journals = [[bytearray(v) for _, v in reader.read(f"{src}.journal", p, "read_committed")] for p in range(n)]
reader.close()
vals = journals[part]
for j, v in enumerate(vals):  # what the expected messages rely on: record j folds input j
    r = cj.JournalRecord(v)
    if (r.sequence, r.input_offset) != (j, j):
        sys.exit(f"inject: {src}.journal partition {part} record {j} is sequence {r.sequence}, input {r.input_offset}")
if not 2 <= index < len(vals) - 2:
    sys.exit(f"inject: index {index} outside 2..{len(vals) - 3}")

def set_u64(v, field, value):
    at = cj.JournalRecord(v).field_at(field, 8)
    if at is None:
        sys.exit(f"inject: field {field} absent")
    struct.pack_into("<Q", v, at, value)

def rechain(start):  # a forger's job: every prev_sha256 from `start` on made right again
    for j in range(start, len(vals)):
        at = cj.JournalRecord(vals[j]).prev_sha256_at
        vals[j][at:at + 32] = hashlib.sha256(vals[j - 1]).digest()

r = cj.JournalRecord(vals[index])
if fault == "duplicate":
    vals.insert(index + 1, bytearray(vals[index]))
elif fault == "drop":
    del vals[index]
elif fault == "alter":  # one byte of the action the record carries: still a record, its hash changed
    start, length = r.action
    vals[index][start + length - 1] ^= 0x01
    cj.JournalRecord(vals[index])
elif fault == "prev":
    vals[index][r.prev_sha256_at] ^= 0xFF
elif fault == "garbage":
    vals[index] = bytearray(b"this is no record")
elif fault == "identifier":
    vals[index][4:8] = b"KZAC"
elif fault == "truncate":
    vals[index] = vals[index][:len(vals[index]) // 2]
elif fault == "empty":
    vals[index] = None
elif fault == "refold":  # record INDEX re-folds input INDEX-2, the chain forged to match
    set_u64(vals[index], cj.F_INPUT_OFFSET, index - 2)
    rechain(index + 1)
elif fault == "skip":  # input INDEX is never folded: every later record shifted by one input
    for j in range(index, len(vals)):
        set_u64(vals[j], cj.F_INPUT_OFFSET, j + 1)
    rechain(index + 1)
elif fault == "beyond":
    set_u64(vals[index], cj.F_INPUT_OFFSET, 10**9)
    rechain(index + 1)
elif fault == "droptail":
    vals.pop()
elif fault == "split":  # input INDEX in two consecutive records, sequences and chain made right
    vals.insert(index + 1, bytearray(vals[index]))
    for j in range(index + 1, len(vals)):
        set_u64(vals[j], cj.F_SEQUENCE, j)
    rechain(index + 1)
elif fault not in ("none", "aborted"):
    sys.exit(f"inject: no fault {fault}")

for p in range(n):
    if p == part and fault == "aborted":
        # Records INDEX..INDEX+2 written in a transaction that is aborted, then again, committed.
        t = Producer({"bootstrap.servers": brokers, "transactional.id": f"inject-{dst}", "linger.ms": 5})
        t.init_transactions(60)
        for chunk, commit in ((vals[:index], True), (vals[index:index + 3], False), (vals[index:], True)):
            t.begin_transaction()
            produce(t, f"{dst}.journal", p, chunk)
            t.commit_transaction(60) if commit else t.abort_transaction(60)
        continue
    offsets = produce(plain, f"{dst}.journal", p, journals[p])
    if offsets != list(range(len(journals[p]))):
        sys.exit(f"inject: {dst}.journal partition {p}: offsets {offsets[:3]}... are not 0, 1, 2, ...")
print(len(vals))
EOF


part=1
at=5
records=$(sed -E 's/.*: ([0-9]+) records, .*/\1/' "$work/kezek-$part.txt")  # in the source's partition $part
# The line of actions.jsonl published as input $((records - 1)) of partition $part (its last).
last_line=$(py - "$work/published.jsonl" "$part" "$((records - 1))" <<'EOF'
import json, sys
for n, text in enumerate(open(sys.argv[1]), 1):
    doc = json.loads(text)
    if {"partition": int(sys.argv[2]), "offset": int(sys.argv[3])} in doc["published"]:
        print(doc.get("line", n))
EOF
)
copy() { # FAULT: DST.actions and DST.journal, the fault at record $at of partition $part (once per fault)
  dst=$prefix-$1
  if [ ! -e "$work/copied-$1" ]; then
    CHECKER_DIR=$here/tests/kafka PYTHONDONTWRITEBYTECODE=1 py "$work/inject.py" "$brokers" "$prefix" "$dst" "$part" "$1" "$at" > "$work/copied-$1" ||
      fail "$1: the fault could not be injected"
  fi
}
refused() { # NAME FAULT EXPECTED [CHECKER ARGS...]: exit 1 and exactly one failure, EXPECTED (@ = the copy's prefix)
  local name=$1 fault=$2 expected rc=0
  copy "$fault"
  expected=${3//@/$dst}
  shift 3
  py "$checker" --brokers "$brokers" --prefix "$dst" "$@" > "$work/$name.txt" 2>&1 || rc=$?
  [ "$rc" -eq 1 ] || fail "$name: the checker exited $rc, not 1: $(cat "$work/$name.txt")"
  grep -qF -- "check_journal: FAIL: $expected" "$work/$name.txt" ||
    fail "$name: expected 'check_journal: FAIL: $expected'; got: $(cat "$work/$name.txt")"
  [ "$(grep -c "check_journal: FAIL" "$work/$name.txt")" -eq 1 ] || fail "$name: not one failure: $(cat "$work/$name.txt")"
  step "$name: refused: $(grep "check_journal: FAIL" "$work/$name.txt")"
}
passed() { # NAME FAULT REGEX [CHECKER ARGS...]: exit 0, a line matching REGEX (grep -E; @ = the copy's prefix)
  local name=$1 fault=$2 expected
  copy "$fault"
  expected=${3//@/$dst}
  shift 3
  py "$checker" --brokers "$brokers" --prefix "$dst" "$@" > "$work/$name.txt" 2>&1 ||
    fail "$name: the checker refused a right journal: $(cat "$work/$name.txt")"
  grep -q "^check_journal: OK" "$work/$name.txt" || fail "$name: $(cat "$work/$name.txt")"
  grep -qE -- "$expected" "$work/$name.txt" || fail "$name: expected /$expected/; got: $(cat "$work/$name.txt")"
  step "$name: passed: $(grep -E -- "$expected" "$work/$name.txt")"
}

j="@.journal partition $part"
passed copy none "^@\.journal partition $part: $records records, .* \(read_uncommitted only\): 0$" \
  --expect-inputs "$work/published.jsonl"
refused partitions none "@.journal has $partitions partitions and @.actions $partitions, where 4 were due" --partitions 4
refused duplicate duplicate "$j offset $((at + 1)): record sequence $at where $((at + 1)) was due: a duplicate"
refused gap drop "$j offset $at: record sequence $((at + 1)) where $at was due: a gap"
refused altered-byte alter "$j offset $((at + 1)): record $((at + 1)) does not chain to the record before: prev_sha256 "
refused broken-chain prev "$j offset $at: record $at does not chain to the record before: prev_sha256 "
refused garbage garbage "$j offset $at: not a JournalRecord: file identifier b' is ', not b'KZJR'"
refused other-identifier identifier "$j offset $at: not a JournalRecord: file identifier b'KZAC', not b'KZJR'"
refused truncated truncate "$j offset $at: not a JournalRecord: "
refused empty empty "$j offset $at: an empty message (no value) where a JournalRecord belongs"
refused folded-twice refold \
  "$j offset $at: record $at folds input $((at - 2)) again (first folded by record $((at - 2)) at offset $((at - 2))), after input $((at - 1))"
refused skipped skip \
  "$j offset $at: record $at is of input $((at + 1)), but input $at of @.actions partition $part was due: 1 input(s) skipped ($at..$at)"
refused no-such-input beyond \
  "$j offset $at: record $at is of input 1000000000, which is no offset of @.actions partition $part (its offsets are 0.."
refused never-folded droptail \
  "@.journal partition $part: input $((records - 1)) (published for line $last_line, --expect-inputs) was never folded: its last record is of input $((records - 2))" \
  --expect-inputs "$work/published.jsonl"
passed prefix droptail "^@\.journal partition $part: $((records - 1)) records, .*inputs folded $((records - 1)) of $records "
passed one-input-two-records split "^@\.journal partition $part: $((records + 1)) records, .*; 1 input\(s\) in several records;"
passed aborted aborted "^@\.journal partition $part: $records records, .* \(read_uncommitted only\): 3$" \
  --expect-inputs "$work/published.jsonl"
step "every fault refused, every right copy passed"

# --- 4. kezek replay verify --kafka: the fold compared too. -------------------------------------
# The engine's own partitions verify; in the copies, what changes a decision or forges a tail with
# a valid chain is found by the fresh fold at its record, and a journal one record short of its
# actions is a prefix with one input pending.
kverify() { # PREFIX PARTITION OUT: exit status of kezek replay verify --kafka
  local rc=0
  "$kezek" replay verify --kafka --brokers "$brokers" --prefix "$1" --partition "$2" > "$3" 2>&1 || rc=$?
  return $rc
}
for ((k = 0; k < partitions; k++)); do
  kverify "$prefix" "$k" "$work/verify-$k.txt" || fail "replay verify --kafka partition $k: $(cat "$work/verify-$k.txt")"
  grep -q '^verified$' "$work/verify-$k.txt" && grep -q '^fold: equal' "$work/verify-$k.txt" ||
    fail "partition $k: $(cat "$work/verify-$k.txt")"
done
step "replay verify --kafka: the engine's $partitions partitions verify (chain and a fresh fold)"
for case in "alter:fold: DIFFERS at record $at:" "refold:fold: DIFFERS at record $at:" "skip:fold: DIFFERS at record $at:" \
            "prev:hash chain: BROKEN: record $at"; do
  fault=${case%%:*} expected=${case#*:} rc=0
  copy "$fault"
  kverify "$dst" "$part" "$work/verify-$fault.txt" || rc=$?
  [ "$rc" -eq 1 ] && grep -qF -- "$expected" "$work/verify-$fault.txt" ||
    fail "replay verify --kafka on '$fault': exit $rc, expected '$expected': $(cat "$work/verify-$fault.txt")"
  step "replay verify --kafka on '$fault': $(grep -F -- "$expected" "$work/verify-$fault.txt" | head -1 | cut -c1-120)"
done
copy droptail
kverify "$dst" "$part" "$work/verify-droptail.txt" && grep -q '; 1 inputs logged after the journal' "$work/verify-droptail.txt" ||
  fail "replay verify --kafka on a prefix: $(cat "$work/verify-droptail.txt")"
step "replay verify --kafka on a journal one record short: verified, 1 input pending"
# --partition all: every partition on its own thread; the copy with one altered partition is found
# at its record, and the others still verify.
kverify "$prefix" all "$work/verify-all.txt" && grep -qx "all $partitions partitions verified" "$work/verify-all.txt" &&
  [ "$(grep -c '^verified$' "$work/verify-all.txt")" -eq "$partitions" ] ||
  fail "replay verify --kafka --partition all: $(cat "$work/verify-all.txt")"
rc=0
kverify "$prefix-alter" all "$work/verify-all-alter.txt" || rc=$?
[ "$rc" -eq 1 ] && grep -qx "NOT verified: $((partitions - 1)) of $partitions partitions verified" "$work/verify-all-alter.txt" &&
  grep -qF "fold: DIFFERS at record $at:" "$work/verify-all-alter.txt" &&
  grep -qF "partition $part: NOT verified" "$work/verify-all-alter.txt" ||
  fail "replay verify --kafka --partition all on 'alter': exit $rc: $(cat "$work/verify-all-alter.txt")"
step "replay verify --kafka --partition all: $partitions partitions verified; in the altered copy partition $part is not, the rest are"
