#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Completion offers each verb what that verb takes, judged by the binary
itself, not by a list in this test: for every tool and verb of
`hvkit --help`, the options the generated bash completion offers
(_hvkit_opts TOOL:VERB) are tried one by one as
`hvkit TOOL VERB --OPT [VALUE] --help`:
- every option offered is accepted (exit 0),
- every other option of the tool, or global option, is refused as one the
  verb does not take (exit 2: "unknown option", "--OPT goes with ..."),
- every option the verb's --help lists is offered (a verb whose --help is
  the tool's (sched): the options of its usage lines),
- after the tool only its verbs are offered, after a word that is no verb
  nothing, and files only after a verb whose usage names arguments.

    completion-verbs.py HVKIT BASH-COMPLETION-FILE
"""
import atexit
import functools
import os
import shutil
import re
import subprocess
import sys
import tempfile

HVKIT, COMP = sys.argv[1], os.path.realpath(sys.argv[2])
fails = []


def check(ok, what):
    if not ok:
        fails.append(what)
        print("FAIL:", what)


@functools.lru_cache(maxsize=None)
def shell(fn, arg):
    """The words the completion file's function fn gives for arg."""
    p = subprocess.run(["bash", "-c", '. "$0"; ' + fn + ' "$1"', COMP, arg],
                       capture_output=True, text=True, timeout=60)
    return p.stdout.split()


def complete(*words, cwd):
    """What <TAB> after words gives (the last word is the one completed)."""
    p = subprocess.run(["bash", "-c", '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
                        '_hvkit; printf "%s\\n" "${COMPREPLY[@]}"', COMP, *words],
                       capture_output=True, text=True, cwd=cwd, timeout=60)
    return [w for w in p.stdout.split("\n") if w]


# the probes run in a folder of their own, which they must leave empty
probe_dir = tempfile.mkdtemp()
atexit.register(shutil.rmtree, probe_dir, True)


def run(*args):
    return subprocess.run([HVKIT, *args], capture_output=True, text=True, cwd=probe_dir,
                          stdin=subprocess.DEVNULL, timeout=120)


def help_options(text, lines_only=None):
    """The options a help text lists: its option lines' first column, and
    its usage lines (lines_only: those usage lines alone)."""
    found = set()
    src = lines_only if lines_only is not None else text.splitlines()
    for line in src:
        s = line.strip()
        if lines_only is None and s.startswith("-") and len(line) - len(line.lstrip()) <= 4:
            s = re.split(r"\s{2,}", s)[0]
        elif lines_only is None and not (s.startswith("usage:") or s.startswith("hvkit") or
                                         s.startswith("[")):
            continue
        found |= set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])(?![\w-])", s))
    return found


def usage_of(tool, verb, text):
    out, on = [], False
    for line in text.split("\n\n")[0].splitlines():
        s = line.strip()
        s = s[len("usage:"):].strip() if s.startswith("usage:") else s
        if s.startswith("hvkit "):
            on = s.split()[1:3] == [tool, verb]
        if on:
            out.append(s)
    return out


REFUSED = r"(unknown|ambiguous) option '{o}'|{o} (goes|does not go) with"
# values to try an option with when the completion offers none: a
# duration, a count or size, a word
SOME = ["10s", "1", "1M", "x"]


def verdict(tool, verb, opt, values, names):
    """'yes' (exit 0 with --help), 'no' (refused as not this verb's: by
    one of its names), or what else happened."""
    tries = [[]] if not values else [[v] for v in values]
    last = None
    refused = "|".join(REFUSED.format(o=re.escape(n)) for n in names)
    for extra in tries:
        p = run(tool, *([verb] if verb else []), opt, *extra, "--help")
        if p.returncode == 0:
            return "yes"
        if p.returncode == 2 and re.search(refused, p.stderr):
            return "no"
        last = f"exit {p.returncode}: {p.stderr.strip()!r}"
    return last


top = run("--help").stdout
tools = [t for t in re.findall(r"^  ([a-z]+)\s{2,}", top.split("Commands:")[1].split("\n\n")[0], re.M)
         if t != "help"]
glob = help_options(top.split("Global options:")[1]) - {"-h", "--help", "--version"}
# "-v, --verbose": the two names of one option
alias = {}
check(len(tools) == 4, f"tools in hvkit --help: {tools}")
empty = tempfile.mkdtemp()
atexit.register(shutil.rmtree, empty, True)
with open(os.path.join(empty, "afile"), "w"):
    pass
