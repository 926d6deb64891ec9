#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the wrappers and the symbol table of a lazily loaded library.

    scripts/gen-lazy.py LIBVAR HEADER... -- FUNCTION... [-- OTHER...]

Each FUNCTION's prototype is read from the headers (libarchive's
__LA_DECL lines, libcurl's CURL_EXTERN ones, libblkid's with their
__ul_attribute__ annotations, or plain C declarations) and printed as
LAZY_IN(LIBVAR, ret, name, (params), (args)) (see src/common/lazy.h).
Then comes LIBVAR's table, LAZY_SYMS(LIBVAR), naming every FUNCTION and
every OTHER (symbols whose wrappers are written by hand: variadic
functions, variables), each a LAZY_SYM(LIBVAR, name): lazy_lib_load()
resolves them all when it loads the library, so that a library lacking
one is refused there, in one line, and no call can fail later.

The output goes into src/common/lazy-*.c, which include the same headers
(and declare each OTHER's LAZY_FN pointer above it): the compiler then
checks every prototype against them, so a wrong line does not build.
The function lists are what `nm -u` shows the static libraries call.

    scripts/gen-lazy.py --check FILE...

checks that in each lazy-*.c every LAZY_IN(LIBVAR, ...) function is in
LIBVAR's table (a table entry without its pointer does not compile)."""
import re
import sys

TYPE_WORDS = {"int", "char", "long", "short", "double", "float", "void",
              "unsigned", "signed", "size_t", "ssize_t", "time_t", "off_t"}
# A first word that cannot stand alone as a type: "struct foo" and "const
# foo" name no parameter, "unsigned flags" does.
QUALIFIERS = {"struct", "enum", "union", "const"}
DECORATION = r"\b(extern|__LA_DECL|cairo_public|XMLPUBFUN|XMLCALL|CURL_EXTERN)\b"


def check(paths):
    bad = 0
    for path in paths:
        text = open(path).read()
        wrapped = re.findall(r"^LAZY_IN\((\w+),.*?,\s*(\w+),\s*\(", text, re.M)
        tables = {m.group(1): set(re.findall(r"LAZY_SYM\(\s*\w+\s*,\s*(\w+)\s*\)", m.group(2)))
                  for m in re.finditer(r"LAZY_SYMS\((\w+)\)\s*=\s*\{(.*?)\};", text, re.S)}
        for lib, name in wrapped:
            if name not in tables.get(lib, ()):
                print(f"{path}: {name} is not in LAZY_SYMS({lib})")
                bad += 1
    return 1 if bad else 0


def prototype(text, name):
    m = re.search(r"(?:__LA_DECL\s+)?([A-Za-z_][\w\s\*]*?)\b" + name +
                  r"\s*\(([^;{]*?)\)\s*(?:__\w+\s*(?:\([^)]*\))?\s*)*;", text, re.S)
    if not m:
        sys.exit(f"gen-lazy: no prototype for {name}")
    ret = " ".join(re.sub(DECORATION, "", m.group(1)).split())
    params = " ".join(m.group(2).split())
    if params in ("void", ""):
        return f"LAZY_IN({lib}, {ret}, {name}, (void), ())"
    decl, args = [], []
    for i, p in enumerate(x.strip() for x in params.split(",")):
        # Drop the parameter's name, keep its type.
        pm = re.match(r"^(.*?[\s*])([A-Za-z_]\w*)$", p)
        if (pm and pm.group(1).strip() and pm.group(2) not in TYPE_WORDS
                and pm.group(1).strip() not in QUALIFIERS):
            p = pm.group(1).rstrip()
        decl.append(f"{p} a{i}")
        args.append(f"a{i}")
    return f"LAZY_IN({lib}, {ret}, {name}, ({', '.join(decl)}), ({', '.join(args)}))"


if sys.argv[1:2] == ["--check"]:
    sys.exit(check(sys.argv[2:]))
seps = [i for i, a in enumerate(sys.argv) if a == "--"]
if not seps or len(seps) > 2:
    sys.exit(__doc__)
lib = sys.argv[1]
funcs = sys.argv[seps[0] + 1:seps[1] if len(seps) > 1 else None]
others = sys.argv[seps[1] + 1:] if len(seps) > 1 else []
text = "".join(open(h).read() for h in sys.argv[2:seps[0]])
text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
text = re.sub(r"^\s*#.*$", "", text, flags=re.M)
# libblkid: __ul_attribute__((nonnull)), __ul_attribute__((warn_unused_result)).
text = re.sub(r"__ul_attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)", "", text)
for name in funcs:
    print(prototype(text, name))
print(f"LAZY_SYMS({lib}) = {{")
for name in funcs + others:
    print(f"\tLAZY_SYM({lib}, {name}),")
print("};")
