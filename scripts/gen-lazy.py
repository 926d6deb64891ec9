#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the LAZY_IN(...) lines of a lazily loaded library wrapper.

    scripts/gen-lazy.py LIBVAR HEADER... -- FUNCTION...

Each function's prototype is read from the headers (libarchive's
__LA_DECL lines or plain C declarations) and printed as
LAZY_IN(LIBVAR, ret, name, (params), (args)) (see src/common/lazy.h).
The output goes into src/common/lazy-*.c, which include the same headers:
the compiler then checks every prototype against them, so a wrong line
does not build.  The function lists are what `nm -u` shows the static
libraries call."""
import re
import sys

TYPE_WORDS = {"int", "char", "long", "short", "double", "float", "void",
              "unsigned", "signed", "size_t", "ssize_t", "time_t", "off_t"}
QUALIFIERS = {"struct", "enum", "union", "const", "unsigned", "signed", "long", "short"}

sep = sys.argv.index("--")
lib = sys.argv[1]
text = "".join(open(h).read() for h in sys.argv[2:sep])
text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
text = re.sub(r"^\s*#.*$", "", text, flags=re.M)
for name in sys.argv[sep + 1:]:
    m = re.search(r"(?:__LA_DECL\s+)?([A-Za-z_][\w\s\*]*?)\b" + name + r"\s*\(([^;{]*?)\)\s*(?:__\w+\s*(?:\([^)]*\))?\s*)*;", text, re.S)
    if not m:
        sys.exit(f"gen-lazy: no prototype for {name}")
    ret = " ".join(m.group(1).split())
    ret = " ".join(re.sub(r"\b(extern|__LA_DECL|cairo_public|XMLPUBFUN|XMLCALL)\b", "", ret).split())
    params = " ".join(m.group(2).split())
    if params in ("void", ""):
        print(f"LAZY_IN({lib}, {ret}, {name}, (void), ())")
        continue
    decl, args = [], []
    for i, p in enumerate(x.strip() for x in params.split(",")):
        # Drop the parameter's name, keep its type.
        m = re.match(r"^(.*?[\s*])([A-Za-z_]\w*)$", p)
        if (m and m.group(1).strip() and m.group(2) not in TYPE_WORDS
                and m.group(1).strip() not in QUALIFIERS):
            p = m.group(1).rstrip()
        decl.append(f"{p} a{i}")
        args.append(f"a{i}")
    print(f"LAZY_IN({lib}, {ret}, {name}, ({', '.join(decl)}), ({', '.join(args)}))")
