/* SPDX-License-Identifier: Apache-2.0 */
/* Integration: two NUMA nodes from memory zones, with their CPUs and sizes. */
#include <config.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * One boot (the CI budget): 2 vCPUs, RAM made of two zones of 128 and
 * 192 MiB, each in its own node with one vCPU, 25 between them
 * (--memory-zone, --numa).  Linux builds its nodes from the SRAT and the
 * SLIT; the guest prints, per node, the cpulist, the MemTotal of its
 * meminfo and the distance row.
 * The second zone also has a 512 MiB hotplug region (hotplug_size, its own
 * virtio-mem device, hot-pluggable memory of node 1 in the SRAT); Linux
 * onlines what it plugs (memhp_default_state=online_movable):
 *   vm.resize-zone (nimbus-remote resize-zone) to 448 MiB -> node 1's
 *   MemTotal grows by about 256 MiB, node 0's does not move, vm.info
 *   reports the zone's hotplugged_size;
 *   snapshot, and restore in a new nimbus -> the same;
 *   live migration (unix socket) to a third nimbus -> the same;
 *   out of the zone's range, or vm.resize desired_ram -> refused.
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
    g_test_message("guest %s%ld", tag, strtol(p + strlen(tag), NULL, 10));
    return strtol(p + strlen(tag), NULL, 10);
}

/* The rest of the line the script printed after @tag (the serial
 * console ends lines with \r\n), to compare whole.  (transfer full) */
static char *
guest_line(const char *out, const char *tag)
{
    const char *p = strstr(out, tag);

    if (!p)
        g_test_message("'%s' not found in:\n%s", tag, out);
    g_assert_nonnull(p);
    p += strlen(tag);
    return g_strndup(p, strcspn(p, "\r\n"));
}

#define ASSERT_LINE(out, tag, expected)                                    \
    do {                                                                   \
        g_autofree char *line_ = guest_line((out), (tag));                 \
        g_assert_cmpstr(line_, ==, (expected));                            \
    } while (0)

