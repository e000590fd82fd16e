/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: virtio-balloon queues (frame numbers, statistics, page reports) on hostile rings. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/registry.h"
#include "devices/virtio/balloon.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: one byte choosing the queue role and a config write, then a
 * ring as td_fuzz_load() builds it.  Every chain popped goes through the
 * device's own handler: page frame numbers anywhere (inside RAM, in the
 * hole, past the end, 2^32-1), statistics records of any tag and length,
 * reported ranges of any alignment.  The device may refuse a chain; it
 * must never touch memory outside RAM or crash.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GuestMemory *mem;
    static FakeHost *host;
    static VirtioDevice *vdev;
    static VirtQueueElem *elem;
    VirtQueue vq;
    uint32_t actual;
    int r;

    if (!mem) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmConfig) c = vm_config_new();
        const VmConfigKind *kind = virtio_balloon_type.kind;

        device_registry_init();
        mem = td_memory_new();
        host = fake_host_new_with_memory(mem);
        vm_config_kind_append(c, kind, vm_config_kind_parse_cli(
            kind, "size=1M,free_page_reporting=on", &error));
        g_assert_no_error(error);
        vdev = virtio_balloon_new(fake_host_base(host),
                                  vm_config_kind_entry(c, kind, 0), &error);
        g_assert_no_error(error);
        elem = virtqueue_elem_new(64);
    }
    if (size < 1)
        return 0;
    actual = (uint32_t)data[0] << 24;
    vdev->ops->write_config(vdev, data[0] & 7, &actual, 4 - (data[0] & 3));
    if (!td_fuzz_load(fake_host_base(host), &vq, data + 1, size - 1))
        return 0;
    while ((r = virtqueue_pop(&vq, elem)) == 0) {
        r = virtio_balloon_handle(vdev, (VirtioBalloonQueue)(data[0] >> 6),
                                  elem);
        if (r < 0)
            break;          /* the device would be NEEDS_RESET now */
        virtqueue_push(&vq, elem, 0);
    }
    return 0;
}
