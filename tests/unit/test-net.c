/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for virtio-net: header checks, control commands, the device on a socketpair backend, TAP. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/if_tun.h>

#include "common/fd-util.h"
#include "devices/virtio/net.h"
#include "devices/virtio/worker.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/sock-backend.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 16
#define ALL_HOST ((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4) | \
                  (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_UFO))

/* ---- Pure helpers ---------------------------------------------------------- */

static int
check_hdr(uint8_t flags, uint8_t gso, uint16_t gso_size, uint16_t cstart,
          uint16_t coff, size_t payload, uint64_t features)
{
    uint8_t buf[12 + 256] = { 0 };
    struct virtio_net_hdr_v1 *h = (struct virtio_net_hdr_v1 *)buf;
    struct iovec iov[2] = { { buf, 5 }, { buf + 5, 12 + payload - 5 } };
    const char *why = NULL;
    int r;

    h->flags = flags;
    h->gso_type = gso;
    h->gso_size = gso_size;
    h->csum_start = cstart;
    h->csum_offset = coff;
    r = virtio_net_tx_check(iov, 2, 12 + payload, features, &why);
    if (r < 0)
        g_assert_nonnull(why);
    return r;
}

static void
test_tx_check(void)
{
    const char *why = NULL;
    uint8_t small[8] = { 0 };
    struct iovec iov = { small, sizeof(small) };

    g_assert_cmpint(check_hdr(0, 0, 0, 0, 0, 60, 0), ==, 0);
    g_assert_cmpint(check_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, 16, 60,
                              ALL_HOST), ==, 0);
    /* Checksum offload not negotiated, field past the end. */
    g_assert_cmpint(check_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, 16, 60, 0),
                    ==, -EINVAL);
    g_assert_cmpint(check_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 50, 9, 60,
                              ALL_HOST), ==, -EINVAL);
    g_assert_cmpint(check_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0xffff, 0xffff,
                              60, ALL_HOST), ==, -EINVAL);
    /* Device-to-driver flags are reserved on transmit. */
    g_assert_cmpint(check_hdr(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 60, 0),
                    ==, -EINVAL);
    /* GSO: type negotiated, NEEDS_CSUM and a segment size. */
    g_assert_cmpint(check_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM,
                              VIRTIO_NET_HDR_GSO_TCPV4, 1448, 34, 16, 200,
                              ALL_HOST), ==, 0);
    g_assert_cmpint(check_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM,
                              VIRTIO_NET_HDR_GSO_TCPV4, 1448, 34, 16, 200,
                              1ULL << VIRTIO_NET_F_CSUM), ==, -EINVAL);
    g_assert_cmpint(check_hdr(0, VIRTIO_NET_HDR_GSO_TCPV6, 1448, 0, 0, 200,
                              ALL_HOST), ==, -EINVAL);
    g_assert_cmpint(check_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM,
                              VIRTIO_NET_HDR_GSO_UDP, 0, 34, 6, 200, ALL_HOST),
                    ==, -EINVAL);
    g_assert_cmpint(check_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 2, 1448, 34, 16, 200,
                              ALL_HOST), ==, -EINVAL);
    g_assert_cmpint(check_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM,
                              VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
                              1448, 34, 16, 200, ALL_HOST), ==, -EINVAL);
    g_assert_cmpint(virtio_net_tx_check(&iov, 1, sizeof(small), ALL_HOST, &why),
                    ==, -EINVAL);
    g_assert_cmpint(virtio_net_tx_check(&iov, 1, 100, ALL_HOST, &why), ==,
                    -EINVAL);   /* claims more than the iovecs hold */
}

static void
test_offloads(void)
{
    g_assert_cmphex(virtio_net_tun_offloads(0), ==, 0);
    /* TSO without checksum offload is meaningless: nothing. */
    g_assert_cmphex(virtio_net_tun_offloads(1ULL << VIRTIO_NET_F_GUEST_TSO4), ==, 0);
    g_assert_cmphex(virtio_net_tun_offloads(VIRTIO_NET_GUEST_OFFLOADS), ==,
                    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN |
                    TUN_F_UFO);
    g_assert_cmphex(virtio_net_tun_offloads((1ULL << VIRTIO_NET_F_GUEST_CSUM) |
                                            (1ULL << VIRTIO_NET_F_GUEST_ECN)),
                    ==, TUN_F_CSUM);
}

