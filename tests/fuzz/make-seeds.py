#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the hand-made seed corpora of the record-driven fuzz targets.
"""Regenerates tests/fuzz/corpus/{i8042,acpi-pm,ged,debug-port,
debug-console,pci-config,msix,virtio-pci-common}/ (run from tests/fuzz/).
The record layouts are documented in access-records.h and in each
target's LLVMFuzzerTestOneInput comment; crash inputs found by libFuzzer
are added to the corpora as they are, not through this script."""
import os
import struct


def write(target, name, data):
    os.makedirs(f'corpus/{target}', exist_ok=True)
    with open(f'corpus/{target}/{name}', 'wb') as f:
        f.write(data)


# ---- access-records.h: {kind, offset + 16, value} -------------------------
def arec(op, size, off, val=0, arg=0):
    sz = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    return struct.pack('<BHI', op | sz << 2 | arg << 4, off + 16,
                       val & 0xffffffff)


def R(off, size=1):
    return arec(0, size, off)


def W(off, val, size=1):
    return arec(1, size, off, val)


RESET = arec(2, 1, 0)


def SP(arg=0, val=0):
    return arec(3, 1, 0, val, arg)


def legacy():
    # i8042 at 0x61: port B, then 0x60 data at -1, 0x64 command at +3.
    write('i8042', 'status-reset-cpu', R(3) + W(3, 0xfe) + SP())
    write('i8042', 'port-b-toggle',
          W(0, 0x03) + R(0) + W(0, 0x00) + R(0) + SP() + RESET + R(0))
    write('i8042', 'wide-and-edges',
          R(-1) + R(0, 4) + W(-1, 0xdeadbeef, 4) + R(3, 2) + R(4, 4) +
          W(2, 0x1234, 2) + SP())
    write('i8042', 'data-port',
          W(-1, 0xaa) + R(-1) + W(3, 0x20) + R(-1) + W(3, 0x60) +
          W(-1, 0x45) + SP())
    # ACPI PM at 0x600: SLP_TYP in bits 2-4, SLP_EN bit 5; timer at +8.
    write('acpi-pm', 's5-poweroff', W(0, (5 << 2) | 0x20) + SP())
    write('acpi-pm', 'reset-reg', W(0, 1) + R(0) + SP() + RESET)
    write('acpi-pm', 'timer',
          R(8, 4) + R(8, 4) + R(9, 1) + R(10, 2) + R(11, 4) + SP() + R(8, 4))
    write('acpi-pm', 'sleep-types',
          b''.join(W(0, (t << 2) | 0x20) for t in range(8)) + W(0, 0xff) +
          R(0, 4) + SP())
    # Debug port 0x80: a code per range; SP(1, us) moves the boot time.
    write('debug-port', 'boot-codes',
          b''.join(W(0, c) for c in (0x00, 0x10, 0x20, 0x41, 0x60, 0x7f,
                                     0x80, 0xff)) + SP())
    write('debug-port', 'boot-time-moves',
          W(0, 0x40) + SP(1, 5000000) + W(0, 0x41) + SP(1, -1000000) +
          W(0, 0x42) + SP(0) + RESET + SP(0))
    write('debug-port', 'wide',
          W(0, 0x12345678, 4) + R(0, 4) + W(-1, 0x99, 2) + R(-1, 4) + SP())
    # GED: SP(1, bits) notifies, a read returns and clears the bits.
    write('ged', 'notify-read', SP(1, 8) + R(0) + R(0) + SP(0))
    write('ged', 'all-events',
          SP(1, 0xffffffff) + R(0, 4) + SP(1, 0x5) + SP(0) + RESET + R(0, 8))
    write('ged', 'writes-and-edges',
          W(0, 0xff) + W(4, 0xffffffff, 4) + R(4, 4) + R(-4, 8) + R(15, 2) +
          R(16, 8) + W(0, 0x1, 8) + SP())
    # Debug console 0xe9: SP(1, n) floods n bytes, SP(2) drains the peer.
    write('debug-console', 'hello',
          b''.join(W(0, ord(c)) for c in 'edk2 DEBUG\n') + R(0) + SP(2) +
          SP(0))
    write('debug-console', 'flood-unread',
          SP(1, 0xffff) * 4 + SP(3) + W(0, 0x21))
    write('debug-console', 'wide-and-neighbours',
          W(0, 0x21212121, 4) + R(0, 4) + W(-1, 0x41, 2) + R(1, 1) + RESET +
          SP(0) + SP(2))


