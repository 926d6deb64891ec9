#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The front door's usage errors, the same for every tool (issue 15, the
breaker's items 7-11): '-' refused as an output is one line and exit 2
for every move verb, as for topo; two inputs that both are '-' are one
usage error; --password-file refuses a character device and an empty
password before any connection; a single-value option given twice is a
usage error naming it, and topo capture refuses --of; 'hvkit help TOOL
VERB' is 'hvkit TOOL VERB --help'; '--color never' gets a hint; sched
run's unknown options get "did you mean"; move disk writes through a
link OUT and refuses XVA options that do nothing; an empty output name
is a usage error; --ca is checked and a FIFO password refused before
any connection (brk4); topo capture -o and move export -o follow the
same rule for links and other files (brk5)."""
import os
import pty
import re
import shutil
import socket
import stat
import subprocess
import tempfile

from lib import FRONT_INPUTS, HVKIT, check, done, hvkit

CAPTURE, DUMP, CONF, TRACE, CFG = FRONT_INPUTS
SYN = ["--synthetic", "pack:1 core:2 pu:2"]



def listener():
    """A loopback listener standing for a XenAPI host, and a function
    counting (and closing) the connections made to it since last asked."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.setblocking(False)

    def connections():
        n = 0
        while True:
            try:
                c, _ = srv.accept()
            except BlockingIOError:
                return n
            c.close()
            n += 1
    return srv, connections

def run(*args, stdin=None, stdout=subprocess.PIPE, cwd=None, timeout=120):
    """hvkit with stdin from the file stdin (or nothing); stdout a pipe or a fd."""
    f = open(stdin, "rb") if stdin else subprocess.DEVNULL
    try:
        return subprocess.run([HVKIT, *args], stdin=f, stdout=stdout, stderr=subprocess.PIPE,
                              cwd=cwd, timeout=timeout)
    finally:
        if stdin:
            f.close()


def one_line(p, rc, needle, what, absent=None):
    err = p.stderr.decode(errors="replace")
    lines = err.strip().splitlines()
    ok = (p.returncode == rc and len(lines) == 1 and needle in lines[0] and "Sanitizer" not in err
          and not (absent and absent in err))
    return check(ok, f"{what}: expected exit {rc} and one line with {needle!r}, got {p.returncode} {err!r}")


