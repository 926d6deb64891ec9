#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`--state etcd://` against a hostile or broken etcd gateway (a local HTTP
server of the test's own, no etcd needed): every bad reply is one error
line naming the pool and where the reply is bad, exit 1, nothing on
stdout, within the request's time limit; the daemon treats a bad reply as
etcd being away (one warning) and keeps policing.  Also: a good reply
whose record is damaged is reported, not shown; the URL is checked."""
import base64
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import HVKIT, check, done, file_cgroups, hvkit  # noqa: E402


def b64(s):
    return base64.b64encode(s if isinstance(s, bytes) else s.encode()).decode()


HDR = '"header":{"cluster_id":"1","member_id":"2","revision":"7","raft_term":"2"}'
STATE = ("hvkit-sched-state 2\nsaved 1 tick 1000000000 save-every 0 pid 1 config hostA\n"
         "guest g cgroup:/x present 1 weight 0 started 1 last 1 counter 0 cap 2000 rate 0 "
         "budget 3200000000 floor 2000 burst 10000 window 30 bucket 1 head 0 ramp 0 "
         "throttled 0 throttled-ns 0\n")


def kv(key, value):
    return '{"key":"%s","create_revision":"3","mod_revision":"5","version":"1","value":"%s"}' % (
        b64(key), b64(value))


reply = {"body": b"", "status": 200, "stall": False}
STREAM = object()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        reply["req"] = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if reply["stall"]:
            time.sleep(30)
            return
        body = reply["body"]
        if callable(body):
            body = body(self.path)
        self.send_response(reply["status"])
        self.send_header("Content-Type", "application/json")
        if body is STREAM:
            # No length announced: the body ends when the server closes.
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(70):
                    self.wfile.write(b" " * (1 << 20))
            except OSError:
                pass
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, *a):
        pass


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"etcd://127.0.0.1:{srv.server_address[1]}/pool"

    def status_fails(what, body, status=200, expect=None, limit=30):
        reply.update(body=body, status=status, stall=False)
        t = time.monotonic()
        p = hvkit("sched", "status", "--state", url, ok=False, timeout=limit + 5)
        took = time.monotonic() - t
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 1 and not p.stdout and len(lines) == 1 and url in lines[0]
              and (expect is None or expect in lines[0]) and took < limit,
              f"{what}: exit {p.returncode}, {len(lines)} line(s) in {took:.1f} s: {p.stderr.strip()[:200]}")

    status_fails("not JSON", b"<html>hi</html>", expect="offset 0")
    status_fails("text after the reply", ("{%s}{}" % HDR).encode(), expect="text after")
    status_fails("no header", b'{"kvs":[]}', expect="header")
    status_fails("revision not a number", b'{"header":{"revision":"7x"}}', expect="revision")
    status_fails("revision out of range", b'{"header":{"revision":"99999999999999999999"}}',
                 expect="revision")
    status_fails("kvs not an array", ('{%s,"kvs":{}}' % HDR).encode(), expect="kvs")
    status_fails("key not base64", ('{%s,"kvs":[{"key":"@@@@","value":""}]}' % HDR).encode(),
                 expect="base64")
    status_fails("value base64 with blanks", ('{%s,"kvs":[{"key":"%s","value":"aGV5 IA=="}]}'
                                               % (HDR, b64("/pool/acct/g"))).encode(), expect="base64")
    status_fails("value base64 without padding", ('{%s,"kvs":[{"key":"%s","value":"aGV5IA"}]}'
                                                   % (HDR, b64("/pool/acct/g"))).encode(), expect="base64")
    status_fails("deep nesting", b"[" * 100000 + b"]" * 100000, expect="offset")
    status_fails("gateway error object", b'{"error":"etcdserver: \\u001b[31mno\\n","code":5}',
                 status=400, expect="etcd says: etcdserver: .[31mno.")
    status_fails("HTTP 404 with a body that parses", ('{%s}' % HDR).encode(), status=404,
                 expect="HTTP 404")
    status_fails("reply announced over 64 MiB", lambda path: b" " * (65 << 20), expect="larger than")
    status_fails("reply over 64 MiB, no length announced", STREAM, expect="larger than")
    status_fails("every member fails (HTTP 503)", b"{}", status=503, expect="no member answered")
    # A reply that parses, holding a record whose checksum is wrong: said
    # in one warning, not shown.
    bad_record = STATE + "end xxh64 0000000000000000\n"
    reply.update(body=("{%s,\"kvs\":[%s],\"count\":\"1\"}" % (HDR, kv("/pool/acct/g", bad_record))).encode(),
                 status=200)
    p = hvkit("sched", "status", "--state", url, ok=False)
    check(p.returncode == 0 and "damaged" in p.stderr and "checksum" in p.stderr and
          "g " not in p.stdout.split("\n", 1)[1] and p.stderr.count("\n") == 1,
          f"a record with a wrong checksum: warned, not shown ({p.stderr.strip()[:160]})")
    # A stalled gateway: status gives up at its 10 s limit.
    reply.update(stall=True)
    t = time.monotonic()
    p = hvkit("sched", "status", "--state", url, ok=False, timeout=40)
    took = time.monotonic() - t
    check(p.returncode == 1 and took < 15 and "no member answered" in p.stderr,
          f"a gateway that never answers: exit {p.returncode} after {took:.1f} s")
    reply.update(stall=False)
    # The URL.
    for bad in ("etcd://", "etcd:///p", "etcd://h/p", "etcd://h:0/p", "etcd://h:99999/p",
                "etcd://h:1,/p", "etcd://h:1/p q", "etcd://h_x:1/p"):
        p = hvkit("sched", "status", "--state", bad, ok=False)
        check(p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1,
              f"URL '{bad}': refused in one line ({p.stderr.strip()})")

    # The daemon: a gateway that grants a lease and the host key, then
    # answers garbage: one warning (after 3 s), the daemon keeps going, exits 0.
    def daemon_reply(path):
        if path == "/v3/lease/grant":
            return ('{%s,"ID":"42","TTL":"5"}' % HDR).encode()
        if path == "/v3/kv/txn":
            return ('{%s,"succeeded":true}' % HDR).encode()
        return b'{"result":{"header":{"revision":"x"}}}' if "keepalive" in path else b"\x00\xff"
    reply.update(body=daemon_reply)
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "c.conf")
        with open(conf, "w") as f:
            f.write("guest g (cgroup:/hvkit-no-such-cgroup) {\n    cap 50%\n}\n")
        p = subprocess.run([HVKIT, "sched", "run", conf, "--state", url, "--host-id", "h1",
                            "--tick", "200ms", "--ticks", "25"],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and p.stderr.count("etcd unreachable") == 1,
              f"daemon against a gateway that turned hostile: exit {p.returncode}, "
              f"'etcd unreachable' {p.stderr.count('etcd unreachable')} time(s)")

    # A gateway whose reply to a tick's writes (each guest's transaction
    # nested in one) answers none of them: etcd taken as away (one
    # warning naming it), the daemon keeps policing, exits 0.
    def nested_reply(path):
        if path == "/v3/kv/txn" and b"request_txn" in reply["req"]:
            return ('{%s,"succeeded":true,"responses":[]}' % HDR).encode()
        if path == "/v3/kv/range":
            return ('{%s}' % HDR).encode()
        if "keepalive" in path:
            return ('{"result":{%s,"ID":"42","TTL":"5"}}' % HDR).encode()
        return daemon_reply(path)
    reply.update(body=nested_reply)
    with tempfile.TemporaryDirectory() as tmp:
        file_cgroups(os.path.join(tmp, "cg"), ("g",))
        conf = os.path.join(tmp, "c.conf")
        with open(conf, "w") as f:
            f.write("guest g (cgroup:/g) {\n    cap 50%\n}\n")
        p = subprocess.run([HVKIT, "sched", "run", conf, "--state", url, "--host-id", "h1",
                            "--cgroup-root", os.path.join(tmp, "cg"), "--tick", "200ms", "--ticks", "25"],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and p.stderr.count("etcd unreachable") == 1 and
              "the reply answers 0 of 1 nested transactions" in p.stderr,
              f"a reply to the tick's writes that answers none of them: exit {p.returncode}, "
              f"etcd taken as away ({p.stderr.strip()[-300:]})")
    srv.shutdown()
    done()


main()
