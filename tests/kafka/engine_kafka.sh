#!/usr/bin/env bash
# The engine on a real Kafka broker (KEZEK_KAFKA_BOOTSTRAP and KEZEK_KAFKA_DIR, from
# `scripts/kafka.sh run`): exactly once under SIGKILL, scale-out, a broker killed and restarted.
# Every check compares each partition's journal topic, exported and checked by `kezek kafka
# journal` (sequences, chain, input offsets), byte for byte with the journal `kezek fold` makes of
# the same partition's actions (`kezek kafka route`): no record twice, none missing, none changed.
# Without a broker it exits 77 (ctest: skipped).
#
# usage: engine_kafka.sh KEZEK WORKDIR [SEED]
set -euo pipefail
kezek=$1
work=$2
seed=${3:-${KEZEK_KAFKA_SEED:-20261202}}
if [ -z "${KEZEK_KAFKA_BOOTSTRAP:-}" ]; then
  echo "engine_kafka: skipped: KEZEK_KAFKA_BOOTSTRAP is not set (scripts/kafka.sh run DIR -- CMD sets it)"
  exit 77
fi
brokers=$KEZEK_KAFKA_BOOTSTRAP
here=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$work"
mkdir -p "$work"
run_id=$$-$(date +%s)
RANDOM=$seed
kills=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

fail() { echo "engine_kafka: FAIL: $*" >&2; exit 1; }
step() { echo "engine_kafka: $*"; }

# The history: a country sample (several localities, so several partitions), with a line that is no
# action and one that is no JSON (partition 0 journals their rejections).
"$kezek" sample --country --applications 1500 --months 8 --seed "$seed" --output "$work/history.jsonl"
{ cat "$work/history.jsonl"; echo '{"schema_version": 1, "body_type": "Nothing"}'; echo 'not json'; } > "$work/actions.jsonl"
step "$(wc -l < "$work/actions.jsonl") actions"

# The embedded runtime's journals of the same inputs, partition by partition.
embedded() { # PARTITIONS -> $work/embedded-N/partition-K.bin
  local n=$1 k
  "$kezek" kafka route --partitions "$n" --out "$work/routed-$n" "$work/actions.jsonl" 2> /dev/null
  mkdir -p "$work/embedded-$n"
  for ((k = 0; k < n; k++)); do
    "$kezek" fold --quiet --journal "$work/embedded-$n/partition-$k.bin" "$work/routed-$n/partition-$k.jsonl" > /dev/null
  done
}

# Routing sends every action where its application lives: folded partition by partition, the
# history is rejected exactly as one engine holding the whole country rejects it (same codes, same
# counts; no child here files in two localities, DESIGN §5's cross-partition rule aside).
rejections() { grep -ho '"code": "[A-Z][A-Za-z]*"' "$@" | sort | uniq -c; }
routing() { # PARTITIONS
  local n=$1 k
  "$kezek" fold --quiet --journal-json "$work/whole.jsonl" "$work/actions.jsonl" > /dev/null
  for ((k = 0; k < n; k++)); do
    "$kezek" fold --quiet --journal-json "$work/routed-$n/journal-$k.jsonl" "$work/routed-$n/partition-$k.jsonl" > /dev/null
  done
  [ "$(rejections "$work/whole.jsonl")" = "$(rejections "$work"/routed-"$n"/journal-*.jsonl)" ] ||
    fail "the partitions reject otherwise than one engine: $(rejections "$work/whole.jsonl") / $(rejections "$work"/routed-"$n"/journal-*.jsonl)"
  step "routing: $n partitions reject as one engine does ($(rejections "$work/whole.jsonl" | awk '{s += $1} END {print s}') rejections)"
}

