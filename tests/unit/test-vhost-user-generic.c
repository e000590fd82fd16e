/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of --generic-vhost-user: rules, type names, queues, config space, bad back ends. */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_ids.h>

#include "config/vm-config-kind.h"
#include "daemon/memory.h"
#include "devices/registry.h"
#include "devices/virtio/vhost-user-generic.h"
#include "devices/virtio/vhost-user.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vhost-user-fixture.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

/* Device bit 5 and the ring bits pass; bit 40 (not nimbus's transport)
 * does not. */
#define FEATURES ((1ULL << VIRTIO_F_VERSION_1) |                              \
                  (1ULL << VIRTIO_RING_F_EVENT_IDX) | (1ULL << 5))
#define OFFERED (FEATURES | (1ULL << 40))
#define PF ((1ULL << VHOST_USER_PROTOCOL_F_MQ) |                              \
            (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |                       \
            (1ULL << VHOST_USER_PROTOCOL_F_CONFIG))

typedef FakeVhostUserFixture Fixture;

static void
fixture_init(Fixture *f, uint64_t pf)
{
    uint8_t config[16];

    fake_vhost_user_fixture_init(f, "generic.sock", true);
    f->fake = fake_vhost_user_start(f->sock, OFFERED, pf, 2);
    for (unsigned i = 0; i < sizeof(config); i++)
        config[i] = (uint8_t)(0x10 + i);
    fake_vhost_user_set_config(f->fake, config, sizeof(config));
}

static const VmConfigKind *
kind(void)
{
    return device_registry_lookup("generic-vhost-user")->kind;
}

/* The entry of `--generic-vhost-user @opts` (",socket=<fixture's>" added
 * when @sock), validated with @shared memory; NULL with @error. */
static gconstpointer
entry_of(Fixture *f, const char *opts, bool sock, bool shared,
         GError **error)
{
    g_autofree char *cli = fake_vhost_user_fixture_cli(f, opts, sock, shared);
    gpointer entry;

    if (!(entry = vm_config_kind_parse_cli(kind(), cli, error)))
        return NULL;
    vm_config_kind_append(f->config, kind(), entry);
    if (!vm_config_validate(f->config, error))
        return NULL;
    return vm_config_kind_entry(f->config, kind(), 0);
}

static VirtioDevice *
generic_new(Fixture *f, const char *opts, GError **error)
{
    g_autoptr(GError) local = NULL;
    gconstpointer entry = entry_of(f, opts, true, true, &local);

    g_assert_no_error(local);
    return vhost_user_generic_new(fake_host_base(f->host), entry, error);
}

static void
test_config_rules(void)
{
    static const struct {
        const char *opts;
        bool sock;
        bool shared;
        const char *error;
    } bad[] = {
        { "device_type=block,queue_sizes=[128]", true, false,
          "using vhost-user requires shared memory" },
        { "device_type=watchdog,queue_sizes=[128]", true, true,
          "(watchdog) cannot be a generic vhost-user device" },
        { "device_type=23,queue_sizes=[128]", true, true,
          "(iommu) cannot be a generic vhost-user device" },
        { "device_type=toaster,queue_sizes=[128]", true, true,
          "device_type=toaster is neither a virtio device name" },
        { "device_type=0,queue_sizes=[128]", true, true,
          "device_type=0 is not a virtio device ID" },
        { "device_type=block,queue_sizes=[100]", true, true,
          "queue_sizes[0]=100: expected a power of two" },
        { "device_type=block,queue_sizes=[]", true, true,
          "queue_sizes" },
        { "device_type=block", true, true, "queue_sizes" },
        { "device_type=block,queue_sizes=[128]", false, true, "socket" },
        { "queue_sizes=[128]", true, true, "device_type" },
        { "device_type=2,virtio_id=2,queue_sizes=[128]", true, true,
          "device_type and virtio_id" },
    };
    Fixture f = { 0 };

    fixture_init(&f, PF);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;

        g_assert_null(entry_of(&f, bad[i].opts, bad[i].sock, bad[i].shared,
                               &error));
        g_assert_nonnull(error);
        g_test_message("'%s': %s", bad[i].opts, error->message);
        g_assert_nonnull(strstr(error->message, bad[i].error));
    }
    fake_vhost_user_fixture_clear(&f);
}

