#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Guest-visible features only: the QEMU and libvirt forms are for KVM
guests and never ask for what KVM cannot give one (src/cpuid/guest-kvm.csv:
monitor, ds, acpi, tm, tm2, pbe, est, xtpr, dtes64, ds-cpl, smx, ...).

For every fixture CPU (tests/data/cpuid/libvirt/*.xml, not -host):

  - `policy host` (with +monitor,+ds,-acpi edits too), the closest model
    + edits as a policy, and the baseline of the CPU with itself, in the
    qemu and libvirt forms: every added (+f, policy='require') feature is
    in the KVM set; the features reported are in it; what was cut
    ("not_guest_visible" in JSON) is outside it, is exactly what the uncut
    result had outside it, and is named on stderr in one line ("not given
    to KVM guests: ...") without --json;
  - QEMU 7.2 (TCG) creates a CPU of each emitted QEMU form with no
    "not found" and no "doesn't support requested feature" warning for a
    feature outside the KVM set (TCG itself lacks some KVM features:
    vmx, pcid, avx512f, ...; those warnings are TCG's, not ours).  The
    uncut closest-model spec is run too, as a control: it must make QEMU
    warn about a feature outside the KVM set on some CPU."""
import json
import os
import re
import shutil
import subprocess

from cpuidlib import TABLE, cpudata_fixtures, cpuid_json, fold, table
from lib import check, done, hvkit

ROWS = table()
GUEST_CSV = os.path.join(os.path.dirname(TABLE), "guest-kvm.csv")
with open(GUEST_CSV) as f:
    KVM = {l.strip() for l in f if l.strip() and not l.startswith("#")} - {"name"}
NEVER = {"monitor", "dtes64", "ds", "acpi", "tm", "tm2", "pbe", "est", "xtpr", "pdcm-x",
         "ds-cpl", "smx", "ht", "pn", "dca", "cid"} - {"pdcm-x"}
check(not (KVM & NEVER), f"guest-kvm.csv lists what KVM never gives: {sorted(KVM & NEVER)}")
check(KVM <= {r["name"] for r in ROWS}, "guest-kvm.csv: canonical names")

CANON = {}
for r in ROWS:
    for col in ("name", "qemu", "libvirt"):
        if r[col]:
            CANON.setdefault(fold(r[col]), r["name"])


def canon(names):
    return {CANON.get(fold(n), n) for n in names}


def asked(form):
    """The features a QEMU or libvirt form adds (canonical names)."""
    if form.startswith("-cpu "):
        return canon(w[1:] for w in form.split(" ", 1)[1].split(",")[1:] if w[0] == "+")
    return canon(re.findall(r"<feature policy='require' name='([^']+)'/>", form))


newer_models = set()


def judge_policy(label, spec, path, target, uncut):
    p = hvkit("cpuid", "--json", "policy", spec, "--for", target, "--from", path, ok=False)
    if target == "qemu" and p.returncode == 1 and "has no CPU model" in p.stderr:
        newer_models.add(spec.split(",")[0])    # QEMU 7.2 lacks it: refused, as 0700 checks
        return True, None, set()
    if not check(p.returncode == 0, f"{label} {target}: {p.stderr}"):
        return False, None, set()
    j = json.loads(p.stdout)
    out = j["output"]
    ok = check(asked(out) <= KVM, f"{label} {target}: asks for {sorted(asked(out) - KVM)}:\n{out}")
    feats, cut = canon(j["features"]), canon(j["not_guest_visible"])
    ok &= check(feats <= KVM, f"{label} {target}: reports {sorted(feats - KVM)}")
    if uncut is not None:
        ok &= check(cut == uncut - KVM, f"{label} {target}: cut {sorted(cut)}, "
                    f"expected {sorted(uncut - KVM)}")
    p = hvkit("cpuid", "policy", spec, "--for", target, "--from", path)
    lines = [l for l in p.stderr.splitlines() if "not given to KVM guests:" in l]
    ok &= check(len(lines) == (1 if cut else 0) and
                (not cut or canon(lines[0].split("guests: ", 1)[1].split()) == cut),
                f"{label} {target}: stderr names the cut once: {p.stderr!r}")
    return ok, out, cut


QEMU = shutil.which("qemu-system-x86_64")


def qemu_warnings(form):
    """(features QEMU+TCG warns about, stderr) for a -cpu form."""
    p = subprocess.run([QEMU, "-accel", "tcg", "-M", "pc", "-nodefaults", "-display", "none",
                        "-S", "-qmp", "stdio", "-cpu", form.split(" ", 1)[1]],
                       input='{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n',
                       capture_output=True, text=True, timeout=300)
    warned = re.findall(r"doesn't support requested feature: [^ ]*\.([\w.-]+) \[bit", p.stderr)
    # vmx-* (VMX capability MSRs, part of vmx) are not features of the table
    return {CANON[fold(w)] for w in warned if fold(w) in CANON}, p.stderr


cut_of, ncpus, control_bites = {}, 0, []
for name, path in cpudata_fixtures():
    ncpus += 1
    m = cpuid_json("model", "--from", path)
    cpu = canon(m["features"])
    c = m["closest"]
    spec = ",".join([c["name"]] + ["+" + f for f in c["plus"]] + ["-" + f for f in c["minus"]])
    forms = []
    for target in ("qemu", "libvirt"):
        ok, out, cut = judge_policy(f"{name} host", "host", path, target, None)
        ok, out, cut = judge_policy(f"{name} model", spec, path, target, cpu)
        cut_of[name] = cut
        if target == "qemu" and out:
            forms.append(("model", out))
        ok, out, _ = judge_policy(f"{name} host+edits", "host,+monitor,+ds,-acpi", path, target,
                                  None)
        check(not re.search(r"monitor|'ds'|,[+-]ds\b|acpi", out),
              f"{name} {target}: host edits of non-guest features left out:\n{out}")
    # the baseline of the CPU with itself, JSON and --for
    b = json.loads(hvkit("cpuid", "baseline", "--json", path, path).stdout)
    common = canon(b["features"])
    for target in ("qemu", "libvirt"):
        form = b["policies"][target]
        check(asked(form) <= KVM, f"{name} baseline {target}: asks for "
              f"{sorted(asked(form) - KVM)}:\n{form}")
        check(canon(b["not_guest_visible"][target]) == common - KVM,
              f"{name} baseline {target}: cut {b['not_guest_visible'][target]}")
        p = hvkit("cpuid", "baseline", "--for", target, path, path)
        check(p.stdout.strip() == form.strip(), f"{name} baseline --for {target}: same form")
        check((common - KVM == set()) ==
              ("not given to KVM guests:" not in p.stderr), f"{name} baseline --for {target}: "
              f"stderr names the cut: {p.stderr!r}")
    for target in ("xl", "xl-xend"):
        check(b["not_guest_visible"][target] == [], f"{name} baseline {target}: nothing cut")
    forms.append(("baseline", b["policies"]["qemu"]))
    if QEMU:
        for what, form in forms:
            warned, err = qemu_warnings(form)
            check("not found" not in err, f"{name} {what}: QEMU does not know {form}: {err}")
            check(warned <= KVM, f"{name} {what}: QEMU warns about {sorted(warned - KVM)} "
                  f"outside the KVM set ({form})")
        warned, _ = qemu_warnings("-cpu " + spec)
        if spec.split(",")[0] not in newer_models and warned - KVM:
            control_bites.append(name)

check(ncpus == 30, f"{ncpus} fixture CPUs")
if QEMU:
    check(len(control_bites) > 0, "control: an uncut spec makes QEMU warn on some CPU")
    print(f"# control: the uncut closest-model spec makes QEMU warn about a feature outside "
          f"the KVM set on {len(control_bites)} of {ncpus} CPUs")
print(f"# models QEMU 7.2 lacks (model policy refused, not judged): {sorted(newer_models)}")
for name, cut in sorted(cut_of.items()):
    print(f"# {name}: not given to KVM guests: {' '.join(sorted(cut)) or '(nothing)'}")
done()
