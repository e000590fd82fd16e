#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Generates ./configure.  Usage: ./autogen.sh [configure args...]
# With arguments (or NOCONFIGURE unset and arguments given) it also runs configure.
set -eu
cd "$(dirname "$0")"
mkdir -p m4
autoreconf --install --force --warnings=all,no-portability
if [ $# -gt 0 ]; then
    exec ./configure "$@"
fi
