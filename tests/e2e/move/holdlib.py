# SPDX-License-Identifier: MIT
"""Deterministic interruption: hvkit run with a preloaded shim that stops
it inside its Nth write to a regular file (its output, which then exists
under its temporary name or none) and says so on a pipe; the test sends
its signal only then, while hvkit is blocked.  No timing, no sleep."""
import os
import shutil
import signal
import subprocess
import tempfile

from movelib import HVKIT, skip, tmpdir

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static long seen;

/* Blocks for good in the HOLD_AFTER-th write to a regular file, once
 * "held" is written to the fd HOLD_FD: the test's signal ends it. */
static void hold(int fd)
{
	struct stat st;
	const char *after = getenv("HOLD_AFTER"), *out = getenv("HOLD_FD");

	if (fd <= 2 || !out || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	if (++seen < (after ? atol(after) : 1))
		return;
	ssize_t (*w)(int, const void *, size_t) = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (w(atoi(out), "held\n", 5) != 5)
		return;
	for (;;)
		pause();
}

#define WRAP(ret, name, params, args) \
ret name params \
{ \
	ret (*real) params = (ret (*) params)dlsym(RTLD_NEXT, #name); \
	hold(fd); \
	return real args; \
}
WRAP(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n))
WRAP(ssize_t, pwrite, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o))
WRAP(ssize_t, pwrite64, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o))
WRAP(ssize_t, writev, (int fd, const struct iovec *v, int n), (fd, v, n))
WRAP(ssize_t, pwritev, (int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o))
"""

_lib = None


def shim():
    """The shim's path, built once with the C compiler; None without one."""
    global _lib
    if _lib is None:
        cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if not cc:
            return None
        d = tempfile.mkdtemp(prefix="hvkit-hold-")
        src = os.path.join(d, "hold.c")
        with open(src, "w") as f:
            f.write(SHIM)
        _lib = os.path.join(d, "hold.so")
        subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", _lib, src, "-ldl"], check=True)
    return _lib


def held(args, after=2):
    """Starts hvkit ARGS and returns (process, stderr-pipe) once it is
    blocked inside its `after`-th write to a regular file; (process, None)
    when it ended first (it wrote less than that)."""
    r, w = os.pipe()
    # Under ASan (make check-asan) the shim comes before the sanitizer's
    # runtime in the library list, which ASan refuses unless told it is fine.
    asan = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0") if x)
    env = dict(os.environ, LD_PRELOAD=shim(), HOLD_FD=str(w), HOLD_AFTER=str(after), ASAN_OPTIONS=asan)
    p = subprocess.Popen([HVKIT, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=env, pass_fds=(w,))
    os.close(w)
    with os.fdopen(r, "rb") as f:
        said = f.read(5)   # "held", or EOF when hvkit ended without holding
    return p, said == b"held\n"


def kill(p, sig=signal.SIGTERM):
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    return err.decode(errors="replace").strip()


def setup(size):
    """Skips without a C compiler; else a new directory holding in.raw,
    size random bytes (incompressible, so every write is real)."""
    if not shim():
        skip("no C compiler for the hold shim")
    d = tmpdir()
    raw = os.path.join(d, "in.raw")
    with open(raw, "wb") as f:
        f.write(os.urandom(size))
    return d, raw
