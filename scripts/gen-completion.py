#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes bash and zsh completion for hvkit from the built binary's help
texts: the tools and global options of `hvkit --help`, each tool's verbs
(its usage lines), the options of each verb, which of them take a value,
and the values an option lists as A|B|C.  A verb's options are those of
its own `hvkit TOOL VERB --help` (move, and topo and cpuid, whose verbs'
help the command tables' option lists pick), else those its usage lines
in the tool's help name (sched): `move disk --to` offers what disk
writes, not what export does, `sched simulate` no daemon option.  Before
a verb, a tool whose usage takes options there (topo, cpuid) offers all
of them.  A unique prefix names a tool, as hvkit's own dispatch has it
(`hvkit t <TAB>` completes as `hvkit topo <TAB>`); verbs are given in
full, and after a word that is no verb nothing is offered; files only
after a verb whose usage names arguments, and as option values.
tests/pkg/completion-verbs.py holds every verb's list against the binary.

    gen-completion.py BUILD/hvkit OUT.bash OUT.zsh
"""
import re
import subprocess
import sys

# Values the help texts give in prose rather than as A|B|C; used only
# where a help text lists none for that option.
PROSE_VALUES = {
    "--names": ["linux", "xen", "qemu", "libvirt"],
    "--of": ["text", "json", "svg", "png", "pdf", "dot"],
    "--color": ["auto", "always", "never"],
    "--colour": ["auto", "always", "never"],
    "--fail-on": ["error", "warning", "info", "none"],
    "--release": ["7.1", "8.2", "8.3"],
    "--json": ["pretty"],
}
OPT = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)(\[?=[\w|]+\]?| [A-Za-z0-9][\w|.:/-]*)?")


def help_of(hvkit, *args):
    p = subprocess.run([hvkit, *args, "--help"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"gen-completion: {hvkit} {' '.join(args)} --help exited {p.returncode}")
    return p.stdout


def options(text):
    """{option: (takes_value, [values])} from the help text's option lines
    and usage lines."""
    out = {}
    for line in text.splitlines():
        raw, s = line, line.strip()
        if not (s.startswith("-") or s.startswith("usage:") or s.startswith("hvkit") or s.startswith("[")):
            continue
        if s.startswith("-"):
            # an option line: the option column, not its description
            # ("--json  same as --of json" says nothing of --of's values)
            line = re.split(r"\s{2,}", s)[0]
            # a description's own line that starts with an option, indented
            # under its verb ("--prometheus prints the metrics of ..."), is
            # prose: it names no value
            if len(raw) - len(raw.lstrip()) > 6:
                continue
        for m in OPT.finditer(line):
            name, arg = m.group(1), (m.group(2) or "").strip()
            if name in ("-", "--") or (name.startswith("-") and not name.startswith("--") and len(name) != 2):
                continue
            optional = arg.startswith("[=")
            arg = arg.strip("[]").lstrip("=")
            # a value: a NAME, a list a|b, a number or an example (plot.svg,
            # 1s); an option that follows ("-o --json") is none
            takes = bool(arg) and not optional and not arg.startswith("-")
            # "--for xapi", "--to xl": the one value; "1s", "plot.svg": examples
            values = [v for v in arg.split("|") if re.fullmatch(r"[a-z0-9][a-z0-9.-]*", v)] \
                if "|" in arg or optional else [arg] if re.fullmatch(r"[a-z][a-z-]*", arg) else []
            old = out.get(name, (False, []))
            out[name] = (takes or old[0], old[1] + [v for v in values if v not in old[1]])
    for name, (takes, vals) in out.items():
        if not vals and name in PROSE_VALUES:
            out[name] = (takes, PROSE_VALUES[name])
    # "-o, --output FILE": the short name takes what the long one does
    for short, long in pairs(text):
        if short in out and long in out:
            t = out[short][0] or out[long][0]
            v = out[short][1] or out[long][1]
            out[short] = out[long] = (t, v)
    return out


def pairs(text):
    """The (short, long) names of one option ("-v, --verbose")."""
    return re.findall(r"(?<![\w-])(-[a-zA-Z]), (--[a-z][\w-]*)", text)


def with_aliases(opts, known):
    """opts with the other name of each option it names by one of the
    pairs known ("[-v]" in a usage line: --verbose too)."""
    out = dict(opts)
    for short, long in known:
        for a, b in ((short, long), (long, short)):
            if a in out and b not in out:
                out[b] = out[a]
    return out


def merge(a, b):
    out = dict(a)
    for name, (takes, vals) in b.items():
        old = out.get(name, (False, []))
        out[name] = (takes or old[0], old[1] + [x for x in vals if x not in old[1]])
    return out


def verbs(tool, text):
    found = []
    for m in re.finditer(r"hvkit %s ([a-z][a-z-]*)\b" % re.escape(tool), text):
        if m.group(1) not in found:
            found.append(m.group(1))
    return found


def usage_lines(tool, verb, text):
    """The usage lines of `hvkit TOOL VERB` (VERB None: the tool's own,
    "hvkit topo [OPTIONS]") in a help text: the line that names it and
    those that go on with it ("[--guest-max FILE]")."""
    out, on = [], False
    for line in text.split("\n\n")[0].splitlines():
        s = line.strip()
        if s.startswith("usage:"):
            s = s[len("usage:"):].strip()
        if s.startswith("hvkit "):
            words = s.split()
            on = words[1] == tool and (words[2:3] == [verb] if verb else
                                       len(words) > 2 and words[2][0] in "[-")
        if on:
            out.append(s)
    return out


def takes_args(lines):
    """Whether a verb's usage names an argument (IN OUT, CONF TRACE, WHAT)
    before its options: after it come files, else nothing."""
    words = lines[0].split()[3:] if lines else []
    return bool(words) and words[0][0] not in "[-"


def q(words):
    return "'" + " ".join(words) + "'"


def tables(tools, glob, table, verb_list, args):
    """The shell functions bash and zsh share (plain POSIX case)."""
    b = ["# _hvkit_values TOOL:VERB:OPTION: the values OPTION takes there.",
         "_hvkit_values() {", '\tcase "$1" in']
    for k, (takes, vals) in sorted(glob.items()):
        if vals:
            b.append(f"\t::{k}) echo {q(vals)} ;;")
    for t, per in table.items():
        for v, o in per.items():
            for k, (takes, vals) in sorted(o.items()):
                if vals:
                    b.append(f"\t{t}:{v}:{k}) echo {q(vals)} ;;")
    b += ["\tesac", "}", "",
          "# _hvkit_opts TOOL:VERB: its options (VERB empty: those before a",
          "# verb); _hvkit_takes TOOL:VERB: those that take a value (the next",
          "# word is the value)."]
    for fn, pick in (("_hvkit_opts", lambda o: sorted(o)),
                     ("_hvkit_takes", lambda o: [k for k, x in sorted(o.items()) if x[0]])):
        b += [fn + "() {", '\tcase "$1" in', f"\t:) echo {q(pick(glob))} ;;"]
        for t, per in table.items():
            for v, o in per.items():
                b.append(f"\t{t}:{v}) echo {q(pick(o))} ;;")
        b += ["\tesac", "}"]
    b += ["_hvkit_verbs() {", '\tcase "$1" in']
    for t, vs in verb_list.items():
        b.append(f"\t{t}) echo {q(vs)} ;;")
    b += ["\tesac", "}", "",
          "# _hvkit_args TOOL:VERB: whether the verb takes arguments (files).",
          "_hvkit_args() {", '\tcase "$1" in']
    for t, vs in args.items():
        for v in vs:
            b.append(f"\t{t}:{v}) return 0 ;;")
    b += ["\tesac", "\treturn 1", "}", "",
          "# The tool WORD names: itself, else the only tool it begins.",
          "_hvkit_tool() {",
          "\tlocal t found='' n=0",
          f"\tfor t in {' '.join(tools)}; do",
          '\t\t[ "$t" = "$1" ] && { echo "$t"; return; }',
          '\t\tcase "$t" in "$1"*) found=$t; n=$((n + 1)) ;; esac',
          "\tdone",
          '\t[ "$n" = 1 ] && echo "$found"',
          "}", ""]
    return b


def main():
    hvkit, out_bash, out_zsh = sys.argv[1:4]
    top = help_of(hvkit)
    tools = re.findall(r"^  ([a-z]+)\s{2,}", top.split("Commands:")[1].split("\n\n")[0], re.M)
    glob = options(top.split("Global options:")[1]) if "Global options:" in top else {}
    # table[tool][verb] = options; verb "" is the tool's own (before a
    # verb): every option of its help where its usage has options before
    # a verb (topo, cpuid), else only --help
    table, verb_list, args = {}, {}, {}
    for t in tools:
        if t == "help":
            continue
        text = help_of(hvkit, t)
        vs = verbs(t, text)
        verb_list[t] = vs
        whole = options(text)
        known = pairs(top) + pairs(text)
        per = {"": whole if usage_lines(t, None, text) else
               {k: x for k, x in whole.items() if k in ("-h", "--help")}}
        args[t] = []
        for v in vs:
            vt = help_of(hvkit, t, v)
            lines = usage_lines(t, v, vt)
            if vt != text:
                # the verb's own help: its options
                per[v] = options(vt)
            else:
                # the tool's help for each verb (sched): the options its
                # usage lines name, with the values the help lists
                mine = options("\n".join(lines))
                per[v] = {k: (takes or whole.get(k, (False, []))[0],
                              vals or whole.get(k, (False, []))[1])
                          for k, (takes, vals) in mine.items()}
            # an option with no values of its own here: those the tool's
            # help gives it ("--for TARGET" under baseline, listed under
            # policy)
            per[v] = with_aliases({k: (takes, vals or whole.get(k, (False, []))[1])
                                   for k, (takes, vals) in per[v].items()}, known)
            if takes_args(lines):
                args[t].append(v)
        table[t] = per
    # `hvkit help [-v] TOOL`
    verb_list["help"] = [t for t in tools if t != "help"]
    table["help"] = {"": {"-v": (False, []), "--verbose": (False, [])}}
    shared = tables(tools, glob, table, verb_list, args)
    # `hvkit help [-v] [COMMAND [VERB]]`: after help TOOL, TOOL's verbs
    help_verbs = "1" if re.search(r"hvkit help .*VERB", top) else ""

    # ---- bash ----
    b = ["# bash completion for hvkit, generated by scripts/gen-completion.py", ""] + shared
    b.append("_hvkit() {")
    b.append('\tlocal cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"')
    b.append('\tlocal tool="" verb="" of="" i w where=":" vals')
    b.append("\tCOMPREPLY=()")
    b.append('\tfor ((i = 1; i < COMP_CWORD; i++)); do')
    b.append('\t\tw="${COMP_WORDS[i]}"')
    b.append('\t\tif [[ $w == -* ]]; then')
    b.append('\t\t\t# an option that takes a value: skip the value (not "--opt=value")')
    b.append('\t\t\t[[ $w != *=* && " $(_hvkit_takes "$where") " == *" $w "* && ${COMP_WORDS[i+1]} != = ]] && ((i++))')
    b.append('\t\t\tcontinue')
    b.append('\t\tfi')
    b.append('\t\t[[ $w == = || ${COMP_WORDS[i-1]} == = ]] && continue')
    b.append('\t\tif [[ -z $tool ]]; then')
    b.append('\t\t\ttool="$(_hvkit_tool "$w")"')
    b.append('\t\t\t[[ -z $tool ]] && return')
    b.append('\t\t\twhere="$tool:"')
    b.append('\t\telif [[ $tool == help ]]; then')
    b.append('\t\t\t# help TOOL [VERB]: the tool a help describes, then nothing')
    b.append(f'\t\t\t[[ -n "{help_verbs}" && -z $of ]] || return')
    b.append('\t\t\tof="$(_hvkit_tool "$w")"')
    b.append('\t\t\t[[ -z $of ]] && return')
    b.append('\t\telif [[ -z $verb ]]; then')
    b.append('\t\t\t# a verb in full (verbs take no abbreviation); after')
    b.append('\t\t\t# anything else nothing goes')
    b.append('\t\t\t[[ " $(_hvkit_verbs "$tool") " == *" $w "* ]] || return')
    b.append('\t\t\tverb="$w"; where="$tool:$verb"')
    b.append('\t\tfi')
    b.append("\tdone")
    b.append('\t# the value of an option: "--opt VALUE", "--opt=VALUE" (bash splits')
    b.append('\t# at "=": "--opt" "=" "VALUE") or one word "--opt=VALUE"')
    b.append('\tlocal opt="" pre=""')
    b.append('\tif [[ $cur == --*=* ]]; then')
    b.append('\t\topt="${cur%%=*}"; pre="$opt="; cur="${cur#*=}"')
    b.append('\telif [[ $cur == = ]]; then')
    b.append('\t\topt="$prev"; cur=""')
    b.append('\telif [[ $prev == = ]]; then')
    b.append('\t\topt="${COMP_WORDS[COMP_CWORD-2]}"')
    b.append('\telif [[ $prev == -* && " $(_hvkit_takes "$where") " == *" $prev "* ]]; then')
    b.append('\t\topt="$prev"')
    b.append("\tfi")
    b.append('\tif [[ -n $opt ]]; then')
    b.append('\t\tvals="$(_hvkit_values "$where:$opt")"')
    b.append('\t\t[[ -z $vals ]] && vals="$(_hvkit_values "::$opt")"')
    b.append('\t\tif [[ -n $vals ]]; then')
    b.append('\t\t\tCOMPREPLY=($(compgen -P "$pre" -W "$vals" -- "$cur"))')
    b.append('\t\telse')
    # one name a line: a name with a space in it stays one word
    b.append('\t\t\tmapfile -t COMPREPLY < <(compgen -P "$pre" -f -- "$cur")')
    b.append("\t\tfi")
    b.append("\t\treturn")
    b.append("\tfi")
    b.append('\tif [[ $cur == -* ]]; then')
    b.append('\t\tCOMPREPLY=($(compgen -W "$(_hvkit_opts "$where")" -- "$cur")); return')
    b.append("\tfi")
    b.append('\tif [[ -z $tool ]]; then')
    b.append(f"\t\tCOMPREPLY=($(compgen -W {q(tools)} -- \"$cur\")); return")
    b.append("\tfi")
    b.append('\tif [[ -n $of ]]; then')
    b.append('\t\tCOMPREPLY=($(compgen -W "$(_hvkit_verbs "$of")" -- "$cur")); return')
    b.append("\tfi")
    b.append('\tif [[ -z $verb ]]; then')
    b.append('\t\tCOMPREPLY=($(compgen -W "$(_hvkit_verbs "$tool")" -- "$cur")); return')
    b.append("\tfi")
    b.append('\t_hvkit_args "$where" && mapfile -t COMPREPLY < <(compgen -f -- "$cur")')
    b.append("}")
    b.append("complete -o filenames -F _hvkit hvkit")
    open(out_bash, "w").write("\n".join(b) + "\n")

    # ---- zsh: the same tables and walk; zsh keeps "--opt=VALUE" one word ----
    z = ["#compdef hvkit", "# zsh completion for hvkit, generated by scripts/gen-completion.py", ""]
    z += shared
    z.append("_hvkit() {")
    z.append("\tlocal cur=${words[CURRENT]} prev=${words[CURRENT-1]}")
    z.append("\tlocal tool= verb= of= w where=: vals opt=")
    z.append("\tlocal -i i")
    z.append("\tfor ((i = 2; i < CURRENT; i++)); do")
    z.append("\t\tw=${words[i]}")
    z.append("\t\tif [[ $w == -* ]]; then")
    z.append("\t\t\t[[ $w != *=* && \" $(_hvkit_takes $where) \" == *\" $w \"* ]] && ((i++))")
    z.append("\t\t\tcontinue")
    z.append("\t\tfi")
    z.append("\t\tif [[ -z $tool ]]; then")
    z.append("\t\t\ttool=$(_hvkit_tool $w)")
    z.append("\t\t\t[[ -z $tool ]] && return 1")
    z.append("\t\t\twhere=\"$tool:\"")
    z.append("\t\telif [[ $tool == help ]]; then")
    z.append(f"\t\t\t[[ -n \"{help_verbs}\" && -z $of ]] || return 1")
    z.append("\t\t\tof=$(_hvkit_tool $w)")
    z.append("\t\t\t[[ -z $of ]] && return 1")
    z.append("\t\telif [[ -z $verb ]]; then")
    z.append("\t\t\t[[ \" $(_hvkit_verbs $tool) \" == *\" $w \"* ]] || return 1")
    z.append("\t\t\tverb=$w where=\"$tool:$verb\"")
    z.append("\t\tfi")
    z.append("\tdone")
    z.append("\tif [[ $cur == --*=* ]]; then")
    z.append("\t\topt=${cur%%=*}")
    z.append("\t\tcompset -P '*='")
    z.append("\telif [[ $prev == -* && \" $(_hvkit_takes $where) \" == *\" $prev \"* ]]; then")
    z.append("\t\topt=$prev")
    z.append("\tfi")
    z.append("\tif [[ -n $opt ]]; then")
    z.append("\t\tvals=$(_hvkit_values \"$where:$opt\")")
    z.append("\t\t[[ -z $vals ]] && vals=$(_hvkit_values \"::$opt\")")
    z.append("\t\tif [[ -n $vals ]]; then")
    z.append("\t\t\tcompadd -- ${=vals}")
    z.append("\t\telse")
    z.append("\t\t\t_files")
    z.append("\t\tfi")
    z.append("\t\treturn")
    z.append("\tfi")
    z.append("\tif [[ $cur == -* ]]; then")
    z.append("\t\tcompadd -- ${=$(_hvkit_opts $where)}")
    z.append("\telif [[ -z $tool ]]; then")
    z.append(f"\t\tcompadd -- {' '.join(tools)}")
    z.append("\telif [[ -n $of ]]; then")
    z.append("\t\tcompadd -- ${=$(_hvkit_verbs $of)}")
    z.append("\telif [[ -z $verb ]]; then")
    z.append("\t\tcompadd -- ${=$(_hvkit_verbs $tool)}")
    z.append("\telif _hvkit_args $where; then")
    z.append("\t\t_files")
    z.append("\tfi")
    z.append("}")
    z.append('_hvkit "$@"')
    open(out_zsh, "w").write("\n".join(z) + "\n")


main()