with tempfile.TemporaryDirectory() as d:
    raw = os.path.join(d, "d.raw")
    open(raw, "wb").truncate(1 << 20)
    ova = os.path.join(d, "vm.ova")
    p = run("move", "export", CFG, "--to", "ova", "-o", ova, "--metadata-only", "--force")
    check(p.returncode == 0, f"setup: export --to ova: {p.stderr!r}")

    # ---- 7: '-' refused as an output: one line, exit 2, for every move verb ----
    master, slave = pty.openpty()
    try:
        on_tty = (["move", "export", CFG, "--to", "xva", "-o", "-", "--metadata-only", "--force"],
                  ["move", "export", CFG, "--to", "ova", "-o", "-", "--metadata-only", "--force"],
                  ["move", "disk", raw, "-"], ["move", "disk", raw, "-", "--to", "qcow2"],
                  ["topo", "capture", "-o", "-", *SYN[:0]], ["topo", *SYN, "--of", "png", "-o", "-"])
        for args in on_tty:
            p = run(*args, stdout=slave)
            one_line(p, 2, "terminal", f"{args} on a terminal", absent="cannot write")
    finally:
        os.close(slave)
        os.close(master)
    for args in (["move", "export", CFG, "--to", "ovf", "-o", "-", "--metadata-only", "--force"],
                 ["move", "import", ova, "--to", "xl", "-o", "-"],
                 ["move", "pull", "xapi://127.0.0.1:1", "vm", "-o", "-"]):
        p = run(*args)
        one_line(p, 2, "a directory cannot go to standard output", f"{args}", absent="cannot write")
        check(not p.stdout, f"{args}: nothing on stdout")
    # a file named '-' in the working directory is no reason to refuse -o -
    open(os.path.join(d, "-"), "w").close()
    p = run("move", "export", CFG, "--to", "xva", "-o", "-", "--metadata-only", "--force", cwd=d)
    check(p.returncode == 0 and p.stdout[257:262] == b"ustar" and os.path.getsize(os.path.join(d, "-")) == 0,
          f"export -o - beside a file named '-': {p.returncode} {p.stderr!r}")

    # ---- 8: two inputs that both are '-' ----
    for args in (["sched", "simulate", "-", "-"], ["topo", "diff", "-", "-"],
                 ["topo", "--from", "-", "--from", "-"], ["topo", "--from", "-", "diff", "-"],
                 ["cpuid", "baseline", "-", "-"], ["cpuid", "compare", "Skylake-Client", DUMP, "-", "-"],
                 ["cpuid", "compare", "-", "-"], ["cpuid", "compare", "-", DUMP, "-"],
                 ["cpuid", "--from", "-", "policy", "host", "--for", "xl", "--guest-max", "-"],
                 ["move", "push", "-", "xapi://127.0.0.1:1", "--sr", "u", "--password-file", "-"]):
        one_line(run(*args, stdin=CONF), 2, "only one input can be '-'", f"{args}")
    # one '-' among named inputs is fine
    p = run("topo", "diff", CAPTURE, "-", stdin=CAPTURE)
    check(p.returncode == 0, f"topo diff FILE -: {p.returncode} {p.stderr!r}")
    # cpuid names standard input '-', as the other tools do
    junk = os.path.join(d, "junk")
    open(junk, "w").write("no leaves here\n")
    for args in (["cpuid", "--from", "-"], ["cpuid", "baseline", "-"]):
        p = run(*args, stdin=junk)
        err = p.stderr.decode()
        check(p.returncode == 1 and "<stdin>" not in err and re.search(r"error: -:", err),
              f"{args} < junk: {p.returncode} {err!r}")

    # ---- 9: --password-file: no character device, no empty password, no
    # connection before it is read ----
    srv, connections = listener()
    port = srv.getsockname()[1]
    target = f"xapi://127.0.0.1:{port}"

    pw = {name: os.path.join(d, name) for name in ("empty.pw", "nl.pw", "crlf.pw", "nul.pw", "long.pw", "ok.pw")}
    open(pw["empty.pw"], "wb").close()
    open(pw["nl.pw"], "wb").write(b"\nsecret\n")
    open(pw["crlf.pw"], "wb").write(b"\r\n")
    open(pw["nul.pw"], "wb").write(b"sec\0ret\n")
    open(pw["long.pw"], "wb").write(b"x" * 1024 + b"\n")
    open(pw["ok.pw"], "wb").write(b"secret\n")
    pull_out = os.path.join(d, "pulled")
    verbs = (["move", "push", CFG, target, "--sr", "u", "--metadata-only", "--force", "--http"],
             ["move", "pull", target, "vm", "-o", pull_out, "--http"])
    for verb in verbs:
        for f, why in (("/dev/zero", "character device"), (pw["empty.pw"], "empty"),
                       (pw["nl.pw"], "empty"), (pw["crlf.pw"], "empty"), (pw["nul.pw"], "NUL"),
                       (pw["long.pw"], "longer than 1023")):
            p = run(*verb, "--password-file", f)
            err = p.stderr.decode()
            lines = [ln for ln in err.splitlines() if "error:" in ln]
            check(p.returncode == 1 and len(lines) == 1 and f in lines[0] and why in lines[0],
                  f"{verb[:2]} --password-file {f}: {p.returncode} {err!r}")
            check(connections() == 0, f"{verb[:2]} --password-file {f}: connected before refusing")
        p = run(*verb, "--password-file", "-", stdin="/dev/null")
        check(p.returncode == 1 and "'-'" in p.stderr.decode() and connections() == 0,
              f"{verb[:2]} --password-file - </dev/null: {p.returncode} {p.stderr!r}")
        # the control: a good password goes on to connect (the silent
        # server makes it give up after --timeout)
        p = run(*verb, "--password-file", pw["ok.pw"], "--timeout", "1")
        check(p.returncode == 1 and connections() >= 1,
              f"{verb[:2]} with a good password: no connection ({p.stderr!r})")
    srv.close()
    check(not os.path.exists(pull_out), "pull: nothing written")

    # ---- 10: a single-value option given twice; capture --of ----
    for args, opt in ((["move", "disk", raw, os.path.join(d, "o.qcow2"), "--to", "qcow2", "--to", "vhd"], "--to"),
                      (["move", "disk", raw, os.path.join(d, "o.qcow2"), "--to", "qcow2", "--to=qcow2"], "--to"),
                      (["move", "export", CFG, "--to", "xva", "-o", os.path.join(d, "a.xva"),
                        "-o", os.path.join(d, "b.xva"), "--metadata-only", "--force"], "--output"),
                      (["move", "import", ova, "--to", "xl", "--output", os.path.join(d, "i1"),
                        "-o", os.path.join(d, "i2")], "--output"),
                      (["move", "pull", target, "vm", "-o", "x", "--timeout", "5", "--timeout", "9"], "--timeout"),
                      (["move", "push", CFG, target, "--sr", "a", "--sr", "b"], "--sr"),
                      (["move", "check", CFG, "--for", "xapi", "--release", "8.2", "--release", "8.3"], "--release"),
                      (["topo", *SYN, "-o", os.path.join(d, "a.txt"), "-o", os.path.join(d, "b.txt")], "--output"),
                      (["topo", *SYN, "--of", "svg", "--of", "dot"], "--of"),
                      (["cpuid", "policy", "host", "--for", "xl", "--for", "qemu"], "--for"),
                      (["sched", "run", CONF, "--backend", "cgroup", "--backend", "libvirt"], "--backend"),
                      (["sched", "simulate", CONF, TRACE, "--tick", "1s", "--tick", "2s"], "--tick"),
                      (["sched", "status", "--state", "a", "--state", "b"], "--state")):
        one_line(run(*args), 2, f"{opt} given twice", f"{args}")
    # the '=' forms of --color and --json, before or after the tool's
    # name: a value given twice as well (a bare --json/--color twice is a
    # flag repeated); --json is --of json, so another --of conflicts
    for args, want in ((["topo", *SYN, "--color=never", "--color=always"], "--color given twice"),
                       (["--color=always", "topo", *SYN, "--color=never"], "--color given twice"),
                       (["topo", *SYN, "--color=never", "--color"], "--color given twice"),
                       (["--color", "topo", *SYN, "--color=auto"], "--color given twice"),
                       (["sched", "check", CONF, "--json=pretty", "--json"], "--json given twice"),
                       (["sched", "check", CONF, "--json", "--json=pretty"], "--json given twice"),
                       (["--json=pretty", "sched", "check", CONF, "--json"], "--json given twice"),
                       (["topo", *SYN, "--of", "svg", "--json"], "conflict"),
                       (["topo", *SYN, "--json", "--of", "svg"], "conflict"),
                       (["--json", "topo", *SYN, "--of", "text"], "conflict"),
                       (["--json", "topo", *SYN, "--of=svg"], "conflict")):
        one_line(run(*args), 2, want, f"{args}")
    for args, head in ((["topo", *SYN, "--color", "--color"], b"\x1b["),
                       (["--json", "sched", "check", CONF, "--json"], b"{"),
                       (["--json", "topo", *SYN, "--of", "json"], b"{"),
                       (["topo", *SYN, "--of", "json", "--json=pretty"], b"{\n")):
        p = run(*args)
        check(p.returncode == 0 and p.stdout.startswith(head), f"{args}: still fine: {p.returncode} {p.stderr!r}")
    check(not any(os.path.exists(os.path.join(d, n)) for n in ("o.qcow2", "a.xva", "b.xva", "i1", "i2",
                                                                 "a.txt", "b.txt")),
          "a repeated option: nothing written")
    # options that may repeat still do
    p = run("topo", "diff", "--from", CAPTURE, "--from", CAPTURE)
    check(p.returncode == 0, f"topo diff --from A --from B: {p.returncode} {p.stderr!r}")
    p = run("move", "import", ova, "--to", "xl", "-o", os.path.join(d, "imp"),
            "--allow-setting", "nestedhvm", "--allow-setting", "vif.rate")
    check(p.returncode == 0 and os.path.isdir(os.path.join(d, "imp")),
          f"import --allow-setting twice: {p.returncode} {p.stderr!r}")
    # capture renders nothing: --of and --json are refused, not ignored
    for extra in (["--of", "svg"], ["--of", "text"], ["--json"]):
        out = os.path.join(d, "c.tar.gz")
        p = run("topo", "capture", "--from", CAPTURE, "-o", out, *extra)
        one_line(p, 2, f"{extra[0]} goes with", f"capture {extra}")
        check(not os.path.exists(out), f"capture {extra}: nothing written")
    one_line(run("--json", "topo", "capture", "--from", CAPTURE, "-o", "-"), 2, "--json",
             "--json topo capture")
    p = run("topo", "capture", "--from", CAPTURE, "-o", "-")
    check(p.returncode == 0 and p.stdout[:2] == b"\x1f\x8b", f"capture -o - still works: {p.stderr!r}")

