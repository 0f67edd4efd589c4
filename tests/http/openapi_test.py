#!/usr/bin/env python3
"""kezek serve against docs/openapi.yaml: every live response checked, then schemathesis.

Usage: openapi_test.py KEZEK_BINARY WORK_DIR [--examples N]
(run through scripts/python-env.sh, which provides the pinned packages).

1. Generates a small city (`kezek sample`, `kezek append`), writes a keys file (one key per role,
   a second ДО, a revoked key) and starts `kezek serve` on a free port.
2. Exercises every route with every role and every documented status it can reach: the happy
   paths, 400, 401, 403, 404, 405, 411, 413, 415, 422, 431, and 503 while the server stops. Each live
   response is checked against the document: its status is one the operation lists, its
   content type one that status lists, its headers those it requires, and its body (JSON, each
   NDJSON line, or text) valid against the schema (openapi-schema-validator, OpenAPI 3.0 rules
   and integer formats). It fails on any documented status it did not see, but for those no
   test can cause on purpose (listed in UNREACHABLE).
3. Runs schemathesis against the live server with an EducationDepartment key and with a Portal
   key and its X-Applicant-Iin (reads and posts apart, see schemathesis() below), the city's
   application numbers and IIN added to the document's parameters as examples, checking
   not_a_server_error, status_code_conformance, content_type_conformance,
   response_headers_conformance, response_schema_conformance, ignored_auth, unsupported_method,
   allow_header_conformance and missing_required_header. Any failure or error fails the test.
4. Stops the server gracefully (exit 0), checking the 503s of a stopping server on the way.
Prints 'N passed, N failed' and exits 1 on any failure.
"""
import argparse
import copy
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
DOC_URI = "urn:kezek:openapi"
# Every check that applies to one run's requests. Left out: negative_data_rejection (an NDJSON batch
# is answered 200 whatever its lines hold, each line's own answer saying it was refused, as
# documented), positive_data_acceptance (a valid action may still be refused, 403 or 422), and
# the stateful ones (the document declares no links).
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance,ignored_auth,unsupported_method,allow_header_conformance,"
          "missing_required_header")
# Documented statuses no test can cause on purpose: /healthz's 503 needs a failed partition (an I/O
# error of the data directory). Other causes no test makes share their status with one it makes:
# PartitionStopped and Busy (50,000 actions in flight) with Stopping's 503, /readyz's "catching
# up" (the instant between a commit and its projection) with its "stopping". The post's 504 is
# `serve --kafka`'s only (no engine member folding): tests/kafka/serve_kafka_test.py causes it.
# The slow questions' 500 (AsOfFailed, AuditFailed: a journal or checkpoint damaged under a running
# server) and 503 (Busy: 16 such questions waiting for the one worker, a race on a small city)
# are listed on every route that asks them, and caused by no test here.
SLOW_ROUTES = ("/v1/applications/{id}", "/v1/applications/{id}/position", "/v1/applications/{id}/explain",
               "/v1/applicants/{iin}/applications", "/v1/catalogue", "/v1/statistics", "/v1/audit/statistics",
               "/v1/audit/chain")
UNREACHABLE = {("/healthz", "get", "503"), ("/v1/actions", "post", "504")} | {
    (route, "get", status) for route in SLOW_ROUTES for status in ("500", "503")}

sys.path.insert(0, os.path.dirname(__file__))
from serve_test import check  # noqa: E402  (one checker for the HTTP suites; it counts passed/failed)
import serve_test  # noqa: E402


# --- the document ---------------------------------------------------------------------------------

def escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def strict_json(text):
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError(f"duplicate keys in {keys}")
        return dict(pairs)
    return json.loads(text, object_pairs_hook=no_duplicates)


class Doc:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.safe_load(f)
        resource = Resource.from_contents(self.doc, default_specification=DRAFT4)
        self.registry = Registry().with_resource(DOC_URI, resource)
        self.seen = set()  # (path template, method, status)

    def documented(self):
        out = set()
        for template, item in self.doc["paths"].items():
            for method, op in item.items():
                for status in op["responses"]:
                    out.add((template, method, status))
        return out

    def deref(self, obj, pointer):
        while "$ref" in obj:
            pointer = obj["$ref"][1:]
            obj = self.doc
            for part in pointer.strip("/").split("/"):
                obj = obj[part.replace("~1", "/").replace("~0", "~")]
        return obj, pointer

    def errors(self, schema_pointer, instance):
        validator = OAS30Validator({"$ref": f"{DOC_URI}#{schema_pointer}"}, registry=self.registry,
                                   format_checker=oas30_format_checker)
        return [f"at /{'/'.join(map(str, e.absolute_path))}: {e.message}"[:400] for e in validator.iter_errors(instance)]

    def body_of(self, media, body):
        text = body.decode("utf-8")  # strict: the server prints UTF-8
        if media == "application/json":
            return strict_json(text)
        if media == "application/x-ndjson":
            return [strict_json(line) for line in text.split("\n") if line.strip()]
        return text

    def conform(self, what, method, template, response):
        """Checks a live response against the operation; returns its parsed body (None if it fails)."""
        status, headers, body = response
        method = method.lower()
        op = self.doc["paths"][template][method]
        key = str(status)
        if not check(f"{what}: {status} is documented for {method.upper()} {template}", key in op["responses"],
                     body[:300]):
            return None
        response_doc, pointer = self.deref(op["responses"][key],
                                           f"/paths/{escape(template)}/{method}/responses/{key}")
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        content = response_doc.get("content", {})
        if not check(f"{what}: the content type '{headers.get('content-type')}' is documented for {status}",
                     media in content, str(list(content))):
            return None
        for name, header in response_doc.get("headers", {}).items():
            header, _ = self.deref(header, "")
            value = headers.get(name.lower())
            if header.get("required") and not check(f"{what}: header {name} is sent", value is not None):
                return None
            if value is not None and header["schema"].get("type") == "integer":
                check(f"{what}: header {name} is an integer", value.isdigit(), value)
        try:
            instance = self.body_of(media, body)
        except ValueError as error:
            check(f"{what}: the body is {media}", False, f"{error}: {body[:300]!r}")
            return None
        errors = self.errors(f"{pointer}/content/{escape(media)}/schema", instance)
        if not check(f"{what}: the body matches the {status} schema", not errors, f"{errors[:5]} in {body[:500]!r}"):
            return None
        self.seen.add((template, method, key))
        return instance

    def http_error(self, what, response, status, code):
        """A response no operation describes (no route, wrong method, no HTTP): an HttpError."""
        got, headers, body = response
        ok = check(f"{what}: status {status}", got == status, f"{got} {body[:200]!r}")
        ok &= check(f"{what}: application/json", headers.get("content-type") == "application/json",
                    str(headers.get("content-type")))
        try:
            instance = strict_json(body.decode("utf-8"))
        except ValueError as error:
            return check(f"{what}: the body is JSON", False, f"{error}: {body[:200]!r}")
        errors = self.errors("/components/schemas/HttpError", instance)
        ok &= check(f"{what}: the body is an HttpError", not errors, str(errors))
        return ok and check(f"{what}: code {code}", instance.get("code") == code, str(instance))