# Each partition's journal topic equals the embedded journal, byte for byte.
compare() { # PREFIX PARTITIONS
  local prefix=$1 n=$2 k
  for ((k = 0; k < n; k++)); do
    "$kezek" kafka journal --brokers "$brokers" --prefix "$prefix" --partition "$k" \
      --journal "$work/$prefix-$k.bin" > "$work/$prefix-$k.txt" || fail "$prefix partition $k: $(cat "$work/$prefix-$k.txt")"
    cmp -s "$work/$prefix-$k.bin" "$work/embedded-$n/partition-$k.bin" ||
      fail "$prefix partition $k: the journal topic differs from the embedded journal ($(cat "$work/$prefix-$k.txt"))"
  done
  step "$prefix: all $n partitions' journals equal the embedded runtime's, byte for byte"
  # ... and the checker written apart from the engine (Python, confluent-kafka's newer librdkafka)
  # reads the topic read_committed and finds no gap, duplicate, broken chain or input folded twice.
  "$here/scripts/python-env.sh" python "$here/tests/kafka/check_journal.py" --brokers "$brokers" --prefix "$prefix" \
    > "$work/$prefix-check.txt" 2>&1 || fail "$prefix: the independent checker: $(cat "$work/$prefix-check.txt")"
  step "$prefix: the independent checker agrees"
}

# --- 1. Exactly once under SIGKILL: one member, killed at seeded crash points and at seeded instants.
prefix=eo-$run_id
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 4 > /dev/null
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 4 > /dev/null  # again: kept
if "$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 5 > "$work/init5.txt" 2>&1; then
  fail "init with another partition count was accepted"
fi
grep -q "exists with 4 partitions" "$work/init5.txt" || fail "init 5: $(cat "$work/init5.txt")"
# append --wait with no member running: it times out, and says which lines it published (it said
# nothing of them: what was already in the topic was unknown).
"$kezek" kafka init --brokers "$brokers" --prefix "nw-$run_id" --partitions 2 > /dev/null
head -3 "$work/actions.jsonl" > "$work/three.jsonl"
rc=0; "$kezek" append --kafka --wait 2 --brokers "$brokers" --prefix "nw-$run_id" "$work/three.jsonl" > "$work/nowait.out" \
  2> "$work/nowait.err" || rc=$?
[ "$rc" = 1 ] && [ "$(grep -c '^{"line": [123], "published": \[{"partition": [01], "offset": [0-9]' "$work/nowait.out")" = 3 ] &&
  grep -q "lines 1..3 were published" "$work/nowait.err" || fail "append --wait without a member: exit $rc, $(cat "$work/nowait.out" "$work/nowait.err")"
# A partition the topics do not have is a wrong argument (exit 2, as kafka journal says), not "not verified".
rc=0; "$kezek" replay verify --kafka --brokers "$brokers" --prefix "nw-$run_id" --partition 2 > /dev/null 2> "$work/nopart.err" || rc=$?
[ "$rc" = 2 ] && grep -q "has 2 partitions: there is no partition 2" "$work/nopart.err" ||
  fail "replay verify --kafka of partition 2 of 2: exit $rc, $(cat "$work/nopart.err")"
embedded 4
routing 4
"$kezek" append --kafka --brokers "$brokers" --prefix "$prefix" "$work/actions.jsonl" > "$work/published.jsonl"
[ "$(wc -l < "$work/published.jsonl")" -eq "$(wc -l < "$work/actions.jsonl")" ] || fail "not every input was published"
member() { # DATA EXTRA... (the engine until idle; `exec`, so that `member ... &` gives its pid)
  local data=$1
  shift
  exec "$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "g-$prefix" --instance "m-$(basename "$data")" \
    --data "$data" --batch 64 --exit-when-idle 1500 "$@"
}
for ((round = 1; round <= 20; round++)); do
  crash=$((RANDOM % 40 + 1))
  set +e
  if ((round % 3 == 0)); then
    # Killed from outside at a seeded instant, wherever it is.
    (member "$work/m1" 2>> "$work/m1.log") &
    pid=$!
    pids+=("$pid")
    sleep "$((RANDOM % 3 + 1)).$((RANDOM % 10))"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
  else
    (member "$work/m1" --crash-at "$crash" 2>> "$work/m1.log")
    rc=$?
  fi
  set -e
  if ((rc == 137)); then kills=$((kills + 1)); elif ((rc != 0)); then fail "member exited $rc: $(tail -5 "$work/m1.log")"; fi
  # Now and then the member loses its disk: the next run restores its state from the changelog.
  if ((round % 4 == 2)); then rm -rf "$work/m1"; fi
