/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of vhost-user-net: rules, client and server modes, control queue, dead back ends. */
#include <config.h>

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_net.h>

#include "common/fd-util.h"
#include "daemon/memory.h"
#include "devices/registry.h"
#include "devices/virtio/net.h"
#include "devices/virtio/vhost-user-net.h"
#include "devices/virtio/worker.h"
#include "devices/virtio/vhost-user.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vhost-user-fixture.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 64
/* What the fake back end offers: bit 40 and GSO are not passed on. */
#define NET_FEATURES ((1ULL << VIRTIO_F_VERSION_1) |                          \
                      (1ULL << VIRTIO_RING_F_EVENT_IDX) |                     \
                      (1ULL << VIRTIO_NET_F_CSUM) |                           \
                      (1ULL << VIRTIO_NET_F_GUEST_CSUM) |                     \
                      (1ULL << VIRTIO_NET_F_HOST_TSO4) |                      \
                      (1ULL << VIRTIO_NET_F_GUEST_TSO4) |                     \
                      (1ULL << VIRTIO_NET_F_MRG_RXBUF))
#define OFFERED (NET_FEATURES | (1ULL << VIRTIO_NET_F_GSO) | (1ULL << 40))
/* nimbus's own part of the device. */
#define OURS ((1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |    \
              (1ULL << VIRTIO_NET_F_CTRL_VQ))
#define PF ((1ULL << VHOST_USER_PROTOCOL_F_MQ) |                              \
            (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK))
#define MAC "52:54:00:12:34:56"

typedef FakeVhostUserFixture Fixture;

static void
fixture_init(Fixture *f, bool backend)
{
    fake_vhost_user_fixture_init(f, "net.sock", true);
    if (backend)
        f->fake = fake_vhost_user_start(f->sock, OFFERED, PF, 4);
}

/* The NetConfig of `--net @opts` (the socket added when @sock), as
 * vm.create validates it with @shared memory; NULL with @error. */
static const NetConfig *
net_entry(Fixture *f, const char *opts, bool sock, bool shared,
          GError **error)
{
    g_autofree char *cli = fake_vhost_user_fixture_cli(f, opts, sock, shared);
    NetConfig *net = vm_config_parse_net(cli, error);

    if (!net)
        return NULL;
    g_ptr_array_add(f->config->net, net);
    if (!vm_config_validate(f->config, error))
        return NULL;
    return g_ptr_array_index(f->config->net, 0);
}

static VirtioDevice *
net_new(Fixture *f, const char *opts, GError **error)
{
    g_autoptr(GError) local = NULL;
    const NetConfig *net = net_entry(f, opts, true, true, &local);

    g_assert_no_error(local);
    return vhost_user_net_new(fake_host_base(f->host), net, error);
}

/* Each rule refuses with words naming the problem. */
static void
test_config_rules(void)
{
    static const struct {
        const char *opts;
        bool sock;
        bool shared;
        const char *error;
    } bad[] = {
        { "vhost_user=on", true, false,
          "using vhost-user requires shared memory" },
        { "vhost_user=on", false, true, "vhost_user needs the back end's" },
        { "vhost_user=on,tap=tap0", true, true,
          "tap does not apply to a vhost-user net" },
        { "vhost_user=on,ip=192.168.1.1", true, true,
          "ip does not apply to a vhost-user net" },
        { "vhost_user=on,bw_size=1000,bw_refill_time=100", true, true,
          "does not apply to a vhost-user net" },
        { "vhost_user=on,iommu=on", true, true,
          "iommu=true is refused with vhost_user" },
        { "vhost_user=on,vhost_mode=both", true, true,
          "vhost_mode=both: expected Client or Server" },
        { "tap=tap0", true, true, "needs vhost_user=on" },
        { "vhost_user=on,queue_size=100", true, true, "power of two" },
    };
    Fixture f = { 0 };

    fixture_init(&f, false);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;

        g_assert_null(net_entry(&f, bad[i].opts, bad[i].sock, bad[i].shared,
                                &error));
        g_assert_nonnull(error);
        g_test_message("'%s': %s", bad[i].opts, error->message);
        g_assert_nonnull(strstr(error->message, bad[i].error));
    }
    fake_vhost_user_fixture_clear(&f);
}

