# SPDX-License-Identifier: MIT
"""Helpers of the hvkit sched end-to-end tests."""
import base64
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HVKIT = os.environ.get("HVKIT", "build/hvkit")
DATA = os.environ.get("TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "data"))
SKIP = 77

failures = 0


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {msg}")
    else:
        print(f"ok: {msg}")
    return cond


def done():
    print("ok" if not failures else f"{failures} failure(s)")
    sys.exit(1 if failures else 0)


def wait_for(cond, timeout=120.0):
    """Waits until cond() is true; returns it.  A condition, never a sleep:
    the deadline is a hang guard far above what a loaded machine under a
    sanitizer needs, reached only when cond() never holds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def logged(path, text):
    """A condition for wait_for: TEXT is in the file at PATH (a daemon's
    stderr)."""
    def cond():
        try:
            with open(path) as f:
                return text in f.read()
        except OSError:
            return False
    return cond


def tick_stamp(metrics):
    """The time of the daemon's last tick in its --metrics-file (rewritten
    at every tick without --metrics-every), None before the first."""
    try:
        with open(metrics) as f:
            m = re.search(r"^hvkit_sched_last_update_timestamp_seconds (\S+)$", f.read(), re.M)
        return float(m.group(1)) if m else None
    except OSError:
        return None


def ticks(metrics, n):
    """Waits for N more ticks of the daemon writing METRICS: a check of
    what a daemon does not do "over a while" is judged over ticks that
    happened, however slowly a loaded machine runs them."""
    for _ in range(n):
        t = tick_stamp(metrics) or 0
        if not wait_for(lambda: (tick_stamp(metrics) or 0) > t):
            return False
    return True


def hvkit(*args, ok=True, timeout=60):
    p = subprocess.run([HVKIT, *args], capture_output=True, text=True, timeout=timeout)
    if ok and p.returncode != 0:
        raise SystemExit(f"hvkit {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


CGROUP_ROOT = "/sys/fs/cgroup"


def make_cgroups(name, children, parents=()):
    """Creates cgroup NAME with CHILDREN under cgroup v1 (the cpu and
    cpuacct hierarchies) or v2 (the cpu controller enabled in NAME, and in
    the children named in PARENTS); skips (77) when that cannot be done.
    Returns (tops, v2): NAME's directory in each hierarchy."""
    root = CGROUP_ROOT
    if os.geteuid() != 0:
        skip("needs root to create cgroups")
    if os.path.exists(f"{root}/cpu/cpu.cfs_quota_us") and os.path.exists(f"{root}/cpuacct/cpuacct.usage"):
        tops, v2 = [f"{root}/cpu/{name}", f"{root}/cpuacct/{name}"], False
    elif os.path.exists(f"{root}/cgroup.controllers") and \
            "cpu" in open(f"{root}/cgroup.controllers").read().split():
        tops, v2 = [f"{root}/{name}"], True
    else:
        skip(f"no cgroup v1 cpu+cpuacct nor v2 cpu controller under {root}")
    try:
        for t in tops:
            os.mkdir(t)
            if v2:
                open(f"{t}/cgroup.subtree_control", "w").write("+cpu")
            for c in children:
                os.mkdir(f"{t}/{c}")
                if v2 and c in parents:
                    open(f"{t}/{c}/cgroup.subtree_control", "w").write("+cpu")
    except OSError as e:
        remove_cgroups(tops, children)
        skip(f"cannot create test cgroups (no delegation?): {e}")
    return tops, v2


def remove_cgroups(tops, children, grandchildren=()):
    for t in tops:
        for c in children:
            for d in [f"{t}/{c}/{g}" for g in grandchildren] + [f"{t}/{c}"]:
                try:
                    os.rmdir(d)
                except OSError:
                    pass
        try:
            os.rmdir(t)
        except OSError:
            pass


# --- one etcd member on loopback (the pool tests) ---------------------------

def b64(s):
    return base64.b64encode(s if isinstance(s, bytes) else s.encode()).decode()


