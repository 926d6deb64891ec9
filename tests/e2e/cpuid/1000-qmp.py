#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""QEMU's QMP JSON as a CPUID source (tests/data/cpuid/qmp/, captured from
QEMU 7.2 under TCG; qmp/libvirt/, libvirt's captures of real hosts):

- a query-cpu-model-expansion reply reads as exactly the props QEMU set
  true (mapped to features by QEMU's spelling in features.csv, here in
  Python), with QEMU's vendor, family, model, stepping and model-id;
- the same features as the model's own list (hvkit cpuid policy MODEL
  --for qemu), but for QEMU 7.2 TCG's documented defaults;
- a qom-get of feature-words reads as exactly the bits QEMU gave, and with
  filtered-features they make up the expansion;
- a transcript reads as its feature-words reply (a "filtered-features"
  reply after its command is skipped);
- libvirt's QMP captures of real hosts say the same vendor, family, model,
  stepping and brand as the CPUID dumps of the same hosts;
- malformed JSON is one error line naming the file and byte offset."""
import json
import os
import subprocess
import tempfile

from cpuidlib import CPUID_DATA, cpuid_json, fold, table
from lib import HVKIT, check, done, hvkit

QMP = os.path.join(CPUID_DATA, "qmp")
MODELS = ["Skylake-Server-v4", "EPYC-Rome"]
ROWS = table()
QEMU_NAME = {fold(r["qemu"]): r["qemu"] for r in ROWS if r["qemu"]}
REGS = {"EAX": "eax", "EBX": "ebx", "ECX": "ecx", "EDX": "edx"}
# QEMU 7.2 under TCG turns vme off in every model (tcg_default_props) and
# sets the hypervisor bit of every guest; the model tables do neither.
TCG_LESS, TCG_MORE = {"vme"}, {"hypervisor"}


def features(path):
    return set(cpuid_json("features", "--names", "qemu", "--from", path)["features"])


def reply(path):
    return json.loads(open(path).read())["return"]


def word_features(words):
    """QEMU names of the table's CPUID bits set in a feature-word list."""
    out = set()
    for w in words:
        leaf, sub = w["cpuid-input-eax"], w.get("cpuid-input-ecx", 0)
        for r in ROWS:
            if r["leaf"].startswith("msr") or not r["qemu"]:
                continue
            if (int(r["leaf"], 16), int(r["subleaf"]), r["reg"]) == (leaf, sub, REGS[w["cpuid-register"]]) \
                    and w["features"] >> int(r["bit"]) & 1:
                out.add(r["qemu"])
    return out


def word_registers(words):
    return {(w["cpuid-input-eax"], w.get("cpuid-input-ecx", 0), REGS[w["cpuid-register"]]) for w in words}


