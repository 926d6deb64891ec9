#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The front door, the same for every tool (issue 15): a global option
means the same before the tool's name or after it, and one no command
uses is refused; '-' is standard input for every input and standard
output for every output of every verb; every verb that prints data
prints it as JSON; help takes -v; a typo of a tool, a verb or a long
option gets "did you mean" (git's rule); a character device is no disk
image."""
import json
import os
import re
import subprocess
import tarfile
import tempfile

from lib import FRONT_INPUTS, HVKIT, check, done, hvkit

CAPTURE, DUMP, CONF, TRACE, CFG = FRONT_INPUTS
SYN = ["--synthetic", "pack:2 numa:2 core:2 pu:2 pci:4"]


def run(*args, stdin=None, text=True):
    """hvkit with stdin from the file stdin (or nothing)."""
    f = open(stdin, "rb") if stdin else subprocess.DEVNULL
    try:
        return subprocess.run([HVKIT, *args], stdin=f, capture_output=True, text=text)
    finally:
        if stdin:
            f.close()


def one_line(p, rc, needle, what):
    lines = p.stderr.strip().splitlines()
    return check(p.returncode == rc and len(lines) == 1 and needle in lines[0] and
                 "Sanitizer" not in p.stderr,
                 f"{what}: expected exit {rc} and one line with {needle!r}, got {p.returncode} {p.stderr!r}")


# ---- global options: before the tool or after it, the same ----
with tempfile.TemporaryDirectory() as d:
    root = os.path.join(d, "root")
    os.makedirs(os.path.join(root, "proc"))
    if os.path.exists("/proc/cpuinfo"):
        open(os.path.join(root, "proc", "cpuinfo"), "w").write(open("/proc/cpuinfo").read())
    a, b = hvkit("--sysroot", root, "cpuid", ok=False), hvkit("cpuid", "--sysroot", root, ok=False)
    check(a.returncode == 0 and (a.returncode, a.stdout) == (b.returncode, b.stdout),
          f"cpuid --sysroot after the tool as before it: {a.returncode} {b.returncode} {b.stderr!r}")
    missing = os.path.join(d, "nope")
    for args in (["--sysroot", missing, "cpuid"], ["cpuid", "--sysroot", missing],
                 ["--sysroot", missing, "topo"], ["topo", "--sysroot", missing]):
        one_line(hvkit(*args, ok=False), 1, "nope", f"{args}: a missing root")
    # cpuid reads no root with --from or for models: refused, not ignored
    for args in (["cpuid", "--sysroot", root, "--from", DUMP], ["--sysroot", root, "cpuid", "models"]):
        one_line(hvkit(*args, ok=False), 2, "--sysroot", f"{args}")
for args in (["--sysroot=", "topo"], ["topo", "--sysroot="], ["--sysroot=", "cpuid"],
             ["cpuid", "--sysroot", ""]):
    one_line(hvkit(*args, ok=False), 2, "--sysroot", f"{args}: an empty --sysroot is a usage error")
# --color before topo as after it; refused before a tool that prints no colours
a, b = hvkit("--color=always", "topo", *SYN), hvkit("topo", "--color=always", *SYN)
check(a.stdout == b.stdout and "\x1b[" in a.stdout, "topo --color=always before or after the tool")
check(hvkit("--color=never", "topo", *SYN).stdout == hvkit("topo", *SYN).stdout, "--color=never topo")
for tool in ("cpuid", "sched", "move"):
    one_line(hvkit("--color", tool, "--help", ok=False), 2, "--color", f"--color {tool}")
one_line(hvkit("--color=sometimes", "topo", ok=False), 2, "sometimes", "--color=sometimes")
# --json before the tool, after it, after the verb
check(hvkit("--json", "cpuid", "--from", DUMP).stdout == hvkit("cpuid", "--from", DUMP, "--json").stdout,
      "cpuid --json before or after")
with tempfile.TemporaryDirectory() as d:
    img = os.path.join(d, "d.raw")
    with open(img, "wb") as f:
        f.truncate(1 << 20)
    a, b = hvkit("--json", "move", "info", img), hvkit("move", "info", img, "--json")
    check(a.stdout == b.stdout and json.loads(a.stdout)["virtual_size"] == 1 << 20, "move info --json before or after")

# ---- help ----
p = hvkit("help", "-v", "topo", ok=False)
check(p.returncode == 0 and p.stdout == hvkit("topo", "--help").stdout, f"help -v topo: {p.returncode} {p.stderr!r}")
p = hvkit("help", "--verbose", ok=False)
check(p.returncode == 0 and p.stdout == hvkit("--help").stdout, "help --verbose")
one_line(hvkit("help", "-x", "topo", ok=False), 2, "'-x'", "help -x")
for args in (["help", "topo", "where", "extra"], ["--version", "extra"], ["help", "-v", "topo", "where", "x"]):
    one_line(hvkit(*args, ok=False), 2, "unexpected argument", f"{args}")
# every verb's --help names -v
for tool in ("topo", "cpuid", "sched", "move"):
    usage = hvkit(tool, "--help").stdout
    for v in sorted(set(re.findall(r"^\s*(?:usage: )?hvkit %s ([a-z]+)\b" % tool, usage, re.M))):
        h = hvkit(tool, v, "--help").stdout
        check(re.search(r"(?<![\w-])-v\b", h), f"{tool} {v} --help does not mention -v")

# ---- did you mean ----
for args, want in ((["topz"], "did you mean 'topo'?"), (["cpiud"], "did you mean 'cpuid'?"),
                   (["--jsn", "topo"], "did you mean '--json'?"),
                   (["topo", "--fromm", "x"], "did you mean '--from'?"),
                   (["topo", "--sysrot", "/"], "did you mean '--sysroot'?"),
                   (["cpuid", "--nmes", "xen"], "did you mean '--names'?"),
                   (["sched", "chek", CONF], "did you mean 'check'?"),
                   (["move", "dsk"], "did you mean 'disk'?"),
                   (["move", "push", "--pasword-file", "x"], "did you mean '--password-file'?"),
                   (["move", "check", "--relase=8.2"], "did you mean '--release'?")):
    one_line(hvkit(*args, ok=False), 2, want, f"{args}")
# an abbreviation of several: named as ambiguous, with what it could be
for args, want in ((["topo", "--f", "x"], "ambiguous option '--f' (it could be '--from' or '--fail-on';"),
                   (["move", "disk", "--no", "a", "b"], "ambiguous option '--no' (it could be '--no-progress' or '--no-sync';"),
                   (["--v"], "ambiguous option '--v' (it could be '--verbose' or '--version';")):
    one_line(hvkit(*args, ok=False), 2, want, f"{args}")
check(hvkit("topo", "--co=never", *SYN, ok=False).returncode == 0, "--co: --color and --colour are one option")
# nothing near: no guess; a guess never echoes a control byte
for args in (["x"], ["frobnicate"], ["topo", "--zzzzzz"]):
    p = hvkit(*args, ok=False)
    check(p.returncode == 2 and "did you mean" not in p.stderr, f"{args}: {p.stderr!r}")
p = hvkit("topo", "--fro\x1b[2Jm", "x", ok=False)
check(p.returncode == 2 and "\x1b" not in p.stderr, f"control bytes in a typo: {p.stderr!r}")

# ---- '-': standard input for every input, standard output for every output ----
want = hvkit("topo", "--from", CAPTURE, "--json").stdout
check(run("topo", "--from", "-", "--json", stdin=CAPTURE).stdout == want, "topo --from -")
check(run("topo", "--from", CAPTURE, "--json", "-o", "-").stdout == want, "topo -o -")
p = run("topo", "diff", "-", CAPTURE, stdin=CAPTURE)
check(p.returncode == 0 and p.stdout == hvkit("topo", "diff", CAPTURE, CAPTURE).stdout, f"topo diff - B: {p.stderr!r}")
# topo capture -o -: an archive that reads back as the machine
with tempfile.TemporaryDirectory() as d:
    cap = os.path.join(d, "c.tar.gz")
    p = run("topo", "capture", "-o", "-", text=False)
    if p.returncode == 0:
        open(cap, "wb").write(p.stdout)
        check(run("topo", "--from", cap, "--json").stdout == run("topo", "--from", "-", "--json", stdin=cap).stdout
              != "", "topo capture -o -: reads back")
        check(run("topo", "--from", cap).stdout == hvkit("topo").stdout, "topo capture -o -: this machine")
    else:
        check("found nothing" in p.stderr.decode(), f"topo capture -o -: {p.stderr!r}")
    if os.path.exists("/dev/full"):
        with open("/dev/full", "wb") as full:
            p = subprocess.run([HVKIT, "topo", "capture", "-o", "-"], stdout=full, stderr=subprocess.PIPE, text=True)
        check(p.returncode == 1 and len(p.stderr.splitlines()) == 1, f"topo capture -o - >/dev/full: {p.stderr!r}")
want = hvkit("cpuid", "dump", "--from", DUMP).stdout
check(run("cpuid", "dump", "--from", "-", stdin=DUMP).stdout == want, "cpuid --from -")
check(run("cpuid", "dump", "--from", DUMP, "-o", "-").stdout == want, "cpuid -o -")
# (the answer names each host by its file: '-' for stdin)
want = hvkit("cpuid", "baseline", DUMP, DUMP).stdout.replace(DUMP, "-", 1)
check(run("cpuid", "baseline", "-", DUMP, stdin=DUMP).stdout == want, "cpuid baseline - FILE")
p = run("cpuid", "compare", "Skylake-Client", "-", stdin=DUMP)
check(p.stdout and p.stdout == hvkit("cpuid", "compare", "Skylake-Client", DUMP, ok=False).stdout.replace(DUMP, "-"),
      "cpuid compare MODEL -")
check(run("sched", "check", "-", stdin=CONF).returncode == 0, "sched check -")
want = hvkit("sched", "simulate", CONF, TRACE).stdout
check(run("sched", "simulate", CONF, "-", stdin=TRACE).stdout == want, "sched simulate CONF -")
p = run("sched", "simulate", CONF, TRACE, "-o", "-")
check(p.returncode == 0 and "<svg" in p.stdout and "GUEST" not in p.stdout and p.stdout.rstrip().endswith("</svg>"),
      f"sched simulate -o -: the plot alone: {p.stderr!r}")
check(run("move", "show", "-", stdin=CFG).stdout == hvkit("move", "show", CFG).stdout, "move show -")
check(run("move", "check", "-", "--for", "xapi", stdin=CFG).stdout.split("\n")[1:] ==
      hvkit("move", "check", CFG, "--for", "xapi", ok=False).stdout.split("\n")[1:], "move check -")
with tempfile.TemporaryDirectory() as d:
    raw = os.path.join(d, "d.raw")
    with open(raw, "wb") as f:
        f.write(os.urandom(4096) + b"\0" * 65536 + os.urandom(512))
        f.truncate(1 << 20)
    check(run("move", "info", "-", stdin=raw).stdout == hvkit("move", "info", raw).stdout, "move info -")
    for fmt in ("raw", "qcow2", "vhd", "xva"):
        out = os.path.join(d, "o." + fmt)
        hvkit("move", "disk", raw, out, "--to", fmt)
        p = run("move", "disk", raw, "-", "--to", fmt, text=False)
        check(p.returncode == 0 and (p.stdout == open(out, "rb").read() or fmt in ("vhd", "xva")),
              f"move disk IN - --to {fmt}: the same bytes as to a file ({p.returncode} {p.stderr!r})")
        if fmt in ("vhd", "xva"):   # a time and a UUID in it: the same image inside
            piped = os.path.join(d, "piped." + fmt)
            open(piped, "wb").write(p.stdout)
            back = os.path.join(d, "back.raw")
            hvkit("move", "disk", piped, back)
            check(open(back, "rb").read() == open(raw, "rb").read(), f"move disk IN - --to {fmt}: the disk inside")
        # and '-' in
        back = os.path.join(d, "in.raw")
        p = run("move", "disk", "-", back, stdin=out)
        check(p.returncode == 0 and open(back, "rb").read() == open(raw, "rb").read(),
              f"move disk - OUT from {fmt}: {p.stderr!r}")
    p = run("move", "disk", "-", "-", "--to", "qcow2", stdin=raw, text=False)
    check(p.stdout == open(os.path.join(d, "o.qcow2"), "rb").read(), "move disk - -")
    p = run("move", "export", CFG, "--to", "ova", "-o", "-", "--metadata-only", "--force", text=False)
    piped = os.path.join(d, "piped.ova")
    open(piped, "wb").write(p.stdout)
    try:
        names = tarfile.open(piped).getnames()
    except tarfile.TarError:
        names = []
    check(p.returncode == 0 and any(n.endswith(".ovf") for n in names), f"move export -o -: {names} {p.returncode}")
    p = run("move", "export", "-", "--to", "xva", "-o", os.path.join(d, "x.xva"), "--metadata-only",
            "--force", stdin=CFG)
    check(p.returncode == 0, f"move export - (GUEST.cfg on stdin): {p.stderr!r}")
    # a directory has no place on stdout: one line, nothing written
    p = run("move", "import", piped, "--to", "xl", "-o", "-")
    one_line(p, 2, "standard output", "move import -o -")
    check(not p.stdout, "move import -o -: nothing on stdout")
    # a write error on stdout: exit 1, nothing left behind
    if os.path.exists("/dev/full"):
        with open("/dev/full", "wb") as full:
            p = subprocess.run([HVKIT, "move", "disk", raw, "-"], stdout=full, stderr=subprocess.PIPE, text=True)
        check(p.returncode == 1 and "No space" in p.stderr, f"move disk IN - >/dev/full: {p.returncode} {p.stderr!r}")

# ---- "-" out with standard output closed: one line, exit 1, no spool that
# copies into itself (the unnamed temporary must never be fd 1) ----
for args in (["topo", "capture", "-o", "-"], ["move", "disk", "/dev/null", "-"],
             ["sched", "simulate", CONF, TRACE, "-o", "-"]):
    try:
        p = subprocess.run([HVKIT, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, timeout=120,
                           preexec_fn=lambda: os.close(1))
        lines = p.stderr.strip().splitlines()
        check(p.returncode == 1 and len(lines) == 1 and "Sanitizer" not in p.stderr,
              f"{args} >&-: expected exit 1 and one line, got {p.returncode} {p.stderr!r}")
    except subprocess.TimeoutExpired:
        check(False, f"{args} >&-: still running after 120 s (copying a spool into itself?)")

# ---- "-" in for move import is standard input, never a file named "-" ----
with tempfile.TemporaryDirectory() as d:
    raw = os.path.join(d, "d.raw")
    with open(raw, "wb") as f:
        f.write(os.urandom(8192))
        f.truncate(1 << 20)
    xva = os.path.join(d, "g.xva")
    hvkit("move", "disk", raw, xva, "--to", "xva")
    open(os.path.join(d, "-"), "wb").write(b"not a package\n")   # a decoy
    want = hvkit("move", "import", xva, "--to", "xl", "-o", os.path.join(d, "named"), ok=False)
    for how in ("file", "pipe"):
        out = os.path.join(d, how)
        if how == "file":
            p = subprocess.run([HVKIT, "move", "import", "-", "--to", "xl", "-o", out], cwd=d,
                               stdin=open(xva, "rb"), capture_output=True, text=True)
        else:
            cat = subprocess.Popen(["cat", xva], stdout=subprocess.PIPE)
            p = subprocess.run([HVKIT, "move", "import", "-", "--to", "xl", "-o", out], cwd=d,
                               stdin=cat.stdout, capture_output=True, text=True)
            cat.stdout.close()
            cat.wait()
        got = sorted(os.listdir(out)) if os.path.isdir(out) else []
        named = sorted(os.listdir(os.path.join(d, "named"))) if want.returncode == 0 else None
        check(want.returncode == 0 and p.returncode == 0 and len(got) == len(named) >= 2,
              f"move import - (XVA on a {how}): {p.returncode} {p.stderr!r} {got} vs {named}")
        disks = [n for n in got if not n.endswith(".cfg")]
        check(len(disks) == 1 and open(os.path.join(out, disks[0]), "rb").read() == open(raw, "rb").read(),
              f"move import - (XVA on a {how}): the disk is the one packed")
    # move info - of an XVA on a pipe describes the VM it holds, as by name
    # (it re-read the spent pipe: an empty VM, exit 0)
    named_info = hvkit("move", "info", xva, ok=False)
    cat = subprocess.Popen(["cat", xva], stdout=subprocess.PIPE)
    p = subprocess.run([HVKIT, "move", "info", "-"], stdin=cat.stdout, capture_output=True, text=True)
    cat.stdout.close()
    cat.wait()
    check(named_info.returncode == 0 and p.returncode == 0 and p.stdout == named_info.stdout
          and "disk 0:" in p.stdout, f"move info - (XVA on a pipe): {p.returncode} {p.stdout!r}")
    # a character device on standard input is no image: refused at once, not
    # read until the temporary directory is full
    for args in (["move", "info", "-"], ["move", "disk", "-", os.path.join(d, "z.raw")],
                 ["move", "import", "-", "--to", "xl", "-o", os.path.join(d, "z")]):
        try:
            p = subprocess.run([HVKIT, *args], stdin=open("/dev/zero", "rb"), capture_output=True,
                               text=True, timeout=120)
            one_line(p, 1, "character device", f"{args} </dev/zero")
        except subprocess.TimeoutExpired:
            check(False, f"{args} </dev/zero: still reading after 120 s")
    check(not os.path.exists(os.path.join(d, "z.raw")) and not os.path.exists(os.path.join(d, "z")),
          "</dev/zero: nothing written")

# ---- a character device is no disk image ----
with tempfile.TemporaryDirectory() as d:
    for args in (["move", "info", "/dev/null"], ["move", "disk", "/dev/null", os.path.join(d, "x.raw")],
                 ["move", "info", "/dev/zero"]):
        p = hvkit(*args, ok=False)
        one_line(p, 1, "character device", f"{args}")
        check(not p.stdout and not os.listdir(d), f"{args}: nothing on stdout, nothing written")
    # where the output would go is judged first, before any input is read
    p = hvkit("move", "disk", "/dev/null", "/nonexistent-dir/x.raw", ok=False)
    one_line(p, 1, "'/nonexistent-dir': No such file", "move disk /dev/null /nonexistent-dir/x.raw")

# ---- --json for every verb that prints data ----
with tempfile.TemporaryDirectory() as d:
    raw = os.path.join(d, "d.raw")
    open(raw, "wb").truncate(1 << 20)
    state = os.path.join(d, "none.state")
    for args in (["topo", *SYN], ["topo", "check", *SYN], ["topo", "where", "node0", *SYN],
                 ["topo", "diff", CAPTURE, CAPTURE],
                 ["cpuid", "--from", DUMP], ["cpuid", "decode", "--from", DUMP],
                 ["cpuid", "features", "--from", DUMP], ["cpuid", "dump", "--from", DUMP],
                 ["cpuid", "models"], ["cpuid", "model", "--from", DUMP],
                 ["cpuid", "policy", "Skylake-Client", "--for", "qemu", "--qemu", "none"],
                 ["cpuid", "baseline", DUMP], ["cpuid", "compare", "Skylake-Client", DUMP],
                 ["move", "info", raw], ["move", "show", CFG], ["move", "check", CFG, "--for", "xapi"],
                 ["sched", "check", CONF], ["sched", "simulate", CONF, TRACE],
                 ["sched", "simulate", CONF, TRACE, "--summary"]):
        p = hvkit(*args, "--json", ok=False)
        try:
            json.loads(p.stdout)
            ok = True
        except ValueError:
            ok = False
        check(ok and p.returncode in (0, 1), f"{args} --json: {p.returncode} {p.stderr[:200]!r}")
# sched simulate --json: the totals are the --summary table's
with tempfile.TemporaryDirectory():
    j = json.loads(hvkit("sched", "simulate", CONF, TRACE, "--json").stdout)
    table = hvkit("sched", "simulate", CONF, TRACE, "--summary").stdout.splitlines()[1:]
    for line, g in zip(table, j["guests"]):
        w = line.split()
        check(w[0] == g["name"] and int(w[1]) == g["ticks"] == len(g["samples"]) and
              abs(float(w[3]) - g["used_cpu_s"]) < 1e-3 and
              abs(sum(x["used"] for x in g["samples"]) * j["tick_s"] - g["used_cpu_s"]) < 1e-6,
              f"sched simulate --json against --summary: {line!r} {g['name']}")
    check(len(table) == len(j["guests"]) > 0, "sched simulate --json: a guest per table line")
one_line(hvkit("sched", "simulate", CONF, TRACE, "-o", "-", "--json", ok=False), 2, "standard output",
         "sched simulate -o - --json")

done()
