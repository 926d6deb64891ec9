#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit move pull and push against XenAPI servers that misbehave, all on
127.0.0.1: a login answer larger than --max-response (with and without a
Content-Length), a server that accepts and never answers, a body that
stops short of its Content-Length and keeps the connection open, a
task that stays pending forever and one whose progress creeps for ever.  Each ends in one line that names the
limit (--max-response, --timeout), exit 1, within a few seconds, in
bounded memory, with nothing written."""
import os
import resource
import shutil
import socket
import subprocess
import threading
import time

from movelib import MiB, check, done, hvkit, sparse_image, tmpdir
from xapi_server import XapiState, serve

HVKIT = os.environ.get("HVKIT", "build/hvkit")
d = tmpdir()
env = dict(os.environ, HVKIT_XAPI_PASSWORD="secret")


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
                time.sleep(30)
            elif mode == "short":
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                          b"Content-Length: 100000\r\n\r\n<?xml version=\"1.0\"?>")
                time.sleep(30)
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
    out = os.path.join(d, "out")
    t = time.monotonic()
    p = subprocess.run([HVKIT, "move", "pull", f"xapi://root@127.0.0.1:{port}", "vm",
                        "-o", out, "--http", *args], capture_output=True, text=True,
                       env=env, timeout=60)
    return p, time.monotonic() - t, out


def bad(label, p, secs, out, expect, limit_s):
    lines = p.stderr.strip().splitlines()
    if os.environ.get("V"):
        print(f"{label} ({secs:.1f} s) -> {p.stderr.strip()}")
    check(p.returncode == 1 and len(lines) == 1 and all(e in p.stderr for e in expect),
          f"{label}: one line naming {expect}: {p.returncode} {p.stderr!r}")
    check(secs < limit_s, f"{label}: ended in {secs:.1f} s (< {limit_s})")
    check(not os.path.exists(out), f"{label}: nothing written")


p, secs, out = pull(evil("huge-length"), "--max-response", "64K", "--timeout", "5")
bad("login answer with a 1.5 GB Content-Length", p, secs, out,
    ["session.login_with_password", "65536 bytes", "--max-response"], 10)
p, secs, out = pull(evil("huge-stream"))
bad("login answer of 1.5 GB without a length", p, secs, out,
    ["session.login_with_password", f"{4 * MiB} bytes", "--max-response"], 30)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
check(peak < 64 * MiB, f"memory stays bounded: peak RSS {peak // MiB} MiB")
p, secs, out = pull(evil("silent"), "--timeout", "1")
bad("server that never answers", p, secs, out,
    ["session.login_with_password", "no byte for 1 s", "--timeout"], 10)
p, secs, out = pull(evil("short"), "--timeout", "1")
bad("body short of its Content-Length", p, secs, out, ["no byte for 1 s", "--timeout"], 10)

for arg in (["--timeout", "0"], ["--timeout", "x"], ["--max-response", "1K"]):
    p, secs, out = pull(1, *arg)
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
for cls, timeout, expect, limit_s in ((Pending, "2", "progress unchanged for 2 s", 20),
                                      (Creeping, "1", "still pending after 10 s", 30)):
    st = cls("root", "secret", SR)
    srv, port = serve(st)
    t = time.monotonic()
    p = subprocess.run([HVKIT, "move", "push", cfg, f"xapi://root@127.0.0.1:{port}", "--sr", SR,
                        "--http", "--timeout", timeout], capture_output=True, text=True, env=env,
                       timeout=60)
    secs = time.monotonic() - t
    srv.shutdown()
    if "libxlutil" in p.stderr:
        continue    # built without libxlutil: push cannot read the xl.cfg
    if os.environ.get("V"):
        print(f"{cls.__name__} task ({secs:.1f} s) -> {p.stderr.strip()}")
    check(p.returncode == 1 and expect in p.stderr and "--timeout" in p.stderr,
          f"{cls.__name__} task ends: {p.returncode} {p.stderr!r}")
    check(secs < limit_s, f"{cls.__name__} task: ended in {secs:.1f} s")
    check(not st.violations, f"fields {st.release} does not have: {st.violations}")
    print(st.summary())
shutil.rmtree(d)
done()
