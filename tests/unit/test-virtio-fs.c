/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of virtio-fs: config rules, activation on a fake vhost-user back end, a dead one. */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "daemon/memory.h"
#include "devices/virtio/fs.h"
#include "devices/virtio/vhost-user.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vhost-user-fixture.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 64
#define FEATURES ((1ULL << VIRTIO_F_VERSION_1) |                              \
                  (1ULL << VIRTIO_RING_F_EVENT_IDX))
#define PF ((1ULL << VHOST_USER_PROTOCOL_F_MQ) |                              \
            (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK))

typedef FakeVhostUserFixture Fixture;

/* The test driver's two RAM regions, as memfds mapped shared (or not). */
static void
fixture_init(Fixture *f, bool shared, unsigned backend_queues)
{
    fake_vhost_user_fixture_init(f, "fs.sock", shared);
    f->fake = fake_vhost_user_start(f->sock, FEATURES | (1ULL << 40), PF,
                                    backend_queues);
}

/* An FsConfig from CLI options @opts (plus the socket), validated with
 * @shared memory; NULL with @error when refused. */
static gpointer
fs_entry(Fixture *f, const char *opts, bool shared, GError **error)
{
    const VmConfigKind *kind = virtio_fs_type.kind;
    g_autofree char *cli = fake_vhost_user_fixture_cli(f, opts, true, shared);
    gpointer entry;

    entry = vm_config_kind_parse_cli(kind, cli, error);
    if (!entry)
        return NULL;
    vm_config_kind_append(f->config, kind, entry);
    if (!vm_config_validate(f->config, error))
        return NULL;
    return vm_config_kind_entry(f->config, kind, 0);
}

static VirtioDevice *
fs_new(Fixture *f, const char *opts)
{
    g_autoptr(GError) error = NULL;
    gpointer entry = fs_entry(f, opts, true, &error);
    VirtioDevice *vdev;

    g_assert_no_error(error);
    vdev = virtio_fs_new(fake_host_base(f->host), entry, &error);
    g_assert_no_error(error);
    return vdev;
}

