#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make syntax-check: the style guide's mechanical rules over the source tree, as TAP (one result per rule).
#
# Usage: syntax-check.sh [ROOT]
#   ROOT: the source tree (default: $NIMBUS_TOP_SRCDIR, else the directory
#   above this script).  Files are those git knows (tracked, or new and not
#   ignored) when ROOT is a git checkout, else the sources find sees.
#
# Rules (docs/style.md, sections 1, 3, 5 and 6):
#   devices-daemon-include  no devices/ file includes a daemon/ header
#   arch-daemon-include     arch/ includes no daemon/ header but the
#                           hypervisor seam (daemon/hv/): it reaches the
#                           VM core only through arch.h's hooks
#   file-length             no .c/.h file over 1,500 lines
#   spdx                    an SPDX line first (after a #! line)
#   purpose-line            then a one-line comment saying what the file is
#   line-length             .c/.h lines of at most 100 characters
#   cleanup-label           goto only to one label, " cleanup:", indented one space
#   g-error                 never g_error()
#   devices-abort-exit      no abort()/exit() in devices/ (guest input must not kill the VMM)
#   pragma-once             headers use #pragma once
#   config-h-first          <config.h> is the first include of a .c file
#   cxx-comment             /* */ comments only
#   file-name               .c/.h names are lowercase-with-hyphens
#   log-domain              G_LOG_DOMAIN comes from AM_CPPFLAGS, not a #define
#   return-type-line        a function definition's name starts its line
#
# Known violations are listed in ROOT/build-aux/syntax-check-allow (override
# with $SYNTAX_CHECK_ALLOW), one "RULE PATH" per line; '#' starts a comment.
# A listed file may break that rule; a new violation fails, and so does a
# line that no longer matches a violation (delete it: the file is fixed).
# Exit status: 0 when every rule passes, 1 otherwise.
set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
root=${1:-${NIMBUS_TOP_SRCDIR:-$here/..}}
cd "$root" || { echo "Bail out! no source tree at '$root'"; exit 1; }
allow=${SYNTAX_CHECK_ALLOW:-build-aux/syntax-check-allow}
[ -f "$allow" ] || allow=/dev/null

RULES="devices-daemon-include arch-daemon-include file-length spdx
purpose-line line-length cleanup-label g-error devices-abort-exit
pragma-once config-h-first cxx-comment file-name log-domain return-type-line"

work=$(mktemp -d "${TMPDIR:-/tmp}/syntax-check.XXXXXX") || exit 1
trap '[ -n "${SYNTAX_CHECK_KEEP:-}" ] || rm -rf "$work"' EXIT

# The files to check, one per line, relative to ROOT.
if [ -e .git ] && git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard
else
    # No git (a release tarball, or a test's scratch tree): the sources,
    # without what autotools and the build generate.
    find . -name .git -prune -o -name autom4te.cache -prune -o \
        -type f -print | sed 's|^\./||' |
        grep -v -e '^config\.h$' -e '^build-aux/syntax-check-allow$' \
            -e '^build-aux/\(ar-lib\|compile\|config\.guess\|config\.sub\)$' \
            -e '^build-aux/\(depcomp\|install-sh\|missing\|test-driver\)$' \
            -e '^build-aux/\(tap-driver\.sh\|ltmain\.sh\)$' |
        while read -r f; do
            head -n 5 "$f" |
                grep -qiE '(generated (by|using|with)|(is|was) generated)' ||
                echo "$f"
        done
fi | sort -u | while read -r f; do
    [ -f "$f" ] || continue          # deleted, not yet committed
    case "$f" in
        *.c|*.h|*.sh|*.py|*.mk|*.am|*.ac) echo "$f" ;;
        *.*) ;;
        *) head -c 2 "$f" | grep -q '^#!' && echo "$f" ;;
    esac
done >"$work/files"