# ---- PCI targets: {kind | size << 3, off, value} --------------------------
def prec(kind, size, off, val=0):
    sz = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    return struct.pack('<BHI', kind | sz << 3, off & 0xffff, val & 0xffffffff)


def pci_config():
    def e_r(fn, reg, size=4):
        return prec(0, size, (fn << 12) | reg)

    def e_w(fn, reg, val, size=4):
        return prec(1, size, (fn << 12) | reg, val)

    def cf8(addr):
        return prec(2, 4, 0, addr)

    def cfc_r(b=0, size=4):
        return prec(3, size, b)

    def cfc_w(b, val, size=4):
        return prec(4, size, b, val)

    def place(fn, where, v, hi=0):
        return prec(5, 1, fn | (where << 1) | (hi << 4), v)

    def bar(fn, wr, v=0, size=4):
        return prec(6, size, fn | (wr << 1), v)

    def spc(op, fn=0, v=0):
        return prec(7, 1, op | (fn << 2), v)

    def addr(dev, reg):
        return 0x80000000 | (dev << 11) | reg

    write('pci-config', 'enumerate-cf8',
          b''.join(cf8(addr(d, 0)) + cfc_r() for d in range(6)) +
          cf8(addr(3, 0x10)) + cfc_w(0, 0xffffffff) + cfc_r() +
          cf8(addr(3, 0x14)) + cfc_w(0, 0xffffffff) + cfc_r())
    write('pci-config', 'bar-sizing-ecam',
          e_w(0, 0x10, 0xffffffff) + e_r(0, 0x10) + e_w(0, 0x14, 0xffffffff) +
          e_r(0, 0x14) + spc(0) + e_r(0, 0x10))
    write('pci-config', 'bar-over-ram',
          place(0, 0, 0x1000) + bar(0, 0, 0) + bar(0, 1, 0x1234) + spc(3))
    write('pci-config', 'bar-over-other',
          place(0, 1, 0) + bar(0, 0, 0x0) + bar(1, 0, 0x0) +
          place(1, 1, 0x100) + bar(1, 1, 1, 1) + spc(0, 1))
    write('pci-config', 'bar-holes',
          place(0, 2, 0) + e_r(0, 0) + place(1, 3, 0x1000) + bar(1, 0, 0) +
          place(0, 5, 0) + place(1, 6, 0x10) + bar(1, 0, 0) +
          place(0, 7, 0xfee00000) + bar(0, 0, 0))
    write('pci-config', 'command-toggle',
          spc(2, 0, 0) + bar(0, 0, 0) + spc(2, 0, 7) + bar(0, 0, 0) +
          spc(2, 0, 0x400) + spc(1))
    write('pci-config', 'bad-cf8',
          cf8(0x7fffffff) + cfc_r() + cf8(addr(3, 0x3)) + cfc_r(3, 2) +
          cf8(0x80ff0000) + cfc_w(1, 0xff, 1) + cfc_r(2, 2) +
          prec(0x80, 4, 0x0000) + prec(0x81, 4, 0xf004, 0xffff) +
          e_r(0, 0xffc) + e_r(1, 0x1000 - 2, 2))
    write('pci-config', 'snapshot-after-move',
          place(0, 3, 0x2000) + spc(1, 0) + spc(1, 1) + spc(3) +
          e_r(0, 0x10))