for model in MODELS:
    exp_path = os.path.join(QMP, f"{model}-expansion.json")
    props = reply(exp_path)["model"]["props"]
    # 1. the expansion: exactly the props QEMU set true
    want = {QEMU_NAME[fold(k)] for k, v in props.items() if v is True and fold(k) in QEMU_NAME}
    got = features(exp_path)
    check(got == want, f"{model} expansion: hvkit reads {sorted(got - want)} more, {sorted(want - got)} fewer than QEMU set")
    s = cpuid_json("--from", exp_path)
    for k, p in (("vendor_id", "vendor"), ("family", "family"), ("model", "model"),
                 ("stepping", "stepping"), ("brand", "model-id")):
        check(s[k] == props[p], f"{model} expansion: {k} {s[k]!r}, QEMU says {props[p]!r}")
    # 2. the model's own feature list, QEMU 7.2 TCG's defaults aside
    # (the model's own: what the QEMU form cut as not given to KVM guests too)
    pj = cpuid_json("policy", model, "--for", "qemu")
    pol = set(pj["features"]) | set(pj["not_guest_visible"])
    check(got == (pol - TCG_LESS) | TCG_MORE,
          f"{model}: expansion vs the model table: {sorted(got - pol)} more, {sorted(pol - got)} fewer")
    # 3. feature-words: exactly QEMU's bits; with filtered-features, the expansion
    words = reply(os.path.join(QMP, f"{model}-feature-words.json"))
    filtered = reply(os.path.join(QMP, f"{model}-filtered-features.json"))
    fw = features(os.path.join(QMP, f"{model}-feature-words.json"))
    check(fw == word_features(words), f"{model} feature-words: {sorted(fw ^ word_features(words))} differ")
    regs = word_registers(words)
    in_words = {r["qemu"] for r in ROWS if r["qemu"] and not r["leaf"].startswith("msr")
                and (int(r["leaf"], 16), int(r["subleaf"]), r["reg"]) in regs}
    union = fw | word_features(filtered)
    check(union == got & in_words,
          f"{model}: feature-words + filtered-features vs expansion: {sorted(union ^ (got & in_words))}")
    check(not (fw & word_features(filtered)), f"{model}: a feature both given and filtered")
    # 4. the transcript: its first list of feature words, with a warning
    tr = os.path.join(QMP, f"{model}.qmp")
    p = hvkit("cpuid", "features", "--json", "--names", "qemu", "--from", tr)
    check(set(json.loads(p.stdout)["features"]) == fw, f"{model}.qmp: not the feature-words reply")
    check("2 lists of feature words" in p.stderr and len(p.stderr.splitlines()) == 1,
          f"{model}.qmp: warning {p.stderr!r}")
    check(cpuid_json("--from", tr)["origin"] == f"{tr} (QEMU feature-words)", f"{model}.qmp: origin")
    # the dump of what was read reads back the same
    with tempfile.TemporaryDirectory() as d:
        dump = os.path.join(d, "x.dump")
        hvkit("cpuid", "dump", "--from", exp_path, "-o", dump)
        check(features(dump) == got, f"{model}: the dump of the expansion reads differently")

