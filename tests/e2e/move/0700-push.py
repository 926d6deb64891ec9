#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit move push against the loopback XenAPI server (xapi_server.py),
over TLS with a certificate made for the test: the VM record, its VBD,
VDI, VIF and network as XAPI would store them, and the disk's bytes."""
import os
import shutil
import subprocess

from movelib import MiB, check, done, hvkit, skip, sparse_image, tmpdir
from xapi_server import API_VERSION, XapiState, serve

p = hvkit("move", "show", "--json", "/dev/null", ok=False)
if "libxlutil" in p.stderr:
    skip("built without libxlutil (Debian package libxen-dev)")

d = tmpdir()
disk = os.path.join(d, "root.img")
sparse_image(disk, 5 * MiB, [(0, 4096), (2 * MiB, 100000)])
cfg = os.path.join(d, "guest.cfg")
with open(cfg, "w") as f:
    f.write(f'name = "pushed"\nuuid = "0d1c0e27-5c2a-4c0d-9d4b-2f7a0e4b9c11"\n'
            f'type = "hvm"\nmemory = 256\nmaxmem = 512\nvcpus = 2\nmaxvcpus = 4\n'
            f'boot = "dc"\nviridian = 1\nhpet = 0\nweight = 512\non_crash = "preserve"\n'
            f'disk = [ "format=raw,vdev=hda,access=rw,target={disk}" ]\n'
            f'vif = [ "mac=00:16:3e:12:34:56,bridge=xenbr7,rate=10Mb/s" ]\nvnc = 1\n')

cert, key, ca = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem"), []
if shutil.which("openssl") and subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True).returncode == 0:
    ca = ["--ca", cert]
else:
    cert = key = None
    ca = ["--http"]
SR = "9b0a9c1e-0000-4000-8000-00000000beef"
st = XapiState("root", "secret", SR)
srv, port = serve(st, cert, key)
env = dict(os.environ, HVKIT_XAPI_PASSWORD="secret")


def push(*args):
    return subprocess.run([os.environ.get("HVKIT", "build/hvkit"), "move", "push", cfg,
                           f"xapi://root@127.0.0.1:{port}", "--sr", SR, *ca, *args],
                          capture_output=True, text=True, env=env)


p = push()
check(p.returncode == 0, f"push: {p.stderr}")
vms = list(st.db["VM"].values())
check(len(vms) == 1, f"one VM {len(vms)}")
vm = vms[0]
check(vm["name_label"] == "pushed" and vm.get("domain_type", "hvm") == "hvm"
      and vm["HVM_boot_policy"] == "BIOS order", f"VM {vm}")
check("domain_type" in vm or st.release == "ely", f"domain_type sent to {st.release}")
check(vm["memory_dynamic_max"] == str(256 * MiB) and vm["memory_static_max"] == str(512 * MiB),
      "memory")
check(vm["VCPUs_at_startup"] == "2" and vm["VCPUs_max"] == "4", "vCPUs")
check(vm["VCPUs_params"] == {"weight": "512"}, f"VCPUs_params {vm['VCPUs_params']}")
check(vm["HVM_boot_policy"] == "BIOS order" and vm["HVM_boot_params"]["order"] == "dc", "HVM boot")
check(vm["platform"].get("viridian") == "true" and vm["platform"].get("hpet") == "false",
      f"platform {vm['platform']}")
check(vm["actions_after_crash"] == "preserve", "actions_after_crash")
check(vm["other_config"].get("xl:vnc") == "1", f"other_config {vm['other_config']}")
vdi_ref, vdi = next(iter(st.db["VDI"].items()))
check(vdi["virtual_size"] == str(5 * MiB) and vdi["SR"] == st.sr, f"VDI {vdi}")
with open(disk, "rb") as f:
    check(st.disks.get(vdi_ref) == f.read(), "disk bytes uploaded through /import_raw_vdi")
check(st.received.get(vdi_ref) == "vhd", f"sent as a dynamic VHD: {st.received}")
vbd = next(iter(st.db["VBD"].values()))
check(vbd["userdevice"] == "0" and vbd["mode"] == "RW" and vbd["type"] == "Disk", f"VBD {vbd}")
vif = next(iter(st.db["VIF"].values()))
check(vif["MAC"] == "00:16:3e:12:34:56" and vif["qos_algorithm_params"] == {"kbps": "1250"},
      f"VIF {vif}")