# One pass over every file; each violation is "RULE<TAB>PATH<TAB>LINE<TAB>WHAT".
tr '\n' '\0' <"$work/files" | xargs -0 -r awk '
function report_in(path, rule, line, what) {
    printf "%s\t%s\t%d\t%s\n", rule, path, line, what
}
function report(rule, line, what) {
    report_in(FILENAME, rule, line, what)
}
# The line with comments and string/char literals blanked, so that
# "exit(" in a comment or "//" in a URL is not code; in_comment carries
# a /* */ comment across lines.
function code(s,    out, i, c, n, q) {
    out = ""
    n = length(s)
    for (i = 1; i <= n; i++) {
        c = substr(s, i, 1)
        if (in_comment) {
            if (c == "*" && substr(s, i + 1, 1) == "/") {
                in_comment = 0
                i++
            }
            continue
        }
        if (c == "/" && substr(s, i + 1, 1) == "*") {
            in_comment = 1
            i++
            out = out " "
            continue
        }
        if (c == "\"" || c == "'\''") {
            q = c
            for (i++; i <= n; i++) {
                c = substr(s, i, 1)
                if (c == "\\")
                    i++
                else if (c == q)
                    break
            }
            out = out q q
            continue
        }
        out = out c
    }
    return out
}
function finish_file() {
    if (file == "")
        return
    if (is_c && lines > 1500)
        report_in(file, "file-length", lines,
                  lines " lines (split above 1,500)")
    if (is_h && !pragma_once)
        report_in(file, "pragma-once", 1, "no #pragma once")
    if (is_c && !is_h && !seen_include_first && seen_any_include)
        report_in(file, "config-h-first", first_include_line,
                  "first include is not <config.h>")
}
FNR == 1 {
    finish_file()
    file = FILENAME
    is_c = FILENAME ~ /\.[ch]$/
    is_h = FILENAME ~ /\.h$/
    in_devices = FILENAME ~ /^devices\//
    in_arch = FILENAME ~ /^arch\//
    in_comment = 0
    pragma_once = 0
    seen_include_first = 0
    seen_any_include = 0
    first_include_line = 0
    spdx_line = 1
    start = ""
    prev = ""
    base = FILENAME
    sub(/.*\//, "", base)
    if (is_c && base !~ /^[a-z0-9][a-z0-9-]*\.[ch]$/)
        report("file-name", 1, "\"" base "\" is not lowercase-with-hyphens")
}
{ lines = FNR }
FNR == 1 && /^#!/ { spdx_line = 2 }
FNR == spdx_line && !/SPDX-License-Identifier: / {
    report("spdx", FNR, "no SPDX-License-Identifier line")
}
FNR == spdx_line + 1 {
    if (is_c ? $0 !~ /^\/\* [^ ].*\*\/$/ : $0 !~ /^(# |dnl |""")[^ ]/)
        report("purpose-line", FNR, "no one-line purpose comment after SPDX")
}
!is_c { next }
{
    c = code($0)
    sub(/[ \t]+$/, "", c)
    # Characters, not bytes: UTF-8 continuation bytes do not count.
    s = $0
    n = gsub(/[\200-\277]/, "", s)
    if (length($0) - n > 100)
        report("line-length", FNR, (length($0) - n) " characters (at most 100)")
}
/^[ \t]*#[ \t]*pragma[ \t]+once/ { pragma_once = 1 }
/^[ \t]*#[ \t]*include/ {
    if (!seen_any_include) {
        seen_any_include = 1
        first_include_line = FNR
        seen_include_first = $0 ~ /^#include <config\.h>/
    }
    if (in_devices && $0 ~ /^[ \t]*#[ \t]*include[ \t]*["<](\.\.\/)*daemon\//)
        report("devices-daemon-include", FNR, "includes a daemon/ header")
    if (in_arch && $0 ~ /^[ \t]*#[ \t]*include[ \t]*["<](\.\.\/)*daemon\// &&
        $0 !~ /daemon\/hv\//)
        report("arch-daemon-include", FNR,
               "includes a daemon/ header other than daemon/hv/")
}
/^[ \t]*#[ \t]*define[ \t]+G_LOG_DOMAIN/ {
    report("log-domain", FNR, "G_LOG_DOMAIN defined in a source file")
}
c ~ /^[ \t]*[A-Za-z_][A-Za-z0-9_]*:[ \t]*$/ &&
    c !~ /^[ \t]*default:/ && c != " cleanup:" {
    report("cleanup-label", FNR, "label other than \" cleanup:\" (one space)")
}
c ~ /(^|[^A-Za-z0-9_])goto[ \t]+[A-Za-z_]/ &&
    c !~ /(^|[^A-Za-z0-9_])goto[ \t]+cleanup[ \t]*;/ {
    report("cleanup-label", FNR, "goto to a label other than cleanup")
}
c ~ /(^|[^A-Za-z0-9_])g_error[ \t]*\(/ {
    report("g-error", FNR, "g_error() aborts: use g_critical or an error")
}
in_devices && c ~ /(^|[^A-Za-z0-9_])(abort|exit|_exit)[ \t]*\(/ {
    report("devices-abort-exit", FNR, "abort()/exit() in a device")
}
c ~ /^[ \t]*\/\// || c ~ /[;{}][ \t]*\/\// {
    report("cxx-comment", FNR, "// comment")
}
# Definitions: the last line starting in column 0 before a "{" line that
# follows a ")" must start with the function name.
/^[A-Za-z_]/ { start = $0; start_line = FNR }
/^\{[ \t]*$/ && prev ~ /\)[ \t]*$/ && start != "" &&
    FILENAME ~ /\.c$/ && start !~ /^[A-Za-z_][A-Za-z0-9_]*\(/ {
    report("return-type-line", start_line,
           "return type and name on one line")
}
{ prev = $0 }
END { finish_file() }
' >"$work/found"

# Allow-list entries: "RULE PATH".
sed -e 's/#.*//' -e 's/[ \t][ \t]*/ /g' -e 's/^ //' -e 's/ $//' "$allow" |
    grep -v '^$' | sort -u >"$work/allow"

n=0
failed=0
echo "1..$(( $(echo $RULES | wc -w) + 1 ))"
for rule in $RULES; do
    n=$((n + 1))
    awk -F '\t' -v r="$rule" '$1 == r { print $2 "\t" $3 "\t" $4 }' \
        "$work/found" >"$work/rule"
    # New violations: files the allow-list does not name for this rule;
    # the last line of "new" counts the allowed ones.
    awk -F '\t' -v r="$rule" -v allowf="$work/allow" '
        BEGIN {
            while ((getline l < allowf) > 0) {
                split(l, a, " ")
                if (a[1] == r)
                    ok[a[2]] = 1
            }
        }
        $1 in ok { allowed++; next }
        { printf "# %s:%s: %s\n", $1, $2, $3 }
        END { print allowed + 0 >"/dev/stderr" }
    ' "$work/rule" >"$work/new" 2>"$work/allowed"
    allowed=$(cat "$work/allowed")
    if [ -s "$work/new" ]; then
        echo "not ok $n - $rule"
        cat "$work/new"
        failed=1
    else
        if [ "$allowed" -gt 0 ]; then
            echo "ok $n - $rule ($allowed allowed)"
        else
            echo "ok $n - $rule"
        fi
    fi
done

# The allow-list itself: known rules, and only violations that still exist.
n=$((n + 1))
cut -f1,2 "$work/found" | tr '\t' ' ' | sort -u >"$work/found-pairs"
: >"$work/bad"
while read -r rule path; do
    case " $(echo $RULES) " in
        *" $rule "*) ;;
        *) echo "# $allow: unknown rule '$rule'" >>"$work/bad"; continue ;;
    esac
    grep -qxF "$rule $path" "$work/found-pairs" ||
        echo "# $allow: '$rule $path' no longer applies: delete the line" \
            >>"$work/bad"
done <"$work/allow"
if [ -s "$work/bad" ]; then
    echo "not ok $n - allow-list"
    cat "$work/bad"
    failed=1
else
    echo "ok $n - allow-list"
fi
exit $failed