# A transcript that logs the commands too: the filtered-features reply,
# first here, is known by its command and skipped.
with tempfile.TemporaryDirectory() as d:
    m = MODELS[0]
    lines = open(os.path.join(QMP, f"{m}.qmp")).read().splitlines()
    cmd = lambda prop: json.dumps({"execute": "qom-get", "arguments": {
        "path": "/machine/unattached/device[0]", "property": prop}})
    log = [lines[0], cmd("filtered-features"), lines[4], cmd("feature-words"), lines[3],
           json.dumps({"execute": "query-cpu-model-expansion"}), lines[5]]
    path = os.path.join(d, "log.qmp")
    open(path, "w").write("\n".join(log) + "\n")
    p = hvkit("cpuid", "features", "--json", "--names", "qemu", "--from", path)
    check(set(json.loads(p.stdout)["features"]) == features(os.path.join(QMP, f"{m}-feature-words.json")),
          "a logged transcript: the filtered-features reply was used")
    check(p.stderr == "", f"a logged transcript warns: {p.stderr!r}")
    # pretty-printed, the reply bare, and the return value alone read the same
    r = reply(os.path.join(QMP, f"{m}-expansion.json"))
    for name, doc in (("pretty", json.dumps({"return": r}, indent=2)), ("value", json.dumps(r))):
        path = os.path.join(d, name + ".json")
        open(path, "w").write(doc)
        check(features(path) == features(os.path.join(QMP, f"{m}-expansion.json")), f"{name}: reads differently")
    # only filtered-features: no CPU, and the message says why
    path = os.path.join(d, "only-filtered.qmp")
    open(path, "w").write(cmd("filtered-features") + "\n" + lines[4] + "\n")
    p = hvkit("cpuid", "--from", path, ok=False)
    check(p.returncode == 1 and "no CPU in the QMP JSON" in p.stderr and "filtered-features" in p.stderr,
          f"only filtered-features: {p.returncode} {p.stderr!r}")
    # a QEMU error reply is quoted
    path = os.path.join(d, "error.json")
    open(path, "w").write('{"error": {"class": "GenericError", "desc": "CPU model \'x\' not found"}}\n')
    p = hvkit("cpuid", "--from", path, ok=False)
    check(p.returncode == 1 and "QEMU answered an error: CPU model 'x' not found" in p.stderr, p.stderr)

    # Malformed JSON: one line, the file, line:column and the byte offset.
    good = open(os.path.join(QMP, f"{m}-expansion.json")).read()
    cut = good.index(', "', 5000) + 2  # cut short after a member's comma
    cases = [
        ("trailing-comma", '{"return": [1, 2,]}', 17, "expected a value, found ']'"),
        ("truncated", good[:cut], cut, "expected a member name (a string), found the end of the input"),
        ("bad-word", '{"return": {"model": {"props": {"avx2": tru}}}}', 40, "unknown word"),
        ("bad-escape", '{"return": "\\q"}', 12, "unknown escape"),
        ("control", '{"return": "a\tb"}', 13, "control character"),
        ("two-colons", '{"return":: 1}', 10, "expected a value"),
        ("leading-zero", '[01]', 1, "leading zero"),
        ("deep", "[" * 100 + "]" * 100, 64, "nested deeper"),
        ("second-value-bad", '{"return": {}}\n{"return": [}', 27, "expected a value, found '}'"),
    ]
    for name, text, off, what in cases:
        path = os.path.join(d, name + ".json")
        open(path, "w").write(text)
        p = hvkit("cpuid", "--from", path, ok=False)
        err = p.stderr.strip()
        line = text[:off].count("\n") + 1
        col = off - (text.rfind("\n", 0, off) + 1) + 1
        check(p.returncode == 1 and len(p.stderr.splitlines()) == 1 and
              err.startswith(f"hvkit: error: {path}:{line}:{col}: not valid JSON: ") and
              err.endswith(f"(byte {off})") and (what is None or what in err),
              f"{name}: exit {p.returncode}, {p.stderr!r}")
    # a feature word with a bad register is an error at that word
    bad = json.dumps({"return": [{"cpuid-input-eax": 1, "cpuid-register": "EFX", "features": 1}]})
    path = os.path.join(d, "bad-reg.json")
    open(path, "w").write(bad)
    p = hvkit("cpuid", "--from", path, ok=False)
    at = bad.index('"EFX"')
    check(p.returncode == 1 and '"cpuid-register" is not' in p.stderr and
          f"(byte {at})" in p.stderr, p.stderr)

# libvirt's QMP captures of real hosts (query-cpu-model-expansion of the
# host CPU under KVM) name the CPU as its CPUID dump does.
libvirt = os.path.join(QMP, "libvirt")
n = 0
for f in sorted(os.listdir(libvirt)):
    xml = os.path.join(CPUID_DATA, "libvirt", f[:-5] + ".xml")
    a, b = cpuid_json("--from", os.path.join(libvirt, f)), cpuid_json("--from", xml)
    for k in ("vendor_id", "family", "model", "stepping", "brand"):
        check(a[k] == b[k], f"{f}: {k} {a[k]!r}, the CPUID dump says {b[k]!r}")
    n += 1
check(n >= 5, f"only {n} libvirt QMP captures")

# Every subcommand that takes dumps takes QMP: baseline and compare too.
sky = os.path.join(QMP, "Skylake-Server-v4-expansion.json")
gold = os.path.join(CPUID_DATA, "libvirt", "x86_64-cpuid-Xeon-Gold-6130.xml")
b = json.loads(hvkit("cpuid", "baseline", "--json", sky, gold).stdout)
check(set(b["features"]) <= features(sky), "baseline with a QMP host: more than the QMP host has")
p = subprocess.run([HVKIT, "cpuid", "compare", "Skylake-Server-v4", sky], capture_output=True, text=True)
check(p.returncode == 1 and "vme" in p.stdout, f"compare: {p.returncode} {p.stdout!r}")
done()
