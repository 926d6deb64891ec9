#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A dump made by `hvkit cpuid dump` in the Xen box's PV dom0 (Xen 4.17 on
QEMU TCG; xen-4.17-pv-dom0.dump): read back, it says Xen and PV, and
decode names Xen's leaves."""
import os

from cpuidlib import CPUID_DATA, cpuid_json
from lib import check, done, hvkit

dump = os.path.join(CPUID_DATA, "xen-4.17-pv-dom0.dump")
j = cpuid_json("--from", dump)
check(j["hypervisor"] == {"present": True, "signature": "XenVMMXenVMM", "xen_version": "4.17"},
      f"summary: {j['hypervisor']}")
text = hvkit("cpuid", "--from", dump).stdout
check("hypervisor:  XenVMMXenVMM (Xen 4.17), in a PV domain" in text, text)
d = cpuid_json("decode", "--from", dump)
leaves = {l["leaf"]: l for l in d["leaves"]}
check(leaves[0x40000001]["name"] == "Xen version" and leaves[0x40000001]["fields"] ==
      {"xen_major": 4, "xen_minor": 17}, f"0x40000001: {leaves.get(0x40000001)}")
check(leaves[0x40000002]["fields"]["hypercall_pages"] == 1, "0x40000002 hypercall pages")
check(leaves[0x40000005]["fields"]["machine_address_bits"] == 31, "0x40000005 PV features")
done()
