#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit move pull against the loopback XenAPI server (xapi_server.py):
a guest pushed there and pulled back gives an xl.cfg that libxlutil
reads (hvkit move show) to the same VM, and byte-identical disks, raw
(sparse) or qcow2 (judged by qemu-img).  Bad cases: an unknown VM, a
task that fails while the HTTP status says 200, a body cut short with
and without Content-Length: one line, exit 1, nothing under DIR."""
import json
import os
import shutil
import subprocess

from movelib import MiB, check, done, hvkit, run, same, skip, sparse_image, tmpdir
from xapi_server import XapiState, serve

p = hvkit("move", "show", "--json", "/dev/null", ok=False)
if "libxlutil" in p.stderr:
    skip("built without libxlutil (Debian package libxen-dev)")

HVKIT = os.environ.get("HVKIT", "build/hvkit")
d = tmpdir()
root = os.path.join(d, "root.img")
sparse_image(root, 5 * MiB, [(0, 4096), (2 * MiB, 100000)], seed=2)
data = os.path.join(d, "data.img")
sparse_image(data, 64 * MiB + 512, [(MiB + 512, 70000), (64 * MiB - 4096, 4608)], seed=3)
cfg = os.path.join(d, "guest.cfg")
with open(cfg, "w") as f:
    f.write(f'name = "pulled"\ntype = "hvm"\nmemory = 256\nmaxmem = 512\nvcpus = 2\n'
            f'maxvcpus = 4\nboot = "dc"\nviridian = 1\nhpet = 0\nweight = 512\n'
            f'on_crash = "preserve"\n'
            f'disk = [ "format=raw,vdev=hda,access=rw,target={root}",\n'
            f'         "format=raw,vdev=hdb,access=ro,target={data}" ]\n'
            f'vif = [ "mac=00:16:3e:12:34:56,bridge=xenbr7,rate=10Mb/s",\n'
            f'        "mac=00:16:3e:12:34:57,bridge=xenbr8" ]\nvnc = 1\n')

cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
if shutil.which("openssl") and subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True).returncode == 0:
    tls = ["--ca", cert]
else:
    cert = key = None
    tls = ["--http"]
SR = "9b0a9c1e-0000-4000-8000-00000000beef"
st = XapiState("root", "secret", SR)
srv, port = serve(st, cert, key)
keyfile = key
env = dict(os.environ, HVKIT_XAPI_PASSWORD="secret")
target = f"xapi://root@127.0.0.1:{port}"


def move(*args):
    return subprocess.run([HVKIT, "move", *args], capture_output=True, text=True, env=env)


p = move("push", cfg, target, "--sr", SR, *tls)
check(p.returncode == 0, f"push: {p.stderr}")
vm_uuid = p.stdout.strip()


def show(path):
    return json.loads(hvkit("move", "show", "--json", path).stdout)


want = show(cfg)

# By name, raw disks.
out = os.path.join(d, "by-name")
p = move("pull", target, "pulled", "-o", out, "--to", "xl", *tls)
check(p.returncode == 0, f"pull by name: {p.stderr}")
xl = os.path.join(out, "pulled.cfg")
check(p.stdout.strip() == xl, f"prints the xl.cfg written: {p.stdout}")
check(sorted(os.listdir(out)) == ["pulled-disk0.raw", "pulled-disk1.raw", "pulled.cfg"],
      f"files {sorted(os.listdir(out))}")
got = show(xl)   # libxlutil reads what we wrote
for k in ("name", "type", "memory_mib", "maxmem_mib", "vcpus", "maxvcpus", "boot_order",
          "viridian", "hpet", "weight", "on_crash", "nics"):
    check(got.get(k) == want.get(k), f"xl.cfg {k}: {got.get(k)!r} == {want.get(k)!r}")
check(got.get("uuid") == vm_uuid, f"uuid is the XAPI VM's {got.get('uuid')}")
check(got.get("other_config", {}).get("xl:vnc") == "1" == want["other_config"]["xl:vnc"],
      f"vnc = 1 comes back through other_config: {got.get('other_config')}")
check([(k["vdev"], k.get("readonly", False), k["format"]) for k in got["disks"]]
      == [("hda", False, "raw"), ("hdb", True, "raw")], f"disks {got['disks']}")
for i, src in enumerate((root, data)):
    dst = os.path.join(out, f"pulled-disk{i}.raw")
    check(got["disks"][i]["target"] == os.path.realpath(dst), f"disk {i} target")
    check(same(src, dst), f"disk {i} byte-identical")
st_data = os.stat(os.path.join(out, "pulled-disk1.raw"))
check(st_data.st_size == 64 * MiB + 512 and st_data.st_blocks * 512 < 4 * MiB,
      f"zero runs stay holes: {st_data.st_blocks * 512} bytes allocated")
check("GET format=vhd" in st.calls and "GET format=raw" not in st.calls, "disks come as VHDs")
check("GET /export_raw_vdi" in st.calls and not any(c.endswith((".create", ".destroy")) and
      not c.startswith("task.") for c in st.calls[st.calls.index("VM.get_by_name_label"):]),
      "pull only reads (and makes its tasks)")
check(all(t["status"] == "success" for t in st.db["task"].values()), "tasks succeeded")

# By UUID, qcow2 disks.
out = os.path.join(d, "by-uuid")
p = move("pull", target, vm_uuid, "-o", out, "--disk-format", "qcow2", "--no-progress", *tls)
check(p.returncode == 0, f"pull by uuid: {p.stderr}")
got = show(os.path.join(out, "pulled.cfg"))
check([k["format"] for k in got["disks"]] == ["qcow2", "qcow2"], f"qcow2 disks {got['disks']}")
for i, src in enumerate((root, data)):
    q = os.path.join(out, f"pulled-disk{i}.qcow2")
    r = run("qemu-img", "check", "-f", "qcow2", q)
    check(r.returncode == 0, f"qcow2 disk {i}: qemu-img check: {r.stdout}{r.stderr}")
    r = run("qemu-img", "compare", "-f", "raw", "-F", "qcow2", src, q)
    check(r.returncode == 0, f"qcow2 disk {i}: qemu-img compare: {r.stdout}{r.stderr}")

# --metadata-only: xl.cfg alone, pointing where the disks would go.
out = os.path.join(d, "meta")
p = move("pull", target, "pulled", "-o", out, "--metadata-only", *tls)
check(p.returncode == 0 and os.listdir(out) == ["pulled.cfg"], f"metadata-only: {p.stderr}")


def bad(label, sel, expect, *args):
    out = os.path.join(d, "bad")
    p = move("pull", target, sel, "-o", out, *tls, *args)
    lines = p.stderr.strip().splitlines()
    if os.environ.get("V"):
        print(label, "->", p.stderr.strip())
    check(p.returncode == 1 and len(lines) == 1 and expect in p.stderr,
          f"{label}: one line naming {expect!r}: {p.returncode} {p.stderr}")
    check(not [f for f in os.listdir(d) if f.startswith("bad")], f"{label}: nothing left")


bad("unknown name", "no-such-vm", "no VM is named 'no-such-vm'")
bad("unknown uuid", "00000000-0000-4000-8000-000000000000", "UUID_INVALID")
st.export_fault = ("task", ["VDI_IO_ERROR", "Device I/O errors"])
bad("task failure", "pulled", "VDI_IO_ERROR Device I/O errors")
st.export_fault = ("short", 1000)
bad("truncated body", "pulled", "export_raw_vdi: after 1000 bytes")
st.export_fault = ("close", 1000)
bad("body without length cut short", "pulled", "offset 1000: the VHD stream ends before its closing footer")
# Hostile VHD streams from a pool whose task says all went well.
B = 2 * MiB


def patch(at, data, fix_csum=None):
    """The body with data at `at`; fix_csum: (start, length, csum_off) of
    the structure whose checksum to make right again."""
    def f(body):
        b = bytearray(body)
        b[at:at + len(data)] = data
        if fix_csum:
            start, n, off = fix_csum
            b[start + off:start + off + 4] = bytes(4)
            b[start + off:start + off + 4] = (~sum(b[start:start + n]) & 0xFFFFFFFF).to_bytes(4, "big")
        return bytes(b)
    return f


def bat_at(body):
    return int.from_bytes(body[512 + 16:512 + 24], "big")


def swap_blocks(body):
    bat = bat_at(body)
    e = [body[bat + 4 * i:bat + 4 * i + 4] for i in range(2)]
    return patch(bat, e[1] + e[0])(body)


for label, fn, expect in (
        ("footer checksum", patch(64, b"\0\0\0\1"), "offset 0: VHD footer checksum"),
        ("fixed disk", patch(60, (2).to_bytes(4, "big"), (0, 512, 64)), "not a dynamic VHD"),
        ("another size", patch(48, (4 * MiB).to_bytes(8, "big"), (0, 512, 64)), "a disk of 4194304 bytes"),
        ("header cookie", patch(512, b"xxsparse"), "no dynamic disk header"),
        ("block size", patch(512 + 32, (2 * B).to_bytes(4, "big"), (512, 1024, 36)), "block size 4194304"),
        ("BAT far away", patch(512 + 16, (64 * MiB).to_bytes(8, "big"), (512, 1024, 36)), "not after the header"),
        ("blocks out of order", swap_blocks, "not in disk order"),
        ("closing footer", lambda b: b[:-1] + b"\1", "closing footer differs"),
        ("trailing bytes", lambda b: b + b"x", "bytes after the closing footer"),
        ("stream cut", lambda b: b[:-600], "ends before its closing footer"),
        ("two blocks in one place", lambda b: patch(bat_at(b) + 8, b[bat_at(b) + 4:bat_at(b) + 8])(b),
         "not after the BAT and the block before it")):
    st.export_fault = ("mutate", fn)
    bad(f"hostile VHD: {label}", "pulled", expect)


def past_end(body):
    """Data in the last block past the disk's end (its bitmap marks
    those sectors), when that block holds data."""
    bat, size = bat_at(body), int.from_bytes(body[48:56], "big")
    last = (size - 1) // B
    sec = int.from_bytes(body[bat + 4 * last:bat + 4 * last + 4], "big")
    return body if sec == 0xFFFFFFFF else patch(sec * 512 + 512 + size - last * B, b"\xaa" * 100)(body)


# The stream's own error comes first, not a later one of the task poll on
# a connection the server closed or left with the body's extra bytes
# (over TLS and over plain HTTP, where the extra bytes met the poll).
plain = XapiState("root", "secret", SR)
plain_srv, plain_port = serve(plain)
p = move("push", cfg, f"xapi://root@127.0.0.1:{plain_port}", "--sr", SR, "--http")
check(p.returncode == 0, f"push over plain HTTP: {p.stderr}")
for server, tgt, flags in ((st, target, tls), (plain, f"xapi://root@127.0.0.1:{plain_port}", ["--http"])):
    for label, fn, then, expect in (
            ("data past the end, connection closed", past_end, "close", "holds data past the disk's end"),
            ("Content-Length 1000 short", lambda b: b, -1000, "the VHD stream ends before its closing footer")):
        for fmt in ("raw", "qcow2"):
            server.export_fault = ("mutate", fn, then)
            out = os.path.join(d, "bad")
            p = move("pull", tgt, "pulled", "-o", out, "--disk-format", fmt, *flags)
            check(p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1 and expect in p.stderr
                  and not os.path.exists(out), f"hostile VHD: {label} ({fmt}, {flags[0]}): {p.stderr}")
plain_srv.shutdown()
st.export_fault = None
env["HVKIT_XAPI_PASSWORD"] = "wrong"
bad("bad password", "pulled", "SESSION_AUTHENTICATION_FAILED")
env["HVKIT_XAPI_PASSWORD"] = "secret"

# A pool is someone else's: a VM record asking for dom0 programs, host
# files and host devices pulls into an xl.cfg without them (each named on
# stderr and in a comment), the disks still the files pull wrote.
vm_rec = next(r for r in st.db["VM"].values() if r.get("name_label") == "pulled")
saved = (dict(vm_rec.get("other_config", {})), vm_rec.get("PV_bootloader"), vm_rec.get("PV_kernel"))
vm_rec["other_config"] = dict(saved[0], **{"xl:device_model_override": "/tmp/evil.sh",
                                           "xl:disk[]": "/dev/vda,raw,xvdb,rw", "xl:pci[]": "0000:00:02.0"})
vm_rec["PV_bootloader"], vm_rec["PV_kernel"] = "/tmp/evil.sh", "/etc/shadow"
for extra in ([], ["--metadata-only"]):
    out = os.path.join(d, "hostile" + "".join(extra))
    p = move("pull", target, "pulled", "-o", out, *extra, *tls)
    if check(p.returncode == 0, f"hostile pool {extra}: {p.stderr}"):
        got = show(os.path.join(out, "pulled.cfg"))
        text = open(os.path.join(out, "pulled.cfg")).read()
        check(not any(k.startswith(("xl:device_model", "xl:disk", "xl:pci")) for k in got.get("other_config", {}))
              and "bootloader" not in got and "kernel" not in got and "/dev/vda" not in text.split("# Not written")[0]
              and all(os.path.dirname(k["target"]) == os.path.realpath(out) for k in got["disks"]),
              f"hostile pool {extra}: nothing of the host's written: {got}")
        for key in ("device_model_override", "disk", "pci", "bootloader", "kernel"):
            check(f"setting '{key}'" in p.stderr and f"#   {key}" in text, f"hostile pool {extra}: '{key}' named")
    p = move("pull", target, "pulled", "-o", out + "-allowed", "--allow-setting", "kernel", *extra, *tls)
    check(p.returncode == 0 and show(os.path.join(out + "-allowed", "pulled.cfg")).get("kernel") == "/etc/shadow",
          f"--allow-setting kernel writes it {extra}: {p.stderr}")
vm_rec["other_config"], vm_rec["PV_bootloader"], vm_rec["PV_kernel"] = saved

# A number of the wrong XML-RPC type (an array) is refused, never read as
# 0 (an empty disk pulled with exit 0).
vdi_rec = next(st.db["VDI"][b["VDI"]] for b in st.db["VBD"].values()
               if b.get("VDI") in st.db["VDI"] and st.db["VM"].get(b.get("VM")) is vm_rec)
saved_size = vdi_rec["virtual_size"]
vdi_rec["virtual_size"] = [1]
bad("virtual_size an array", "pulled", "virtual_size is not a number")
vdi_rec["virtual_size"] = saved_size

# A pool from before XenServer 6.5 (XenAPI 2.2) gives raw bytes only,
# checked as such: whole, cut short, cut short without a length.
old = XapiState("root", "secret", SR, api=(2, 2))
old_srv, old_port = serve(old, cert, keyfile)
p = move("push", cfg, f"xapi://root@127.0.0.1:{old_port}", "--sr", SR, *tls)
check(p.returncode == 0, f"push to XenAPI 2.2: {p.stderr}")
out = os.path.join(d, "old")
p = move("pull", f"xapi://root@127.0.0.1:{old_port}", "pulled", "-o", out, *tls)
check(p.returncode == 0 and "GET format=raw" in old.calls and "GET format=vhd" not in old.calls,
      f"raw pull from XenAPI 2.2: {p.stderr}")
for i, src in enumerate((root, data)):
    check(same(src, os.path.join(out, f"pulled-disk{i}.raw")), f"raw pull: disk {i} byte-identical")
target_new, target = target, f"xapi://root@127.0.0.1:{old_port}"
old.export_fault = ("short", 1000)
bad("truncated raw body", "pulled", "after 1000 of 5242880 bytes")
old.export_fault = ("close", 1000)
bad("raw body without length cut short", "pulled", "ended after 1000 of 5242880 bytes")
target = target_new
old_srv.shutdown()

# An existing DIR is not overwritten.
p = move("pull", target, "pulled", "-o", os.path.join(d, "by-name"), *tls)
check(p.returncode == 1 and "exists" in p.stderr, f"existing DIR refused: {p.stderr}")
p = move("pull", "http://x", "pulled", "-o", os.path.join(d, "x"))
check(p.returncode == 2, "not a xapi:// target: usage error")
check(not st.violations, f"fields {st.release} does not have: {st.violations}")
print(st.summary())
srv.shutdown()
shutil.rmtree(d)
done()
