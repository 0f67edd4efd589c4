#!/usr/bin/env python3
"""kezek serve --kafka against a real broker: read replicas of the whole country, and posts
published through Kafka and answered from their journal records.

Usage: serve_kafka_test.py KEZEK_BINARY WORK_DIR   (KEZEK_KAFKA_BOOTSTRAP: the broker; without it,
exit 77: skipped)

1. A country sample is published to 4 partitions and folded by two engine members; the same
   actions are folded by the embedded runtime. A replica (`serve --kafka`) must then answer every
   read as the embedded server does (statistics, catalogue, every application's card and
   position, every applicant's list and inbox), apart from journal sequences and cursors, which
   are a partition's own.
2. Posts through the replica: a filing, its retry, an allocation, another role's action (403), a
   batch, a clock tick to every partition: answered as the embedded server answers them.
3. A second replica started late catches up and agrees; /readyz and /metrics report partitions
   and lag; bad ?partition values are refused.
4. With no engine member, a post is answered 504 NotYetJournaled; once a member runs again it is
   folded, and its retry is answered as a repeat.
5. The broker killed under the replica: /healthz and /metrics say the broker is unreachable (still
   200: reads go on), a post is answered 503 PublishFailed; restarted: reachable again, a new post
   is folded, and the refused one posted again is folded once. Then frozen (SIGSTOP): a post is
   503 and the broker reported unreachable; thawed: reachable, the post folded.
Prints 'N passed, N failed'; exits 1 on any failure.
"""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

KEZEK, WORK = sys.argv[1], sys.argv[2]
BROKERS = os.environ.get("KEZEK_KAFKA_BOOTSTRAP")
if not BROKERS:
    print("KEZEK_KAFKA_BOOTSTRAP is not set: no broker, skipped")
    sys.exit(77)
PREFIX = f"serve{os.getpid()}-{int(time.time())}"  # unique on a broker kept between runs (pids wrap)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import serve_test  # noqa: E402  (one checker for the HTTP suites; it counts passed/failed)
from serve_test import check, iin  # noqa: E402
PARTITIONS = 4
processes = []


def step(text):
    print(f"== {text}", flush=True)


KEYS = {"portal": "Portal", "edu": "EducationDepartment", "audit": "Auditor", "system": "System"}
SECRET = {name: f"kafka-key-{name}-0123456789abcdef" for name in KEYS}


def start(args, log_name):
    log = open(os.path.join(WORK, log_name), "a")
    process = subprocess.Popen([KEZEK] + args, stdout=log, stderr=log)
    processes.append(process)
    return process


class Server:
    def __init__(self, name, args):
        self.port_file = os.path.join(WORK, f"{name}.port")
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        self.process = start(["serve", "--keys", os.path.join(WORK, "keys"), "--listen", "127.0.0.1:0",
                              "--port-file", self.port_file] + args, f"{name}.log")
        for _ in range(600):
            if os.path.exists(self.port_file):
                break
            if self.process.poll() is not None:
                raise SystemExit(f"kezek serve exited {self.process.returncode}; see {WORK}/{name}.log")
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{int(open(self.port_file).read())}"

    def call(self, method, path, key="audit", body=None, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if key:
            request.add_header("Authorization", f"Bearer {SECRET[key]}")
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get(self, path, key="audit"):
        status, text = self.call("GET", path, key)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, {"unparsed": text}

    def post(self, action, key):
        status, text = self.call("POST", "/v1/actions", key, json.dumps(action, ensure_ascii=False))
        try:
            return status, json.loads(text)
        except ValueError:
            return status, {"unparsed": text}

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


# Journal positions are a partition's own: sequences, cursors, input offsets and the record's hash
# differ between one journal and four; everything else must not.
LOCAL = {"sequence", "cursor", "next_cursor", "input", "input_offset", "record_sha256", "prev_sha256", "sha256",
         "original_sequence", "engine_time_ms", "index", "partition"}


def first_difference(a, b, path="$"):
    if type(a) is not type(b):
        return f"{path}: {str(a)[:200]} / {str(b)[:200]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: only in {'kafka' if k in a else 'embedded'}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None if len(a) == len(b) else f"{path}: {len(a)} items / {len(b)}"
    return None if a == b else f"{path}: {str(a)[:200]} / {str(b)[:200]}"


def portable(value):
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items() if k not in LOCAL}
    if isinstance(value, (list, tuple)):
        return [portable(v) for v in value]
    return value