static void
test_type_names(void)
{
    uint32_t id = 0;

    g_assert_true(vhost_user_generic_type_from_name("block", &id));
    g_assert_cmpuint(id, ==, VIRTIO_ID_BLOCK);
    g_assert_true(vhost_user_generic_type_from_name("FS", &id));
    g_assert_cmpuint(id, ==, VIRTIO_ID_FS);
    g_assert_true(vhost_user_generic_type_from_name("41", &id));
    g_assert_cmpuint(id, ==, 41);
    g_assert_false(vhost_user_generic_type_from_name("toaster", &id));
    g_assert_false(vhost_user_generic_type_from_name("4294967296", &id));
    g_assert_cmphex(vhost_user_generic_features(OFFERED |
                        (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)), ==,
                    FEATURES);
}

static void
test_activate(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    g_autoptr(GError) error = NULL;
    FakeVhostUserSeen seen;
    TdRing rings[2];
    uint8_t buf[4];
    const uint8_t w[2] = { 0xca, 0xfe };

    fixture_init(&f, PF);
    vdev = generic_new(&f, "virtio_id=block,id=gen0,queue_sizes=[64,128]",
                       &error);
    g_assert_no_error(error);
    g_assert_cmpuint(vdev->device_type, ==, VIRTIO_ID_BLOCK);
    g_assert_cmpuint(vdev->nvqs, ==, 2);
    g_assert_cmpuint(vdev->vqs[0].max_size, ==, 64);
    g_assert_cmpuint(vdev->vqs[1].max_size, ==, 128);
    g_assert_cmphex(vdev->host_features, ==, FEATURES);

    /* Reads go through, from the start of the back end's space. */
    vdev->ops->read_config(vdev, 4, buf, sizeof(buf));
    g_assert_cmpuint(buf[0], ==, 0x14);
    g_assert_cmpuint(buf[3], ==, 0x17);
    /* So do writes. */
    vdev->ops->write_config(vdev, 5, w, sizeof(w));
    fake_vhost_user_seen(f.fake, &seen);
    g_assert_cmpuint(seen.config_writes, ==, 1);
    vdev->ops->read_config(vdev, 4, buf, sizeof(buf));
    g_assert_cmpuint(buf[0], ==, 0x14);
    g_assert_cmpuint(buf[1], ==, 0xca);
    g_assert_cmpuint(buf[2], ==, 0xfe);
    g_assert_false(fake_vhost_user_needs_reset(vdev));

    td_ring_init(&rings[0], f.mem, TD_RAM0_BASE + 0x10000, 0x10000, 64);
    td_ring_init(&rings[1], f.mem, TD_RAM0_BASE + 0x20000, 0x10000, 128);
    td_device_start(vdev, rings, 2);
    g_assert_true(vdev->active);
    fake_vhost_user_seen(f.fake, &seen);
    g_assert_cmphex(seen.features & ~(1ULL << VHOST_USER_F_PROTOCOL_FEATURES),
                    ==, FEATURES);
    g_assert_cmpuint(seen.vring_num[0], ==, 64);
    g_assert_cmpuint(seen.vring_num[1], ==, 128);
    g_assert_true(seen.vring_kick[1]);
    g_assert_true(seen.vring_enabled[1]);
    g_assert_true(fake_vhost_user_call(f.fake, 1));
    g_assert_true(fake_host_iterate_until(f.host, fake_vhost_user_isr_set, vdev,
                                          5000));
    virtio_device_reset(vdev);
    fake_vhost_user_seen(f.fake, &seen);
    g_assert_false(seen.vring_enabled[0]);
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

/* Without VHOST_USER_PROTOCOL_F_CONFIG the device has no config space. */
static void
test_no_config(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    g_autoptr(GError) error = NULL;
    uint8_t buf[4] = { 1, 2, 3, 4 };
    FakeVhostUserSeen seen;

    fixture_init(&f, PF & ~(1ULL << VHOST_USER_PROTOCOL_F_CONFIG));
    vdev = generic_new(&f, "device_type=rng,queue_sizes=[64]", &error);
    g_assert_no_error(error);
    vdev->ops->read_config(vdev, 0, buf, sizeof(buf));
    g_assert_cmpuint(buf[0] | buf[1] | buf[2] | buf[3], ==, 0);
    vdev->ops->write_config(vdev, 0, buf, 1);
    fake_vhost_user_seen(f.fake, &seen);
    g_assert_cmpuint(seen.config_writes, ==, 0);
    g_assert_false(fake_vhost_user_needs_reset(vdev));
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

/* A back end that answers a config read badly: NEEDS_RESET, nothing
 * else; and one that goes away. */
static void
test_hostile(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    g_autoptr(GError) error = NULL;
    uint8_t buf[4];
    TdRing rings[1];

    fixture_init(&f, PF);
    vdev = generic_new(&f, "device_type=block,id=gen0,queue_sizes=[64]",
                       &error);
    g_assert_no_error(error);
    fake_vhost_user_set_mode(f.fake, FAKE_VHOST_USER_SHORT_CONFIG);
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*gen0*config read at 0*");
    vdev->ops->read_config(vdev, 0, buf, sizeof(buf));
    g_test_assert_expected_messages();
    g_assert_true(fake_vhost_user_needs_reset(vdev));
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);

    fixture_init(&f, PF);
    vdev = generic_new(&f, "device_type=block,id=gen0,queue_sizes=[64]",
                       &error);
    g_assert_no_error(error);
    td_ring_init(&rings[0], f.mem, TD_RAM0_BASE + 0x10000, 0x10000, 64);
    td_device_start(vdev, rings, 1);
    fake_vhost_user_fixture_kill_backend(&f, vdev, "gen0");
    virtio_device_reset(vdev);
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

static void
test_hostile_creation(void)
{
    static const struct {
        FakeVhostUserMode mode;
        const char *opts;
        const char *error;
    } cases[] = {
        { FAKE_VHOST_USER_WRONG_REQUEST, "[64]", "names request" },
        { FAKE_VHOST_USER_CLOSE, "[64]", "the back end closed the socket" },
        { FAKE_VHOST_USER_OK, "[64,64,64]",
          "serves 2 queues, queue_sizes has 3" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        Fixture f = { 0 };
        g_autoptr(GError) error = NULL;
        g_autofree char *opts = g_strdup_printf("device_type=block,id=gen0,"
                                                "queue_sizes=%s",
                                                cases[i].opts);

        fixture_init(&f, PF);
        fake_vhost_user_set_mode(f.fake, cases[i].mode);
        g_assert_null(generic_new(&f, opts, &error));
        g_assert_nonnull(error);
        g_test_message("case %u: %s", i, error->message);
        g_assert_nonnull(strstr(error->message, cases[i].error));
        g_assert_nonnull(strstr(error->message, "gen0"));
        fake_vhost_user_fixture_clear(&f);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/vhost-user-generic/config-rules", test_config_rules);
    g_test_add_func("/vhost-user-generic/type-names", test_type_names);
    g_test_add_func("/vhost-user-generic/activate", test_activate);
    g_test_add_func("/vhost-user-generic/no-config", test_no_config);
    g_test_add_func("/vhost-user-generic/hostile", test_hostile);
    g_test_add_func("/vhost-user-generic/hostile-creation",
                    test_hostile_creation);
    return g_test_run();
}