done
(member "$work/m1" 2>> "$work/m1.log") || fail "the last member run: $(tail -5 "$work/m1.log")"
grep -q "restored from" "$work/m1.log" || fail "no state was ever restored from the changelog"
compare "$prefix" 4
step "exactly once: $kills SIGKILLs while folding"

# Careless and hostile use: refused with a message, nothing changed.
set +e
"$kezek" run --kafka --brokers "$brokers" --prefix "nothing-$run_id" --data "$work/none" > "$work/none.txt" 2>&1
rc=$?
set -e
((rc == 1)) && grep -q "does not exist" "$work/none.txt" || fail "a member of missing topics: exit $rc, $(cat "$work/none.txt")"
set +e
"$kezek" kafka journal --brokers "$brokers" --prefix "$prefix" --partition 4 > "$work/p4.txt" 2>&1
rc=$?
set -e
((rc == 2)) && grep -q "partitions 0..3" "$work/p4.txt" || fail "journal of partition 4 of 4: exit $rc, $(cat "$work/p4.txt")"
"$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "g-$prefix" --data "$work/m1" 2> "$work/holder.log" &
holder=$!
pids+=("$holder")
for ((i = 0; i < 30; i++)); do grep -qs "assigned 4" "$work/holder.log" && break; sleep 1; done
set +e
"$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "g2-$prefix" --data "$work/m1" --exit-when-idle 500 \
  > "$work/busy.txt" 2>&1
rc=$?
set -e
kill -TERM "$holder"
wait "$holder" || fail "the holder did not stop cleanly: $(tail -3 "$work/holder.log")"
((rc == 1)) && grep -q "busy" "$work/busy.txt" || fail "a second member on a held state directory: exit $rc, $(cat "$work/busy.txt")"
compare "$prefix" 4  # still exactly the same

# --- 2. Scale-out: two members share 4 partitions; one is killed, the other takes over; it rejoins.
prefix=so-$run_id
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 4 > /dev/null
half=$(($(wc -l < "$work/actions.jsonl") / 2))
head -n "$half" "$work/actions.jsonl" > "$work/first.jsonl"
tail -n +"$((half + 1))" "$work/actions.jsonl" > "$work/second.jsonl"
"$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/first.jsonl" 2> /dev/null
runner() { # NAME: a member that runs until killed or stopped (`runner a &`: $! is its pid)
  exec "$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "g-$prefix" --instance "$1" \
    --data "$work/$1" --batch 64 2>> "$work/$1.log"
}
runner a &
a=$!
pids+=("$a")
runner b &
b=$!
pids+=("$b")
for ((i = 0; i < 60; i++)); do
  grep -q "assigned 2 partitions" "$work/a.log" && grep -q "assigned 2 partitions" "$work/b.log" && break
  sleep 1
done
grep -q "assigned 2 partitions" "$work/a.log" || fail "member a did not get 2 of 4 partitions: $(cat "$work/a.log")"
sleep 2  # a folds a little of its share
kill -KILL "$a"
wait "$a" || true
kills=$((kills + 1))
b_at_kill=$(wc -l < "$work/b.log")
since_kill() { tail -n +"$((b_at_kill + 1))" "$work/b.log"; }
# The second half is answered like 'kezek append' answers: each input's journal record, which b
# writes once it took a's partitions over.
"$kezek" append --kafka --wait 120 --brokers "$brokers" --prefix "$prefix" "$work/second.jsonl" > "$work/answers.jsonl" \
  2> "$work/answers.err" || fail "append --wait: $(cat "$work/answers.err")"
