#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Feature MSRs (0x10a ARCH_CAPABILITIES) that CPUID enumerates but the data
has no value for: their bits are said to be unknown, not absent.
  - the Emerald Rapids KVM guest's dump (no MSR could be read there): the
    summary and its JSON say so, and `compare` explains each such bit as
    unknown, TSX as microcode's doing, and tsx-ldtrk by its prerequisite;
  - a libvirt dump with the MSR's value: nothing unknown, the bits come
    from the value;
  - live: when this CPU enumerates the MSR, a stand-in for /dev/cpu/0/msr
    (HVKIT_CPUID_MSR_DEV) is read and its bits appear; skipped, and said,
    when it does not."""
import json
import os
import subprocess
import tempfile

from cpuidlib import CPUID_DATA, cpuid_json
from lib import HVKIT, check, done, hvkit

emr = os.path.join(CPUID_DATA, "hosts", "xeon-emr-kvm.dump")
j = cpuid_json("--from", emr)
check(j["msrs_unread"] == ["0x10a"], f"EMR: msrs_unread {j.get('msrs_unread')}")
text = hvkit("cpuid", "--from", emr).stdout
check("msr:         0x10a ARCH_CAPABILITIES: enumerated, not read" in text and "(the data has no value for it)" in text, text)

p = hvkit("cpuid", "compare", "--json", "SapphireRapids-v3", emr, ok=False)
c = json.loads(p.stdout)
why = {x["feature"]: x["why"] for x in c["hosts"][0]["culprits"]}
check(p.returncode == 1 and not c["hosts"][0]["runs"], "EMR cannot run SapphireRapids-v3 as dumped")
for f in ("rdctl-no", "mds-no", "taa-no", "sbdr-ssdp-no"):
    check(why.get(f, "").startswith("not known: CPUID says MSR 0x10a (ARCH_CAPABILITIES) exists"), f"{f}: {why.get(f)}")
check("TSX" in why.get("hle", ""), f"hle: {why.get('hle')}")
check(why.get("tsx-ldtrk") == "present, but it needs rtm, which this host lacks", f"tsx-ldtrk: {why.get('tsx-ldtrk')}")

icx = os.path.join(CPUID_DATA, "libvirt", "x86_64-cpuid-Ice-Lake-Server.xml")
j = cpuid_json("--from", icx)
feats = set(cpuid_json("features", "--from", icx)["features"])
check(j["msrs_unread"] == [] and "rdctl-no" in feats, f"Ice Lake (MSR in the dump): unread {j['msrs_unread']}, rdctl-no {'rdctl-no' in feats}")

live = set(cpuid_json("features")["features"])
if "arch-capabilities" in live:
    with tempfile.TemporaryDirectory() as d:
        dev = os.path.join(d, "msr")
        with open(dev, "wb") as f:
            f.seek(0x10a)
            f.write((1 << 0 | 1 << 5).to_bytes(8, "little"))  # RDCL_NO, MDS_NO
        env = dict(os.environ, HVKIT_CPUID_MSR_DEV=dev)

        def run(*args):
            return json.loads(subprocess.run([HVKIT, "cpuid", *args, "--json"], env=env, check=True,
                                             capture_output=True, text=True).stdout)
        feats = set(run("features")["features"])
        check({"rdctl-no", "mds-no"} <= feats and "taa-no" not in feats, f"live with a stand-in MSR: {sorted(feats)}")
        check(run()["msrs_unread"] == [], "live: the MSR was read")
else:
    print("SKIP part: this CPU does not enumerate ARCH_CAPABILITIES (CPUID.7:EDX[29]): the live read is not tried")
done()
