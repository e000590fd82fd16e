/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test: virtio-blk and virtio-net rate limiters, timed in the guest. */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"
#include "tests/seccomp-threads.h"

/*
 * One guest, four disks, timed with the guest's own clock (/proc/uptime,
 * 10 ms resolution) so that a slow nested host does not skew the rates:
 *  - vda: 1 MiB/s (a 1 MiB bucket refilled every second);
 *  - vdb: 100 ops/s (10 ops every 100 ms);
 *  - vdc and vdd: one group of 1 MiB/s, read at the same time: together
 *    they get 1 MiB/s, not 2;
 *  - vda again after the host raised its limit to 2 MiB/s through
 *    vm.nimbus-update-rate-limiter;
 *  - a NIC of 1 MiB/s (the limit nimbusd's <bandwidth average='1024'>
 *    gives): the guest sends NET_BYTES over TCP to a host listener on the
 *    TAP.  The limiter counts frame bytes, so the TCP payload's rate is a
 *    few percent below the limit (headers), inside the bounds below.
 * Under nested emulation a request takes a good part of a second from
 * the guest's submission to its completion, and a new process more:
 * bandwidth is read in 1 MiB requests by two readers or more, so that
 * one request waits on the limiter while another is in flight.  A bucket
 * starts full: N units through a bucket of B at rate R take (N - B) / R.
 * That guest cannot reach 100 small requests a second, so the ops limit
 * is checked as a bound here; its precision is the unit test's
 * (tests/unit/test-rate-limiter.c, /rate-limiter/blk/throttle).
 */

#define MIB (1024.0 * 1024.0)
#define BUCKET_BYTES 1048576         /* bw_size, per 1000 ms */
#define BUCKET_OPS 10                /* ops_size */
#define NET_BYTES (5u << 20)         /* guest -> host through the NIC */

/* The host end of the net phase: accepts one connection and reads
 * NET_BYTES from it, then closes it, which ends the guest's nc. */
typedef struct {
    GSocketListener *listener;
    guint16 port;
    gsize bytes;
    GThread *thread;
} NetSink;

static gpointer
net_sink_main(gpointer data)
{
    NetSink *k = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocketConnection) c =
        g_socket_listener_accept(k->listener, NULL, NULL, &error);
    g_autofree guint8 *buf = g_malloc(65536);
    GInputStream *is;
    gssize n;

    if (!c) {
        g_printerr("net sink: accept: %s\n", error->message);
        return NULL;
    }
    is = g_io_stream_get_input_stream(G_IO_STREAM(c));
    while (k->bytes < NET_BYTES &&
           (n = g_input_stream_read(is, buf, 65536, NULL, NULL)) > 0)
        k->bytes += (gsize)n;
    g_io_stream_close(G_IO_STREAM(c), NULL, NULL);
    return NULL;
}

/* "<tag>: <start> <end>" in @out: the guest's elapsed seconds. */
static double
phase_seconds(const char *out, const char *tag)
{
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    g_autofree char *prefix = g_strdup_printf("%s: ", tag);

    for (unsigned i = 0; lines[i]; i++) {
        const char *l = strstr(lines[i], prefix);
        double s, e;

        if (l && sscanf(l + strlen(prefix), "%lf %lf", &s, &e) == 2) {
            g_test_message("%s: %.2f s in the guest", tag, e - s);
            return e - s;
        }
    }
    g_test_message("no '%s' line in the guest's output", tag);
    g_assert_not_reached();
    return 0;
}

/* The measured rate is at most 10 % above @want (units per second): what
 * the limiter guarantees.  Below it, the nested guest's own speed, which
 * varies with the load on the host, has its say: at least 75 % of @want
 * (a limit not applied, a group not shared, a change not taken would be
 * off by 2x).  The limiter's precision is the unit test's. */
static void
assert_rate(const char *what, double units, double bucket, double secs,
            double want)
{
    double rate = (units - bucket) / secs;

    g_test_message("%s: %.1f per second, configured %.1f", what, rate, want);
    g_assert_cmpfloat(secs, >, 0.5);
    g_assert_cmpfloat(rate, >, want * 0.75);
    g_assert_cmpfloat(rate, <, want * 1.1);
}