def gateway(port, path, body):
    """POSTs body (JSON) to etcd's gateway /v3/PATH; returns the reply
    (waiting up to 60 s: a loaded machine is slow)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v3/{path}",
                                 data=json.dumps(body).encode(), method="POST")
    return json.loads(urllib.request.urlopen(req, timeout=60).read())


def charged(port, key):
    """CPU-s of excess the pool record at KEY holds (its buckets' sum), 0
    without one."""
    kvs = gateway(port, "kv/range", {"key": b64(key)}).get("kvs", [])
    text = base64.b64decode(kvs[0]["value"]).decode() if kvs else ""
    return sum(int(x.split()[2]) for x in text.splitlines() if x.startswith("b ")) / 1e9


def start_etcd(tmp, *extra, scheme="http", ready=None, port=None):
    """One etcd member (Debian's etcd-server) in tmp, with extra options,
    clients served in scheme (on port, else one the kernel picks); returns
    (process, client port) once it answers (ready(port) holds: by default
    a read through the gateway).  Skips without etcd."""
    exe = shutil.which("etcd")
    if not exe:
        skip("etcd is not installed (Debian: apt install etcd-server; "
             "scripts/install-deps.sh test)")
    os.makedirs(tmp, exist_ok=True)
    socks = [socket.socket() for _ in range(2)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    client, peer = (s.getsockname()[1] for s in socks)
    for s in socks:
        s.close()
    client = port or client
    proc = subprocess.Popen([
        exe, "--name", "m0", "--data-dir", os.path.join(tmp, "etcd"),
        "--listen-client-urls", f"{scheme}://127.0.0.1:{client}",
        "--advertise-client-urls", f"{scheme}://127.0.0.1:{client}",
        "--listen-peer-urls", f"http://127.0.0.1:{peer}",
        "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
        "--initial-cluster", f"m0=http://127.0.0.1:{peer}", *extra],
        stdout=open(os.path.join(tmp, "etcd.log"), "w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            if ready:
                if ready(client):
                    return proc, client
            else:
                gateway(client, "kv/range", {"key": "AA=="})
                return proc, client
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            log = open(os.path.join(tmp, "etcd.log")).read()[-2000:]
            raise SystemExit(f"etcd did not come up: {log}")
        time.sleep(0.2)


def file_cgroups(root, names):
    """A cgroup v1 tree of plain files under root (for --cgroup-root): the
    cpu and cpuacct hierarchies with a child per name, counters at 0."""
    for h, files in (("cpu", {"cpu.cfs_quota_us": "-1", "cpu.cfs_period_us": "100000",
                              "cpu.shares": "1024"}), ("cpuacct", {"cpuacct.usage": "0"})):
        for sub in ("", *(f"/{n}" for n in names)):
            os.makedirs(f"{root}/{h}{sub}", exist_ok=True)
            for k, v in files.items():
                with open(f"{root}/{h}{sub}/{k}", "w") as f:
                    f.write(v + "\n")


def kill(*procs):
    """A test's cleanup: SIGKILL and reap each process started (not None)
    that is still running (a stopped one woken first, SIGCONT)."""
    for p in procs:
        if p and p.poll() is None:
            try:
                p.send_signal(signal.SIGCONT)
            except OSError:
                pass
            p.kill()
            p.wait()


def remove_tmp(tmp):
    """A test's temporary folder removed (kept with HVKIT_KEEP_TMP set,
    and said)."""
    if os.environ.get("HVKIT_KEEP_TMP"):
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


def forward(handler, port, body):
    """Passes a relay's POST (handler: its BaseHTTPRequestHandler, body
    read) on to etcd's gateway on port and answers with etcd's reply;
    502 when etcd does not answer (the daemon sees an outage)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{handler.path}", data=body,
                                 method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, data = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    except OSError:
        status, data = 502, b""
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class QuietServer(http.server.ThreadingHTTPServer):
    """A test's relay: a client that gave up on a reply (a timeout, an
    answer lost on purpose) is not an error of the test's."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


# --- a stand-in libxenlight (the Xen backend without Xen) -------------------

def xen_fake(tmp):
    """Readies tmp for hvkit under the stand-in libxenlight.so.4.17
    (tests/unit/fake-libxl.c, FAKE_XL_LIB): tmp/lib holds it, tmp/dev has
    the xen/privcmd hvkit looks for.  Skips (77) without the stand-in,
    root or unshare(1), and on a Xen host (the real-Xen box judges it)."""
    lib = os.environ.get("FAKE_XL_LIB")
    if not lib or not os.path.exists(lib):
        skip("no stand-in libxenlight (built only where libxl's headers are)")
    if os.geteuid() != 0 or not shutil.which("unshare"):
        skip("needs root and unshare(1) for a /dev with xen/privcmd in a private mount namespace")
    if os.path.exists("/dev/xen/privcmd"):
        skip("this is a Xen host: the real-Xen box judges the backend")
    os.makedirs(os.path.join(tmp, "lib"), exist_ok=True)
    shutil.copy(lib, os.path.join(tmp, "lib", "libxenlight.so.4.17"))
    dev = os.path.join(tmp, "dev")
    os.makedirs(os.path.join(dev, "xen"), exist_ok=True)
    open(os.path.join(dev, "xen", "privcmd"), "w").close()
    subprocess.run(["cp", "-a", "/dev/null", "/dev/urandom", dev], check=True)


def xen_fake_cmd(tmp, xl, *args):
    """(argv, env) running hvkit ARGS under the stand-in of xen_fake(tmp),
    its domains described in directory xl (FAKE_XL_DIR), in a private
    mount namespace whose /dev is tmp/dev."""
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(tmp, "lib"), FAKE_XL_DIR=xl)
    cmd = ["unshare", "-m", "sh", "-c", 'mount --make-rprivate / && mount --bind "$0" /dev && exec "$@"',
           os.path.join(tmp, "dev"), os.path.abspath(HVKIT), *args]
    return cmd, env