# ---- 11: help TOOL VERB, -v anywhere, --color never ----
for tool in ("topo", "cpuid", "sched", "move"):
    usage = hvkit(tool, "--help").stdout
    verbs = sorted(set(re.findall(r"^\s*(?:usage: )?hvkit %s ([a-z]+)\b" % tool, usage, re.M)))
    check(len(verbs) >= 3, f"{tool}: verbs in its --help: {verbs}")
    for v in verbs:
        a, b = hvkit("help", tool, v, ok=False), hvkit(tool, v, "--help", ok=False)
        check(a.returncode == b.returncode == 0 and a.stdout == b.stdout and a.stdout,
              f"help {tool} {v} against {tool} {v} --help: {a.returncode} {a.stderr!r}")
    one_line(run("help", tool, "bogus"), 2, f"unknown {tool} command 'bogus'", f"help {tool} bogus")
one_line(run("help", "move", "disk", "extra"), 2, "unexpected argument 'extra'", "help move disk extra")
one_line(run("help", "bogus", "disk"), 2, "unknown command 'bogus'", "help bogus disk")
with tempfile.TemporaryDirectory() as d:
    # an option is no verb: 'help topo -o FILE' must not run topo
    p = run("help", "topo", "-o", "x.txt", cwd=d)
    one_line(p, 2, "unexpected argument '-o'", "help topo -o x.txt")
    check(os.listdir(d) == [], "help topo -o x.txt: nothing written")
