# SPDX-License-Identifier: MIT
"""A loopback XenAPI server for the hvkit move push and pull tests, driven
by XAPI's own data model (tests/data/xenapi/model.json, made from XAPI's
doc/data/xenapi.json by make-subset.py) for one release: XenServer 7.1
("ely"), Citrix Hypervisor 8.2 / XCP-ng 8.2 ("stockholm") or XenServer 8 /
XCP-ng 8.3 ("nile"); XapiState(release=...) or $HVKIT_XAPI_RELEASE.

Wire protocol as XAPI's: XML-RPC over HTTP(S) POST /, results as
{"Status": "Success", "Value": ...} or {"Status": "Failure",
"ErrorDescription": [CODE, ...]}; int64 values as strings.  Every call
is checked against the model for the release, with XAPI's errors:
- a message the release does not have: MESSAGE_METHOD_UNKNOWN [method];
- a wrong number of parameters: MESSAGE_PARAMETER_COUNT_MISMATCH
  [method, expected, received];
- a parameter or record field of the wrong type, an enum value out of
  range: FIELD_TYPE_ERROR [name];
- a reference to no object of the parameter's class: HANDLE_INVALID
  [class, ref]; a session that is not one: SESSION_INVALID [ref];
- CLASS.create without a constructor field that has no default: XAPI's
  generated unmarshaller fails ("Field F not present in rpc"), which XAPI
  answers as INTERNAL_ERROR [that text];
- a record field the release does not have: XAPI ignores it silently (its
  unmarshaller looks up only the fields it knows) and so does this
  server, but it is noted in .violations: the setting would be lost on a
  real pool, so the tests require .violations to stay empty.
Records carry every field of the class in that release, with the model's
defaults; VM.VBDs, VM.VIFs, VDI.VBDs, network.VIFs and SR.VDIs are
computed from the references, as XAPI keeps them.  The pool's master
reports the release's API version (2.6, 2.15, 2.21: XAPI's
datamodel_types.ml release table), or XapiState(api=(2, 2)) to play a
pool from before XenServer 6.5, which has no format=vhd.  Messages the model has that this
server does not implement answer NOT_IMPLEMENTED [method].

HTTP, as XAPI's handlers: PUT /import_raw_vdi?session_id=&vdi=&task_id=
&format=raw|vhd stores the disk (a VHD body is parsed and checked with
vhdlib and must describe the VDI's size) and completes the task;
GET /export_raw_vdi?...&format=raw|vhd sends a VDI's bytes (zeros for a
VDI never written) or a dynamic VHD of its data blocks.  .calls lists
every call; .export_fault makes an export fail for the bad-case tests
(("mutate", fn[, "close" or a Content-Length error]) a hostile body):
("task", error_info) sends half the body, fails the task and drops the
connection (HTTP status 200, as XAPI answers before it knows);
("short", n) sends n bytes of a Content-Length body and drops the
connection; ("close", n) sends n bytes without a Content-Length;
("mutate", f) sends f(body) as a whole body and lets the task succeed."""
import collections.abc
import http.server
import json
import os
import shutil
import ssl
import tempfile
import threading
import urllib.parse
import uuid
import xmlrpc.client

import vhdlib

MODEL = os.path.join(os.path.dirname(__file__), "..", "..", "data", "xenapi", "model.json")
with open(MODEL) as _f:
    _M = json.load(_f)
ORDER = {r: i for i, r in enumerate(_M["releases"])}
# API version a release's hosts report (XAPI's datamodel_types.ml).
API_VERSION = {"ely": (2, 6), "stockholm": (2, 15), "nile": (2, 21)}
BRAND = {"ely": ("XenServer", "7.1.2"), "stockholm": ("XCP-ng", "8.2.1"),
         "nile": ("XCP-ng", "8.3.0")}
# Parameters with a default in XAPI's datamodel.ml (versioned params):
# a client may leave them out.
OPTIONAL_TAIL = {"session.login_with_password": 2}
# (class, field) -> (class that points back, its field).
BACKREFS = {("VM", "VBDs"): ("VBD", "VM"), ("VM", "VIFs"): ("VIF", "VM"),
            ("VDI", "VBDs"): ("VBD", "VDI"), ("network", "VIFs"): ("VIF", "network"),
            ("SR", "VDIs"): ("VDI", "SR")}
