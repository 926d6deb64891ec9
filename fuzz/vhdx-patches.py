#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a VHDX (or any sparse file) as the patch list fuzz-vhdx reads:
its runs of non-zero bytes, each as u32 offset, u16 length, bytes, and
its last byte (the length)."""
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
out = bytearray()
i = 0
while i < len(data):
    if data[i] == 0:
        i += 1
        continue
    j = i
    while j < len(data) and j - i < 65535 and any(data[j:j + 16]):
        j += 16
    j = min(j, len(data), i + 65535)
    out += struct.pack("<IH", i, j - i) + data[i:j]
    i = j
# The last byte, so that the file keeps its length.
out += struct.pack("<IH", len(data) - 1, 1) + data[-1:]
open(dst, "wb").write(out)