# -v says the same before the command as among its options (hvkit(1))
a = run("-v", "topo", "--from", CAPTURE)
b = run("topo", "-v", "--from", CAPTURE)
c = run("topo", "--from", CAPTURE)
check(a.stderr == b.stderr and b"read as" in a.stderr and b"read as" not in c.stderr,
      f"-v before or after topo: {a.stderr!r} {b.stderr!r}")
for when in ("never", "always", "auto"):
    one_line(run("--color", when, "topo"), 2, f"did you mean '--color={when}'?", f"--color {when} topo")
one_line(run("--color", "tpo"), 2, "did you mean 'topo'?", "--color tpo: the usual hint")
# after the tool's name too, and with a prefix of --color
for args, when in ((["topo", "--color", "never"], "never"), (["topo", "-v", "--col", "always"], "always"),
                   (["topo", "--colour", "auto", "check"], "auto"), (["topo", *SYN, "--color", "never"], "never"),
                   # another option after the word (getopt moves it before)
                   (["topo", "--color", "never", "-v"], "never"),
                   (["topo", "--color", "always", "--io", "all"], "always")):
    one_line(run(*args), 2, f"did you mean '--color={when}'?", f"{args}")
# a word that is no verb, with --help after it, is the usage error of
# 'help TOOL WORD'; 'TOOL --help VERB' is 'TOOL VERB --help' for every tool
for tool, bad in (("topo", "zzz"), ("cpuid", "mod"), ("t", "cap"), ("sched", "zzz"), ("move", "zzz")):
    a, b = run(tool, bad, "--help"), run("help", tool, bad)
    one_line(a, 2, "command '%s'" % bad, f"{tool} {bad} --help")
    check((a.returncode, a.stderr, a.stdout) == (b.returncode, b.stderr, b.stdout),
          f"{tool} {bad} --help against help {tool} {bad}: {a.stderr!r} {b.stderr!r}")
for tool, verb in (("topo", "capture"), ("cpuid", "policy"), ("sched", "check"), ("move", "disk")):
    a, b = run(tool, "--help", verb), run(tool, verb, "--help")
    check(a.returncode == b.returncode == 0 and a.stdout == b.stdout and a.stdout,
          f"{tool} --help {verb} against {tool} {verb} --help: {a.returncode} {a.stderr!r}")
one_line(run("sched", "--help", "zzz"), 2, "unknown sched command 'zzz'", "sched --help zzz")
check(run("--color", "topo", *SYN).returncode == 0, "--color topo still works")