/* CH's two spellings of the mode become one, in vm.info too. */
static void
test_config_mode(void)
{
    Fixture f = { 0 };
    g_autoptr(GError) error = NULL;
    const NetConfig *net;

    fixture_init(&f, false);
    net = net_entry(&f, "vhost_user=on,vhost_mode=server", true, true,
                    &error);
    g_assert_no_error(error);
    g_assert_cmpstr(net->vhost_mode, ==, "Server");
    g_assert_true(net->vhost_user);
    g_assert_cmpstr(net->vhost_socket, ==, f.sock);
    net = net_entry(&f, "vhost_user=on,vhost_mode=CLIENT", true, true,
                    &error);
    g_assert_no_error(error);
    g_assert_null(net->vhost_mode);
    /* Not given: CH's default, client. */
    net = net_entry(&f, "vhost_user=on", true, true, &error);
    g_assert_no_error(error);
    g_assert_null(net->vhost_mode);
    fake_vhost_user_fixture_clear(&f);
}

/* The offload switches and nimbus's own bits. */
static void
test_features(void)
{
    NetConfig net = { .num_queues = 2, .offload_csum = true,
                      .offload_tso = true, .offload_ufo = true };

    g_assert_cmphex(vhost_user_net_features(&net, OFFERED), ==,
                    NET_FEATURES | OURS);
    net.offload_tso = false;
    g_assert_cmphex(vhost_user_net_features(&net, OFFERED), ==,
                    (NET_FEATURES | OURS) &
                    ~((1ULL << VIRTIO_NET_F_HOST_TSO4) |
                      (1ULL << VIRTIO_NET_F_GUEST_TSO4)));
    /* No checksum offload: no segmentation either. */
    net.offload_tso = true;
    net.offload_csum = false;
    g_assert_cmphex(vhost_user_net_features(&net, OFFERED), ==,
                    (1ULL << VIRTIO_F_VERSION_1) |
                    (1ULL << VIRTIO_RING_F_EVENT_IDX) |
                    (1ULL << VIRTIO_NET_F_MRG_RXBUF) | OURS);
    net.offload_csum = true;
    net.mtu = 9000;
    net.num_queues = 4;
    g_assert_cmphex(vhost_user_net_features(&net, OFFERED), ==,
                    NET_FEATURES | OURS | (1ULL << VIRTIO_NET_F_MTU) |
                    (1ULL << VIRTIO_NET_F_MQ));
}

/* One control command on queue @q (ring @r); the ack, 0xffff if none. */
static uint16_t
ctrl_cmd(Fixture *f, VirtioDevice *vdev, unsigned q, TdRing *r, uint8_t cls,
         uint8_t cmd, const void *data, size_t len)
{
    uint64_t a[2] = { td_alloc(r, 2 + len), td_alloc(r, 1) };
    uint32_t l[2] = { 2 + (uint32_t)len, 1 }, id, ul;
    uint8_t *p = td_ptr(f->mem, a[0], 2 + len);

    p[0] = cls;
    p[1] = cmd;
    if (len)
        memcpy(p + 2, data, len);
    *(uint8_t *)td_ptr(f->mem, a[1], 1) = 0xee;
    td_publish(r, td_add_chain(r, a, l, 2, 1));
    virtio_eventfd_signal(vdev->kick_fds[q]);
    if (!td_wait_used(r, 1, 5000))
        return 0xffff;
    g_assert_true(td_get_used(r, &id, &ul));
    return *(uint8_t *)td_ptr(f->mem, a[1], 1);
}