[ "$(grep -c '"outcome": "' "$work/answers.jsonl")" -eq "$(wc -l < "$work/second.jsonl")" ] ||
  fail "append --wait: $(wc -l < "$work/answers.jsonl") answers for $(wc -l < "$work/second.jsonl") inputs"
grep -q '"rejection": {"code": "MalformedJson"' "$work/answers.jsonl" || fail "append --wait: no answer for the line that is no JSON"
# Each answer names the partition its input and sequence count in (the embedded answer's is null).
[ "$(grep -c '"partition": [0-9]' "$work/answers.jsonl")" -eq "$(wc -l < "$work/second.jsonl")" ] ||
  fail "append --wait: an answer names no partition: $(grep -v '"partition": [0-9]' "$work/answers.jsonl" | head -c 300)"
# b takes a's partitions once a's session times out (6 s), restoring their state from the changelog.
for ((i = 0; i < 60; i++)); do since_kill | grep -q "assigned 4 partitions" && break; sleep 1; done
since_kill | grep -q "assigned 4 partitions" || fail "b never took all 4 partitions: $(tail -20 "$work/b.log")"
since_kill | grep -q "restored from .* ([1-9][0-9]* messages" ||
  fail "b took a's partitions over without restoring their state: $(since_kill)"
runner a &
a=$!
pids+=("$a")
for ((i = 0; i < 60; i++)); do [ "$(grep -c "assigned 2 partitions" "$work/a.log")" -ge 2 ] && break; sleep 1; done
[ "$(grep -c "assigned 2 partitions" "$work/a.log")" -ge 2 ] || fail "a did not take 2 partitions back: $(tail -20 "$work/a.log")"
# Both fold to the end; then both are stopped (SIGTERM: they leave the group).
embedded_total=$(cat "$work"/routed-4/partition-*.jsonl | wc -l)
for ((i = 0; i < 90; i++)); do
  total=0
  for k in 0 1 2 3; do
    n=$("$kezek" kafka journal --brokers "$brokers" --prefix "$prefix" --partition "$k" | sed -n 's/.*: \([0-9]*\) records.*/\1/p')
    total=$((total + n))
  done
  [ "$total" -ge "$embedded_total" ] && break
  sleep 1
done
kill -TERM "$a" "$b"
wait "$a" || fail "a did not stop cleanly"
wait "$b" || fail "b did not stop cleanly"
compare "$prefix" 4

# --- 3. The broker killed and restarted mid-run: nothing lost, nothing twice.
prefix=br-$run_id
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 2 > /dev/null
embedded 2
"$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/actions.jsonl" 2> /dev/null
"$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "g-$prefix" --instance br \
  --data "$work/br" --batch 32 2>> "$work/br.log" &
member_pid=$!
pids+=("$member_pid")
sleep 3
"$here/scripts/kafka.sh" kill "$KEZEK_KAFKA_DIR" > /dev/null
sleep 2
"$here/scripts/kafka.sh" restart "$KEZEK_KAFKA_DIR" > /dev/null
[ "$(cat "$KEZEK_KAFKA_DIR/bootstrap")" = "$brokers" ] || fail "the broker came back on another address"
for ((i = 0; i < 120; i++)); do
  done_parts=0
  for k in 0 1; do
    have=$("$kezek" kafka journal --brokers "$brokers" --prefix "$prefix" --partition "$k" 2> /dev/null | sed -n 's/.*: \([0-9]*\) records.*/\1/p')
    want=$(wc -l < "$work/routed-2/partition-$k.jsonl")
    [ "${have:-0}" -ge "$want" ] && done_parts=$((done_parts + 1))
  done
  [ "$done_parts" -eq 2 ] && break
  kill -0 "$member_pid" 2>/dev/null || break
  sleep 1
done
if kill -0 "$member_pid" 2>/dev/null; then
  kill -TERM "$member_pid"
  wait "$member_pid" || fail "the member did not stop cleanly after the broker's restart: $(tail -5 "$work/br.log")"
else
  # It gave up while the broker was away: a restart finishes the work, exactly once.
  "$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "g-$prefix" --instance br \
    --data "$work/br" --batch 32 --exit-when-idle 1500 2>> "$work/br.log" || fail "restart after the broker: $(tail -5 "$work/br.log")"
fi
compare "$prefix" 2
# --- 4. Another producer's messages in the actions topic: journaled as refusals, never a halt.
prefix=fx-$run_id
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 1 > /dev/null
head -n 5 "$work/history.jsonl" > "$work/five.jsonl"
"$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/five.jsonl" 2> /dev/null
"$here/scripts/python-env.sh" python - "$brokers" "$prefix.actions" <<'PY'
import sys
from confluent_kafka import Producer
producer = Producer({"bootstrap.servers": sys.argv[1]})
for value in (b"\x07not kezek's", b"\x02\x01", None, b"\x01" + b"\xff" * 40):
    producer.produce(sys.argv[2], value=value, partition=0)
producer.flush()
PY
"$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/five.jsonl" 2> /dev/null
"$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "g-$prefix" --data "$work/fx" --exit-when-idle 1000 \
  2> "$work/fx.log" || fail "foreign messages stopped the member: $(tail -3 "$work/fx.log")"
"$kezek" kafka journal --brokers "$brokers" --prefix "$prefix" --partition 0 --journal "$work/fx.bin" > /dev/null
"$kezek" journal "$work/fx.bin" > "$work/fx.jsonl"
[ "$(wc -l < "$work/fx.jsonl")" -eq 14 ] || fail "foreign messages: $(wc -l < "$work/fx.jsonl") records, 14 expected"
[ "$(grep -c '"code": "VerifierFailed"' "$work/fx.jsonl")" -eq 4 ] || fail "foreign messages: not 4 VerifierFailed refusals"
[ "$(grep -c '"outcome": "Duplicate"' "$work/fx.jsonl")" -eq 5 ] || fail "foreign messages: the repeats after them were not answered Duplicate"
"$here/scripts/python-env.sh" python "$here/tests/kafka/check_journal.py" --brokers "$brokers" --prefix "$prefix" \
  > "$work/fx-check.txt" 2>&1 || fail "$prefix: the independent checker: $(cat "$work/fx-check.txt")"
step "foreign messages in the actions topic: 4 journaled as VerifierFailed, the partition went on"
# --- 5. A valid input written into a partition its route does not name (another client's copy of
# one of partition 1's own inputs, into partition 0): refused WrongPartition, not a second queue.
prefix=wp-$run_id
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 2 > /dev/null
head -n 2000 "$work/history.jsonl" > "$work/wp.jsonl"  # the catalogue, then filings
"$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/wp.jsonl" 2> /dev/null
"$here/scripts/python-env.sh" python - "$brokers" "$prefix.actions" <<'PY' || fail "could not copy an input into the wrong partition"
import sys
from confluent_kafka import Consumer, Producer, TopicPartition
brokers, topic = sys.argv[1], sys.argv[2]
def read(partition):
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": "wp-reader", "enable.partition.eof": True,
                         "isolation.level": "read_committed"})
    consumer.assign([TopicPartition(topic, partition, 0)])
    values = []
    while True:
        m = consumer.poll(10)
        if m is None or (m.error() and m.error().code() == -191):  # _PARTITION_EOF
            break
        values.append(m.value())
    consumer.close()
    return values
