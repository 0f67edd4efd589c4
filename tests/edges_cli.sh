#!/usr/bin/env bash
# The command line as a new user meets it (issue #15), one specification per check: one journal
# for every path, bounded lines, answers that are JSON, read-only commands, commands that create
# or destroy nothing they should not, streaming answers, and the smaller edges.
# usage: edges_cli.sh KEZEK_BINARY WORK_DIR
set -euo pipefail
K=$1
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work"
spec() { current="$*"; }
fail() { echo "FAIL: $current${1:+: $1}"; exit 1; }
json_lines() {  # every line of $1 is one JSON value (checked when python3 is present)
  command -v python3 > /dev/null || return 0
  python3 -c 'import json,sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try: json.loads(line)
    except Exception as e: sys.exit(f"{sys.argv[1]}:{n}: {e}")' "$1"
}
hash_of() { "$K" status --data "$1" | sed -n 's/^state hash: *//p'; }

"$K" sample --seed 7 --applications 150 --output a.jsonl 2> /dev/null
(head -200 a.jsonl; echo; printf ' \t\r\n'; echo '{ garbage'; head -c 1048576 /dev/zero | tr '\0' 'x'; echo; sed -n '201,400p' a.jsonl) > wb.jsonl

spec "cli: append: a blank line gets a rejection record like fold; fold and append journal every line byte for byte alike"
fold_hash=$("$K" fold --quiet --journal-json fold.jsonl wb.jsonl)
"$K" append --data D wb.jsonl > answers.jsonl 2> /dev/null
"$K" journal --data D > append.jsonl 2> /dev/null
cmp -s fold.jsonl append.jsonl || fail "the journals differ"
[ "$(hash_of D)" = "$fold_hash" ] || fail "the state hashes differ"
[ "$(wc -l < append.jsonl)" -eq "$(wc -l < wb.jsonl)" ] || fail "not one record per line"
[ "$(grep -c '"reason": "a blank line holds no action"' append.jsonl)" -eq 2 ] || fail "blank lines not journaled"

spec "cli: an over-limit line is logged as its size, digest and first bytes, not whole"
actions_bytes=$("$K" status --data D | sed -n 's/^actions log: *[0-9]* inputs, \([0-9]*\) bytes/\1/p')
[ "$actions_bytes" -lt 1000000 ] || fail "the actions log holds $actions_bytes bytes: the 1 MiB line was kept whole"
grep -q '"code": "LimitExceeded","reason": "a JSON line of 1048576 bytes (SHA-256 [0-9a-f]\{64\})' append.jsonl || fail

spec "cli: append: a 260 MiB line is rejected LimitExceeded and the import goes on"
(echo "$(sed -n 1p a.jsonl)"; head -c 272629760 /dev/zero | tr '\0' 'y'; echo; sed -n 2p a.jsonl) \
  | "$K" append --data BIG > big.jsonl 2> /dev/null || fail "append exits $?"
[ "$(wc -l < big.jsonl)" -eq 3 ] || fail "$(wc -l < big.jsonl) answers, 3 expected"
sed -n 2p big.jsonl | grep -q '"code": "LimitExceeded"' || fail "the line is not LimitExceeded"
sed -n 3p big.jsonl | grep -q '"input": 2' || fail "the line after it was not taken"

spec "cli: append answers are JSON lines: a key with a newline stays on one line"
printf '{"bogus\\n":1}\n' | "$K" append --data D > bogus.jsonl 2> /dev/null
[ "$(wc -l < bogus.jsonl)" -eq 1 ] || fail "the answer spans lines"
json_lines bogus.jsonl || fail
json_lines answers.jsonl || fail

spec "cli: append: a repeated filing is answered with the original's outcome and decisions"
grep -m1 '"FileApplication"' a.jsonl > filing.jsonl
"$K" append --data D filing.jsonl > repeat.jsonl 2> /dev/null
grep -q '"outcome": "Applied","repeat": true,"original_sequence": [0-9]*,"decisions": \[{"body_type": "ApplicationAccepted"' repeat.jsonl \
  || fail "$(cut -c1-300 repeat.jsonl)"

spec "cli: journal JSON prints defaults, UTF-8 and hex hashes"
grep -q '"outcome": "Applied"' fold.jsonl || fail "no \"outcome\": \"Applied\""
grep -q '"sequence": 0,' fold.jsonl || fail "sequence 0 not printed"
grep -q '"prev_sha256": "[0-9a-f]\{64\}"' fold.jsonl || fail "prev_sha256 is not hex"
grep -q 'Ваша заявка принята' fold.jsonl || fail "Russian text is escaped"
if grep -q '\\u04' fold.jsonl; then fail "Cyrillic printed as \\u escapes"; fi
json_lines fold.jsonl || fail

spec "cli: status and journal --data read while another process holds the lock, and never write"
touch D/LOCK.hold
# Held until released (not for a fixed time: under the sanitizers on a loaded machine the commands
# below take seconds), a minute at most should the test fail before it releases it.
flock -x D/LOCK sh -c 'i=0; while [ ! -e D/LOCK.release ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done' &
holder=$!
sleep 0.3
before=$(find D -type f -newer D/LOCK.hold | wc -l)
"$K" status --data D > /dev/null 2>&1 || fail "status refused while the lock is held"
"$K" journal --data D > /dev/null 2>&1 || fail "journal --data refused while the lock is held"
[ "$(find D -type f -newer D/LOCK.hold | wc -l)" -eq "$before" ] || fail "a file changed"

spec "cli: the lock message names a holder that is not kezek as such"
msg=$("$K" run --data D 2>&1) && fail "run opened a locked directory"
echo "$msg" | grep -q "wrote no pid" || fail "$msg"
touch D/LOCK.release
wait "$holder"
rm -f D/LOCK.hold D/LOCK.release

