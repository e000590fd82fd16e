#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the seed corpus of fuzz-vhost-user-blk: a back end's replies.
import os
import struct
import sys

REPLY = 0x1 | 0x4   # version 1, REPLY


def reply(req, payload):
    return struct.pack('<III', req, REPLY, len(payload)) + payload


def u64(req, v):
    return reply(req, struct.pack('<Q', v))


VERSION_1, PROTOCOL_FEATURES = 1 << 32, 1 << 30
BLK = (1 << 2) | (1 << 6) | (1 << 9) | (1 << 12)   # SEG_MAX BLK_SIZE FLUSH MQ
PF = (1 << 0) | (1 << 9)                           # MQ, CONFIG (no ack)


def config(capacity=2048, seg_max=126, blk_size=512, nq=4):
    c = bytearray(60)
    struct.pack_into('<Q', c, 0, capacity)
    struct.pack_into('<I', c, 12, seg_max)
    struct.pack_into('<I', c, 20, blk_size)
    struct.pack_into('<H', c, 34, nq)
    return reply(24, struct.pack('<III', 0, 60, 0) + bytes(c))


def stream(cfg, feats=VERSION_1 | PROTOCOL_FEATURES | BLK, nq=4):
    return (u64(1, feats) + u64(15, PF) + u64(17, nq) + cfg)


seeds = {
    'good': b'\x00' + stream(config()),
    'good-4-queues': b'\x03' + stream(config()),
    'too-few-queues': b'\x03' + stream(config(nq=2)),
    'seg-max-zero': b'\x00' + stream(config(seg_max=0)),
    'blk-size-odd': b'\x00' + stream(config(blk_size=1000)),
    'config-short': b'\x00' + stream(reply(24, b'\x00' * 20)),
    'config-wrong-request': b'\x00' + stream(u64(11, 0)),
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
