/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: virtio-mem requests (plug, unplug, state) on hostile rings. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "daemon/memory.h"
#include "devices/virtio/mem.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RAM for the rings at 0, the hotplug region (8 blocks) at 16 MiB. */
#define FZ_RAM_SIZE 0x400000ULL
#define FZ_HP_BASE 0x1000000ULL
#define FZ_HP_SIZE (8 * VM_CONFIG_VIRTIO_MEM_BLOCK)

/*
 * Input: one byte setting the requested size (in blocks, mod 9), then a
 * ring as td_fuzz_load() builds it.  Every chain popped goes through the
 * device's own handler: requests of any type, address and block count,
 * short or split across buffers.  The device answers ACK/NACK/ERROR or
 * refuses a chain too short; it must never touch memory outside the
 * region or crash, and what it reports plugged must stay inside it.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GuestMemory *mem;
    static FakeHost *host;
    static VirtioDevice *vdev;
    static VirtQueueElem *elem;
    VirtQueue vq;
    int r;

    if (!mem) {
        static const MemoryConfig mc = { .thp = false };
        const GuestRange ranges[] = {
            { .start = 0, .size = FZ_RAM_SIZE },
            { .start = FZ_HP_BASE, .size = FZ_HP_SIZE, .hotplug = true },
        };
        g_autoptr(GError) error = NULL;

        mem = guest_memory_new(&mc, ranges, G_N_ELEMENTS(ranges), &error);
        g_assert_no_error(error);
        host = fake_host_new_with_memory(mem);
        vdev = virtio_mem_new(fake_host_base(host), VIRTIO_MEM_DEVICE_ID, 0,
                              &error);
        g_assert_no_error(error);
        elem = virtqueue_elem_new(64);
    }
    if (size < 1)
        return 0;
    if (!virtio_mem_set_requested(vdev, (data[0] % 9) *
                                  VM_CONFIG_VIRTIO_MEM_BLOCK, NULL))
        abort();
    if (!td_fuzz_load(fake_host_base(host), &vq, data + 1, size - 1))
        return 0;
    while ((r = virtqueue_pop(&vq, elem)) == 0) {
        r = virtio_mem_handle(vdev, elem);
        if (r < 0)
            break;          /* the device would be NEEDS_RESET now */
        virtqueue_push(&vq, elem, (uint32_t)r);
    }
    if (virtio_mem_plugged(vdev) > FZ_HP_SIZE)
        abort();
    return 0;
}