# ---- move's outputs and XAPI inputs (the breaker's brk4 items 1, 4, 5, 9, 12) ----
with tempfile.TemporaryDirectory() as d:
    raw = os.path.join(d, "d.raw")
    with open(raw, "wb") as f:
        f.truncate(1 << 20)
        f.seek(4096)
        f.write(b"hvkit-0606" * 100)
    want = open(raw, "rb").read()

    def nothing_new(before, what):
        check(sorted(os.listdir(d)) == before, f"{what}: left {sorted(set(os.listdir(d)) - set(before))}")

    # a symbolic link OUT is written through (as topo -o), never replaced
    target, link = os.path.join(d, "target.raw"), os.path.join(d, "link.raw")
    open(target, "wb").write(b"old")
    os.chmod(target, 0o600)
    os.symlink("target.raw", link)
    p = run("move", "disk", raw, link)
    check(p.returncode == 0 and os.path.islink(link) and open(target, "rb").read() == want and
          os.stat(target).st_mode & 0o777 == 0o600, f"move disk to a link: {p.returncode} {p.stderr!r}")
    # /dev/stdout's way: a link to /proc/self/fd/1, stdout a file the
    # shell writes to (`{ echo head; hvkit ... -o /dev/stdout; } > f`):
    # renaming over it would drop the shell's lines (brk7): refused, '-'
    # named, the file as it was
    so, cap = os.path.join(d, "so"), os.path.join(d, "cap")
    os.symlink("/proc/self/fd/1", so)
    with open(cap, "wb") as f:
        f.write(b"head\n")
        f.flush()
        p = run("move", "disk", raw, so, stdout=f)
    one_line(p, 1, "standard output; give '-'", "move disk to a link to stdout (a file)")
    check(os.path.islink(so) and open(cap, "rb").read() == b"head\n",
          "move disk to a link to stdout (a file): the link and the file kept")
    p = run("move", "disk", raw, so)     # stdout a pipe: no regular file
    one_line(p, 1, "not a regular file", "move disk to a link to stdout (a pipe)")
    check(os.path.islink(so), "the link to stdout is kept")
    dang = os.path.join(d, "dang.raw")
    os.symlink("nowhere/x.raw", dang)
    before = sorted(os.listdir(d))
    one_line(run("move", "disk", raw, dang), 1, "leads nowhere", "move disk to a dangling link")
    check(os.path.islink(dang), "the dangling link is kept")
    nothing_new(before, "move disk to a dangling link")

    # topo capture -o follows the same rule (brk5 items 2, 7): through a
    # link to a regular file (kept, its mode kept), anything else refused
    # in one line before capturing (a --from that does not exist is never
    # reached), nothing left behind
    capt, clink = os.path.join(d, "capt.tar.gz"), os.path.join(d, "clink.tar.gz")
    open(capt, "wb").write(b"old")
    os.chmod(capt, 0o640)
    os.symlink("capt.tar.gz", clink)
    p = run("topo", "capture", "--from", CAPTURE, "-o", clink)
    check(p.returncode == 0 and os.path.islink(clink) and open(capt, "rb").read(2) == b"\x1f\x8b" and
          os.stat(capt).st_mode & 0o777 == 0o640, f"capture to a link: {p.returncode} {p.stderr!r}")
    cso = os.path.join(d, "cso.tar.gz")
    os.symlink("/proc/self/fd/1", cso)
    with open(cap, "wb") as f:
        p = run("topo", "capture", "--from", CAPTURE, "-o", cso, stdout=f)
    one_line(p, 1, "standard output; give '-'", "capture to a link to stdout (a file)")
    check(os.path.islink(cso) and open(cap, "rb").read() == b"", "capture: the link and the file kept")
    fifo, sdir, sock = (os.path.join(d, n) for n in ("f.tar.gz", "dir.tar.gz", "s.tar.gz"))
    os.mkfifo(fifo)
    os.mkdir(sdir)
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(sock)
    bad = {"dang.tar.gz": "nowhere/x.tar.gz", "null.tar.gz": "/dev/null", "lf.tar.gz": "f.tar.gz",
           "loop.tar.gz": "loop.tar.gz", "null.svg": "/dev/null"}
    for n, t in bad.items():
        os.symlink(t, os.path.join(d, n))
    before = sorted(os.listdir(d))
    for out, needle in (("dang.tar.gz", "leads nowhere"), ("loop.tar.gz", "leads nowhere"),
                        ("null.tar.gz", "not a regular file"), ("lf.tar.gz", "not a regular file"),
                        ("f.tar.gz", "not a regular file"), ("dir.tar.gz", "not a regular file"),
                        ("s.tar.gz", "not a regular file"), ("cso.tar.gz", "not a regular file"),
                        # a directory that is not there: said before the capture
                        ("nodir/x.tar.gz", "'nodir': No such file or directory"),
                        ("nodir.tar.gz/x.tar.gz", "'nodir.tar.gz': No such file")):
        p = run("topo", "capture", "--from", os.path.join(d, "no-such-input"), "-o", out, cwd=d)
        one_line(p, 1, needle, f"capture -o {out}", absent="no-such-input")
        nothing_new(before, f"capture -o {out}")
    # topo -o: the same, before the input is read
    p = run("topo", "--from", os.path.join(d, "no-such-input"), "-o", "null.svg", cwd=d)
    one_line(p, 1, "not a regular file", "topo -o null.svg", absent="no-such-input")
    p = run("topo", "--from", os.path.join(d, "no-such-input"), "-o", "nodir/x.svg", cwd=d)
    one_line(p, 1, "'nodir': No such file", "topo -o nodir/x.svg", absent="no-such-input")
    check(os.path.islink(os.path.join(d, "dang.tar.gz")) and os.path.islink(os.path.join(d, "null.tar.gz"))
          and os.path.isdir(sdir) and stat.S_ISFIFO(os.lstat(fifo).st_mode)
          and stat.S_ISSOCK(os.lstat(sock).st_mode), "capture: the refused outputs are kept as they were")
    srv.close()
    # move export to a dangling link: the one line, not a second "cannot write"
    for to in ("xva", "ova"):
        p = run("move", "export", CFG, "--to", to, "-o", "dang.tar.gz", "--metadata-only", "--force", cwd=d)
        errs = [ln for ln in p.stderr.decode().splitlines() if "error:" in ln]   # the CFG's disks warn
        check(p.returncode == 1 and len(errs) == 1 and "leads nowhere" in errs[0],
              f"export --to {to} to a dangling link: one error line: {p.returncode} {p.stderr!r}")
        nothing_new(before, f"export --to {to} to a dangling link")

    # an empty output name is a usage error, one line, nothing written
    for args in (["move", "disk", raw, ""], ["move", "export", CFG, "--to", "xva", "-o", "", "--force"],
                 ["move", "import", raw, "-o", ""], ["topo", *SYN, "-o", ""],
                 ["topo", *SYN, "--output="], ["cpuid", "dump", "-o", ""],
                 ["sched", "simulate", CONF, TRACE, "-o", ""]):
        p = run(*args, cwd=d)
        one_line(p, 2, "", f"{args}: empty output")
        check(re.search(rb"empty|not ''", p.stderr), f"{args}: says the name is empty: {p.stderr!r}")
        nothing_new(before, f"{args}")

    # move disk: the options of an XVA refused where they would do nothing
    out = os.path.join(d, "o.raw")
    for extra, opt in ((["--gzip"], "--gzip"), (["--checksum", "xxhash"], "--checksum"),
                       (["--to", "qcow2", "--gzip"], "--gzip"), (["--disk", "1"], "--disk"),
                       (["--from", "raw", "--disk", "1"], "--disk")):
        one_line(run("move", "disk", raw, out, *extra), 2, opt, f"move disk to raw {extra}")
        nothing_new(before, f"move disk {extra}")

    # XAPI inputs: refused before any connection, never a hang
    srv, connections = listener()
    target_url = f"xapi://127.0.0.1:{srv.getsockname()[1]}"

    def one_error(p, rc, needle, what):
        """push warns about the guest first: one error line, after them"""
        errs = [ln for ln in p.stderr.decode(errors="replace").splitlines() if "error:" in ln]
        check(p.returncode == rc and len(errs) == 1 and needle in errs[0],
              f"{what}: expected exit {rc} and one error with {needle!r}, got {p.returncode} {errs!r}")

    ok_pw, fifo = os.path.join(d, "ok.pw"), os.path.join(d, "pw.fifo")
    open(ok_pw, "w").write("secret\n")
    os.mkfifo(fifo)
    pws = {}
    for name, body in (("1023crlf", b"x" * 1023 + b"\r\n"), ("1023lf", b"x" * 1023 + b"\n"),
                       ("1024crlf", b"x" * 1024 + b"\r\n")):
        pws[name] = os.path.join(d, name + ".pw")
        open(pws[name], "wb").write(body)
    pull_out = os.path.join(d, "pulled")
    # HTTPS: a --ca with --http is a usage error of its own (0490)
    verbs = (["move", "push", CFG, target_url, "--sr", "u", "--metadata-only", "--force"],
             ["move", "pull", target_url, "vm", "-o", pull_out])
    for verb in verbs:
        what = " ".join(verb[:2])
        p = run(*verb, "--password-file", "-", "--ca", "-", stdin=ok_pw)
        one_line(p, 2, "only one input can be '-'", f"{what} --password-file - --ca -")
        for ca, why in (("/nonexistent/ca.pem", "No such file"), (d, "directory"), (fifo, "FIFO"),
                        ("-", "standard input")):
            p = run(*verb, "--password-file", ok_pw, "--ca", ca, timeout=20)
            one_error(p, 1, why, f"{what} --ca {ca}")
            check(f"--ca '{ca}'".encode() in p.stderr and connections() == 0,
                  f"{what} --ca {ca}: names it, connects to nothing: {p.stderr!r}")
        try:
            p = run(*verb, "--password-file", fifo, timeout=20)
            one_error(p, 1, "a FIFO, not a regular file", f"{what} --password-file FIFO")
        except subprocess.TimeoutExpired:
            check(False, f"{what} --password-file FIFO: hangs")
        check(connections() == 0, f"{what} --password-file FIFO: connected")
        one_error(run(*verb, "--password-file", pws["1024crlf"]), 1, "longer than 1023",
                 f"{what} a 1024-byte password, CR LF")
        check(connections() == 0, f"{what} 1024 CR LF: connected")
        # a 1023-byte password is one, whatever its line end; so is a
        # pipe with no name (bash's <(...)): each goes on to connect
        for name in ("1023lf", "1023crlf"):
            p = run(*verb, "--password-file", pws[name], "--timeout", "1")
            check(p.returncode == 1 and b"longer" not in p.stderr and connections() >= 1,
                  f"{what} a {name} password: {p.returncode} {p.stderr!r}")
        r, w = os.pipe()
        os.write(w, b"secret\n")
        os.close(w)
        p = subprocess.run([HVKIT, *verb, "--password-file", f"/dev/fd/{r}", "--timeout", "1"],
                           stdin=subprocess.DEVNULL, capture_output=True, pass_fds=(r,), timeout=60)
        os.close(r)
        check(p.returncode == 1 and b"password-file" not in p.stderr and connections() >= 1,
              f"{what} --password-file /dev/fd/N (a pipe): {p.returncode} {p.stderr!r}")
    srv.close()
    check(not os.path.exists(pull_out), "pull: nothing written")