static void
test_ctrl_parse(void)
{
    uint8_t cmd[4] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0 };
    uint8_t ack = 0xff;
    struct iovec iov[2] = { { cmd, 4 }, { &ack, 1 } };
    VirtQueueElem e = { .iov = iov, .out_num = 1, .in_num = 1, .out_len = 4,
                        .in_len = 1, .max_segs = 2 };
    VirtioNetCtrl c;
    const char *why = NULL;

    g_assert_cmpint(virtio_net_ctrl_parse(&e, &c, &why), ==, 0);
    g_assert_cmpuint(c.cls, ==, VIRTIO_NET_CTRL_MQ);
    g_assert_cmpuint(c.data_len, ==, 2);
    g_assert_cmpuint(c.data[0], ==, 2);
    g_assert_true(c.ack == &ack);
    e.in_num = 0;
    g_assert_cmpint(virtio_net_ctrl_parse(&e, &c, &why), ==, -EINVAL);
    e.in_num = 1;
    e.out_len = 1;
    iov[0].iov_len = 1;
    g_assert_cmpint(virtio_net_ctrl_parse(&e, &c, &why), ==, -EINVAL);
}

static void
test_mac(void)
{
    uint8_t mac[6];

    g_assert_true(net_parse_mac("52:54:00:12:34:ab", mac));
    g_assert_cmphex(mac[5], ==, 0xab);
    g_assert_false(net_parse_mac("52:54:00:12:34", mac));
    g_assert_false(net_parse_mac("52:54:00:12:34:ab:", mac));
    g_assert_false(net_parse_mac("zz:54:00:12:34:ab", mac));
    g_assert_false(net_parse_mac(NULL, mac));
    vm_config_mac_random(mac);           /* the one generator */
    g_assert_cmphex(mac[0] & 3, ==, 2);   /* local, unicast */
}

/* ---- The device on a socketpair "TAP" -------------------------------------- */

typedef struct {
    GuestMemory *mem;
    FakeHost *host;         /* the device's view of @mem */
    VirtioDevice *vdev;
    SockBackend *sb;
    TdRing rings[5];        /* rx0 tx0 rx1 tx1 ctrl */
} NetFx;

static void
net_fx_init(NetFx *f, bool offloads)
{
    g_autoptr(GError) error = NULL;
    NetConfig cfg = { .num_queues = 4, .queue_size = QSIZE,
                      .id = (char *)"_net0", .mac = (char *)"52:54:00:aa:bb:cc",
                      .mtu = 1400, .offload_tso = offloads,
                      .offload_ufo = offloads, .offload_csum = offloads };

    f->mem = td_memory_new();
    f->host = fake_host_new_with_memory(f->mem);
    f->sb = sock_backend_new(2);
    f->vdev = virtio_net_new(fake_host_base(f->host), &cfg, &f->sb->be,
                             &error);
    g_assert_no_error(error);
    for (unsigned i = 0; i < 5; i++)
        td_ring_init(&f->rings[i], f->mem, 0x40000 * (i + 1), 0x40000, QSIZE);
}

static void
net_fx_clear(NetFx *f)
{
    virtio_device_free(f->vdev);
    fake_host_free(f->host);
    guest_memory_free(f->mem);
}

static bool
peer_read(int fd, void *buf, size_t len, ssize_t *n)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    if (poll(&p, 1, 5000) != 1)
        return false;
    *n = read(fd, buf, len);
    return *n >= 0;
}

static uint16_t
ctrl_cmd(NetFx *f, uint8_t cls, uint8_t cmd, const void *data, size_t len)
{
    TdRing *r = &f->rings[4];
    uint64_t a[2] = { td_alloc(r, 2 + len), td_alloc(r, 1) };
    uint32_t l[2] = { 2 + (uint32_t)len, 1 }, id, ul;
    uint8_t *p = td_ptr(f->mem, a[0], 2 + len);

    p[0] = cls;
    p[1] = cmd;
    if (len)
        memcpy(p + 2, data, len);
    *(uint8_t *)td_ptr(f->mem, a[1], 1) = 0xee;
    td_publish(r, td_add_chain(r, a, l, 2, 1));
    virtio_eventfd_signal(f->vdev->kick_fds[4]);
    if (!td_wait_used(r, 1, 5000))
        return 0xffff;
    g_assert_true(td_get_used(r, &id, &ul));
    return *(uint8_t *)td_ptr(f->mem, a[1], 1);
}

