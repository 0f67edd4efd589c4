#!/usr/bin/env bash
# The README's first command: set up a fresh Debian 12 machine, build, and run the main job on the
# embedded default: `kezek serve` on 127.0.0.1 with a generated city (г. Алматы, the last three
# years up to this month) loaded into a data directory, one family's whole journey walked through
# it with curl, the curl lines to try next printed, and the server kept running until Ctrl-C.
#
#   scripts/run.sh                 # port 8080 (KEZEK_PORT=8081 scripts/run.sh for another)
#   scripts/run.sh --demo-only     # the older offline demo: fold a history, print what was decided
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
K=build/adapters/kezek
if [[ "${1:-}" == "--demo-only" ]]; then
  shift
  rm -rf out/demo-data
  exec "$K" demo --store out/demo-data "$@"
fi

port=${KEZEK_PORT:-8080}
data=out/serve-data
keys=out/serve-keys
mkdir -p out
rm -rf "$data"

# A city's history up to the start of this month (the calendar data covers 2020-2026).
year=$(date -u +%Y); month=$(date -u +%-m)
first_year=$((year - 2)); months=$((24 + month - 1))
if ((year > 2026)); then first_year=2024; months=36; fi
echo "== generating г. Алматы's queue from ${first_year}-01-01 over ${months} months (20,000 applications)"
"$K" sample --applications 20000 --first-year "$first_year" --months "$months" --output out/city.jsonl
echo "== loading it durably into $data"
"$K" append --data "$data" --quiet out/city.jsonl

# Demo API keys, one per role (the keys file holds their SHA-256 only).
declare -A KEY=([portal]=demo-portal-key [pmpk]=demo-pmpk-key [kg]=demo-kindergarten-key
                [edu]=demo-education-key [audit]=demo-auditor-key)
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
{
  echo "# demo keys: NAME ROLE SHA256-of-the-key [KINDERGARTEN]"
  echo "portal Portal $(sha "${KEY[portal]}")"
  echo "pmpk PmpkSpecialist $(sha "${KEY[pmpk]}")"
  echo "kg-900 Kindergarten $(sha "${KEY[kg]}") 900"
  echo "education EducationDepartment $(sha "${KEY[edu]}")"
  echo "auditor Auditor $(sha "${KEY[audit]}")"
} > "$keys"