/* A sparse image; reads of it are as fast as the host can go. */
static char *
make_disk(const char *name)
{
    char *img = path_in_tmp(name);
    g_autofree char *cmd = g_strdup_printf("truncate -s 64M '%s'", img);
    g_autofree char *o = sh(cmd);

    return img;
}

static char *
api_put(const char *sock, const char *endpoint, const char *body)
{
    g_autofree char *cmd = g_strdup_printf(
        "curl -sS --unix-socket '%s' -X %s -H 'Content-Type: application/json' "
        "%s%s%s -w '%%{http_code}' http://localhost/api/v1/%s",
        sock, body ? "PUT" : "GET", body ? "-d '" : "", body ? body : "",
        body ? "'" : "", endpoint);

    return sh(cmd);
}

static void
test_ratelimit(void)
{
    NetSink sink = { 0 };
    g_autoptr(GError) error = NULL;
    g_autofree char *bw_img = make_disk("bw.img");
    g_autofree char *ops_img = make_disk("ops.img");
    g_autofree char *g1_img = make_disk("g1.img");
    g_autofree char *g2_img = make_disk("g2.img");
    g_autofree char *sock = path_in_tmp("api.sock");
    g_autofree char *bw_disk = g_strdup_printf(
        "path=%s,id=bw,bw_size=%d,bw_refill_time=1000", bw_img,
        BUCKET_BYTES);
    g_autofree char *ops_disk = g_strdup_printf(
        "path=%s,id=ops,queue_size=256,ops_size=%d,ops_refill_time=100",
        ops_img, BUCKET_OPS);
    g_autofree char *g1_disk = g_strdup_printf(
        "path=%s,id=g1,rate_limit_group=g0", g1_img);
    g_autofree char *g2_disk = g_strdup_printf(
        "path=%s,id=g2,rate_limit_group=g0", g2_img);
    g_autofree char *group = g_strdup_printf(
        "id=g0,bw_size=%d,bw_refill_time=1000", BUCKET_BYTES);
    g_autofree char *update = g_strdup_printf(
        "{\"id\": \"bw\", \"rate_limiter_config\": {\"bandwidth\": "
        "{\"size\": %d, \"refill_time\": 1000}}}", 2 * BUCKET_BYTES);
    g_autofree char *net = g_strdup_printf(
        "tap=rltest%d,ip=192.168.253.1,mask=255.255.255.0,"
        "bw_size=%d,bw_refill_time=1000", (int)(getpid() % 1000),
        BUCKET_BYTES);
    g_autofree char *script = NULL;
    g_autofree char *reply = NULL;
    g_autofree char *info = NULL;
    g_autofree char *out = NULL;
    double ops_rate, bw1_s, ops_s, group_s, bw2_s, net_s;
    const char *args[] = {
        "--api-socket", sock, "--rate-limit-group", group,
        "--disk", bw_disk, "--disk", ops_disk, "--disk", g1_disk,
        "--disk", g2_disk, "--net", net, NULL
    };
    static const char *const seccomp_threads[] = {
        "vmm", "spawner", "vcpu0", NULL,
    };
    GuestSpec g = { .args = args };
    g_autoptr(TestProc) p = NULL;

    sink.listener = g_socket_listener_new();
    sink.port = g_socket_listener_add_any_inet_port(sink.listener, NULL,
                                                    &error);
    g_assert_no_error(error);
    sink.thread = g_thread_new("net-sink", net_sink_main, &sink);
    script = g_strdup_printf(
        "t() { cut -d' ' -f1 /proc/uptime; }\n"
        "rd() { dd if=$1 of=/dev/null bs=$2 count=$3 skip=$4 "
        "iflag=direct 2>/dev/null; }\n"
        /* $1: disk, $2: readers, $3: 1 MiB reads each, $4: where. */
        "par() { i=0; while [ $i -lt $2 ]; do "
        "rd $1 1M $3 $(($4 + i * $3)) & i=$((i + 1)); done; }\n"
        /* 6 MiB at 1 MiB/s. */
        "s=$(t); par /dev/vda 2 3 0; wait; echo \"bw-1m: $s $(t)\"\n"
        /* 160 reads of 4 KiB, 16 readers, at most 100 ops/s. */
        "s=$(t); i=0; while [ $i -lt 16 ]; do "
        "rd /dev/vdb 4096 10 $((i * 10)) & i=$((i + 1)); done\n"
        "wait; echo \"ops-100: $s $(t)\"\n"
        /* 4 MiB from each disk of the group at the same time. */
        "s=$(t); par /dev/vdc 2 2 0; par /dev/vdd 2 2 0; wait\n"
        "echo \"group-1m: $s $(t)\"\n"
        "echo waiting-for-host\n"
        "read -r reply\n"
        "echo \"host-replied: $reply\"\n"
        /* 8 MiB at 2 MiB/s. */
        "s=$(t); par /dev/vda 4 2 8; wait; echo \"bw-2m: $s $(t)\"\n"
        /* NET_BYTES to the host at 1 MiB/s (ARP and the handshake
         * before the clock starts). */
        "ip link set eth0 up\n"
        "ip addr add 192.168.253.2/24 dev eth0\n"
        "ping -c 1 -W 5 192.168.253.1 >/dev/null\n"
        "s=$(t); head -c %u /dev/zero | nc 192.168.253.1 %u\n"
        "echo \"net-1m: $s $(t)\"\n", NET_BYTES, sink.port);
    g.script = script;
    p = guest_spawn(&g);

    g_assert_true(test_proc_wait_output(p, "waiting-for-host",
                                        BOOT_TIMEOUT_MS));
    /* The throttled workers ran under their seccomp filters (timerfd). */
    test_assert_threads_seccomp(test_proc_pid(p), seccomp_threads);
    /* A disk in a group is changed through its group. */
    reply = api_put(sock, "vm.nimbus-update-rate-limiter",
                    "{\"id\": \"g1\"}");
    assert_contains(reply, "rate limit group 'g0'");
    assert_contains(reply, "400");
    g_clear_pointer(&reply, g_free);
    reply = api_put(sock, "vm.nimbus-update-rate-limiter", update);
    g_assert_cmpstr(reply, ==, "204");
    info = api_put(sock, "vm.info", NULL);
    assert_contains(info, "\"size\":2097152");
    test_proc_write(p, "carry-on\n");
    g_assert_true(test_proc_wait_output(p, GUEST_OK, BOOT_TIMEOUT_MS));
    g_assert_cmpint(test_proc_wait_exit(p, 60 * 1000), ==, 0);
    out = test_proc_output(p);
    assert_contains(out, "host-replied: carry-on");
    g_thread_join(sink.thread);
    g_object_unref(sink.listener);
    g_assert_cmpuint(sink.bytes, ==, NET_BYTES);
    /* Every phase's time in the log before the first verdict. */
    bw1_s = phase_seconds(out, "bw-1m");
    ops_s = phase_seconds(out, "ops-100");
    group_s = phase_seconds(out, "group-1m");
    bw2_s = phase_seconds(out, "bw-2m");
    net_s = phase_seconds(out, "net-1m");

    assert_rate("bandwidth", 6 * MIB, BUCKET_BYTES, bw1_s, MIB);
    ops_rate = (160.0 - BUCKET_OPS) / ops_s;
    g_test_message("ops: %.1f per second, at most 100", ops_rate);
    g_assert_cmpfloat(ops_rate, <, 110);
    /* Two disks of one group share its 1 MiB/s: 8 MiB take ~7 s, where
     * a limiter each would have taken 3.5 s. */
    assert_rate("group", 8 * MIB, BUCKET_BYTES, group_s, MIB);
    /* The change took effect: 2 MiB/s from a bucket of 2 MiB. */
    assert_rate("bandwidth after the change", 8 * MIB, 2 * BUCKET_BYTES,
                bw2_s, 2 * MIB);
    /* The NIC: guest -> host at 1 MiB/s from a bucket of 1 MiB. */
    assert_rate("net", NET_BYTES, BUCKET_BYTES, net_s, MIB);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ratelimit/blk-net", test_ratelimit);
    return g_test_run();
}