NULL = "OpaqueRef:NULL"


class Failure(Exception):
    pass


def in_release(published, removed, release):
    r = ORDER[release]
    return published in ORDER and ORDER[published] <= r and (removed is None or ORDER[removed] > r)


def parse_type(t):
    """'(string -> enum x) map' -> ("map", ("string",), ("enum", "x"))."""
    t = t.strip()
    if t.endswith(" set"):
        return ("set", parse_type(t[:-4]))
    if t.endswith(" map"):
        inner, depth = t[:-4].strip()[1:-1], 0
        for i in range(len(inner)):
            depth += {"(": 1, ")": -1}.get(inner[i], 0)
            if depth == 0 and inner.startswith(" -> ", i):
                return ("map", parse_type(inner[:i]), parse_type(inner[i + 4:]))
    if t.endswith(" option"):
        return ("option", parse_type(t[:-7]))
    for suffix in (" ref", " record"):
        if t.endswith(suffix):
            return (suffix.strip(), t[:-len(suffix)])
    if t.startswith("enum "):
        return ("enum", t[5:])
    return (t,)


class Disks(collections.abc.Mapping):
    """VDI ref -> the disk's bytes; each kept in a sparse file of dir
    (.path(ref)), so that big sparse disks cost no memory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hvkit-xapi-")
        self.refs = set()

    def path(self, ref):
        return os.path.join(self.dir, ref.replace(":", "_"))

    def __getitem__(self, ref):
        if ref not in self.refs:
            raise KeyError(ref)
        with open(self.path(ref), "rb") as f:
            return f.read()

    def __contains__(self, ref):
        return ref in self.refs

    def __iter__(self):
        return iter(self.refs)

    def __len__(self):
        return len(self.refs)

    def __del__(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class XapiState:
    def __init__(self, user, password, sr_uuid, release=None, api=None):
        self.release = release or os.environ.get("HVKIT_XAPI_RELEASE", "nile")
        if self.release not in API_VERSION:
            raise ValueError(f"unknown release {self.release}")
        self.user, self.password = user, password
        self.classes = {}
        for name, c in _M["classes"].items():
            self.classes[name] = {
                "fields": {f: v for f, v in c["fields"].items() if in_release(v[3], v[4], self.release)},
                "messages": {m: v for m, v in c["messages"].items()
                             if in_release(v[2], v[3], self.release)}}
        self.db = {name: {} for name in self.classes}
        self.sessions = set()
        self.disks = Disks()
        self.received = {}   # VDI ref -> format of the last upload
        self.calls = []
        self.checked = 0
        self.rejected = []   # [method, error code]
        self.violations = []
        self.export_fault = None
        brand, version = BRAND[self.release]
        major, minor = api or API_VERSION[self.release]
        # format=vhd came with XenServer 6.5 (XenAPI 2.3; xen-api #1832):
        # an older pool would store a VHD's bytes as the disk's.
        self.vhd = (major, minor) >= (2, 3)
        host = self.new("host", {"name_label": "xcp-host", "API_version_major": str(major),
                                 "API_version_minor": str(minor), "API_version_vendor": "XenSource",
                                 "software_version": {"product_brand": brand,
                                                      "product_version": version,
                                                      "platform_name": "XCP"}})
        self.new("pool", {"master": host})
        self.sr = self.new("SR", {"uuid": sr_uuid, "name_label": "Local storage"})
        self.new("network", {"name_label": "Pool-wide network associated with eth0",
                             "bridge": "xenbr0"})

    def new(self, cls, rec):
        ref = "OpaqueRef:" + str(uuid.uuid4())
        rec.setdefault("uuid", str(uuid.uuid4()))
        self.db[cls][ref] = rec
        return ref

    # ---- values against the model's types ----

    def default(self, ty, text):
        """The model's default (its text form) or the type's zero."""
        k = parse_type(ty)
        if k[0] == "int":
            return str(int(text)) if text else "0"
        if k[0] == "float":
            return float(text) if text else 0.0
        if k[0] == "bool":
            return text == "true"
        if k[0] in ("set",):
            return []
        if k[0] == "map":
            return {}
        if k[0] == "ref":
            return text or NULL
        if k[0] == "datetime":
            return xmlrpc.client.DateTime("19700101T00:00:00Z")
        if k[0] == "enum":
            return text or _M["enums"][k[1]][0]
        if text and len(text) >= 2 and text[0] == text[-1] == '"':
            return text[1:-1]
        return text or ""

    def check_value(self, name, k, v, param=False):
        """Raises FIELD_TYPE_ERROR or HANDLE_INVALID; returns v as stored."""
        bad = Failure(["FIELD_TYPE_ERROR", name])
        kind = k[0]
        if kind == "string":
            if not isinstance(v, str):
                raise bad
        elif kind == "int":
            try:
                n = int(v) if isinstance(v, (str, int)) and not isinstance(v, bool) else None
            except ValueError:
                n = None
            if n is None or not -2**63 <= n < 2**63:
                raise bad
            return str(n)
        elif kind == "float":
            if not isinstance(v, (float, int)) or isinstance(v, bool):
                raise bad
        elif kind == "bool":
            if not isinstance(v, bool):
                raise bad
        elif kind == "datetime":
            if not isinstance(v, (xmlrpc.client.DateTime, str)):
                raise bad
        elif kind == "enum":
            if v not in _M["enums"][k[1]]:
                raise bad
        elif kind == "ref":
            if not isinstance(v, str) or not v.startswith("OpaqueRef:"):
                raise bad
            if v not in self.db.get(k[1], {}) and (param or v != NULL):
                raise Failure(["HANDLE_INVALID", k[1], v])
        elif kind == "set":
            if not isinstance(v, list):
                raise bad
            return [self.check_value(name, k[1], x, param) for x in v]
        elif kind == "map":
            if not isinstance(v, dict):
                raise bad
            return {self.check_value(name, k[1], a, param):
                    self.check_value(name, k[2], b, param) for a, b in v.items()}
        elif kind == "record":
            if not isinstance(v, dict):
                raise bad
        return v

    def check_record(self, cls, rec):
        """A constructor's record: every constructor field without a
        default present, each of its type; returns the stored record."""
        fields = self.classes[cls]["fields"]
        out = {}
        for f, (ty, qual, dflt, _, _) in fields.items():
            if qual not in ("RW", "RO/constructor"):
                continue
            if f in rec:
                out[f] = self.check_value(f, parse_type(ty), rec[f])
            elif dflt is None:
                raise Failure(["INTERNAL_ERROR", f"Field {f} not present in rpc"])
        for f in rec:
            if f not in fields or fields[f][1] not in ("RW", "RO/constructor"):
                self.violations.append(f"{cls}.create: field '{f}' is not a constructor field of "
                                       f"{self.release}")
        if cls == "VM":
            m = [int(out[k]) for k in ("memory_static_min", "memory_dynamic_min",
                                        "memory_dynamic_max", "memory_static_max")]
            if m != sorted(m):
                raise Failure(["MEMORY_CONSTRAINT_VIOLATION"])
            if int(out["VCPUs_at_startup"]) > int(out["VCPUs_max"]):
                raise Failure(["VCPUS_AT_STARTUP_EXCEEDS_MAX"])
        return out

    def record(self, cls, ref):
        rec = {}
        stored = self.db[cls][ref]
        for f, (ty, _, dflt, _, _) in self.classes[cls]["fields"].items():
            rec[f] = stored[f] if f in stored else self.default(ty, dflt)
        for (c, field), (other, back) in BACKREFS.items():
            if c == cls and field in rec:
                rec[field] = [r for r, o in self.db[other].items() if o.get(back) == ref]
        return rec

    # ---- calls ----

    def call(self, method, params):
        self.calls.append(method)
        try:
            return self.dispatch(method, params)
        except Failure as e:
            self.rejected.append([method, e.args[0][0]])
            raise

    def dispatch(self, method, params):
        cls, _, op = method.partition(".")
        msg = self.classes.get(cls, {}).get("messages", {}).get(op)
        if msg is None:
            raise Failure(["MESSAGE_METHOD_UNKNOWN", method])
        types = msg[0]
        if not len(types) - OPTIONAL_TAIL.get(method, 0) <= len(params) <= len(types):
            raise Failure(["MESSAGE_PARAMETER_COUNT_MISMATCH", method, str(len(types)),
                           str(len(params))])
        self.checked += 1
        if method == "session.login_with_password":
            if not all(isinstance(p, str) for p in params):
                raise Failure(["FIELD_TYPE_ERROR", "uname"])
            if tuple(params[:2]) != (self.user, self.password):
                raise Failure(["SESSION_AUTHENTICATION_FAILED", params[0],
                               "Authentication failure"])
            s = "OpaqueRef:" + str(uuid.uuid4())
            self.sessions.add(s)
            return s
        if types[0] == "session ref" and params[0] not in self.sessions:
            raise Failure(["SESSION_INVALID", str(params[0])])
        if method == "session.logout":
            self.sessions.discard(params[0])
            return ""
        args = list(params[1:])
        for i, ty in enumerate(types[1:]):
            k = parse_type(ty)
            if k[0] != "record":
                args[i] = self.check_value(msg[4][i + 1], k, args[i], True)
        return self.perform(cls, op, method, args)

    def perform(self, cls, op, method, args):
        db = self.db[cls]
        fields = self.classes[cls]["fields"]
        if method == "task.create":
            return self.new("task", {"name_label": args[0], "name_description": args[1],
                                     "status": "pending"})
        if op == "create":
            return self.new(cls, self.check_record(cls, args[0]))
        if op == "destroy":
            db.pop(args[0])
            return ""
        if op == "get_all":
            return list(db)
        if op == "get_by_uuid":
            for ref, r in db.items():
                if r["uuid"] == args[0]:
                    return ref
            raise Failure(["UUID_INVALID", cls, args[0]])
        if op == "get_by_name_label":
            return [ref for ref, r in db.items() if r.get("name_label") == args[0]]
        if op == "get_record":
            return self.record(cls, args[0])
        if op.startswith("get_") and op[4:] in fields:
            return self.record(cls, args[0])[op[4:]]
        if op.startswith("set_") and op[4:] in fields:
            db[args[0]][op[4:]] = args[1]
            return ""
        raise Failure(["NOT_IMPLEMENTED", method])

    def summary(self):
        """One line for the test's log: what was checked and refused."""
        codes = {}
        for method, code in self.rejected:
            codes[code] = codes.get(code, 0) + 1
        return (f"XenAPI {self.release}: {self.checked} calls checked against the model, "
                f"{len(self.rejected)} rejected {codes or ''}, {len(self.violations)} fields the "
                f"release lacks")

    def finish_task(self, task, error_info=None):
        if task is not None:
            task["status"] = "failure" if error_info else "success"
            task["progress"] = 1.0
            if error_info:
                task["error_info"] = error_info


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, body=b"", ctype="text/xml"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        st = self.server.state
        body = self.rfile.read(int(self.headers["Content-Length"]))
        params, method = xmlrpc.client.loads(body)
        try:
            value = st.call(method, params)
            res = {"Status": "Success", "Value": value}
        except Failure as e:
            res = {"Status": "Failure", "ErrorDescription": e.args[0]}
        self.reply(200, xmlrpc.client.dumps((res,), methodresponse=True,
                                            allow_none=False).encode())

    def read_body(self):
        """The request body, chunked or with a Content-Length, as a file
        object that reads it in order."""
        return vhdlib.BodyReader(self.rfile, self.headers)

    def do_PUT(self):
        st = self.server.state
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        body = self.read_body()
        st.calls.append("PUT " + url.path + " format=" + q.get("format", ""))
        task = st.db["task"].get(q.get("task_id"))
        vdi = st.db["VDI"].get(q.get("vdi"))
        if url.path != "/import_raw_vdi" or q.get("session_id") not in st.sessions:
            body.drain()
            return self.reply(403, b"", "text/plain")
        fmt = q.get("format", "raw")
        if not vdi or fmt not in ("raw", "vhd") or (fmt == "vhd" and not st.vhd):
            body.drain()
            st.finish_task(task, ["HANDLE_INVALID", "VDI", q.get("vdi", "")] if not vdi
                           else ["FORMAT_NOT_SUPPORTED", fmt])
            return self.reply(200 if vdi else 404, b"", "text/plain")
        size = int(vdi["virtual_size"])
        tmp = st.disks.path(q["vdi"]) + ".new"
        try:
            with open(tmp, "wb") as out:
                if fmt == "vhd":
                    vhdlib.read_stream(body, size, out)
                else:
                    while body.pos < size:
                        b = body.read(min(1 << 20, size - body.pos))
                        if not b:
                            break
                        if b != vhdlib.ZEROS[:len(b)]:
                            out.write(b)
                        else:
                            out.seek(len(b), os.SEEK_CUR)
                    out.truncate(size)
                    if body.pos != size or body.read(1):
                        raise ValueError(f"{body.pos} bytes or more for a VDI of {size}")
        except ValueError as e:
            body.drain()
            os.unlink(tmp)
            st.finish_task(task, ["VDI_IO_ERROR", str(e)])
            return self.reply(200, b"", "text/plain")
        os.replace(tmp, st.disks.path(q["vdi"]))
        st.disks.refs.add(q["vdi"])
        st.finish_task(task)
        st.received[q["vdi"]] = fmt
        self.reply(200, b"", "text/plain")

    def do_GET(self):
        st = self.server.state
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        fmt = q.get("format", "raw")
        st.calls.append("GET " + url.path)
        st.calls.append("GET format=" + fmt)
        if url.path != "/export_raw_vdi" or q.get("session_id") not in st.sessions:
            return self.reply(403, b"", "text/plain")
        task = st.db["task"].get(q.get("task_id"))
        vdi = st.db["VDI"].get(q.get("vdi"))
        if not vdi:
            st.finish_task(task, ["HANDLE_INVALID", "VDI", q.get("vdi", "")])
            return self.reply(404, b"VDI not found\r\n", "text/plain")
        if fmt not in ("raw", "vhd") or (fmt == "vhd" and not st.vhd):
            st.finish_task(task, ["FORMAT_NOT_SUPPORTED", fmt])
            return self.reply(400, b"format not supported here\r\n", "text/plain")
        size = int(vdi["virtual_size"])
        path = st.disks.path(q["vdi"])
        if q["vdi"] not in st.disks:
            with open(path, "wb") as f:
                f.truncate(size)
            st.disks.refs.add(q["vdi"])
        fd = os.open(path, os.O_RDONLY)
        try:
            if fmt == "vhd":
                length, chunks = vhdlib.dynamic_vhd(fd, size)
            else:
                length = size
                chunks = (os.pread(fd, min(1 << 20, size - o), o) for o in range(0, size, 1 << 20))
            self.send_body(st, task, length, chunks)
        finally:
            os.close(fd)

    def send_body(self, st, task, length, chunks):
        fault = st.export_fault
        if fault and fault[0] == "mutate":     # a hostile body, whole
            body = fault[1](b"".join(chunks))
            # then: the connection closed once it is sent, or a
            # Content-Length that many bytes off (the rest sent anyway).
            then = fault[2] if len(fault) > 2 else None
            length, chunks, fault = len(body), [body], None
            if then is not None:
                self.send_response(200)
                self.send_header("Content-Length", str(length + (0 if then == "close" else then)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
                return st.finish_task(task, None)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if fault and fault[0] == "close":
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        n = length // 2 if fault and fault[0] == "task" else fault[1] if fault else length
        sent = 0
        for c in chunks:
            c = c[:n - sent]
            self.wfile.write(c)
            sent += len(c)
            if sent >= n:
                break
        if fault:
            self.wfile.flush()
            self.close_connection = True
        st.finish_task(task, fault[1] if fault and fault[0] == "task" else None)


def serve(state, certfile=None, keyfile=None):
    """Starts the server on 127.0.0.1 (a free port) in a thread; returns
    (server, port)."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.state = state
    # A client that hangs up mid-body (as the bad-case tests make hvkit
    # do) is no server error.
    srv.handle_error = lambda *a: None
    if certfile:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certfile, keyfile)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]