static void
test_two_nodes(void)
{
    g_autofree char *sock = path_in_tmp("numa-api.sock");
    g_autofree char *api = g_strdup_printf("path=%s", sock);
    const char *args[] = {
        "--api-socket", api,
        "--memory-zone", "id=mem0,size=128M",
        "id=mem1,size=192M,shared=on,hotplug_size=512M",
        "--numa", "guest_numa_id=0,cpus=[0],distances=[1@25],"
        "memory_zones=[mem0]",
        "guest_numa_id=1,cpus=[1],distances=[0@25],memory_zones=[mem1]",
        NULL
    };
    GuestSpec g = {
        .cpus = "boot=2",
        .memory = "size=0,hotplug_method=virtio-mem",
        .cmdline = "memhp_default_state=online_movable",
        /* After the first report, waits for node 1 to grow by at least
         * 250000 kB, then reports both nodes again. */
        .script =
            "cd /sys/devices/system/node\n"
            "kb() { sed -n 's/.*MemTotal: *\\([0-9]*\\) kB/\\1/p' "
            "$1/meminfo; }\n"
            "echo \"numa-nodes: $(ls -d node* | tr '\\n' ' ')\"\n"
            "for n in node*; do\n"
            "  echo \"numa-$n-cpus: $(cat $n/cpulist)\"\n"
            "  echo \"numa-$n-kb: $(kb $n)\"\n"
            "  echo \"numa-$n-dist: $(cat $n/distance)\"\n"
            "done\n"
            "b0=$(kb node0)\n"
            "b1=$(kb node1)\n"
            "echo numa-ready\n"
            "read -r a\n"
            "i=0\n"
            "while [ $(($(kb node1) - b1)) -lt 250000 ] && [ $i -lt 1200 ]; "
            "do sleep 0.1; i=$((i + 1)); done\n"
            "echo \"numa-grown1: $(($(kb node1) - b1))\"\n"
            "echo \"numa-grown0: $(($(kb node0) - b0))\"\n"
            "echo numa-up\n"
            "read -r a\n"
            "echo \"numa-kept1: $(($(kb node1) - b1))\"\n"
            "echo numa-checked\n"
            "read -r a\n"
            "echo \"numa-kept2: $(($(kb node1) - b1))\"\n"
            "echo numa-migrated\n"
            "read -r a\n",
        .args = args,
    };
    g_autoptr(TestProc) p = guest_spawn(&g);
    g_autofree char *out = NULL;
    long kb0, kb1, grown;

    g_assert_true(test_proc_wait_output(p, "numa-ready", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    ASSERT_LINE(out, "numa-nodes: ", "node0 node1 ");
    ASSERT_LINE(out, "numa-node0-cpus: ", "0");
    ASSERT_LINE(out, "numa-node1-cpus: ", "1");
    ASSERT_LINE(out, "numa-node0-dist: ", "10 25");
    ASSERT_LINE(out, "numa-node1-dist: ", "25 10");
    /* Each node's MemTotal is its zone, less what the kernel keeps: its
     * image in node 0, each node's struct pages, early allocations. */
    kb0 = guest_value(out, "numa-node0-kb: ");
    kb1 = guest_value(out, "numa-node1-kb: ");
    g_assert_cmpint(kb0, <=, 128 * MIB_KB);
    g_assert_cmpint(kb0, >=, 64 * MIB_KB);
    /* The hotplug region is not boot RAM of node 1.  With memory
     * possible above 4 GiB (the region, in the SRAT) Linux sets up its
     * 64 MiB swiotlb bounce buffer, at the top of low RAM: in node 1. */
    g_assert_cmpint(kb1, <=, 192 * MIB_KB);
    g_assert_cmpint(kb1, >=, (144 - 64) * MIB_KB);
    g_clear_pointer(&out, g_free);

    /* Zone mem1 from 192 to 448 MiB: 256 MiB plugged into node 1. */
    wait_api(sock);
    REMOTE(sock, 0, "\"memory_actual_size\":335544320", "info");
    REMOTE(sock, 0, NULL, "resize-zone", "--id", "mem1", "--size", "448M");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "numa-up", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    grown = guest_value(out, "numa-grown1: ");
    g_assert_cmpint(grown, >=, 250000);
    g_assert_cmpint(grown, <=, 256 * MIB_KB);
    g_assert_cmpint(ABS(guest_value(out, "numa-grown0: ")), <=, 4 * MIB_KB);
    g_clear_pointer(&out, g_free);
    REMOTE(sock, 0, "\"hotplug_size\":536870912,\"hotplugged_size\":"
           "268435456", "info");
    REMOTE(sock, 0, "\"memory_actual_size\":603979776", "info");

    /* Snapshot and restore: the zone's device and its plugged blocks. */
    snapshot_restore(&p, &sock, "numa-snap");
    REMOTE(sock, 0, "\"hotplugged_size\":268435456", "info");
    REMOTE(sock, 0, "\"memory_actual_size\":603979776", "info");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "numa-checked", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    g_assert_cmpint(guest_value(out, "numa-kept1: "), ==, grown);
    g_clear_pointer(&out, g_free);

    /* Live migration: the zone's region, its plugged blocks, once more. */
    migrate_to(&p, &sock, "numa-mig");
    REMOTE(sock, 0, "\"hotplugged_size\":268435456", "info");
    REMOTE(sock, 0, "\"memory_actual_size\":603979776", "info");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, "numa-migrated", BOOT_TIMEOUT_MS));
    out = test_proc_output(p);
    g_assert_cmpint(guest_value(out, "numa-kept2: "), ==, grown);
    g_clear_pointer(&out, g_free);

    /* Refused, and nothing changes. */
    REMOTE(sock, 1, "is outside", "resize-zone", "--id", "mem1", "--size",
           "1G");
    REMOTE(sock, 1, "has no memory to plug", "resize-zone", "--id", "mem0",
           "--size", "256M");
    REMOTE(sock, 1, "resize each with vm.resize-zone", "resize", "--memory",
           "1G");
    REMOTE(sock, 0, "\"hotplugged_size\":268435456", "info");
    test_proc_write(p, "go\n");
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/integration/numa/two-nodes", test_two_nodes);
    return g_test_run();
}
