/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of vhost-user-blk: config rules, a fake back end, hostile and dead back ends. */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_blk.h>

#include "daemon/memory.h"
#include "devices/registry.h"
#include "devices/virtio/vhost-user-blk.h"
#include "devices/virtio/vhost-user.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vhost-user-fixture.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 64
/* What the fake back end offers: bit 40 and CONFIG_WCE are not passed
 * on, the rest is. */
#define BLK_FEATURES ((1ULL << VIRTIO_F_VERSION_1) |                          \
                      (1ULL << VIRTIO_RING_F_EVENT_IDX) |                     \
                      (1ULL << VIRTIO_BLK_F_SEG_MAX) |                        \
                      (1ULL << VIRTIO_BLK_F_BLK_SIZE) |                       \
                      (1ULL << VIRTIO_BLK_F_FLUSH) |                          \
                      (1ULL << VIRTIO_BLK_F_MQ))
#define OFFERED (BLK_FEATURES | (1ULL << VIRTIO_BLK_F_CONFIG_WCE) |           \
                 (1ULL << 40))
#define PF ((1ULL << VHOST_USER_PROTOCOL_F_MQ) |                              \
            (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |                       \
            (1ULL << VHOST_USER_PROTOCOL_F_CONFIG))
#define CAPACITY 2048ULL           /* sectors: 1 MiB */

typedef FakeVhostUserFixture Fixture;

/* A struct virtio_blk_config as a back end would fill it. */
static void
make_config(uint8_t *cfg, uint32_t seg_max, uint32_t blk_size, uint16_t nq)
{
    uint64_t cap = GUINT64_TO_LE(CAPACITY);

    memset(cfg, 0, VHOST_USER_BLK_CONFIG_SIZE);
    memcpy(cfg, &cap, sizeof(cap));
    seg_max = GUINT32_TO_LE(seg_max);
    memcpy(cfg + 12, &seg_max, sizeof(seg_max));
    blk_size = GUINT32_TO_LE(blk_size);
    memcpy(cfg + 20, &blk_size, sizeof(blk_size));
    nq = GUINT16_TO_LE(nq);
    memcpy(cfg + 34, &nq, sizeof(nq));
}

static void
fixture_init_pf(Fixture *f, bool shared, uint64_t pf)
{
    uint8_t config[VHOST_USER_BLK_CONFIG_SIZE];

    fake_vhost_user_fixture_init(f, "blk.sock", shared);
    f->fake = fake_vhost_user_start(f->sock, OFFERED, pf, 4);
    make_config(config, 126, 4096, 4);
    fake_vhost_user_set_config(f->fake, config, sizeof(config));
}

static void
fixture_init(Fixture *f, bool shared)
{
    fixture_init_pf(f, shared, PF);
}

/* The DiskConfig of `--disk @opts` (the socket added when @sock), as
 * vm.create validates it with @shared memory; NULL with @error. */
static const DiskConfig *
disk_entry(Fixture *f, const char *opts, bool sock, bool shared,
           GError **error)
{
    g_autofree char *cli = fake_vhost_user_fixture_cli(f, opts, sock, shared);
    DiskConfig *disk = vm_config_parse_disk(cli, error);

    if (!disk)
        return NULL;
    g_ptr_array_add(f->config->disks, disk);
    if (!vm_config_validate(f->config, error))
        return NULL;
    return g_ptr_array_index(f->config->disks, 0);
}

static VirtioDevice *
blk_new(Fixture *f, const char *opts, GError **error)
{
    g_autoptr(GError) local = NULL;
    const DiskConfig *disk = disk_entry(f, opts, true, true, &local);

    g_assert_no_error(local);
    return vhost_user_blk_new(fake_host_base(f->host), disk, error);
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
        { "vhost_user=on,path=/a", true, true, "mutually exclusive" },
        { "vhost_user=on", false, true, "vhost_user needs the back end's" },
        { "vhost_user=on,readonly=on", true, true,
          "readonly does not apply to a vhost-user disk" },
        { "vhost_user=on,bw_size=1000,bw_refill_time=100", true, true,
          "does not apply to a vhost-user disk" },
        { "vhost_user=on,image_type=raw", true, true,
          "image_type does not apply" },
        { "path=/a", true, true, "needs vhost_user=on" },
        { "readonly=on", false, true, "path=<image> is required" },
        { "vhost_user=on,queue_size=100", true, true, "power of two" },
    };
    Fixture f = { 0 };

    fixture_init(&f, true);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;

        g_assert_null(disk_entry(&f, bad[i].opts, bad[i].sock, bad[i].shared,
                                 &error));
        g_assert_nonnull(error);
        g_test_message("'%s': %s", bad[i].opts, error->message);
        g_assert_nonnull(strstr(error->message, bad[i].error));
    }
    fake_vhost_user_fixture_clear(&f);
}