static void
test_config_rules(void)
{
    Fixture f = { 0 };
    GError *error = NULL;

    fixture_init(&f, true, 2);
    /* CH: vhost-user needs shared memory. */
    g_assert_null(fs_entry(&f, "tag=a", false, &error));
    g_assert_nonnull(strstr(error->message,
                            "using vhost-user requires shared memory"));
    g_clear_error(&error);
    g_assert_null(fs_entry(&f, "tag=0123456789012345678901234567890123456",
                           true, &error));
    g_assert_nonnull(strstr(error->message, "1 to 36 bytes"));
    g_clear_error(&error);
    g_assert_null(fs_entry(&f, "tag=a,queue_size=100", true, &error));
    g_assert_nonnull(strstr(error->message, "power of two"));
    g_clear_error(&error);
    g_assert_null(fs_entry(&f, "socket=/x", true, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    /* Defaults: CH's. */
    g_assert_nonnull(fs_entry(&f, "tag=a", true, &error));
    g_assert_no_error(error);
    fake_vhost_user_fixture_clear(&f);
}

static void
test_activate(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    FakeVhostUserSeen seen;
    TdRing rings[2];
    uint8_t tag[36];
    uint32_t nreq;

    fixture_init(&f, true, 2);
    vdev = fs_new(&f, "tag=myfs,id=_fs0,num_queues=1,queue_size=64");
    /* Only what the back end and nimbus's rings both have. */
    g_assert_cmphex(vdev->host_features, ==, FEATURES);
    g_assert_cmpuint(vdev->nvqs, ==, 2);
    vdev->ops->read_config(vdev, 0, tag, sizeof(tag));
    g_assert_cmpstr((char *)tag, ==, "myfs");
    vdev->ops->read_config(vdev, 36, &nreq, sizeof(nreq));
    g_assert_cmpuint(GUINT32_FROM_LE(nreq), ==, 1);

    fake_vhost_user_fixture_rings(&f, rings, 2, QSIZE);
    td_device_start(vdev, rings, 2);
    g_assert_cmpuint(virtio_device_get_status(vdev) &
                     VIRTIO_CONFIG_S_NEEDS_RESET, ==, 0);
    g_assert_true(vdev->active);
    fake_vhost_user_seen(f.fake, &seen);
    g_assert_cmphex(seen.features & ~(1ULL << VHOST_USER_F_PROTOCOL_FEATURES),
                    ==, FEATURES);
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

    /* The back end's interrupt reaches the device (ISR, then MSI-X). */
    g_assert_true(fake_vhost_user_call(f.fake, 1));
    g_assert_true(fake_host_iterate_until(f.host, fake_vhost_user_isr_set, vdev,
                                          5000));

    /* Reset takes the rings back. */
    virtio_device_reset(vdev);
    fake_vhost_user_seen(f.fake, &seen);
    g_assert_false(seen.vring_enabled[0]);
    g_assert_false(seen.vring_enabled[1]);
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

/* A back end that goes away: NEEDS_RESET, nothing else. */
static void
test_backend_gone(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    TdRing rings[2];

    fixture_init(&f, true, 2);
    vdev = fs_new(&f, "tag=myfs,id=_fs0,queue_size=64");
    fake_vhost_user_fixture_rings(&f, rings, 2, QSIZE);
    td_device_start(vdev, rings, 2);
    g_assert_true(vdev->active);
    fake_vhost_user_fixture_kill_backend(&f, vdev, "_fs0");
    /* Reset and free talk to a closed socket: errors, no crash. */
    virtio_device_reset(vdev);
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

/*
 * vm.pause takes the rings back: where the back end stopped (its next
 * avail index, the used index it wrote) becomes the queue's state, which
 * a snapshot saves; vm.resume hands the rings over again from there.
 */
static void
test_pause_resume(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    g_autoptr(GError) error = NULL;
    FakeVhostUserSeen seen;
    TdRing rings[2];
    uint16_t used_idx = GUINT16_TO_LE(3);

    fixture_init(&f, true, 2);
    vdev = fs_new(&f, "tag=myfs,id=_fs0,queue_size=64");
    fake_vhost_user_fixture_rings(&f, rings, 2, QSIZE);
    td_device_start(vdev, rings, 2);
    g_assert_true(vdev->active);
    /* The back end used 3 buffers of queue 1: it wrote the used index. */
    memcpy(td_ptr(f.mem, rings[1].used + 2, 2), &used_idx, 2);

    g_assert_true(virtio_device_pause(vdev, &error));
    g_assert_no_error(error);
    fake_vhost_user_seen(f.fake, &seen);
    g_assert_false(seen.vring_enabled[0]);
    g_assert_false(seen.vring_enabled[1]);
    g_assert_cmpuint(vdev->vqs[1].used_idx, ==, 3);
    g_assert_cmpuint(vdev->vqs[1].last_avail, ==, seen.vring_base[1]);

    /* A restored queue state is where the back end starts again. */
    vdev->vqs[1].last_avail = 5;
    g_assert_true(virtio_device_resume(vdev, &error));
    g_assert_no_error(error);
    fake_vhost_user_seen(f.fake, &seen);
    g_assert_true(seen.vring_enabled[0]);
    g_assert_true(seen.vring_enabled[1]);
    g_assert_cmpuint(seen.vring_base[1], ==, 5);
    /* Its interrupts are relayed again. */
    g_assert_true(fake_vhost_user_call(f.fake, 1));
    g_assert_true(fake_host_iterate_until(f.host, fake_vhost_user_isr_set, vdev,
                                          5000));

    /* A dead back end does not stop the VM from pausing or resuming:
     * the device stays NEEDS_RESET. */
    fake_vhost_user_fixture_kill_backend(&f, vdev, "_fs0");
    g_assert_true(virtio_device_pause(vdev, &error));
    g_assert_no_error(error);
    g_assert_true(virtio_device_resume(vdev, &error));
    g_assert_no_error(error);
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

/* Private RAM cannot be handed over: activation fails, NEEDS_RESET. */
static void
test_private_memory(void)
{
    Fixture f = { 0 };
    g_autoptr(VirtioDevice) vdev = NULL;
    TdRing rings[2];

    fixture_init(&f, false, 2);
    vdev = fs_new(&f, "tag=myfs,id=_fs0,queue_size=64");
    fake_vhost_user_fixture_rings(&f, rings, 2, QSIZE);
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "*activation failed*not shared*shared=on*");
    td_device_start(vdev, rings, 2);
    g_test_assert_expected_messages();
    g_assert_false(vdev->active);
    g_assert_true(fake_vhost_user_needs_reset(vdev));
    g_clear_pointer(&vdev, virtio_device_free);
    fake_vhost_user_fixture_clear(&f);
}

static void
test_backend_refused(void)
{
    Fixture f = { 0 };
    g_autoptr(GError) error = NULL;
    gpointer entry;

    /* The back end has 2 queues: hiprio + 2 request queues do not fit. */
    fixture_init(&f, true, 2);
    entry = fs_entry(&f, "tag=a,id=_fs0,num_queues=2", true, &error);
    g_assert_no_error(error);
    g_assert_null(virtio_fs_new(fake_host_base(f.host), entry, &error));
    g_assert_nonnull(strstr(error->message, "serves 2 queues"));
    g_clear_error(&error);
    /* No back end at all. */
    g_clear_pointer(&f.fake, fake_vhost_user_stop);
    g_assert_null(virtio_fs_new(fake_host_base(f.host), entry, &error));
    g_assert_nonnull(strstr(error->message, "cannot connect"));
    g_assert_nonnull(strstr(error->message, f.sock));
    fake_vhost_user_fixture_clear(&f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/virtio-fs/config-rules", test_config_rules);
    g_test_add_func("/virtio-fs/activate", test_activate);
    g_test_add_func("/virtio-fs/backend-gone", test_backend_gone);
    g_test_add_func("/virtio-fs/pause-resume", test_pause_resume);
    g_test_add_func("/virtio-fs/private-memory", test_private_memory);
    g_test_add_func("/virtio-fs/backend-refused", test_backend_refused);
    return g_test_run();
}
