#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile input (hvkit-topo(1), INPUT FILES): what a file says never
reaches the terminal as control codes, a huge file where a small value
belongs costs one bounded read and one warning, and each error or
warning stays one line naming the file."""
import os
import subprocess
import tempfile

from lib import DATA, HVKIT, bounded_work, check, cpu_run, done

EVIL = b"\xff\xc3(\x1b[31mEVIL\x07\x1b]0;PWNED\x07\x9b2J\xc2\x9b\x7f"


def run(*args, stdin=None):
    return subprocess.run([HVKIT, *args], capture_output=True, input=stdin)


def printable(out, what):
    """No control byte but newline, and valid UTF-8."""
    bad = sorted({b for b in out if (b < 0x20 and b != 0x0a) or b == 0x7f})
    check(not bad, f"{what}: control bytes {bad} reach the terminal: {out[:300]!r}")
    try:
        text = out.decode("utf-8")
        c1 = [c for c in text if 0x80 <= ord(c) < 0xa0]
        check(not c1, f"{what}: C1 controls {c1!r} reach the terminal")
    except UnicodeDecodeError as e:
        check(False, f"{what}: not UTF-8 ({e}): {out[:300]!r}")


def write(root, path, data):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def tree(root, ncpus=2, model=b"Intel Xeon"):
    cpus = f"0-{ncpus - 1}"
    for f in ("online", "possible", "present"):
        write(root, f"/sys/devices/system/cpu/{f}", cpus + "\n")
    write(root, "/proc/meminfo", "MemTotal:       8388608 kB\n")
    write(root, "/proc/cpuinfo", b"".join(
        b"processor\t: %d\nvendor_id\t: GenuineIntel\nmodel name\t: %s\n\n" % (c, model)
        for c in range(ncpus)))
    mask = "%x\n" % ((1 << ncpus) - 1)
    for c in range(ncpus):
        t = f"/sys/devices/system/cpu/cpu{c}/topology/"
        write(root, t + "physical_package_id", "0\n")
        write(root, t + "core_id", f"{c}\n")
        write(root, t + "thread_siblings_list", f"{c}\n")
        write(root, t + "core_siblings_list", cpus + "\n")
        write(root, t + "core_siblings", mask)


with tempfile.TemporaryDirectory() as d:
    # 1. Control codes in /proc/cpuinfo, DMI strings and a dump's bytes.
    esc = os.path.join(d, "esc")
    tree(esc, model=EVIL)
    write(esc, "/sys/class/dmi/id/sys_vendor", EVIL + b"\n")
    write(esc, "/sys/class/dmi/id/product_name", b"P\x1b]0;x\x07\n")
    for args in ([], ["-v"], ["--color=never", "-v"], ["--of", "svg"]):
        p = run("topo", "--sysroot", esc, *args)
        check(p.returncode == 0, f"esc {args}: exit {p.returncode}: {p.stderr!r}")
        check(b"EVIL" in p.stdout, f"esc {args}: the string is still shown")
        printable(p.stdout, f"esc {args} stdout")
        printable(p.stderr, f"esc {args} stderr")
    write(esc, "/proc/sys/kernel/hostname", EVIL + b"\n")
    p = run("topo", "--sysroot", esc, "--json")
    try:
        import json
        json.loads(p.stdout.decode("utf-8"))
    except ValueError as e:
        check(False, f"esc --json: not JSON in UTF-8 ({e}): {p.stdout[:200]!r}")
    dump = os.path.join(d, "esc-lspci.txt")
    write(d, "esc-lspci.txt", b"00:00.0 Host bridge: Intel Corporation Device 1234\n"
          b"00: 86 80 34 12 06 00 10 20 \x1b]0;PWNED\x07\x1b[2J 00 00 00 00\n")
    p = run("topo", "--from", dump)
    check(p.returncode == 1, f"esc lspci: exit {p.returncode}")
    check(p.stderr.count(b"\n") == 1 and b"esc-lspci.txt" in p.stderr,
          f"esc lspci: one error line naming the file: {p.stderr!r}")
    printable(p.stderr, "esc lspci stderr")

    # 2. A huge file where a small value belongs: one bounded read, one
    # warning naming the file, the value treated as unreadable.  Bounded:
    # the CPU time of 9 sparse 16 GiB files against that of the same 9 at
    # just over the largest read (64 MiB), 256 times smaller (reading the
    # big ones whole takes seconds of CPU even when they are holes).
    def swollen(name, size):
        root = os.path.join(d, name)
        tree(root, ncpus=8)
        for c in range(8):
            os.truncate(os.path.join(root, f"sys/devices/system/cpu/cpu{c}/topology/core_id"), size)
        os.truncate(os.path.join(root, "proc/cpuinfo"), size)
        return root

    p, ref = cpu_run([HVKIT, "topo", "--sysroot", swollen("over", (64 << 20) + 1)])
    check(p.returncode == 0, f"the reference, 64 MiB + 1: exit {p.returncode}: {p.stderr!r}")
    p, cpu = cpu_run([HVKIT, "topo", "--sysroot", swollen("big", 16 << 30)])
    check(p.returncode == 0, f"big: exit {p.returncode}: {p.stderr!r}")
    bounded_work("big: 9 sparse 16 GiB files", cpu, ref, "the same files at 64 MiB + 1 byte")
    warns = p.stderr.decode(errors="replace").splitlines()
    for c in range(8):
        n = sum(f"cpu{c}/topology/core_id" in l and "larger than" in l for l in warns)
        check(n == 1, f"big: one warning naming cpu{c}/topology/core_id, got {n}: {warns[:3]}")
    check(sum("/proc/cpuinfo" in l and "larger than" in l for l in warns) == 1,
          f"big: one warning naming /proc/cpuinfo: {warns[:3]}")

    # 3. An archive on standard input (read once, into memory): compressed
    # or plain tar, the same as when named.
    import bz2
    snap = sorted(f for f in os.listdir(os.path.join(DATA, "hwloc")) if f.endswith(".tar.bz2"))[0]
    snap = os.path.join(DATA, "hwloc", snap)
    named = run("topo", "--from", snap)
    check(named.returncode == 0, f"{snap}: exit {named.returncode}: {named.stderr!r}")
    raw = open(snap, "rb").read()
    for what, data in (("tar.bz2", raw), ("tar", bz2.decompress(raw))):
        p = run("topo", "--from", "-", stdin=data)
        check(p.returncode == 0, f"{what} on stdin: exit {p.returncode}: {p.stderr!r}")
        check(p.stdout == named.stdout, f"{what} on stdin: not the same as {snap} named")

    # 12. -o must name what is written; capture writes .tar.gz; an empty
    # --synthetic is no machine.
    def usage(args, needle):
        p = run("topo", *args)
        err = p.stderr.decode(errors="replace")
        check(p.returncode == 2, f"{args}: exit {p.returncode}, expected 2: {err!r}")
        check(err.count("\n") == 1 and needle in err, f"{args}: one line naming {needle!r}: {err!r}")
        return p

    snapdir = tempfile.mkdtemp(dir=d)
    for args, needle in ((["-o", os.path.join(snapdir, "x.jpg")], ".png"),
                         (["--of", "svg", "-o", os.path.join(snapdir, "x.png")], "x.png"),
                         (["--json", "-o", os.path.join(snapdir, "x.svg")], "x.svg"),
                         (["capture", "-o", os.path.join(snapdir, "x.txt")], ".tar.gz"),
                         (["--synthetic", ""], "SPEC")):
        usage(["--from", snap, *args] if "--synthetic" not in args else args, needle)
    check(os.listdir(snapdir) == [], f"refused -o wrote {os.listdir(snapdir)}")
    for name, head in (("x.TXT", b"Machine"), ("x.Svg", b"<?xml"), ("x.json", b"{"),
                       ("x", b"Machine"), ("host.example.com", b"Machine")):
        f = os.path.join(snapdir, name)
        extra = ["--of", "text"] if name == "host.example.com" else []
        p = run("topo", "--from", snap, *extra, "-o", f)
        check(p.returncode == 0 and open(f, "rb").read().startswith(head),
              f"-o {name} {extra}: exit {p.returncode}, {p.stderr!r}")

    # 14. One fault repeated through an input: its first 10 warnings, then
    # one line counting the rest (a 17 MB acpidump gave 200,001 lines).
    many = os.path.join(d, "many.txt")
    write(d, "many.txt", "".join(
        f"T{i:03d} @ 0x0\n    0000: 41 41 41 41 24 00 00 00 01 00 00 00 00 00 00 00  ................\n"
        for i in range(500)))
    p = run("topo", "--from", many)
    lines = p.stderr.decode(errors="replace").splitlines()
    like = [l for l in lines if "length field says" in l]
    check(len(like) == 10, f"many: {len(like)} warnings of one kind, expected 10")
    check(any(l.endswith("many.txt: ... and 490 more like it") for l in lines),
          f"many: no count of the rest: {lines[-3:]}")
    check(len(lines) <= 13, f"many: {len(lines)} lines of messages")

    # 13. Errors and warnings of decoders name the input and a file offset.
    def messages(args):
        p = run("topo", *args)
        return p, p.stderr.decode(errors="replace").splitlines()

    dump = open(os.path.join(DATA, "smbios", "lenovo-2347A49.dump"), "rb").read()
    bad = os.path.join(d, "bad-smbios.dump")
    write(d, "bad-smbios.dump", dump[:0x21] + b"\x00" + dump[0x22:])   # first length 0
    p, lines = messages(["--from", bad])
    check(p.returncode == 1 and len(lines) == 1, f"smbios: exit {p.returncode}, {lines}")
    check(lines and "bad-smbios.dump:" in lines[0] and "offset 0x20" in lines[0],
          f"smbios: the error names the file and the file offset 0x20: {lines}")
    slit = os.path.join(d, "slit.txt")
    write(d, "slit.txt", "SLIT @ 0x0\n"
          "    0000: 53 4C 49 54 30 00 00 00 01 00 00 00 00 00 00 00\n"
          "    0010: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
          "    0020: 00 00 00 00 FF FF FF FF FF FF FF FF 0A 14 14 0A\n")
    p, lines = messages(["--from", slit])
    errs = [l for l in lines if "error:" in l]
    check(p.returncode == 1 and len(errs) == 1 and "slit.txt: SLIT:" in errs[0],
          f"slit: one error naming the file and table: {lines}")
    import tarfile
    x86 = sorted(f for f in os.listdir(os.path.join(DATA, "hwloc-x86")) if f.endswith(".tar.bz2"))[0]
    with tarfile.open(os.path.join(DATA, "hwloc-x86", x86)) as t:
        t.extractall(os.path.join(d, "x86"), filter="data")
    pu0 = [os.path.join(r, "pu0") for r, _, fs in os.walk(os.path.join(d, "x86")) if "pu0" in fs][0]
    with open(pu0, "a") as f:
        f.write("garbage here\n")
    arc = os.path.join(d, "cpuid-garbage.tar.gz")
    with tarfile.open(arc, "w:gz") as t:
        t.add(os.path.join(d, "x86"), arcname=".")
    p, lines = messages(["--from", arc])
    w = [l for l in lines if "pu0" in l]
    check(p.returncode == 0 and len(w) == 1 and "cpuid-garbage.tar.gz: " in w[0],
          f"cpuid: the warning names the archive: {lines}")

done()
