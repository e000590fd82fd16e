#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# LOG_COMPILER for every test in "make check".
#
# Unit tests and fuzz-corpus replays run directly.  Integration tests (any
# program under tests/integration/) need a working /dev/kvm and go through the
# harness, which provides one natively or inside a nested VM under QEMU.
# GTest programs get "-k" so that every case runs even after a failure.
set -u
prog=$1
shift
srcdir=${G_TEST_SRCDIR:-.}
top_srcdir=${NIMBUS_TOP_SRCDIR:-$srcdir}
case "$prog" in
    *.sh|*.py)
        exec "$prog" "$@" ;;
    */tests/integration/*|tests/integration/*)
        exec "$top_srcdir/tests/harness/with-kvm" -- "$prog" -k "$@" ;;
    *)
        exec "$prog" -k "$@" ;;
esac
