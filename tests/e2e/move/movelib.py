# SPDX-License-Identifier: MIT
"""Helpers of the hvkit move end-to-end tests: images built on the fly."""
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "topo"))
from lib import DATA, HVKIT, bounded_work, check, cpu_run, done, hvkit, need, skip  # noqa: E402,F401

MiB = 1 << 20


def tmpdir():
    return tempfile.mkdtemp(prefix="hvkit-move-")


def sparse_image(path, size, extents, seed=1):
    """A sparse file of `size` bytes with random data at (offset, length)."""
    rnd = random.Random(seed)
    with open(path, "wb") as f:
        f.truncate(size)
        for off, length in extents:
            f.seek(off)
            f.write(rnd.randbytes(length))


def run(*cmd):
    p = subprocess.run(list(cmd), capture_output=True, text=True)
    return p


def same(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


# Virtual sizes that are whole sectors but not whole VHD blocks, CHS-exact
# or not, and extents at block edges, inside blocks and at the very end.
CASES = [
    ("small", 5 * MiB + 512, [(0, 512), (2 * MiB - 512, 1024), (5 * MiB, 512)]),
    ("chs-inexact", 100 * MiB, [(10 * MiB, 3 * MiB), (150001 * 512, 1536),
                                (100 * MiB - 4096, 4096)]),
    ("odd", 33 * MiB + 7 * 512, [(MiB + 100, 5000), (33 * MiB, 7 * 512)]),
    ("empty", 64 * MiB, []),
]


def have_xl():
    """Whether this build reads and writes xl.cfg (libxlutil)."""
    return "libxlutil" not in hvkit("move", "show", "--json", "/dev/null", ok=False).stderr


def guest_cfg(d, raw, name="g"):
    """An xl.cfg in d of one guest with the raw disk `raw`; its path."""
    cfg = os.path.join(d, f"{name}.cfg")
    with open(cfg, "w") as f:
        f.write(f'name = "{name}"\nmemory = 64\ndisk = [ "format=raw,vdev=xvda,access=rw,target={raw}" ]\n')
    return cfg


def put(path, data=""):
    """Writes text to path; the path."""
    with open(path, "w") as f:
        f.write(data)
    return path


def ova_xml(xva):
    """The ova.xml of an XVA, as text."""
    import tarfile
    with tarfile.open(xva) as t:
        return t.extractfile("ova.xml").read().decode()


def xva_with_ova(xva, xml, path):
    """Writes to path the XVA xva with its ova.xml replaced by xml."""
    import io
    import tarfile
    with tarfile.open(xva) as src, tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if m.name == "ova.xml":
                data = xml.encode()
                m = tarfile.TarInfo("ova.xml")
                m.size = len(data)
            t.addfile(m, io.BytesIO(data))
    return path