static void
test_activate(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    g_autoptr(GError) error = NULL;
    FakeVhostUserSeen seen;
    uint8_t cfg[VIRTIO_NET_CONFIG_SIZE];
    const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    uint16_t v;
    TdRing rings[5];

    fixture_init(&f, true);
    vdev = net_new(&f, "vhost_user=on,id=_net0,num_queues=4,queue_size=64,"
                   "mtu=9000,mac=" MAC, &error);
    g_assert_no_error(error);
    g_assert_true(vhost_user_net_is(vdev));
    g_assert_cmpuint(vdev->nvqs, ==, 5);
    g_assert_cmpuint(vdev->ops->device_type, ==, VIRTIO_ID_NET);
    g_assert_cmphex(vdev->host_features, ==,
                    NET_FEATURES | OURS | (1ULL << VIRTIO_NET_F_MTU) |
                    (1ULL << VIRTIO_NET_F_MQ));
    /* The config space is nimbus's: MAC, link up, pairs, MTU. */
    vdev->ops->read_config(vdev, 0, cfg, sizeof(cfg));
    g_assert_cmpmem(cfg, 6, mac, 6);
    memcpy(&v, cfg + 6, 2);
    g_assert_cmpuint(GUINT16_FROM_LE(v), ==, VIRTIO_NET_S_LINK_UP);
    memcpy(&v, cfg + 8, 2);
    g_assert_cmpuint(GUINT16_FROM_LE(v), ==, 2);
    memcpy(&v, cfg + 10, 2);
    g_assert_cmpuint(GUINT16_FROM_LE(v), ==, 9000);

    fake_vhost_user_fixture_rings(&f, rings, 5, QSIZE);
    td_device_start(vdev, rings, 5);
    g_assert_false(fake_vhost_user_needs_reset(vdev));
    g_assert_true(vdev->active);
    fake_vhost_user_seen(f.fake, &seen);
    /* The back end hears of its own features only. */
    g_assert_cmphex(seen.features & ~(1ULL << VHOST_USER_F_PROTOCOL_FEATURES),
                    ==, NET_FEATURES);
    g_assert_cmpuint(seen.nregions, ==, 2);
    for (unsigned q = 0; q < 4; q++) {
        g_assert_cmpuint(seen.vring_num[q], ==, QSIZE);
        g_assert_true(seen.vring_kick[q]);
        g_assert_true(seen.vring_call[q]);
        g_assert_true(seen.vring_enabled[q]);
    }
    /* The control queue stays nimbus's. */
    g_assert_false(seen.vring_kick[4]);
    g_assert_cmpuint(seen.vring_num[4], ==, 0);
    {
        uint16_t two = GUINT16_TO_LE(2), three = GUINT16_TO_LE(3);

        g_assert_cmpuint(ctrl_cmd(&f, vdev, 4, &rings[4], VIRTIO_NET_CTRL_MQ,
                                  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &two, 2),
                         ==, VIRTIO_NET_OK);
        g_assert_cmpuint(ctrl_cmd(&f, vdev, 4, &rings[4], VIRTIO_NET_CTRL_MQ,
                                  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &three, 2),
                         ==, VIRTIO_NET_ERR);
        g_assert_cmpuint(ctrl_cmd(&f, vdev, 4, &rings[4], VIRTIO_NET_CTRL_RX,
                                  VIRTIO_NET_CTRL_RX_PROMISC, &two, 1),
                         ==, VIRTIO_NET_ERR);
    }

    /* The back end's interrupt reaches the device. */
    g_assert_true(fake_vhost_user_call(f.fake, 1));
    g_assert_true(fake_host_iterate_until(f.host, fake_vhost_user_isr_set, vdev,
                                          5000));

    /* A reset takes the rings back. */
    virtio_device_reset(vdev);
    fake_vhost_user_seen(f.fake, &seen);
    for (unsigned q = 0; q < 4; q++)
        g_assert_false(seen.vring_enabled[q]);
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

/* A hostile control chain: NEEDS_RESET, nothing else. */
static void
test_ctrl_hostile(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    g_autoptr(GError) error = NULL;
    TdRing rings[3];
    uint64_t a;
    uint32_t l = 1;

    fixture_init(&f, true);
    vdev = net_new(&f, "vhost_user=on,id=_net0,queue_size=64,mac=" MAC,
                   &error);
    g_assert_no_error(error);
    fake_vhost_user_fixture_rings(&f, rings, 3, QSIZE);
    td_device_start(vdev, rings, 3);
    /* One readable byte: no class/command, no ack. */
    a = td_alloc(&rings[2], 1);
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*_net0*control queue*");
    td_publish(&rings[2], td_add_chain(&rings[2], &a, &l, 1, 0));
    virtio_eventfd_signal(vdev->kick_fds[2]);
    g_assert_true(fake_host_iterate_until(f.host, fake_vhost_user_needs_reset,
                                          vdev, 5000));
    g_test_assert_expected_messages();
    virtio_device_reset(vdev);
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

/* A back end that goes away once running: NEEDS_RESET, nothing else. */
static void
test_backend_gone(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    g_autoptr(GError) error = NULL;
    TdRing rings[3];

    fixture_init(&f, true);
    vdev = net_new(&f, "vhost_user=on,id=_net0,queue_size=64,mac=" MAC,
                   &error);
    g_assert_no_error(error);
    fake_vhost_user_fixture_rings(&f, rings, 3, QSIZE);
    td_device_start(vdev, rings, 3);
    g_assert_true(vdev->active);
    fake_vhost_user_fixture_kill_backend(&f, vdev, "_net0");
    virtio_device_reset(vdev);
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

/* Bad answers while the device is created: a clear error, no device. */
static void
test_hostile_creation(void)
{
    static const struct {
        FakeVhostUserMode mode;
        const char *opts;
        const char *error;
    } cases[] = {
        { FAKE_VHOST_USER_WRONG_REQUEST, "", "names request" },
        { FAKE_VHOST_USER_OVERSIZE, "", "65536 bytes" },
        { FAKE_VHOST_USER_CLOSE, "", "the back end closed the socket" },
        /* The fake serves 4 queues: 3 pairs are too many. */
        { FAKE_VHOST_USER_OK, ",num_queues=6", "serves 4 queues" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        Fixture f = { 0 };
        g_autoptr(GError) error = NULL;
        g_autofree char *opts = g_strdup_printf("vhost_user=on,id=_net0,"
                                                "mac=" MAC "%s",
                                                cases[i].opts);

        fixture_init(&f, true);
        fake_vhost_user_set_mode(f.fake, cases[i].mode);
        g_assert_null(net_new(&f, opts, &error));
        g_assert_nonnull(error);
        g_test_message("case %u: %s", i, error->message);
        g_assert_nonnull(strstr(error->message, cases[i].error));
        g_assert_nonnull(strstr(error->message, "_net0"));
        fake_vhost_user_fixture_clear(&f);
    }
}

static void
test_no_backend(void)
{
    Fixture f = { 0 };
    g_autoptr(GError) error = NULL;

    fixture_init(&f, false);
    g_assert_null(net_new(&f, "vhost_user=on,id=_net0,mac=" MAC, &error));
    g_assert_nonnull(strstr(error->message, "cannot connect"));
    g_assert_nonnull(strstr(error->message, f.sock));
    fake_vhost_user_fixture_clear(&f);
}

/* vhost_mode=server: the back end connects to nimbus's socket. */
static gpointer
connect_backend(gpointer data)
{
    const char *path = data;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    for (int i = 0; i < 500; i++) {
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return fake_vhost_user_start_fd(fd, OFFERED, PF, 4);
        g_usleep(10000);
    }
    fd_close(fd);
    return NULL;
}

static void
test_server_mode(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    g_autoptr(GError) error = NULL;
    GThread *t;

    fixture_init(&f, false);
    unlink(f.sock);
    t = g_thread_new("backend", connect_backend, f.sock);
    vdev = net_new(&f, "vhost_user=on,vhost_mode=server,id=_net0,mac=" MAC,
                   &error);
    f.fake = g_thread_join(t);
    g_assert_no_error(error);
    g_assert_nonnull(f.fake);
    g_assert_cmphex(vdev->host_features, ==, NET_FEATURES | OURS);
    /* Nothing else may connect once the back end is in. */
    g_assert_false(g_file_test(f.sock, G_FILE_TEST_EXISTS));
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/vhost-user-net/config-rules", test_config_rules);
    g_test_add_func("/vhost-user-net/config-mode", test_config_mode);
    g_test_add_func("/vhost-user-net/features", test_features);
    g_test_add_func("/vhost-user-net/activate", test_activate);
    g_test_add_func("/vhost-user-net/ctrl-hostile", test_ctrl_hostile);
    g_test_add_func("/vhost-user-net/backend-gone", test_backend_gone);
    g_test_add_func("/vhost-user-net/hostile-creation",
                    test_hostile_creation);
    g_test_add_func("/vhost-user-net/no-backend", test_no_backend);
    g_test_add_func("/vhost-user-net/server-mode", test_server_mode);
    return g_test_run();
}