# ---- sched run: "did you mean" for its long options, as the others ----
for args, want in ((["sched", "run", CONF, "--tik", "1s"], "did you mean '--tick'?"),
                   (["sched", "run", CONF, "--backnd=cgroup"], "did you mean '--backend'?"),
                   (["sched", "run", CONF, "--met", "x"], "it could be '--metrics-file' or '--metrics-every'")):
    one_line(run(*args), 2, want, f"{args}")
    check("see 'hvkit sched run --help'" in run(*args).stderr.decode(), f"{args}: names 'sched run'")

# ---- where an output goes is judged before any input is read (brk6) ----
# A directory that is not there: one line naming it, before the input is
# read (a standard input that never ends), before anything connects (the
# password never sent), before the daemon starts.
with tempfile.TemporaryDirectory() as d:
    srv, connections = listener()
    url = f"xapi://root@127.0.0.1:{srv.getsockname()[1]}"
    pw = os.path.join(d, "pw")
    open(pw, "w").write("secret\n")
    for args in (["move", "pull", url, "vm", "-o", "/nonexistent-hv/pd", "--password-file", pw, "--http"],
                 ["move", "disk", "-", "/nonexistent-hv/x.raw"],
                 ["move", "import", "-", "--to", "xl", "-o", "/nonexistent-hv/i"],
                 ["cpuid", "dump", "--from", "-", "-o", "/nonexistent-hv/x"],
                 ["topo", "--from", "-", "-o", "/nonexistent-hv/x.svg"],
                 ["sched", "simulate", CONF, "-", "-o", "/nonexistent-hv/x.svg"],
                 ["sched", "simulate", os.path.join(d, "no.conf"), TRACE, "-o", "/nonexistent-hv/x.svg"],
                 ["sched", "run", CONF, "--state", os.path.join(d, "st"), "--metrics-file",
                  "/nonexistent-hv/m", "--ticks", "1"]):
        # stdin: a pipe whose writer never writes nor closes
        r, w = os.pipe()
        try:
            p = subprocess.run([HVKIT, *args], stdin=r, capture_output=True, timeout=30)
            one_line(p, 1, "'/nonexistent-hv': No such file", f"{args}")
        except subprocess.TimeoutExpired:
            check(False, f"{args}: still waiting for its input after 30 s")
        finally:
            os.close(r)
            os.close(w)
        check(connections() == 0, f"{args}: connected to nothing")
    check(not os.path.exists(os.path.join(d, "st")) and not os.path.exists(os.path.join(d, "st.lock")),
          "sched run: refused before any state or lock was made")
    srv.close()
