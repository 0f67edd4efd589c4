#!/usr/bin/env bash
# Every command answers --help with its usage and exit status 0; an unknown command or option is
# a usage error (exit status 2), never a crash.
set -euo pipefail
kezek=$1
for command in demo sample fold journal serve projections kafka replay stats explain templates; do
  # The whole usage read first: grep -q leaves at its first match, and a usage longer than one
  # write (4 KiB) then meets a closed pipe (exit 141 under pipefail: a flaky failure).
  usage=$("$kezek" "$command" --help) || { echo "FAIL: $command --help exits $?"; exit 1; }
  grep -q "usage: kezek $command" <<< "$usage" || { echo "FAIL: $command --help"; exit 1; }
done
"$kezek" --help | grep -q "commands:"
set +e
"$kezek" frobnicate > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: unknown command"; exit 1; }
"$kezek" fold --bogus > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: unknown option"; exit 1; }
"$kezek" sample --seed abc > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: bad number"; exit 1; }
"$kezek" fold /nonexistent/file > /dev/null 2>&1; [ $? -eq 1 ] || { echo "FAIL: missing input"; exit 1; }
"$kezek" projections frobnicate --data /tmp > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: projections unknown action"; exit 1; }
"$kezek" projections verify --data /nonexistent/dir > /dev/null 2>&1; [ $? -eq 1 ] || { echo "FAIL: projections verify missing"; exit 1; }
"$kezek" run --kafka --help | grep -q "usage: kezek run --kafka" || { echo "FAIL: run --kafka --help"; exit 1; }
"$kezek" append --kafka --help | grep -q "usage: kezek append --kafka" || { echo "FAIL: append --kafka --help"; exit 1; }
"$kezek" kafka frobnicate > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: kafka unknown subcommand"; exit 1; }
"$kezek" run --kafka --data /tmp/x > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: run --kafka without --brokers"; exit 1; }
"$kezek" kafka init --brokers 127.0.0.1:1 --partitions 0 > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: kafka init 0 partitions"; exit 1; }
"$kezek" replay frobnicate --data /tmp > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: replay unknown action"; exit 1; }
"$kezek" replay verify > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: replay verify without --data"; exit 1; }
"$kezek" replay rebuild --data /tmp > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: replay rebuild without --out"; exit 1; }
"$kezek" replay verify --data /nonexistent/dir > /dev/null 2>&1; [ $? -eq 1 ] || { echo "FAIL: replay verify missing"; exit 1; }
"$kezek" replay checkpoint --data /tmp --every 0 > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: replay checkpoint --every 0"; exit 1; }
"$kezek" replay checkpoint --data /tmp --every x > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: replay checkpoint --every x"; exit 1; }
"$kezek" replay verify --data /tmp --every 5 > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: replay verify --every"; exit 1; }
for bad in ALL -1 65536 99999999999999999999 1x; do  # refused before any broker is asked ("" below)
  said=$("$kezek" replay verify --kafka --brokers 127.0.0.1:1 --partition "$bad" 2>&1) && rc=0 || rc=$?
  [ "$rc" -eq 2 ] && grep -qF -- "--partition is a partition number (0..65535) or all, not '$bad'" <<< "$said" ||
    { echo "FAIL: replay verify --kafka --partition '$bad': exit $rc: $said"; exit 1; }
done
"$kezek" replay verify --kafka --brokers 127.0.0.1:1 --partition all --expect-head 00 > /dev/null 2>&1; [ $? -eq 2 ] ||
  { echo "FAIL: replay verify --kafka --partition all --expect-head"; exit 1; }
"$kezek" replay checkpoint --data /nonexistent/dir > /dev/null 2>&1; [ $? -eq 1 ] || { echo "FAIL: replay checkpoint missing"; exit 1; }
for every in 5 -1 x ""; do
  "$kezek" serve --data /nonexistent/dir --keys /dev/null --checkpoint-every "$every" > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: serve --checkpoint-every '$every'"; exit 1; }
done
for keep in -1 x 1.5 ""; do
  "$kezek" serve --data /nonexistent/dir --keys /dev/null --checkpoint-keep "$keep" > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: serve --checkpoint-keep '$keep'"; exit 1; }
  "$kezek" replay checkpoint --data /tmp --keep "$keep" > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: replay checkpoint --keep '$keep'"; exit 1; }
