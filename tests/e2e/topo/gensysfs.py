# SPDX-License-Identifier: MIT
"""A seeded generator of synthetic Linux sysfs trees, the input of the
differential test against lstopo (0110-diff-lstopo.py).

gen(seed, root) writes below root the files lstopo and hvkit read:
/sys/devices/system/cpu/{online,possible,present}, cpuN/online,
cpuN/topology/* (ids, sibling masks and lists, old and new names),
cpuN/cache/indexK/* (level, type, size, shared_cpu_map/list, ...),
/sys/devices/system/node/nodeN/{cpumap,cpulist,meminfo,distance,
access0/initiators/}, /proc/meminfo and /proc/cpuinfo, and for coherent
GPU memory /proc/driver/nvidia/gpus/BUS/numa_status and the GPU's
local_cpus.  Lies are made on purpose: identical, overlapping or nested
node cpusets, node memory over MemTotal, physical_package_id and die_cpus
crossing packages, a wrong distance diagonal, nodes with neither CPUs nor
memory and node directories holding only a distance file.  Classes drawn
from a second random stream (so that the trees of the first stay as they
were) are listed in shape["extra"]: "memtier" (HMAT bandwidths in
access0 or access1 and kmem DAX devices: hmem SPM, fast or not, NVDIMM,
on CPU-less nodes and on a node with CPUs), "gpu-twin" (two GPUs name one
node), "gpu-cpu-node" (a GPU names a node that has CPUs), "partial-span"
(nodes of half a package and half the next), "zero-dist" (every distance
0), "bad-initiators" (initiator links to the node itself and to no node),
"cluster-cross-die" (a cluster holding CPUs of two dies) and
"absent-cpus" (node 0's cpumap lists a CPU the machine lacks).  It returns
a dict describing what it made (the "shape"), for messages.

Every random choice comes from random.Random(seed), so a seed replays
exactly.  Run as a script to write one tree: gensysfs.py SEED DIR.
"""
import os
import random
import sys


def mask(cpus, ncpus):
    """Kernel bitmap text: 32-bit hex words, most significant first."""
    words = max(1, (ncpus + 31) // 32)
    v = 0
    for c in cpus:
        v |= 1 << c
    return ",".join(f"{(v >> (32 * w)) & 0xffffffff:08x}"
                    for w in reversed(range(words)))


def cpulist(cpus):
    cpus = sorted(cpus)
    out, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(out)


_made = set()


def write(root, path, text):
    p = root + path
    d = os.path.dirname(p)
    if d not in _made:
        os.makedirs(d, exist_ok=True)
        _made.add(d)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, (text + "\n").encode())
    os.close(fd)


# Cache sharing domains, smallest first: each holds whole ones of the last.
DOMAINS = ["thread", "core", "pair", "cluster", "die", "package", "machine"]