spec "cli: status works for a user who may not write the data directory"
if [ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null; then
  chmod -R a+rX "$work"
  setpriv --reuid=65534 --regid=65534 --clear-groups "$K" status --data D > /dev/null 2> status-nobody.txt \
    || fail "$(cat status-nobody.txt)"
else
  echo "(skipped: needs root and setpriv to act as another user)"
fi

spec "cli: append --data NEW with a missing INPUT leaves nothing behind"
"$K" append --data NEW /nonexistent > /dev/null 2>&1 && fail "exit 0"
[ ! -e NEW ] || fail "NEW was created"

spec "cli: status --data EMPTYDIR does not make it a data directory"
mkdir EMPTY
"$K" status --data EMPTY > /dev/null 2>&1 && fail "exit 0"
[ -z "$(ls -A EMPTY)" ] || fail "EMPTY holds $(ls -A EMPTY)"

spec "cli: fold refuses an output that is its input"
cp a.jsonl x.jsonl
"$K" fold --journal-json x.jsonl x.jsonl > /dev/null 2>&1 && fail "exit 0"
cmp -s a.jsonl x.jsonl || fail "the input was changed"

spec "cli: append --resume refuses a file whose first lines are not what the log holds"
records=$("$K" status --data D | sed -n 's/^journal: *\([0-9]*\) records.*/\1/p')
sed -n '5,20p' a.jsonl > other.jsonl
"$K" append --data D --resume other.jsonl > /dev/null 2> resume.txt && fail "exit 0"
grep -q "not the INPUT they came from" resume.txt || fail "$(cat resume.txt)"
[ "$("$K" status --data D | sed -n 's/^journal: *\([0-9]*\) records.*/\1/p')" -eq "$records" ] || fail "records appended"
spec "cli: append --resume finishes an import of the same INPUT"
head -100 a.jsonl | "$K" append --data R --quiet 2> /dev/null
"$K" append --data R --resume --quiet a.jsonl 2> /dev/null
[ "$(hash_of R)" = "$("$K" fold --quiet a.jsonl)" ] || fail

spec "cli: a streaming append answers a line as soon as no more input is waiting"
mkfifo pipe
"$K" append --data S < pipe > stream.jsonl 2> /dev/null &
appender=$!
exec 8> pipe
sed -n 1p a.jsonl >&8
for _ in $(seq 1 30); do [ -s stream.jsonl ] && break; sleep 0.1; done
[ -s stream.jsonl ] || { exec 8>&-; fail "no answer after 3 s"; }
exec 8>&-
wait "$appender"

spec "cli: journal on a file that is no journal says what it is and which command reads it"
{ "$K" journal a.jsonl 2>&1 || true; } | grep -q "'kezek fold FILE'" || fail
seg=$(ls D/journal/*.seg | head -1)
{ "$K" journal "$seg" 2>&1 || true; } | grep -q "kezek journal --data DIR" || fail

spec "cli: --seed -1 is refused; --version answers"
rc=0; "$K" sample --seed -1 --applications 5 > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "exit $rc"
"$K" --version | grep -q '^kezek [0-9]' || fail

spec "cli: status prints the engine's time as ISO UTC"
"$K" status --data D | grep -q 'engine time 20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z' || fail
spec "cli: Ctrl-C stops append cleanly (exit 130, every input durable); --resume finishes it as one append would"
"$K" sample --seed 5 --applications 6000 --output big.jsonl 2> /dev/null
"$K" append --data whole --quiet big.jsonl > /dev/null 2>&1
# INPUT through a pipe the test holds open: the first 3,000 lines, then nothing more until SIGINT,
# so that it lands mid-way however fast the append is.
mkfifo slow
"$K" append --data cut --quiet < slow > /dev/null 2> cut.log &
appender=$!
exec 9> slow
head -n 3000 big.jsonl >&9
logged=0
for _ in $(seq 200); do
  logged=$("$K" status --data cut 2> /dev/null | awk '/^actions log/ {print $3}')
  [ "${logged:-0}" -ge 3000 ] && break
  sleep 0.05
done
kill -INT $appender 2> /dev/null || true
rc=0; wait $appender || rc=$?
exec 9>&-
grep -q "interrupted after" cut.log || fail "no interrupted line (exit $rc): $(cat cut.log)"
logged=$("$K" status --data cut | awk '/^actions log/ {print $3}')
[ "$logged" -gt 0 ] && [ "$logged" -lt "$(wc -l < big.jsonl)" ] || fail "logged $logged inputs"
"$K" append --data cut --quiet --resume big.jsonl > /dev/null 2>&1 || fail "resume"
[ "$("$K" status --data cut | grep 'state hash')" = "$("$K" status --data whole | grep 'state hash')" ] || fail "state differs"
spec "cli: a path given with a control character is printed with it escaped (\\xNN), never raw"
ctl=$'ctl\x01dir'
mkdir -p "$ctl"
rc=0; "$K" replay rebuild --data cut --out "$ctl" > ctl.out 2> ctl.err || rc=$?
[ "$rc" = 2 ] || fail "exit $rc"
grep -q 'ctl\\x01dir: already exists' ctl.err || fail "$(cat ctl.err)"
! grep -q $'\x01' ctl.err ctl.out || fail "a raw control character was printed"
rmdir "$ctl"
rc=0; "$K" status --data "$ctl" > ctl.out 2> ctl.err || rc=$?
[ "$rc" = 1 ] && ! grep -q $'\x01' ctl.err ctl.out || fail "status: exit $rc, or a raw control character"

spec "cli: append: an INPUT that is a directory is refused before a data directory is made"
rc=0; "$K" append --data fromdir . > /dev/null 2> dir.err || rc=$?
[ "$rc" = 1 ] && grep -q "is a directory" dir.err && [ ! -e fromdir ] || fail "exit $rc, $(cat dir.err), $(ls -d fromdir 2>&1)"

spec "cli: backup and replay rebuild: a destination inside the data directory is refused, nothing made, the source untouched"
before=$(find cut/actions cut/journal -type f | sort | xargs md5sum)
for inside in cut/journal/bk cut/inside; do
  rc=0; "$K" backup --data cut --to "$inside" > /dev/null 2> bk.err || rc=$?
  [ "$rc" = 2 ] && grep -q "is inside the data directory" bk.err && [ ! -e "$inside" ] || fail "$inside: exit $rc, $(cat bk.err)"
  rc=0; "$K" replay rebuild --data cut --out "$inside" > /dev/null 2> bk.err || rc=$?
  [ "$rc" = 2 ] && grep -q "is inside the data directory" bk.err && [ ! -e "$inside" ] || fail "rebuild $inside: exit $rc, $(cat bk.err)"
done
[ "$(find cut/actions cut/journal -type f | sort | xargs md5sum)" = "$before" ] || fail "the source's logs changed"

spec "cli: projections verify on a directory that has no read-model store says so and how to make one"
rc=0; "$K" projections verify --data cut > /dev/null 2> pv.err || rc=$?
[ "$rc" = 1 ] && grep -q "holds no read-model store" pv.err && grep -q "projections rebuild --data cut" pv.err || fail "exit $rc, $(cat pv.err)"
rc=0; "$K" projections verify --data nowhere > /dev/null 2> pv.err || rc=$?
[ "$rc" = 1 ] && grep -q "nowhere: no such data directory" pv.err || fail "exit $rc, $(cat pv.err)"

spec "cli: a name posted with control characters is refused (InvalidField) and nothing raw reaches stats"
# (Since 2026-12-06 the engine refuses a control character in a name; stats still escape one a
# journal written before may hold.)
last=$(grep -o '"instant_ms": [0-9]*' a.jsonl | tail -1 | grep -o '[0-9]*$')
(cat a.jsonl
 printf '%s%s%s\n' '{"schema_version":1,"idempotency_key":"evil-name","instant_ms":' "$last" \
   ',"actor":{"role":"EducationDepartment"},"body_type":"UpsertLocality","body":{"locality":1,"name_ru":"Evil\u001b[31mRED\r\u0007","name_kk":"x","region_code":"ALA"}}') > evil.jsonl
"$K" append --data evil --quiet evil.jsonl > /dev/null 2>&1 || fail "append"
"$K" journal --data evil | tail -1 > evil.record
grep -q '"InvalidField"' evil.record && grep -q 'name_ru holds the control character U+001B at byte 4' evil.record \
  || fail "the renaming was not refused: $(grep -o '"rejection".*' evil.record)"
"$K" append --data evil --quiet <(printf '%s%s%s\n' '{"schema_version":1,"idempotency_key":"evil-row","instant_ms":' "$last" \
   ',"actor":{"role":"EducationDepartment"},"body_type":"UpsertLocality","body":{"locality":1,"name_ru":"two\nlines","name_kk":"x","region_code":"ALA"}}') > /dev/null 2>&1 || fail "append the second name"
"$K" journal --data evil | tail -1 | grep -q '"code": "InvalidField"' || fail "a line break in a name was not refused"
"$K" stats --data evil > stats.txt 2>&1 || fail "stats exit $?"
! grep -q $'[\x07\x1b\r]' stats.txt && ! grep -q '^lines' stats.txt && ! grep -q 'Evil' stats.txt || fail "$(grep -a -e Evil -e two stats.txt | cat -v)"
# A name a spreadsheet would run as a formula is written as text ('= first, quoted: OWASP's advice).
"$K" append --data evil --quiet <(printf '%s%s%s\n' '{"schema_version":1,"idempotency_key":"evil-formula","instant_ms":' "$last" \
   ',"actor":{"role":"EducationDepartment"},"body_type":"UpsertLocality","body":{"locality":1,"name_ru":"=HYPERLINK(\"http://x\",\"y\")","name_kk":"x","region_code":"ALA"}}') > /dev/null 2>&1 || fail "append the formula name"
"$K" stats --data evil --format csv --section flows > stats.csv 2>&1 || fail "stats csv exit $?"
grep -q ',"'"'"'=HYPERLINK(""http://x"",""y"")",' stats.csv && ! grep -q ',=HYPERLINK' stats.csv || fail "$(grep -a HYPERLINK stats.csv)"

spec "cli: backup beside a running writer is refused and names the copy that works beside it"
echo "a Auditor $(printf '%064d' 0)" > keys.txt
"$K" serve --data cut --keys keys.txt --listen 127.0.0.1:0 --port-file cut.port --tick-interval 0 > serve.log 2>&1 &
server=$!
for _ in $(seq 200); do [ -e cut.port ] && break; sleep 0.05; done
rc=0; "$K" backup --data cut --to live-copy > /dev/null 2> live.err || rc=$?
[ "$rc" = 1 ] && grep -q "busy" live.err && grep -q "replay rebuild --data cut --out DEST" live.err || fail "exit $rc, $(cat live.err)"
"$K" replay rebuild --data cut --out live-copy > rebuild.out 2>&1 || fail "rebuild beside the server: $(tail -3 rebuild.out)"
grep -q "journal: equal to the source's" rebuild.out || fail "$(cat rebuild.out)"
kill -TERM $server; wait $server || fail "serve exit $?"

spec "cli: journal and projections read the journal alone: a data directory without its state is no obstacle"
cp -r cut nostate && rm -rf nostate/state nostate/projections
"$K" journal --data nostate > nostate.jsonl 2> nostate.err || fail "journal: $(cat nostate.err)"
"$K" journal --data cut 2> /dev/null | cmp -s - nostate.jsonl || fail "journal differs"
"$K" projections rebuild --data nostate > /dev/null 2>&1 || fail "projections rebuild"
"$K" projections verify --data nostate 2> /dev/null | grep -q "^equal" || fail "projections verify"

spec "cli: replay rebuild from a source whose journal has a changed byte inside it: made from the actions log, not compared"
cp -r cut flipped
segment=$(ls flipped/journal/*.seg | tail -1)
printf '\x5a' | dd of="$segment" bs=1 seek=$(($(stat -c %s "$segment") / 2)) conv=notrunc status=none
rc=0; "$K" replay rebuild --data flipped --out unflipped > rb.out 2> rb.err || rc=$?
[ "$rc" = 1 ] && grep -q "journal: not compared: the source's journal does not open" rb.out && grep -q "compare its head" rb.err ||
  fail "exit $rc: $(cat rb.out rb.err)"
[ "$("$K" status --data unflipped | grep '^journal')" = "$("$K" status --data cut | grep '^journal')" ] || fail "the rebuilt journal differs"

spec "cli: replay checkpoint writes again a newest checkpoint that is damaged (its header whole), byte for byte"
"$K" replay checkpoint --data nostate --every 1000 > /dev/null 2>&1 || fail "checkpoint"
newest=$(ls nostate/checkpoints/*.kzc | tail -1)
cp "$newest" good.kzc
printf '\x5a' | dd of="$newest" bs=1 seek=$(($(stat -c %s "$newest") / 2)) conv=notrunc status=none
"$K" replay checkpoint --data nostate --every 1000 > ck.out 2>&1 || fail "checkpoint again: $(cat ck.out)"
grep -q "passed over .*damaged" ck.out && grep -q "^1 checkpoint written" ck.out && cmp -s good.kzc "$newest" ||
  fail "$(cat ck.out)"

spec "cli: replay checkpoint --keep thins the older checkpoints, says which, and as-of answers stay"
cp -r cut kept && rm -rf kept/checkpoints
"$K" replay checkpoint --data kept --every 1000 --keep 3 > keep.out 2> keep.err || fail "checkpoint --keep: $(cat keep.err)"
count=$(ls kept/checkpoints/*.kzc | wc -l)
written=$(sed -n 's/^\([0-9]*\) checkpoints written.*; \([0-9]*\) older removed (--keep 3)$/\1 \2/p' keep.out)
[ -n "$written" ] && [ "$count" -le 3 ] && [ "$count" -ge 2 ] && [ $((${written% *} - ${written#* })) = "$count" ] &&
  grep -q "checkpoint at record [0-9]* removed (--keep 3)" keep.err || fail "$count kept: $(cat keep.out keep.err)"
newest=$(ls kept/checkpoints/*.kzc | tail -1)
[ "$(basename "$newest")" = "$(ls nostate/checkpoints/*.kzc | tail -1 | xargs basename)" ] &&
  cmp -s "$newest" "nostate/checkpoints/$(basename "$newest")" || fail "the newest is not the one --every 1000 writes"
first=$(basename "$(ls kept/checkpoints/*.kzc | head -1)" .kzc | sed 's/^0*//')
middle=$((first + 1500))  # from the first kept checkpoint in kept, from the one at middle - 500 in nostate
"$K" status --data kept --as-of-sequence $middle > kept.status 2>&1 || fail "status --as-of-sequence: $(cat kept.status)"
"$K" status --data nostate --as-of-sequence $middle > nostate.status 2>&1 || fail "$(cat nostate.status)"
grep -q "^as of record $middle .*from the checkpoint at record $first and 1500 records folded" kept.status &&
  grep -q "from the checkpoint at record $((middle - 500)) and 500 records" nostate.status &&
  [ "$(tail -n +3 kept.status)" = "$(tail -n +3 nostate.status)" ] || fail "as of $middle: $(diff kept.status nostate.status)"
"$K" replay checkpoint --data kept --every 1000 --keep 1 > keep1.out 2>&1 || fail "keep 1: $(cat keep1.out)"
[ "$(ls kept/checkpoints/*.kzc | wc -l)" = 1 ] && grep -q "^0 checkpoints written.*older removed (--keep 1)" keep1.out ||
  fail "keep 1: $(cat keep1.out)"

spec "cli: output that cannot be written (a full disk) is an error, said: no silent exit 0, no abort"
if [ -w /dev/full ]; then
  for command in "fold a.jsonl" "fold --journal-json - a.jsonl" "fold --journal /dev/full a.jsonl" "status --data cut" \
                 "journal --data cut"; do
    rc=0; "$K" $command > /dev/full 2> full.err || rc=$?
    [ "$rc" = 1 ] && grep -q "No space left on device" full.err || fail "$command: exit $rc: $(cat full.err)"
  done
fi

spec "cli: two writers making one new data directory at once: exactly one wins, the other is refused and removes nothing"
head -400 a.jsonl > race.jsonl
for round in $(seq 1 12); do
  rm -rf race
  "$K" append --data race --quiet race.jsonl > /dev/null 2> race1.err & first=$!
  "$K" append --data race --quiet race.jsonl > /dev/null 2> race2.err & second=$!
  rc1=0; wait $first || rc1=$?
  rc2=0; wait $second || rc2=$?
  [ $((rc1 + rc2)) = 1 ] && [ -e race/KEZEK ] && grep -q "busy: race is in use by another process (pid [0-9]*)" race1.err race2.err &&
    [ "$("$K" status --data race | grep '^applied')" = "applied:        400 inputs (0 pending)" ] ||
    fail "round $round: exits $rc1 $rc2, $(ls race 2>&1 | tr '\n' ' '), $(cat race1.err race2.err)"
done

spec "cli: a NUL byte in a line is MalformedJson (what followed it was dropped unread and the action applied), alike in fold and append"
first=$(sed -n 1p a.jsonl)
{ printf '%s\0garbage {{{\n' "$first"; printf '%s\0%s\n' "$first" "$(sed -n 2p a.jsonl)"; } > nul.jsonl
"$K" fold --quiet --journal-json nul-fold.jsonl nul.jsonl > /dev/null
"$K" append --data nul --quiet nul.jsonl > /dev/null 2>&1
"$K" journal --data nul 2> /dev/null | cmp -s - nul-fold.jsonl || fail "fold and append differ"
[ "$(grep -c '"reason": "a NUL byte at byte [0-9]*: JSON holds none' nul-fold.jsonl)" = 2 ] || fail "$(cat nul-fold.jsonl | cut -c1-300)"

spec "cli: started with standard input closed, append says so (its LOCK file was read as input) and makes nothing"
rc=0; "$K" append --data closed --quiet <&- 2> closed.err || rc=$?
[ "$rc" = 1 ] && grep -q "standard input is closed" closed.err && [ ! -e closed ] || fail "exit $rc: $(cat closed.err)"
rc=0; "$K" append --data closed2 --quiet race.jsonl 2>&- > /dev/null || rc=$?
[ "$rc" = 0 ] && [ "$("$K" journal --data closed2 2> /dev/null | wc -l)" = 400 ] || fail "stderr closed: exit $rc"

spec "cli: replay rebuild --out a link that points nowhere is refused at once (it rebuilt, then failed its rename)"
ln -s /nonexistent/rebuilt dangling-out
rc=0; "$K" replay rebuild --data D --out dangling-out > /dev/null 2> dangling-out.err || rc=$?
[ "$rc" = 2 ] && grep -q "already exists" dangling-out.err && [ ! -e dangling-out.rebuilding ] || fail "exit $rc: $(cat dangling-out.err)"

spec "cli: Ctrl-C at any point of replay rebuild leaves nothing (130) or the whole new directory (0): it died by the signal after the fold, NEWDIR.rebuilding left behind"
"$K" sample --applications 8000 --output sigcity.jsonl 2> /dev/null && "$K" append --data sigcity --quiet sigcity.jsonl > /dev/null 2>&1 ||
  fail "sigcity"
python3 - "$K" <<'PY' || fail "an interrupted rebuild left something behind"
import os, shutil, signal, subprocess, sys, time
# SIGTERM as SIGINT (it killed the rebuild, exit 143, and left sigout.rebuilding).
for sig, delay in [(s, d) for s in (signal.SIGINT, signal.SIGTERM) for d in (0.02, 0.1, 0.25, 0.5, 0.8, 1.2)]:
    p = subprocess.Popen([sys.argv[1], "replay", "rebuild", "--data", "sigcity", "--out", "sigout"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    p.send_signal(sig)
    _, err = p.communicate()
    made, half = os.path.exists("sigout"), os.path.exists("sigout.rebuilding")
    # Before the handler is set nothing has been made yet: the signal's own exit is then fine.
    ok = (p.returncode in (130, -sig) and not made and not half) or (p.returncode == 0 and made and not half)
    if not ok:
        print(f"{sig.name} after {delay}: exit {p.returncode}, sigout {made}, sigout.rebuilding {half}: {err.decode()[-300:]}")
        sys.exit(1)
    shutil.rmtree("sigout", ignore_errors=True)
PY

spec "cli: a second Ctrl-C or SIGTERM stops a command at once (stats --journal - blocked on a pipe that stays open ignored every signal)"
python3 - "$K" <<'PY' || fail "stats --journal - was not stopped"
import signal, subprocess, sys, time
for sig in (signal.SIGINT, signal.SIGTERM):
    p = subprocess.Popen([sys.argv[1], "stats", "--journal", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    p.send_signal(sig)
    time.sleep(0.2)
    p.send_signal(sig)
    try:
        code = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        print(f"{sig.name} twice: still running")
        sys.exit(1)
    if code != -sig:
        print(f"{sig.name} twice: exit {code}")
        sys.exit(1)
    p.stdin.close()
PY

spec "cli: stats --journal and journal stop at the first record that is no record (/dev/zero was read for ever, stats deaf to signals)"
for command in "stats --journal /dev/zero" "journal /dev/zero"; do
  rc=0; timeout 20 "$K" $command > /dev/null 2> zero.err || rc=$?
  [ "$rc" = 1 ] && grep -q "record 0: fails the FlatBuffers Verifier" zero.err || fail "$command: exit $rc, $(head -c 300 zero.err)"
done

spec "cli: '-' is standard output for a file (stats --html - wrote a file named '-') and names no directory (rebuild, projections, backup, demo made one named '-')"
rc=0; "$K" stats --data sigcity --html - > dash.html 2> dash.err || rc=$?
[ "$rc" = 0 ] && [ ! -e ./- ] && grep -q "<html" dash.html || fail "stats --html -: exit $rc, $(cat dash.err)"
for command in "replay rebuild --data sigcity --out -" "projections rebuild --data sigcity --out -" "backup --data sigcity --to -" \
               "demo --store -" "run --data -"; do
  rc=0; "$K" $command > /dev/null 2> dash.err || rc=$?
  [ "$rc" = 2 ] && grep -q -- "-: '-' names no directory here" dash.err && [ ! -e ./- ] || fail "$command: exit $rc, $(cat dash.err)"
  rm -rf ./-
done

spec "cli: stats, explain and journal of a data directory without its state directory say they read the journal alone (they said nothing)"
cp -a sigcity nostate && rm -rf nostate/state
for command in "stats --data nostate" "explain 1000001 --data nostate" "journal --data nostate"; do
  rc=0; "$K" $command > /dev/null 2> nostate.err || rc=$?
  [ "$rc" = 0 ] && grep -q "note: the data directory has no state (a writer, 'kezek run', derives one from its logs)" nostate.err ||
    fail "$command: exit $rc, $(cat nostate.err)"
done

spec "cli: a rebuild killed -9 at any point leaves NEWDIR.rebuilding marked unfinished, or the whole NEWDIR (killed during its comparison it left an unmarked .rebuilding every command took)"
python3 - "$K" <<'PY' || fail "a killed rebuild left an unmarked directory"
import os, shutil, signal, subprocess, sys, time
for i in range(24):
    delay = 0.03 * i
    p = subprocess.Popen([sys.argv[1], "replay", "rebuild", "--data", "sigcity", "--out", "killed"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait()
    half = "killed.rebuilding"
    if os.path.isdir(half) and not os.path.exists(os.path.join(half, "UNFINISHED")):
        print(f"killed after {delay:.2f} s: {half} without UNFINISHED: {sorted(os.listdir(half))}")
        sys.exit(1)
    if os.path.isdir("killed") and os.path.exists(os.path.join("killed", "UNFINISHED")):
        print(f"killed after {delay:.2f} s: killed/ marked unfinished")
        sys.exit(1)
    shutil.rmtree(half, ignore_errors=True)
    shutil.rmtree("killed", ignore_errors=True)
PY

spec "cli: projections parses its options as every command does (a second --data was taken silently, --out beside verify was 'unknown action', --out inside a data directory was written)"
for command in "projections rebuild --data nonexist --data sigcity --out pp" "projections verify --data sigcity --out x" \
               "projections rebuild --data sigcity --out sigcity/pp" "projections rebuild --data sigcity extra"; do
  rc=0; "$K" $command > /dev/null 2> proj.err || rc=$?
  [ "$rc" = 2 ] && ! grep -q "unknown action" proj.err || fail "$command: exit $rc, $(cat proj.err)"
done
[ ! -e pp ] && [ ! -e sigcity/pp ] || fail "a store was made"
# replay names the option its action does not take (it said "unknown action 'verify'")
for command in "verify --data sigcity --out x:--out does not go with verify" "rebuild --data sigcity --out y --json:--json does not go with rebuild" \
               "verify --data sigcity --inputs-from-journal:--inputs-from-journal does not go with verify"; do
  rc=0; "$K" replay ${command%%:*} > /dev/null 2> proj.err || rc=$?
  [ "$rc" = 2 ] && grep -q -- "${command#*:}" proj.err && [ ! -e x ] && [ ! -e y ] || fail "replay ${command%%:*}: exit $rc, $(head -1 proj.err)"
done
# a journal or page that cannot be opened or written says why
for command in "journal nonexist.kzj" "stats --journal nonexist.kzj"; do
  rc=0; "$K" $command > /dev/null 2> proj.err || rc=$?
  [ "$rc" = 1 ] && grep -q "nonexist.kzj: cannot open: No such file or directory" proj.err || fail "$command: exit $rc, $(cat proj.err)"
done
mkdir -p pagedir
rc=0; "$K" stats --data sigcity --html pagedir > /dev/null 2> proj.err || rc=$?
[ "$rc" = 1 ] && grep -q "pagedir: cannot be written: Is a directory" proj.err || fail "stats --html DIR: exit $rc, $(cat proj.err)"
rc=0; "$K" projections bogus --data sigcity > /dev/null 2> proj.err || rc=$?
[ "$rc" = 2 ] && grep -q "unknown action 'bogus'" proj.err || fail "projections bogus: exit $rc"
rc=0; "$K" projections verify --data sigcity.jsonl > /dev/null 2> proj.err || rc=$?
[ "$rc" = 1 ] && grep -q "not a directory" proj.err || fail "projections verify --data FILE: exit $rc, $(cat proj.err)"

spec "cli: replay verify of an actions log of large inputs (more bytes than it reads ahead) verifies, and does not hang (a read-ahead held by its bytes waited on a fold waiting for it)"
python3 -c 'import sys; sys.stdout.write(("x" * 250000 + "\n") * 100)' > large.jsonl
"$K" append --data large --quiet large.jsonl > /dev/null 2>&1 || fail "append large"
rc=0; timeout 120 "$K" replay verify --data large > large.out 2>&1 || rc=$?
[ "$rc" = 0 ] && grep -q "^verified" large.out || fail "verify of large inputs: exit $rc, $(tail -3 large.out)"
rm -rf large large.jsonl

spec "cli: a directory as standard input is refused before a data directory is made (it was left behind)"
rc=0; "$K" append --data fromdir --quiet < . 2> fromdir.err || rc=$?
[ "$rc" = 1 ] && grep -q "standard input is a directory" fromdir.err && [ ! -e fromdir ] || fail "exit $rc: $(cat fromdir.err)"

spec "cli: started with standard output closed, a command that prints exits 1 saying so (it exited 0, the output lost)"
for command in "status --data closed2" "journal --data closed2" "stats --data closed2"; do
  rc=0; "$K" $command >&- 2> closedout.err || rc=$?
  [ "$rc" = 1 ] && grep -q "standard output is closed" closedout.err || fail "$command: exit $rc, $(cat closedout.err)"
done
rc=0; "$K" append --data closed3 --quiet race.jsonl >&- 2> closedout.err || rc=$?  # prints nothing: fine
[ "$rc" = 0 ] || fail "append --quiet with standard output closed: exit $rc, $(cat closedout.err)"

spec "cli: serve: a --port-file that cannot be written fails at start, before a data directory is made"
rc=0; timeout 60 "$K" serve --data pf --keys keys.txt --listen 127.0.0.1:0 --port-file nowhere/port > /dev/null 2> pf.err || rc=$?
[ "$rc" = 1 ] && grep -q "port-file: cannot write nowhere/port.tmp" pf.err && [ ! -e pf ] || fail "exit $rc, $(cat pf.err)"

spec "cli: a journal whose records were swapped (each frame intact) is refused naming the record, by explain, projections rebuild and serve: no abort"
"$K" append --data swap --quiet a.jsonl > /dev/null 2>&1
python3 - swap/journal/00000000000000000000.seg <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
frames, at = [], 0
while at < len(data):  # a frame: 4 bytes, its payload's length (4, little-endian), 4 more, the payload
    length = struct.unpack("<I", data[at + 4:at + 8])[0]
    frames.append(data[at:at + 12 + length])
    at += 12 + length
frames[100], frames[101] = frames[101], frames[100]
open(sys.argv[1], "wb").write(b"".join(frames))
PY
for command in "explain 1000001 --data swap" "projections rebuild --data swap --out swap-proj" \
               "serve --data swap --keys keys.txt --listen 127.0.0.1:0 --tick-interval 0"; do
  rc=0; timeout 60 "$K" $command > /dev/null 2> swap.err || rc=$?
  [ "$rc" = 1 ] && grep -q "the journal is damaged at record 100: breaks the hash chain" swap.err \
    && grep -q "kezek replay rebuild" swap.err || fail "$command: exit $rc, $(cat swap.err)"
done

spec "cli: a damaged last frame of an input the state reflects is no torn tail: run, append and backup refuse and leave it"
"$K" append --data lastframe --quiet a.jsonl > /dev/null 2>&1
seg=lastframe/actions/00000000000000000000.seg
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(-20, 2); b = f.read(1); f.seek(-20, 2); f.write(bytes([b[0] ^ 0x40]))' "$seg"
cp "$seg" lastframe.seg
for command in "run --data lastframe" "append --data lastframe --quiet /dev/null" "backup --data lastframe --to lastframe-copy"; do
  rc=0; "$K" $command > /dev/null 2> lastframe.err || rc=$?
  [ "$rc" = 1 ] && grep -q "so this is damage, not a torn write: left as it is" lastframe.err || fail "$command: exit $rc, $(cat lastframe.err)"
  cmp -s "$seg" lastframe.seg || fail "$command cut the actions log"
done

spec "cli: nor of an input the journal holds records of, the state behind it (a crash between the two): left as it is"
head -n 300 a.jsonl > first300.jsonl
sed -n 301,310p a.jsonl > next10.jsonl
"$K" append --data behind --quiet first300.jsonl > /dev/null 2>&1
cp -a behind/state behind-state300
"$K" append --data behind --quiet next10.jsonl > /dev/null 2>&1
rm -rf behind/state && mv behind-state300 behind/state  # the journal at 310 inputs, the state at 300
seg=behind/actions/00000000000000000000.seg
last=$(python3 -c 'import struct, sys
data = open(sys.argv[1], "rb").read(); at = last = 0
while at + 12 <= len(data):
    last = at; at += 12 + struct.unpack_from("<I", data, at + 4)[0]
print(last)' "$seg")
truncate -s $((last + 30)) "$seg"  # input 309's frame cut short: journaled, so no torn write
cp "$seg" behind.seg
rc=0; "$K" run --data behind > /dev/null 2> behind.err || rc=$?
[ "$rc" = 1 ] && grep -q "so this is damage, not a torn write: left as it is" behind.err || fail "run: exit $rc, $(cat behind.err)"
cmp -s "$seg" behind.seg || fail "run cut the actions log"

spec "cli: a rebuild marks its new directory unfinished until it is whole: every opening refuses one that stopped half-way"
"$K" append --data rbsource --quiet a.jsonl > /dev/null 2>&1
"$K" replay rebuild --data rbsource --out rebuilt > rebuilt.out 2>&1 || fail "the rebuild failed: $(tail -3 rebuilt.out)"
[ ! -e rebuilt/UNFINISHED ] || fail "a finished rebuild left its UNFINISHED mark"
"$K" status --data rebuilt > /dev/null 2>&1 || fail "status refuses a finished rebuild"
echo "a rebuild ('kezek replay rebuild') that stopped before it finished: remove this directory and rebuild" > rebuilt/UNFINISHED
for command in "status --data rebuilt" "replay verify --data rebuilt" "run --data rebuilt" "journal --data rebuilt"; do
  rc=0; "$K" $command > /dev/null 2> unfinished.err || rc=$?
  [ "$rc" != 0 ] && grep -q "rebuilt: not a whole data directory: a rebuild ('kezek replay rebuild') that stopped" unfinished.err \
    || fail "$command: exit $rc, $(cat unfinished.err)"
done

spec "cli: a rebuild killed at any point leaves no directory under the name asked for; the next one names what it left"
# Built as OUT.rebuilding and renamed once whole: a kill inside the new directory's opening (before
# its UNFINISHED mark) left OUT, which 'run' then took for an empty data directory.
for delay in 0.05 0.2 0.5; do
  rm -rf killed killed.rebuilding
  "$K" replay rebuild --data rbsource --out killed > /dev/null 2>&1 &
  pid=$!
  sleep $delay
  kill -9 $pid 2> /dev/null || true
  wait $pid 2> /dev/null || true
  if [ -e killed ]; then
    # It finished before the kill: then whole, and nothing left beside it.
    [ ! -e killed.rebuilding ] && [ ! -e killed/UNFINISHED ] && "$K" status --data killed > /dev/null 2>&1 \
      || fail "after $delay s: killed is there but not whole, or killed.rebuilding beside it"
  elif [ -e killed.rebuilding ]; then
    rc=0; "$K" replay rebuild --data rbsource --out killed > /dev/null 2> again.err || rc=$?
    [ "$rc" = 2 ] && grep -q "killed.rebuilding exists: a rebuild that stopped before it finished left it" again.err \
      || fail "a second rebuild beside the leftover: exit $rc, $(cat again.err)"
  fi
done
rm -rf killed killed.rebuilding
"$K" replay rebuild --data rbsource --out killed > /dev/null 2>&1 && [ -d killed ] && [ ! -e killed.rebuilding ] \
  || fail "a rebuild after the leftover was removed"
# DEST/ is DEST (it was made as DEST/.rebuilding, then could not be renamed onto its own parent).
"$K" replay rebuild --data rbsource --out slashed/ > slashed.out 2>&1 && "$K" status --data slashed > /dev/null 2>&1 \
  && [ ! -e slashed.rebuilding ] && [ ! -e slashed/.rebuilding ] || fail "--out slashed/: $(tail -2 slashed.out)"

spec "cli: status refuses a journal whose last record is written twice, as run does (it said '1 past the state: re-derived', exit 0)"
"$K" append --data twice --quiet a.jsonl > /dev/null 2>&1
seg=$(ls twice/journal/*.seg | tail -1)
python3 -c 'import struct, sys
data = open(sys.argv[1], "rb").read()
at = last = 0
while at + 12 <= len(data):
    last = at; at += 12 + struct.unpack_from("<I", data, at + 4)[0]
open(sys.argv[1], "ab").write(data[last:at])' "$seg"
rc=0; "$K" status --data twice > twice.out 2> twice.err || rc=$?
[ "$rc" = 1 ] && grep -q "breaks the hash chain" twice.out && ! grep -q "re-derived" twice.out || fail "status: exit $rc, $(cat twice.out twice.err)"
rc=0; "$K" run --data twice > /dev/null 2> twice.err || rc=$?
[ "$rc" = 1 ] || fail "run: exit $rc, $(cat twice.err)"

spec "cli: stats and explain refuse a journal the state contradicts (cut short), and a directory given as a journal file (a damaged state or actions log they read past: below)"
"$K" append --data short --quiet a.jsonl > /dev/null 2>&1
seg=short/journal/00000000000000000000.seg
truncate -s $(( $(stat -c %s "$seg") / 2 )) "$seg"
for command in "stats --data short" "explain 1000001 --data short"; do
  rc=0; "$K" $command > short.out 2> short.err || rc=$?
  [ "$rc" = 1 ] && grep -q "journal records but the journal holds" short.err && [ ! -s short.out ] ||
    fail "$command: exit $rc, $(cat short.err) $(head -c 200 short.out)"
done
for command in "stats --journal short" "journal short" "stats --journal short/journal"; do
  rc=0; "$K" $command > /dev/null 2> short.err || rc=$?
  [ "$rc" = 1 ] && grep -q "it is a data directory\|it is a directory, not a journal file" short.err ||
    fail "$command: exit $rc, $(cat short.err)"
done

spec "cli: a state without its CURRENT file (or the MANIFEST it names) is damage: run refuses and writes nothing, verify and rebuild go on"
"$K" append --data nocurrent --quiet a.jsonl > /dev/null 2>&1
rm nocurrent/state/CURRENT
listing=$(ls nocurrent/state)
rc=0; "$K" run --data nocurrent > /dev/null 2> nocurrent.err || rc=$?
[ "$rc" = 1 ] && grep -q "a state directory without its CURRENT file" nocurrent.err || fail "run: exit $rc, $(cat nocurrent.err)"
[ "$(ls nocurrent/state)" = "$listing" ] || fail "run wrote into the damaged state: $(ls nocurrent/state)"
rc=0; "$K" replay verify --data nocurrent > nocurrent.out 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "^fold: equal" nocurrent.out && grep -q "^state: DIFFERS: .*without its CURRENT file" nocurrent.out ||
  fail "verify: exit $rc, $(cat nocurrent.out)"
rc=0; "$K" replay rebuild --data nocurrent --out nocurrent-rebuilt > nocurrent.out 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "^journal: equal to the source's" nocurrent.out || fail "rebuild: exit $rc, $(cat nocurrent.out)"
"$K" append --data nomanifest --quiet a.jsonl > /dev/null 2>&1
rm nomanifest/state/MANIFEST-*
for command in "run --data nomanifest" "replay verify --data nomanifest"; do
  rc=0; "$K" $command > nocurrent.out 2>&1 || rc=$?
  [ "$rc" = 1 ] && grep -q "CURRENT names MANIFEST-[0-9]*, which is not there" nocurrent.out || fail "$command: exit $rc, $(cat nocurrent.out)"
done

spec "cli: a writer killed while making a new directory (an empty marker; a state without CURRENT, no input logged) leaves a directory the next writer makes afresh"
"$K" append --data madewhole --quiet a.jsonl > /dev/null 2>&1
mkdir -p killed1 && : > killed1/KEZEK && : > killed1/LOCK        # killed while writing its marker
mkdir -p killed2/state && printf 'kezek data directory, format 1\n' > killed2/KEZEK && : > killed2/state/LOG &&
  : > killed2/state/000001.dbtmp                                # killed while RocksDB made its files
mkdir -p killed4 && : > killed4/KEZEK.new && : > killed4/LOCK    # killed before its marker's rename
mkdir -p killed3/state killed3/actions && printf 'kezek data directory, format 1\n' > killed3/KEZEK && : > killed3/state/LOG
for d in killed1 killed2 killed3 killed4; do
  "$K" append --data $d --quiet a.jsonl > /dev/null 2> $d.err || fail "$d: exit $?, $(cat $d.err)"
  [ "$(hash_of $d)" = "$(hash_of madewhole)" ] || fail "$d: another state than a whole run's"
done
grep -q "made afresh" killed2.err || fail "killed2: the writer did not say it made the state afresh: $(cat killed2.err)"
# A state with tables but no CURRENT is damage, even with its logs gone (deleted by hand, or a
# link to logs elsewhere that points nowhere): refused, its tables left for repair.
cp -r madewhole nologs && rm nologs/state/CURRENT && rm -rf nologs/actions nologs/journal
cp -r madewhole dangling && rm dangling/state/CURRENT && rm -rf dangling/actions && ln -s /nonexistent/actions dangling/actions
for d in nologs dangling; do
  tables=$(ls $d/state/*.sst | wc -l)
  rc=0; "$K" run --data $d > /dev/null 2> $d.err || rc=$?
  [ "$rc" = 1 ] && grep -q "without its CURRENT file" $d.err && [ "$(ls $d/state/*.sst | wc -l)" = "$tables" ] ||
    fail "$d: exit $rc, $(cat $d.err)"
done
# A state without CURRENT beside logged inputs is damage, as before (the spec above): refused.
cp -r madewhole logged && rm logged/state/CURRENT
rc=0; "$K" append --data logged --quiet a.jsonl > /dev/null 2> logged.err || rc=$?
[ "$rc" = 1 ] && grep -q "a state directory without its CURRENT file" logged.err || fail "logged: exit $rc, $(cat logged.err)"
rc=0; mkdir -p wrongmarker && printf 'other\n' > wrongmarker/KEZEK
"$K" append --data wrongmarker --quiet a.jsonl > /dev/null 2> wrongmarker.err || rc=$?
[ "$rc" != 0 ] && grep -q "marker says 'other" wrongmarker.err || fail "wrongmarker: exit $rc, $(cat wrongmarker.err)"

spec "cli: a KEZEK marker that is a directory is named as such by every command that opens a data directory"
mkdir -p markerdir/KEZEK
for command in "status --data markerdir" "stats --data markerdir" "journal --data markerdir" "explain 1 --data markerdir" \
               "replay verify --data markerdir" "replay checkpoint --data markerdir" "replay checkpoints --data markerdir" \
               "replay rebuild --data markerdir --out markerdir-rb" "append --data markerdir a.jsonl" "run --data markerdir" \
               "backup --data markerdir --to markerdir-bk" "projections verify --data markerdir"; do
  rc=0; $K $command < /dev/null > marker.out 2>&1 || rc=$?  # shellcheck disable=SC2086
  [ "$rc" = 1 ] && grep -q "markerdir/KEZEK: not a file (a data directory's KEZEK marker is one)" marker.out ||
    fail "$command: exit $rc, $(head -c 300 marker.out)"
done
[ "$(ls markerdir)" = KEZEK ] && [ ! -e markerdir-rb ] && [ ! -e markerdir-bk ] || fail "left: $(ls -d markerdir* markerdir/*)"

spec "cli: fold --calendar FILE takes FILE whatever its name when an input follows (cal.txt was read as the input)"
cp "$(dirname "$(readlink -f "$0")")/../../shared/data/kz-calendar-2020-2026.csv" cal.csv || fail "no shared/data beside the repository"
cp cal.csv cal.txt
by_csv=$("$K" fold --quiet --calendar cal.csv a.jsonl)
[ "$by_csv" != "$("$K" fold --quiet a.jsonl)" ] || fail "the calendar changed nothing"
[ "$("$K" fold --quiet --calendar cal.txt a.jsonl)" = "$by_csv" ] || fail "cal.txt folded otherwise than cal.csv"
rc=0; "$K" fold --quiet --calendar no-such-calendar a.jsonl > /dev/null 2> cal.err || rc=$?
[ "$rc" = 1 ] && grep -q "no-such-calendar: cannot open" cal.err || fail "a missing calendar: exit $rc, $(cat cal.err)"

spec "cli: fold --calendar refuses a file without the calendar's header (its first day was lost unread) or without a day (no calendar, exit 0)"
tail -n +2 cal.csv > cal-noheader.csv
: > cal-empty.csv
head -1 cal.csv > cal-onlyheader.csv
for bad in cal-noheader.csv cal-empty.csv cal-onlyheader.csv a.jsonl; do
  rc=0; "$K" fold --quiet --calendar "$bad" a.jsonl > /dev/null 2> cal.err || rc=$?
  [ "$rc" = 1 ] && grep -q "expected the header date,kind,note,source\|no days" cal.err || fail "$bad: exit $rc, $(cat cal.err)"
done
{ printf '\357\273\277'; sed 's/$/\r/' cal.csv; } > cal-bom-crlf.csv
[ "$("$K" fold --quiet --calendar cal-bom-crlf.csv a.jsonl)" = "$by_csv" ] || fail "a BOM and CRLF lines folded otherwise"

spec "cli: fold --journal - and --journal-json - give standard output to the journal alone, the summary to standard error (it was written into the journal's stream)"
"$K" fold --journal - a.jsonl 2> dash.err | "$K" journal - > dash.jsonl 2> dash-journal.err || fail "journal - of fold --journal -: $(cat dash-journal.err)"
"$K" fold --journal-json dash-file.jsonl a.jsonl > /dev/null 2>&1
cmp -s dash.jsonl dash-file.jsonl || fail "the journal through the pipe differs"
grep -q "^folded [0-9]* inputs" dash.err || fail "no summary on standard error: $(head -c 300 dash.err)"
"$K" fold --quiet --journal-json - a.jsonl > dash2.jsonl 2> dash2.err
cmp -s dash2.jsonl dash-file.jsonl && grep -q "^[0-9a-f]\{64\}$" dash2.err || fail "--journal-json - --quiet: $(head -c 300 dash2.err)"
rc=0; "$K" fold --journal - --journal-json - a.jsonl > /dev/null 2> dash3.err || rc=$?
[ "$rc" = 2 ] && grep -q "not both '-'" dash3.err || fail "both '-': exit $rc, $(cat dash3.err)"

spec "cli: demo --store and run --data refuse a new data directory inside another (they made one inside its journal or state), sample --output its own reference data"
rc=0; "$K" demo --applications 50 --store madewhole/journal/x > /dev/null 2> nest.err || rc=$?
[ "$rc" = 2 ] && grep -q "is not made inside another" nest.err && [ ! -e madewhole/journal/x ] || fail "demo: exit $rc, $(cat nest.err)"
mkdir -p madewhole/z3
rc=0; "$K" run --data madewhole/z3 > /dev/null 2> nest.err || rc=$?
[ "$rc" = 2 ] && grep -q "is not made inside another" nest.err && [ ! -e madewhole/z3/KEZEK ] || fail "run: exit $rc, $(cat nest.err)"
rmdir madewhole/z3
mkdir -p refdata && cp "$(dirname "$(readlink -f "$0")")/../../shared/data/"* refdata/
cp refdata/kz-calendar-2020-2026.csv refcal.before
rc=0; "$K" sample --data refdata --applications 10 --output refdata/kz-calendar-2020-2026.csv > /dev/null 2> ref.err || rc=$?
[ "$rc" = 2 ] && grep -q "inside the reference data directory" ref.err || fail "sample over its calendar: exit $rc, $(cat ref.err)"
cmp -s refdata/kz-calendar-2020-2026.csv refcal.before || fail "the calendar was overwritten"
"$K" sample --data refdata --applications 10 --output ref-ok.jsonl 2> /dev/null || fail "sample from the copied reference data"

spec "cli: run --kafka --data refuses an embedded data directory or a path inside one (it made partition-0/ there), before any broker is asked"
for d in madewhole madewhole/state; do
  rc=0; timeout 20 "$K" run --kafka --brokers 127.0.0.1:9 --data $d > /dev/null 2> member.err || rc=$?
  [ "$rc" = 2 ] && grep -q "is an embedded data directory\|is inside the data directory" member.err && [ ! -e $d/partition-0 ] ||
    fail "run --kafka --data $d: exit $rc, $(cat member.err)"
done

spec "cli: serve --port-file naming a directory is refused before anything is opened (it served on, with no port file)"
mkdir -p portdir
printf 'edu EducationDepartment %s\n' "$(printf k | sha256sum | cut -d' ' -f1)" > port.keys
rc=0; timeout 20 "$K" serve --data madewhole --keys port.keys --listen 127.0.0.1:0 --port-file portdir > /dev/null 2> port.err || rc=$?
[ "$rc" = 2 ] && grep -q "portdir is a directory" port.err || fail "exit $rc, $(cat port.err)"

spec "cli: status names the journal's head when the journal is ahead of the state (it named the state's, which verify --expect-head refuses)"
head -300 a.jsonl > ahead1.jsonl && sed -n '301,310p' a.jsonl > ahead2.jsonl
"$K" append --data ahead --quiet ahead1.jsonl > /dev/null 2>&1
cp -a ahead/state ahead-state
"$K" append --data ahead --quiet ahead2.jsonl > /dev/null 2>&1
rm -rf ahead/state && mv ahead-state ahead/state
status_head=$("$K" status --data ahead | sed -n 's/^journal: .* head \([0-9a-f]\{64\}\).*/\1/p')
verify_head=$("$K" replay verify --data ahead | sed -n 's/^hash chain: intact, .* head \([0-9a-f]\{64\}\)$/\1/p')
[ -n "$status_head" ] && [ "$status_head" = "$verify_head" ] || fail "status head '$status_head', verify head '$verify_head'"
"$K" status --data ahead | grep -q "10 past the state.*(the state's: [0-9a-f]\{64\})" || fail "the state's head not said"

spec "cli: sample --output, fold --journal and stats --html refuse a file inside a data directory, or the directory itself (a live segment was overwritten, exit 0)"
segment=$(ls madewhole/actions/*.seg | head -1)
cp "$segment" segment.before
for command in "sample --applications 5 --output $segment" "fold --journal madewhole/journal/x.seg a.jsonl" \
               "fold --journal-json madewhole/state/x.jsonl a.jsonl" "stats --data madewhole --html madewhole/page.html" \
               "sample --applications 5 --output madewhole" "fold --journal madewhole a.jsonl"; do
  rc=0; "$K" $command > /dev/null 2> inside.err || rc=$?
  [ "$rc" = 2 ] && grep -q "is inside the data directory\|is a data directory" inside.err || fail "$command: exit $rc, $(cat inside.err)"
done
# stats --html - is standard output (since 2026-12-07; it wrote a file named "-", refused there): no file is made
rc=0; (cd madewhole && "$K" stats --data . --html - > ../inside.html 2> ../inside.err) || rc=$?
[ "$rc" = 0 ] && [ ! -e madewhole/- ] && grep -q "<html" inside.html || fail "stats --html - inside the data directory: exit $rc, $(cat inside.err)"
cmp -s "$segment" segment.before || fail "the segment was overwritten"
[ ! -e madewhole/journal/x.seg ] && [ ! -e madewhole/page.html ] || fail "a file was made inside the data directory"

spec "cli: stats --html refuses to write its page over the journal it reads (it replaced the journal with HTML, exit 0)"
"$K" fold --journal own.kzj a.jsonl > /dev/null 2>&1 || fail "fold"
cp own.kzj own.before
rc=0; "$K" stats --journal own.kzj --html ./own.kzj > /dev/null 2> own.err || rc=$?
[ "$rc" = 2 ] && grep -q "is the journal read" own.err || fail "stats --html over its journal: exit $rc, $(cat own.err)"
cmp -s own.kzj own.before || fail "the journal was overwritten"
"$K" stats --journal own.kzj --html own.html > /dev/null 2> own.err && [ -s own.html ] || fail "stats --html beside its journal: $(cat own.err)"

spec "cli: journal and stats --journal read a journal from standard input or a pipe (the type check ate its first bytes); a frame longer than any record is refused before any allocation of its size"
"$K" journal - < own.kzj > own-stdin.jsonl 2> own.err || fail "journal -: $(cat own.err)"
"$K" journal <(cat own.kzj) > own-pipe.jsonl 2> own.err || fail "journal <(…): $(cat own.err)"
"$K" journal own.kzj > own-file.jsonl 2> /dev/null || fail "journal FILE"
cmp -s own-stdin.jsonl own-file.jsonl && cmp -s own-pipe.jsonl own-file.jsonl || fail "the journal read from a pipe differs"
cat own.kzj | "$K" stats --journal - > own-stats.txt 2> own.err && grep -q "journal records" own-stats.txt || fail "stats --journal -: $(cat own.err)"
rc=0; printf '\377\377\377\177xxxx' | "$K" journal - > /dev/null 2> own.err || rc=$?
[ "$rc" = 1 ] && grep -q "no journal record is over" own.err || fail "a 2 GiB frame from a pipe: exit $rc, $(cat own.err)"

spec "cli: append refuses a data directory inside another, and a log segment or journal file given as actions (each of its lines was journaled as a rejection, for good)"
rc=0; "$K" append --data madewhole/sub --quiet a.jsonl > /dev/null 2> nested.err || rc=$?
[ "$rc" = 2 ] && grep -q "is inside the data directory" nested.err && [ ! -e madewhole/sub ] || fail "append --data DIR/sub: exit $rc, $(cat nested.err)"
rc=0; "$K" append --data fromseg --quiet "$segment" > /dev/null 2> seg.err || rc=$?
[ "$rc" = 2 ] && grep -q "is a segment of a data directory's log" seg.err && [ ! -e fromseg ] || fail "append SEGMENT: exit $rc, $(cat seg.err)"
rc=0; "$K" fold own.kzj > /dev/null 2> seg.err || rc=$?
[ "$rc" = 2 ] && grep -q "it is a journal file" seg.err || fail "fold JOURNAL-FILE: exit $rc, $(cat seg.err)"
for command in "replay rebuild --data D --out madewhole/rb" "backup --data D --to madewhole/bk"; do
  rc=0; "$K" $command > /dev/null 2> nested.err || rc=$?
  [ "$rc" = 2 ] && grep -q "is inside the data directory" nested.err || fail "$command: exit $rc, $(cat nested.err)"
done
[ ! -e madewhole/rb ] && [ ! -e madewhole/rb.rebuilding ] && [ ! -e madewhole/bk ] || fail "a data directory was made inside another"
# "-" is standard input, whatever a file named "-" in the working directory holds.
mkdir dashdir && cp "$segment" dashdir/-
(cd dashdir && "$K" journal - < ../own.kzj > ../dash.jsonl 2> ../dash.err) || fail "journal - beside a file named -: $(cat dash.err)"
cmp -s dash.jsonl own-file.jsonl || fail "journal - read something else"

spec "cli: journal --data reads the journal of a directory whose actions log is damaged (the verbatim actions are there)"
"$K" append --data badactions --quiet a.jsonl > /dev/null 2>&1
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(200); b = f.read(1); f.seek(200); f.write(bytes([b[0] ^ 0x40]))' \
  badactions/actions/00000000000000000000.seg
rc=0; "$K" status --data badactions > /dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the damaged actions log was not noticed"
"$K" journal --data badactions > badactions.jsonl 2> badactions.err || fail "journal --data: $(cat badactions.err)"
grep -q "^kezek journal: note: .*valid records follow" badactions.err || fail "journal --data said nothing of the damage: $(cat badactions.err)"
"$K" projections rebuild --data badactions > /dev/null 2> badactions.err || fail "projections rebuild: $(cat badactions.err)"
"$K" projections verify --data badactions 2> /dev/null | grep -q "^equal" || fail "projections verify on a damaged actions log"
rc=0; "$K" stats --data badactions > /dev/null 2> badactions.err || rc=$?
[ "$rc" = 1 ] && grep -q "recovers the inputs from the journal" badactions.err || fail "stats on a damaged actions log: exit $rc, no repair said: $(cat badactions.err)"
# stats and explain read the journal alone when the state is what does not open (they refused,
# exit 1); the damage and its repair are said. A log that does not open, or is short of the state,
# is refused: its damage stops the checks of the journal against the state (a journal cut short
# beside a damaged actions log was counted).
"$K" append --data cleanstats --quiet a.jsonl > /dev/null 2>&1
"$K" stats --data cleanstats > clean.stats 2> /dev/null && "$K" explain 1000001 --data cleanstats > clean.explain 2> /dev/null ||
  fail "stats/explain of the clean copy"
cp -r cleanstats shortboth
truncate -s $(( $(stat -c %s shortboth/journal/00000000000000000000.seg) / 2 )) shortboth/journal/00000000000000000000.seg
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(200); b = f.read(1); f.seek(200); f.write(bytes([b[0] ^ 0x40]))' \
  shortboth/actions/00000000000000000000.seg
for command in "stats --data shortboth" "explain 1000001 --data shortboth"; do
  rc=0; "$K" $command > shortboth.out 2> shortboth.err || rc=$?
  [ "$rc" = 1 ] && [ ! -s shortboth.out ] || fail "$command (journal cut short, actions log damaged): exit $rc, $(head -c 300 shortboth.err)"
done
cp -r cleanstats nocurrentstats && rm nocurrentstats/state/CURRENT
for d in nocurrentstats; do
  "$K" stats --data $d > $d.stats 2> $d.err || fail "stats on $d: exit $?, $(cat $d.err)"
  grep -q "^kezek stats: note: .*read from the journal alone" $d.err && grep -q "kezek replay verify" $d.err ||
    fail "stats on $d: the damage or its repair not said: $(cat $d.err)"
  cmp -s $d.stats clean.stats || fail "stats on $d counted otherwise than on the clean copy"
  "$K" explain 1000001 --data $d > $d.explain 2> $d.err || fail "explain on $d: exit $?, $(cat $d.err)"
  cmp -s $d.explain clean.explain || fail "explain on $d differs from the clean copy's"
done
[ "$(wc -l < badactions.jsonl)" = "$(wc -l < a.jsonl)" ] || fail "$(wc -l < badactions.jsonl) records printed"
rc=0; "$K" replay verify --data badactions --json > badactions.json 2> /dev/null || rc=$?
[ "$rc" = 1 ] && json_lines badactions.json && grep -q '^{"verified": false, "problem": ".*valid records follow' badactions.json ||
  fail "verify --json on logs that do not open: exit $rc, $(cat badactions.json)"


spec "cli: an actions log cut short of the journal is named damaged by the as-of questions and replay checkpoint (an 'invalid argument: no record N', or, past a checkpoint, 0 checkpoints written, exit 0)"
"$K" append --data cutact --quiet a.jsonl > /dev/null 2>&1
"$K" replay checkpoint --data cutact --every 1500 > /dev/null 2>&1 || fail "checkpoint"
seg=cutact/actions/00000000000000000000.seg
truncate -s $(( $(stat -c %s "$seg") / 3 )) "$seg"
for command in "status --data cutact --as-of-sequence 1200" "replay checkpoint --data cutact --every 1000" \
               "replay checkpoint --data cutact --every 1500"; do
  rc=0; "$K" $command > cutact.out 2> cutact.err || rc=$?
  [ "$rc" = 1 ] && grep -q "the actions log is damaged" cutact.err || fail "$command: exit $rc, $(cat cutact.out cutact.err)"
done

spec "cli: replay rebuild of a directory whose actions log is damaged recovers its inputs from the journal: the journal equal byte for byte, the new directory verifies (there was no repair)"
rc=0; "$K" replay rebuild --data badactions --out fromjournal > fromjournal.out 2> fromjournal.err || rc=$?
[ "$rc" = 1 ] || fail "exit $rc, $(cat fromjournal.err)"
grep -q "^rebuilt fromjournal from $(wc -l < a.jsonl) inputs recovered from the source's journal" fromjournal.out &&
  grep -q "^actions: recovered from the journal: the source's actions log does not open: .*valid records follow" fromjournal.out &&
  grep -q "^journal: equal to the source's" fromjournal.out && grep -q "put fromjournal in its place" fromjournal.err ||
  fail "$(cat fromjournal.out fromjournal.err)"
"$K" replay verify --data fromjournal > /dev/null 2>&1 || fail "the recovered directory does not verify"
cmp -s <("$K" journal --data fromjournal 2> /dev/null) badactions.jsonl || fail "the recovered journal differs"

spec "cli: replay rebuild --inputs-from-journal gives back the actions log byte for byte, refused and oversize lines too (kept as their refusals)"
rc=0; "$K" replay rebuild --data D --out Dj --inputs-from-journal > Dj.out 2> Dj.err || rc=$?
[ "$rc" = 0 ] && grep -q "^state: equal to the source's" Dj.out || fail "exit $rc, $(cat Dj.out Dj.err)"
grep -q "^actions: recovered from the journal, as asked (--inputs-from-journal); [1-9][0-9]* inputs recovered as the refusals" Dj.out ||
  fail "$(cat Dj.out)"
for segment in D/actions/*.seg; do cmp -s "$segment" "Dj/actions/$(basename "$segment")" || fail "$segment differs"; done

spec "cli: replay rebuild when both logs are damaged: refused naming the damage, nothing made"
cp -a badactions bothbad
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(300); b = f.read(1); f.seek(300); f.write(bytes([b[0] ^ 0x40]))' \
  bothbad/journal/00000000000000000000.seg
rc=0; "$K" replay rebuild --data bothbad --out nothing > /dev/null 2> bothbad.err || rc=$?
[ "$rc" = 1 ] && grep -q "corruption" bothbad.err && [ ! -e nothing ] && [ ! -e nothing.rebuilding ] || fail "exit $rc, $(cat bothbad.err)"


spec "cli: replay rebuild --inputs-from-journal says which logged inputs it could not recover (not yet folded: no record) and exits 1"
cp -a D Dp
sed -n 1,3p a.jsonl | sed 's/"idempotency_key": *"\([^"]*\)"/"idempotency_key": "pending-\1"/' > pending.jsonl
"$K" append --data Dp --log-only pending.jsonl > /dev/null 2>&1 || fail "append --log-only"
rc=0; "$K" replay rebuild --data Dp --out Dpj --inputs-from-journal > Dpj.out 2> Dpj.err || rc=$?
[ "$rc" = 1 ] && grep -q "^actions: NOT RECOVERED: 3 inputs the source logged after its journal's last record" Dpj.out ||
  fail "exit $rc, $(cat Dpj.out Dpj.err)"

spec "cli: replay rebuild --inputs-from-journal of a directory without its actions log"
mkdir -p Jonly && cp -a D/journal D/KEZEK Jonly/
rc=0; "$K" replay rebuild --data Jonly --out Jonlyr --inputs-from-journal > Jonly.out 2> Jonly.err || rc=$?
[ "$rc" = 1 ] && grep -q "^journal: equal to the source's" Jonly.out && "$K" replay verify --data Jonlyr > /dev/null 2>&1 ||
  fail "exit $rc, $(cat Jonly.out Jonly.err)"

spec "cli: a state RocksDB does not open for a reader (a MANIFEST cut short: 'Invalid argument') stops none of the auditor's tools, the rebuild reads the logs; a missing log is read past (they all refused, exit 1, the repair too)"
"$K" append --data Dm --quiet a.jsonl > /dev/null 2>&1 || fail "append Dm"
# A first MANIFEST cut short names no column family: RocksDB says "Invalid argument".
for manifest in Dm/state/MANIFEST-*; do truncate -s 100 "$manifest"; done
rc=0; "$K" status --data Dm > Dm.out 2> Dm.err || rc=$?
[ "$rc" = 1 ] && grep -q "Dm/state does not open: .*Invalid argument" Dm.out && grep -q "^journal: .* records" Dm.out ||
  fail "status: exit $rc, $(cat Dm.out Dm.err)"
rc=0; "$K" replay verify --data Dm > Dm.out 2> Dm.err || rc=$?
[ "$rc" = 1 ] && grep -q "^hash chain: intact" Dm.out && grep -q "^fold: equal" Dm.out && grep -q "^state: DIFFERS: .*does not open" Dm.out ||
  fail "verify: exit $rc, $(cat Dm.out Dm.err)"
for command in "stats --data Dm" "explain 1000001 --data Dm" "replay checkpoint --data Dm --every 1000"; do
  rc=0; "$K" $command > Dm.out 2> Dm.err || rc=$?
  [ "$rc" = 0 ] || fail "$command: exit $rc, $(cat Dm.err)"
done
grep -q "checkpoints\? written" Dm.out || fail "checkpoint: $(cat Dm.out)"
rc=0; "$K" replay rebuild --data Dm --out Dmr > Dm.out 2> Dm.err || rc=$?
[ "$rc" = 1 ] && grep -q "^journal: equal to the source's" Dm.out && grep -q "^state: not compared: .*does not open" Dm.out &&
  "$K" replay verify --data Dmr > /dev/null 2>&1 || fail "rebuild: exit $rc, $(cat Dm.out Dm.err)"
cp -a Dm Dnoj && rm -rf Dnoj/journal
rc=0; "$K" replay rebuild --data Dnoj --out Dnojr > Dm.out 2> Dm.err || rc=$?
[ "$rc" = 1 ] && grep -q "^journal: not compared: the source's journal does not open: not found" Dm.out &&
  cmp -s <("$K" journal --data Dnojr 2> /dev/null) <("$K" journal --data Dm 2> /dev/null) || fail "no journal: exit $rc, $(cat Dm.out Dm.err)"
cp -a Dm Dnoa && rm -rf Dnoa/actions
rc=0; "$K" replay rebuild --data Dnoa --out Dnoar > Dm.out 2> Dm.err || rc=$?
[ "$rc" = 1 ] && grep -q "^actions: recovered from the journal: the source's actions log does not open: not found" Dm.out &&
  grep -q "^journal: equal to the source's" Dm.out || fail "no actions log: exit $rc, $(cat Dm.out Dm.err)"

spec "cli: replay verify of a stored state behind its journal says where it compared it (it said 'equals the fold's', and JSON gave the fold's final hash, over a state a damaged write-ahead log had rolled back)"
head -200 a.jsonl > half.jsonl
"$K" append --data lag --quiet half.jsonl > /dev/null 2>&1 && cp -a lag/state lag-state-200 &&
  "$K" append --data lag --quiet a.jsonl > /dev/null 2>&1 || fail "append lag"
rm -rf lag/state && mv lag-state-200 lag/state
rc=0; "$K" replay verify --data lag > lag.out 2>&1 || rc=$?
[ "$rc" = 0 ] && grep -q "^state: the stored state reflects 200 of the [0-9]* inputs folded .*: its hash equals the fold's after 200 inputs" lag.out ||
  fail "exit $rc: $(cat lag.out)"
"$K" replay verify --data lag --json 2> /dev/null | grep -q '"state": {"compared": true, "problem": null, "inputs": 200, ' ||
  fail "json: $("$K" replay verify --data lag --json 2>&1)"

spec "cli: a command that fails before it has anything to write leaves its output files as they were (sample --output, fold --journal/--journal-json emptied them)"
cp a.jsonl kept.jsonl
rc=0; "$K" sample --applications 10 --data "$work/no-such-data" --output kept.jsonl 2> kept.err || rc=$?
[ "$rc" = 1 ] && grep -q "cannot open: No such file or directory" kept.err && cmp -s a.jsonl kept.jsonl || fail "exit $rc, $(cat kept.err)"
"$K" fold --quiet --journal kept.kzj --journal-json kept.json a.jsonl > /dev/null
cp kept.kzj kept0.kzj && cp kept.json kept0.json
for calendar in "$work/no-such.csv" "$work"; do
  rc=0; "$K" fold --calendar "$calendar" --journal kept.kzj --journal-json kept.json a.jsonl > /dev/null 2> kept.err || rc=$?
  [ "$rc" = 1 ] && grep -q "$calendar: cannot" kept.err && cmp -s kept0.kzj kept.kzj && cmp -s kept0.json kept.json ||
    fail "--calendar $calendar: exit $rc, $(cat kept.err)"
done

spec "cli: stats --journal --as-of-sequence inside an input's parts counts the whole input, and a journal cut inside an input is refused (it counted half an allocation)"
python3 - "$(dirname "$(readlink -f "$0")")/http" > parts.jsonl <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from kz_iin import iin  # a valid IIN for a birth date, century digit and serial
def line(key, actor, body_type, body):
    print(json.dumps({"schema_version": 1, "idempotency_key": key, "instant_ms": 1738842360000, "actor": actor,
                      "body_type": body_type, "body": body}, ensure_ascii=False))
line("t1", {"role": "System"}, "ClockTick", {})
line("l1", {"role": "EducationDepartment"}, "UpsertLocality", {"locality": 900, "name_ru": "Тест", "name_kk": "Тест"})
filed, serial = 0, 0
while filed < 5000:
    serial += 1
    parent, child = iin("900427", 4, serial), iin("230101", 6, serial)
    if parent and child:
        filed += 1
        line(f"f{filed}", {"role": "Portal", "iin": parent}, "FileApplication",
             {"child_iin": child, "child_name": "Ребенок Тестов", "locality": 900, "queue_type": "General",
              "language": "Kk", "priority_category": "general"})
line("alloc", {"role": "EducationDepartment"}, "AllocateVouchers",
     {"locality": 900, "queue_type": "General", "birth_year": 2023, "language": "Kk", "count": 5000})
PY
"$K" fold --quiet --journal parts.kzj --journal-json parts.json parts.jsonl > /dev/null
first=$(grep -m1 -n '"idempotency_key": "alloc"' parts.json | cut -d: -f1)  # the allocation's first record, 1-based
last=$(wc -l < parts.json)
[ "$last" -gt $((first + 1)) ] || fail "the allocation was not split into parts ($first of $last records)"
"$K" stats --journal parts.kzj --as-of-sequence $((first + 1)) --format json > mid.json 2> /dev/null || fail "stats as of mid-input"
"$K" stats --journal parts.kzj --format json > whole.json 2> /dev/null || fail "stats of the whole journal"
cmp -s mid.json whole.json || fail "as of a record inside the allocation's parts, the figures differ from the whole input's"
python3 -c 'import sys; data = open(sys.argv[1], "rb").read()
# the journal file: a 4-byte little-endian size, then the record, each (adapters/embedded/journal_file.h); keep the first N
n, at = int(sys.argv[3]), 0
for _ in range(n): at += 4 + int.from_bytes(data[at:at + 4], "little")
open(sys.argv[2], "wb").write(data[:at])' parts.kzj cut.kzj $((first + 1))
rc=0; "$K" stats --journal cut.kzj > cut.out 2> cut.err || rc=$?
[ "$rc" = 1 ] && grep -q "torn" cut.err || fail "a journal cut inside an input: exit $rc, $(head -c 300 cut.err)"

spec "cli: journal --data of a journal shorter than its state reflects prints what it holds and exits 1 naming the damage (it said \"chain intact\", exit 0)"
cp -a D shortj
truncate -s -10 shortj/journal/00000000000000000000.seg
rc=0; "$K" journal --data shortj > shortj.jsonl 2> shortj.err || rc=$?
[ "$rc" = 1 ] && grep -q "^kezek journal: the journal is damaged: .*journal records but the journal holds" shortj.err &&
  [ "$(wc -l < shortj.jsonl)" = $(( $("$K" journal --data D 2> /dev/null | wc -l) - 1 )) ] || fail "exit $rc, $(cat shortj.err)"
truncate -s -10 shortj/actions/00000000000000000000.seg  # the actions log short too: the journal's shortage still said
rc=0; "$K" journal --data shortj > /dev/null 2> shortj.err || rc=$?
[ "$rc" = 1 ] && grep -q "^kezek journal: the journal is damaged: .*inputs but the actions log holds .*journal records but the journal holds" \
  shortj.err || fail "both logs short: exit $rc, $(cat shortj.err)"

spec "cli: append answers a steady trickle (a line every 4 ms, never 10 ms apart) within a few dozen lines, alone or after a burst of more than a batch (it waited for a whole batch of 4,096)"
for burst in 0 5000; do
  python3 - "$K" a.jsonl "trickle$burst" "$burst" <<'PY' || fail "after a burst of $burst"
import select, subprocess, sys
kezek, actions, data, burst = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lines = open(actions, "rb").read().splitlines(keepends=True)
line = lambda n: lines[n] if n < len(lines) else b"\n"
p = subprocess.Popen([kezek, "append", "--data", data], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
p.stdin.write(b"".join(line(n) for n in range(burst)))
sent = burst
while sent < burst + 4096:
    p.stdin.write(line(sent))
    p.stdin.flush()
    sent += 1
    if select.select([p.stdout], [], [], 0.004)[0]:
        break
if sent - burst >= 1000:
    p.kill()
p.communicate(timeout=60)  # the answers read to the end (a full pipe would stop it)
# 100 ms is about 25 lines here; 1,000 leaves room for a loaded machine, far from a batch of 4,096.
sys.exit(f"the first answer came after {sent - burst} trickled lines" if sent - burst >= 1000 else 0)
PY
done

spec "cli: an argument holding control bytes is echoed escaped in every refusal (an unknown command or option, a bad value), never raw to the terminal"
esc=$'\e[2J'
for command in "$esc" "status --bogus$esc" "serve --bogus$esc" "stats --data D --format $esc" "stats --data D --section $esc" \
               "stats --data D --as-of-sequence $esc" "replay verify --kafka --brokers 127.0.0.1:9 --partition $esc"; do
  # shellcheck disable=SC2086
  rc=0; IFS=' ' read -r -a argv <<< "$command"; "$K" "${argv[@]}" > esc.out 2> esc.err || rc=$?
  [ "$rc" != 0 ] && grep -q 'x1b' esc.err && ! grep -q $'\e' esc.err esc.out || fail "$command: exit $rc, $(od -c esc.err | head -3)"
done
for command in "fold --calendar $work/c$esc a.jsonl" "sample --data $work/d$esc" "journal $work/j$esc" "stats --journal $work/j$esc"; do
  rc=0; IFS=' ' read -r -a argv <<< "$command"; "$K" "${argv[@]}" > esc.out 2> esc.err || rc=$?
  [ "$rc" != 0 ] && grep -q 'x1b' esc.err && ! grep -q $'\e' esc.err || fail "$command: exit $rc, $(od -c esc.err | head -3)"
done
"$K" status --data "$work/n"$'\e[31m' > esc.out 2> esc.err || true
! grep -q $'\e' esc.err esc.out || fail "status --data with an escape in its name echoed it raw"

spec "cli: a backup killed part-way leaves a directory every command refuses naming it unfinished (it was a 'foreign directory'), and a second backup to it says so"
"$K" sample --seed 3 --applications 5000 --output bk.jsonl 2> /dev/null
"$K" append --data bksrc --quiet bk.jsonl > /dev/null 2>&1
# Killed as it copies the actions log (megabytes): SIGXFSZ past a 1 MiB file size limit, the
# state's checkpoint (hard links) made before it.
rc=0; (ulimit -f 1024; exec "$K" backup --data bksrc --to bkdst) > /dev/null 2>&1 || rc=$?
[ "$rc" -gt 128 ] && [ -e bkdst/UNFINISHED ] || fail "the backup was not stopped part-way: exit $rc, $(ls bkdst 2>&1)"
rc=0; "$K" status --data bkdst > /dev/null 2> bkdst.err || rc=$?
[ "$rc" = 1 ] && grep -q "not a whole data directory: a backup ('kezek backup') that stopped before it finished" bkdst.err ||
  fail "status: exit $rc, $(cat bkdst.err)"
rc=0; "$K" backup --data bksrc --to bkdst > /dev/null 2> bkdst.err || rc=$?
[ "$rc" = 1 ] && grep -q "already exists (.*a backup ('kezek backup') that stopped" bkdst.err || fail "backup again: exit $rc, $(cat bkdst.err)"
rm -rf bkdst
"$K" backup --data bksrc --to bkdst > /dev/null 2>&1 && [ ! -e bkdst/UNFINISHED ] && "$K" replay verify --data bkdst > /dev/null 2>&1 ||
  fail "a whole backup: $(ls bkdst)"

spec "cli: backup reads back every frame it copied: a damaged record in a sealed segment (an opening checks only the tail) is refused, no backup left (it said 'written')"
"$K" sample --applications 20000 --output big.jsonl 2> /dev/null
"$K" append --data bigsrc --quiet big.jsonl > /dev/null 2>&1
[ "$(find bigsrc/journal -name '*.seg' | wc -l)" -ge 2 ] || fail "the journal fits one segment: $(ls -l bigsrc/journal)"
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(30000000); b = f.read(1); f.seek(30000000); f.write(bytes([b[0] ^ 0x40]))' \
  bigsrc/journal/00000000000000000000.seg
rc=0; "$K" backup --data bigsrc --to bigbk > /dev/null 2> bigbk.err || rc=$?
[ "$rc" = 1 ] && grep -q "bigsrc/journal is damaged: its copy does not read back whole (.*expected checksum" bigbk.err && [ ! -e bigbk ] ||
  fail "exit $rc, $(cat bigbk.err)"

echo "edges_cli: every specification holds"