static void
test_device(void)
{
    NetFx f = { 0 };
    uint8_t cfg[VIRTIO_NET_CONFIG_SIZE], pkt[1500], buf[2048];
    uint64_t a, rxbuf;
    uint32_t l, id, ul;
    ssize_t n = 0;
    uint16_t pairs = 2;
    uint64_t off = 1ULL << VIRTIO_NET_F_GUEST_CSUM;
    g_autoptr(JsonNode) counters = NULL;

    net_fx_init(&f, true);
    f.vdev->ops->read_config(f.vdev, 0, cfg, sizeof(cfg));
    g_assert_cmphex(cfg[0], ==, 0x52);
    g_assert_cmphex(cfg[5], ==, 0xcc);
    g_assert_cmpuint(cfg[6] | (cfg[7] << 8), ==, VIRTIO_NET_S_LINK_UP);
    g_assert_cmpuint(cfg[8] | (cfg[9] << 8), ==, 2);
    g_assert_cmpuint(cfg[10] | (cfg[11] << 8), ==, 1400);
    g_assert_cmphex(f.vdev->host_features & (1ULL << VIRTIO_NET_F_MQ), !=, 0);
    g_assert_cmphex(f.vdev->host_features & (1ULL << VIRTIO_NET_F_MTU), !=, 0);
    g_assert_cmphex(f.vdev->host_features & (1ULL << VIRTIO_NET_F_GUEST_TSO4), !=, 0);

    td_device_start(f.vdev, f.rings, 5);
    g_assert_true(f.vdev->active);
    /* Offloads the guest negotiated reach the backend; one pair active. */
    g_assert_cmphex(g_atomic_int_get((gint *)&f.sb->offload), ==,
                    virtio_net_tun_offloads(VIRTIO_NET_GUEST_OFFLOADS));
    g_assert_cmpuint(g_atomic_int_get((gint *)&f.sb->queues), ==, 1);

    /* TX: header + frame out of the backend fd, as one packet. */
    a = td_alloc(&f.rings[1], 12 + 60);
    memset(td_ptr(f.mem, a, 72), 0, 12);
    memset((uint8_t *)td_ptr(f.mem, a, 72) + 12, 0x42, 60);
    l = 72;
    td_publish(&f.rings[1], td_add_chain(&f.rings[1], &a, &l, 1, 1));
    virtio_eventfd_signal(f.vdev->kick_fds[1]);
    g_assert_true(peer_read(f.sb->peer[0], buf, sizeof(buf), &n));
    g_assert_cmpint(n, ==, 72);
    g_assert_cmpuint(buf[12], ==, 0x42);
    g_assert_true(td_wait_used(&f.rings[1], 1, 5000));

    /* RX before the guest gave buffers: waits; then delivered. */
    memset(pkt, 0, 12);
    memset(pkt + 12, 0x17, 100);
    g_assert_cmpint(write(f.sb->peer[0], pkt, 112), ==, 112);
    g_usleep(20000);
    g_assert_cmpuint(td_used_idx(&f.rings[0]), ==, 0);
    rxbuf = td_alloc(&f.rings[0], 2048);
    l = 2048;
    td_publish(&f.rings[0], td_add_chain(&f.rings[0], &rxbuf, &l, 1, 0));
    virtio_eventfd_signal(f.vdev->kick_fds[0]);
    g_assert_true(td_wait_used(&f.rings[0], 1, 5000));
    g_assert_true(td_get_used(&f.rings[0], &id, &ul));
    g_assert_cmpuint(ul, ==, 112);
    g_assert_cmpuint(((uint8_t *)td_ptr(f.mem, rxbuf, 112))[12], ==, 0x17);
    /* num_buffers = 1 */
    g_assert_cmpuint(((uint8_t *)td_ptr(f.mem, rxbuf, 12))[10], ==, 1);
    /* A buffer ready first, packet later: the fd is polled. */
    rxbuf = td_alloc(&f.rings[0], 2048);
    td_publish(&f.rings[0], td_add_chain(&f.rings[0], &rxbuf, &l, 1, 0));
    virtio_eventfd_signal(f.vdev->kick_fds[0]);
    g_usleep(10000);
    g_assert_cmpint(write(f.sb->peer[0], pkt, 80), ==, 80);
    g_assert_true(td_wait_used(&f.rings[0], 1, 5000));

    /* A transmit header that was not negotiated: dropped, device fine. */
    a = td_alloc(&f.rings[1], 72);
    memset(td_ptr(f.mem, a, 72), 0, 72);
    ((uint8_t *)td_ptr(f.mem, a, 72))[0] = VIRTIO_NET_HDR_F_DATA_VALID;
    l = 72;
    td_publish(&f.rings[1], td_add_chain(&f.rings[1], &a, &l, 1, 1));
    virtio_eventfd_signal(f.vdev->kick_fds[1]);
    g_assert_true(td_wait_used(&f.rings[1], 2, 5000));
    g_assert_false(virtio_device_is_broken(f.vdev));

    /* Control commands. */
    g_assert_cmpuint(ctrl_cmd(&f, VIRTIO_NET_CTRL_MQ,
                              VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2), ==,
                     VIRTIO_NET_OK);
    g_assert_cmpuint(g_atomic_int_get((gint *)&f.sb->queues), ==, 2);
    pairs = 3;
    g_assert_cmpuint(ctrl_cmd(&f, VIRTIO_NET_CTRL_MQ,
                              VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2), ==,
                     VIRTIO_NET_ERR);
    g_assert_cmpuint(ctrl_cmd(&f, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
                              VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &off, 8), ==,
                     VIRTIO_NET_OK);
    g_assert_cmphex(g_atomic_int_get((gint *)&f.sb->offload), ==, TUN_F_CSUM);
    off = 1ULL << 40;
    g_assert_cmpuint(ctrl_cmd(&f, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
                              VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &off, 8), ==,
                     VIRTIO_NET_ERR);
    g_assert_cmpuint(ctrl_cmd(&f, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
                              "\1", 1), ==, VIRTIO_NET_OK);
    g_assert_cmpuint(ctrl_cmd(&f, 99, 0, NULL, 0), ==, VIRTIO_NET_ERR);

    /* Pair 1 is active now: its TX works. */
    a = td_alloc(&f.rings[3], 72);
    memset(td_ptr(f.mem, a, 72), 0, 72);
    l = 72;
    td_publish(&f.rings[3], td_add_chain(&f.rings[3], &a, &l, 1, 1));
    virtio_eventfd_signal(f.vdev->kick_fds[3]);
    g_assert_true(peer_read(f.sb->peer[1], buf, sizeof(buf), &n));
    g_assert_cmpint(n, ==, 72);
    /* Counted before the buffer is returned. */
    g_assert_true(td_wait_used(&f.rings[3], 1, 5000));

    counters = f.vdev->ops->counters(f.vdev);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(counters),
                                               "tx_frames"), ==, 2);

    /* Snapshot state keeps the active pairs across a restore. */
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) st = virtio_device_save(f.vdev);

        g_atomic_int_set((gint *)&f.sb->queues, 0);
        g_assert_true(virtio_device_restore(f.vdev, st, &error));
        g_assert_no_error(error);
        g_assert_true(f.vdev->active);
        g_assert_cmpuint(g_atomic_int_get((gint *)&f.sb->queues), ==, 2);
    }
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(counters),
                                               "rx_frames"), ==, 2);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(counters),
                                               "rx_bytes"), ==, 100 + 68);
    net_fx_clear(&f);
}

