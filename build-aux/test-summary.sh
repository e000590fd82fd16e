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
# CI shows only the end of the output: name each failed program there, with
# the end of its log (the whole of it is in test-suite.log).
if [ "$f" -ne 0 ]; then
    find "$(dirname "$log")" -name '*.trs' -exec \
        grep -l -E '^:global-test-result: (FAIL|ERROR|XPASS)' {} + 2>/dev/null |
        sort | while read -r trs; do
            echo "--- failed: ${trs%.trs} (last lines of ${trs%.trs}.log)"
            tail -n "${NIMBUS_SUMMARY_LINES:-15}" "${trs%.trs}.log" | cut -c1-200
        done
fi
# Programs that with-kvm reran after the emulator failed under them (see
# docs/testing.md, "Known problems"): said here, so that no rerun goes unseen.
find "$(dirname "$log")" -name '*.log' ! -name "$(basename "$log")" -exec \
    grep -H '^with-kvm: rerunning' {} + 2>/dev/null | cut -c1-200 |
    sed 's/^/rerun after an emulator failure: /'
echo "check: $(n PASS) passed, $f failed, $(n SKIP) skipped"
[ "$f" -eq 0 ]
