#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Writes the seed corpus of fuzz-save-image: a small valid save image
# (layout: driver/save-image.h, docs/save-image.md) and broken variants.
#   make-save-image-seeds.py tests/fuzz/corpus/save-image
import hashlib
import os
import struct
import sys

MAGIC = b"NimbusSaveImage\n"
XML = b"<domain type='kvm'><name>seed</name><uuid>" \
      b"6a0c2f3e-5d1b-4c8e-9f00-0000000000a1</uuid></domain>"


def header(xml=XML, version=1, flags=1, reserved=0):
    head = MAGIC + struct.pack(">IIII", version, flags, len(xml), reserved) + xml
    return head + hashlib.sha256(head).digest()


def entry(name, data):
    return (struct.pack(">I", len(name)) + name + struct.pack(">Q", len(data))
            + data + hashlib.sha256(data).digest())


END = struct.pack(">I", 0)
BODY = (entry(b"config.json", b'{"cpus":{"boot_vcpus":1}}')
        + entry(b"memory-ranges", bytes(range(256)) * 4)
        + entry(b"state.json", b"{}"))
SEEDS = {
    "valid": header() + BODY + END,
    "valid-paused": header(flags=0) + BODY + END,
    "header-only": header() + END,
    "truncated": (header() + BODY)[:-7],
    "newer-version": header(version=2) + BODY + END,
    "bad-digest": header()[:-1] + b"\0" + BODY + END,
    "dotdot-name": header() + entry(b"../x", b"1") + END,
    "duplicate": header() + entry(b"a", b"1") + entry(b"a", b"2") + END,
    "huge-size": header() + struct.pack(">I", 1) + b"a"
                 + struct.pack(">Q", 1 << 62) + END,
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
