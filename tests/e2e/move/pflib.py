# SPDX-License-Identifier: MIT
"""Crafted guests for the `hvkit move check` tests: ext4 images built with
mke2fs -d (no mount), disks with sfdisk's MBR or GPT tables, cfgs, and
check's JSON report."""
import json
import os
import shutil
import subprocess

from movelib import hvkit


def sh(*cmd):
    p = subprocess.run(list(cmd), capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: {p.stderr}")


def ext4(path, size, files):
    """An ext4 image of size bytes holding files {path: bytes}."""
    root = path + ".root"
    os.makedirs(root)
    for name, data in files.items():
        full = os.path.join(root, name.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    sh("mke2fs", "-q", "-F", "-t", "ext4", "-d", root, path, str(size // 1024) + "k")
    shutil.rmtree(root)


def disk(path, label, parts, size):
    """A raw disk: label 'dos', 'gpt' or None (one file system filling
    it); parts: [(image path or 'swap', size)]."""
    with open(path, "wb") as f:
        f.truncate(size)
    if label is None:
        img = parts[0][0]
        sh("dd", f"if={img}", f"of={path}", "conv=notrunc", "status=none")
        return
    script = f"label: {label}\n"
    start = 2048
    layout = []
    for img, sz in parts:
        script += f"start={start}, size={sz // 512}\n"
        layout.append((img, start * 512, sz))
        start += sz // 512 + 2048
    p = subprocess.run(["sfdisk", "-q", path], input=script, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"sfdisk: {p.stderr}")
    for img, off, sz in layout:
        if img == "swap":
            part = path + ".swap"
            with open(part, "wb") as f:
                f.truncate(sz)
            sh("mkswap", "-q", part)
            img = part
        sh("dd", f"if={img}", f"of={path}", "bs=512", f"seek={off // 512}", "conv=notrunc", "status=none")


def cfg(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def run_check(c, *extra):
    p = hvkit("move", "check", c, "--for", "xapi", "--json", *extra, ok=False)
    try:
        j = json.loads(p.stdout)
    except ValueError:
        j = {"findings": [], "blockers": -1}
    return p, j


def find(j, setting_prefix, level=None):
    return [f for f in j["findings"] if f["setting"].startswith(setting_prefix)
            and (level is None or f["level"] == level)]