def gen(seed, root, extras=True):
    """extras=False: none of the classes of the second stream (a tree
    that tests build on by hand stays as it was)."""
    _made.clear()
    r = random.Random(seed)
    shape = {"seed": seed}
    # The classes added later draw from their own stream: a seed's tree
    # changes only where one of them applies.
    r2 = random.Random(seed * 104729 + 7)
    want = {name for name, p in (("memtier", 0.2), ("gpu-edge", 0.15),
                                 ("partial-span", 0.15), ("zero-dist", 0.04),
                                 ("bad-initiators", 0.35), ("cluster-cross-die", 0.3),
                                 ("absent-cpus", 0.05))
            if r2.random() < p and extras}
    extra = []
    shape["extra"] = extra
    npkg = r.choice([1, 1, 2, 2, 3, 4])
    ndie = r.choice([1, 1, 1, 2, 3])
    ncl = r.choice([1, 1, 2, 3])
    ncore = r.choice([1, 2, 3, 4])
    smt = r.choice([1, 2, 2, 4])
    while npkg * ndie * ncl * ncore * smt > 96:
        ncore = max(1, ncore - 1)
        if npkg * ndie * ncl * ncore * smt > 96:
            smt = max(1, smt // 2)
            ndie = max(1, ndie - 1)
    # AMD Bulldozer compute units: two cores (distinct core_id) listed
    # as thread siblings of each other, sharing L1i and L2.
    cmt = smt == 1 and ncore % 2 == 0 and r.random() < 0.25
    # Hybrid-like: some cores have fewer threads.
    hetero = smt > 1 and r.random() < 0.2
    shape.update(pkg=npkg, die=ndie, cluster=ncl, core=ncore, smt=smt,
                 cmt=cmt, hetero=hetero)

    # Logical threads: (pkg, die, cluster, core, thread)
    threads = []
    for p in range(npkg):
        for d in range(ndie):
            for c in range(ncl):
                for k in range(ncore):
                    nt = smt
                    if hetero and r.random() < 0.4:
                        nt = 1
                    for t in range(nt):
                        threads.append((p, d, c, k, t))
    order = r.choice(["linear", "smt-last", "shuffle-pkg"])
    if order == "smt-last":
        threads.sort(key=lambda x: (x[4], x[0], x[1], x[2], x[3]))
    elif order == "shuffle-pkg" and npkg > 1:
        perm = list(range(npkg))
        r.shuffle(perm)
        threads.sort(key=lambda x: (perm[x[0]],) + x[1:])
    shape["order"] = order
    ncpus = len(threads)
    cpu_of = {th: i for i, th in enumerate(threads)}

    def members(dom, th):
        p, d, c, k, t = th
        if dom == "thread":
            return [cpu_of[th]]
        key = {"core": lambda x: x[:4],
               "pair": lambda x: x[:3] + (x[3] // 2,),
               "cluster": lambda x: x[:3],
               "die": lambda x: x[:2],
               "package": lambda x: x[:1],
               "machine": lambda x: ()}[dom]
        return sorted(cpu_of[o] for o in threads if key(o) == key(th))

    # Offline CPUs (never cpu0).  Old kernels remove their topology and
    # cache directories; newer ones keep topology/ (masks of themselves).
    offline = set()
    if ncpus > 1 and r.random() < 0.3:
        offline = set(r.sample(range(1, ncpus), r.randint(1, min(3, ncpus - 1))))
    keep_offline_topo = r.random() < 0.5
    online = [c for c in range(ncpus) if c not in offline]
    shape["offline"] = sorted(offline)

    def on(cpus):
        return [c for c in cpus if c not in offline]

    # Package and die ids; optional files.
    pkg_stride = r.choice([1, 1, 2, 8])
    die_files = ndie > 1 or r.random() < 0.5
    cluster_files = r.random() < 0.5
    new_names = r.random() < 0.6          # package_cpus, core_cpus, die_cpus
    core_id_restart_per_die = r.random() < 0.5
    core_id_gap = r.choice([1, 1, 2])
    # physical_package_id disagreeing with the sibling masks: the last
    # CPU of a package says the next package's id; the masks still say
    # where packages are.
    lie_pkgid = npkg > 1 and r.random() < 0.1
    shape["lie_pkgid"] = lie_pkgid
    # A die_cpus mask crossing into the next package (the last die of
    # package 0 and the first of package 1 listed as one).
    lie_die = die_files and npkg > 1 and r.random() < 0.05
    shape["lie_die"] = lie_die

    for cpu, th in enumerate(threads):
        p, d, c, k, t = th
        base = f"/sys/devices/system/cpu/cpu{cpu}"
        if cpu:
            write(root, base + "/online", "0" if cpu in offline else "1")
        if cpu in offline and not keep_offline_topo:
            continue
        topo = base + "/topology"
        if cpu in offline:
            sib = pkgm = diem = clm = [cpu]
        else:
            sib = on(members("pair" if cmt else "core", th))
            pkgm = on(members("package", th))
            diem = on(members("die", th))
            if lie_die and (p, d) in ((0, ndie - 1), (1, 0)):
                diem = sorted(set(on(members("die", threads[next(
                    i for i, x in enumerate(threads) if x[:2] == (0, ndie - 1))]))) |
                    set(on(members("die", threads[next(
                        i for i, x in enumerate(threads) if x[:2] == (1, 0))]))))
            clm = on(members("cluster", th))
        pid = p * pkg_stride
        if lie_pkgid:
            # the id of the next CPU's package: the first CPU of each
            # package keeps its own, so ids stay one per package mask
            pid = threads[min(cpu + 1, ncpus - 1)][0] * pkg_stride
        write(root, topo + "/physical_package_id", str(pid))
        if cmt:
            cid = ((d * ncl + c) * ncore + k) * core_id_gap
        elif core_id_restart_per_die:
            cid = (c * ncore + k) * core_id_gap
        else:
            cid = ((d * ncl + c) * ncore + k) * core_id_gap
        write(root, topo + "/core_id", str(cid))
        for name, m in (("thread_siblings", sib), ("core_siblings", pkgm)):
            write(root, f"{topo}/{name}", mask(m, ncpus))
            write(root, f"{topo}/{name}_list", cpulist(m))
        if new_names:
            for name, m in (("core_cpus", sib), ("package_cpus", pkgm)):
                write(root, f"{topo}/{name}", mask(m, ncpus))
                write(root, f"{topo}/{name}_list", cpulist(m))
        if die_files:
            # die_id and die_cpus came together (Linux 5.2)
            write(root, topo + "/die_id", str(d))
            write(root, topo + "/die_cpus", mask(diem, ncpus))
            write(root, topo + "/die_cpus_list", cpulist(diem))
        if cluster_files:
            write(root, topo + "/cluster_id", str((p * ndie + d) * ncl + c))
            write(root, topo + "/cluster_cpus", mask(clm, ncpus))
            write(root, topo + "/cluster_cpus_list", cpulist(clm))

    # A cluster holding the last cluster of die 0 and the first of die 1
    # of package 0 (a cluster crossing a die).
    if "cluster-cross-die" in want and cluster_files and die_files and ndie > 1 \
            and ncl > 1 and not offline and not lie_die:
        extra.append("cluster-cross-die")
        cross = sorted(set(members("cluster", next(t for t in threads if t[:3] == (0, 0, ncl - 1)))) |
                       set(members("cluster", next(t for t in threads if t[:3] == (0, 1, 0)))))
        for cpu in cross:
            topo = f"/sys/devices/system/cpu/cpu{cpu}/topology"
            write(root, topo + "/cluster_cpus", mask(cross, ncpus))
            write(root, topo + "/cluster_cpus_list", cpulist(cross))

    # Caches: each level's sharing domain, mostly growing with the level.
    def pick(choices):
        return r.choice(choices)

    l1 = pick(["core", "core", "core", "thread"])
    l1i = "pair" if cmt else l1
    l2 = pick(["core", "core", "pair", "cluster", "thread"])
    if cmt:
        l2 = "pair"
    l3 = pick(["package", "die", "cluster", "machine", None])
    l4 = pick([None, None, None, "package"])
    levels = [(1, "Data", l1), (1, "Instruction", l1i)]
    if r.random() < 0.9:
        levels.append((2, "Unified", l2))
    if l3:
        levels.append((3, "Unified", l3))
    if l4:
        levels.append((4, "Unified", l4))
    if r.random() < 0.1:
        # A level shared more narrowly than the one below it.
        levels = [(lv, ty, pick(DOMAINS[:4])) for lv, ty, _ in levels]
    no_caches = r.random() < 0.05
    shuffle_index = r.random() < 0.15
    shape["caches"] = [] if no_caches else [f"L{lv}{ty[0]}:{dom}" for lv, ty, dom in levels]
    sizes = {1: "32K", 2: "1024K", 3: "16384K", 4: "131072K"}
    if not no_caches:
        for cpu in online:
            th = threads[cpu]
            lv = list(levels)
            if shuffle_index:
                r.shuffle(lv)
            for idx, (level, ty, dom) in enumerate(lv):
                d = f"/sys/devices/system/cpu/cpu{cpu}/cache/index{idx}"
                m = on(members(dom, th))
                write(root, d + "/level", str(level))
                write(root, d + "/type", ty)
                write(root, d + "/size", sizes[level])
                write(root, d + "/coherency_line_size", "64")
                write(root, d + "/ways_of_associativity", "8")
                write(root, d + "/number_of_sets", "64")
                write(root, d + "/physical_line_partition", "1")
                write(root, d + "/shared_cpu_map", mask(m, ncpus))
                write(root, d + "/shared_cpu_list", cpulist(m))

    write(root, "/sys/devices/system/cpu/online", cpulist(online))
    write(root, "/sys/devices/system/cpu/possible", cpulist(range(ncpus)))
    write(root, "/sys/devices/system/cpu/present", cpulist(range(ncpus)))
    # Bulldozer-like trees say so half the time (AMD family 15h is what
    # makes hwloc split a compute unit into its two cores).
    amd = cmt and r.random() < 0.5
    shape["amd15h"] = amd
    sig = "vendor_id\t: AuthenticAMD\ncpu family\t: 21\nmodel\t\t: 2\n" if amd else ""
    write(root, "/proc/cpuinfo", "".join(
        f"processor\t: {cpu}\n{sig}model name\t: Synthetic CPU\n\n" for cpu in online))

    # NUMA nodes.
    mode = r.choice(["none", "pkg", "pkg", "split", "span", "single"])
    if "partial-span" in want and npkg > 1 and mode != "none" and ndie * ncl * ncore > 1:
        mode = "partial"
        extra.append("partial-span")
    if mode == "span" and npkg < 2:
        mode = "pkg"
    if mode == "split" and ndie * ncl * ncore < 2:
        mode = "pkg"
    nodes = []                     # list of CPU lists (all CPUs, incl. offline)
    if mode == "pkg":
        nodes = [members("package", threads[next(i for i, t in enumerate(threads) if t[0] == p)])
                 for p in range(npkg)]
    elif mode == "single":
        nodes = [list(range(ncpus))]
    elif mode == "span":
        nodes = [sorted(i for i, t in enumerate(threads) if t[0] // 2 == g)
                 for g in range((npkg + 1) // 2)]
    elif mode == "partial":
        # halves of packages (by cores), node k from the second half of
        # one package and the first half of the next
        units = []
        for p in range(npkg):
            cores = sorted({t[:4] for t in threads if t[0] == p})
            h = len(cores) // 2
            for part in (cores[:h], cores[h:]):
                units.append(sorted(i for i, t in enumerate(threads) if t[:4] in part))
        nodes = [units[0]] + [units[k] + units[k + 1] for k in range(1, len(units) - 1, 2)]
        if len(units) % 2 == 0:
            nodes.append(units[-1])
        nodes = [sorted(n) for n in nodes]
    elif mode == "split":
        unit = "die" if ndie > 1 else ("cluster" if ncl > 1 else "core")
        if unit == "core":
            half = lambda t: (t[0], t[3] * 2 // ncore)
        elif unit == "cluster":
            half = lambda t: (t[0], t[1], t[2] * 2 // ncl)
        else:
            half = lambda t: (t[0], t[1])
        keys = sorted({half(t) for t in threads})
        nodes = [sorted(i for i, t in enumerate(threads) if half(t) == key) for key in keys]
    shape["numa"] = mode
    GiB = 1 << 30
    mem = [r.choice([2, 4, 8, 16]) * GiB for _ in nodes]
    cpuless = []
    if mode != "none" and r.random() < 0.3:
        for k in range(r.randint(1, 3)):
            inits = sorted(r.sample(range(len(nodes)), r.randint(1, min(2, len(nodes)))))
            # sysfs names initiators; else only distances tell (nearest
            # nodes; nearest to an earlier CPU-less node; a matrix whose
            # diagonal is wrong, which hwloc ignores), or nothing does
            # (as far from every node); a coherent GPU memory node; a
            # node with neither CPUs nor memory; a node directory with
            # only a distance file
            kinds = [inits, inits, inits, ("near", inits), ("baddiag", inits),
                     ("gpu", inits[0]), ("empty",), ("ghost",), None]
            if any(isinstance(x, list) for x in cpuless):
                kinds.append(("chain", max(i for i, x in enumerate(cpuless)
                                           if isinstance(x, list))))
            cpuless.append(r.choice(kinds))
    lie = None
    if mode != "none" and r.random() < 0.12:
        lie = r.choice(["overlap", "identical", "memover", "nested"])
        if lie in ("overlap", "nested") and len(nodes) < 2:
            lie = "identical"
        if lie == "nested" and len(nodes[1]) < 2:
            lie = "identical"
    shape["cpuless"] = cpuless
    shape["lie"] = lie
    node_cpus = [list(n) for n in nodes]
    if lie == "overlap":
        node_cpus[1] = sorted(set(node_cpus[1]) | {node_cpus[0][0]})
    elif lie == "nested":
        # node 0 lists node 1's CPUs too (hvkit keeps nested nodes)
        node_cpus[0] = sorted(set(node_cpus[0]) | set(node_cpus[1]))
    elif lie == "identical":
        node_cpus = [list(range(ncpus)) for _ in range(max(2, len(nodes)))]
        mem = [mem[0]] * len(node_cpus)

    def cl_mem(x):
        return 0 if isinstance(x, tuple) and x[0] in ("empty", "ghost") else 8 * GiB
    total = sum(mem) + sum(cl_mem(x) for x in cpuless)
    if lie in ("identical",):
        total = mem[0]
    elif lie == "memover":
        total = sum(mem) // 3
    write(root, "/proc/meminfo", f"MemTotal:       {total // 1024} kB\nMemFree:        1024 kB")
    if mode == "none":
        return shape
    allnodes = len(node_cpus) + len(cpuless)
    dist = [[10 if i == j else 20 for j in range(allnodes)] for i in range(allnodes)]
    for n in range(len(node_cpus), allnodes):
        near = cpuless[n - len(node_cpus)]
        for j in range(allnodes):
            if j != n:
                d = 30
                if (isinstance(near, tuple) and near[0] in ("near", "baddiag")
                        and j in near[1] and len(near[1]) < len(node_cpus)):
                    d = 17
                if isinstance(near, tuple) and near[0] == "chain" and j == len(node_cpus) + near[1]:
                    d = 12
                if isinstance(near, tuple) and near[0] == "gpu":
                    d = 80
                dist[n][j] = dist[j][n] = d
        if isinstance(near, tuple) and near[0] == "baddiag":
            dist[n][n] = 28
    if "zero-dist" in want and allnodes > 1:
        extra.append("zero-dist")
        dist = [[0] * allnodes for _ in range(allnodes)]
    for n in range(allnodes):
        d = f"/sys/devices/system/node/node{n}"
        cl = cpuless[n - len(node_cpus)] if n >= len(node_cpus) else None
        cpus = on(node_cpus[n]) if n < len(node_cpus) else []
        m = mem[n] if n < len(node_cpus) else cl_mem(cl)
        write(root, d + "/distance", " ".join(str(x) for x in dist[n]))
        if isinstance(cl, tuple) and cl[0] == "ghost":
            continue
        if n == 0 and cpus and "absent-cpus" in want:
            cpus = cpus + [ncpus + 40]      # a CPU the machine lacks
            extra.append("absent-cpus")
        write(root, d + "/cpumap", mask(cpus, max([ncpus] + [c + 1 for c in cpus])))
        write(root, d + "/cpulist", cpulist(cpus))
        write(root, d + "/meminfo",
              f"Node {n} MemTotal:       {m // 1024} kB\nNode {n} MemFree:        1024 kB")
        if isinstance(cl, tuple) and cl[0] == "gpu":
            bus = f"0000:{n:02x}:00.0"
            write(root, f"/proc/driver/nvidia/gpus/{bus}/numa_status",
                  f"Node:                          {n}\nStatus:                        online")
            write(root, f"/sys/bus/pci/devices/{bus}/local_cpus",
                  mask(on(node_cpus[cl[1]]), ncpus))
        if n >= len(node_cpus):
            inits = cpuless[n - len(node_cpus)]
            if isinstance(inits, list):
                idir = os.path.join(root, d.lstrip("/"), "access0", "initiators")
                os.makedirs(idir, exist_ok=True)
                for i in inits:
                    os.symlink(f"../../../node{i}", os.path.join(idir, f"node{i}"))
                if "bad-initiators" in want:
                    if "bad-initiators" not in extra:
                        extra.append("bad-initiators")
                    os.symlink(f"../../../node{n}", os.path.join(idir, f"node{n}"))
                    os.symlink(f"../../../node{allnodes + 5}",
                               os.path.join(idir, f"node{allnodes + 5}"))
                for i in inits:
                    ti = os.path.join(root, f"sys/devices/system/node/node{i}/access0/targets")
                    os.makedirs(ti, exist_ok=True)
                    os.symlink(f"../../../node{n}", os.path.join(ti, f"node{n}"))
    if "memtier" in want:
        memtier(r2, root, node_cpus, cpuless, on, extra)
    if "gpu-edge" in want:
        gpu_edge(r2, root, node_cpus, cpuless, on, ncpus, extra)
    write(root, "/sys/devices/system/node/online", cpulist(range(allnodes)))
    write(root, "/sys/devices/system/node/possible", cpulist(range(allnodes)))
    write(root, "/sys/devices/system/node/has_cpu",
          cpulist(i for i in range(len(node_cpus)) if on(node_cpus[i])))
    write(root, "/sys/devices/system/node/has_memory", cpulist(range(allnodes)))
    return shape


def _dax(root, name, node, parent, kmem=True):
    """A DAX device of node below parent (an NVDIMM region or an hmem
    platform device), bound to kmem (its memory is the node's) or not."""
    dev = f"{parent}/{name}"
    write(root, dev + "/target_node", str(node))
    link(root, f"/sys/bus/dax/devices/{name}", dev)
    if kmem:
        link(root, f"/sys/bus/dax/drivers/kmem/{name}", dev)


def memtier(r2, root, node_cpus, cpuless, on, extra):
    """HMAT bandwidths (MiB/s) in access0 or access1 of every node, and
    kmem DAX devices: hmem (SPM, HBM when fast) and NVDIMM (NVM) on
    CPU-less nodes with initiators, sometimes hmem on a node with CPUs
    (flat-mode HBM with CPUs), sometimes missing figures or no kmem."""
    extra.append("memtier")
    base = r2.choice([1000, 2000, 4000])
    k = 0
    for n in range(len(node_cpus) + len(cpuless)):
        cl = cpuless[n - len(node_cpus)] if n >= len(node_cpus) else None
        if n < len(node_cpus):
            if not on(node_cpus[n]):
                continue
            what = "hmem" if n == 0 and r2.random() < 0.2 else None
        elif isinstance(cl, list):
            what = r2.choice(["hmem", "hmem", "ndbus", None])
        else:
            continue
        bw = {None: base, "hmem": int(base * r2.choice([4, 3, 1.5, 1])),
              "ndbus": base // 10}[what]
        acc = r2.choice([0, 1])
        ndir = f"/sys/devices/system/node/node{n}"
        idir = f"{ndir}/access{acc}/initiators"
        if acc == 1 and isinstance(cl, list):
            # access1 lists what access0 does (no generic initiators here)
            a0 = f"{root}{ndir}/access0/initiators"
            os.makedirs(root + idir, exist_ok=True)
            for name in sorted(os.listdir(a0)):
                os.symlink(os.readlink(f"{a0}/{name}"), f"{root}{idir}/{name}")
        if r2.random() < 0.9:
            write(root, idir + "/read_bandwidth", str(bw))
            if r2.random() < 0.9:
                write(root, idir + "/write_bandwidth", str(bw))
        if what:
            name = f"dax{k}.0"
            parent = (f"/sys/devices/platform/hmem.{k}" if what == "hmem" else
                      f"/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region{k}/{name}")
            _dax(root, name, n, parent, kmem=r2.random() < 0.9)
            k += 1


def gpu_edge(r2, root, node_cpus, cpuless, on, ncpus, extra):
    """A second GPU naming a GPU memory node (with the same local CPUs),
    or a GPU naming node 0, which has CPUs (local CPUs: the last node's)."""
    gpus = [len(node_cpus) + i for i, x in enumerate(cpuless)
            if isinstance(x, tuple) and x[0] == "gpu"]
    if gpus and r2.random() < 0.8:
        n = gpus[0]
        bus = f"0000:{0x40 + n:02x}:00.0"
        write(root, f"/proc/driver/nvidia/gpus/{bus}/numa_status",
              f"Node:                          {n}\nStatus:                        online")
        write(root, f"/sys/bus/pci/devices/{bus}/local_cpus",
              _read(root, f"/sys/bus/pci/devices/0000:{n:02x}:00.0/local_cpus"))
        extra.append("gpu-twin")
    elif on(node_cpus[0]):
        bus = "0000:7f:00.0"
        write(root, f"/proc/driver/nvidia/gpus/{bus}/numa_status",
              "Node:                          0\nStatus:                        online")
        write(root, f"/sys/bus/pci/devices/{bus}/local_cpus", mask(on(node_cpus[-1]), ncpus))
        extra.append("gpu-cpu-node")


def write_bytes(root, path, data):
    p = root + path
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)


def link(root, path, target):
    """A symbolic link at path to target (absolute in the tree), made
    relative as sysfs makes them."""
    p = root + path
    os.makedirs(os.path.dirname(p), exist_ok=True)
    os.symlink(os.path.relpath(root + target, os.path.dirname(p)), p)


def _read(root, path):
    try:
        with open(root + path) as f:
            return f.read().strip()
    except OSError:
        return None


def _parse_list(s):
    out = set()
    for part in (s or "").split(","):
        if "-" in part:
            a, b = part.split("-")
            out.update(range(int(a), int(b) + 1))
        elif part:
            out.add(int(part))
    return out


# PCIe port types (Express capability, bits 7:4)
ENDPOINT, ROOT_PORT, UPSTREAM, DOWNSTREAM = 0, 4, 5, 6
SPEEDS = {1: 2.5, 2: 5.0, 3: 8.0, 4: 16.0, 5: 32.0}


def pci_config(vendor, device, cls, bridge=None, pcie=None):
    """256 bytes of config space: header, bus numbers for a bridge
    (primary, secondary, subordinate) and a PCI Express capability at
    0x40 with (port type, (cap gen, cap width), (sta gen, sta width))."""
    c = bytearray(256)
    c[0:2] = vendor.to_bytes(2, "little")
    c[2:4] = device.to_bytes(2, "little")
    c[9:12] = cls.to_bytes(3, "little")
    c[0x0e] = 1 if bridge else 0
    if bridge:
        c[0x18], c[0x19], c[0x1a] = bridge
    if pcie:
        ptype, (cg, cw), (sg, sw) = pcie
        c[6] = 0x10                     # status: capability list
        c[0x34] = 0x40
        c[0x40], c[0x41] = 0x10, 0
        c[0x42:0x44] = (2 | ptype << 4).to_bytes(2, "little")
        c[0x4c:0x50] = (cg | cw << 4).to_bytes(4, "little")
        c[0x52:0x54] = (sg | sw << 4).to_bytes(2, "little")
    return bytes(c)


def gen_pci(seed, root):
    """Adds PCI devices to a tree gen() made: host bridges on NUMA nodes
    (or on none), root ports, switches, multi-function endpoints with
    network and NVMe devices, PCIe links (some trained below what they
    can do), IOMMU groups (some devices without one).  numa_node and
    local_cpus say the same, as the kernel writes them.  Its random
    stream is its own, so gen()'s trees do not change.  Returns the
    truth: {address: dict(node, parent, group, bridge, link)} and the
    OS device names {name: address}."""
    r = random.Random(seed * 7919 + 17)
    ncpus = max(_parse_list(_read(root, "/sys/devices/system/cpu/possible"))) + 1
    online = _parse_list(_read(root, "/sys/devices/system/cpu/online"))
    nodes = {}
    base = root + "/sys/devices/system/node"
    if os.path.isdir(base):
        for n in sorted(os.listdir(base)):
            if n.startswith("node") and n[4:].isdigit():
                nodes[int(n[4:])] = _parse_list(_read(root, f"/sys/devices/system/node/{n}/cpulist"))
    choices = [n for n, c in nodes.items() if c] + [-1]
    devs, osdevs = {}, {}
    groups = {"next": 0}
    counters = {"eth": 0, "nvme": 0}

    def new_group(members):
        if r.random() < 0.15:           # no IOMMU group (IOMMU off here)
            return
        g = groups["next"]
        groups["next"] += 1
        for m in members:
            devs[m]["group"] = g

    def add(dom, bus, dev, fn, parent_path, parent_addr, node, cfg, kind=None):
        addr = f"{dom:04x}:{bus:02x}:{dev:02x}.{fn:x}"
        path = f"{parent_path}/{addr}"
        write_bytes(root, path + "/config", cfg)
        write(root, path + "/vendor", "0x" + cfg[0:2][::-1].hex())
        write(root, path + "/device", "0x" + cfg[2:4][::-1].hex())
        write(root, path + "/class", "0x" + cfg[9:12][::-1].hex())
        write(root, path + "/subsystem_vendor", "0x0000")
        write(root, path + "/subsystem_device", "0x0000")
        write(root, path + "/numa_node", str(node))
        local = nodes.get(node, online) if node >= 0 else online
        write(root, path + "/local_cpus", mask(local, ncpus))
        write(root, path + "/local_cpulist", cpulist(local))
        link(root, f"/sys/bus/pci/devices/{addr}", path)
        devs[addr] = dict(node=node, parent=parent_addr, group=None, path=path,
                          bridge=cfg[0x0e] == 1, link=None,
                          ptype=cfg[0x42] >> 4 if cfg[0x34] else None)
        if kind == "net":
            name = f"eth{counters['eth']}"
            counters["eth"] += 1
            write(root, f"{path}/net/{name}/address", "00:11:22:33:44:55")
            link(root, f"/sys/class/net/{name}", f"{path}/net/{name}")
            osdevs[name] = addr
        elif kind == "nvme":
            k = counters["nvme"]
            counters["nvme"] += 1
            name = f"nvme{k}n1"
            write(root, f"{path}/nvme/nvme{k}/{name}/size", "1000000")
            write(root, f"{path}/nvme/nvme{k}/{name}/dev", f"259:{k}")
            link(root, f"/sys/class/block/{name}", f"{path}/nvme/nvme{k}/{name}")
            osdevs[name] = addr
        return addr, path

    def link_pair(cap_gen, cap_w):
        """(cap, sta) of a link, trained lower now and then."""
        sg, sw = cap_gen, cap_w
        if r.random() < 0.2:
            sw = max(1, cap_w // r.choice([2, 4]))
        if r.random() < 0.15:
            sg = max(1, cap_gen - 1)
        return (cap_gen, cap_w), (sg, sw)

    def endpoint(dom, bus, ppath, paddr, node, lk):
        nfn = r.choice([1, 1, 1, 2, 4])
        kind = r.choice(["net", "nvme", None])
        cls = {"net": 0x020000, "nvme": 0x010802, None: 0x120000}[kind]
        made = []
        for fn in range(nfn):
            pcie = (ENDPOINT,) + lk if lk else None
            a, _ = add(dom, bus, 0, fn, ppath, paddr, node,
                       pci_config(0x8086, 0x1000 + fn, cls, pcie=pcie), kind)
            devs[a]["link"] = lk
            made.append(a)
        # all functions of a slot share a group (no ACS between them),
        # or each has its own
        if r.random() < 0.6:
            new_group(made)
        else:
            for a in made:
                new_group([a])
        return made

    bus = 0
    for h in range(r.randint(1, 4)):
        dom = 0 if h < 3 else r.choice([0, 1, 0x10000])
        node = r.choice(choices)
        rbus = bus
        bus += 1
        hpath = f"/sys/devices/pci{dom:04x}:{rbus:02x}"
        for d in range(1, r.randint(1, 4) + 1):
            kind = r.choice(["rp-ep", "rp-ep", "rp-switch", "rp-empty", "rciep"])
            if kind == "rciep":
                a, _ = add(dom, rbus, d, 0, hpath, None, node,
                           pci_config(0x8086, 0x2000, 0x088000), None)
                new_group([a])
                continue
            cap = (r.choice([3, 4, 5]), r.choice([4, 8, 16]))
            cap, sta = link_pair(*cap)
            sec = bus
            bus += 1
            if kind == "rp-empty":
                sta = (cap[0], 0)       # link down: nothing in the slot
            sub_placeholder = [sec]
            rp, rpath = add(dom, rbus, d, 0, hpath, None, node,
                            pci_config(0x8086, 0x3000, 0x060400, (rbus, sec, sec),
                                       (ROOT_PORT, cap, sta)))
            devs[rp]["link"] = (cap, sta)
            rp_members = [rp]
            if kind == "rp-ep":
                rp_members += endpoint(dom, sec, rpath, rp, node, (cap, sta))
            elif kind == "rp-switch":
                usp, upath = add(dom, sec, 0, 0, rpath, rp, node,
                                 pci_config(0x10b5, 0x9797, 0x060400, (sec, sec + 1, sec + 1),
                                            (UPSTREAM, cap, sta)))
                devs[usp]["link"] = (cap, sta)
                dbus = bus
                bus += 1
                for k in range(r.randint(1, 3)):
                    ecap, esta = link_pair(r.choice([3, 4]), r.choice([4, 8, 16]))
                    eb = bus
                    bus += 1
                    dsp, dpath = add(dom, dbus, k + 1, 0, upath, usp, node,
                                     pci_config(0x10b5, 0x9797, 0x060400, (dbus, eb, eb),
                                                (DOWNSTREAM, ecap, esta)))
                    devs[dsp]["link"] = (ecap, esta)
                    eps = endpoint(dom, eb, dpath, dsp, node, (ecap, esta))
                    # bridges and what is below share a group half the time
                    if r.random() < 0.5:
                        new_group([dsp] + eps)
                    else:
                        new_group([dsp])
                sub_placeholder.append(bus - 1)
                # the switch's bus range: fix the bridges' subordinate
                for a, bp, ps in ((rp, rpath, (rbus, sec, bus - 1)),
                                  (usp, upath, (sec, dbus, bus - 1))):
                    cfg = bytearray(open(root + bp + "/config", "rb").read())
                    cfg[0x18], cfg[0x19], cfg[0x1a] = ps
                    write_bytes(root, bp + "/config", bytes(cfg))
                new_group([usp])
            new_group(rp_members if r.random() < 0.5 else [rp])
    for addr, dv in devs.items():
        if dv["group"] is not None:
            g = dv["group"]
            gdir = f"/sys/kernel/iommu_groups/{g}"
            link(root, f"{gdir}/devices/{addr}", dv["path"])
            link(root, dv["path"] + "/iommu_group", gdir)
    return devs, osdevs


def fuzz_entries(root):
    """The tree as fuzz-sysfs input: "PATH\\nCONTENT\\0" per file and
    "PATH -> TARGET\\n\\0" per link (fuzz/corpus/sysfs seeds)."""
    out = bytearray()
    for d, dirs, files in sorted(os.walk(root)):
        for name in sorted(dirs + files):
            full = os.path.join(d, name)
            rel = "/" + os.path.relpath(full, root)
            if os.path.islink(full):
                out += f"{rel} -> {os.readlink(full)}\n".encode() + b"\0"
            elif os.path.isfile(full):
                with open(full, "rb") as f:
                    out += rel.encode() + b"\n" + f.read() + b"\0"
    return bytes(out)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--fuzz-seed":
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            gen(int(sys.argv[2]), d)
            with open(sys.argv[3], "wb") as f:
                f.write(fuzz_entries(d))
        sys.exit(0)
    if len(sys.argv) != 3:
        sys.exit("usage: gensysfs.py SEED DIR | gensysfs.py --fuzz-seed SEED FILE")
    print(gen(int(sys.argv[1]), sys.argv[2]))


def pci_numa_lies(seed, root, devs):
    """Makes numa_node disagree with local_cpus below some host bridges,
    as an edited snapshot or a firmware lie would: another node, one that
    does not exist, or -1 (local_cpus stays).  Its random stream is its
    own.  Returns {host bridge "dddd:bb": the numa_node written}."""
    r = random.Random(seed * 104729 + 3)
    base = root + "/sys/devices/system/node"
    nodes = sorted(int(n[4:]) for n in os.listdir(base)
                   if n.startswith("node") and n[4:].isdigit()) if os.path.isdir(base) else []
    by_hb = {}
    for addr, dv in devs.items():
        top = addr
        while devs[top]["parent"]:
            top = devs[top]["parent"]
        by_hb.setdefault(top.rsplit(":", 1)[0], []).append(dv)
    lies = {}
    for hb in sorted(by_hb):
        if r.random() < 0.5:
            continue
        v = r.choice(nodes + [9999, -1])
        for dv in by_hb[hb]:
            write(root, dv["path"] + "/numa_node", str(v))
        lies[hb] = v
    return lies