net = st.db["network"][vif["network"]]
check(net["bridge"] == "xenbr7", f"network created for the bridge {net}")
check(all(t["status"] == "success" for t in st.db["task"].values()) or not st.db["task"], "tasks")
check(p.stdout.strip() == vm["uuid"], f"prints the VM's uuid: {p.stdout}")

# A wrong password: one line, nothing created.
n = len(st.db["VM"])
env["HVKIT_XAPI_PASSWORD"] = "wrong"
p = push()
check(p.returncode == 1 and "SESSION_AUTHENTICATION_FAILED" in p.stderr, f"bad password: {p.stderr}")
check(len(st.db["VM"]) == n, "nothing created on a failed login")
# --password-file - reads the password from standard input (issue 15)
p = subprocess.run([os.environ.get("HVKIT", "build/hvkit"), "move", "push", cfg,
                    f"xapi://root@127.0.0.1:{port}", "--sr", SR, *ca, "--password-file", "-", "--metadata-only"],
                   input="secret\n", capture_output=True, text=True, env=env)
check(p.returncode == 0 and len(st.db["VM"]) == n + 1, f"--password-file -: {p.returncode} {p.stderr}")
env["HVKIT_XAPI_PASSWORD"] = "secret"

# The server rejects what XAPI would: the client sends it none of it
# (checked above and at the end), so check the server itself.
for rec, code in (({"name_label": "x"}, "not present in rpc"),
                  (dict(st.record("VM", next(iter(st.db["VM"]))), VCPUs_max="x"), "FIELD_TYPE_ERROR"),
                  (dict(st.record("VM", next(iter(st.db["VM"]))), actions_after_crash="explode"),
                   "FIELD_TYPE_ERROR")):
    try:
        st.check_record("VM", rec)
        check(False, f"server accepts {code}")
    except Exception as e:
        check(code in str(e), f"server rejects {code}: {e}")
for method, params, code in (("VM.no_such_call", (), "MESSAGE_METHOD_UNKNOWN"),
                             ("VM.get_record", ("OpaqueRef:x",), "MESSAGE_PARAMETER_COUNT_MISMATCH"),
                             ("VM.get_record", (st.call("session.login_with_password",
                                                        ("root", "secret")), "OpaqueRef:x"),
                              "HANDLE_INVALID")):
    try:
        st.call(method, params)
        check(False, f"server accepts {method}")
    except Exception as e:
        check(code in str(e), f"server answers {code}: {e}")

# A pool from before XenServer 6.5 (XenAPI 2.2) takes raw bytes only.
old = XapiState("root", "secret", SR, api=(2, 2))
old_srv, old_port = serve(old, cert, key)
p = subprocess.run([os.environ.get("HVKIT", "build/hvkit"), "move", "push", cfg,
                    f"xapi://root@127.0.0.1:{old_port}", "--sr", SR, *ca],
                   capture_output=True, text=True, env=env)
check(p.returncode == 0, f"push to XenAPI 2.2: {p.stderr}")
ref = next(iter(old.db["VDI"]))
with open(disk, "rb") as f:
    check(old.received.get(ref) == "raw" and old.disks.get(ref) == f.read(),
          f"raw bytes to XenAPI 2.2: {old.received}")
old_srv.shutdown()

# A pool whose version is no number: one line, nothing created.
host = next(iter(st.db["host"].values()))
host["API_version_major"], n = "2x", len(st.db["VM"])
p = push()
check(p.returncode == 1 and len([x for x in p.stderr.splitlines() if "error" in x]) == 1 and
      "host.get_API_version_major: '2x' is not a version number" in p.stderr and
      len(st.db["VM"]) == n, f"bad API version: {p.stderr}")
host["API_version_major"] = str(API_VERSION[st.release][0])

# --metadata-only: the VDI is created, no upload.
before = len(st.disks)
p = push("--metadata-only", "--disk-size", "1M")
check(p.returncode == 0 and len(st.disks) == before, f"metadata-only push: {p.stderr}")
check(not st.violations, f"fields {st.release} does not have: {st.violations}")
print(st.summary())
srv.shutdown()
shutil.rmtree(d)
done()