# --- the server -----------------------------------------------------------------------------------

class Server:
    def __init__(self, kezek, work, data, keys):
        self.port_file = os.path.join(work, "port")
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        self.log = open(os.path.join(work, "serve.log"), "a")
        # No ticker: the city's deadlines stay open, and each post is stamped at engine time.
        self.process = subprocess.Popen(
            [kezek, "serve", "--data", data, "--keys", keys, "--listen", "127.0.0.1:0", "--port-file",
             self.port_file, "--tick-interval", "0"], stdout=self.log, stderr=self.log)
        for _ in range(1200):
            if os.path.exists(self.port_file) and open(self.port_file).read().strip():
                break
            if self.process.poll() is not None:
                raise SystemExit(f"kezek serve exited {self.process.returncode}; see {work}/serve.log")
            time.sleep(0.05)
        self.port = int(open(self.port_file).read())
        self.base = f"http://127.0.0.1:{self.port}"

    def request(self, method, path, key=None, body=None, content_type=None, headers=None, key_header="bearer"):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = dict(headers or {})
        if key is not None:
            if key_header == "bearer":
                all_headers["Authorization"] = f"Bearer {key}"
            else:
                all_headers["X-Api-Key"] = key
        if body is not None:
            body = body.encode() if isinstance(body, str) else body
            all_headers["Content-Type"] = content_type or "application/json"
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def raw(self, data, read_timeout=10):
        with socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout) as s:
            s.sendall(data)
            return read_response(s)


