#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Tests of tests/harness/with-kvm itself (TAP).  The emulated path is forced
# so that every CI run boots the nested VM, even on hosts with /dev/kvm; it
# costs seven boots: one CMD that ends, one that hangs until --timeout, one
# whose heartbeat stops, two for --retries, two for --crash-retries (and a
# VM too small to boot, which ends in seconds).
set -u
top=${NIMBUS_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
wk=$top/tests/harness/with-kvm
work=$(mktemp -d "${TMPDIR:-/tmp}/test-with-kvm.XXXXXX")
trap 'rm -rf "$work"' EXIT
n=0
# The defaults are under test; make check sets retries for the others.
unset NIMBUS_HARNESS_RETRIES NIMBUS_HARNESS_CRASH_RETRIES NIMBUS_HARNESS_STALL

echo "1..17"
# check NAME COMMAND...: one TAP result; the command's output goes to the log.
check() {
    local name=$1
    shift
    n=$((n + 1))
    if "$@"; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
    fi
}
has() { grep -q -- "$2" "$work/$1"; }
hasnt() { ! grep -q -- "$2" "$work/$1"; }
show() {
    local f
    for f in "$@"; do
        echo "# --- $f:"
        awk '{ print "#   " $0 }' "$work/$f"
    done
}

# The command of the first boot: checks inside, prints what the host checks.
inner='test -c /dev/kvm && echo kvm-ok
echo to-stderr >&2
echo "env=$NIMBUS_TEST_WITH_KVM|$EXTRA_VAR|$UNPASSED_VAR|mode=$NIMBUS_HARNESS_MODE"
echo "cwd=$(pwd)"
echo "assets=$(test -f "$NIMBUS_ASSETS_DIR/vmlinux" && echo yes)"
printf "arg=%s\n" "$@"
exit 3'

# --- Argument errors: no VM needed ------------------------------------------
"$wk" >"$work/noargs.out" 2>"$work/noargs.err"
rc=$?
check "no command: status 125 and a usage message" \
    test "$rc" = 125 -a -n "$(grep 'no command' "$work/noargs.err")"
"$wk" --timeout soon -- true >/dev/null 2>"$work/badtimeout.err"
rc=$?
check "--timeout soon is rejected by name" \
    test "$rc" = 125 -a -n "$(grep "not 'soon'" "$work/badtimeout.err")"

# --- Emulated: a CMD that ends -----------------------------------------------
export NIMBUS_TEST_WITH_KVM='a "quoted" $value'
export EXTRA_VAR=extra UNPASSED_VAR=leaked
start=$(date +%s)
NIMBUS_HARNESS_EMULATE=1 "$wk" --timeout 600 --env EXTRA_VAR -- \
    sh -c "$inner" sh 'two words' "it's" '$HOME' \
    >"$work/emu.out" 2>"$work/emu.err"
rc=$?
echo "# emulated run: $(($(date +%s) - start)) s"
show emu.out emu.err
check "emulated: /dev/kvm works inside" has emu.out '^kvm-ok$'
check "emulated: CMD's exit status 3 is with-kvm's" test "$rc" = 3
stderr_ok() { has emu.err '^to-stderr$' && hasnt emu.out to-stderr; }
check "emulated: stderr stays on stderr" stderr_ok
check "emulated: NIMBUS_* and --env pass, others do not" \
    has emu.out '^env=a "quoted" \$value|extra||mode=emulated$'
cwd_ok() { has emu.out "^cwd=$(pwd -P)\$" && has emu.out '^assets=yes$'; }
check "emulated: same directory, assets exported" cwd_ok
args_ok() {
    has emu.out '^arg=two words$' && has emu.out "^arg=it's\$" &&
        has emu.out '^arg=\$HOME$'
}
check "emulated: arguments arrive intact" args_ok

# --- Emulated: a CMD that hangs ----------------------------------------------
# The timeout must leave time for the boot (about 10 s on an idle 2-core
# machine) so that "started" shows that output streams before the end.
start=$(date +%s)
"$wk" --emulate --timeout 60 -- sh -c 'echo started; exec sleep 1000' \
    >"$work/hang.out" 2>"$work/hang.err"
rc=$?
took=$(($(date +%s) - start))
echo "# hanging run: $took s"
show hang.out hang.err
check "emulated: a hanging CMD is killed at --timeout, status 124" \
    test "$rc" = 124 -a "$took" -lt 90
hang_msg_ok() {
    has hang.err 'timeout: .* did not finish within 60 s' &&
        has hang.err 'console log: .*/console.log'
}
check "emulated: the timeout message names it and shows the console" hang_msg_ok
check "emulated: CMD's output arrived before the kill" has hang.out '^started$'

# --- Emulated: the nested VM dies before CMD ends (cheap: too little memory
# to boot, QEMU exits within seconds) ------------------------------------------
NIMBUS_HARNESS_MEMORY=48M "$wk" --emulate --timeout 120 -- true \
    >"$work/dead.out" 2>"$work/dead.err"
rc=$?
show dead.err
dead_ok() {
    test "$rc" = 125 && has dead.err 'stopped before CMD finished' &&
        has dead.err 'console log: .*/console.log'
}
check "emulated: a nested VM that dies is status 125, with its console" dead_ok

# --- Emulated: a nested VM whose userspace stops is stopped as dead ---------
# CMD freezes with-kvm's heartbeat (as a wedged L1 kernel would) and sleeps.
NIMBUS_HARNESS_STALL=20 "$wk" --emulate --timeout 300 -- \
    sh -c 'kill -STOP "$NIMBUS_HARNESS_HEARTBEAT_PID"; echo frozen; sleep 600' \
    >"$work/stall.out" 2>"$work/stall.err"
rc=$?
show stall.out stall.err
stall_ok() {
    test "$rc" = 125 && has stall.err 'no heartbeat from the nested VM.s userspace for over 20 s' &&
        has stall.err 'stopped before CMD finished'
}
check "emulated: a nested VM whose userspace stops is stopped, status 125" stall_ok

# --- Emulated: the nested VM's kernel dies under CMD; --retries reruns it ---
# The first attempt crashes the L1 kernel on purpose (sysrq), after printing;
# the second finds the marker and ends.  Only the second one's output shows.
crash='echo attempt-output
if [ -e "$1/crashed" ]; then echo second-attempt; exit 4; fi
touch "$1/crashed"; sync
echo c >/proc/sysrq-trigger; sleep 600'
"$wk" --emulate --timeout 300 --retries 1 --share "$work" -- sh -c "$crash" sh "$work" \
    >"$work/retry.out" 2>"$work/retry.err"
rc=$?
show retry.out retry.err
retry_ok() {
    test "$rc" = 4 && has retry.out '^second-attempt$' &&
        test "$(grep -c '^attempt-output$' "$work/retry.out")" = 1 &&
        has retry.err 'stopped before CMD finished' &&
        has retry.err 'in a new nested VM (attempt 2 of 2; --retries 1)'
}
check "emulated: --retries reruns CMD when the nested VM dies, shows one attempt" retry_ok

# --- Emulated: --crash-retries reruns a CMD that failed with a guest crash --
# The first attempt fails after printing nimbus's triple-fault report, the
# second fails without one: one rerun, then the second status stands.
crash2='if [ -e "$1/crashed2" ]; then echo second-attempt; exit 5; fi
touch "$1/crashed2"; echo "vcpu0: shutdown (triple fault) (hardware reason 0x0)"; exit 1'
"$wk" --emulate --timeout 300 --crash-retries 2 --share "$work" -- sh -c "$crash2" sh "$work" \
    >"$work/crash.out" 2>"$work/crash.err"
rc=$?
show crash.out crash.err
crash_ok() {
    test "$rc" = 5 && has crash.out '^second-attempt$' && hasnt crash.out 'triple fault' &&
        has crash.err "a test guest crashed in the emulated harness: 'vcpu0: shutdown (triple fault)" &&
        has crash.err 'guest-crash rerun 1 of 2' && hasnt crash.err 'rerun 2 of 2'
}
check "emulated: --crash-retries reruns after a guest crash, not after other failures" crash_ok

# --- Native: only where the host has a /dev/kvm that answers ------------------
"$wk" --native --timeout 120 -- sh -c 'test -c /dev/kvm && echo kvm-ok; exit 3' \
    >"$work/native.out" 2>"$work/native.err"
rc=$?
show native.out native.err
if grep -q -- '--native:' "$work/native.err"; then
    why=$(sed -n 's/.*--native: //p' "$work/native.err")
    n=$((n + 1))
    echo "ok $n # SKIP native: $why"
    n=$((n + 1))
    echo "ok $n # SKIP native: $why"
    exit 0
fi
native_ok() { test "$rc" = 3 && has native.out '^kvm-ok$'; }
check "native: /dev/kvm works, exit status 3 propagates" native_ok
start=$(date +%s)
"$wk" --native --timeout 2 -- sh -c 'echo started; exec sleep 1000' \
    >"$work/nhang.out" 2>"$work/nhang.err"
rc=$?
took=$(($(date +%s) - start))
show nhang.out nhang.err
native_hang_ok() {
    test "$rc" = 124 -a "$took" -lt 15 && has nhang.out '^started$' &&
        has nhang.err 'timeout: .* still running after 2 s'
}
check "native: a hanging CMD is killed at --timeout, status 124" native_hang_ok
