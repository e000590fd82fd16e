#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Prints the one line CI reads, from automake's test-suite.log files (the
# main pass and, when scripts/test ran it, the sanitizer pass):
#   check: N passed, N failed, N skipped
# and exits non-zero when anything failed.  A test binary that crashes adds an
# ERROR on top of its failing cases, so "failed" may exceed the number of
# failing cases, but it is 0 if and only if everything passed.  A log that
# does not exist (its pass never got to its tests) counts as one failure.
pass=0 fail=0 skip=0
n() { v=$(sed -n "s/^# $1: *//p" "$2" | head -n 1); echo "${v:-0}"; }
for log in "$@"; do
    if [ ! -f "$log" ]; then
        echo "--- failed: $log does not exist (that pass did not run its tests)"
        fail=$((fail + 1))
        continue
    fi
    f=$(( $(n FAIL "$log") + $(n XPASS "$log") + $(n ERROR "$log") ))
    pass=$((pass + $(n PASS "$log")))
    skip=$((skip + $(n SKIP "$log")))
    fail=$((fail + f))
    # CI shows only the end of the output: name each failed program there,
    # with the end of its log (the whole of it is in test-suite.log).
    if [ "$f" -ne 0 ]; then
        find "$(dirname "$log")" -path ./build-sanitizers -prune -o -name '*.trs' -exec \
            grep -l -E '^:global-test-result: (FAIL|ERROR|XPASS)' {} + 2>/dev/null |
            sort | while read -r trs; do
                echo "--- failed: ${trs%.trs} (last lines of ${trs%.trs}.log)"
                tail -n "${NIMBUS_SUMMARY_LINES:-15}" "${trs%.trs}.log" | cut -c1-200
            done
    fi
    # Programs that with-kvm reran after the emulator failed under them (see
    # docs/testing.md, "Known problems"): said here, so that no rerun goes
    # unseen.
    find "$(dirname "$log")" -path ./build-sanitizers -prune -o \
        -name '*.log' ! -name "$(basename "$log")" -exec \
        grep -H '^with-kvm: rerunning' {} + 2>/dev/null | cut -c1-200 |
        sed 's/^/rerun after an emulator failure: /'
done
[ $# -gt 0 ] || { echo "check: 0 passed, 1 failed, 0 skipped"; exit 1; }
echo "check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