# As root, mode bits say nothing of /sys or /proc: a file is tried there
if os.path.isdir("/sys/kernel"):
    for args in (["topo", *SYN, "-o", "/sys/kernel/x.svg"], ["topo", "capture", "-o", "/proc/x.tar.gz"]):
        p = run(*args)
        one_line(p, 1, "cannot write", f"{args}")
        check(b".tmp" not in p.stderr and (b"'/sys/kernel'" in p.stderr or b"'/proc'" in p.stderr),
              f"{args}: the directory named, not a temporary's name: {p.stderr!r}")

# ---- replacing a file keeps its owner and permission bits, never set-id bits (brk7) ----
with tempfile.TemporaryDirectory() as d:
    src = os.path.join(d, "src.raw")
    open(src, "wb").truncate(1 << 20)
    for args in (["topo", *SYN, "-o"], ["cpuid", "--from", DUMP, "-o"], ["move", "disk", src]):
        out = os.path.join(d, "out")
        open(out, "w").write("old\n")
        if os.geteuid() == 0:
            os.chown(out, 1, 1)
        os.chmod(out, 0o6750)
        p = run(*args, out)
        st = os.stat(out)
        check(p.returncode == 0 and st.st_mode & 0o7777 == 0o750 and
              (os.geteuid() != 0 or (st.st_uid, st.st_gid) == (1, 1)),
              f"{args[:2]} over a 6750 file of uid 1: mode {st.st_mode & 0o7777:o}, owner "
              f"{st.st_uid}:{st.st_gid} ({p.returncode} {p.stderr!r})")