def same(what, a, b):
    return check(what, portable(a) == portable(b), f"first difference (kafka / embedded): {first_difference(portable(a), portable(b))}")


def wait_for(what, condition, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    check(what, False, f"not within {seconds} s")
    return None


def kezek(*args):
    return subprocess.run([KEZEK] + list(args), capture_output=True, text=True, timeout=600)


counter = [0]


def action(role, body_type, body, instant_ms, actor=None):
    counter[0] += 1
    return {"schema_version": 1, "idempotency_key": f"kafka-serve-{counter[0]}", "instant_ms": instant_ms,
            "actor": dict(actor or {}, role=role), "body_type": body_type, "body": body}


def main():
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "keys"), "w") as out:
        for name, role in KEYS.items():
            out.write(f"{name} {role} {hashlib.sha256(SECRET[name].encode()).hexdigest()}\n")
    history = os.path.join(WORK, "history.jsonl")
    r = kezek("sample", "--country", "--applications", "400", "--months", "6", "--seed", "11", "--output", history)
    check("sample", r.returncode == 0, r.stderr)
    kafka = ["--brokers", BROKERS, "--prefix", PREFIX]
    r = kezek("kafka", "init", "--partitions", str(PARTITIONS), *kafka)
    check("kafka init", r.returncode == 0, r.stderr)
    r = kezek("append", "--kafka", "--quiet", *kafka, history)
    check("append --kafka", r.returncode == 0, r.stderr)
    messages = int(r.stderr.split(" published as ")[1].split()[0])
    group = ["--group", f"{PREFIX}-engine"]
    members = [start(["run", "--kafka", *kafka, *group, "--data", os.path.join(WORK, f"member-{i}")], f"member-{i}.log")
               for i in range(2)]
    # The embedded twin: the same actions, one journal.
    embedded_data = os.path.join(WORK, "embedded")
    r = kezek("append", "--quiet", "--data", embedded_data, history)
    check("embedded append", r.returncode == 0, r.stderr)
    embedded = Server("embedded", ["--data", embedded_data, "--tick-interval", "0"])
    replica = Server("replica-a", ["--kafka", *kafka])

    step("1. a replica answers every read as the embedded server")
    ready = wait_for("the replica reflects every published message",
                     lambda: (lambda s: s[0] == 200 and s[1]["projected_records"] == messages and s[1]["lag_offsets"] == 0 and s)(
                         replica.get("/readyz")))
    if ready:
        check("readyz names the partitions and no lag", ready[1]["partitions"] == PARTITIONS and ready[1]["lag_offsets"] == 0,
              str(ready[1]))
    for path in ["/v1/statistics", "/v1/catalogue", "/v1/catalogue?free=true", "/v1/catalogue?locality=3",
                 "/v1/catalogue?language=Kk&free=1"]:
        same(path, replica.get(path)[1], embedded.get(path)[1])
    feed, applications, applicants, after = [], set(), set(), 0
    while True:  # every notification of the embedded journal names the applications and families
        status, page = embedded.get(f"/v1/feed?after={after}&limit=1000")
        feed += page["notifications"]
        if not page["has_more"]:
            break
        after = page["next_cursor"]
    for n in feed:
        applications.add(n["application"])
        applicants.add(n["recipient_iin"])
    check("the history has applications", len(applications) > 100, str(len(applications)))
    for number in sorted(applications):
        for path in [f"/v1/applications/{number}", f"/v1/applications/{number}/position"]:
            same(path, replica.get(path)[1], embedded.get(path)[1])
    for family in sorted(applicants):
        same(f"list of {family}", replica.get(f"/v1/applicants/{family}/applications", "edu")[1],
             embedded.get(f"/v1/applicants/{family}/applications", "edu")[1])
        same(f"inbox of {family}", replica.get(f"/v1/applicants/{family}/notifications?limit=1000", "edu")[1],
             embedded.get(f"/v1/applicants/{family}/notifications?limit=1000", "edu")[1])
    merged_feed = []
    for k in range(PARTITIONS):
        status, page = replica.get(f"/v1/feed?partition={k}&limit=1000")
        check(f"feed of partition {k}", status == 200, str(page)[:300])
        merged_feed += page.get("notifications", [])
    by_key = lambda n: (n["application"], n["kind"], n["text_ru"])  # noqa: E731
    same("the partitions' feeds hold every notification", sorted(merged_feed, key=by_key), sorted(feed, key=by_key))

    step("2. posts through Kafka are answered as the embedded server answers them")
    instant = max(ready[1]["engine_time_ms"], embedded.get("/readyz")[1]["engine_time_ms"]) + 60_000 if ready else 0
    parent = iin("900427", 3, 7)
    filing = action("Portal", "FileApplication",
                    {"child_iin": iin("230515", 6, 991), "child_name": "Иванов Алихан", "locality": 3,
                     "queue_type": "General", "language": "Ru", "priority_category": "general"}, instant, {"iin": parent})
    a, b = replica.post(filing, "portal"), embedded.post(filing, "portal")
    check("a filing through Kafka is applied", a[0] == 200 and a[1].get("outcome") == "Applied", str(a))
    same("the filing's answer", a, b)
    check("the filing's answer names its locality's partition (locality mod N), the embedded one none",
          a[1].get("partition") == 3 % PARTITIONS and "partition" in b[1] and b[1]["partition"] is None, f"{a} / {b}")
    a, b = replica.post(filing, "portal"), embedded.post(filing, "portal")
    check("its retry is answered as a repeat", a[0] == 200 and a[1].get("repeat") is True, str(a))
    check("the retry's outcome is the embedded one", a[1].get("outcome") == b[1].get("outcome"), f"{a} / {b}")
    accepted = [d["body"] for d in a[1].get("decisions", []) + b[1].get("decisions", [])
                if d.get("body_type") == "ApplicationAccepted"]
    wrong_role = action("Portal", "ClockTick", {}, instant + 1)
    a, b = replica.post(wrong_role, "edu"), embedded.post(wrong_role, "edu")
    check("another role's action is refused 403, and journaled", a[0] == 403 and a[1].get("outcome") == "Rejected", str(a))
    same("the refusal's answer", a, b)
    batch = "\n".join(json.dumps(action("EducationDepartment", "AllocateVouchers",
                                        {"locality": loc, "queue_type": "General", "birth_year": 2021, "language": "Ru",
                                         "count": 2}, instant + 2), ensure_ascii=False) for loc in (3, 6)) + "\n"
    a = replica.call("POST", "/v1/actions", "edu", batch, "application/x-ndjson")
    b = embedded.call("POST", "/v1/actions", "edu", batch, "application/x-ndjson")
    check("a batch through Kafka", a[0] == 200 and len(a[1].splitlines()) == 2, str(a)[:500])
    same("the batch's answers", [json.loads(x) for x in a[1].splitlines()], [json.loads(x) for x in b[1].splitlines()])
    check("each of the batch's answers names its locality's partition",
          [json.loads(x).get("partition") for x in a[1].splitlines()] == [3 % PARTITIONS, 6 % PARTITIONS], a[1][:500])
    for garbage in ["not json", '{"schema_version": 1, "body_type": "Nothing"}', "\u0001\u0002"]:
        a = replica.call("POST", "/v1/actions", "portal", garbage)
        b = embedded.call("POST", "/v1/actions", "portal", garbage)
        check(f"{garbage!r} through Kafka is journaled as its rejection", a[0] == 422 and '"Rejected"' in a[1], str(a))
        same(f"{garbage!r}'s answer", json.loads(a[1]) if a[0] == 422 else a, json.loads(b[1]) if b[0] == 422 else b)
    tick = action("System", "ClockTick", {}, instant + 3_600_000)
    a, b = replica.post(tick, "system"), embedded.post(tick, "system")
    check("a clock tick (to every partition) is answered", a[0] == 200, str(a))
    same("the tick's answer (its first partition's)", a, b)
    wait_for("the replica shows the new application",
             lambda: any(replica.get(f"/v1/applicants/{parent}/applications", "edu")[1].get("applications", [])))
    same("the new family's list", replica.get(f"/v1/applicants/{parent}/applications", "edu")[1],
         embedded.get(f"/v1/applicants/{parent}/applications", "edu")[1])
    same("statistics after the posts", replica.get("/v1/statistics")[1], embedded.get("/v1/statistics")[1])

    step("3. a late replica catches up; status, metrics, bad parameters")
    late = Server("replica-b", ["--kafka", *kafka])
    status = wait_for("the late replica is ready", lambda: (lambda s: s[0] == 200 and s)(late.get("/readyz")))
    total = replica.get("/readyz")[1]["projected_records"]
    wait_for("the late replica reads as far as the first",
             lambda: late.get("/readyz")[1]["projected_records"] == replica.get("/readyz")[1]["projected_records"])
    same("the late replica's statistics", late.get("/v1/statistics")[1], replica.get("/v1/statistics")[1])
    check("records grew with the posts", total > messages, f"{total} / {messages}")
    status, text = late.call("GET", "/metrics")
    check("metrics report each partition's lag",
          status == 200 and all(f'kezek_replica_lag_offsets{{partition="{k}"}}' in text for k in range(PARTITIONS)),
          text[-1500:])
    for bad in ["9", "4", "-1", "x", ""]:
        status, body = late.get(f"/v1/feed?partition={bad}")
        check(f"?partition={bad!r} refused", status == 400 and body.get("code") == "InvalidParameter", f"{status} {body}")
    status, body = embedded.get("/v1/feed?partition=1")
    check("the embedded server has one partition", status == 400, f"{status} {body}")
    check("a second replica stops cleanly", late.stop() == 0)

    step("4. no engine member: 504, then folded once one runs")
    for m in members:
        m.send_signal(signal.SIGTERM)
    for m in members:
        m.wait(timeout=120)
    replica.stop()
    replica = Server("replica-c", ["--kafka", *kafka, "--answer-timeout", "3"])
    wait_for("the third replica is ready", lambda: replica.get("/readyz")[0] == 200)
    lonely = action("Portal", "FileApplication",
                    {"child_iin": iin("230601", 6, 992), "child_name": "Ахметов Дамир", "locality": 6,
                     "queue_type": "General", "language": "Ru", "priority_category": "general"}, instant + 3_700_000,
                    {"iin": iin("910101", 3, 8)})
    status, body = replica.post(lonely, "portal")
    check("no member: 504 NotYetJournaled", status == 504 and body.get("code") == "NotYetJournaled", f"{status} {body}")
    member_args = ["run", "--kafka", *kafka, *group, "--data", os.path.join(WORK, "member-0")]
    member = start(member_args, "member-0.log")
    status, body = wait_for("a member folds it; the retry is answered as a repeat",
                            lambda: (lambda s: s[0] == 200 and s)(replica.post(lonely, "portal")), 180) or (0, {})
    check("the retry is a repeat of the folded original", body.get("repeat") is True, str(body))

    step("5. the broker killed under the replica: reported, reads go on; restarted: reachable, posts folded")
    broker_dir = os.environ.get("KEZEK_KAFKA_DIR")
    if not broker_dir:
        check("KEZEK_KAFKA_DIR is set (scripts/kafka.sh run sets it)", False)
    else:
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "kafka.sh")
        status, body = replica.get("/healthz")
        check("the broker is reachable", status == 200 and body.get("broker") == "reachable"
              and body.get("broker_unreachable_ms") == 0, f"{status} {body}")
        check("the embedded server names no broker", "broker" not in embedded.get("/healthz")[1])
        statistics = replica.get("/v1/statistics")
        subprocess.run([script, "kill", broker_dir], check=True, stdout=subprocess.DEVNULL)
        try:
            status, body = wait_for("the replica reports the broker unreachable",
                                    lambda: (lambda s: s[1].get("broker") == "unreachable" and s)(replica.get("/healthz")),
                                    60) or (0, {})
            check("/healthz stays 200 while the broker is down", status == 200, f"{status} {body}")
            check("/readyz stays 200: reads go on", replica.get("/readyz")[0] == 200)
            check("reads are served from what was read", replica.get("/v1/statistics") == statistics)
            time.sleep(1.5)
            body = replica.get("/healthz")[1]
            check("broker_unreachable_ms grows", body.get("broker_unreachable_ms", 0) >= 1000, str(body))
            check("/metrics: kezek_broker_reachable 0", "kezek_broker_reachable 0\n" in replica.call("GET", "/metrics")[1])
            during = action("Portal", "FileApplication",
                            {"child_iin": iin("230601", 6, 994), "child_name": "Нурланов Арман", "locality": 6,
                             "queue_type": "General", "language": "Ru", "priority_category": "general"},
                            instant + 3_750_000, {"iin": iin("910101", 3, 10)})
            status, body = replica.post(during, "portal")
            check("a post while the broker is down: 503 PublishFailed, saying it may or may not be journaled",
                  status == 503 and body.get("code") == "PublishFailed"
                  and "may or may not be journaled" in body.get("message", ""), f"{status} {body}")
        finally:
            subprocess.run([script, "restart", broker_dir], check=True, stdout=subprocess.DEVNULL)
        if member.poll() is not None:  # a member may give up while the broker is away: run it again
            member = start(member_args, "member-0.log")
        wait_for("the replica reports the broker reachable again",
                 lambda: replica.get("/healthz")[1].get("broker") == "reachable", 120)
        check("/metrics: kezek_broker_reachable 1", "kezek_broker_reachable 1\n" in replica.call("GET", "/metrics")[1])
        after = action("Portal", "FileApplication",
                       {"child_iin": iin("230601", 6, 993), "child_name": "Сапаров Ерлан", "locality": 6,
                        "queue_type": "General", "language": "Ru", "priority_category": "general"}, instant + 3_800_000,
                       {"iin": iin("910101", 3, 9)})
        status, body = wait_for("a post after the restart is folded",
                                lambda: (lambda s: s[0] == 200 and s)(replica.post(after, "portal")), 180) or (0, {})
        check("the post after the restart is applied", body.get("outcome") == "Applied", f"{status} {body}")
        status, body = wait_for("the post refused while the broker was down, posted again, is folded",
                                lambda: (lambda s: s[0] == 200 and s)(replica.post(during, "portal")), 180) or (0, {})
        check("...and applied", body.get("outcome") == "Applied", f"{status} {body}")
        status, body = replica.post(during, "portal")
        check("...once: posted a third time it is a repeat", status == 200 and body.get("repeat") is True, f"{status} {body}")
        # Frozen (SIGSTOP: its connections stay open, nothing is refused): seen when a post's
        # message is not delivered in time.
        broker_pid = int(open(os.path.join(broker_dir, "pid")).read().strip())
        frozen = action("Portal", "FileApplication",
                        {"child_iin": iin("230601", 6, 995), "child_name": "Серикова Алия", "locality": 6,
                         "queue_type": "General", "language": "Ru", "priority_category": "general"},
                        instant + 3_850_000, {"iin": iin("910101", 3, 11)})
        os.kill(broker_pid, signal.SIGSTOP)
        try:
            status, body = replica.post(frozen, "portal")
            check("a post to a frozen broker: 503 PublishFailed", status == 503 and body.get("code") == "PublishFailed",
                  f"{status} {body}")
            status, body = replica.get("/healthz")
            check("a frozen broker is reported unreachable once a message was not delivered",
                  body.get("broker") == "unreachable", f"{status} {body}")
        finally:
            os.kill(broker_pid, signal.SIGCONT)
        wait_for("reachable again once the broker runs on",
                 lambda: replica.get("/healthz")[1].get("broker") == "reachable", 120)
        status, body = wait_for("the post refused while frozen, posted again, is folded",
                                lambda: (lambda s: s[0] == 200 and s)(replica.post(frozen, "portal")), 180) or (0, {})
        check("...and applied", body.get("outcome") == "Applied", f"{status} {body}")
        log = open(os.path.join(WORK, "replica-c.log")).read()
        check("the log says unreachable, then reachable again",
              "the broker is unreachable" in log and "the broker is reachable again after" in log, log[-1500:])
    check("the replica stops cleanly", replica.stop() == 0)
    embedded.stop()
    check("accepted numbers are country-wide (locality 3)", all(x["application"] // 1_000_000 == 3 for x in accepted),
          str(accepted))


try:
    main()
finally:
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
print(f"{serve_test.passed} passed, {serve_test.failed} failed")
sys.exit(1 if serve_test.failed else 0)
