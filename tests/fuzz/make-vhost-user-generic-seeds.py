#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the seed corpus of fuzz-vhost-user-generic: a back end's replies.
import os
import struct
import sys

REPLY = 0x1 | 0x4   # version 1, REPLY


def reply(req, payload):
    return struct.pack('<III', req, REPLY, len(payload)) + payload


def u64(req, v):
    return reply(req, struct.pack('<Q', v))


VERSION_1, PROTOCOL_FEATURES = 1 << 32, 1 << 30
NET = (1 << 0) | (1 << 1) | (1 << 7) | (1 << 11) | (1 << 15)
MQ, ACK, CONFIG = 1 << 0, 1 << 3, 1 << 9


def config(n, fill=0x5a):
    return reply(24, struct.pack('<III', 0, n, 0) + bytes([fill]) * n)


def hello(pf=MQ | ACK | CONFIG, feats=VERSION_1 | PROTOCOL_FEATURES | NET):
    out = u64(1, feats) + u64(15, pf)
    return out + u64(17, 4) if pf & MQ else out


seeds = {
    # off 4, len 4: GET_CONFIG of 8 bytes, SET_CONFIG acked, then 4.
    'good': b'\x04\x03' + hello() + config(8) + u64(25, 0) + config(4),
    'set-config-nack': b'\x04\x03' + hello() + config(8) + u64(25, 1),
    'config-short': b'\x04\x03' + hello() + reply(24, b'\x00' * 6),
    'config-wrong-size': b'\x00\x00' + hello() + config(2),
    'no-config': b'\x10\x07' + hello(pf=MQ),
    'offloads-off': b'\x1e\x00' + hello(pf=0),
    'past-the-end': b'\xff\x07' + hello(),
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
