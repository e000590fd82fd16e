#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# build-aux/syntax-check.sh on scratch trees: clean files pass, each planted violation fails its rule.
#
# The scratch tree holds copies of real sources (a device, a header, arch.h, a
# script, a Makefile fragment); each case plants one violation in a fresh
# copy and expects the checker to fail with that rule, and only that rule.
set -u
LC_ALL=C
export LC_ALL

top=${NIMBUS_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
check="$top/build-aux/syntax-check.sh"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/test-syntax-check.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
n=0
failed=0

# A clean tree in $scratch/t: real files, plus lines that look like
# violations to a naive grep but are not (comments, strings, 100
# characters of UTF-8).
fresh() {
    rm -rf "$scratch/t"
    mkdir -p "$scratch/t/devices/block" "$scratch/t/build-aux" \
        "$scratch/t/arch"
    cp "$top/devices/block/format-raw.c" "$top/devices/block/format.h" \
        "$top/devices/block/local.mk" "$scratch/t/devices/block/"
    cp "$top/build-aux/gtest-run.sh" "$scratch/t/build-aux/"
    cp "$top/arch/arch.h" "$scratch/t/arch/"
    cat >>"$scratch/t/devices/block/format-raw.c" <<'EOF'

/* Neither exit() nor abort() nor g_error() here; see http://example.org. */
static const char *const raw_not_code[] = { "exit(1) // abort()", "fail:" };
/* ---------------------------------------------------------------- §§ */
EOF
}

# plant FILE AWK-PROGRAM: rewrites FILE of the scratch tree with awk.
plant() {
    awk "$2" "$scratch/t/$1" >"$scratch/plant" &&
        cat "$scratch/plant" >"$scratch/t/$1"
}

# expect NAME STATUS [RULE]: runs the checker on the scratch tree; STATUS
# is its exit status wanted; RULE, the one rule that must fail ("" none).
expect() {
    name=$1
    want=$2
    rule=${3:-}
    n=$((n + 1))
    "$check" "$scratch/t" >"$scratch/out" 2>&1
    st=$?
    bad=$(sed -n 's/^not ok [0-9]* - \([a-z-]*\).*/\1/p' "$scratch/out" |
          tr '\n' ' ' | sed 's/ $//')
    if [ "$st" -eq "$want" ] && [ "$bad" = "$rule" ] &&
       grep -q '^1\.\.' "$scratch/out"; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name (exit $st, failing: '$bad', wanted '$rule')"
        sed 's/^/# /' "$scratch/out"
        failed=1
    fi
}

echo "1..24"

fresh
expect "clean tree passes" 0

fresh
plant devices/block/format-raw.c \
    '{ print } /^#include <config.h>/ { print "#include \"daemon/vm.h\"" }'
expect "devices/ including daemon/vm.h" 1 devices-daemon-include

fresh
plant devices/block/format.h \
    '{ print } /^#pragma once/ { print "#include \"../../daemon/memory.h\"" }'
expect "a devices/ header including ../../daemon/" 1 devices-daemon-include

fresh
plant arch/arch.h \
    '{ print } /^#pragma once/ { print "#include \"daemon/vm.h\"" }'
expect "arch/ including daemon/vm.h" 1 arch-daemon-include

fresh
plant arch/arch.h \
    '{ print } /^#pragma once/ { print "#include \"daemon/hv/fake.h\"" }'
expect "arch/ including the hypervisor seam" 0

fresh
plant devices/block/format-raw.c \
    '{ print } END { for (i = 0; i < 1500; i++) print "/* filler */" }'
expect "a .c file over 1,500 lines" 1 file-length

fresh
plant devices/block/format-raw.c \
    'NR == 1 { print "/* Copyright somebody */"; next } { print }'
expect "no SPDX line" 1 spdx

fresh
plant build-aux/gtest-run.sh 'NR == 2 { print "# Runs a test."; next } { print }'
expect "a script without SPDX after #!" 1 spdx

fresh
plant devices/block/local.mk 'NR == 2 { print ""; next } { print }'
expect "no purpose line" 1 purpose-line

fresh
plant devices/block/format-raw.c '{ print } END {
    s = "/*"; while (length(s) < 99) s = s "-"; print s "*/" }'
expect "a line of 101 characters" 1 line-length

fresh
plant devices/block/format-raw.c '{ print } END {
    print "static int\nraw_x(int fd)\n{\n    if (fd < 0)\n        goto fail;"
    print "    return 0;\nfail:\n    return -1;\n}" }'
expect "goto fail" 1 cleanup-label

fresh
plant devices/block/format-raw.c '{ print } END {
    print "static int\nraw_x(int fd)\n{\n    if (fd < 0)\n        goto cleanup;"
    print "    return 0;\ncleanup:\n    return -1;\n}" }'
expect "cleanup: not indented one space" 1 cleanup-label

fresh
plant devices/block/format-raw.c '{ print } END {
    print "static int\nraw_x(int fd)\n{\n    if (fd < 0)\n        goto cleanup;"
    print "    return 0;\n cleanup: /* unwinding */\n    return -1;\n}" }'
expect "goto cleanup, label indented one space" 0

fresh
plant devices/block/format-raw.c '{ print } END {
    print "static void\nraw_x(void)\n{\n    g_error (\"no\");\n}" }'
expect "g_error()" 1 g-error

fresh
plant devices/block/format-raw.c '{ print } END {
    print "static void\nraw_x(void)\n{\n    abort();\n}" }'
expect "abort() in a device" 1 devices-abort-exit

fresh
plant devices/block/format.h '!/^#pragma once/ { print }'
expect "a header without #pragma once" 1 pragma-once

fresh
plant devices/block/format-raw.c \
    '/^#include <config.h>/ { next } { print } /^#include <errno.h>/ {
     print "#include <config.h>" }'
expect "<config.h> not first" 1 config-h-first

fresh
plant devices/block/format-raw.c '{ print } END { print "// a C++ comment" }'
expect "a // comment" 1 cxx-comment

fresh
mv "$scratch/t/devices/block/format-raw.c" \
    "$scratch/t/devices/block/format_Raw.c"
expect "a file name with _ and capitals" 1 file-name

fresh
plant devices/block/format-raw.c \
    'NR == 3 { print "#define G_LOG_DOMAIN \"raw\"" } { print }'
expect "#define G_LOG_DOMAIN" 1 log-domain

fresh
plant devices/block/format-raw.c '{ print } END {
    print "static int raw_x(void)\n{\n    return 0;\n}" }'
expect "return type on the name's line" 1 return-type-line

# The allow-list: a listed violation passes, a stale or unknown line fails.
fresh
plant devices/block/format-raw.c \
    '{ print } /^#include <config.h>/ { print "#include \"daemon/vm.h\"" }'
printf '# known\ndevices-daemon-include devices/block/format-raw.c\n' \
    >"$scratch/t/build-aux/syntax-check-allow"
expect "an allowed violation" 0

fresh
echo "devices-daemon-include devices/block/format-raw.c" \
    >"$scratch/t/build-aux/syntax-check-allow"
expect "an allow-list line without its violation" 1 allow-list

fresh
echo "no-such-rule devices/block/format-raw.c" \
    >"$scratch/t/build-aux/syntax-check-allow"
expect "an allow-list line with an unknown rule" 1 allow-list

exit $failed
