#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""xl.cfg read by libxlutil into the VM model (hvkit move show --json),
checked against the values the libvirt fixtures set."""
import json
import os
import shutil

from movelib import DATA, check, done, hvkit, skip, tmpdir

X = os.path.join(DATA, "move", "xlcfg")
p = hvkit("move", "show", "--json", os.path.join(X, "test-vif-rate.cfg"), ok=False)
if p.returncode != 0 and "libxlutil" in p.stderr:
    skip("built without libxlutil (Debian package libxen-dev)")

j = json.loads(p.stdout)
check(j["name"] == "XenGuest2" and j["uuid"] == "c7a5fdb2-cdaf-9455-926a-d65c16db1809", "name, uuid")
check(j["memory_mib"] == 394 and j["maxmem_mib"] == 579 and j["vcpus"] == 1, "memory, vcpus")
check(j["type"] == "hvm" and j["boot_order"] == "d", "hvm, boot d")
check(j["viridian"] is False and j["pae"] is True, "platform flags")
check([dk["vdev"] for dk in j["disks"]] == ["hda", "hdb", "hdc"], f"disks {j['disks']}")
check(j["disks"][1]["format"] == "qcow2" and j["disks"][2]["kind"] == "cdrom"
      and j["disks"][2]["readonly"], "disk format, cdrom, ro")
check(j["nics"] == [{"mac": "00:16:3e:66:92:9c", "bridge": "xenbr1", "model": "e1000",
                     "rate": "10240KB/s", "extra": "script=vif-bridge"}], f"nic {j['nics']}")

j = json.loads(hvkit("move", "show", "--json", os.path.join(X, "test-paravirt-maxvcpus.cfg")).stdout)
check(j["type"] == "pv" and j["maxvcpus"] > j["vcpus"], f"pv maxvcpus {j}")
j = json.loads(hvkit("move", "show", "--json", os.path.join(X, "test-fullvirt-nestedhvm.cfg")).stdout)
check(j.get("nestedhvm") is True, "nestedhvm")
j = json.loads(hvkit("move", "show", "--json", os.path.join(X, "test-fullvirt-hpet-timer.cfg")).stdout)
check(j.get("hpet") is True, f"hpet {j.get('hpet')}")

# A syntax error: file:line from Xen's parser, exit 1.
d = tmpdir()
bad = os.path.join(d, "bad.cfg")
with open(bad, "w") as f:
    f.write('name = "x"\nmemory = 512\nvcpus = = 2\n')
p = hvkit("move", "show", bad, ok=False)
check(p.returncode == 1 and f"{bad}': line 3: config parsing error" in p.stderr and p.stderr.count("bad.cfg") == 1,
      f"syntax error names the file once and line 3: {p.stderr}")
shutil.rmtree(d)
done()
