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

/* nimbus-remote's limit: vm.remove-device's own (the guest's eject) plus
 * the nested guest's slowness. */
#define REMOTE_TIMEOUT_MS (120 * 1000)
/* nimbus-remote @args... on @socket; returns its exit status, *@out its
 * output (transfer full). */
int remote(const char *socket, char **out, const char *const *args);
/* nimbus-remote on @sock must exit with @rc and, unless @needle is NULL,
 * print @needle. */
#define REMOTE(sock, rc, needle, ...)                                      \
    do {                                                                   \
        const char *args_[] = { __VA_ARGS__, NULL };                       \
        g_autofree char *out_ = NULL;                                      \
        g_assert_cmpint(remote((sock), &out_, args_), ==, (rc));           \
        if (needle)                                                        \
            assert_contains(out_, (needle));                               \
    } while (0)
/* Waits (60 s) until the API socket answers vmm.ping. */
void wait_api(const char *socket);
/* Waits (120 s) for vm.info to say @needle (drivers plug asynchronously). */
void wait_info(const char *socket, const char *needle);
/* Pauses the VM behind *@sock, snapshots it into @name under the test's
 * directory, kills that nimbus and restores the snapshot in a new one,
 * resumed: *@p and *@sock become the new process and its API socket. */
void snapshot_restore(TestProc **p, char **sock, const char *name);
/* Live-migrates the VM behind *@sock over unix:@name.mig to a new nimbus
 * with no VM (vm.receive-migration, then vm.send-migration): the source
 * must exit with status 0 and the destination run the VM; *@p and *@sock
 * become the destination and its API socket. */
void migrate_to(TestProc **p, char **sock, const char *name);
