#!/usr/bin/env bash
# The crash corpus (tests/corpus/*.jsonl, see its README): every line that once crashed or aborted
# kezek is folded by `fold` and by `append`; both exit 0, write byte-identical journals, and print
# them as valid JSON. Run by ctest in the release build and under ASan+UBSan.
# usage: corpus_cli.sh KEZEK_BINARY CORPUS_DIR WORK_DIR
set -euo pipefail
kezek=$1
corpus=$2
work=$3
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
valid_json() {  # every line of $1 is one JSON value (python3 when present)
  if command -v python3 > /dev/null; then
    python3 -c 'import json,sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try: json.loads(line)
    except Exception as e: sys.exit(f"{sys.argv[1]}:{n}: {e}")' "$1"
  fi
}
for file in "$corpus"/*.jsonl; do
  name=$(basename "$file" .jsonl)
  lines=$(wc -l < "$file")
  "$kezek" fold --quiet --journal "$work/$name.bin" --journal-json "$work/$name.fold.jsonl" "$file" > "$work/$name.fold.hash" \
    || fail "corpus: fold $name exits 0"
  "$kezek" append --data "$work/$name.data" "$file" > "$work/$name.answers.jsonl" 2> /dev/null \
    || fail "corpus: append $name exits 0"
  "$kezek" journal --data "$work/$name.data" > "$work/$name.append.jsonl" 2> /dev/null \
    || fail "corpus: journal --data prints what append wrote of $name"
  "$kezek" journal "$work/$name.bin" > "$work/$name.file.jsonl" 2> /dev/null || fail "corpus: journal FILE prints $name"
  cmp -s "$work/$name.fold.jsonl" "$work/$name.append.jsonl" || fail "corpus: fold and append journal $name alike"
  cmp -s "$work/$name.fold.jsonl" "$work/$name.file.jsonl" || fail "corpus: the journal file prints as fold printed it"
  [ "$(wc -l < "$work/$name.fold.jsonl")" -eq "$lines" ] || fail "corpus: one record per line of $name"
  [ "$(wc -l < "$work/$name.answers.jsonl")" -eq "$lines" ] || fail "corpus: one answer per line of $name"
  state=$("$kezek" status --data "$work/$name.data" | sed -n 's/^state hash: *//p')
  [ "$state" = "$(cat "$work/$name.fold.hash")" ] || fail "corpus: fold and append reach the same state hash on $name"
  valid_json "$work/$name.fold.jsonl" || fail "corpus: the journal of $name is valid JSON"
  valid_json "$work/$name.answers.jsonl" || fail "corpus: the answers to $name are valid JSON"
done
j="$work/crashes.fold.jsonl"
[ "$(grep -c '"code": "MissingField","reason": "body is required"' "$j")" -eq 5 ] \
  || fail "corpus: a body_type without its body (absent, null, a number) is MissingField"
[ "$(grep -c '"code": "UnknownActionKind"' "$j")" -eq 2 ] || fail "corpus: body_type 200 is UnknownActionKind"
echo "corpus: $(cat "$corpus"/*.jsonl | wc -l) lines folded by fold and append: no crash, same journals, valid JSON"
