#!/usr/bin/env python3
"""kezek serve over TLS (--tls-cert, --tls-key), against a real client on loopback.

Usage: serve_tls_test.py KEZEK_BINARY WORK_DIR
A self-signed certificate for 127.0.0.1 is made with the openssl command. Checks: the flags go
together; a key that is not the certificate's is refused at start with a clear message; over
HTTPS a client that trusts the certificate reads and posts (the answer comes from the journal); a
client that does not trust it fails its handshake; plain HTTP and garbage on the TLS port get no
answer and leave the server serving; SIGTERM stops it cleanly. Prints 'N passed, N failed'.
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import serve_test as t  # noqa: E402  (check, keys, actions)

KEZEK, WORK = sys.argv[1], sys.argv[2]


def certificate(name, cn="127.0.0.1"):
    key, cert = os.path.join(WORK, f"{name}.key"), os.path.join(WORK, f"{name}.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", f"/CN={cn}", "-addext", f"subjectAltName=IP:{cn}"],
                   check=True, capture_output=True)
    return cert, key


def serve(data, keys, *extra):
    port_file = os.path.join(WORK, "port")
    if os.path.exists(port_file):
        os.remove(port_file)
    log = open(os.path.join(WORK, "serve.log"), "a")
    process = subprocess.Popen([KEZEK, "serve", "--data", data, "--keys", keys, "--listen", "127.0.0.1:0",
                                "--port-file", port_file, "--tick-interval", "1", *extra], stdout=log, stderr=log)
    t.started.append(process)  # killed at exit if a check raised before stopping it
    for _ in range(300):
        if os.path.exists(port_file) or process.poll() is not None:
            break
        time.sleep(0.05)
    port = int(open(port_file).read()) if os.path.exists(port_file) else None
    return process, port


def https(port, path, context, key=None, body=None):
    request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", data=body and body.encode(),
                                     method="POST" if body else "GET")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    if body:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def raw(port, payload):
    """Sends bytes to the port and returns what comes back before the server closes (or b'' on timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(payload)
        chunks = []
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
        except (socket.timeout, ConnectionResetError):
            pass
        return b"".join(chunks)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    t.WORK = WORK
    keys = os.path.join(WORK, "keys")
    t.write_keys(keys)
    data = os.path.join(WORK, "data")
    cert, key = certificate("server")
    _, other_key = certificate("other")

    one = subprocess.run([KEZEK, "serve", "--data", data, "--keys", keys, "--tls-cert", cert],
                         capture_output=True, text=True)
    t.check("--tls-cert without --tls-key is a usage error (exit 2)", one.returncode == 2 and "go together" in one.stderr,
            f"{one.returncode} {one.stderr[:200]}")
    process, port = serve(data, keys, "--tls-cert", cert, "--tls-key", other_key)
    process.wait(timeout=30)
    log = open(os.path.join(WORK, "serve.log")).read()
    t.check("a key that is not the certificate's is refused at start (exit 1, says TLS)",
            process.returncode == 1 and port is None and "TLS certificate" in log, log[-300:])

    # A key of another type than the certificate's (EC for RSA) and an encrypted key: refused at
    # start (no prompt for a pass phrase), before the data directory is made.
    ec_key = os.path.join(WORK, "ec.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", ec_key],
                   check=True, capture_output=True)
    locked = os.path.join(WORK, "locked.key")
    subprocess.run(["openssl", "pkey", "-in", key, "-out", locked, "-aes256", "-passout", "pass:secret"],
                   check=True, capture_output=True)
    for bad, says in ((ec_key, "not the certificate's"), (locked, "encrypted")):
        never = os.path.join(WORK, "never")
        run = subprocess.run([KEZEK, "serve", "--data", never, "--keys", keys, "--listen", "127.0.0.1:0", "--tls-cert", cert,
                              "--tls-key", bad], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
        t.check(f"a TLS key {says}: exit 1 at start, no data directory made",
                run.returncode == 1 and says in run.stderr and not os.path.exists(never), f"{run.returncode} {run.stderr[:300]}")

    process, port = serve(data, keys, "--tls-cert", cert, "--tls-key", key)
    t.check("serve listens on https", port is not None and "listening on https://" in open(os.path.join(WORK, "serve.log")).read())
    trusting = ssl.create_default_context(cafile=cert)
    status, text = https(port, "/healthz", trusting)
    t.check("GET /healthz over HTTPS with the certificate trusted: 200 JSON", status == 200 and json.loads(text)["status"] == "ok",
            f"{status} {text[:200]}")
    a = t.action("EducationDepartment", "UpsertLocality",
                 {"locality": 1, "name_ru": "г. Алматы", "name_kk": "Алматы қаласы", "region_code": "ALA"})
    time.sleep(1.2)  # the ticker's first tick starts engine time
    status, text = https(port, "/v1/actions", trusting, t.SECRET["edu"], json.dumps(a, ensure_ascii=False))
    answer = json.loads(text)
    t.check("POST /v1/actions over HTTPS: applied, answered with its journal record", status == 200 and
            answer.get("outcome") == "Applied" and isinstance(answer.get("sequence"), int), f"{status} {text[:300]}")
    status, text = https(port, "/v1/catalogue", trusting, t.SECRET["edu"])
    t.check("the catalogue over HTTPS shows the locality in Russian and Kazakh", status == 200 and "Алматы қаласы" in text,
            f"{status} {text[:200]}")
    try:
        https(port, "/healthz", ssl.create_default_context())
        t.check("a client that does not trust the certificate fails its handshake", False)
    except urllib.error.URLError as error:
        t.check("a client that does not trust the certificate fails its handshake",
                isinstance(error.reason, ssl.SSLCertVerificationError), repr(error))
    plain = raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    t.check("plain HTTP to the TLS port gets no HTTP answer", not plain.startswith(b"HTTP/"), repr(plain[:80]))
    garbage = raw(port, bytes(range(256)) * 8)
    t.check("garbage to the TLS port gets no HTTP answer", not garbage.startswith(b"HTTP/"), repr(garbage[:80]))
    status, _ = https(port, "/healthz", trusting)
    t.check("the server still serves after plain HTTP and garbage", status == 200)
    process.send_signal(15)
    t.check("SIGTERM stops it cleanly (exit 0)", process.wait(timeout=30) == 0)
    print(f"{t.passed} passed, {t.failed} failed")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
