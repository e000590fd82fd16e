/* SPDX-License-Identifier: Apache-2.0 */
/* Integration: virtio-mem and ACPI DIMM memory hotplug through vm.resize. */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * One guest with 512 MiB of boot RAM and a 1 GiB virtio-mem region
 * (Linux onlines what it plugs: memhp_default_state=online_movable),
 * driven through nimbus-remote on the API socket and its script on the
 * serial console:
 *   resize --memory 1G -> the driver plugs 512 MiB, MemTotal grows by
 *   about that, vm.info reports 1 GiB actual and hotplugged_size;
 *   snapshot, and restore in a new nimbus -> the guest still has the
 *   memory, and a blob it wrote into it after the growth (tmpfs pages are
 *   movable, and movable allocations take ZONE_MOVABLE, where
 *   online_movable put the plugged blocks, first) reads back the same;
 *   resize --memory 512M -> the driver unplugs it, MemTotal comes back;
 *   beyond size + hotplug_size, below the boot size, or not a multiple of
 *   the 2 MiB block -> refused, the guest keeps running unchanged.
 * and one with a 1 GiB ACPI hotplug region (hotplug_method=acpi, DIMM
 * slots of 128 MiB; Linux's acpi_memhotplug adds what the GED announces,
 * memhp_default_state=online onlines it):
 *   resize --memory 768M -> two DIMMs, MemTotal grows by about 256 MiB,
 *   vm.info reports 768 MiB actual and hotplugged_size;
 *   snapshot, and restore in a new nimbus -> the DIMMs are still there
 *   (MemTotal, online blocks, vm.info) and a blob the guest wrote reads
 *   back the same;
 *   shrinking, off the slot, beyond the region -> refused, unchanged.
 * Each guest is then live-migrated (unix socket) to a third nimbus, where
 * the grown memory, its online blocks and the blob are checked again.
 */

#define MIB_KB 1024


/* The number the script printed after @tag in @out. */
static long
guest_value(const char *out, const char *tag)
{
    const char *p = strstr(out, tag);

    if (!p)
        g_test_message("'%s' not found in:\n%s", tag, out);
    g_assert_nonnull(p);
    g_test_message("guest %s%ld kB", tag, strtol(p + strlen(tag), NULL, 10));
    return strtol(p + strlen(tag), NULL, 10);
}

/* The word the script printed after @tag in @out (transfer full). */
static char *
guest_word(const char *out, const char *tag)
{
    const char *p = strstr(out, tag);

    if (!p)
        g_test_message("'%s' not found in:\n%s", tag, out);
    g_assert_nonnull(p);
    p += strlen(tag);
    return g_strndup(p, strcspn(p, " \r\n"));
}

