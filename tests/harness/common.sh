# SPDX-License-Identifier: Apache-2.0
# Shared shell helpers of the test harness (sourced by with-kvm, assets, ...).
#
# Callers set HARNESS_DIR (the directory of this file) before sourcing.

HARNESS_NAME=${HARNESS_NAME:-harness}

harness_msg() {
    printf '%s: %s\n' "$HARNESS_NAME" "$*" >&2
}

harness_die() {
    harness_msg "error: $*"
    exit "${HARNESS_DIE_STATUS:-125}"
}

# The cache lives outside git: assets are hundreds of MB and depend on the
# Debian archive, not on the source tree.
harness_cache_dir() {
    printf '%s\n' "${NIMBUS_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/nimbus}"
}

# Everything that decides what the assets contain.  Any change to one of
# these files (or to the busybox binary copied into the images) yields a new
# asset directory, so a stale image is never reused after the recipe changes.
HARNESS_RECIPE_FILES="assets common.sh l1-init guest-init"

harness_recipe_hash() {
    local f
    {
        for f in $HARNESS_RECIPE_FILES; do
            printf '== %s\n' "$f"
            cat "$HARNESS_DIR/$f"
        done
        printf '== busybox\n'
        cat "$(harness_busybox)"
    } | sha256sum | cut -c1-16
}

harness_busybox() {
    local b
    for b in /bin/busybox /usr/bin/busybox; do
        if [ -x "$b" ]; then
            printf '%s\n' "$b"
            return 0
        fi
    done
    harness_die "busybox not found: install the Debian package 'busybox-static'"
}

harness_assets_dir() {
    printf '%s/assets-%s\n' "$(harness_cache_dir)" "$(harness_recipe_hash)"
}

# cpio_node NAME MODE_OCTAL MAJOR MINOR INO: one "newc" entry without data.
# GNU cpio can only archive nodes that exist on disk, and creating
# /dev/console on the host would need root, so the header is written here.
cpio_node() {
    local name=$1 mode=$((8#$2)) major=$3 minor=$4 ino=$5 len pad
    len=$((${#name} + 1))
    # newc: magic, then 13 fields of 8 hex digits (ino, mode, uid, gid,
    # nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
    # namesize, check); header + name are padded to a multiple of 4.
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        "$ino" "$mode" 0 0 1 0 0 0 0 "$major" "$minor" "$len" 0
    printf '%s\0' "$name"
    pad=$(((4 - (110 + len) % 4) % 4))
    head -c "$pad" /dev/zero
}

# A cpio archive holding /dev and /dev/console: the kernel opens
# /dev/console for init's stdio before init can mount devtmpfs.
cpio_dev_console() {
    cpio_node dev 040755 0 0 1
    cpio_node dev/console 020600 5 1 2
    cpio_node 'TRAILER!!!' 0 0 0 0
}

# cpio_dir DIR: a newc archive of DIR's contents, owned by root, on stdout.
cpio_dir() {
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
        cpio --quiet -o -H newc -R 0:0)
}

# pad_to FILE BOUNDARY: appends NULs so that the next concatenated archive
# starts aligned; the kernel skips NULs between archives.
pad_to() {
    local size pad
    size=$(stat -c %s "$1")
    pad=$((($2 - size % $2) % $2))
    head -c "$pad" /dev/zero >>"$1"
}

# sh_quote WORD: WORD quoted for a POSIX shell.
sh_quote() {
    printf "'%s'" "${1//\'/\'\\\'\'}"
}
