#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the LAZY(...) lines of a lazily loaded library wrapper.

    scripts/gen-lazy.py HEADER... -- FUNCTION...

Each function's prototype is read from the headers (libarchive's
__LA_DECL lines or plain C declarations) and printed as
LAZY(ret, name, (params), (args)).  The output is pasted into the
wrapper (src/common/archive-lazy.c, src/topo/xen-libxl.c); the compiler
then checks every prototype against the real header, so a wrong line does
not build."""
import re
import sys

sep = sys.argv.index("--")
text = "".join(open(h).read() for h in sys.argv[1:sep])
text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
text = re.sub(r"^\s*#.*$", "", text, flags=re.M)
for name in sys.argv[sep + 1:]:
    m = re.search(r"(?:__LA_DECL\s+)?([A-Za-z_][\w\s\*]*?)\b" + name + r"\s*\(([^;{]*?)\)\s*(?:__\w+\s*(?:\([^)]*\))?\s*)*;", text, re.S)
    if not m:
        sys.exit(f"gen-lazy: no prototype for {name}")
    ret = " ".join(m.group(1).split())
    ret = re.sub(r"^(extern|__LA_DECL)\s+", "", ret)
    params = " ".join(m.group(2).split())
    if params in ("void", ""):
        print(f"LAZY({ret}, {name}, (void), ())")
        continue
    decl, args = [], []
    for i, p in enumerate(x.strip() for x in params.split(",")):
        p = re.sub(r"(?<=[\s*])_?[a-z]\w*$", "", p).rstrip() if re.search(r"[\s*]\w+$", p) and not p.endswith(("_t", "int", "long", "char", "void")) and len(p.split()) > 1 else p
        decl.append(f"{p} a{i}")
        args.append(f"a{i}")
    print(f"LAZY({ret}, {name}, ({', '.join(decl)}), ({', '.join(args)}))")