static void
test_device_malformed(void)
{
    NetFx f = { 0 };
    TdRing *r = &f.rings[0];
    uint64_t a;
    uint32_t l = 64;

    net_fx_init(&f, true);
    td_device_start(f.vdev, f.rings, 5);
    /* A receive buffer the device cannot write to. */
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*receive buffer*device needs reset");
    a = td_alloc(r, 64);
    td_publish(r, td_add_chain(r, &a, &l, 1, 1));
    virtio_eventfd_signal(f.vdev->kick_fds[0]);
    for (unsigned i = 0; i < 5000 && !(g_atomic_int_get(&f.vdev->isr) & 2); i++)
        g_usleep(1000);
    g_test_assert_expected_messages();
    g_assert_true(virtio_device_is_broken(f.vdev));
    net_fx_clear(&f);
}

static void
test_device_features_off(void)
{
    NetFx f = { 0 };

    net_fx_init(&f, false);
    g_assert_cmphex(f.vdev->host_features &
                    ((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4) |
                     (1ULL << VIRTIO_NET_F_GUEST_CSUM)), ==, 0);
    net_fx_clear(&f);
}

static void
test_config_errors(void)
{
    g_autoptr(GError) error = NULL;
    NetConfig cfg = { .num_queues = 2, .queue_size = 256, .id = (char *)"_net0",
                      .mac = (char *)"52:54:00:00:00:01" };

    /* num_queues itself is vm_config_validate()'s (test-vm-config.c); a
     * backend opened for another number of pairs is refused here. */
    g_assert_null(virtio_net_new(NULL, &cfg, &sock_backend_new(2)->be,
                                 &error));
    g_assert_nonnull(strstr(error->message, "num_queues=2 needs 1 TAP"));
    g_clear_error(&error);
    cfg.num_queues = 2;
    cfg.mac = (char *)"nope";
    g_assert_null(virtio_net_new(NULL, &cfg, &sock_backend_new(1)->be,
                                 &error));
    g_assert_nonnull(strstr(error->message, "nope"));
}