static void
test_activate(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    g_autoptr(GError) error = NULL;
    FakeVhostUserSeen seen;
    TdRing rings[2];
    uint64_t cap;
    uint32_t blk_size;
    uint16_t nq;

    fixture_init(&f, true);
    vdev = blk_new(&f, "vhost_user=on,id=_disk0,num_queues=2,queue_size=64",
                   &error);
    g_assert_no_error(error);
    /* Only what both the back end and nimbus do. */
    g_assert_cmphex(vdev->host_features, ==, BLK_FEATURES);
    g_assert_cmpuint(vdev->nvqs, ==, 2);
    g_assert_cmpuint(vdev->ops->device_type, ==, VIRTIO_ID_BLOCK);
    g_assert_true(vhost_user_blk_is(vdev));
    /* The back end's config space, num_queues being nimbus's. */
    vdev->ops->read_config(vdev, 0, &cap, sizeof(cap));
    g_assert_cmpuint(GUINT64_FROM_LE(cap), ==, CAPACITY);
    vdev->ops->read_config(vdev, 20, &blk_size, sizeof(blk_size));
    g_assert_cmpuint(GUINT32_FROM_LE(blk_size), ==, 4096);
    vdev->ops->read_config(vdev, 34, &nq, sizeof(nq));
    g_assert_cmpuint(GUINT16_FROM_LE(nq), ==, 2);

    fake_vhost_user_fixture_rings(&f, rings, 2, QSIZE);
    td_device_start(vdev, rings, 2);
    g_assert_false(fake_vhost_user_needs_reset(vdev));
    g_assert_true(vdev->active);
    fake_vhost_user_seen(f.fake, &seen);
    g_assert_cmphex(seen.features & ~(1ULL << VHOST_USER_F_PROTOCOL_FEATURES),
                    ==, BLK_FEATURES);
    g_assert_cmpuint(seen.nregions, ==, 2);
    g_assert_cmpuint(seen.nregion_fds, ==, 2);
    for (unsigned q = 0; q < 2; q++) {
        g_assert_cmpuint(seen.vring_num[q], ==, QSIZE);
        g_assert_cmphex(seen.vring_desc[q], ==,
                        (uint64_t)(uintptr_t)td_ptr(f.mem, rings[q].desc, 1));
        g_assert_true(seen.vring_kick[q]);
        g_assert_true(seen.vring_call[q]);
        g_assert_true(seen.vring_err[q]);
        g_assert_true(seen.vring_enabled[q]);
    }

    /* The back end's interrupt reaches the device. */
    g_assert_true(fake_vhost_user_call(f.fake, 1));
    g_assert_true(fake_host_iterate_until(f.host, fake_vhost_user_isr_set, vdev,
                                          5000));

    /* A reset takes the rings back. */
    virtio_device_reset(vdev);
    fake_vhost_user_seen(f.fake, &seen);
    g_assert_false(seen.vring_enabled[0]);
    g_assert_false(seen.vring_enabled[1]);
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
    TdRing rings[1];

    fixture_init(&f, true);
    vdev = blk_new(&f, "vhost_user=on,id=_disk0,queue_size=64", &error);
    g_assert_no_error(error);
    fake_vhost_user_fixture_rings(&f, rings, 1, QSIZE);
    td_device_start(vdev, rings, 1);
    g_assert_true(vdev->active);
    fake_vhost_user_fixture_kill_backend(&f, vdev, "_disk0");
    /* Reset and free talk to a closed socket: errors, no crash. */
    virtio_device_reset(vdev);
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

/* Bad replies while the driver starts the device: NEEDS_RESET. */
static void
test_hostile_activation(void)
{
    static const struct {
        FakeVhostUserMode mode;
        const char *warning;
    } cases[] = {
        { FAKE_VHOST_USER_WRONG_REQUEST, "*activation failed*names request*" },
        { FAKE_VHOST_USER_OVERSIZE, "*activation failed*65536 bytes*" },
        { FAKE_VHOST_USER_NACK, "*activation failed*refused SET_FEATURES*" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        Fixture f = { 0 };
        g_autoptr(VirtioDevice) vdev = NULL;
        g_autoptr(GError) error = NULL;
        TdRing rings[1];

        fixture_init(&f, true);
        vdev = blk_new(&f, "vhost_user=on,id=_disk0,queue_size=64", &error);
        g_assert_no_error(error);
        fake_vhost_user_fixture_rings(&f, rings, 1, QSIZE);
        fake_vhost_user_set_mode(f.fake, cases[i].mode);
        g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                              cases[i].warning);
        td_device_start(vdev, rings, 1);
        g_test_assert_expected_messages();
        g_assert_false(vdev->active);
        g_assert_true(fake_vhost_user_needs_reset(vdev));
        /* No ring was handed over: reset and free end cleanly. */
        virtio_device_reset(vdev);
        g_clear_pointer(&vdev, virtio_device_free);
        fake_vhost_user_fixture_clear(&f);
    }
}

/* Bad answers while the device is created: a clear error, no device. */
static void
test_hostile_creation(void)
{
    static const struct {
        FakeVhostUserMode mode;
        uint64_t pf;
        uint32_t seg_max, blk_size;
        uint16_t nq;
        const char *opts;
        const char *error;
    } cases[] = {
        { FAKE_VHOST_USER_WRONG_REQUEST, PF, 126, 512, 4, "",
          "names request" },
        { FAKE_VHOST_USER_OVERSIZE, PF, 126, 512, 4, "", "65536 bytes" },
        { FAKE_VHOST_USER_CLOSE, PF, 126, 512, 4, "",
          "the back end closed the socket" },
        { FAKE_VHOST_USER_SHORT_CONFIG, PF, 126, 512, 4, "",
          "reply to GET_CONFIG" },
        { FAKE_VHOST_USER_OK, PF & ~(1ULL << VHOST_USER_PROTOCOL_F_CONFIG),
          126, 512, 4, "", "VHOST_USER_PROTOCOL_F_CONFIG" },
        { FAKE_VHOST_USER_OK, PF, 0, 512, 4, "", "seg_max 0" },
        { FAKE_VHOST_USER_OK, PF, 126, 1000, 4, "", "blk_size 1000" },
        { FAKE_VHOST_USER_OK, PF, 126, 512, 1, ",num_queues=2",
          "serves 1 queues, num_queues=2" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        Fixture f = { 0 };
        g_autoptr(GError) error = NULL;
        g_autofree char *opts = g_strdup_printf("vhost_user=on,id=_disk0%s",
                                                cases[i].opts);
        uint8_t config[VHOST_USER_BLK_CONFIG_SIZE];

        fixture_init_pf(&f, true, cases[i].pf);
        make_config(config, cases[i].seg_max, cases[i].blk_size,
                    cases[i].nq);
        fake_vhost_user_set_config(f.fake, config, sizeof(config));
        fake_vhost_user_set_mode(f.fake, cases[i].mode);
        g_assert_null(blk_new(&f, opts, &error));
        g_assert_nonnull(error);
        g_test_message("case %u: %s", i, error->message);
        g_assert_nonnull(strstr(error->message, cases[i].error));
        g_assert_nonnull(strstr(error->message, "_disk0"));
        fake_vhost_user_fixture_clear(&f);
    }
}

static void
test_no_backend(void)
{
    Fixture f = { 0 };
    g_autoptr(GError) error = NULL;

    fixture_init(&f, true);
    g_clear_pointer(&f.fake, fake_vhost_user_stop);
    g_assert_null(blk_new(&f, "vhost_user=on,id=_disk0", &error));
    g_assert_nonnull(strstr(error->message, "cannot connect"));
    g_assert_nonnull(strstr(error->message, f.sock));
    fake_vhost_user_fixture_clear(&f);
}

/* The config check alone (the fuzz target's entry). */
static void
test_check_config(void)
{
    uint8_t cfg[VHOST_USER_BLK_CONFIG_SIZE];
    g_autoptr(GError) error = NULL;
    uint16_t nq;

    make_config(cfg, 126, 512, 8);
    g_assert_true(vhost_user_blk_check_config(cfg, BLK_FEATURES, 3, &error));
    g_assert_no_error(error);
    memcpy(&nq, cfg + 34, sizeof(nq));
    g_assert_cmpuint(GUINT16_FROM_LE(nq), ==, 3);
    /* Without MQ one queue only, and the field is left alone. */
    g_assert_false(vhost_user_blk_check_config(
        cfg, BLK_FEATURES & ~(1ULL << VIRTIO_BLK_F_MQ), 2, &error));
    g_assert_nonnull(strstr(error->message, "VIRTIO_BLK_F_MQ"));
    g_clear_error(&error);
    /* Fields of features not offered are not looked at. */
    make_config(cfg, 0, 3, 1);
    g_assert_true(vhost_user_blk_check_config(cfg, 1ULL << VIRTIO_F_VERSION_1,
                                              1, &error));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/vhost-user-blk/config-rules", test_config_rules);
    g_test_add_func("/vhost-user-blk/activate", test_activate);
    g_test_add_func("/vhost-user-blk/backend-gone", test_backend_gone);
    g_test_add_func("/vhost-user-blk/hostile-activation",
                    test_hostile_activation);
    g_test_add_func("/vhost-user-blk/hostile-creation",
                    test_hostile_creation);
    g_test_add_func("/vhost-user-blk/no-backend", test_no_backend);
    g_test_add_func("/vhost-user-blk/check-config", test_check_config);
    return g_test_run();
}
