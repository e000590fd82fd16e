/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: a vhost-user-net port served by DPDK's testpmd, one guest boot. */
#include <config.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/test-virtio-guest.h"

/*
 * DPDK's testpmd (Debian's dpdk-dev) serves the port with its vhost PMD
 * (the socket's server, so nimbus is the client) in 5tswap mode: every
 * frame comes back with its MAC and IP addresses swapped.  The guest
 * (shared memory, as vhost-user needs) pings 10.0.0.2 through a static
 * neighbour: its echo request returns as a request from 10.0.0.2, the
 * guest kernel answers it, and that reply, swapped in turn, reaches ping
 * as a reply from 10.0.0.2.  So replies prove frames crossed the rings
 * both ways through a real back end; the interface counters must agree.
 * testpmd runs without hugepages or PCI, on two lcores (its forwarding
 * lcore cannot be the main one), with a small mbuf pool.  The guest has
 * 256 MiB: with 512 MiB, testpmd under the emulated L1 took longer than
 * nimbus's 10 s reply limit (VHOST_USER_REPLY_TIMEOUT_MS) to answer
 * SET_MEM_TABLE in 2 of 4 runs.
 */

#define GUEST_MAC "02:00:00:00:00:01"
#define PEER_MAC "02:00:00:00:00:02"

/* Puts testpmd's output in the log before an assertion fails. */
static void
dump_testpmd(TestProc *tp)
{
    g_autofree char *out = test_proc_output(tp);

    g_test_message("testpmd: %s", out);
}

static TestProc *
testpmd_spawn(const char *sock)
{
    g_autofree char *vdev = g_strdup_printf("net_vhost0,iface=%s,queues=1",
                                            sock);
    g_autofree char *prefix = g_strdup_printf("nimbus%d", (int)getpid());
    /* --stats-period keeps it running with stdin at EOF.  --iova-mode=va:
     * no device does DMA here (the vhost PMD copies with the CPU), so
     * DPDK needs no physical addresses, which without hugepages it would
     * otherwise look up in /proc/self/pagemap. */
    const char *argv[] = { "/usr/bin/dpdk-testpmd", "-l", "0,1", "--no-huge",
                           "--iova-mode=va",
                           "-m", "64", "--no-pci", "--no-shconf",
                           "--file-prefix", prefix, "--vdev", vdev, "--",
                           "--forward-mode=5tswap", "--auto-start",
                           "--stats-period", "30", "--total-num-mbufs=2048",
                           NULL };
    gint64 deadline = g_get_monotonic_time() + 60 * G_TIME_SPAN_SECOND;
    TestProc *tp = test_proc_spawn(argv);

    while (!g_file_test(sock, G_FILE_TEST_EXISTS) &&
           g_get_monotonic_time() < deadline && !test_proc_exited(tp))
        g_usleep(50 * 1000);
    if (!g_file_test(sock, G_FILE_TEST_EXISTS))
        dump_testpmd(tp);
    g_assert_true(g_file_test(sock, G_FILE_TEST_EXISTS));
    return tp;
}

/* The counter after "vunet-delta @tag=" in @out. */
static long
delta(const char *out, const char *tag)
{
    const char *p = strstr(out, "vunet-delta ");
    g_autofree char *needle = g_strdup_printf(" %s=", tag);

    g_assert_nonnull(p);
    p = strstr(p, needle);
    g_assert_nonnull(p);
    return strtol(p + strlen(needle), NULL, 10);
}

static void
test_ping(void)
{
    g_autofree char *sock = path_in_tmp("vunet.sock");
    g_autofree char *net = g_strdup_printf(
        "vhost_user=on,socket=%s,vhost_mode=client,mac=" GUEST_MAC, sock);
    g_autofree char *out = NULL;
    g_autofree char *tp_out = NULL;
    g_autoptr(TestProc) tp = NULL;
    const char *args[] = { "--net", net, NULL };
    GuestSpec g = {
        .memory = "size=256M,shared=on",
        .script =
            "i=0; while [ ! -e /sys/class/net/eth0 ]; do i=$((i + 1)); "
            "[ $i -lt 300 ] || exit 1; sleep 0.1; done\n"
            "ip link show eth0 | grep -o 'link/ether [0-9a-f:]*'\n"
            "ip link set eth0 up || exit 2\n"
            "ip addr add 10.0.0.1/24 dev eth0 || exit 3\n"
            "arp -s 10.0.0.2 " PEER_MAC " || exit 4\n"
            "s=/sys/class/net/eth0/statistics\n"
            "rx0=$(cat $s/rx_packets); tx0=$(cat $s/tx_packets)\n"
            "ping -c 3 -W 10 10.0.0.2 && echo vunet-ping-ok\n"
            "echo \"vunet-delta rx=$(($(cat $s/rx_packets) - rx0))"
            " tx=$(($(cat $s/tx_packets) - tx0))\"\n",
        .args = args,
    };
    long rx, tx;

    tp = testpmd_spawn(sock);
    out = guest_run(&g);
    if (!strstr(out, "vunet-ping-ok"))
        dump_testpmd(tp);
    /* guest_run's output: the console and nimbus's log. */
    assert_contains(out, "vunet-ping-ok");
    assert_contains(out, "link/ether " GUEST_MAC);
    assert_contains(out, "from 10.0.0.2");
    /* Each echo request and each answer the guest sent came back. */
    rx = delta(out, "rx");
    tx = delta(out, "tx");
    g_test_message("guest counters: rx +%ld, tx +%ld", rx, tx);
    g_assert_cmpint(tx, >=, 6);
    g_assert_cmpint(rx, >=, 6);

    /* The back end saw the guest's rings. */
    tp_out = test_proc_output(tp);
    assert_contains(tp_out, "virtio is now ready for processing");
    /* testpmd re-raises SIGTERM after its cleanup: any status will do,
     * as long as it stops. */
    kill(test_proc_pid(tp), SIGTERM);
    g_assert_cmpint(test_proc_wait_exit(tp, 60 * 1000), !=, -1);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vhost-user-net/testpmd-ping", test_ping);
    return g_test_run();
}
