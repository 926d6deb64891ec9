#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The command line as a new user meets it: help, version, usage errors
(exit 2), bad inputs (exit 1, one clear line naming the file), and inputs
that are damaged but still partly readable (warnings, what can be shown)."""
import os
import re
import shutil
import subprocess
import tempfile

from lib import DATA, HVKIT, check, done, hvkit

p = hvkit("--version")
check(p.stdout.startswith("hvkit "), "--version prints the version")
for args in (["help"], ["--help"], ["topo", "--help"], ["help", "topo"]):
    p = hvkit(*args, ok=False)
    check(p.returncode == 0 and "usage:" in p.stdout, f"{args}: help on stdout, exit 0")

for args in ([], ["frobnicate"], ["topo", "--of", "bmp"], ["topo", "--bogus"],
             ["topo", "capture"], ["topo", "extra-arg"],
             ["topo", "--sysroot", "/", "--from", "/dev/null"]):
    p = hvkit(*args, ok=False)
    check(p.returncode == 2, f"{args}: exit {p.returncode}, expected 2 (usage)")
    check(p.stderr.strip() != "", f"{args}: says why on stderr")


def one_error(args, needle):
    p = hvkit(*args, ok=False)
    errs = [l for l in p.stderr.splitlines() if "error:" in l]
    check(p.returncode == 1, f"{args}: exit {p.returncode}, expected 1")
    check(len(errs) == 1 and needle in errs[0], f"{args}: expected one error naming {needle!r}, got {p.stderr!r}")
    check("Traceback" not in p.stderr and "Sanitizer" not in p.stderr, f"{args}: crashed")
    return p


with tempfile.TemporaryDirectory() as d:
    one_error(["topo", "--from", os.path.join(d, "missing.tar.gz")], "missing.tar.gz")
    one_error(["topo", "--sysroot", os.path.join(d, "nope")], "nope")
    junk = os.path.join(d, "junk.bin")
    open(junk, "wb").write(b"\x00\x01 not anything")
    one_error(["topo", "--from", junk], "junk.bin")
    empty = os.path.join(d, "empty")
    open(empty, "wb").close()
    one_error(["topo", "--from", empty], "empty")
    # A truncated archive: libarchive's complaint, naming the file.
    src = open(os.path.join(DATA, "hwloc", "8em64t-2s2ca2c.tar.bz2"), "rb").read()
    cut = os.path.join(d, "cut.tar.bz2")
    open(cut, "wb").write(src[: len(src) // 2])
    one_error(["topo", "--from", cut], "cut.tar.bz2")
    # An empty sysroot: nothing to show is an error, not an empty tree.
    os.mkdir(os.path.join(d, "root"))
    one_error(["topo", "--sysroot", os.path.join(d, "root")], "no topology found")
    # A truncated SMBIOS dump still shows what it holds, with a warning.
    dump = open(os.path.join(DATA, "smbios", "lenovo-2347A49.dump"), "rb").read()
    half = os.path.join(d, "half.dump")
    open(half, "wb").write(dump[:1200])
    p = hvkit("topo", "--from", half, "--json", ok=False)
    check(p.returncode == 0, f"truncated dump: exit {p.returncode}, expected 0 with warnings")
    check("warning" in p.stderr, "truncated dump: a warning")
    # A lying ACPI table: length field past the end of the file.
    srat = bytearray(open(os.path.join(DATA, "acpi", "Supermicro-X8DTT", "srat.dat"), "rb").read())
    tdir = os.path.join(d, "tables")
    os.mkdir(tdir)
    srat[4:8] = (len(srat) + 4096).to_bytes(4, "little")
    open(os.path.join(tdir, "srat.dat"), "wb").write(srat)
    shutil.copy(os.path.join(DATA, "acpi", "Supermicro-X8DTT", "slit.dat"), tdir)
    p = hvkit("topo", "--from", tdir, ok=False)
    check(p.returncode == 0 and "NUMA distances" in p.stdout,
          f"lying SRAT beside a good SLIT: the SLIT is still shown (exit {p.returncode})")
    # -o writes atomically: a failed write leaves no file and no temporary.
    out = os.path.join(d, "nodir", "x.json")
    p = hvkit("topo", "--from", os.path.join(DATA, "hwloc", "2arm-2c.tar.bz2"), "-o", out, ok=False)
    check(p.returncode == 1 and "x.json" in p.stderr, "unwritable -o: exit 1 naming the file")
    good = os.path.join(d, "x.json")
    hvkit("topo", "--from", os.path.join(DATA, "hwloc", "2arm-2c.tar.bz2"), "--json", "-o", good)
    check(os.path.getsize(good) > 0 and not [f for f in os.listdir(d) if ".tmp." in f],
          "-o file written, no temporary left")
# A bad option: one "hvkit: error:" line with the hint, as git does, in
# every tool and verb (getopt itself never speaks: opterr is 0); not the
# whole help, never a raw control byte (shown as '.').
ESC = "\x1b]0;pwn\x07"
for args, msg in ((["topo", "--zzzz"], "unknown option '--zzzz' (see 'hvkit topo --help')"),
                  (["topo", "--x" + ESC], "unknown option '--x.]0;pwn.' (see 'hvkit topo --help')"),
                  (["--b" + ESC], "unknown option '--b.]0;pwn.' (see 'hvkit --help')"),
                  (["topo", "--from"], "option '--from' needs a value (see 'hvkit topo --help')"),
                  (["topo", "-o"], "option '-o' needs a value (see 'hvkit topo --help')"),
                  (["--help=x"], "option '--help' takes no value (see 'hvkit --help')"),
                  (["topo", "--io", "some"], None),
                  (["cpuid", "--zzzz"], "unknown option '--zzzz' (see 'hvkit cpuid --help')"),
                  (["cpuid", "-vZ"], "unknown option '-Z' (see 'hvkit cpuid --help')"),
                  (["sched", "status", "--zzzz"], "unknown option '--zzzz' (see 'hvkit sched --help')"),
                  (["sched", "check", "--x" + ESC], "unknown option '--x.]0;pwn.' (see 'hvkit sched --help')"),
                  (["move", "show", "--zzzz", "x"], "unknown option '--zzzz' (see 'hvkit move show --help')"),
                  (["move", "import", "-q"], "unknown option '-q' (see 'hvkit move import --help')"),
                  (["move", "pull", "--x"], "unknown option '--x' (see 'hvkit move pull --help')"),
                  (["move", "check", "--x"], "unknown option '--x' (see 'hvkit move check --help')"),
                  (["--zzzz"], "unknown option '--zzzz' (see 'hvkit --help')"),
                  # wrong argument counts of move verbs: one line, like the other tools
                  (["move", "disk", "a"], "'move disk' takes IN and OUT (1 given) (see 'hvkit move disk --help')"),
                  (["move", "info", "a", "b"], "'move info' takes one IMAGE (2 given) (see 'hvkit move info --help')"),
                  (["move", "show"], None), (["move", "pull"], None), (["move", "push"], None),
                  (["move", "push", "a", "xapi://h"], "missing --sr UUID (see 'hvkit move push --help')"),
                  # extra arguments to help and version are refused
                  (["help", "topo", "where", "extra"], "unexpected argument 'extra' for 'help' (see 'hvkit --help')"),
                  (["topo", "help", "bogus"], None), (["--version", "x"], None), (["--help", "--bogus"], None),
                  # a global option a verb would ignore is refused
                  (["--sysroot", "/nonexist", "sched", "check", "x"],
                   "'sched' does not read a system root (--sysroot); see 'hvkit --help'"),
                  (["--sysroot", "/", "move", "info", "x"], None),
                  (["--json", "sched", "run", "x"],
                   "'sched run' has no JSON output (--json); see 'hvkit sched --help'"),
                  (["--json", "move", "disk", "a", "b"], None)):
    p = hvkit(*args, ok=False)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 2 and len(lines) == 1 and lines[0].startswith("hvkit: error: ") and
          (msg is None or lines[0] == "hvkit: error: " + msg) and not p.stdout and
          not re.search(r"[\x00-\x1f\x7f]", p.stderr.strip()),
          f"{args}: one line and a hint, exit 2: {p.returncode} {p.stderr!r}")
# A libarchive without its symbols (an empty ELF of that name): capture
# fails in one line and leaves no temporary beside -o.
cc = shutil.which("cc") or shutil.which("gcc")
if not cc:
    print("skip: no C compiler to build an empty libarchive.so.13")
else:
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "e.c")
        open(src, "w").write("int hvkit_nothing;\n")
        subprocess.run([cc, "-shared", "-fPIC", "-o", os.path.join(d, "libarchive.so.13"), src], check=True)
        out = os.path.join(d, "o", "c.tar.gz")
        os.mkdir(os.path.dirname(out))
        env = dict(os.environ, LD_LIBRARY_PATH=d)
        p = subprocess.run([HVKIT, "topo", "capture", "-o", out], capture_output=True, text=True, env=env)
        check(p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1 and "libarchive13" in p.stderr
              and not os.listdir(os.path.dirname(out)),
              f"capture with an empty libarchive: {p.returncode} {p.stderr!r} {os.listdir(os.path.dirname(out))}")
# 'help bogus' is 'hvkit bogus'.
check(hvkit("help", "bogus", ok=False).stderr == hvkit("bogus", ok=False).stderr, "help bogus = bogus")
# -v after the verb, as hvkit(1) says; '-' is stdin for sched check/simulate.
conf = os.path.join(DATA, "sched", "live-example.conf")
trace = os.path.join(DATA, "sched", "trace-web1.csv")
check(hvkit("sched", "check", "-v", conf, ok=False).returncode == 0, "sched check -v")
with open(conf) as f:
    p = subprocess.run([HVKIT, "sched", "check", "-"], stdin=f, capture_output=True, text=True)
check(p.returncode == 0 and "ok" in p.stdout, f"sched check -: {p.returncode} {p.stderr!r}")
with open(trace) as f:
    p = subprocess.run([HVKIT, "sched", "simulate", conf, "-"], stdin=f, capture_output=True, text=True)
want = hvkit("sched", "simulate", conf, trace).stdout
check(p.returncode == 0 and p.stdout == want and want, f"sched simulate CONF -: {p.stderr!r}")
# A write error on stdout is exit 1 with one line, --help and --version too.
if os.path.exists("/dev/full"):
    for args in (["--help"], ["-h"], ["--version"], ["help"], ["topo", "--help"]):
        with open("/dev/full", "w") as full:
            p = subprocess.run([HVKIT, *args], stdout=full, stderr=subprocess.PIPE, text=True)
        check(p.returncode == 1 and p.stderr == "hvkit: error: write failure on standard output\n",
              f"{args} >/dev/full: {p.returncode} {p.stderr!r}")

# One front door (hv_dispatch): each tool's verbs are those its help's usage
# lines name; an unknown one is one line listing them all (exit 2, nothing
# on stdout); "TOOL help" is "TOOL --help"; every verb takes --help.
for tool in ("topo", "cpuid", "sched", "move"):
    usage = hvkit(tool, "--help").stdout
    verbs = sorted(set(re.findall(r"^\s*(?:usage: )?hvkit %s ([a-z]+)\b" % tool, usage, re.M)))
    check(len(verbs) >= 4, f"{tool}: verbs in its help: {verbs}")
    p = hvkit(tool, "frobnicate", ok=False)
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 2 and len(lines) == 1 and not p.stdout and
          all(f"{v}" in lines[0] for v in verbs) and f"see 'hvkit {tool} --help'" in lines[0],
          f"{tool} frobnicate: one line naming {verbs}, exit 2: {p.returncode} {p.stderr!r}")
    p = hvkit(tool, "help", ok=False)
    check(p.returncode == 0 and p.stdout == usage, f"{tool} help: the help, exit 0")
    for v in verbs:
        p = hvkit(tool, v, "--help", ok=False)
        check(p.returncode == 0 and "usage:" in p.stdout and not p.stderr,
              f"{tool} {v} --help: help on stdout, exit 0: {p.returncode} {p.stderr!r}")
# -v has one home: before the tool or after it, the same output.
syn = ["--synthetic", "pack:2 numa:2 core:2 pu:2 pci:2"]
a, b = hvkit("-v", "topo", *syn).stdout, hvkit("topo", "-v", *syn).stdout
check(a == b and a != hvkit("topo", *syn).stdout, "topo: -v before or after the tool, the same")
a, b = hvkit("-v", "cpuid", "models").stdout, hvkit("cpuid", "models", "-v").stdout
check(a == b, "cpuid: -v before or after the tool, the same")

# -o with an extension hvkit cannot write, or naming another format than
# --of: refused, nothing written.
with tempfile.TemporaryDirectory() as d:
    for args in (["-o", os.path.join(d, "x.jpg")],
                 ["--of", "svg", "-o", os.path.join(d, "x.png")],
                 ["--json", "-o", os.path.join(d, "x.svg")]):
        p = hvkit("topo", "--synthetic", "pack:1 core:2", *args, ok=False)
        check(p.returncode == 2 and not os.listdir(d), f"{args}: refused, exit 2: {p.returncode}")

# check, where and diff print findings and answers, not pictures: a
# picture format or extension is refused in one line, nothing written;
# a text or JSON file is written.
with tempfile.TemporaryDirectory() as d:
    tree = os.path.join(DATA, "pciutils", "tree-asus-p6t6")
    for verb in (["check"], ["where", "0000:00:00.0"], ["diff", tree, tree]):
        src = [] if verb[0] == "diff" else ["--from", tree]
        for ext in ("svg", "PNG", "pdf", "dot", "gv"):
            for args in (["-o", os.path.join(d, "y." + ext)], ["--of", ext.lower()]):
                if args[0] == "--of" and ext == "gv":
                    continue
                p = hvkit("topo", *verb, *src, *args, ok=False)
                lines = p.stderr.strip().splitlines()
                check(p.returncode == 2 and len(lines) == 1 and "not a picture" in lines[0]
                      and not p.stdout and not os.listdir(d),
                      f"{verb} {args}: exit {p.returncode}, {p.stderr!r}, {os.listdir(d)}")
        out = os.path.join(d, "y.txt")
        p = hvkit("topo", *verb, *src, "-o", out, ok=False)
        check(p.returncode in (0, 1) and os.path.getsize(out) > 0, f"{verb} -o y.txt: {p.stderr!r}")
        os.unlink(out)

# A PCI-only input: the summary and the picture's title line say what is
# known, not "0 package(s), 0 core(s), 0 B".
tree = os.path.join(DATA, "pciutils", "tree-asus-p6t6")
p = hvkit("topo", "--from", tree, "--color=never")
check(re.search(r"^Summary: 43 PCI device\(s\)$", p.stdout, re.M) and " 0 B" not in p.stdout
      and "Microcode" not in p.stdout, f"PCI-only summary: {p.stdout[-200:]!r}")
svg = hvkit("topo", "--from", tree, "--of", "svg").stdout
check(">43 PCI device(s)</text>" in svg and "package(s)" not in svg, "PCI-only picture title")
done()
