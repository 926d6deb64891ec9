# SPDX-License-Identifier: MIT
"""Xen Orchestra's own libraries as judges: pinned npm packages installed
into the build tree at test time (Debian's nodejs and npm; the download is
cached in $XO_NPM_DIR/cache).  When the registry cannot be reached, or a
pinned version is not served, the test says so and is skipped (77)."""
import fcntl
import hashlib
import json
import os
import shutil
import subprocess

from movelib import skip

HERE = os.path.dirname(os.path.abspath(__file__))
NPM_DIR = os.environ.get("XO_NPM_DIR", os.path.join(os.getcwd(), "xo-npm"))
JUDGE = os.path.join(HERE, "xo", "judge.mjs")


def install(*pkgs):
    """Installs the pinned pkgs ("name@version") once into a directory of
    their own under NPM_DIR, and returns its node_modules path."""
    for tool, package in (("node", "nodejs"), ("npm", "npm")):
        if not shutil.which(tool):
            skip(f"{tool} not installed (Debian package {package}): Xen Orchestra's judges cannot run")
    key = hashlib.sha256(" ".join(sorted(pkgs)).encode()).hexdigest()[:16]
    root = os.path.join(NPM_DIR, key)
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(NPM_DIR, key + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = os.path.join(root, "installed.json")
        if os.path.exists(stamp):
            return os.path.join(root, "node_modules")
        with open(os.path.join(root, "package.json"), "w") as f:
            json.dump({"name": "hvkit-xo-judges", "private": True, "type": "module"}, f)
        # A registry that drops packets would keep npm waiting 5 minutes a
        # try (its fetch-timeout), past meson's 300 s for the test: each
        # fetch gets 30 s and one retry, and npm as a whole 180 s; a
        # network that times out is a loud skip like one that refuses.
        try:
            p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-save",
                                "--ignore-scripts", "--cache", os.path.join(NPM_DIR, "cache"),
                                "--fetch-timeout", "30000", "--fetch-retries", "1",
                                "--fetch-retry-mintimeout", "1000", "--fetch-retry-maxtimeout", "5000",
                                "--prefix", root, *pkgs],
                               capture_output=True, text=True, timeout=180)
        except subprocess.TimeoutExpired:
            p = subprocess.CompletedProcess([], 1, "", "no answer from the registry in 180 s")
        if p.returncode != 0:
            tail = " | ".join(p.stderr.strip().splitlines()[-4:])
            print("=" * 70)
            print(f"SKIP LOUDLY: npm could not install {' '.join(pkgs)}: {tail}")
            print("Xen Orchestra's libraries did not judge this build.")
            print("=" * 70)
            skip(f"npm install {' '.join(pkgs)} failed (registry unreachable or version not served)")
        with open(stamp, "w") as f:
            json.dump(list(pkgs), f)
    return os.path.join(root, "node_modules")


def judge(modules, *args):
    """Runs tests/e2e/move/xo/judge.mjs with the installed modules."""
    env = dict(os.environ, NODE_PATH=modules, XO_MODULES=modules)
    return subprocess.run(["node", JUDGE, *args], capture_output=True, text=True, env=env,
                          timeout=600)