zero = set(read(0))
own = [v for v in read(1) if v not in zero]  # partition 1's own inputs (not the broadcast ones)
assert own, "partition 1 holds no input of its own"
producer = Producer({"bootstrap.servers": brokers})
producer.produce(topic, value=own[0], partition=0)
producer.flush()
PY
"$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "g-$prefix" --data "$work/wp" --exit-when-idle 1000 \
  2> "$work/wp.log" || fail "a misrouted input stopped the member: $(tail -3 "$work/wp.log")"
"$kezek" kafka journal --brokers "$brokers" --prefix "$prefix" --partition 0 --journal "$work/wp0.bin" > /dev/null
"$kezek" journal "$work/wp0.bin" > "$work/wp0.jsonl"
[ "$(grep -c '"code": "WrongPartition"' "$work/wp0.jsonl")" -eq 1 ] ||
  fail "the input copied into partition 0 was not refused WrongPartition: $(grep -c WrongPartition "$work/wp0.jsonl")"
grep -q '"reason": "an action routed to partition 1 of 2' "$work/wp0.jsonl" || fail "WrongPartition does not name the route"
"$kezek" replay verify --kafka --brokers "$brokers" --prefix "$prefix" --partition all > "$work/wp-verify.txt" 2>&1 ||
  fail "replay verify --kafka does not refuse the misrouted input as the member did: $(tail -5 "$work/wp-verify.txt")"
