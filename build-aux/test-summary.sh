#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Prints the one line CI reads, from automake's test-suite.log:
#   check: N passed, N failed, N skipped
# and exits non-zero when anything failed.  A test binary that crashes adds an
# ERROR on top of its failing cases, so "failed" may exceed the number of
# failing cases, but it is 0 if and only if everything passed.
log=$1
[ -f "$log" ] || { echo "check: 0 passed, 1 failed, 0 skipped"; exit 1; }
n() { v=$(sed -n "s/^# $1: *//p" "$log" | head -n 1); echo "${v:-0}"; }
f=$(( $(n FAIL) + $(n XPASS) + $(n ERROR) ))
echo "check: $(n PASS) passed, $f failed, $(n SKIP) skipped"
[ "$f" -eq 0 ]
