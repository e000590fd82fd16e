/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the virtio integration tests: boot a test guest on nimbus with a script. */
#pragma once

#include <glib.h>

#include "tests/testutil.h"

/* Nested under QEMU TCG a boot takes minutes: generous limits. */
#define BOOT_TIMEOUT_MS (600 * 1000)
/* What the harness's guest /init prints after a script that succeeded. */
#define GUEST_OK "nimbus-guest: exit status 0"

typedef struct {
    const char *script;        /* guest shell script (nimbus.cmd) */
    const char *initrd;        /* NULL: the plain guest initramfs */
    const char *cmdline;       /* extra kernel arguments */
    const char *cpus;          /* --cpus, NULL: boot=1 */
    const char *memory;        /* --memory, NULL: size=512M */
    const char *console;       /* --console, NULL: off */
    const char *const *args;   /* more nimbus arguments (NULL-terminated) */
} GuestSpec;

/* A file name in the test's private temporary directory (transfer full). */
char *path_in_tmp(const char *name);
/* Runs @cmd with sh -c, asserts it succeeds, returns its output. */
char *sh(const char *cmd);
/* The guest initramfs plus @dir's files, as @name in the tmp dir. */
char *initrd_with(const char *name, const char *dir);
/* Starts nimbus on the harness's vmlinux with @g (serial console on
 * stdout, quiet kernel, the script as nimbus.cmd). */
TestProc *guest_spawn(const GuestSpec *g);
/* Boots, waits for the script's clean exit and the VMM's; returns the
 * whole output (serial console and VMM log). */
char *guest_run(const GuestSpec *g);
void assert_contains(const char *haystack, const char *needle);
