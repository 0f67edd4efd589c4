#!/usr/bin/env python3
"""kezek serve killed with SIGKILL under concurrent posts, at seeded moments.

Usage: serve_kill_test.py KEZEK_BINARY WORK_DIR [ROUNDS] (KEZEK_TEST_SEED picks the moments)
Each round: several clients post filings at once, the server is killed at a seeded moment, and
restarted. Then: every acknowledged action is in the journal exactly once; a retry of every action
ever sent (acknowledged or not) is answered without applying anything twice; each child has one
application; the stored read models are loaded at each restart and equal a rebuild entry for entry;
and the live read models' views equal those of a server that rebuilt them from the journal alone.
Prints 'N passed, N failed'.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import serve_test as t  # noqa: E402  (the client helpers and the keys)

KEZEK, WORK = sys.argv[1], sys.argv[2]
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 20
SEED = int(os.environ.get("KEZEK_TEST_SEED", "20261202"))


def journal_keys(data):
    """idempotency key -> number of records that applied or refused it (repeats not counted)."""
    out = subprocess.run([KEZEK, "journal", "--data", data], capture_output=True, text=True, check=True).stdout
    counts = {}
    for line in out.splitlines():
        record = json.loads(line)
        action = record.get("action")
        if action and record.get("outcome") != "Duplicate":
            key = action.get("idempotency_key")
            counts[key] = counts.get(key, 0) + 1
    return counts


def main():
    print(f"seed {SEED} (replay with KEZEK_TEST_SEED={SEED})", flush=True)
    rng = random.Random(SEED)
    import shutil
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    t.WORK = WORK
    t.KEZEK = KEZEK
    keys = os.path.join(WORK, "keys")
    t.write_keys(keys)
    data = os.path.join(WORK, "data")
    parent = t.iin("900427", 4, 17)
    server = t.Server(data, keys)
    edu, portal = t.SECRET["edu"], t.SECRET["portal"]
    for body_type, body in [
        ("UpsertLocality", {"locality": 1, "name_ru": "г. Алматы", "name_kk": "Алматы қаласы", "region_code": "ALA"}),
        ("SetUtcOffset", {"locality": 1, "effective_from_ms": 946684800000, "offset_minutes": 300}),
    ]:
        status, answer = t.post(server, edu, t.action("EducationDepartment", body_type, body))
        t.check(f"{body_type} applied", answer.get("outcome") == "Applied", str(answer))

    sent = []            # every action posted
    acknowledged = set()  # keys answered 200/422
    lock = threading.Lock()
    serial = [0]

    def client(stop_at):
        while time.time() < stop_at:
            with lock:
                serial[0] += 1
                n = serial[0]
            # An IIN's serial has four digits: n % 10000 with the date from n stays unique for
            # 210,000 filings (a fast server takes more than 10,000 in the 20 rounds).
            child = t.iin(f"24{1 + n % 12:02d}{1 + n % 28:02d}", 5 + n % 2, n % 10000)
            if child is None:
                continue
            a = t.action("Portal", "FileApplication",
                         {"child_iin": child, "child_name": f"Ребенок {n}", "locality": 1, "queue_type": "General",
                          "language": "Kk", "priority_category": "general"}, {"iin": parent})
            a["idempotency_key"] = f"kill-{n}"
            with lock:
                sent.append(a)
            try:
                status, answer = t.post(server, portal, a)
            except Exception:
                return  # the server died under this request
            if status in (200, 422) and answer.get("idempotency_key") == a["idempotency_key"]:
                with lock:
                    acknowledged.add(a["idempotency_key"])

    for round_number in range(ROUNDS):
        kill_after = rng.uniform(0.05, 0.6)
        threads = [threading.Thread(target=client, args=(time.time() + 2,)) for _ in range(4)]
        for th in threads:
            th.start()
        time.sleep(kill_after)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        for th in threads:
            th.join()
        server = t.Server(data, keys)  # recovers: catches up, rebuilds the read models
    counts = journal_keys(data)
    print(f"{ROUNDS} SIGKILLs; {len(sent)} filings sent, {len(acknowledged)} acknowledged before a kill", flush=True)
    missing = [k for k in acknowledged if counts.get(k, 0) != 1]
    t.check(f"every acknowledged action ({len(acknowledged)} of {len(sent)} sent) is in the journal exactly once",
            not missing and len(acknowledged) > 0, str(missing[:5]))
    twice = [k for k, c in counts.items() if c > 1]
    t.check("no action is in the journal twice", not twice, str(twice[:5]))

    # A retry of everything ever sent: repeats where logged, applied once where not.
    for a in sent:
        status, answer = t.post(server, portal, a)
        if status not in (200, 422):
            t.check("a retry is answered", False, f"{status} {answer}")
            break
    counts = journal_keys(data)
    t.check("after the retries every action sent is in the journal exactly once",
            all(counts.get(a["idempotency_key"]) == 1 for a in sent), "")
    status, text = t.call(server, "GET", f"/v1/applicants/{parent}/applications", portal,
                          headers={"X-Applicant-Iin": parent})
    cards = json.loads(text).get("applications", []) if status == 200 else []
    children = [c["child_iin"] for c in cards]
    t.check("each child has exactly one application", len(children) == len(set(children)) == len(sent),
            f"{len(children)} cards, {len(set(children))} children, {len(sent)} sent")

    # Live read models (fed batch by batch since the last start) equal a rebuild from the journal.
    def without_sequence(value):  # the journal sequence a view reflects: a restart's tick moves it
        if isinstance(value, dict):
            return {k: without_sequence(v) for k, v in value.items() if k != "sequence" or not isinstance(v, int)
                    or "cursor" in value}
        if isinstance(value, list):
            return [without_sequence(v) for v in value]
        return value

    def views():
        out = []
        for path in ["/v1/statistics", "/v1/feed?limit=1000", f"/v1/applicants/{parent}/applications"]:
            status, text = t.call(server, "GET", path, edu)
            out.append(without_sequence(json.loads(text)))
        return out
    server.process.send_signal(signal.SIGSTOP)  # no tick between the two reads
    server.process.send_signal(signal.SIGCONT)
    live = views()
    server.stop()
    # The stored read models, written batch by batch across every kill and restart, were loaded at
    # each start (never rebuilt) and equal, entry for entry, a rebuild from the journal.
    log = open(os.path.join(WORK, "serve.log")).read()
    t.check(f"each restart loaded the stored read models ({log.count('projections: loaded at journal sequence')} "
            f"loads), none was rebuilt", log.count("projections: loaded at journal sequence") >= ROUNDS // 2
            and "rebuilding them from the journal" not in log, log[-2000:])
    verify = subprocess.run([KEZEK, "projections", "verify", "--data", data], capture_output=True, text=True)
    t.check("kezek projections verify: the store equals a rebuild from the journal",
            verify.returncode == 0 and verify.stdout.startswith("equal: "), verify.stdout + verify.stderr)
    shutil.rmtree(os.path.join(data, "projections"))
    server = t.Server(data, keys)  # no store: rebuilt from the journal alone
    rebuilt = views()
    def first_difference(a, b, path=""):
        if type(a) != type(b):
            return f"{path}: {a!r} / {b!r}"
        if isinstance(a, dict):
            for k in sorted(set(a) | set(b)):
                d = first_difference(a.get(k), b.get(k), f"{path}.{k}")
                if d:
                    return d
            return ""
        if isinstance(a, list):
            if len(a) != len(b):
                return f"{path}: {len(a)} items / {len(b)}"
            for i, (x, y) in enumerate(zip(a, b)):
                d = first_difference(x, y, f"{path}[{i}]")
                if d:
                    return d
            return ""
        return "" if a == b else f"{path}: {a!r} / {b!r}"
    t.check("the live read models equal a rebuild from the journal", live[0] == rebuilt[0] and live[2] == rebuilt[2],
            first_difference(live[0], rebuilt[0]) or first_difference(live[2], rebuilt[2]))
    t.check("the feed is the same after a rebuild", live[1]["notifications"] == rebuilt[1]["notifications"][:len(live[1]["notifications"])], "")
    server.stop()
    print(f"{t.passed} passed, {t.failed} failed")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