/* ---- TAP (needs CAP_NET_ADMIN) ----------------------------------------- */

static void
test_tap(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NetBackend) be = NULL;
    NetConfig cfg = { .ip = (char *)"192.168.249.1",
                      .mask = (char *)"255.255.255.0", .mtu = 1400,
                      .host_mac = (char *)"52:54:00:00:00:fe" };
    struct ifreq ifr = { 0 };
    g_autofd_t s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int probe = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    if (probe < 0) {
        g_test_skip("no /dev/net/tun here (the integration tests use one)");
        return;
    }
    close(probe);
    be = tap_open(&cfg, 2, &error);
    if (!be && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED)) {
        g_assert_nonnull(strstr(error->message, "CAP_NET_ADMIN"));
        g_test_skip("creating a TAP needs CAP_NET_ADMIN");
        return;
    }
    g_assert_no_error(error);
    g_assert_true(g_str_has_prefix(be->ifname, "vmtap"));
    g_assert_cmpuint(be->nfds, ==, 2);
    g_strlcpy(ifr.ifr_name, be->ifname, IFNAMSIZ);
    g_assert_cmpint(ioctl(s, SIOCGIFMTU, &ifr), ==, 0);
    g_assert_cmpint(ifr.ifr_mtu, ==, 1400);
    g_assert_cmpint(ioctl(s, SIOCGIFFLAGS, &ifr), ==, 0);
    g_assert_cmphex(ifr.ifr_flags & IFF_UP, !=, 0);
    g_assert_cmpint(be->ops->set_offload(be, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_UFO),
                    ==, 0);
    g_assert_cmpint(be->ops->set_queues(be, 1), ==, 0);
    g_assert_cmpint(be->ops->set_queues(be, 2), ==, 0);

    /* A pre-opened fd that is not a TAP is refused by number. */
    cfg = (NetConfig){ 0 };
    cfg.fds = g_array_new(FALSE, FALSE, sizeof(int));
    g_array_append_val(cfg.fds, s);
    g_assert_null(tap_open(&cfg, 1, &error));
    g_assert_nonnull(strstr(error->message, "is not a TAP"));
    g_array_unref(cfg.fds);
    s = -1;   /* closed by the failed backend */
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio/net/hdr/tx-check", test_tx_check);
    g_test_add_func("/virtio/net/hdr/offloads", test_offloads);
    g_test_add_func("/virtio/net/ctrl/parse", test_ctrl_parse);
    g_test_add_func("/virtio/net/mac", test_mac);
    g_test_add_func("/virtio/net/device/io", test_device);
    g_test_add_func("/virtio/net/device/malformed", test_device_malformed);
    g_test_add_func("/virtio/net/device/features-off", test_device_features_off);
    g_test_add_func("/virtio/net/device/config-errors", test_config_errors);
    g_test_add_func("/net/tap", test_tap);
    return g_test_run();
}