probes = 0
for tool in tools:
    verbs = shell("_hvkit_verbs", tool)
    tool_help = run(tool, "--help").stdout
    for short, long in re.findall(r"(?<![\w-])(-[a-zA-Z]), (--[a-z][\w-]*)", top + tool_help):
        alias[short] = long
    check(len(verbs) >= 4, f"{tool}: verbs {verbs}")
    offered = {v: set(shell("_hvkit_opts", f"{tool}:{v}")) for v in verbs}
    universe = set().union(*offered.values(), glob, help_options(tool_help)) - {"-h", "--help"}
    takes = {v: set(shell("_hvkit_takes", f"{tool}:{v}")) for v in verbs + [""]}
    for v in verbs:
        for opt in sorted(universe):
            # getopt takes a prefix of one option for it: --for is
            # move export's --force
            if any(o != opt and o.startswith(opt) for o in offered[v] if opt.startswith("--")):
                continue
            vals = None
            if opt in takes[v] or (opt not in offered[v] and any(opt in t for t in takes.values())):
                vals = [x for w in [v, ""] + verbs
                        for x in shell("_hvkit_values", f"{tool}:{w}:{opt}")[:1]] + SOME
            # the refusal names the option by its long name, or the one
            # getopt took it for (import --for is --force)
            names = {opt, alias.get(opt, opt)} | {o for o in universe if o.startswith(opt + "-") or
                                                   opt.startswith("--") and o.startswith(opt)}
            got = verdict(tool, v, opt, vals, names)
            probes += 1
            want = "yes" if opt in offered[v] else "no"
            check(got == want, f"hvkit {tool} {v} {opt}: offered {want == 'yes'}, "
                  f"the verb says {got}")
        # every option its --help lists is offered
        vh = run(tool, v, "--help").stdout
        listed = help_options(vh, usage_of(tool, v, vh) if vh == tool_help else None)
        listed -= {"-h", "--help"} if "-h" not in offered[v] and "--help" not in offered[v] else set()
        missing = listed - offered[v]
        check(not missing, f"hvkit {tool} {v} --help lists {sorted(missing)}, not offered")
        # a verb's arguments are files where its usage names some
        files = complete("hvkit", tool, v, "", cwd=empty)
        args = bool(usage_of(tool, v, vh)) and usage_of(tool, v, vh)[0].split()[3:4] != [] and \
            usage_of(tool, v, vh)[0].split()[3][0] not in "[-"
        check(files == (["afile"] if args else []),
              f"hvkit {tool} {v} <TAB>: {files}, its usage {'names' if args else 'names no'} arguments")
    # before a verb (topo, cpuid parse options there): each option offered
    # is one that some verb takes there ("hvkit topo --fail-on error check")
    for opt in sorted(set(shell("_hvkit_opts", f"{tool}:")) - {"-h", "--help"}):
        vals = None
        if opt in takes[""]:
            vals = shell("_hvkit_values", f"{tool}::{opt}")[:1] + SOME
        ok = False
        for v in [""] + verbs:
            for extra in [[]] if vals is None else [[x] for x in vals]:
                probes += 1
                if run(tool, opt, *extra, *([v] if v else []), "--help").returncode == 0:
                    ok = True
                    break
            if ok:
                break
        check(ok, f"hvkit {tool} {opt} <VERB>: offered before a verb, taken by none")
    # help TOOL <TAB>: TOOL's verbs where 'hvkit help TOOL VERB' works
    takes_verb = run("help", tool, verbs[0]).returncode == 0
    got = complete("hvkit", "help", tool, "", cwd=empty)
    check(got == (verbs if takes_verb else []),
          f"hvkit help {tool} <TAB>: {got} ('help {tool} {verbs[0]}' works: {takes_verb})")
    check(complete("hvkit", "help", tool, verbs[0], "", cwd=empty) == [],
          f"hvkit help {tool} {verbs[0]} <TAB>: nothing")
    # after the tool only its verbs; after a word that is no verb, nothing
    got = complete("hvkit", tool, "", cwd=empty)
    check(got == verbs, f"hvkit {tool} <TAB>: {got}, not its verbs {verbs}")
    # a unique prefix names the tool (hvkit's dispatch takes one)
    prefix = next(tool[:n] for n in range(1, len(tool) + 1)
                  if [t for t in tools if t.startswith(tool[:n])] == [tool])
    got = complete("hvkit", prefix, "", cwd=empty)
    check(got == verbs, f"hvkit {prefix} <TAB> (for {tool}): {got}")
    for w in (verbs[0][0], "nosuchverb", "afile"):
        got = complete("hvkit", tool, w, "", cwd=empty)
        check(got == [], f"hvkit {tool} {w} <TAB>: {got}, after a word that is no verb")
check(probes > 200, f"only {probes} probes")
check(not os.listdir(probe_dir), f"a probe with --help wrote {os.listdir(probe_dir)}")
print(f"{probes} option probes")
if fails:
    sys.exit(1)
print("ok: every verb is offered what it takes")
