#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The dedicated <cpudata> reader (no libxml2): XML that spells a fixture
differently (declaration, double quotes, character and entity references,
line breaks inside tags, CRLF, comments, CDATA, unknown elements) reads
as the fixture does; what is not well-formed (xmllint agrees) is one error
line with the line number; every fixture reads in well under a
millisecond of parse time."""
import os
import re
import shutil
import subprocess
import tempfile

from cpuidlib import cpudata_fixtures
from lib import check, done, hvkit

NAME, FIXTURE = next((n, p) for n, p in cpudata_fixtures() if n == "Xeon-Gold-6130")
XML = open(FIXTURE).read()


def leaves(path):
    p = hvkit("cpuid", "dump", "--from", path)
    return [l for l in p.stdout.splitlines() if not l.startswith("#")], p.stderr


def xmllint_ok(path):
    if not shutil.which("xmllint"):
        return None
    return subprocess.run(["xmllint", "--noout", "--nonet", path], capture_output=True).returncode == 0


want, _ = leaves(FIXTURE)
first = re.search(r"<cpuid [^>]*/>", XML)[0]
variants = {
    "declaration": '<?xml version="1.0" encoding="UTF-8"?>\n' + XML,
    "double-quotes": XML.replace("'", '"'),
    "char-refs": XML.replace(first, first.replace("eax_in='0x00000000'", "eax_in='&#48;x&#x30;0000000'")),
    "line-breaks": XML.replace(first, first.replace(" eax=", "\n\t eax=").replace(" edx=", "\r\n edx=")),
    "crlf": XML.replace("\n", "\r\n"),
    "comments": XML.replace("<cpuid ", "<!-- a - b --><cpuid ", 3).replace("</cpudata>", "<?pi x?></cpudata>"),
    "unknown-element": XML.replace("</cpudata>", "<note a='&lt;&amp;'><b>x</b><![CDATA[<y>]]>&quot;</note>\n</cpudata>"),
    "open-close": XML.replace(first, first[:-2] + "></cpuid>"),
    "bom": "\ufeff" + XML,
    "spaces": XML.replace(first, first.replace("eax_in=", "eax_in = ")[:-2] + " />"),
}
with tempfile.TemporaryDirectory() as d:
    for name, text in variants.items():
        path = os.path.join(d, name + ".xml")
        open(path, "w", newline="").write(text)
        got, err = leaves(path)
        check(got == want, f"{name}: reads differently from {NAME}")
        check((name == "unknown-element") == ("unknown element <note>, ignoring" in err), f"{name}: stderr {err!r}")
        check(xmllint_ok(path) in (True, None), f"{name}: xmllint rejects the test input")

    # Not well-formed: one error line naming the line; xmllint rejects it too.
    lines = XML.splitlines(keepends=True)
    k = 5  # the line that is damaged
    bad = {
        "unclosed-tag": (lines[k].replace("/>", ""), k + 1),
        "unquoted": (lines[k].replace("ecx_in='0x00'", "ecx_in=0x00"), k + 1),
        "lt-in-value": (lines[k].replace("ecx_in='0x00'", "ecx_in='<'"), k + 1),
        "undefined-entity": (lines[k].replace("ecx_in='0x00'", "ecx_in='&foo;'"), k + 1),
        "bad-char-ref": (lines[k].replace("ecx_in='0x00'", "ecx_in='&#0;'"), k + 1),
        "twice": (lines[k].replace("ecx_in='0x00'", "ecx_in='0x00' ecx_in='0x01'"), k + 1),
        "mismatched": (lines[k].replace("/>", "></msr>"), k + 1),
        "comment-open": (lines[k] + "<!-- never closed\n", len(lines) + 2),  # at the end
        "no-space": (lines[k].replace("' ebx=", "'ebx="), k + 1),
        "double-dash": (lines[k] + "<!-- a -- b -->\n", k + 2),
    }
    for name, (line, at) in bad.items():
        path = os.path.join(d, name + ".xml")
        open(path, "w").write("".join(lines[:k] + [line] + lines[k + 1:]))
        p = hvkit("cpuid", "--from", path, ok=False)
        check(p.returncode == 1 and len(p.stderr.splitlines()) == 1 and
              f"{path}:{at}: not well-formed XML: " in p.stderr, f"{name}: {p.returncode} {p.stderr!r}")
        check(xmllint_ok(path) in (False, None), f"{name}: xmllint accepts it")
    for name, text, msg in (
            ("doctype", "<!DOCTYPE cpudata>\n" + XML, "2: not well-formed XML: a DOCTYPE"[1:]),
            ("two-roots", XML + "<cpudata/>\n", "not well-formed XML: more than one root element"),
            ("text-after", XML + "x\n", "not well-formed XML: text outside the root element"),
            ("cut", XML[:len(XML) // 2], "not well-formed XML:"),
            ("not-cpudata", XML.replace("cpudata", "cpus"), "expected a libvirt <cpudata> document, found <cpus>"),
            # a <cpu> is libvirt's model + features (source-caps.c): this one names neither
            ("cpu-of-cpuid", XML.replace("cpudata", "cpu"), "the libvirt <cpu> names no model and no feature"),
            ("arm", XML.replace("arch='x86'", "arch='arm'"), "only x86 is supported"),
            ("hex", XML.replace("eax='0x00000016'", "eax='0x0000000016'"), "not a hex number of at most 8 digits"),
            ("no-leaf-0", XML.replace("eax_in='0x00000000'", "eax_in='0x00000099'"), "leaf 0x00000000 is missing")):
        path = os.path.join(d, name + ".xml")
        open(path, "w").write(text)
        p = hvkit("cpuid", "--from", path, ok=False)
        check(p.returncode == 1 and len(p.stderr.splitlines()) == 1 and msg in p.stderr,
              f"{name}: {p.returncode} {p.stderr!r}")

# Parse time is bench/cpuid.sh's to measure (against virsh, as a ratio),
# not a test's: a loaded or sanitized machine is slower.  Here only that
# --repeat decodes the same each time and reports its time.
p = hvkit("cpuid", "decode", "--from", FIXTURE, "--repeat", "20")
check(re.search(r"repeat: 20 runs in [0-9.]+ ms", p.stderr) is not None, f"--repeat: {p.stderr!r}")
done()
