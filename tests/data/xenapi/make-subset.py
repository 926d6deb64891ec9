#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes model.json, the part of the XenAPI data model that the move
tests' XenAPI server (tests/e2e/move/xapi_server.py) is driven by, from
XAPI's own doc/data/xenapi.json and release_info.json (see README).

  tests/data/xenapi/make-subset.py ../shared/reference/xenapi > tests/data/xenapi/model.json

Kept: the classes below; per field [type, qualifier, default or null,
release published, release removed or null]; per message [parameter
types, result type, release published, release removed or null,
parameter names]; the
enums those use; the release code names in order."""
import json
import os
import sys

CLASSES = ["session", "pool", "host", "SR", "VM", "VDI", "VBD", "VIF", "network", "task"]


def releases(lc):
    """(published, removed) release code names of a lifecycle."""
    pub = rem = None
    for t in lc.get("transitions", []):
        if t["transition"] == "published" and pub is None:
            pub = t["release"]
        if t["transition"] == "removed":
            rem = t["release"]
    return pub, rem


def main(src):
    with open(os.path.join(src, "xenapi.json")) as f:
        model = {c["name"]: c for c in json.load(f)}
    with open(os.path.join(src, "release_info.json")) as f:
        order = list(json.load(f))
    out = {"source": "xapi-project/xen-api doc/data/xenapi.json and release_info.json, "
                     "commit e2ee48d6883e0b98c4d219d3f0778a10c6655607 (LGPL-2.1 with "
                     "linking exception); made by tests/data/xenapi/make-subset.py",
           "releases": order, "classes": {}, "enums": {}}
    used = set()
    for name in CLASSES:
        c = model[name]
        pub, rem = releases(c["lifecycle"])
        fields = {}
        for fl in c["fields"]:
            fp, fr = releases(fl["lifecycle"])
            if fp is None:
                continue        # prototyped or internal: not in the public API
            fields[fl["name"]] = [fl["type"], fl["qualifier"], fl.get("default"), fp, fr]
            used.add(fl["type"])
        msgs = {}
        for m in c["messages"]:
            mp, mr = releases(m["lifecycle"])
            if mp is None:
                continue
            types = [p["type"] for p in m["params"]]
            msgs[m["name"]] = [types, m["result"][0] if m.get("result") else "void", mp, mr,
                               [p["name"] for p in m["params"]]]
            used.update(types)
        out["classes"][name] = {"published": pub, "removed": rem, "fields": fields,
                                "messages": msgs}
    enums = {e["name"]: [v["name"] for v in e["values"]]
             for c in model.values() for e in c.get("enums", [])}
    for t in sorted(used):
        for word in t.replace("(", " ").replace(")", " ").split():
            if word in enums:
                out["enums"][word] = enums[word]
    json.dump(out, sys.stdout, indent=0, sort_keys=True, separators=(",", ":"))
    sys.stdout.write("\n")


main(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/xenapi")