# ---- sched run: CONF, --state and --metrics-file are three files (brk7) ----
with tempfile.TemporaryDirectory() as d:
    conf = os.path.join(d, "c.conf")
    open(conf, "w").write(open(CONF).read())
    before = open(conf).read()
    for extra, needle in ((["--state", conf], "CONF"), (["--state", os.path.join(d, "..", os.path.basename(d), "c.conf")], "CONF"),
                          (["--state", os.path.join(d, "x"), "--metrics-file", os.path.join(d, ".", "x")], "--state"),
                          (["--state", os.path.join(d, "y"), "--metrics-file", conf], "CONF")):
        p = run("sched", "run", conf, *extra, "--ticks", "1")
        one_line(p, 2, "are one file; each needs its own", f"sched run {extra}")
    check(open(conf).read() == before and sorted(os.listdir(d)) == ["c.conf"],
          "sched run: CONF as it was, nothing made")

# ---- a directory's name is no file output; a sticky directory's other files (brk7) ----
with tempfile.TemporaryDirectory() as d:
    f = os.path.join(d, "f.raw")
    open(f, "wb").write(b"keep")
    os.chmod(f, 0o604)
    for args in (["move", "disk", f, f + "/"], ["move", "disk", f, os.path.join(d, "new") + "/"],
                 ["topo", *SYN, "-o", os.path.join(d, "x", ".")], ["cpuid", "--from", DUMP, "-o", ".."],
                 ["sched", "run", CONF, "--state", os.path.join(d, "st") + "/", "--ticks", "1"]):
        one_line(run(*args, cwd=d), 1, "names a directory, not a file", f"{args}")
    check(open(f, "rb").read() == b"keep" and os.stat(f).st_mode & 0o777 == 0o604 and
          sorted(os.listdir(d)) == ["f.raw"], "the file kept, nothing made")
    if os.geteuid() == 0 and shutil.which("setpriv"):
        os.chmod(d, 0o1777)
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            HVKIT, "topo", *SYN, "-o", f, "--of", "svg"],
                           capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
        one_line(p, 1, "a sticky directory", "another user's file in a sticky directory")
        check(open(f, "rb").read() == b"keep", "the other user's file kept")

done()
