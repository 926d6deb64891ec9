# SPDX-License-Identifier: MIT
"""VHD (Microsoft's Virtual Hard Disk Image Format Specification 1.0) as
the loopback XenAPI server needs it, written from the specification: a
dynamic VHD read front to back from an HTTP body (what XAPI's
import_raw_vdi?format=vhd takes), every field checked, and a dynamic VHD
of a disk's data blocks written front to back (what export_raw_vdi
?format=vhd sends).  Disks are sparse files; only data blocks are read."""
import os
import struct
import time
import uuid

SECTOR = 512
BLOCK = 2 << 20
UNUSED = 0xFFFFFFFF
EPOCH = 946684800  # 2000-01-01
ZEROS = bytes(BLOCK)
FULL_BITMAP = b"\xff" * SECTOR


def checksum(b):
    return ~sum(b) & 0xFFFFFFFF


def chs(sectors):
    """Geometry of the specification's appendix."""
    sectors = min(sectors, 65535 * 16 * 255)
    if sectors >= 65535 * 16 * 63:
        spt, heads = 255, 16
        cth = sectors // spt
    else:
        spt = 17
        cth = sectors // spt
        heads = max((cth + 1023) // 1024, 4)
        if cth >= heads * 1024 or heads > 16:
            spt, heads = 31, 16
            cth = sectors // spt
        if cth >= heads * 1024:
            spt, heads = 63, 16
            cth = sectors // spt
    return struct.pack(">HBB", cth // heads, heads, spt)


def footer(size, dynamic=True):
    f = bytearray(SECTOR)
    f[0:8] = b"conectix"
    struct.pack_into(">IIQI", f, 8, 2, 0x10000, SECTOR if dynamic else 0xFFFFFFFFFFFFFFFF,
                     int(time.time()) - EPOCH)
    f[28:40] = b"tap \x00\x01\x00\x03Lnux"
    struct.pack_into(">QQ", f, 40, size, size)
    f[56:60] = chs(size // SECTOR)
    struct.pack_into(">I", f, 60, 3 if dynamic else 2)
    f[68:84] = uuid.uuid4().bytes
    struct.pack_into(">I", f, 64, checksum(f))
    return bytes(f)


class BodyReader:
    """An HTTP request body (Content-Length or chunked) read in order."""

    def __init__(self, rfile, headers):
        self.f = rfile
        self.chunked = headers.get("Transfer-Encoding", "").lower() == "chunked"
        self.left = 0 if self.chunked else int(headers.get("Content-Length", "0"))
        self.end = False
        self.pos = 0

    def _fill(self):
        if self.chunked and self.left == 0 and not self.end:
            size = int(self.f.readline().split(b";")[0], 16)
            if size == 0:
                self.f.readline()
                self.end = True
            self.left = size

    def read(self, n):
        if not self.chunked and n <= self.left:   # the common case, one copy
            b = self.f.read(n)
            self.left -= len(b)
            self.pos += len(b)
            return b
        out = bytearray()
        while len(out) < n:
            self._fill()
            if self.left == 0:
                break
            b = self.f.read(min(n - len(out), self.left, 1 << 20))
            if not b:
                break
            out += b
            self.left -= len(b)
            if self.chunked and self.left == 0:
                self.f.readline()
        self.pos += len(out)
        return bytes(out)

    def exact(self, n, what):
        b = self.read(n)
        if len(b) != n:
            raise ValueError(f"VHD: the body ends at byte {self.pos} in {what}")
        return b

    def skip_to(self, off, what):
        if off < self.pos:
            raise ValueError(f"VHD: {what} at byte {off} is behind the stream (byte {self.pos})")
        while self.pos < off:
            if not self.read(min(off - self.pos, 1 << 20)):
                raise ValueError(f"VHD: the body ends at byte {self.pos} before {what}")

    def drain(self):
        while self.read(1 << 20):
            pass


def read_stream(body, size, out):
    """Reads a dynamic VHD of `size` virtual bytes from body into the file
    out (sparse, blocks written where they belong); ValueError naming the
    offset on anything the specification or XAPI would refuse."""
    f = body.exact(SECTOR, "the footer")
    if f[0:8] != b"conectix":
        raise ValueError("VHD: byte 0: no 'conectix' footer cookie")
    if struct.unpack_from(">I", f, 64)[0] != checksum(f[:64] + b"\0" * 4 + f[68:]):
        raise ValueError("VHD: byte 64: footer checksum mismatch")
    data_off, = struct.unpack_from(">Q", f, 16)
    cur, = struct.unpack_from(">Q", f, 48)
    dtype, = struct.unpack_from(">I", f, 60)
    if dtype != 3:
        raise ValueError(f"VHD: byte 60: disk type {dtype}, not dynamic (3)")
    if cur != size:
        raise ValueError(f"VHD: byte 48: current size {cur}, the VDI's is {size}")
    if f[56:60] != chs(size // SECTOR):
        raise ValueError("VHD: byte 56: geometry is not the specification's for the size")
    body.skip_to(data_off, "the dynamic header")
    h = body.exact(1024, "the dynamic header")
    if h[0:8] != b"cxsparse":
        raise ValueError(f"VHD: byte {data_off}: no 'cxsparse' header cookie")
    if struct.unpack_from(">I", h, 36)[0] != checksum(h[:36] + b"\0" * 4 + h[40:]):
        raise ValueError(f"VHD: byte {data_off + 36}: header checksum mismatch")
    table, = struct.unpack_from(">Q", h, 16)
    entries, bsize = struct.unpack_from(">II", h, 28)
    nblk = (size + BLOCK - 1) // BLOCK
    if bsize != BLOCK or entries < nblk:
        raise ValueError(f"VHD: byte {data_off + 28}: {entries} blocks of {bsize} bytes "
                         f"for {size} bytes")
    body.skip_to(table, "the BAT")
    bat = struct.unpack(f">{entries}I", body.exact(entries * 4, "the BAT"))
    body.skip_to(table + (entries * 4 + SECTOR - 1) // SECTOR * SECTOR, "the first block")
    blocks = sorted((s * SECTOR, b) for b, s in enumerate(bat) if s != UNUSED)
    out.truncate(size)
    for off, b in blocks:
        if b >= nblk:
            raise ValueError(f"VHD: BAT entry {b} is past the disk's {nblk} blocks")
        body.skip_to(off, f"block {b}")
        bitmap = body.exact(SECTOR, f"block {b}'s bitmap")
        data = body.exact(BLOCK, f"block {b}")
        if bitmap != FULL_BITMAP:
            data = bytearray(data)
            for s in range(BLOCK // SECTOR):
                if not bitmap[s // 8] & (0x80 >> (s % 8)):
                    data[s * SECTOR:(s + 1) * SECTOR] = bytes(SECTOR)
        end = min(BLOCK, size - b * BLOCK)
        if data[end:] != ZEROS[end:]:
            raise ValueError(f"VHD: block {b} holds data past the disk's end")
        if data[:end] != ZEROS[:end]:
            out.seek(b * BLOCK)
            out.write(data[:end])
    last = body.exact(SECTOR, "the closing footer")
    if last != f:
        raise ValueError(f"VHD: byte {body.pos - SECTOR}: the closing footer differs from the first")
    if body.read(1):
        raise ValueError(f"VHD: byte {body.pos - 1}: bytes after the closing footer")


def data_blocks(fd, size):
    """Indices of the VHD blocks of a sparse file that hold data."""
    out, off = [], 0
    while off < size:
        try:
            start = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:
            break
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        for b in range(start // BLOCK, (end - 1) // BLOCK + 1):
            if not out or out[-1] != b:
                out.append(b)
        off = end
    return out


def dynamic_vhd(fd, size):
    """(length, chunks): a dynamic VHD of the sparse file fd (size bytes),
    its blocks in order after the BAT, as vhd-tool streams them."""
    blocks = data_blocks(fd, size)
    nblk = (size + BLOCK - 1) // BLOCK
    bat_bytes = (nblk * 4 + SECTOR - 1) // SECTOR * SECTOR
    first = 3 * SECTOR + bat_bytes
    bat = bytearray(b"\xff" * bat_bytes)
    for i, b in enumerate(blocks):
        struct.pack_into(">I", bat, 4 * b, (first + i * (SECTOR + BLOCK)) // SECTOR)
    h = bytearray(1024)
    h[0:8] = b"cxsparse"
    struct.pack_into(">QQIII", h, 8, 0xFFFFFFFFFFFFFFFF, 3 * SECTOR, 0x10000, nblk, BLOCK)
    struct.pack_into(">I", h, 36, checksum(h))
    f = footer(size)
    length = first + len(blocks) * (SECTOR + BLOCK) + SECTOR

    def chunks():
        yield f + bytes(h) + bytes(bat)
        for b in blocks:
            data = os.pread(fd, min(BLOCK, size - b * BLOCK), b * BLOCK)
            yield b"\xff" * SECTOR + data + bytes(BLOCK - len(data))
        yield f
    return length, chunks()