step "an input copied into another partition: journaled WrongPartition, and replay verify --kafka agrees"

# --- 6. A partition that ends in another producer's transaction marker, then records deleted from
# the topics (retention on topics made by hand, an operator's DeleteRecords): never a jump over
# inputs or records; the member and the journal's readers stop, saying so.
prefix=dr-$run_id
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 1 > /dev/null
head -n 200 "$work/history.jsonl" > "$work/dr1.jsonl"
sed -n 201,300p "$work/history.jsonl" > "$work/dr2.jsonl"
"$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/dr1.jsonl" 2> /dev/null
"$here/scripts/python-env.sh" python - "$brokers" "$prefix.actions" <<'PY' || fail "could not commit a foreign transaction"
import sys
from confluent_kafka import Producer
producer = Producer({"bootstrap.servers": sys.argv[1], "transactional.id": "foreign-" + sys.argv[2]})
producer.init_transactions()
producer.begin_transaction()
producer.produce(sys.argv[2], value=b"\x07a foreign transaction's message", partition=0)
producer.commit_transaction()
PY
rc=0; timeout 60 "$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "g-$prefix" --data "$work/dr" \
  --exit-when-idle 1000 2> "$work/dr.log" || rc=$?
[ "$rc" = 0 ] || fail "a partition ending in a transaction marker: the member exits $rc (124: it never saw its end)"
"$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/dr2.jsonl" 2> /dev/null
"$here/scripts/python-env.sh" python - "$brokers" "$prefix" <<'PY' || fail "could not delete records"
import sys
from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient
admin = AdminClient({"bootstrap.servers": sys.argv[1]})
for topic, before in ((sys.argv[2] + ".actions", 251), (sys.argv[2] + ".journal", 50)):
    for future in admin.delete_records([TopicPartition(topic, 0, before)]).values():
        future.result(30)
PY
rc=0; timeout 60 "$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "g-$prefix" --data "$work/dr" \
  --exit-when-idle 1000 2> "$work/dr.log" || rc=$?
[ "$rc" = 1 ] && grep -q "were deleted (retention or DeleteRecords" "$work/dr.log" ||
  fail "inputs deleted before they were folded: the member exits $rc: $(tail -3 "$work/dr.log")"
rc=0; "$kezek" kafka journal --brokers "$brokers" --prefix "$prefix" --partition 0 > /dev/null 2> "$work/dr-journal.err" || rc=$?
[ "$rc" = 1 ] && grep -q "offset 0 is gone from the topic" "$work/dr-journal.err" ||
  fail "a journal whose first records were deleted: kafka journal exits $rc: $(cat "$work/dr-journal.err")"
