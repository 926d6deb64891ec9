#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The default I/O filter against lstopo 2.9's, run in the same test on
every hwloc snapshot with PCI devices (HWLOC_FSROOT on the extracted
tree, lstopo's default filters): the set of PCI functions and bridges
(by address) that `hvkit topo` shows in its text tree equals the set
lstopo-no-graphics keeps, apart from the named rules of iofilter.h:
  os-device      hvkit keeps a function with an OS device whatever its
                 class (lstopo hangs the OS device elsewhere);
  degraded-link  hvkit keeps a function whose link is degraded;
  bus-range      lstopo hangs a device under the bridge whose bus range
                 holds it where sysfs puts it elsewhere (the Lewisburg
                 PCH's 37c0 switch over 0000:60 of 32intel64-2p8co2t+8ve):
                 such a bridge is kept by lstopo for devices hvkit shows
                 under another parent, and hidden by hvkit;
  domain32       lstopo 2.9 as Debian builds it drops functions in PCI
                 domains above ffff (2pa-pcidomain32bits: its vda hangs
                 off the machine); hvkit shows them by the rules above.
Every function hvkit hides is counted in the fold line of its own bus
("... N functions on bus B": one line per bus, a hidden bridge's functions
below it on their bus), and `--io all` shows all of them.  The persistent-memory
block and DAX devices lstopo shows off the PCI tree (subtypes NVM and,
for soft-reserved memory, SPM) are the ones hvkit shows (under their
NUMA node).  Then the same on the Dell
snapshot with seeded shown functions made USB controllers (HVKIT_SEED
replays a seed), which hides whole bridges and their subtrees."""
import glob
import os
import random
import re
import subprocess
import tarfile
import tempfile
import xml.etree.ElementTree as ET

from lib import DATA, check, done, hvkit, need, topo_json, walk

need("lstopo-no-graphics", "hwloc")


def nvm_devices(xml):
    """lstopo's NVM and SPM OS devices: name -> the PUs of the object above."""
    out = {}

    def visit(el, cpuset):
        cs = el.get("cpuset", cpuset)
        for k in el.findall("object"):
            if k.get("type") == "OSDev" and k.get("subtype") in ("NVM", "SPM"):
                out[k.get("name")] = cs
            visit(k, cs)
    visit(ET.fromstring(xml), None)
    return out


def lstopo_pci(root):
    env = dict(os.environ, HWLOC_FSROOT=root, HWLOC_COMPONENTS="-x86")
    xml = subprocess.run(["lstopo-no-graphics", "--of", "xml"], env=env,
                         capture_output=True, text=True, check=True).stdout
    shown, below = set(), {}
    nvm = nvm_devices(xml)
    for o in ET.fromstring(xml).iter("object"):
        busid = o.get("pci_busid")
        if busid and o.get("type") in ("PCIDev", "Bridge") and \
                o.get("bridge_type", "1-1") != "0-1":
            shown.add(busid)
            below[busid] = {k.get("pci_busid") for k in o.iter("object")
                            if k is not o and k.get("pci_busid")}
    return shown, below, nvm


def hvkit_pci(args):
    text = hvkit("topo", "--color=never", *args).stdout
    shown = set(re.findall(r"^\s*(?:PCI|PCIBridge) ([0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])",
                           text, re.M))
    folds = re.findall(r"^\s*\.\.\. (\d+) functions? on bus ([0-9a-f]+:[0-9a-f]{2})", text, re.M)
    buses = [b for _, b in folds]
    check(len(buses) == len(set(buses)), f"{args}: a bus in two fold lines: {sorted(buses)}")
    return shown, {b: int(n) for n, b in folds}


def compare(name, args, root, objs):
    """The checks above on one input: args for hvkit, root for lstopo."""
    pci = {o["address"]: o for o in objs
           if o["type"] in ("pci_device", "pci_bridge") and not o.get("host_bridge")}
    want, below, nvm = lstopo_pci(root)
    ours_nvm = {}
    for o in objs:
        if o["type"] == "numa_node":
            for k in o["children"]:
                if k["type"] == "os_device":
                    ours_nvm[k["name"]] = o["os_index"]
    if nvm or ours_nvm:
        check(set(nvm) == set(ours_nvm), f"{name}: NVM/SPM devices: lstopo {sorted(nvm)}, "
              f"hvkit {sorted(ours_nvm)}")
        print(f"{name}: {len(ours_nvm)} NVM/SPM devices, as lstopo")
    if not pci:
        return False
    got, folds = hvkit_pci(args)
    folded = sum(folds.values())
    check(len(got) + folded == len(pci),
          f"{name}: {len(got)} shown + {folded} folded != {len(pci)} functions")
    # Each fold line counts the hidden functions of its own bus, a hidden
    # bridge's secondary bus apart.
    hidden = {}
    for a in set(pci) - got:
        hidden.setdefault(a.rsplit(":", 1)[0], set()).add(a)
    check({b: len(v) for b, v in hidden.items()} == folds,
          f"{name}: fold lines {folds}, hidden functions by bus "
          f"{ {b: sorted(v) for b, v in hidden.items() if len(v) != folds.get(b)} }")
    extra = got - want
    n_domain32 = 0
    for a in sorted(extra):
        o = pci[a]
        has_os = any(k["type"] == "os_device" for k in o["children"])
        domain32 = len(a.split(":")[0]) > 4
        n_domain32 += domain32 and not has_os
        check(has_os or domain32, f"{name}: hvkit shows {a} ({o.get('class_name')}), lstopo does "
              "not, and no rule says why")
    missing = want - got
    def subtree(a):
        return {k.get("address") for k in walk(pci[a])} - {a} if a in pci else set()
    by_range = {a for a in missing if below.get(a) and below[a] - missing <= got
                and not subtree(a) & got}
    check(not missing - by_range,
          f"{name}: lstopo shows {sorted(missing - by_range)}, hvkit hides them")
    all_shown, all_folded = hvkit_pci([*args, "--io", "all"])
    check(all_shown == set(pci) and not all_folded,
          f"{name}: --io all shows {len(all_shown)} of {len(pci)} functions")
    print(f"{name}: {len(got)} shown (lstopo {len(want)}), {folded} folded in {len(folds)} lines, "
          f"{len(extra) - n_domain32} by rule os-device, {n_domain32} by rule domain32, {len(by_range)} by rule bus-range")
    return True


compared = 0
for tb in sorted(glob.glob(os.path.join(DATA, "hwloc", "*.tar.bz2"))):
    name = os.path.basename(tb)[:-len(".tar.bz2")]
    objs = list(walk(topo_json("--from", tb)["topology"]))
    with tarfile.open(tb) as tf:
        io = any("/sys/bus/pci/devices/" in n or "/ndbus" in n for n in tf.getnames())
    if not io:
        check(not any(o["type"] in ("pci_device", "pci_bridge") for o in objs),
              f"{name}: PCI devices from a tree without any")
        continue
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["tar", "xjf", tb, "-C", d], check=True)
        (top,) = os.listdir(d)
        compared += compare(name, ["--from", tb], os.path.join(d, top), objs)
check(compared >= 3, f"only {compared} snapshots with PCI devices")

# Generated: the Dell snapshot with shown functions turned into USB
# controllers (a class neither tool keeps), so that bridges are hidden with
# their whole subtree and the fold lines must name each function's own bus.
seed = int(os.environ.get("HVKIT_SEED", random.randrange(1 << 30)))
rng = random.Random(seed)
tb = os.path.join(DATA, "hwloc", "32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2")
for round_ in range(4):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["tar", "xjf", tb, "-C", d], check=True)
        (top,) = os.listdir(d)
        root = os.path.join(d, top)
        classes = sorted(os.path.join(dp, "class") for dp, _, fs in os.walk(os.path.join(root, "sys/devices"))
                         if "class" in fs and re.search(r"/[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$", dp))
        leaves = [c for c in classes if open(c).read().strip()[:4] not in ("0x06", "0x08")]
        # round 0: the VGA behind two bridges (00:1c.0 > 04:00.0 > 05:00.0)
        picks = [c for c in leaves if "0000:05:00.0/class" in c] if round_ == 0 else \
            rng.sample(leaves, rng.randint(1, len(leaves)))
        for c in picks:      # sysfs's class and the config space's (hvkit reads that)
            with open(c, "w") as f:
                f.write("0x0c0330\n")
            cfg = os.path.join(os.path.dirname(c), "config")
            if os.path.exists(cfg) and os.path.getsize(cfg) >= 12:
                with open(cfg, "r+b") as f:
                    f.seek(9)
                    f.write(bytes([0x30, 0x03, 0x0c]))
        objs = list(walk(topo_json("--sysroot", root)["topology"]))
        if not compare(f"Dell, seed {seed} round {round_} ({len(picks)} made USB)",
                       ["--sysroot", root], root, objs):
            check(False, f"seed {seed}: no PCI functions left")
done()
