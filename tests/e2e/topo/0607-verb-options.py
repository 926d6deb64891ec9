#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""topo and cpuid parse their options before the verb; each verb takes
only those its line of the command table names (hv_cmd.opts): another
is one line and exit 2, nothing written, before the tool's name or after
it, with --help too; 'TOOL VERB --help' lists only the verb's usage and
options (what shell completion offers).  move export and import share a
parser and refuse each other's options."""
import os
import re
import tempfile

from lib import DATA, check, done, hvkit

CAPTURE = os.path.join(DATA, "captures", "h100-vm.tar.gz")


def refused(args, needle):
    p = hvkit(*args, ok=False)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 2 and len(lines) == 1 and needle in lines[0] and not p.stdout,
          f"{args}: one line naming {needle!r}, exit 2: {p.returncode} {p.stderr!r}")


with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "c.tar.gz")
    # capture writes an archive: --of svg was silently ignored
    refused(["topo", "capture", "-o", out, "--of", "svg"], "--of goes with")
    refused(["topo", "--of", "svg", "capture", "-o", out], "--of goes with")
    refused(["topo", "capture", "-o", out, "--of", "svg", "--help"], "--of goes with")
    refused(["--json", "topo", "capture", "-o", out], "--json")
    refused(["topo", "capture", "-o", out, "--io", "all"], "--io goes with")
    refused(["topo", "where", "node0", "--from", CAPTURE, "--fail-on", "info"],
            "--fail-on goes with 'check'")
    refused(["topo", "diff", CAPTURE, CAPTURE, "--keep-serials"], "--keep-serials goes with")
    refused(["topo", "diff", CAPTURE, CAPTURE, "--colour=always"], "--color goes with")
    refused(["--sysroot", "/", "topo", "diff", CAPTURE, CAPTURE], "--sysroot")
    # an abbreviation is named in full
    refused(["topo", "check", "--from", CAPTURE, "--keep"], "--keep-serials goes with")
    refused(["topo", "check", "--from", CAPTURE, "-vo", out, "--io", "all"], "--io goes with")
    check(not os.listdir(d), f"nothing written: {os.listdir(d)}")
refused(["cpuid", "models", "--view", "kernel"], "--view goes with")
refused(["cpuid", "models", "--for", "xl"], "--for goes with 'model', 'policy' and 'baseline'")
refused(["cpuid", "dump", "--qemu", "none"], "--qemu goes with")
refused(["cpuid", "compare", "Haswell", "x.dump", "--guest-max", "f"], "--guest-max goes with")
refused(["cpuid", "-r"], "--raw goes with 'decode'")
# what a verb takes still works, before the verb or after it
p = hvkit("topo", "--from", CAPTURE, "check", "--fail-on", "none", "--json")
check(p.returncode == 0 and p.stdout.startswith("{"), f"topo --from X check --fail-on none --json: {p.stderr!r}")
p = hvkit("cpuid", "--names", "linux", "models")
check(p.returncode == 0 and p.stdout, f"cpuid --names linux models: {p.stderr!r}")

# move export and import: one parser, each its own options
with tempfile.TemporaryDirectory() as d:
    cfg = os.path.join(DATA, "move", "xlcfg", "test-fullvirt-nestedhvm.cfg")
    refused(["move", "export", cfg, "--to", "xva", "-o", os.path.join(d, "g.xva"),
             "--allow-setting", "pci"], "--allow-setting does not go with 'move export'")
    refused(["move", "import", os.path.join(d, "none.xva"), "--to", "xl", "-o", os.path.join(d, "o"),
             "--gzip"], "--gzip does not go with 'move import'")
    check(not os.listdir(d), f"move: nothing written: {os.listdir(d)}")

# TOOL VERB --help: the verb's usage lines and its options, no other's
for tool, verb, has, hasnot in (
        ("topo", "capture", ["--keep-serials", "--from", "--output"], ["--of", "--fail-on", "--io"]),
        ("topo", "check", ["--fail-on", "--json"], ["--keep-serials", "--io", "--color"]),
        ("cpuid", "models", ["--names", "--json"], ["--for", "--qemu", "--view", "--from"]),
        ("cpuid", "policy", ["--for", "--qemu", "--guest-max"], ["--raw", "--names"])):
    p = hvkit(tool, verb, "--help")
    opts = set(re.findall(r"^  (?:-\w, )?(--[a-z-]+)", p.stdout, re.M))
    usage = [l for l in p.stdout.split("\n\n")[0].splitlines()]
    check(p.returncode == 0 and usage[0].startswith(f"usage: hvkit {tool} {verb}") and
          not any(re.match(r"\s*hvkit ", l) for l in usage[1:]) and
          set(has) <= opts and not set(hasnot) & opts,
          f"{tool} {verb} --help: its usage and options {sorted(opts)}, usage {usage}")
# sched's verbs parse their own options: each --help is that verb's
# usage and its paragraph of 'sched --help', not the whole tool's text
whole = hvkit("sched", "--help").stdout
for verb, mine, others in (("check", "validate CONF", ["--tick", "--state"]),
                           ("run", "--knob-every", ["simulate", "--prometheus", "--summary"]),
                           ("status", "--prometheus", ["--tick", "--summary"]),
                           ("simulate", "--summary", ["--state", "--prometheus"])):
    p = hvkit("sched", verb, "--help")
    usage = p.stdout.split("\n\n")[0].splitlines()
    check(p.returncode == 0 and p.stdout != whole and usage[0].startswith(f"usage: hvkit sched {verb} ") and
          not any(re.match(r"\s*hvkit ", l) for l in usage[1:]) and mine in p.stdout and
          not [o for o in others if o in p.stdout] and
          p.stdout == hvkit("help", "sched", verb).stdout == hvkit("sched", "--help", verb).stdout,
          f"sched {verb} --help: its usage and paragraph alone, as 'help sched {verb}': {p.stdout!r}")
# 'hvkit --help TOOL [VERB]' is 'hvkit help TOOL [VERB]' (as git's)
for args in (["topo"], ["topo", "capture"], ["sched", "run"], ["move", "disk"], ["cpuid", "policy"]):
    p, q = hvkit("--help", *args, ok=False), hvkit("help", *args, ok=False)
    check(p.returncode == 0 and p.stdout and (p.stdout, p.stderr) == (q.stdout, q.stderr),
          f"hvkit --help {' '.join(args)}: as 'hvkit help {' '.join(args)}' ({p.returncode} {p.stderr!r})")
p, q = hvkit("--help", "topo", "bogus", ok=False), hvkit("help", "topo", "bogus", ok=False)
check(p.returncode == 2 and not p.stdout and (p.stderr, p.returncode) == (q.stderr, q.returncode),
      f"hvkit --help topo bogus: exit 2 as 'help topo bogus' ({p.returncode} {p.stderr!r})")
p, q = hvkit("topo", "--help"), hvkit("topo", "bogus", "--help", ok=False)
check(p.returncode == 0 and "--fail-on" in p.stdout and "--keep-serials" in p.stdout,
      "topo --help: every option, as before")
# a word that is no verb is no verb with --help either: as 'help topo bogus'
r = hvkit("help", "topo", "bogus", ok=False)
check(q.returncode == 2 and not q.stdout and "unknown topo command 'bogus'" in q.stderr and
      (r.returncode, r.stderr) == (q.returncode, q.stderr),
      f"topo bogus --help: exit 2 as 'help topo bogus', got {q.returncode} {q.stderr!r}")
done()