done
said=$("$kezek" replay verify --data /tmp --keep 3 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--keep does not go with verify" <<< "$said" || { echo "FAIL: replay verify --keep: exit $rc: $said"; exit 1; }
# An option of another action is named, whichever action (it said "--every goes with checkpoint" for checkpoint --json).
said=$("$kezek" replay checkpoint --data /tmp --every 5 --json 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--json does not go with checkpoint" <<< "$said" || { echo "FAIL: replay checkpoint --json: exit $rc: $said"; exit 1; }
said=$("$kezek" replay checkpoints --data /tmp --keep 2 2>&1) && rc=0 || rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--keep does not go with checkpoints" <<< "$said" || { echo "FAIL: replay checkpoints --keep: exit $rc: $said"; exit 1; }
"$kezek" serve --help | grep -q -- "--checkpoint-keep K" || { echo "FAIL: serve --help names --checkpoint-keep"; exit 1; }
for bad in "--checkpoint-keep 10001" "--checkpoint-every 0 --checkpoint-keep 3"; do
  # shellcheck disable=SC2086
  "$kezek" serve --data /nonexistent/dir --keys /dev/null $bad > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: serve $bad"; exit 1; }
done
for given in "--checkpoint-keep 3" "--checkpoint-every 5000"; do
  # shellcheck disable=SC2086
  "$kezek" serve --kafka --brokers 127.0.0.1:1 --keys /dev/null $given > /dev/null 2>&1; [ $? -eq 2 ] ||
    { echo "FAIL: serve --kafka $given"; exit 1; }
done
"$kezek" replay checkpoint --data /tmp --keep 10001 > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: replay checkpoint --keep 10001"; exit 1; }
# Kafka commands: an argument they do not take, and --exit-when-idle 0, refused before any broker is asked.
for bad in "kafka journal --brokers 127.0.0.1:1 --partition 0 p0.bin" "kafka init --brokers 127.0.0.1:1 --partitions 2 extra" \
           "run --kafka --brokers 127.0.0.1:1 --data /tmp/kezek-cli-help-member extra" \
           "run --kafka --brokers 127.0.0.1:1 --data /tmp/kezek-cli-help-member --exit-when-idle 0"; do
  # shellcheck disable=SC2086
  out=$(timeout 10 "$kezek" $bad 2>&1); rc=$?
  [ $rc -eq 2 ] && grep -q "unexpected argument\|--exit-when-idle 1..86400000" <<< "$out" || { echo "FAIL: $bad: exit $rc: $out"; exit 1; }
done
[ ! -e /tmp/kezek-cli-help-member ] || { echo "FAIL: a refused member made its directory"; exit 1; }
[ ! -e /nonexistent/dir ] || { echo "FAIL: a refused serve made its data directory"; exit 1; }
for bad in "--as-of 2025-02-30" "--as-of yesterday" "--as-of-sequence -1" "--as-of 2025-01-01 --as-of-sequence 5"; do
  # shellcheck disable=SC2086
  "$kezek" status --data /nonexistent/dir $bad > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: status $bad"; exit 1; }
  # shellcheck disable=SC2086
  "$kezek" explain 1 --data /nonexistent/dir $bad > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: explain $bad"; exit 1; }
done
"$kezek" stats > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: stats without a journal"; exit 1; }
"$kezek" stats --data /tmp --journal /tmp/x > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: stats with both"; exit 1; }
for when in 2025-02-30 2025-13-01 yesterday 2025-01-01T25:00:00Z 2025-01-01T10:00:00 "2025-01-01 "; do
  "$kezek" stats --journal /tmp/x --as-of "$when" > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: stats --as-of $when"; exit 1; }
done
"$kezek" stats --journal /tmp/x --format xml > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: stats --format xml"; exit 1; }
"$kezek" stats --journal /nonexistent/file > /dev/null 2>&1; [ $? -eq 1 ] || { echo "FAIL: stats missing journal"; exit 1; }
"$kezek" explain --data /tmp > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: explain without a number"; exit 1; }
"$kezek" explain abc --data /tmp > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: explain abc"; exit 1; }
"$kezek" explain 99999999999999999999 --data /tmp > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: explain 2^64+"; exit 1; }
"$kezek" explain 1 --data /tmp --lang en > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: explain --lang en"; exit 1; }
"$kezek" explain 1 --data /nonexistent/dir > /dev/null 2>&1; [ $? -eq 1 ] || { echo "FAIL: explain missing data"; exit 1; }
"$kezek" templates --instant abc > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: templates --instant abc"; exit 1; }
"$kezek" stats --journal /dev/null --section queue > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: stats --section without --format csv"; exit 1; }
"$kezek" stats --journal /dev/null --format json --section queue > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: stats --format json --section"; exit 1; }
"$kezek" templates extra > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: templates with an argument"; exit 1; }
# The catalogue's own texts, posted after the clock's first tick, are version 1 of the templates.
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
{ echo '{"schema_version":1,"idempotency_key":"tick","instant_ms":1735700000000,"actor":{"role":"System"},"body_type":"ClockTick","body":{}}'
  "$kezek" templates --instant 1735700000000; } > "$work/in.jsonl"
[ "$("$kezek" templates --instant 1735700000000)" = "$("$kezek" templates --instant 1735700000000)" ] || { echo "FAIL: templates not the same twice"; exit 1; }
# What the engine would refuse is refused when the line is made: an instant outside 2000..2100, a
# key empty or over 128 bytes.
for bad in "--instant=1" "--instant=4102444800001" "--key=$(printf 'k%.0s' $(seq 129))"; do
  "$kezek" templates "${bad%%=*}" "${bad#*=}" > "$work/t.out" 2> "$work/t.err"; rc=$?
  [ $rc -eq 2 ] && [ ! -s "$work/t.out" ] && grep -q -- "^kezek templates: ${bad%%=*}: " "$work/t.err" ||
    { echo "FAIL: templates $bad: rc $rc, $(cat "$work/t.err")"; exit 1; }
done
# No option takes an empty value (an unset shell variable): refused, exit 2, naming it.
for cmd in "status --data" "templates --key" "demo --store" "serve --data" "projections verify --data" "backup --data /tmp --to"; do
  # shellcheck disable=SC2086
  out=$("$kezek" $cmd "" 2>&1); rc=$?
  [ $rc -eq 2 ] && grep -q "needs a value\|unknown or incomplete option" <<< "$out" || { echo "FAIL: $cmd '': rc $rc: $out"; exit 1; }
done
# A key the engine would refuse (a control character), or bytes that are not UTF-8 (printed as
# other characters: another key), is refused here, not printed.
for key in "$(printf 'a\001b')" "$(printf '\377\376')" "$(printf 'a\342\200\256b')"; do
  out=$("$kezek" templates --key "$key" 2>&1); rc=$?
  [ $rc -eq 2 ] && grep -q "the engine refuses it\|is not UTF-8 text" <<< "$out" || { echo "FAIL: templates --key $(od -c <<< "$key" | head -1): rc $rc: $out"; exit 1; }
done
"$kezek" templates --instant 4102444800000 --key "$(printf 'k%.0s' $(seq 128))" > /dev/null ||
  { echo "FAIL: templates at the last instant and the longest key"; exit 1; }
"$kezek" fold --journal-json "$work/journal.jsonl" "$work/in.jsonl" > /dev/null
grep -q '"decisions": \[{"body_type": "MessageTemplatesSet","body": {"version": 1}}\]' "$work/journal.jsonl" ||
  { echo "FAIL: templates not applied: $(tail -c 400 "$work/journal.jsonl")"; exit 1; }
# The demo follows a family that exists (country-wide numbers) and words its notifications from
# the templates its history posts.
"$kezek" demo --applications 200 --months 2 --seed 3 | sed -n '/notifications of application #1000004/,/^$/p' |
  grep -q "Ваша заявка принята. Место в очереди" || { echo "FAIL: demo shows no notification of the family it follows"; exit 1; }
# An option given twice, or an argument a command does not take, is a usage error (the last one
# silently won, or the argument was ignored).
out=$("$kezek" status --data /tmp --data /nonexistent 2>&1); [ $? -eq 2 ] && grep -q -- "--data is given twice" <<< "$out" ||
  { echo "FAIL: status --data twice: $out"; exit 1; }
for command in status run backup sample demo stats; do
  out=$("$kezek" $command --data /nonexistent junk 2>&1); [ $? -eq 2 ] && grep -q "unexpected argument 'junk'" <<< "$out" ||
    { echo "FAIL: $command with an argument it does not take: $out"; exit 1; }
done
for value in " 5" "+5" "-0" "5 " 241 86400; do
  "$kezek" serve --data /nonexistent/dir --keys /dev/null --tick-interval "$value" > /dev/null 2>&1; [ $? -eq 2 ] ||
    { echo "FAIL: serve --tick-interval '$value'"; exit 1; }
done
# Over 240 s, every family's action was refused InstantInFuture for the rest of each interval.
out=$("$kezek" serve --data /nonexistent/dir --keys /dev/null --tick-interval 301 2>&1); [ $? -eq 2 ] &&
  grep -q "0..240 (an action stamped more than 300 s past the last tick is refused" <<< "$out" ||
  { echo "FAIL: serve --tick-interval 301: $out"; exit 1; }
"$kezek" serve --data /nonexistent/dir --keys /dev/null --keys /dev/null > /dev/null 2>&1; [ $? -eq 2 ] ||
  { echo "FAIL: serve --keys twice"; exit 1; }
# Kafka settings: a broker's port out of range (librdkafka would take it modulo 65536), a key set
# twice in --config, a directory or an endless file as --config; a keys file without end.
printf 'brokers = 127.0.0.1:1\nbrokers = 127.0.0.1:2\n' > /tmp/kezek-cli-help.conf
for given in "--brokers 127.0.0.1:99999" "--brokers 127.0.0.1:0" "--brokers 127.0.0.1" "--config /tmp/kezek-cli-help.conf" \
             "--config /tmp" "--config /dev/zero"; do
  out=$(timeout 20 "$kezek" kafka init $given --partitions 2 2>&1); rc=$?
  [ $rc -eq 2 ] && grep -q "no HOST:PORT\|already set on line 1\|is a directory\|more than 65536 bytes" <<< "$out" ||
    { echo "FAIL: kafka init $given: exit $rc: $out"; exit 1; }
done
for prefix in "" "a/b" $'a\x01'; do
  out=$(timeout 20 "$kezek" kafka init --brokers 127.0.0.1:9092 --prefix "$prefix" --partitions 2 2>&1); rc=$?
  [ $rc -eq 2 ] && grep -q "is no topic prefix\|needs a value, not an empty one" <<< "$out" || { echo "FAIL: kafka init --prefix '$prefix': exit $rc: $out"; exit 1; }
done
printf 'brokers = 127.0.0.1:9092\nprefix = \n' > /tmp/kezek-cli-help.conf  # an empty value, as an empty flag
out=$(timeout 20 "$kezek" kafka init --config /tmp/kezek-cli-help.conf --partitions 2 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "line 2: prefix needs a value, not an empty one" <<< "$out" ||
  { echo "FAIL: an empty value in --config: exit $rc: $out"; exit 1; }
# One settings file serves every Kafka command (route takes partitions, passes the member's keys
# over); a key no command takes is refused, named without dashes.
printf 'brokers = 127.0.0.1:9092\nprefix = p\ngroup = g\ninstance = i\ndata = /tmp/kezek-cli-help-member\npartitions = 3\nbatch = 10\n' \
  > /tmp/kezek-cli-help.conf
echo '{"not": "an action"}' > /tmp/kezek-cli-help.jsonl
out=$("$kezek" kafka route --config /tmp/kezek-cli-help.conf --out /tmp/kezek-cli-help-routed /tmp/kezek-cli-help.jsonl 2>&1) &&
  [ -e /tmp/kezek-cli-help-routed/partition-2.jsonl ] || { echo "FAIL: one --config for every command: $out"; exit 1; }
echo 'brokerz = 127.0.0.1:9092' > /tmp/kezek-cli-help.conf
out=$(timeout 20 "$kezek" kafka init --config /tmp/kezek-cli-help.conf --partitions 2 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "line 1: expected 'key = value' with a key of brokers, prefix, group" <<< "$out" ||
  { echo "FAIL: a key no command takes: exit $rc: $out"; exit 1; }
rm -rf /tmp/kezek-cli-help.conf /tmp/kezek-cli-help.jsonl /tmp/kezek-cli-help-routed
out=$(timeout 20 "$kezek" serve --data /tmp/kezek-cli-help-never --keys /dev/zero 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "more than 4194304 bytes" <<< "$out" && [ ! -e /tmp/kezek-cli-help-never ] ||
  { echo "FAIL: serve --keys /dev/zero: exit $rc: $out"; exit 1; }
out=$("$kezek" status --data /tmp --as-of 1999-12-31 2>&1); [ $? -eq 2 ] && grep -q "from 2000-01-01 to 2100-12-31" <<< "$out" ||
  { echo "FAIL: --as-of before 2000 does not say the range: $out"; exit 1; }
out=$("$kezek" explain 18446744073709551616 --data /tmp 2>&1); [ $? -eq 2 ] && grep -q "0..18446744073709551615" <<< "$out" ||
  { echo "FAIL: explain of a number past 2^64-1: $out"; exit 1; }
# A history past the calendar file's last year is generated, with a warning naming where the
# calendar ends (its later days count weekdays only); one inside it has none.
out=$("$kezek" sample --first-year 2026 --months 13 --applications 50 --output /dev/null 2>&1) &&
  grep -q "warning: the history runs to 2027-01, past the working-day calendar (its last day 2026-" <<< "$out" ||
  { echo "FAIL: sample past the calendar: $out"; exit 1; }
out=$("$kezek" sample --first-year 2026 --months 12 --applications 50 --output /dev/null 2>&1) && ! grep -q warning <<< "$out" ||
  { echo "FAIL: sample inside the calendar: $out"; exit 1; }
echo "cli_help: every command has --help; usage errors exit 2"
