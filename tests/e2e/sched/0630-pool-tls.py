#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`--state etcd://` over TLS with client certificates: a one-member etcd
(Debian's etcd-server) requiring client certificates signed by a CA made
here with openssl.  With --etcd-cacert, --etcd-cert and --etcd-key, status
reads the pool and a daemon runs; without the client certificate, without
the CA, or in plain HTTP, each is refused in one line, exit 1.
Skips (77) without etcd or openssl."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import HVKIT, check, done, hvkit, skip, start_etcd  # noqa: E402


def sh(*args, cwd):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


def main():
    openssl = shutil.which("openssl")
    if not shutil.which("etcd") or not openssl:
        skip("needs etcd (apt install etcd-server) and openssl")
    tmp = tempfile.mkdtemp(prefix="hvkit-tls-")
    member = None
    try:
        sh(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
           "-days", "2", "-subj", "/CN=hvkit test CA", cwd=tmp)
        for name, usage, san in (("srv", "serverAuth,clientAuth", "subjectAltName=IP:127.0.0.1\n"),
                                 ("cli", "clientAuth", "")):
            open(os.path.join(tmp, f"{name}.ext"), "w").write(f"{san}extendedKeyUsage={usage}\n")
            sh(openssl, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
               "-subj", f"/CN={name}", cwd=tmp)
            sh(openssl, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
               "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=tmp)
        tls = ["--etcd-cacert", os.path.join(tmp, "ca.pem"), "--etcd-cert", os.path.join(tmp, "cli.pem"),
               "--etcd-key", os.path.join(tmp, "cli.key")]
        member, cport = start_etcd(
            os.path.join(tmp, "m"), "--cert-file", os.path.join(tmp, "srv.pem"),
            "--key-file", os.path.join(tmp, "srv.key"), "--trusted-ca-file", os.path.join(tmp, "ca.pem"),
            "--client-cert-auth", scheme="https",
            ready=lambda port: hvkit("sched", "status", "--state", f"etcd://127.0.0.1:{port}/tls", *tls,
                                     ok=False).returncode == 0)
        url = f"etcd://127.0.0.1:{cport}/tls"
        conf = os.path.join(tmp, "c.conf")
        open(conf, "w").write("guest g (cgroup:/hvkit-no-such-cgroup) {\n    cap 50%\n}\n")
        p = subprocess.run([HVKIT, "sched", "run", conf, "--state", url, *tls, "--host-id", "t1",
                            "--ticks", "3", "--tick", "200ms"], capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and "unreachable" not in p.stderr,
              f"daemon over TLS with a client certificate: exit {p.returncode} {p.stderr.strip()[-200:]}")
        p = hvkit("sched", "status", "--state", url, *tls, "--json", ok=False)
        check(p.returncode == 0 and '"guests":[]' in p.stdout.replace(" ", ""),
              f"status over TLS: the pool (no guest ran): {p.stdout.strip()[:120]}")
        for what, opts in (("without the client certificate", tls[:2]),
                           ("without the CA (the test CA is not trusted)", tls[2:]),
                           ("in plain HTTP", [])):
            p = hvkit("sched", "status", "--state", url, *opts, ok=False)
            check(p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1 and not p.stdout,
                  f"{what}: refused in one line: {p.stderr.strip()}")
    finally:
        if member:
            member.kill()
            member.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    done()


main()