def read_response(sock):
    """One HTTP/1.1 response from a socket: (status, headers, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/1.1 "):
        return 0, {}, data
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


# --- the city and the keys ------------------------------------------------------------------------

ROLES = {  # key name -> (role, kindergarten); the ДО are filled in from the city
    "portal": ("Portal", None), "pmpk": ("PmpkSpecialist", None), "kg": ("Kindergarten", None),
    "kg_other": ("Kindergarten", None), "edu": ("EducationDepartment", None), "audit": ("Auditor", None),
    "system": ("System", None),
}
SECRET = {name: f"openapi-test-key-{name}-0123456789" for name in ROLES}
REVOKED = "openapi-test-key-revoked-0123456789"


def make_city(kezek, work, data):
    """A small city, 2025 (the server runs no ticker: its engine time stays at the history's end,
    whatever the date); returns what the test needs from its actions."""
    city = os.path.join(work, "city.jsonl")
    subprocess.run([kezek, "sample", "--seed", "11", "--applications", "400", "--first-year", "2025",
                    "--months", "12", "--output", city], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([kezek, "append", "--data", data, "--quiet", city], check=True, stdout=subprocess.DEVNULL)
    with open(city, encoding="utf-8") as f:
        filings = [a for a in map(json.loads, f) if a["body_type"] == "FileApplication"]
    # The test's own ДО (in a locality of its own, so that its queue holds only its filings).
    return {"kg": 4000010, "kg_other": 4000011, "locality": 4000001, "filings": filings}


def write_keys(path, city):
    with open(path, "w") as out:
        for name, (role, _) in ROLES.items():
            sha = hashlib.sha256(SECRET[name].encode()).hexdigest()
            kg = city.get(name) if role == "Kindergarten" else None
            out.write(f"{name} {role} {sha}" + (f" {kg}" if kg else "") + "\n")
        out.write(f"!old-portal Portal {hashlib.sha256(REVOKED.encode()).hexdigest()}\n")


def iin(yymmdd, century, serial):
    """A valid IIN for a birth date (YYMMDD), century/sex digit and serial."""
    for s in range(serial, serial + 50):
        digits = [int(c) for c in f"{yymmdd}{century}{s:04d}"]
        for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
            check_digit = sum(d * w for d, w in zip(digits, weights)) % 11
            if check_digit != 10:
                return "".join(map(str, digits)) + str(check_digit)
    raise ValueError("no IIN")


# --- the conformance walk -------------------------------------------------------------------------

class Walk:
    def __init__(self, doc, server, city):
        self.doc, self.server, self.city = doc, server, city
        self.counter = 0

    def get(self, what, template, path, key="edu", headers=None, key_header="bearer"):
        response = self.server.request("GET", path, SECRET.get(key, key) if key else None, headers=headers,
                                       key_header=key_header)
        return response[0], self.doc.conform(what, "get", template, response)

    def post(self, what, body, key="edu", content_type="application/json"):
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False)
        response = self.server.request("POST", "/v1/actions", SECRET.get(key, key) if key else None, body,
                                       content_type)
        return response[0], self.doc.conform(what, "post", "/v1/actions", response)

    def action(self, role, body_type, body, actor=None):
        self.counter += 1
        _, _, status = self.server.request("GET", "/healthz")
        instant = json.loads(status)["engine_time_ms"]
        return {"schema_version": 1, "idempotency_key": f"openapi-{os.getpid()}-{self.counter}",
                "instant_ms": instant, "actor": dict(actor or {}, role=role), "body_type": body_type, "body": body}

    def operations(self):
        for path in ("/healthz", "/readyz"):
            status, body = 0, None
            for _ in range(200):
                status, body = self.get(path, path, path, key=None)
                if status == 200:
                    break
                time.sleep(0.05)
            check(f"{path} is 200", status == 200 and body and body["status"] == "ok", str(body))
        status, text = self.get("/metrics", "/metrics", "/metrics", key=None)
        check("/metrics is Prometheus text", status == 200 and text and "# TYPE kezek_journal_records gauge" in text)

    def applied(self, what, key, a):
        status, answer = self.post(what, a, key)
        check(f"{what}: 200 Applied", status == 200 and answer and answer["outcome"] == "Applied", str(answer))
        return answer or {}

    def posts(self):
        """Each role's actions, carrying a few families through every step, then each refusal."""
        category = self.city["filings"][-1]["body"].get("priority_category", "")
        locality, kg, kg_other = self.city["locality"], self.city["kg"], self.city["kg_other"]
        parent, other_parent = iin("900427", 4, 17), iin("881102", 3, 5)
        self.parent = parent
        for body_type, body in [
                ("UpsertLocality", {"locality": locality, "name_ru": "с. Тестовое", "name_kk": "Тест ауылы",
                                    "region_code": "TST"}),
                ("SetUtcOffset", {"locality": locality, "effective_from_ms": 946684800000, "offset_minutes": 300}),
                ("UpsertKindergarten", {"kindergarten": kg, "locality": locality, "name_ru": "Ботакоз",
                                        "name_kk": "Бөбек"}),
                ("UpsertKindergarten", {"kindergarten": kg_other, "locality": locality, "name_ru": "Айгөлек",
                                        "name_kk": "Айгөлек"}),
                ("UpsertGroup", {"group": 4000100, "kindergarten": kg, "language": "Ru", "min_age_years": 1,
                                 "max_age_years": 6, "capacity": 5}),
                ("UpsertGroup", {"group": 4000101, "kindergarten": kg, "language": "Ru", "min_age_years": 1,
                                 "max_age_years": 6, "correction_type": "Speech", "capacity": 2})]:
            self.applied(f"the department's {body_type}", "edu", self.action("EducationDepartment", body_type, body))
        filing = {"locality": locality, "queue_type": "General", "language": "Ru", "priority_category": category,
                  "financing": "VirtualVoucher"}
        apps = []
        for n in range(5):
            a = self.action("Portal", "FileApplication", dict(filing, child_iin=iin("230515", 6, 10 * n + 1),
                                                              child_name=f"Тестова Айя {n}"), {"iin": parent})
            answer = self.applied(f"the portal files application {n}", "portal", a)
            apps.append(next((d["body"]["application"] for d in answer.get("decisions", [])
                              if d["body_type"] == "ApplicationAccepted"), 0))
            if n == 0:
                mine = a
        check("the filings' answers name their applications", all(apps), str(apps))
        self.app = apps[0]
        status, answer = self.post("a retry of the filing", mine, "portal")
        check("a retry is answered 200 as a repeat", status == 200 and answer and answer["repeat"] is True)
        special = self.applied("the portal files in the special queue", "portal", self.action(
            "Portal", "FileApplication", dict(filing, queue_type="Special", correction_type="Speech",
                                              conclusion_document="ПМПК-2025/1", kindergarten=kg,
                                              child_iin=iin("220301", 5, 3), child_name="Тестов Ерлан"),
            {"iin": parent}))
        special_app = next((d["body"]["application"] for d in special.get("decisions", [])
                            if d["body_type"] == "ApplicationAccepted"), 0)
        self.applied("the PMPK confirms the documents", "pmpk", self.action(
            "PmpkSpecialist", "ConfirmDocuments", {"application": special_app}, {"iin": iin("750101", 4, 1),
                                                                                 "name": "Иванова А. Б."}))
        answer = self.applied("the department allocates vouchers", "edu", self.action(
            "EducationDepartment", "AllocateVouchers", {"locality": locality, "queue_type": "General",
                                                        "birth_year": 2023, "language": "Ru", "count": 4}))
        issued = sorted(d["body"]["application"] for d in answer.get("decisions", []) if d["body_type"] == "VoucherIssued")
        check("four vouchers are issued to the first four filings", issued == sorted(apps[:4]), str(issued))
        digest = hashlib.sha256(b"contract").hexdigest()
        for app in apps[1:4]:
            self.applied(f"«Да» for {app}", "portal", self.action(
                "Portal", "AnswerInterest", {"application": app, "interested": True}, {"iin": parent}))
        for app in apps[2:4]:
            self.applied(f"{app} chooses the group", "portal", self.action(
                "Portal", "ChooseKindergarten", {"application": app, "group": 4000100}, {"iin": parent}))
            self.applied(f"the ДО sends {app} a contract", "kg", self.action(
                "Kindergarten", "SendContract", {"application": app, "contract_number": f"Д-{app}"},
                {"kindergarten": kg}))
        self.applied("the parent signs", "portal", self.action(
            "Portal", "ParentSigns", {"application": apps[3], "document_sha256": digest}, {"iin": parent}))
        answer = self.applied("the ДО signs", "kg", self.action(
            "Kindergarten", "KindergartenSigns", {"application": apps[3], "document_sha256": digest},
            {"kindergarten": kg}))
        check("the child is enrolled", any(d["body_type"] == "Enrolled" for d in answer.get("decisions", [])))
        self.applied("the System's tick", "system", self.action("System", "ClockTick", {}))
        status, answer = self.post("the ДО sends a contract to an application that chose no ДО",
                                   self.action("Kindergarten", "SendContract",
                                               {"application": apps[4], "contract_number": "Д-1"},
                                               {"kindergarten": kg}), "kg")
        check("an engine refusal is 422", status == 422, str(answer))
        # 403: journaled, refused for access.
        status, answer = self.post("Portal posts the department's action",
                                   self.action("EducationDepartment", "AllocateVouchers", {"locality": 1}), "portal")
        check("RoleNotAllowed is 403", status == 403 and answer and answer["rejection"]["code"] == "RoleNotAllowed")
        status, answer = self.post("Auditor posts", self.action("Auditor", "ClockTick", {}), "audit")
        check("an auditor's post is 403", status == 403, str(answer))
        status, answer = self.post("a ДО key speaking for another ДО",
                                   self.action("Kindergarten", "SendContract",
                                               {"application": self.app, "contract_number": "x"},
                                               {"kindergarten": self.city["kg_other"]}), "kg")
        check("KindergartenMismatch is 403",
              status == 403 and answer and answer["rejection"]["code"] == "KindergartenMismatch", str(answer))
        status, answer = self.post("Portal withdraws another applicant's application",
                                   self.action("Portal", "Withdraw", {"application": self.app},
                                               {"iin": other_parent}), "portal")
        check("ApplicantMismatch is 403",
              status == 403 and answer and answer["rejection"]["code"] == "ApplicantMismatch", str(answer))
        # 422: journaled, refused by the engine.
        status, answer = self.post("malformed JSON", "{not json", "portal")
        check("malformed JSON is 422 MalformedJson",
              status == 422 and answer and answer["rejection"]["code"] == "MalformedJson")
        status, answer = self.post("a filing in no locality", self.action(
            "Portal", "FileApplication", dict(mine["body"], locality=4999999, child_iin=iin("230601", 5, 9)),
            {"iin": parent}), "portal")
        check("a refused filing is 422", status == 422 and answer and answer["outcome"] == "Rejected")
        # NDJSON.
        lines = [json.dumps(self.action("EducationDepartment", "UpsertLocality",
                                        {"locality": 4000002, "name_ru": "б", "name_kk": "б", "region_code": "T"})),
                 "", json.dumps(self.action("Portal", "ClockTick", {})), "{broken"]
        status, answers = self.post("an NDJSON batch", "\n".join(lines) + "\n", "edu", "application/x-ndjson")
        check("an NDJSON batch: 200, one answer a line, in order",
              status == 200 and answers and [a["outcome"] for a in answers] == ["Applied", "Rejected", "Rejected"],
              str(answers))
        status, _ = self.post("an empty NDJSON batch", "\n  \n", "edu", "application/x-ndjson")
        check("an empty batch is 400", status == 400)
        batch = "\n".join(json.dumps(self.action("EducationDepartment", "ClockTick", {})) for _ in range(1001))
        status, body = self.post("a batch of 1,001", batch, "edu", "application/x-ndjson")
        check("a batch over 1,000 is 413 BatchTooLarge", status == 413 and body and body["code"] == "BatchTooLarge")
        status, body = self.post("a body over 1 MiB", "x" * (1024 * 1024 + 1), "portal")
        check("a body over 1 MiB is 413 BodyTooLarge", status == 413 and body and body["code"] == "BodyTooLarge")
        status, body = self.post("a text/plain post", "{}", "portal", "text/plain")
        check("text/plain is 415", status == 415)
        status, body = self.post("a post with no content type", None, "portal")
        check("no content type is 415", status == 415)
        response = self.server.raw(b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + SECRET["edu"].encode()
                                   + b"\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
        body = self.doc.conform("a post without Content-Length or chunked", "post", "/v1/actions", response)
        check("a post without Content-Length or chunked is 411 LengthRequired",
              response[0] == 411 and body and body["code"] == "LengthRequired", str(response)[:300])
        # 401 on a post: nothing journaled.
        for what, key, code in [("no key", None, "MissingKey"), ("unknown key", "nope", "UnknownKey"),
                                ("revoked key", REVOKED, "RevokedKey")]:
            status, body = self.post(f"a post with {what}", json.dumps(self.action("Portal", "ClockTick", {})), key)
            check(f"{what} is 401 {code}", status == 401 and body and body["code"] == code, str(body))

    def reads(self):
        # Find applications of the city through the feed (the department reads it all).
        notes, after = [], 0
        while True:
            status, page = self.get("the feed, paged", "/v1/feed", f"/v1/feed?after={after}&limit=1000")
            if not check("the feed is 200", status == 200 and page is not None):
                return
            notes += page.get("notifications", [])
            after = page["next_cursor"]
            if not page["has_more"]:
                break
        check("the city has notifications", len(notes) > 100, str(len(notes)))
        apps = sorted({n["application"] for n in notes})
        cards = {}
        for a in apps + [self.app]:  # every card, every 4th position
            status, card = self.get(f"card {a}", "/v1/applications/{id}", f"/v1/applications/{a}")
            if status == 200 and card:
                cards[a] = card
            if a % 4 == 0:
                self.get(f"position {a}", "/v1/applications/{id}/position", f"/v1/applications/{a}/position")
                self.get(f"explain {a}", "/v1/applications/{id}/explain", f"/v1/applications/{a}/explain")
        statuses = {c["status"] for c in cards.values()}
        print(f"cards read: {len(cards)}, by status: "
              f"{ {s: sum(c['status'] == s for c in cards.values()) for s in sorted(statuses)} }", flush=True)
        check("the cards read cover five statuses", len(statuses) >= 5, str(statuses))
        chose_kg = [a for a, c in cards.items() if c["kindergarten"] == self.city["kg"]]
        check("an application chose the key's ДО", chose_kg != [])
        app = chose_kg[0] if chose_kg else self.app
        owner = cards[app]["applicant_iin"] if app in cards else self.parent
        self.city.update(app=app, owner=owner, apps=apps[:50])
        mine = {"X-Applicant-Iin": owner}
        other = {"X-Applicant-Iin": self.parent if owner != self.parent else iin("881102", 3, 5)}

        for template in ("/v1/applications/{id}", "/v1/applications/{id}/position", "/v1/applications/{id}/explain"):
            path = template.replace("{id}", str(app))
            for what, key, headers, expected in [
                    ("portal for its applicant", "portal", mine, 200), ("portal for another", "portal", other, 403),
                    ("portal naming none", "portal", None, 403), ("pmpk", "pmpk", None, 200),
                    ("the chosen ДО", "kg", None, 200), ("another ДО", "kg_other", None, 403),
                    ("the department", "edu", None, 200), ("an auditor", "audit", None, 200),
                    ("the System", "system", None, 403)]:
                status, body = self.get(f"{template} read by {what}", template, path, key, headers)
                check(f"{template} read by {what} is {expected}", status == expected, f"{status} {body}")
            status, _ = self.get(f"{template} of no application", template, template.replace("{id}", "999999999999"))
            check(f"{template} of no application is 404", status == 404)
            status, _ = self.get(f"{template} with a word for a number", template, template.replace("{id}", "abc"))
            check(f"{template} with a word for a number is 400", status == 400)
            status, _ = self.get(f"{template} with 2^64", template, template.replace("{id}", str(2**64)))
            check(f"{template} with 2^64 is 400", status == 400)
            status, _ = self.get(f"{template} with 2^64-1", template, template.replace("{id}", str(2**64 - 1)))
            check(f"{template} with 2^64-1 is 404 (a number, no application)", status == 404)
            status, _ = self.get(f"{template} with no key", template, path, None)
            check(f"{template} with no key is 401", status == 401)
            status, _ = self.get(f"{template} as X-Api-Key", template, path, "edu", key_header="x-api-key")
            check(f"{template} with X-Api-Key is 200", status == 200)

        for template in ("/v1/applicants/{iin}/applications", "/v1/applicants/{iin}/notifications"):
            path = template.replace("{iin}", owner)
            for what, key, headers, expected in [
                    ("portal for its applicant", "portal", mine, 200), ("portal for another", "portal", other, 403),
                    ("pmpk", "pmpk", None, 200), ("a ДО", "kg", None, 403), ("the department", "edu", None, 200),
                    ("an auditor", "audit", None, 200), ("the System", "system", None, 403)]:
                status, body = self.get(f"{template} read by {what}", template, path, key, headers)
                check(f"{template} read by {what} is {expected}", status == expected, f"{status} {body}")
                if template.endswith("applications") and status == 200 and body:
                    check("the applicant's list holds the card", any(c["application"] == app
                                                                    for c in body.get("applications", [])))
            status, body = self.get(f"{template}: an IIN that filed nothing", template,
                                    template.replace("{iin}", "000000000000"))
            check(f"{template}: an IIN that filed nothing is 200", status == 200, str(body))
            status, _ = self.get(f"{template} with a revoked key", template, path, REVOKED)
            check(f"{template} with a revoked key is 401", status == 401)
            for bad in ("12345", "abcdefghijkl", "1234567890123", "%D0%90"):
                status, _ = self.get(f"{template} for the IIN '{bad}'", template, template.replace("{iin}", bad))
                check(f"{template} for the IIN '{bad}' is 400", status == 400)
        inbox = "/v1/applicants/{iin}/notifications"
        status, page = self.get("the inbox's first page", inbox, f"/v1/applicants/{owner}/notifications?limit=1",
                                "portal", mine)
        if check("the inbox pages one at a time", status == 200 and page and len(page["notifications"]) == 1):
            status, second = self.get("the inbox's next page", inbox,
                                      f"/v1/applicants/{owner}/notifications?after={page['next_cursor']}&limit=1000",
                                      "portal", mine)
            check("the next page continues after the cursor", status == 200 and second and
                  second["total"] == 1 + len(second["notifications"]), str(second)[:300])
        status, page = self.get("the inbox after the last cursor there can be", inbox,
                                f"/v1/applicants/{owner}/notifications?after={2**64 - 1}", "portal", mine)
        check("the inbox after 2^64-1 is empty and says that cursor", status == 200 and page and
              page["notifications"] == [] and page["next_cursor"] == 2**64 - 1, str(page))
        for query in ("limit=0", "limit=1001", "after=-1", "after=x", "limit=", f"after={2**64}", "after=1e3"):
            status, _ = self.get(f"the inbox with {query}", inbox, f"/v1/applicants/{owner}/notifications?{query}")
            check(f"the inbox with {query} is 400", status == 400)
            status, _ = self.get(f"the feed with {query}", "/v1/feed", f"/v1/feed?{query}")
            check(f"the feed with {query} is 400", status == 400)

        for what, key, expected in [("portal", "portal", 200), ("pmpk", "pmpk", 403), ("a ДО", "kg", 403),
                                    ("the department", "edu", 200), ("an auditor", "audit", 200),
                                    ("the System", "system", 403)]:
            status, _ = self.get(f"the feed read by {what}", "/v1/feed", "/v1/feed?limit=5", key)
            check(f"the feed read by {what} is {expected}", status == expected)
        status, _ = self.get("the feed with no key", "/v1/feed", "/v1/feed", None)
        check("the feed with no key is 401", status == 401)

        for key in ROLES:
            status, _ = self.get(f"the catalogue read by {key}", "/v1/catalogue", "/v1/catalogue", key)
            check(f"the catalogue read by {key} is 200", status == 200)
            status, _ = self.get(f"the statistics read by {key}", "/v1/statistics", "/v1/statistics", key)
            check(f"the statistics read by {key} is 200", status == 200)
        status, catalogue = self.get("the catalogue", "/v1/catalogue", "/v1/catalogue")
        locality = catalogue["localities"][0]["locality"] if catalogue and catalogue.get("localities") else 1
        for query in (f"locality={locality}", f"kindergarten={self.city['kg']}", "language=Kk", "language=Ru",
                      "correction_type=Speech", "correction_type=None", "free=true", "free=1", "free=false", "free=0",
                      f"locality={locality}&language=Ru&free=true"):
            status, body = self.get(f"the catalogue with {query}", "/v1/catalogue", f"/v1/catalogue?{query}")
            check(f"the catalogue with {query} is 200", status == 200)
        status, body = self.get("the catalogue of one ДО", "/v1/catalogue", f"/v1/catalogue?kindergarten={self.city['kg']}")
        check("the catalogue filters by ДО", status == 200 and [k["kindergarten"] for k in body["kindergartens"]]
              == [self.city["kg"]], str(body)[:300])
        for query in ("language=En", "correction_type=Bogus", "locality=abc", "locality=4294967296", "nope=1",
                      "kindergarten=-1", "free=null", "free=", "free=yes"):
            status, _ = self.get(f"the catalogue with {query}", "/v1/catalogue", f"/v1/catalogue?{query}")
            check(f"the catalogue with {query} is 400", status == 400)
        for template in ("/v1/catalogue", "/v1/statistics"):
            status, _ = self.get(f"{template} with an unknown key", template, template, "nope")
            check(f"{template} with an unknown key is 401", status == 401)
        status, stats = self.get("the statistics", "/v1/statistics", "/v1/statistics")
        check("the statistics count the waiting", status == 200 and stats["waiting"] > 0, str(stats)[:300])
        # As of (docs/audit.md): each view that takes ?as_of answers in the document's shapes.
        for template, path in [("/v1/statistics", "/v1/statistics"), ("/v1/catalogue", "/v1/catalogue"),
                               ("/v1/applications/{id}", f"/v1/applications/{app}"),
                               ("/v1/applications/{id}/position", f"/v1/applications/{app}/position"),
                               ("/v1/applications/{id}/explain", f"/v1/applications/{app}/explain"),
                               ("/v1/applicants/{iin}/applications", f"/v1/applicants/{owner}/applications")]:
            status, body = self.get(f"{template} as of record 200", template, f"{path}?as_of_sequence=200", "edu")
            check(f"{template}?as_of_sequence=200 is 200 (404 for an application filed later)",
                  status == 200 or (status == 404 and "{id}" in template), f"{status} {str(body)[:300]}")
            status, body = self.get(f"{template} as of 2100", template, f"{path}?as_of=2100-12-31", "edu")
            check(f"{template}?as_of=2100-12-31 is 200", status == 200, f"{status} {str(body)[:300]}")
            status, body = self.get(f"{template} as of no date", template, f"{path}?as_of=2025-02-30", "edu")
            check(f"{template}?as_of=2025-02-30 is 400", status == 400, f"{status} {str(body)[:300]}")
        status, past = self.get("the statistics as of record 200", "/v1/statistics", "/v1/statistics?as_of_sequence=200")
        check("the statistics as of record 200 differ from today's", status == 200 and past != stats)
        # The auditors' routes and their console (docs/audit.md, "The console").
        for template in ("/v1/audit/statistics", "/v1/audit/chain"):
            for what, key, expected in [("an auditor", "audit", 200), ("the department", "edu", 200),
                                        ("a portal", "portal", 403), ("a ДО", "kg", 403), ("no key", None, 401)]:
                status, body = self.get(f"{template} read by {what}", template, template, key)
                check(f"{template} read by {what} is {expected}", status == expected, f"{status} {str(body)[:300]}")
            status, body = self.get(f"{template} with an unknown parameter", template, f"{template}?x=1", "audit")
            check(f"{template}?x=1 is 400", status == 400, f"{status} {body}")
        status, chain = self.get("the chain", "/v1/audit/chain", "/v1/audit/chain", "audit")
        check("the chain verified over the journal", status == 200 and chain["verified"] and chain["records"] > 1000, str(chain))
        check("a verified chain names no problem (null, as replay verify --json)", chain.get("problem", "") is None, str(chain))
        for query in ("as_of=2024-06-30", "as_of_sequence=500", "top=3", "as_of=2024-06-30&top=1000"):
            status, body = self.get(f"audit statistics ?{query}", "/v1/audit/statistics", f"/v1/audit/statistics?{query}", "audit")
            check(f"/v1/audit/statistics?{query} is 200", status == 200, f"{status} {str(body)[:300]}")
        for query in ("as_of=2024-02-30", "as_of_sequence=x", "top=0", "top=1001", "as_of=2024-06-30&as_of_sequence=5"):
            status, body = self.get(f"audit statistics ?{query}", "/v1/audit/statistics", f"/v1/audit/statistics?{query}", "audit")
            check(f"/v1/audit/statistics?{query} is 400", status == 400, f"{status} {str(body)[:300]}")
        status, page = self.get("the console", "/console", "/console", None)
        check("GET /console is the page", status == 200 and "auditors' console" in page, str(page)[:200])

    def edges(self):
        big = "y" * 9000
        for template in ("/healthz", "/readyz", "/metrics", "/v1/catalogue", "/v1/statistics", "/console",
                         "/v1/audit/statistics", "/v1/audit/chain"):
            response = self.server.request("GET", template, SECRET["edu"], headers={"X-Big": big})
            check(f"{template} with 9 KB of headers is 431", response[0] == 431)
            self.doc.conform(f"{template} with 9 KB of headers", "get", template, response)
        for template, path in [("/v1/applications/{id}", "/v1/applications/1"),
                               ("/v1/applications/{id}/position", "/v1/applications/1/position"),
                               ("/v1/applications/{id}/explain", "/v1/applications/1/explain"),
                               ("/v1/applicants/{iin}/applications", "/v1/applicants/000000000000/applications"),
                               ("/v1/applicants/{iin}/notifications", "/v1/applicants/000000000000/notifications"),
                               ("/v1/feed", "/v1/feed")]:
            response = self.server.request("GET", path, SECRET["edu"], headers={"X-Big": big})
            self.doc.conform(f"{path} with 9 KB of headers", "get", template, response)
        response = self.server.request("POST", "/v1/actions", SECRET["edu"], "{}", headers={"X-Big": big})
        self.doc.conform("a post with 9 KB of headers", "post", "/v1/actions", response)
        # What no operation describes: an HttpError all the same.
        d = self.doc
        d.http_error("no route", self.server.request("GET", "/nowhere"), 404, "UnknownRoute")
        d.http_error("no route under /v1", self.server.request("GET", "/v1/nowhere", SECRET["edu"]), 404, "UnknownRoute")
        d.http_error("no route under an application",
                     self.server.request("GET", f"/v1/applications/{self.app}/nowhere", SECRET["edu"]), 404,
                     "UnknownRoute")
        d.http_error("no route under an applicant",
                     self.server.request("GET", "/v1/applicants/000000000000/nowhere", SECRET["edu"]), 404,
                     "UnknownRoute")
        d.http_error("no route under an applicant, for a portal naming none",
                     self.server.request("GET", "/v1/applicants/000000000000/nowhere", SECRET["portal"]), 404,
                     "UnknownRoute")
        status, _, text = self.server.request("GET", "/metrics")
        check("/metrics labels routes by their templates, never by a client's path",
              status == 200 and b"nowhere" not in text, text.decode()[:3000])
        for method, path, allow in [("DELETE", "/v1/actions", "POST"), ("GET", "/v1/actions", "POST"),
                                    ("POST", "/v1/catalogue", "GET, HEAD"), ("PUT", "/healthz", "GET, HEAD"),
                                    ("POST", "/metrics", "GET, HEAD")]:
            response = self.server.request(method, path, SECRET["edu"], "{}" if method != "GET" else None)
            if d.http_error(f"{method} {path}", response, 405, "MethodNotAllowed"):
                check(f"{method} {path}: 405 says Allow: {allow}", response[1].get("allow") == allow,
                      str(response[1]))
        d.http_error("malformed HTTP", self.server.raw(b"GARBAGE\x01\x02 / HTTP/9\r\n\r\n"), 400, "MalformedHttp")
        d.http_error("a body over 1 MiB on a post",
                     self.server.request("POST", "/v1/actions", SECRET["edu"], "x" * (1024 * 1024 + 1)),
                     413, "BodyTooLarge")
        # A read's body is refused as any read's is, whatever its size (it was 413 over 1 MiB).
        d.http_error("a body over 1 MiB on a read",
                     self.server.request("GET", "/v1/catalogue", SECRET["edu"], "x" * (1024 * 1024 + 1)),
                     400, "UnexpectedBody")

    def stopping(self):
        """SIGTERM: a request still arriving is answered 503, and the server exits 0."""
        server = self.server
        key = SECRET["edu"].encode()
        body = json.dumps(self.action("EducationDepartment", "ClockTick", {})).encode()
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        read_response(idle)  # kept alive: it waits for the next request
        late = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        late.sendall(b"POST /v1/actions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + key + b"\r\nContent-Length: " + str(len(body)).encode() +
                     b"\r\n\r\n" + body[:-1])
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        idle.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        late.sendall(body[-1:])
        try:
            response = read_response(idle)
            status = self.doc.conform("/readyz while stopping", "get", "/readyz", response)
            check("/readyz while stopping is 503 stopping", response[0] == 503 and status and status["status"] ==
                  "stopping", str(response))
            response = read_response(late)
            answer = self.doc.conform("a post arriving while stopping", "post", "/v1/actions", response)
            check("a post arriving while stopping is 503 Stopping", response[0] == 503 and answer and
                  answer["code"] == "Stopping", str(response))
        finally:
            idle.close()
            late.close()
        check("SIGTERM stops the server gracefully (exit 0)", server.process.wait(timeout=60) == 0)


# --- schemathesis ---------------------------------------------------------------------------------

def with_examples(doc, city, role):
    """The document with the city's application numbers and IIN as parameter examples, and actions
    that reach the engine's rules: of the key's role (another role's action is refused for access)
    and of schema version 1 (any other is refused before its body is read)."""
    d = copy.deepcopy(doc)
    schemas = d["components"]["schemas"]
    schemas["Actor"]["properties"]["role"] = {"type": "string", "enum": [role]}
    schemas["Actor"]["required"] = ["role"]  # absent, it is Portal (the enum's default)
    for variant in schemas["Action"]["oneOf"]:
        variant["properties"]["schema_version"] = {"type": "integer", "enum": [1]}
    p = d["components"]["parameters"]
    p["ApplicationId"]["examples"] = {f"a{a}": {"value": a} for a in [city["app"]] + city["apps"][:5]}
    p["Iin"]["examples"] = {"owner": {"value": city["owner"]}}
    p["ApplicantIin"]["examples"] = {"owner": {"value": city["owner"]}}
    return d


def schemathesis(work, server, doc, city, examples):
    env = dict(os.environ, SCHEMATHESIS_HOOKS="openapi_hooks", PYTHONPATH=HERE, NO_COLOR="1")
    tool = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    edu = ["-H", f"Authorization: Bearer {SECRET['edu']}"]
    portal = ["-H", f"Authorization: Bearer {SECRET['portal']}", "-H", f"X-Applicant-Iin: {city['owner']}"]
    reads, posts = ["--exclude-method", "POST"], ["--include-method", "POST"]
    every_phase = "examples,coverage,fuzzing"
    # (name, the role its actions claim, headers, which operations, phases, mode). Each key reads
    # with valid and invalid parameters alike. Posts: the coverage phase's valid actions of every
    # kind (its invalid ones, thousands of variants of malformed JSON, each meet the same parser),
    # and random actions, valid or not, of either role.
    runs = [("EducationDepartment-reads", "EducationDepartment", edu, reads, every_phase, "all", examples),
            ("EducationDepartment-posts", "EducationDepartment", edu, posts, every_phase, "positive", examples),
            ("Portal-reads", "Portal", portal, reads, every_phase, "all", examples),
            ("Portal-posts", "Portal", portal, posts, "fuzzing", "all", 4 * examples)]
    for name, role, headers, select, phases, mode, cases in runs:
        spec = os.path.join(work, f"openapi-{role}.yaml")
        with open(spec, "w", encoding="utf-8") as f:
            yaml.safe_dump(with_examples(doc.doc, city, role), f, allow_unicode=True, sort_keys=False)
        log = os.path.join(work, f"schemathesis-{name}.log")
        started = time.monotonic()
        # One worker: hypothesis describes its strategies with ast.parse, which Python 3.11 is
        # not safe to call from two threads at once ("AST constructor recursion depth mismatch").
        with open(log, "w") as out:
            code = subprocess.run(
                [tool, "run", spec, "--url", server.base, *headers, *select, "--checks", CHECKS,
                 "--max-examples", str(cases), "--seed", "20261202", "--phases", phases, "--mode", mode,
                 "--workers", "1",
                 "--generation-database", "none", "--request-timeout", "60", "--suppress-health-check", "all",
                 "--no-color"], cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        lines = text.splitlines()
        summary = next((lines[i + 1].strip() for i, line in enumerate(lines[:-1]) if line.startswith("Test cases:")), "")
        print(f"schemathesis, {name}: exit {code} in {time.monotonic() - started:.0f} s: {summary}", flush=True)
        if not check(f"schemathesis, {name}: no failure, no error (see {log})", code == 0):
            print(text[-15000:], flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kezek")
    parser.add_argument("work")
    parser.add_argument("--examples", type=int, default=25, help="schemathesis: test cases per operation and run")
    parser.add_argument("--no-schemathesis", action="store_true", help="only the conformance walk")
    args = parser.parse_args()
    started = time.monotonic()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    doc = Doc(DOC_PATH)
    # The validator itself: it must refuse what the document forbids, or every check below is void.
    card = "/components/schemas/ApplicationCard"
    check("the validator refuses a card without its fields", doc.errors(card, {"application": 1}) != [])
    check("the validator refuses a field no table has", doc.errors("/components/schemas/HttpError", {
        "code": "x", "message": "y", "extra": 1}) != [])
    check("the validator refuses an enum's unknown name", doc.errors("/components/schemas/Outcome", "Maybe") != [])
    check("the validator refuses a uint out of range", doc.errors("/components/schemas/LocalityView", {
        "locality": 2**32, "name_ru": "", "name_kk": "", "region_code": ""}) != [])
    # The data directory in memory where there is a tmpfs: every post waits for its group commit's
    # fsync, and schemathesis posts one at a time (this test is about HTTP, not durability).
    memory = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    data_root = tempfile.mkdtemp(prefix="kezek-openapi-", dir=memory or args.work)
    data = os.path.join(data_root, "data")
    server = None
    try:
        city = make_city(args.kezek, args.work, data)
        keys = os.path.join(args.work, "keys")
        write_keys(keys, city)
        server = Server(args.kezek, args.work, data, keys)
        print(f"city loaded and server up in {time.monotonic() - started:.1f} s (data in {data})", flush=True)
        run(args, doc, server, city, started)
    finally:
        if server is not None and server.process.poll() is None:
            server.process.kill()
            server.process.wait()
        shutil.rmtree(data_root, ignore_errors=True)
        log = os.path.join(args.work, "serve.log")
        if (serve_test.failed or sys.exc_info()[0]) and os.path.exists(log):
            with open(log, errors="replace") as f:
                print("the server's log ends:\n" + "".join(f.readlines()[-40:]), flush=True)
    print(f"openapi_test: {time.monotonic() - started:.0f} s")
    print(f"{serve_test.passed} passed, {serve_test.failed} failed")
    return 1 if serve_test.failed else 0


def run(args, doc, server, city, started):
    walk = Walk(doc, server, city)
    walk.operations()
    walk.posts()
    walk.reads()
    walk.edges()
    print(f"conformance: {len(doc.seen)} documented (route, method, status) seen live in "
          f"{time.monotonic() - started:.1f} s", flush=True)
    if not args.no_schemathesis:
        schemathesis(args.work, server, doc, city, args.examples)
    walk.stopping()
    missed = sorted(doc.documented() - doc.seen - UNREACHABLE)
    check("every documented status was seen live", not missed, str(missed))


if __name__ == "__main__":
    sys.exit(main())
