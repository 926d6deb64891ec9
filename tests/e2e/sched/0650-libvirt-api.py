#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hvkit sched run --backend libvirt:URI against libvirt's test driver
(a node of our own: test:///PATH.xml with three domains), judged by
virsh on the same node XML:
  - guests are found through the API by name: a running domain is
    present, a shut-off one (test:runstate 5, as virsh domstate shows)
    and an unknown name are absent (PRESENT no);
  - its CPU time is the API's: the test driver's domains run flat out
    (their cpuTime is the wall clock), so the guest's usage is one CPU,
    and virsh dominfo gives the same CPU time (within the run's span);
  - the weight goes through virDomainSetSchedulerParameters and is read
    back with virDomainGetSchedulerParameters: the test driver ignores
    writes and reads back the weight virsh schedinfo shows (50), so the
    daemon must say the write did not take, naming both values;
  - the test driver's scheduler ("fair") has no cap: said once, not
    each tick;
  - a selector no domain answers is said once (a typo and a stopped
    guest look alike otherwise), with -v: not each tick;
  - `sched status` quotes a selector with a blank (libvirt:"my vm"),
    so that the table's columns still split on blanks;
  - a URI that does not connect (a missing test:/// node file included:
    no libxml2 warning before it; a broken one: no "(null)" and caret
    lines of libvirt's), a bad or a second --backend: one line, exit
    1/2.
What the test driver cannot judge (it keeps no scheduler values): that a
posix (QEMU/LXC) domain's vcpu_quota and cpu_shares take; hvkit-sched(1)
says so.  Skips (77) when virsh or libvirt0 are missing, or hvkit was
built without libvirt's headers."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import check, done, hvkit, skip  # noqa: E402

NODE = """<node>
  <domain type='test'>
    <name>web</name>
    <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
    <memory>65536</memory>
    <vcpu>2</vcpu>
    <os><type>hvm</type></os>
  </domain>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>db</name>
    <uuid>6695eb01-f6a4-8304-79aa-97f2502e1940</uuid>
    <memory>65536</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <test:runstate>5</test:runstate>
  </domain>
  <domain type='test'>
    <name>my vm</name>
    <uuid>6695eb01-f6a4-8304-79aa-97f2502e1941</uuid>
    <memory>65536</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
  </domain>
</node>
"""


def main():
    if not shutil.which("virsh"):
        skip("virsh missing (Debian package libvirt-clients)")
    tmp = tempfile.mkdtemp()
    try:
        node = os.path.join(tmp, "node.xml")
        with open(node, "w") as f:
            f.write(NODE)
        uri = f"test://{node}"
        conf = os.path.join(tmp, "lv.conf")
        with open(conf, "w") as f:
            f.write("guest web (libvirt:web) {\n    weight 512\n    cap 50%\n}\n"
                    "guest db (libvirt:db) {\n    cap 20%\n}\n"
                    "guest gone (libvirt:nosuch) {\n    cap 20%\n}\n"
                    "guest sp (libvirt:\"my vm\") {\n    weight 3\n}\n")
        # virsh's view of the same node: web and db defined and running.
        p = subprocess.run(["virsh", "-c", uri, "schedinfo", "web"], capture_output=True, text=True)
        if p.returncode != 0:
            skip(f"libvirt's test driver does not load {node}: {p.stderr.strip()}")
        m = re.search(r"^weight\s*:\s*(\d+)", p.stdout, re.M)
        check(m is not None, "virsh schedinfo shows the test driver's weight")
        virsh_weight = m.group(1) if m else "?"
        ds = subprocess.run(["virsh", "-c", uri, "domstate", "db"], capture_output=True, text=True)
        check(ds.stdout.strip() == "shut off", f"virsh: db is shut off ({ds.stdout.strip()!r})")
        state = os.path.join(tmp, "state")
        t0 = time.time()
        prom = os.path.join(tmp, "m.prom")
        r = hvkit("sched", "run", conf, "--backend", f"libvirt:{uri}", "--state", state,
                  "--ticks", "6", "--tick", "200ms", "-v", "--metrics-file", prom, ok=False)
        t1 = time.time()
        if "built without libvirt support" in r.stderr:
            skip("hvkit was built without libvirt's headers (libvirt-dev)")
        if "cannot load libvirt.so.0" in r.stderr:
            skip("libvirt0 is not installed")
        err = r.stderr
        check(r.returncode == 0, f"run exits 0 (got {r.returncode}: {err[-300:]})")
        check("web: found" in err, "web found through the API")
        check("db: found" not in err and "gone: found" not in err,
              "a shut-off domain and an unknown name are not found")
        check(re.search(rf"web: domain web: weight reads {virsh_weight} \(we wrote 512\): it did not take", err)
              is not None, f"the weight is read back: the test driver's {virsh_weight} (as virsh "
              "schedinfo) is not ours, and the daemon says so")
        check(err.count("web: cannot set cap: its scheduler has none (said once)") == 1,
              "no cap on the 'fair' scheduler: said once in 6 ticks")
        check(err.count("no cpu.time in the domain stats") == 1,
              "the fallback to virDomainGetInfo is said once")
        check(err.count("gone: no libvirt:nosuch running (yet)") == 1 and
              err.count("db: no libvirt:db running (yet)") == 1 and "web: no " not in err,
              "a selector no running domain answers is said once in 6 ticks (nosuch, shut-off db)")
        table = hvkit("sched", "status", "--state", state, ok=False).stdout
        row = [x for x in table.splitlines() if x.startswith("sp ")]
        check(len(row) == 1 and row[0].split()[1] == '"libvirt:my' and '"libvirt:my vm"' in row[0],
              f"status: a selector with a blank is quoted ({row})")
        st = hvkit("sched", "status", "--state", state, "--json", ok=False)
        import json
        doc = json.loads(st.stdout)
        g = {x["name"]: x for x in doc["guests"]}
        check(g["web"]["present"] and not g["db"]["present"] and not g["gone"]["present"],
              "status: web present, db (shut off) and gone absent")
        # The cap the scheduler could not take is not shown as in force
        # (breaker 2, finding 4: CAP 50% and a cap_ratio sample of 0.5).
        check(g["web"]["cap_cpus"] is None, f"status: web has no cap in force ({g['web']['cap_cpus']})")
        samples = [x for x in open(prom) if x.startswith("hvkit_sched_guest_cap_ratio{") and 'guest="web"' in x]
        check(samples == [], f"metrics: no cap sample for web ({samples})")
        check(any(x.startswith("hvkit_sched_guest_cpu_seconds_total{") and 'guest="web"' in x
                  for x in open(prom)), "metrics: web's CPU sample is there")
        check(abs(g["web"]["usage_cpus"] - 1.0) < 0.02,
              f"web's usage is the API's CPU time: one CPU (got {g['web']['usage_cpus']})")
        # virsh reads the same counter: the wall clock, in the run's span.
        d = subprocess.run(["virsh", "-c", uri, "dominfo", "web"], capture_output=True, text=True)
        m = re.search(r"CPU time:\s*([\d.]+)s", d.stdout)
        check(m is not None and t0 - 5 < float(m.group(1)) < time.time() + 5,
              f"virsh dominfo's CPU time is the same counter (wall clock near {t1:.0f})")
        # A URI that does not connect: one line naming it, exit 1.
        bad = hvkit("sched", "run", conf, "--backend", "libvirt:nosuchdriver:///x",
                    "--state", os.path.join(tmp, "s2"), "--ticks", "1", ok=False)
        lines = [x for x in bad.stderr.splitlines() if x.strip()]
        check(bad.returncode == 1 and len(lines) == 1 and "nosuchdriver:///x" in lines[0],
              f"a URI that does not connect: exit 1, one line naming it ({bad.stderr.strip()!r})")
        check(not os.path.exists(os.path.join(tmp, "s2")), "... and no state written")
        # A test:/// node file that is not there: libxml2's "I/O warning :
        # failed to load external entity" is not printed before it.
        bad = hvkit("sched", "run", conf, "--backend", f"libvirt:test://{tmp}/none.xml",
                    "--state", os.path.join(tmp, "s2"), "--ticks", "1", ok=False)
        lines = [x for x in bad.stderr.splitlines() if x.strip()]
        check(bad.returncode == 1 and len(lines) == 1 and lines[0].startswith("hvkit: error: ") and
              f"{tmp}/none.xml" in lines[0],
              f"a missing test:/// node file: exit 1, hvkit's one line only ({bad.stderr.strip()!r})")
        # A broken node file: libvirt's message, without the "(null)"
        # and "^" lines it adds where it has no line to show.
        with open(os.path.join(tmp, "bad.xml"), "w") as f:
            f.write("<node>\n<domain type='test'>\n")
        bad = hvkit("sched", "run", conf, "--backend", f"libvirt:test://{tmp}/bad.xml",
                    "--state", os.path.join(tmp, "s2"), "--ticks", "1", ok=False)
        lines = [x for x in bad.stderr.splitlines() if x.strip()]
        check(bad.returncode == 1 and len(lines) == 1 and "bad.xml" in lines[0] and
              "(null)" not in lines[0] and not lines[0].rstrip().endswith("^"),
              f"a broken test:/// node file: exit 1, one clean line ({bad.stderr.strip()!r})")
        u = hvkit("sched", "run", conf, "--backend", f"libvirt:{uri}", "--backend", "cgroup",
                  "--state", os.path.join(tmp, "s3"), "--ticks", "1", ok=False)
        check(u.returncode == 2 and "--backend given twice" in u.stderr,
              f"two --backend: usage error, not the last one silently ({u.stderr.strip()!r})")
        for b in ("libvirt:", "xen", "libvirt:a b"):
            u = hvkit("sched", "run", conf, "--backend", b, "--state", os.path.join(tmp, "s3"),
                      "--ticks", "1", ok=False)
            check(u.returncode == 2 and "bad --backend" in u.stderr, f"--backend '{b}': usage error")
        # cgroup: (the default) ignores the libvirt API entirely.
        c = hvkit("sched", "run", conf, "--backend", "cgroup", "--cgroup-root", tmp,
                  "--state", os.path.join(tmp, "s4"), "--ticks", "1", ok=False)
        check("domain web" not in c.stderr, "--backend cgroup does not use libvirt's API")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    done()


if __name__ == "__main__":
    main()