echo "== starting kezek serve on 127.0.0.1:$port"
"$K" serve --data "$data" --keys "$keys" --listen "127.0.0.1:$port" --port-file out/serve-port &
server=$!
# However this script ends (Ctrl-C, `timeout`'s TERM, a failed step under set -e), the server stops
# gracefully with it: never left running behind.
stop_server() { kill -INT "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for _ in $(seq 1 200); do
  curl -fs "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "kezek serve did not start"; exit 1; }
  sleep 0.1
done
base="http://127.0.0.1:$port"
now() { date +%s%3N; }
n=0
post() {  # post KEY-NAME ROLE BODY_TYPE BODY [ACTOR-EXTRA]
  n=$((n + 1))
  local action="{\"schema_version\":1,\"idempotency_key\":\"demo-$(now)-$n\",\"instant_ms\":$(now),\"actor\":{\"role\":\"$2\"${5:+,$5}},\"body_type\":\"$3\",\"body\":$4}"
  curl -s -H "Authorization: Bearer ${KEY[$1]}" -H 'Content-Type: application/json' -d "$action" "$base/v1/actions"
}
show() { jq -c "$1"; }
parent=900427400175
child=240315500212
echo
echo "== one family's journey (answers trimmed with jq)"
echo "-- the education department opens a demo ДО in a new locality"
post edu EducationDepartment UpsertLocality '{"locality":900,"name_ru":"пос. Демо","name_kk":"Демо ауылы","region_code":"ALA"}' | show '{outcome}'
post edu EducationDepartment UpsertKindergarten '{"kindergarten":900,"locality":900,"name_ru":"Ясли-сад «Балапан»","name_kk":"«Балапан» бөбекжай-бақшасы"}' | show '{outcome}'
post edu EducationDepartment UpsertGroup '{"group":9001,"kindergarten":900,"language":"Kk","min_age_years":1,"max_age_years":6,"capacity":20}' | show '{outcome}'
echo "-- the portal files an application for the parent $parent"
answer=$(post portal Portal FileApplication "{\"child_iin\":\"$child\",\"child_name\":\"Серікұлы Алихан\",\"locality\":900,\"queue_type\":\"General\",\"language\":\"Kk\",\"priority_category\":\"general\"}" "\"iin\":\"$parent\"")
echo "$answer" | show '{outcome, notifications: [.decisions[] | select(.body_type == "Notification") | .body.text_ru]}'
app=$(echo "$answer" | jq '.decisions[] | select(.body_type == "ApplicationAccepted") | .body.application')
echo "-- the department allocates a voucher: it goes to the head of the queue"
post edu EducationDepartment AllocateVouchers '{"locality":900,"queue_type":"General","birth_year":2024,"language":"Kk","count":1}' \
  | show '[.decisions[] | select(.body_type == "Notification") | .body.text_ru]'
echo "-- «Да», the parent chooses the group, the ДО sends the contract, both sign"
post portal Portal AnswerInterest "{\"application\":$app,\"interested\":true}" "\"iin\":\"$parent\"" | show '[.decisions[] | select(.body_type == "Notification") | .body.text_ru]'
post portal Portal ChooseKindergarten "{\"application\":$app,\"group\":9001}" "\"iin\":\"$parent\"" | show '[.decisions[] | select(.body_type == "Notification") | .body.text_ru]'
post kg Kindergarten SendContract "{\"application\":$app,\"contract_number\":\"Д-900/1\"}" '"kindergarten":900' | show '[.decisions[] | select(.body_type == "Notification") | .body.text_ru]'
digest=$(printf 'contract %s' "$app" | sha256sum | cut -d' ' -f1)
post portal Portal ParentSigns "{\"application\":$app,\"document_sha256\":\"$digest\"}" "\"iin\":\"$parent\"" | show '{outcome}'
post kg Kindergarten KindergartenSigns "{\"application\":$app,\"document_sha256\":\"$digest\"}" '"kindergarten":900' | show '[.decisions[] | select(.body_type == "Notification") | .body.text_ru]'
echo "-- the parent's inbox «Входящие», read by the portal"
curl -s -H "Authorization: Bearer ${KEY[portal]}" -H "X-Applicant-Iin: $parent" "$base/v1/applicants/$parent/notifications" \
  | jq -r '.notifications[] | "\(.at_local)  \(.text_ru)"'
echo "-- the card «Мои заявки»"
curl -s -H "Authorization: Bearer ${KEY[portal]}" -H "X-Applicant-Iin: $parent" "$base/v1/applications/$app" \
  | show '{application, filed_at_local, status_ru, kindergarten_ru, archive_reason}'

cat <<TRY

== kezek serve is running on $base (Ctrl-C stops it gracefully). Try:
curl -s $base/healthz
curl -s $base/metrics | grep kezek_actions_total
curl -s -H 'Authorization: Bearer ${KEY[edu]}' '$base/v1/catalogue?locality=1&free=true' | jq '.kindergartens[0]'
curl -s -H 'Authorization: Bearer ${KEY[edu]}' $base/v1/statistics | jq '.queues[0:3]'
curl -s -H 'Authorization: Bearer ${KEY[edu]}' $base/v1/applications/1000001/position | jq
curl -s -H 'Authorization: Bearer ${KEY[audit]}' '$base/v1/feed?limit=3' | jq
curl -s -H 'Authorization: Bearer ${KEY[portal]}' -H 'X-Applicant-Iin: $parent' $base/v1/applicants/$parent/applications | jq
curl -s -H 'Authorization: Bearer ${KEY[audit]}' '$base/v1/statistics?as_of=$((first_year + 1))-06-30' | jq '.waiting'   # as of a past day
The auditors' console: open $base/console in a browser, key ${KEY[audit]}
Keys are in $keys (hashes) and in scripts/run.sh (the demo's keys themselves); docs/http.md has every route.
TRY
wait $server
