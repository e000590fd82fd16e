/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests: virtio-net over a TAP, and a hostile guest attacking virtio devices. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "tests/integration/test-virtio-guest.h"

/* ---- virtio-net ----------------------------------------------------------- */

#define NET_BYTES (32u << 20)

/* One side of the TCP test: a listener on a free port and a thread that
 * accepts one connection and either sinks (@sending false) or sends
 * NET_BYTES, hashing what goes through. */
typedef struct {
    GSocketListener *listener;
    guint16 port;
    bool sending;
    char *sha;
    gsize bytes;
    GThread *thread;
} NetPeer;

/* Deterministic bytes the host sends (a simple LCG stream). */
static void
net_fill(guint8 *buf, gsize len, guint32 *state)
{
    for (gsize i = 0; i < len; i++) {
        *state = *state * 1103515245u + 12345u;
        buf[i] = (guint8)(*state >> 16);
    }
}

static gpointer
net_peer_main(gpointer data)
{
    NetPeer *p = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree guint8 *buf = g_malloc(65536);
    g_autoptr(GSocketConnection) c =
        g_socket_listener_accept(p->listener, NULL, NULL, &error);
    guint32 state = 42;
    gssize n;

    if (!c) {
        g_printerr("net peer: accept: %s\n", error->message);
        return NULL;
    }
    if (!p->sending) {
        GInputStream *is = g_io_stream_get_input_stream(G_IO_STREAM(c));

        while (p->bytes < NET_BYTES &&
               (n = g_input_stream_read(is, buf, 65536, NULL, NULL)) > 0) {
            g_checksum_update(sum, buf, n);
            p->bytes += (gsize)n;
        }
    } else {
        GOutputStream *os = g_io_stream_get_output_stream(G_IO_STREAM(c));

        while (p->bytes < NET_BYTES) {
            net_fill(buf, 65536, &state);
            g_checksum_update(sum, buf, 65536);
            if (!g_output_stream_write_all(os, buf, 65536, NULL, NULL, NULL))
                break;
            p->bytes += 65536;
        }
    }
    p->sha = g_strdup(g_checksum_get_string(sum));
    g_io_stream_close(G_IO_STREAM(c), NULL, NULL);
    return NULL;
}

static void
net_peer_start(NetPeer *p, bool sending)
{
    g_autoptr(GError) error = NULL;

    p->sending = sending;
    p->listener = g_socket_listener_new();
    p->port = g_socket_listener_add_any_inet_port(p->listener, NULL, &error);
    g_assert_no_error(error);
    p->thread = g_thread_new("net-peer", net_peer_main, p);
}

static void
net_peer_finish(NetPeer *p)
{
    g_thread_join(p->thread);
    g_object_unref(p->listener);
}

/* The guest reaches the host over a TAP nimbus creates (ip=, mask=):
 * ping, then 32 MiB each way over TCP with matching SHA-256. */
static void
test_net_tap(void)
{
    NetPeer sink = { 0 }, source = { 0 };
    g_autofree char *net = NULL;
    g_autofree char *script = NULL;
    g_autofree char *out = NULL;
    g_autofree char *want_rx = NULL;
    g_autofree char *want_tx = NULL;
    const char *args[3] = { "--net", NULL, NULL };
    GuestSpec g = { 0 };

    net_peer_start(&sink, false);
    net_peer_start(&source, true);
    net = g_strdup_printf("tap=ntest%d,ip=192.168.251.1,mask=255.255.255.0,"
                          "mac=52:54:00:12:34:56", (int)(getpid() % 1000));
    args[1] = net;
    script = g_strdup_printf(
        "ip link set eth0 up\n"
        "ip addr add 192.168.251.2/24 dev eth0\n"
        "ip link show eth0 | grep -o 'link/ether [0-9a-f:]*'\n"
        "ping -c 3 -W 5 192.168.251.1 >/dev/null && echo ping-ok\n"
        "head -c %u /dev/urandom > /tmp/out\n"
        "echo \"tx-sha $(sha256sum /tmp/out | cut -d' ' -f1)\"\n"
        "nc 192.168.251.1 %u < /tmp/out\n"
        "nc 192.168.251.1 %u > /tmp/in\n"
        "echo \"rx-sha $(sha256sum /tmp/in | cut -d' ' -f1) $(wc -c < /tmp/in)\"\n",
        NET_BYTES, sink.port, source.port);
    g.script = script;
    g.args = args;
    out = guest_run(&g);
    net_peer_finish(&sink);
    net_peer_finish(&source);

    assert_contains(out, "link/ether 52:54:00:12:34:56");
    assert_contains(out, "ping-ok");
    g_assert_nonnull(sink.sha);
    g_assert_nonnull(source.sha);
    g_assert_cmpuint(sink.bytes, ==, NET_BYTES);
    want_tx = g_strdup_printf("tx-sha %s", sink.sha);
    want_rx = g_strdup_printf("rx-sha %s %u", source.sha, NET_BYTES);
    assert_contains(out, want_tx);
    assert_contains(out, want_rx);
    g_free(sink.sha);
    g_free(source.sha);
}

/* ---- Hostile guest -------------------------------------------------------- */

/* A guest program takes the virtio-rng and a virtio-blk function away from
 * their drivers and feeds them malformed rings through BAR0: each case
 * must end in NEEDS_RESET, the VMM logs it once per reset and keeps
 * running, and a reset brings the device back. */
static void
test_hostile_guest(void)
{
    g_autofree char *prog = test_build_path("tests/integration/test-virtio-hostile-guest");
    g_autofree char *dir = path_in_tmp("hostile");
    g_autofree char *dst = g_build_filename(dir, "hostile-guest", NULL);
    g_autofree char *img = path_in_tmp("hostile.img");
    g_autofree char *mk = g_strdup_printf("truncate -s 16M '%s'", img);
    g_autofree char *o = sh(mk);
    g_autofree char *initrd = NULL;
    g_autofree char *disk = g_strdup_printf("path=%s", img);
    g_autofree char *data = NULL;
    gsize len = 0;
    const char *args[] = { "--disk", disk, NULL };
    GuestSpec g = {
        .script = "/hostile-guest 1af4:1044 || exit 1\n"
                  "/hostile-guest 1af4:1042 || exit 1\n"
                  "echo guest-still-alive-$((6 * 7))\n",
        .args = args,
    };
    g_autofree char *out = NULL;

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_get_contents(prog, &data, &len, NULL));
    g_assert_true(g_file_set_contents(dst, data, (gssize)len, NULL));
    g_assert_cmpint(chmod(dst, 0755), ==, 0);
    initrd = initrd_with("hostile-initrd.cpio", dir);
    g.initrd = initrd;
    out = guest_run(&g);
    for (unsigned dev = 0; dev < 2; dev++) {
        static const char *const cases[] = { "loop", "outside-ram",
                                             "nested-indirect", "avail-jump",
                                             "head-range", "read-only-buffer" };

        for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
            g_autofree char *want = g_strdup_printf("hostile: %s needs-reset",
                                                    cases[i]);
            assert_contains(out, want);
        }
    }
    assert_contains(out, "guest-still-alive-42");
    /* The VMM said why, once per broken state. */
    assert_contains(out, "__rng: queue 0: descriptor chain loop; device needs reset");
    assert_contains(out, "_disk0: queue 0: request without a full header");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio/net/tap", test_net_tap);
    g_test_add_func("/virtio/hostile-guest", test_hostile_guest);
    return g_test_run();
}
