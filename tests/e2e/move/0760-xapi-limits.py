#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit move pull and push against XenAPI servers that misbehave, all on
127.0.0.1: a login answer larger than --max-response (with and without a
Content-Length), a server that accepts and never answers, a body that
stops short of its Content-Length and keeps the connection open, a
task that stays pending forever and one whose progress creeps for ever.  Each ends in one line that names the
limit (--max-response, --timeout), exit 1, in bounded memory, with
nothing written.  Times are judged so that a machine's load cannot fail
them: a --timeout is honoured (never ended before it), a stall ends
before the server's own (60 s) would have ended it, an answer cut at
--max-response costs CPU time comparable to a tiny answer's (not that of
reading 1.5 GB), and a task that never ends is ended by hvkit, not by
the test's hang guard."""
import os
import resource
import shutil
import socket
import subprocess
import threading
import time

from movelib import MiB, bounded_work, check, cpu_run, done, hvkit, sparse_image, tmpdir
from xapi_server import XapiState, serve

HVKIT = os.environ.get("HVKIT", "build/hvkit")
d = tmpdir()
env = dict(os.environ, HVKIT_XAPI_PASSWORD="secret")
STALL = 60      # how long the silent servers keep a connection open
GUARD = 2 * STALL   # the hang guard: no run gets near it


def evil(mode):
    """A one-trick HTTP server on 127.0.0.1; returns its port."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)

    def conn(s):
        try:
            s.settimeout(30)
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    return
                buf += chunk
            if mode == "silent":
                time.sleep(STALL)
            elif mode == "short":
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                          b"Content-Length: 100000\r\n\r\n<?xml version=\"1.0\"?>")
                time.sleep(STALL)
            elif mode == "tiny":    # the reference: a whole answer, not XML-RPC
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                          b"Content-Length: 17\r\n\r\n<methodResponse/>")
            else:   # 1.5 GB, announced or not
                head = (b"Content-Length: 1610612736\r\n\r\n" if mode == "huge-length"
                        else b"Connection: close\r\n\r\n<methodResponse>")
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n" + head)
                for _ in range(1536):
                    s.sendall(b"<params>" * (1 << 17))
        except OSError:
            pass
        finally:
            s.close()

    def accept():
        while True:
            try:
                s, _ = ls.accept()
            except OSError:
                return
            threading.Thread(target=conn, args=(s,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return ls.getsockname()[1]


def pull(port, *args):
    """(process, wall seconds, CPU seconds, output path) of one pull."""
    out = os.path.join(d, "out")
    t = time.monotonic()
    p, cpu = cpu_run([HVKIT, "move", "pull", f"xapi://root@127.0.0.1:{port}", "vm",
                      "-o", out, "--http", *args], text=True, env=env, timeout=GUARD)
    return p, time.monotonic() - t, cpu, out


def bad(label, p, cpu, out, expect):
    lines = p.stderr.strip().splitlines()
    if os.environ.get("V"):
        print(f"{label} ({cpu:.3f} CPU-s; the reference {ref_cpu:.3f}) -> {p.stderr.strip()}")
    check(p.returncode == 1 and len(lines) == 1 and all(e in p.stderr for e in expect),
          f"{label}: one line naming {expect}: {p.returncode} {p.stderr!r}")
    check(not os.path.exists(out), f"{label}: nothing written")


p, _, ref_cpu, out = pull(evil("tiny"))
check(p.returncode == 1 and not os.path.exists(out), f"the reference, a tiny answer: refused: {p.stderr}")
p, secs, cpu, out = pull(evil("huge-length"), "--max-response", "64K", "--timeout", "5")
bad("login answer with a 1.5 GB Content-Length", p, cpu, out,
    ["session.login_with_password", "65536 bytes", "--max-response"])
bounded_work("login answer with a 1.5 GB Content-Length", cpu, ref_cpu, "a tiny answer")
p, secs, cpu, out = pull(evil("huge-stream"))
bad("login answer of 1.5 GB without a length", p, cpu, out,
    ["session.login_with_password", f"{4 * MiB} bytes", "--max-response"])
bounded_work("login answer of 1.5 GB without a length", cpu, ref_cpu, "a tiny answer")
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
check(peak < 64 * MiB, f"memory stays bounded: peak RSS {peak // MiB} MiB")
for mode, label, expect in (("silent", "server that never answers", ["session.login_with_password"]),
                            ("short", "body short of its Content-Length", [])):
    p, secs, cpu, out = pull(evil(mode), "--timeout", "1")
    bad(label, p, cpu, out, expect + ["no byte for 1 s", "--timeout"])
    check(1 <= secs < STALL, f"{label}: ended after {secs:.1f} s: not before --timeout 1, "
          f"and before the server's own end ({STALL} s)")

for arg in (["--timeout", "0"], ["--timeout", "x"], ["--max-response", "1K"]):
    p, _, _, out = pull(1, *arg)
    check(p.returncode == 2 and "bad --" in p.stderr, f"{arg}: usage error: {p.stderr}")


# A real server whose tasks never leave "pending": the transfer completes,
# then the wait for the task's verdict ends after --timeout without progress.
class Pending(XapiState):
    def call(self, method, params):
        if method == "task.get_status":
            return "pending"
        return super().call(method, params)


# A task whose progress moves for ever: ended after 10 times --timeout.
class Creeping(Pending):
    n = 0

    def call(self, method, params):
        if method == "task.get_progress":
            self.n += 1
            return f"0.{self.n:06d}"
        return super().call(method, params)


SR = "9b0a9c1e-0000-4000-8000-00000000beef"
disk = os.path.join(d, "disk.img")
sparse_image(disk, 2 * MiB, [(0, 4096)])
cfg = os.path.join(d, "guest.cfg")
with open(cfg, "w") as f:
    f.write(f'name = "stuck"\nmemory = 128\ndisk = [ "format=raw,vdev=xvda,target={disk}" ]\n')
# The tasks never end: hvkit must end the wait itself (the test's guard
# would fail it); it waits no less than its rule says.
for cls, timeout, expect, at_least in ((Pending, "2", "progress unchanged for 2 s", 2),
                                       (Creeping, "1", "still pending after 10 s", 10)):
    st = cls("root", "secret", SR)
    srv, port = serve(st)
    t = time.monotonic()
    try:
        p = subprocess.run([HVKIT, "move", "push", cfg, f"xapi://root@127.0.0.1:{port}", "--sr", SR,
                            "--http", "--timeout", timeout], capture_output=True, text=True, env=env,
                           timeout=GUARD)
    except subprocess.TimeoutExpired:
        check(False, f"{cls.__name__} task: hvkit still waiting after {GUARD} s")
        srv.shutdown()
        continue
    secs = time.monotonic() - t
    srv.shutdown()
    if "libxlutil" in p.stderr:
        continue    # built without libxlutil: push cannot read the xl.cfg
    if os.environ.get("V"):
        print(f"{cls.__name__} task ({secs:.1f} s) -> {p.stderr.strip()}")
    check(p.returncode == 1 and expect in p.stderr and "--timeout" in p.stderr,
          f"{cls.__name__} task ends: {p.returncode} {p.stderr!r}")
    check(secs >= at_least, f"{cls.__name__} task: ended after {secs:.1f} s, not before {at_least} s")
    check(not st.violations, f"fields {st.release} does not have: {st.violations}")
    print(st.summary())
shutil.rmtree(d)
done()
