# SPDX-License-Identifier: MIT
"""A loopback XenAPI server for the hvkit move push tests.

It follows the published wire protocol (XML-RPC over HTTP(S) POST /,
results as {"Status": "Success", "Value": ...} or {"Status": "Failure",
"ErrorDescription": [...]}; references "OpaqueRef:..."; int64 fields as
strings) and the field lists of the XenAPI reference
(https://xapi-project.github.io/xen-api/classes/*.html): each .create
rejects a record that lacks a field the class has without a default
(MESSAGE_PARAMETER_COUNT_MISMATCH is what xapi says; we say
FIELD_MISSING with the name) or carries an enum value out of range.
PUT /import_raw_vdi?session_id=&vdi=&task_id=&format=raw stores the bytes
and completes the task.  Everything sent is kept in .db for the test.

For pull: CLASS.get_record returns the record with the class's published
fields (defaults for those never set; VM.VBDs, VM.VIFs, VDI.VBDs and
network.VIFs computed from the references, as XAPI keeps them),
CLASS.get_by_uuid and VM.get_by_name_label find objects, and
GET /export_raw_vdi?session_id=&vdi=&task_id=&format=raw sends a VDI's
stored bytes (zeros for a VDI never written) and completes the task.
XapiState.export_fault makes the export fail for the bad-case tests:
("task", error_info) sends half the body, fails the task and drops the
connection (HTTP status 200, as XAPI answers before it knows);
("short", n) sends n bytes of a Content-Length body and drops the
connection; ("close", n) sends n bytes without a Content-Length."""
import http.server
import ssl
import threading
import urllib.parse
import uuid
import xmlrpc.client

REQUIRED = {
    "VM": ["name_label", "name_description", "user_version", "is_a_template", "affinity",
           "memory_static_max", "memory_dynamic_max", "memory_dynamic_min",
           "memory_static_min", "VCPUs_params", "VCPUs_max", "VCPUs_at_startup",
           "actions_after_shutdown", "actions_after_reboot", "actions_after_crash",
           "PV_bootloader", "PV_kernel", "PV_ramdisk", "PV_args", "PV_bootloader_args",
           "PV_legacy_args", "HVM_boot_policy", "HVM_boot_params", "platform", "PCI_bus",
           "other_config", "recommendations"],
    "VDI": ["name_label", "name_description", "SR", "virtual_size", "type", "sharable",
            "read_only", "other_config"],
    "VBD": ["VM", "VDI", "userdevice", "bootable", "mode", "type", "empty", "other_config",
            "qos_algorithm_type", "qos_algorithm_params"],
    "VIF": ["device", "network", "VM", "MAC", "MTU", "other_config", "qos_algorithm_type",
            "qos_algorithm_params"],
    "network": ["name_label", "name_description", "other_config"],
}
ENUMS = {
    ("VM", "actions_after_shutdown"): {"destroy", "restart"},
    ("VM", "actions_after_reboot"): {"destroy", "restart"},
    ("VM", "actions_after_crash"): {"destroy", "coredump_and_destroy", "restart",
                                    "coredump_and_restart", "preserve", "rename_restart"},
    ("VM", "domain_type"): {"hvm", "pv", "pv_in_pvh", "pvh", "unspecified"},
    ("VBD", "mode"): {"RO", "RW"},
    ("VBD", "type"): {"CD", "Disk", "Floppy"},
    ("VDI", "type"): {"system", "user", "ephemeral", "suspend", "crashdump", "ha_statefile",
                      "metadata", "redo_log", "rrd", "pvs_cache", "cbt_metadata"},
}
INTS = {("VM", f) for f in ("user_version", "memory_static_max", "memory_dynamic_max",
                             "memory_dynamic_min", "memory_static_min", "VCPUs_max",
                             "VCPUs_at_startup")} | {("VDI", "virtual_size"), ("VIF", "MTU")}