static void
test_virtio_mem(void)
{
    g_autofree char *sock = path_in_tmp("memhp-api.sock");
    g_autofree char *api = g_strdup_printf("path=%s", sock);
    g_autofree char *out = NULL;
    g_autofree char *sum = NULL;
    g_autofree char *sum2 = NULL;
    const char *args[] = { "--api-socket", api, NULL };
    GuestSpec g = {
        .memory = "size=512M,hotplug_method=virtio-mem,hotplug_size=1G",
        .cmdline = "memhp_default_state=online_movable",
        /* Waits for MemTotal to move away from (or back to) its boot
         * value, by at least 500000 kB (or to within 20000 kB). */
        .script =
            "mt() { sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' "
            "/proc/meminfo; }\n"
            "b=$(mt)\n"
            "echo \"mh-boot: $b\"\n"
            "echo mh-ready\n"
            "read -r a\n"
            "i=0\n"
            "while [ $(($(mt) - b)) -lt 500000 ] && [ $i -lt 1200 ]; do "
            "sleep 0.1; i=$((i + 1)); done\n"
            "echo \"mh-grown: $(($(mt) - b))\"\n"
            "dd if=/dev/urandom of=/tmp/blob bs=1M count=32 2>/dev/null\n"
            "echo \"mh-sum: $(sha256sum /tmp/blob | cut -c1-64)\"\n"
            "echo mh-up\n"
            "read -r a\n"
            "echo \"mh-sum2: $(sha256sum /tmp/blob | cut -c1-64)\"\n"
            "echo \"mh-kept: $(($(mt) - b))\"\n"
            "echo mh-checked\n"
            "read -r a\n"
            "echo \"mh-sum3: $(sha256sum /tmp/blob | cut -c1-64)\"\n"
            "echo \"mh-kept3: $(($(mt) - b))\"\n"
            "rm /tmp/blob\n"
            "echo mh-migrated\n"
            "read -r a\n"
            "i=0\n"
            "while d=$(($(mt) - b)); [ ${d#-} -gt 20000 ] && "
            "[ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done\n"
            "echo \"mh-shrunk: $(($(mt) - b))\"\n"
            "echo mh-down\n"
            "read -r a\n"
            "echo \"mh-still: $(($(mt) - b))\"\n",
        .args = args,
    };
    g_autoptr(TestProc) p = guest_spawn(&g);
    long v;

    g_assert_true(test_proc_wait_output(p, "mh-ready", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    /* The region is not boot RAM: the guest starts with ~512 MiB. */
    v = guest_value(out, "mh-boot: ");
    g_assert_cmpint(v, <, 512 * MIB_KB);
    g_assert_cmpint(v, >, 400 * MIB_KB);
    g_clear_pointer(&out, g_free);
    wait_api(sock);
    REMOTE(sock, 0, "\"memory_actual_size\":536870912", "info");

    /* Up by 512 MiB. */
    REMOTE(sock, 0, NULL, "resize", "--memory", "1G");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "mh-up", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    v = guest_value(out, "mh-grown: ");
    g_assert_cmpint(v, >=, 500000);
    g_assert_cmpint(v, <=, 512 * MIB_KB);
    sum = guest_word(out, "mh-sum: ");
    g_clear_pointer(&out, g_free);
    wait_info(sock, "\"memory_actual_size\":1073741824");
    REMOTE(sock, 0, "\"hotplugged_size\":536870912", "info");

    /* Snapshot and restore: the plugged blocks and what is in them. */
    snapshot_restore(&p, &sock, "memhp-vmem-snap");
    REMOTE(sock, 0, "\"memory_actual_size\":1073741824", "info");
    REMOTE(sock, 0, "\"hotplugged_size\":536870912", "info");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "mh-checked", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    sum2 = guest_word(out, "mh-sum2: ");
    g_assert_cmpstr(sum2, ==, sum);
    g_assert_cmpint(guest_value(out, "mh-kept: "), ==, v);
    g_clear_pointer(&out, g_free);

    /* Live migration: the plugged blocks and the blob, once more. */
    migrate_to(&p, &sock, "memhp-vmem-mig");
    REMOTE(sock, 0, "\"memory_actual_size\":1073741824", "info");
    REMOTE(sock, 0, "\"hotplugged_size\":536870912", "info");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "mh-migrated", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    g_clear_pointer(&sum2, g_free);
    sum2 = guest_word(out, "mh-sum3: ");
    g_assert_cmpstr(sum2, ==, sum);
    g_assert_cmpint(guest_value(out, "mh-kept3: "), ==, v);
    g_clear_pointer(&out, g_free);

    /* Refused, and nothing changes. */
    REMOTE(sock, 1, "is outside", "resize", "--memory", "2G");
    REMOTE(sock, 1, "is outside", "resize", "--memory", "256M");
    REMOTE(sock, 1, "multiple of the 2 MiB", "resize", "--memory", "1025M");
    REMOTE(sock, 0, "\"hotplugged_size\":536870912", "info");

    /* Back down to the boot size. */
    REMOTE(sock, 0, NULL, "resize", "--memory", "512M");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "mh-down", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    v = guest_value(out, "mh-shrunk: ");
    g_assert_cmpint(ABS(v), <=, 20000);
    g_clear_pointer(&out, g_free);
    wait_info(sock, "\"memory_actual_size\":536870912");
    REMOTE(sock, 0, "\"state\":\"Running\"", "info");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
}

static void
test_acpi(void)
{
    g_autofree char *sock = path_in_tmp("memhp-acpi-api.sock");
    g_autofree char *api = g_strdup_printf("path=%s", sock);
    g_autofree char *out = NULL;
    g_autofree char *sum = NULL;
    g_autofree char *sum2 = NULL;
    const char *args[] = { "--api-socket", api, NULL };
    GuestSpec g = {
        .memory = "size=512M,hotplug_method=acpi,hotplug_size=1G",
        .cmdline = "memhp_default_state=online",
        /* Waits for MemTotal to grow by at least 250000 kB, then counts
         * the memory blocks the DIMMs brought online. */
        .script =
            "mt() { sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' "
            "/proc/meminfo; }\n"
            "on() { cat /sys/devices/system/memory/memory*/state | "
            "grep -c '^online'; }\n"
            "b=$(mt)\n"
            "o=$(on)\n"
            "echo \"mh-boot: $b\"\n"
            "echo mh-ready\n"
            "read -r a\n"
            "i=0\n"
            "while [ $(($(mt) - b)) -lt 250000 ] && [ $i -lt 1200 ]; do "
            "sleep 0.1; i=$((i + 1)); done\n"
            "echo \"mh-grown: $(($(mt) - b))\"\n"
            "echo \"mh-blocks: $(($(on) - o))\"\n"
            "dd if=/dev/urandom of=/tmp/blob bs=1M count=32 2>/dev/null\n"
            "echo \"mh-sum: $(sha256sum /tmp/blob | cut -c1-64)\"\n"
            "echo mh-up\n"
            "read -r a\n"
            "echo \"mh-sum2: $(sha256sum /tmp/blob | cut -c1-64)\"\n"
            "echo \"mh-kept: $(($(mt) - b))\"\n"
            "echo \"mh-blocks2: $(($(on) - o))\"\n"
            "echo mh-checked\n"
            "read -r a\n"
            "echo \"mh-sum3: $(sha256sum /tmp/blob | cut -c1-64)\"\n"
            "echo \"mh-kept3: $(($(mt) - b))\"\n"
            "echo \"mh-blocks3: $(($(on) - o))\"\n"
            "echo mh-migrated\n"
            "read -r a\n"
            "echo \"mh-still: $(($(mt) - b))\"\n",
        .args = args,
    };
    g_autoptr(TestProc) p = guest_spawn(&g);
    long v;

    g_assert_true(test_proc_wait_output(p, "mh-ready", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    /* The region is not boot RAM: the guest starts with ~512 MiB. */
    v = guest_value(out, "mh-boot: ");
    g_assert_cmpint(v, <, 512 * MIB_KB);
    g_clear_pointer(&out, g_free);
    wait_api(sock);
    REMOTE(sock, 0, "\"memory_actual_size\":536870912", "info");

    /* Up by two 128 MiB DIMMs. */
    REMOTE(sock, 0, NULL, "resize", "--memory", "768M");
    REMOTE(sock, 0, "\"memory_actual_size\":805306368", "info");
    REMOTE(sock, 0, "\"hotplugged_size\":268435456", "info");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "mh-up", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    v = guest_value(out, "mh-grown: ");
    g_assert_cmpint(v, >=, 250000);
    g_assert_cmpint(v, <=, 256 * MIB_KB);
    /* 128 MiB memory blocks: two DIMMs are two online blocks. */
    g_assert_cmpint(guest_value(out, "mh-blocks: "), ==, 2);
    sum = guest_word(out, "mh-sum: ");
    g_clear_pointer(&out, g_free);

    /* Snapshot and restore: the DIMMs, their slots and the guest's RAM. */
    snapshot_restore(&p, &sock, "memhp-acpi-snap");
    REMOTE(sock, 0, "\"memory_actual_size\":805306368", "info");
    REMOTE(sock, 0, "\"hotplugged_size\":268435456", "info");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "mh-checked", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    sum2 = guest_word(out, "mh-sum2: ");
    g_assert_cmpstr(sum2, ==, sum);
    g_assert_cmpint(guest_value(out, "mh-kept: "), ==, v);
    g_assert_cmpint(guest_value(out, "mh-blocks2: "), ==, 2);
    g_clear_pointer(&out, g_free);

    /* Live migration: the DIMMs arrive plugged, online, with the blob. */
    migrate_to(&p, &sock, "memhp-acpi-mig");
    REMOTE(sock, 0, "\"memory_actual_size\":805306368", "info");
    REMOTE(sock, 0, "\"hotplugged_size\":268435456", "info");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "mh-migrated", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    g_clear_pointer(&sum2, g_free);
    sum2 = guest_word(out, "mh-sum3: ");
    g_assert_cmpstr(sum2, ==, sum);
    g_assert_cmpint(guest_value(out, "mh-kept3: "), ==, v);
    g_assert_cmpint(guest_value(out, "mh-blocks3: "), ==, 2);
    g_clear_pointer(&out, g_free);

    /* Refused, and nothing changes. */
    REMOTE(sock, 1, "cannot be removed", "resize", "--memory", "640M");
    REMOTE(sock, 1, "128 MiB DIMM slot", "resize", "--memory", "832M");
    REMOTE(sock, 1, "is outside", "resize", "--memory", "2G");
    REMOTE(sock, 0, "\"hotplugged_size\":268435456", "info");
    REMOTE(sock, 0, "\"state\":\"Running\"", "info");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memory-hotplug/virtio-mem", test_virtio_mem);
    g_test_add_func("/memory-hotplug/acpi", test_acpi);
    return g_test_run();
}
