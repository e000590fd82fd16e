/* SPDX-License-Identifier: Apache-2.0 */
/* What the vhost-user device tests share: guest memory, a FakeHost, a back end, a config. */
#include <config.h>

#include "devices/virtio/virtio.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vhost-user-fixture.h"

void
fake_vhost_user_fixture_init(FakeVhostUserFixture *f, const char *sock_name,
                             bool shared)
{
    MemoryConfig cfg = { .shared = shared };
    GuestRange ranges[] = {
        { TD_RAM0_BASE, TD_RAM0_SIZE },
        { TD_RAM1_BASE, TD_RAM1_SIZE },
    };
    g_autoptr(GError) error = NULL;

    f->sock = g_build_filename(test_tmpdir(), sock_name, NULL);
    f->mem = guest_memory_new(&cfg, ranges, G_N_ELEMENTS(ranges), &error);
    g_assert_no_error(error);
    f->host = fake_host_new_with_memory(f->mem);
}

void
fake_vhost_user_fixture_clear(FakeVhostUserFixture *f)
{
    /* The host first: it may still reach the memory. */
    g_clear_pointer(&f->host, fake_host_free);
    g_clear_pointer(&f->mem, guest_memory_free);
    g_clear_pointer(&f->fake, fake_vhost_user_stop);
    g_clear_pointer(&f->config, vm_config_free);
    g_clear_pointer(&f->sock, g_free);
}

char *
fake_vhost_user_fixture_cli(FakeVhostUserFixture *f, const char *opts,
                            bool sock, bool shared)
{
    g_clear_pointer(&f->config, vm_config_free);
    f->config = vm_config_new();
    f->config->payload.kernel = g_strdup("vmlinux");
    f->config->memory.shared = shared;
    f->config->cpus.boot_vcpus = 4;
    f->config->cpus.max_vcpus = 4;
    return sock ? g_strdup_printf("%s,socket=%s", opts, f->sock)
                : g_strdup(opts);
}

void
fake_vhost_user_fixture_rings(FakeVhostUserFixture *f, TdRing *rings,
                              unsigned n, unsigned size)
{
    for (unsigned q = 0; q < n; q++)
        td_ring_init(&rings[q], f->mem, TD_RAM0_BASE + 0x10000 * (q + 1),
                     0x10000, size);
}

void
fake_vhost_user_fixture_kill_backend(FakeVhostUserFixture *f,
                                     VirtioDevice *vdev, const char *id)
{
    g_autofree char *warning =
        g_strdup_printf("*%s: the vhost-user back end closed its socket*", id);

    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING, warning);
    g_clear_pointer(&f->fake, fake_vhost_user_stop);
    g_assert_true(fake_host_iterate_until(f->host, fake_vhost_user_needs_reset,
                                          vdev, 5000));
    g_test_assert_expected_messages();
}

bool
fake_vhost_user_isr_set(gpointer vdev)
{
    return g_atomic_int_get(&((VirtioDevice *)vdev)->isr) != 0;
}

bool
fake_vhost_user_needs_reset(gpointer vdev)
{
    return virtio_device_get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET;
}
