#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the seed corpora of fuzz-vhd and fuzz-vhdx from qemu-img images.
"""Run from the source tree: python3 tests/fuzz/make-vhdx-seeds.py.

fuzz-vhd takes image files as they are (small fixed VHDs).  fuzz-vhdx
takes a sparse encoding, as a VHDX is megabytes of mostly zeroes: the
file size (LE u64), then records of offset (LE u64), length (LE u32)
and the bytes, one per run of non-zero 4 KiB pages.
"""
import os
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = 4096


def qimg(*args):
    subprocess.run(["qemu-img", *args], check=True, stdout=subprocess.DEVNULL)


def data(n, seed):
    """One non-zero 4 KiB page per MiB (so that blocks get allocated)."""
    out = bytearray(n)
    for mib, off in enumerate(range(0, n, 1024 * 1024)):
        at = off + (mib % 4) * PAGE
        out[at:at + PAGE] = bytes((seed + mib + i) % 251 + 1
                                  for i in range(PAGE))[:max(0, n - at)]
    return bytes(out)


def sparse(path):
    with open(path, "rb") as f:
        img = f.read()
    out = [struct.pack("<Q", len(img))]
    off = 0
    while off < len(img):
        if not any(img[off:off + PAGE]):
            off += PAGE
            continue
        end = off
        while end < len(img) and any(img[end:end + PAGE]):
            end += PAGE
        out.append(struct.pack("<QI", off, end - off) + img[off:end])
        off = end
    return b"".join(out)


def main():
    vhd_dir = os.path.join(HERE, "corpus", "vhd")
    vhdx_dir = os.path.join(HERE, "corpus", "vhdx")
    os.makedirs(vhd_dir, exist_ok=True)
    os.makedirs(vhdx_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "src.raw")
        with open(raw, "wb") as f:
            f.write(data(16 * 1024, 7))
        for name, opts in (("fixed-exact.vhd", "subformat=fixed,force_size=on"),
                           ("fixed-chs.vhd", "subformat=fixed")):
            qimg("convert", "-f", "raw", "-O", "vpc", "-o", opts, raw,
                 os.path.join(vhd_dir, name))
        qimg("create", "-f", "vpc", "-o", "subformat=dynamic",
             os.path.join(vhd_dir, "dynamic.vhd"), "1M")
        with open(raw, "wb") as f:
            f.write(data(3 * 1024 * 1024, 11))
        for name, opts in (("dynamic-1M", "block_size=1M"),
                           ("dynamic-8M", "block_size=8M"),
                           ("no-zero-state", "block_size=1M,"
                            "block_state_zero=off"),
                           ("fixed", "subformat=fixed,block_size=1M")):
            img = os.path.join(tmp, name + ".vhdx")
            qimg("convert", "-f", "raw", "-O", "vhdx", "-o", opts, raw, img)
            with open(os.path.join(vhdx_dir, name), "wb") as f:
                f.write(sparse(img))
        img = os.path.join(tmp, "empty.vhdx")
        qimg("create", "-f", "vhdx", img, "64M")
        with open(os.path.join(vhdx_dir, "empty"), "wb") as f:
            f.write(sparse(img))


if __name__ == "__main__":
    main()
