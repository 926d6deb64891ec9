#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`move show` prints a package's strings (the VM name, a disk's
reference) with newlines and control characters (C0, DEL, C1 such as
U+009B CSI; XML has no ESC) shown as '.': a package cannot forge a line ("disk 1: xvdb
/etc/shadow") or send a terminal control sequence.  --json escapes them
as JSON does."""
import json
import os
import re

from movelib import MiB, check, done, hvkit, ova_xml, sparse_image, tmpdir, xva_with_ova

d = tmpdir()
raw = os.path.join(d, "in.raw")
sparse_image(raw, MiB, [(0, 4096)])
xva = os.path.join(d, "plain.xva")
hvkit("move", "disk", raw, xva, "--to", "xva", "--no-progress")
ova = ova_xml(xva)
evil = "x&#10;disk 1: xvdb /etc/shadow raw 4194304 bytes&#13;&#x9b;2J&#x7f;end"
ova2, n = re.subn(r"(<name>name_label</name><value>)[^<]*(</value>)", lambda m: m.group(1) + evil + m.group(2), ova,
                  count=1)
check(n == 1, "the VM's name_label replaced")
spoof = xva_with_ova(xva, ova2, os.path.join(d, "spoof.xva"))
p = hvkit("move", "show", spoof, ok=False)
check(p.returncode == 0, f"show: {p.stderr}")
out = p.stdout
check(not re.search(r"[\x00-\x09\x0b-\x1f\x7f\x80-\x9f]", out), f"no control character: {out!r}")
names = [line for line in out.splitlines() if line.startswith("name: ")]
check(len(names) == 1 and "/etc/shadow" in names[0] and names[0].endswith("end"),
      f"the name is one line: {out!r}")
check(sum(line.startswith("disk 1:") for line in out.splitlines()) == 0, f"no forged disk line: {out!r}")
j = json.loads(hvkit("move", "show", "--json", spoof).stdout)
check("\n" in j["name"] and "\x9b" in j["name"], f"--json keeps the name, escaped: {j['name']!r}")
done()
