/* SPDX-License-Identifier: Apache-2.0 */
/* Integration: two NUMA nodes from memory zones, with their CPUs and sizes. */
#include <config.h>

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
    const char *args[] = {
        "--memory-zone", "id=mem0,size=128M", "id=mem1,size=192M,shared=on",
        "--numa", "guest_numa_id=0,cpus=[0],distances=[1@25],"
        "memory_zones=[mem0]",
        "guest_numa_id=1,cpus=[1],distances=[0@25],memory_zones=[mem1]",
        NULL
    };
    GuestSpec g = {
        .cpus = "boot=2",
        .memory = "size=0",
        .script =
            "cd /sys/devices/system/node\n"
            "echo \"numa-nodes: $(ls -d node* | tr '\\n' ' ')\"\n"
            "for n in node*; do\n"
            "  echo \"numa-$n-cpus: $(cat $n/cpulist)\"\n"
            "  echo \"numa-$n-kb: $(sed -n "
            "'s/.*MemTotal: *\\([0-9]*\\) kB/\\1/p' $n/meminfo)\"\n"
            "  echo \"numa-$n-dist: $(cat $n/distance)\"\n"
            "done\n",
        .args = args,
    };
    g_autofree char *out = guest_run(&g);
    long kb0, kb1;

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
    g_assert_cmpint(kb1, <=, 192 * MIB_KB);
    g_assert_cmpint(kb1, >=, 144 * MIB_KB);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/integration/numa/two-nodes", test_two_nodes);
    return g_test_run();
}
