#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""References between a package's (or a pool's) objects are checked
before an xl.cfg is written: each VBD and VIF listed once, none null, a
VBD's VDI a VDI of the file and attached once, a disk VBD with a VDI, no
two disks on one device, a userdevice that is a number below 255, at
most 255 VBDs and 64 VIFs, one VM.  Each breach is one line and exit 1 with
nothing written, never an xl.cfg that xl refuses (duplicate vdev=xvda,
disks without a target, empty vif "") or a VDI downloaded N times."""
import os
import re
import subprocess

from movelib import MiB, check, done, guest_cfg, have_xl, hvkit, ova_xml, skip, sparse_image, tmpdir, xva_with_ova
from xapi_server import XapiState, serve

if not have_xl():
    skip("built without libxlutil (Debian package libxen-dev)")
HVKIT = os.environ.get("HVKIT", "build/hvkit")
d = tmpdir()
raw = os.path.join(d, "root.img")
sparse_image(raw, MiB, [(0, 4096)])
cfg = guest_cfg(d, raw)
with open(cfg, "a") as f:
    f.write('vif = [ "mac=00:16:3e:00:00:01,bridge=xenbr0" ]\n')
base = os.path.join(d, "base.xva")
hvkit("move", "export", cfg, "--to", "xva", "-o", base, "--no-progress")
ova = ova_xml(base)
ids = dict(re.findall(r"<name>class</name><value>(\w+)</value></member><member><name>id</name><value>([^<]*)<", ova))
vbd, vdi, vif = ids["VBD"], ids["VDI"], ids["VIF"]


def refs(xml, field, items):
    data = "".join(f"<value>{r}</value>" for r in items)
    return re.sub(rf"(<name>{field}</name><value><array><data>).*?(</data>)", lambda m: m.group(1) + data + m.group(2),
                  xml, count=1)


def obj(cls, ident, body):
    return (f"<value><struct><member><name>class</name><value>{cls}</value></member><member><name>id</name>"
            f"<value>{ident}</value></member><member><name>snapshot</name><value><struct>{body}"
            f"</struct></value></member></struct></value>\n")


def vbd_obj(ident, vdi_ref, userdevice, typ="Disk"):
    return obj("VBD", ident, f"<member><name>VDI</name><value>{vdi_ref}</value></member>"
               f"<member><name>userdevice</name><value>{userdevice}</value></member>"
               f"<member><name>type</name><value>{typ}</value></member>")


def add(xml, *objs):
    """objs appended to the objects array (its end is the last </data>)."""
    at = xml.rindex("</data></array>")
    return xml[:at] + "".join(objs) + xml[at:]


def package(tag, xml):
    return xva_with_ova(base, xml, os.path.join(d, f"{tag}.xva"))


def refused(tag, xml, words):
    out = os.path.join(d, f"out-{tag}")
    p = hvkit("move", "import", package(tag, xml), "--to", "xl", "-o", out, "--no-progress", ok=False)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1 and len(lines) == 1 and words in p.stderr,
          f"import {tag}: one line with '{words}': {p.returncode} {p.stderr!r}")
    check(not os.path.exists(out) and not [x for x in os.listdir(d) if x.startswith(f"out-{tag}.")],
          f"import {tag}: nothing written")


p = hvkit("move", "import", package("plain", ova), "--to", "xl", "-o", os.path.join(d, "plain"), "--no-progress",
          ok=False)
check(p.returncode == 0, f"the package as exported imports: {p.stderr}")

refused("vbd-twice", refs(ova, "VBDs", [vbd, vbd, vbd]), "twice")
refused("vbd-null", refs(ova, "VBDs", [vbd, "OpaqueRef:NULL"]), "null reference")
refused("vdi-null", add(refs(ova, "VBDs", [vbd, "Ref:90"]), vbd_obj("Ref:90", "OpaqueRef:NULL", 1)),
        "disk without a VDI")
refused("vdi-wrong-class", add(refs(ova, "VBDs", [vbd, "Ref:90"]), vbd_obj("Ref:90", vbd, 1)),
        "not a VDI")
refused("vdi-twice", add(refs(ova, "VBDs", [vbd, "Ref:90"]), vbd_obj("Ref:90", vdi, 1)),
        "another VBD attaches")
refused("same-device", add(refs(ova, "VBDs", [vbd, "Ref:90"]),
                           vbd_obj("Ref:90", "OpaqueRef:NULL", 0, "CD")), "both use device")
refused("userdevice-nan", add(refs(ova, "VBDs", [vbd, "Ref:90"]),
                              vbd_obj("Ref:90", "OpaqueRef:NULL", "1,script=/x", "CD")), "not a number")
refused("userdevice-big", add(refs(ova, "VBDs", [vbd, "Ref:90"]),
                              vbd_obj("Ref:90", "OpaqueRef:NULL", 300, "CD")), "past XAPI")
refused("vif-twice", refs(ova, "VIFs", [vif] * 3), "twice")
refused("vif-missing", refs(ova, "VIFs", [vif, "Ref:91"]), "not a VIF")
refused("vbds-1000", refs(ova, "VBDs", [f"Ref:{1000 + i}" for i in range(1000)]), "at most 255")
vm_obj = re.search(r"<value><struct><member><name>class</name><value>VM</value>.*?\n", ova).group(0)
refused("two-vms", add(ova, vm_obj.replace(">Ref:0<", ">Ref:99<")), "second VM")
refused("vifs-100000", refs(ova, "VIFs", [f"Ref:{1000 + i}" for i in range(100000)]), "at most 64")

# pull: the pool's VM has 20 VBDs on one VDI, or a userdevice that is
# not a number.
env = dict(os.environ, HVKIT_XAPI_PASSWORD="secret")
SR = "9b0a9c1e-0000-4000-8000-00000000beef"


def pool():
    st = XapiState("root", "secret", SR)
    srv, port = serve(st)
    p = subprocess.run([HVKIT, "move", "push", cfg, f"xapi://root@127.0.0.1:{port}", "--sr", SR, "--http",
                        "--no-progress"], capture_output=True, text=True, env=env)
    check(p.returncode == 0, f"push: {p.stderr}")
    return st, srv, port, p.stdout.strip()


for tag in ("vdi-twice", "userdevice-nan"):
    st, srv, port, uuid = pool()
    ref, rec = list(st.db["VBD"].items())[0]
    if tag == "vdi-twice":
        for i in range(20):
            st.new("VBD", dict(rec, userdevice=str(i + 1)))
    else:
        rec["userdevice"] = "0,script=/tmp/x"
    out = os.path.join(d, f"pull-{tag}")
    p = subprocess.run([HVKIT, "move", "pull", f"xapi://root@127.0.0.1:{port}", uuid, "-o", out, "--http",
                        "--no-progress"], capture_output=True, text=True, env=env, timeout=120)
    srv.shutdown()
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1 and len(lines) == 1, f"pull {tag}: one line, exit 1: {p.returncode} {p.stderr!r}")
    check(not os.path.exists(out), f"pull {tag}: nothing written")
done()