rc=0; "$kezek" replay verify --kafka --brokers "$brokers" --prefix "$prefix" --partition 0 > "$work/dr-verify.txt" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a journal whose first records were deleted is verified"
step "a foreign transaction's marker ends no member's wait; deleted inputs and records stop the member and the readers"
# --- 7. Two members of different groups on one prefix (a typo in --group, a second deployment):
# the partition's transactional.id names no group, so they fence each other: one journal.
prefix=tg-$run_id
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 1 > /dev/null
head -n 3000 "$work/history.jsonl" > "$work/tg.jsonl"
"$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/tg.jsonl" 2> /dev/null
for group in ga gb; do
  timeout 120 "$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --group "$group" --data "$work/tg-$group" \
    --batch 20 --exit-when-idle 3000 2> "$work/tg-$group.log" &
  pids+=($!)
done
wait "${pids[-1]}" || true
wait "${pids[-2]}" || true
"$kezek" kafka journal --brokers "$brokers" --prefix "$prefix" --partition 0 > "$work/tg-journal.txt" 2>&1 ||
  fail "two groups on one prefix: the journal does not hold: $(cat "$work/tg-journal.txt")"
"$here/scripts/python-env.sh" python "$here/tests/kafka/check_journal.py" --brokers "$brokers" --prefix "$prefix" \
  > "$work/tg-check.txt" 2>&1 || fail "two groups on one prefix: the independent checker: $(cat "$work/tg-check.txt")"
step "two members of different groups on one prefix: one journal, checked"
# --- 8. Partitions added by hand to the actions topic alone: append refuses to route by them.
prefix=ap-$run_id
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 2 > /dev/null
"$here/scripts/python-env.sh" python - "$brokers" "$prefix.actions" <<'PY' || fail "could not add a partition"
import sys
from confluent_kafka.admin import AdminClient, NewPartitions
admin = AdminClient({"bootstrap.servers": sys.argv[1]})
for future in admin.create_partitions([NewPartitions(sys.argv[2], 3)]).values():
    future.result(30)
PY
rc=0; "$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/five.jsonl" 2> "$work/ap.err" || rc=$?
[ "$rc" = 1 ] && grep -q "has 3 partitions and $prefix.journal has 2" "$work/ap.err" ||
  fail "append --kafka over an actions topic with a partition added: exit $rc, $(cat "$work/ap.err")"
step "append refuses an actions topic whose partitions were added by hand"
# --- 9. Partitions added by hand to all three topics after a member folded: the member refuses to
# go on (a locality it numbers would be routed to another partition, its queues begun again there).
prefix=gr-$run_id
"$kezek" kafka init --brokers "$brokers" --prefix "$prefix" --partitions 2 > /dev/null
head -3000 "$work/history.jsonl" > "$work/gr1.jsonl"
sed -n '3001,6000p' "$work/history.jsonl" > "$work/gr2.jsonl"
"$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/gr1.jsonl" > /dev/null
timeout 300 "$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --data "$work/gr-member" --exit-when-idle 1500 \
  > "$work/gr1.out" 2>&1 || fail "grown topics: the first member: $(tail -3 "$work/gr1.out")"
"$here/scripts/python-env.sh" python - "$brokers" "$prefix" <<'PY' || fail "could not add partitions"
import sys
from confluent_kafka.admin import AdminClient, NewPartitions
admin = AdminClient({"bootstrap.servers": sys.argv[1]})
topics = [NewPartitions(f"{sys.argv[2]}.{t}", 3) for t in ("actions", "journal", "state")]
for future in admin.create_partitions(topics).values():
    future.result(30)
PY
"$kezek" append --kafka --quiet --brokers "$brokers" --prefix "$prefix" "$work/gr2.jsonl" > /dev/null
rc=0; timeout 300 "$kezek" run --kafka --brokers "$brokers" --prefix "$prefix" --data "$work/gr-member" --exit-when-idle 1500 \
  > "$work/gr2.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "the topics were given partitions after they were made" "$work/gr2.out" ||
  fail "a member over grown topics: exit $rc, $(tail -3 "$work/gr2.out")"
step "a member refuses topics given partitions after it folded"

step "passed: $kills SIGKILLs of members, one of the broker"
