#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A lazily loaded library that lacks a function hvkit calls is refused
when it is loaded, as a missing one is (src/common/lazy.h): for each
library and a command of each tool that needs it, hvkit runs with
LD_LIBRARY_PATH naming a directory where that soname is
  - an empty file (the library cannot load: the baseline), then
  - tests/unit/fake-lazy.c: an ELF with a few of the library's names;
the second run must end as the first does (exit status, number of lines,
nothing on stdout, no output file, no signal) with one line naming the
soname, the Debian package, the file loaded and the first symbol of the
library's table (LAZY_SYMS in src/common/lazy-*.c, read here) that the
stand-in lacks.  The same command without the stand-in must not fail on
loading (the normal path; the other tests judge its results).
Skips (77) without the stand-in library (not built)."""
import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import DATA, HVKIT, check, done, skip  # noqa: E402

FAKE = os.environ.get("FAKE_LAZY_LIB")
if not FAKE or not os.path.exists(FAKE):
    skip("no stand-in library (tests/unit/fake-lazy.c, FAKE_LAZY_LIB) was built")
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "src", "common")
HVKIT = os.path.abspath(HVKIT)


def table(src, var):
    """The symbols of LAZY_SYMS(var) in src/common/src, in order."""
    text = open(os.path.join(SRC, src)).read()
    m = re.search(r"LAZY_SYMS\(" + var + r"\)\s*=\s*\{(.*?)\};", text, re.S)
    return re.findall(r"LAZY_SYM\(\s*" + var + r"\s*,\s*(\w+)\s*\)", m.group(1)) if m else []


fake = ctypes.CDLL(os.path.abspath(FAKE))


def first_missing(names):
    return next((n for n in names if not hasattr(fake, n)), None)


def installed(soname):
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        return False


# meson puts its build's folders of shared modules (tests/unit/fake-libxl.c's
# libxenlight.so.4.17) on LD_LIBRARY_PATH: the real libraries here.
os.environ.pop("LD_LIBRARY_PATH", None)
tmp = tempfile.mkdtemp(prefix="hvkit-lazy-")
try:
    # A long folder name: the line still ends with the symbol.
    lib = os.path.join(tmp, "l" * 200, "i" * 200)
    os.makedirs(lib)
    # A guest with one raw disk, its OVF export (libxml2 reads it back),
    # sched policies for the cgroup and libvirt backends.
    disk = os.path.join(tmp, "disk.img")
    with open(disk, "wb") as f:
        f.truncate(4 << 20)
    cfg = os.path.join(tmp, "g.cfg")
    open(cfg, "w").write(f'name="g"\ntype="hvm"\nmemory=512\nvcpus=1\n'
                         f'disk=["format=raw,vdev=xvda,target={disk}"]\n')
    ovfdir = os.path.join(tmp, "ovf")
    p = subprocess.run([HVKIT, "move", "export", cfg, "--to", "ovf", "-o", ovfdir],
                       capture_output=True, text=True)
    check(p.returncode == 0, f"move export --to ovf: {p.returncode} {p.stderr!r}")
    ovf = os.path.join(ovfdir, "g.ovf")
    conf = os.path.join(tmp, "s.conf")
    open(conf, "w").write("guest web (cgroup:/x.slice) { cap 50% }\n")
    lvconf = os.path.join(tmp, "lv.conf")
    open(lvconf, "w").write("guest web (libvirt:web) { cap 50% }\n")
    out = os.path.join(tmp, "out")
    sr = "00000000-0000-0000-0000-000000000000"
    xml = os.path.join(DATA, "cpuid", "libvirt-9.0", "x86_64-cpuid-Xeon-W3520-host.xml")
    state = os.path.join(tmp, "state")
    cases = [
        # soname, package, lazy-*.c, LAZY_SYMS var, command, output it must not leave
        ("libcairo.so.2", "libcairo2", "lazy-cairo.c", "cairo",
         ["topo", "--synthetic", "pack:1 core:2", "-o", os.path.join(out, "t.png")], "t.png"),
        ("libarchive.so.13", "libarchive13", "lazy-archive.c", "archive",
         ["topo", "capture", "-o", os.path.join(out, "c.tar.gz")], "c.tar.gz"),
        ("libxml2.so.2", "libxml2", "lazy-xml2.c", "xml2", ["cpuid", "--from", xml], None),
        ("libxml2.so.2", "libxml2", "lazy-xml2.c", "xml2",
         ["move", "import", ovf, "--to", "xl", "-o", os.path.join(out, "imp")], "imp"),
        ("libxlutil.so.4.17", "libxenmisc4.17", "lazy-xen.c", "xlutil", ["move", "show", cfg], None),
        ("libxenlight.so.4.17", "libxenmisc4.17", "lazy-xen.c", "lazy_xenlight",
         ["move", "show", cfg], None),
        ("libblkid.so.1", "libblkid1", "lazy-blkid.c", "blkid",
         ["move", "check", cfg, "--for", "xapi"], None),
        ("libcurl.so.4", "libcurl4", "lazy-curl.c", "curl",
         ["move", "push", cfg, "xapi://127.0.0.1:1", "--sr", sr], None),
        ("libcurl.so.4", "libcurl4", "lazy-curl.c", "curl",
         ["sched", "run", conf, "--state", "etcd://127.0.0.1:1/hvkit", "--ticks", "1",
          "--cgroup-root", os.path.join(tmp, "cg")], None),
        ("libvirt.so.0", "libvirt0", "lazy-libvirt.c", "lazy_libvirt",
         ["sched", "run", lvconf, "--backend", "libvirt:test:///default", "--state", state,
          "--ticks", "1"], None),
    ]
    env = dict(os.environ, LD_LIBRARY_PATH=lib)
    for soname, pkg, src, var, args, made in cases:
        names = table(src, var)
        what = f"{soname} ({' '.join(args[:2])})"
        if not check(names, f"{what}: no LAZY_SYMS({var}) in {src}"):
            continue
        sym = first_missing(names)
        check(sym is not None and sym != names[-1] or len(names) == 1,
              f"{what}: the stand-in lacks a symbol of the table, not only the last ({sym})")
        # The normal path: the real library loads (whatever the command
        # then makes of its input).
        p = subprocess.run([HVKIT, *args], capture_output=True, text=True, timeout=120)
        if "built without" in p.stderr or "needs libxlutil" in p.stderr:
            print(f"{what}: hvkit was built without it, not judged: {p.stderr.strip()}")
            continue
        if f"cannot load {soname}" in p.stderr and not installed(soname):
            print(f"{what}: {soname} is not installed here, not judged: {p.stderr.strip()}")
            continue
        check("cannot load" not in p.stderr and p.returncode >= 0,
              f"{what}: the installed libraries load: {p.returncode} {p.stderr!r}")
        shutil.rmtree(out, ignore_errors=True)
        runs = []
        for kind in ("empty", "stand-in"):
            path = os.path.join(lib, soname)
            if kind == "empty":
                open(path, "w").close()
            else:
                shutil.copyfile(FAKE, path)
            os.makedirs(out, exist_ok=True)
            p = subprocess.run([HVKIT, *args], capture_output=True, text=True, env=env, timeout=120)
            left = os.listdir(out)
            shutil.rmtree(out)
            os.unlink(path)
            runs.append((p, left))
        (base, base_left), (p, left) = runs
        lines = p.stderr.strip().splitlines()
        said = [ln for ln in lines if f"cannot load {soname}" in ln]
        want = (f"cannot load {soname} (Debian package {pkg}): "
                f"{os.path.join(lib, soname)} has no {sym} (too old?)")
        check(base.returncode > 0 and f"cannot load {soname} (Debian package {pkg})" in base.stderr,
              f"{what}: the empty library is refused: {base.returncode} {base.stderr!r}")
        check(p.returncode == base.returncode,
              f"{what}: exit {p.returncode}, as for a missing library ({base.returncode}): {p.stderr!r}")
        check(len(said) == 1 and said[0].startswith("hvkit: error: ") and said[0].endswith(want),
              f"{what}: one line naming {soname}, {pkg}, the file and {sym}: {p.stderr!r}")
        check(len(lines) == len(base.stderr.strip().splitlines()),
              f"{what}: as many lines as for a missing library: {p.stderr!r} / {base.stderr!r}")
        check(not p.stdout and not base.stdout, f"{what}: nothing on stdout: {p.stdout[:200]!r}")
        check(not left and not base_left, f"{what}: no output left: {left} {base_left}")
        print(f"{what}: {said[0] if said else p.stderr.strip()}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

# Every wrapper a lazy-*.c defines is in its library's table (else its
# pointer would never be set): the generator's own check.
gen = os.path.join(SRC, "..", "..", "scripts", "gen-lazy.py")
srcs = sorted(os.path.join(SRC, f) for f in os.listdir(SRC) if re.match(r"lazy-.*\.c$", f))
p = subprocess.run([sys.executable, gen, "--check", *srcs], capture_output=True, text=True)
check(p.returncode == 0 and len(srcs) >= 7, f"gen-lazy.py --check: {p.stdout}{p.stderr}")
done()