def msix():
    def t_r(off, size=4):
        return prec(0, size, off)

    def t_w(off, val, size=4):
        return prec(1, size, off, val)

    def p_r(off, size=8):
        return prec(2, size, off)

    def p_w(off, val, size=8):
        return prec(3, size, off, val)

    def mc(val):
        return prec(4, 2, 0, val)

    def notify(vec):
        return prec(5, 1, vec)

    def vec(which, val):
        return prec(6, 2, which, val)

    def sp(op, v=0):
        return prec(7, 2, op, v)

    def entry(v, addr, data, ctrl):
        return (t_w(v * 16, addr) + t_w(v * 16 + 4, 0) +
                t_w(v * 16 + 8, data) + t_w(v * 16 + 12, ctrl))

    write('msix', 'enable-unmask-notify',
          mc(0x8000) + entry(0, 0xfee00000, 0x41, 0) +
          entry(1, 0xfee00000, 0x42, 0) + vec(1, 0) + vec(0, 1) +
          notify(0) + notify(1) + sp(3) + p_r(0))
    write('msix', 'masked-pending',
          mc(0xc000) + entry(0, 0xfee00000, 0x41, 0) + notify(0) + p_r(0) +
          mc(0x8000) + p_r(0) + sp(1))
    write('msix', 'bad-vectors',
          mc(0x8000) + notify(2047) + notify(0xffff) + vec(1, 0xffff) +
          vec(1, 0x7ff) + vec(0x40, 3) + t_r(0xfff0) + t_w(0x7ff0, 1) +
          p_w(0, 0xffffffff) + p_r(0xff8) + sp(0))
    write('msix', 'bad-addresses',
          mc(0x8000) + entry(0, 0, 0, 0) +
          entry(1, 0xffffffff, 0xffffffff, 0) + t_w(18, 0xffff, 2) +
          t_w(1, 0xff, 1) + t_w(0, 0x1234, 8) + notify(0) + notify(1) +
          sp(2, 0) + notify(0) + sp(2, 6) + sp(1))


def virtio_pci_common():
    def c_r(reg, size=4):
        return prec(0, size, reg)

    def c_w(reg, val, size=4):
        return prec(1, size, reg, val)

    def d_r(o, size=4):
        return prec(4, size, o)

    def d_w(o, val, size=4):
        return prec(5, size, o, val)

    def kick(q):
        return prec(6, 2, q * 4, q)

    def s(op, q=0, v=0):
        return prec(7, 1, op | (q << 2), v)

    isr_r = prec(2, 1, 0)
    # Common config offsets: linux/virtio_pci.h VIRTIO_PCI_COMMON_*.
    write('virtio-pci-common', 'driver-ok',
          c_w(20, 1, 1) + c_w(20, 3, 1) + c_w(0, 0) + c_r(4) + c_w(0, 1) +
          c_r(4) + c_w(8, 1) + c_w(12, 1) + c_w(20, 11, 1) + c_r(20, 1) +
          c_w(22, 0, 2) + c_r(24, 2) + c_w(32, 0x10000) + c_w(40, 0x11000) +
          c_w(48, 0x12000) + c_w(28, 1, 2) + c_w(22, 1, 2) +
          c_w(32, 0x20000) + c_w(40, 0x21000) + c_w(48, 0x22000) +
          c_w(28, 1, 2) + c_w(20, 15, 1) + kick(0) + kick(1) + s(3) +
          isr_r + d_r(0) + d_r(4) + s(1))
    write('virtio-pci-common', 'out-of-order',
          c_w(28, 1, 2) + c_w(20, 15, 1) + c_w(22, 0xffff, 2) + c_r(24, 2) +
          c_w(24, 0x7fff, 2) + c_w(20, 0, 1) + c_w(24, 3, 2) +
          c_w(28, 1, 2) + kick(5) + c_r(0x40) + c_w(0x7c, 1) + s(0))
    write('virtio-pci-common', 'shortcut-init',
          s(2, 0, 0x01000010) + s(2, 1, 0x02000020) + kick(0) + kick(1) +
          s(3) + s(2, 7, 0xffff0100) + kick(7) + s(1) + s(0) + isr_r)
    write('virtio-pci-common', 'config-space',
          d_r(0, 2) + d_r(2, 2) + d_r(4, 4) + d_w(0, 0xffff, 2) + d_w(8, 1) +
          d_r(0xfc, 8) + isr_r + prec(3, 1, 0, 0xff) + s(1))
    # DRIVER_OK taken away and given back without a reset: the device
    # must not activate twice (it left an orphan worker thread behind).
    write('virtio-pci-common', 'regress-driver-ok-cleared',
          s(2, 0, 0x01000010) + kick(0) + c_w(20, 7, 1) + c_r(20, 1) +
          c_w(20, 15, 1) + kick(0) + kick(1) + s(3) + s(1))
    write('virtio-pci-common', 'features-reset-midway',
          c_w(20, 3, 1) + c_w(8, 0) + c_w(12, 0xffffffff) + c_w(8, 1) +
          c_w(12, 0xffffffff) + c_w(8, 7) + c_w(12, 1) + c_w(20, 11, 1) +
          c_r(20, 1) + c_w(20, 0, 1) + c_r(20, 1) + c_r(21, 1) + s(1))


if __name__ == '__main__':
    legacy()
    pci_config()
    msix()
    virtio_pci_common()