# Fields of get_record (https://xapi-project.github.io/xen-api/classes/),
# those a pull reads and their defaults; computed lists are added apart.
RECORD_DEFAULTS = {
    "VM": {"name_label": "", "name_description": "", "power_state": "Halted",
           "user_version": "1", "is_a_template": False, "is_a_snapshot": False,
           "is_control_domain": False, "memory_target": "0", "memory_static_max": "0",
           "memory_dynamic_max": "0", "memory_dynamic_min": "0", "memory_static_min": "0",
           "VCPUs_params": {}, "VCPUs_max": "1", "VCPUs_at_startup": "1",
           "actions_after_shutdown": "destroy", "actions_after_reboot": "restart",
           "actions_after_crash": "restart", "PV_bootloader": "", "PV_kernel": "",
           "PV_ramdisk": "", "PV_args": "", "PV_bootloader_args": "", "PV_legacy_args": "",
           "HVM_boot_policy": "", "HVM_boot_params": {}, "platform": {}, "PCI_bus": "",
           "other_config": {}, "domain_type": "unspecified", "tags": [],
           "affinity": "OpaqueRef:NULL", "recommendations": ""},
    "VBD": {"VM": "OpaqueRef:NULL", "VDI": "OpaqueRef:NULL", "device": "", "userdevice": "",
            "bootable": False, "mode": "RW", "type": "Disk", "unpluggable": True,
            "empty": False, "currently_attached": False, "other_config": {},
            "qos_algorithm_type": "", "qos_algorithm_params": {}},
    "VDI": {"name_label": "", "name_description": "", "SR": "OpaqueRef:NULL",
            "virtual_size": "0", "physical_utilisation": "0", "type": "user",
            "sharable": False, "read_only": False, "other_config": {}, "sm_config": {},
            "xenstore_data": {}, "tags": []},
    "VIF": {"device": "", "network": "OpaqueRef:NULL", "VM": "OpaqueRef:NULL", "MAC": "",
            "MTU": "1500", "MAC_autogenerated": False, "currently_attached": False,
            "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}},
    "network": {"name_label": "", "name_description": "", "bridge": "", "MTU": "1500",
                "other_config": {}, "tags": []},
    "SR": {"name_label": "", "name_description": "", "other_config": {}},
    "task": {"name_label": "", "name_description": "", "status": "pending",
             "progress": "0", "result": "", "error_info": []},
}
# (class, field) -> (class that points back, its field): VM.VBDs are the
# VBDs whose VM is this one.
BACKREFS = {("VM", "VBDs"): ("VBD", "VM"), ("VM", "VIFs"): ("VIF", "VM"),
            ("VDI", "VBDs"): ("VBD", "VDI"), ("network", "VIFs"): ("VIF", "network"),
            ("SR", "VDIs"): ("VDI", "SR")}
BOOLS = {("VM", "is_a_template"), ("VDI", "sharable"), ("VDI", "read_only"),
         ("VBD", "bootable"), ("VBD", "empty")}


class Failure(Exception):
    pass


class XapiState:
    def __init__(self, user, password, sr_uuid):
        self.user, self.password = user, password
        self.db = {"VM": {}, "VDI": {}, "VBD": {}, "VIF": {}, "network": {}, "SR": {}, "task": {}}
        self.sessions = set()
        self.disks = {}   # VDI ref -> bytes
        self.calls = []
        self.export_fault = None
        self.sr = self.new("SR", {"uuid": sr_uuid, "name_label": "Local storage"})
        self.new("network", {"name_label": "Pool-wide network associated with eth0",
                             "bridge": "xenbr0", "other_config": {}})

    def new(self, cls, rec):
        ref = "OpaqueRef:" + str(uuid.uuid4())
        rec.setdefault("uuid", str(uuid.uuid4()))
        self.db[cls][ref] = rec
        return ref

    def check_record(self, cls, rec):
        for f in REQUIRED[cls]:
            if f not in rec:
                raise Failure(["FIELD_MISSING", f"{cls}.{f}"])
        for (c, f), allowed in ENUMS.items():
            if c == cls and f in rec and rec[f] not in allowed:
                raise Failure(["INVALID_VALUE", f"{cls}.{f}", str(rec[f])])
        for c, f in INTS:
            if c == cls and f in rec:
                try:
                    int(rec[f])
                except (TypeError, ValueError):
                    raise Failure(["FIELD_TYPE_ERROR", f"{cls}.{f}"])
        for c, f in BOOLS:
            if c == cls and f in rec and not isinstance(rec[f], bool):
                raise Failure(["FIELD_TYPE_ERROR", f"{cls}.{f}"])
        for f in ("SR", "VM", "VDI", "network"):
            if f in rec and f in self.db and rec[f] not in self.db[f]:
                raise Failure(["HANDLE_INVALID", f, rec[f]])
        if cls == "VM":
            m = [int(rec[k]) for k in ("memory_static_min", "memory_dynamic_min",
                                        "memory_dynamic_max", "memory_static_max")]
            if m != sorted(m):
                raise Failure(["MEMORY_CONSTRAINT_VIOLATION"])
            if int(rec["VCPUs_at_startup"]) > int(rec["VCPUs_max"]):
                raise Failure(["VCPUS_AT_STARTUP_EXCEEDS_MAX"])

    def record(self, cls, ref):
        rec = dict(RECORD_DEFAULTS.get(cls, {}))
        rec.update(self.db[cls][ref])
        for (c, field), (other, back) in BACKREFS.items():
            if c == cls:
                rec[field] = [r for r, o in self.db[other].items() if o.get(back) == ref]
        return rec

    def call(self, method, params):
        self.calls.append(method)
        if method == "session.login_with_password":
            if params[:2] != (self.user, self.password):
                raise Failure(["SESSION_AUTHENTICATION_FAILED", params[0], "bad password"])
            s = "OpaqueRef:" + str(uuid.uuid4())
            self.sessions.add(s)
            return s
        if not params or params[0] not in self.sessions:
            raise Failure(["SESSION_INVALID", params[0] if params else ""])
        args = params[1:]
        cls, _, op = method.partition(".")
        if op == "logout":
            self.sessions.discard(params[0])
            return ""
        if op == "create" and cls in REQUIRED:
            rec = dict(args[0])
            self.check_record(cls, rec)
            return self.new(cls, rec)
        if cls == "SR" and op == "get_by_uuid":
            for ref, r in self.db["SR"].items():
                if r["uuid"] == args[0]:
                    return ref
            raise Failure(["UUID_INVALID", "SR", args[0]])
        if op == "get_all":
            return list(self.db[cls])
        if op == "get_by_uuid" and cls in self.db:
            for ref, r in self.db[cls].items():
                if r["uuid"] == args[0]:
                    return ref
            raise Failure(["UUID_INVALID", cls, args[0]])
        if op == "get_by_name_label" and cls in self.db:
            return [ref for ref, r in self.db[cls].items() if r.get("name_label") == args[0]]
        if op == "get_record" and cls in self.db:
            if args[0] not in self.db[cls]:
                raise Failure(["HANDLE_INVALID", cls, args[0]])
            return self.record(cls, args[0])
        if op.startswith("get_") and cls in self.db:
            if args[0] not in self.db[cls]:
                raise Failure(["HANDLE_INVALID", cls, args[0]])
            return self.db[cls][args[0]].get(op[4:], "")
        if op == "destroy" and cls in self.db:
            self.db[cls].pop(args[0], None)
            return ""
        if method == "task.create":
            return self.new("task", {"name_label": args[0], "status": "pending",
                                     "error_info": []})
        raise Failure(["MESSAGE_METHOD_UNKNOWN", method])


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
        self.reply(200, xmlrpc.client.dumps((res,), methodresponse=True).encode())

    def do_PUT(self):
        st = self.server.state
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        n = int(self.headers.get("Content-Length", "0"))
        data = bytearray()
        if self.headers.get("Transfer-Encoding") == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
        else:
            while len(data) < n:
                chunk = self.rfile.read(min(1 << 20, n - len(data)))
                if not chunk:
                    break
                data += chunk
        if url.path != "/import_raw_vdi" or q.get("session_id") not in st.sessions:
            return self.reply(403, b"", "text/plain")
        task = st.db["task"].get(q.get("task_id"))
        vdi = st.db["VDI"].get(q.get("vdi"))
        if not vdi or q.get("format", "raw") != "raw":
            if task:
                task["status"] = "failure"
                task["error_info"] = ["HANDLE_INVALID", "VDI", q.get("vdi", "")]
            return self.reply(200, b"", "text/plain")
        size = int(vdi["virtual_size"])
        if task:
            if len(data) != size:
                task["status"] = "failure"
                task["error_info"] = ["VDI_IO_ERROR", f"{len(data)} bytes for a VDI of {size}"]
            else:
                task["status"] = "success"
        st.disks[q["vdi"]] = bytes(data)
        self.reply(200, b"", "text/plain")


    def do_GET(self):
        st = self.server.state
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        st.calls.append("GET " + url.path)
        if url.path != "/export_raw_vdi" or q.get("session_id") not in st.sessions:
            return self.reply(403, b"", "text/plain")
        task = st.db["task"].get(q.get("task_id"))

        def fail(error_info):
            if task:
                task["status"] = "failure"
                task["error_info"] = error_info
        vdi = st.db["VDI"].get(q.get("vdi"))
        if not vdi:
            fail(["HANDLE_INVALID", "VDI", q.get("vdi", "")])
            return self.reply(404, b"VDI not found\r\n", "text/plain")
        if q.get("format", "raw") != "raw":
            fail(["FORMAT_NOT_SUPPORTED", q.get("format")])
            return self.reply(400, b"format not supported here\r\n", "text/plain")
        size = int(vdi["virtual_size"])
        data = st.disks.get(q["vdi"], bytes(size))
        fault = st.export_fault
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if fault and fault[0] == "close":
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault:
            n = len(data) // 2 if fault[0] == "task" else fault[1]
            self.wfile.write(data[:n])
            self.wfile.flush()
            if fault[0] == "task":
                fail(fault[1])
            elif task:
                task["status"] = "success"   # the client must count bytes itself
            self.close_connection = True
            return
        for i in range(0, len(data), 1 << 20):
            self.wfile.write(data[i:i + (1 << 20)])
        if task:
            task["status"] = "success"


def serve(state, certfile=None, keyfile=None):
    """Starts the server on 127.0.0.1 (a free port) in a thread; returns
    (server, port)."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.state = state
    if certfile:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certfile, keyfile)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]
