/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: virtio-watchdog's ping queue on hostile rings, and its clock. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/registry.h"
#include "devices/virtio/watchdog.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: a ring as td_fuzz_load() builds it.  Every chain popped goes
 * through the device's own handler: chains of any shape, readable or
 * writable, outside RAM or not.  The clock has a zero period and timeout
 * here, so a ping is followed by a bite when the control context runs
 * after each input.  The device must never touch guest memory, crash, or
 * reset the VM other than through the host's request.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GuestMemory *mem;
    static FakeHost *host;
    static VirtioDevice *vdev;
    static VirtQueueElem *elem;
    VirtQueue vq;

    if (!mem) {
        device_registry_init();
        mem = td_memory_new();
        host = fake_host_new_with_memory(mem);
        vdev = virtio_watchdog_new(fake_host_base(host), 0, 0);
        elem = virtqueue_elem_new(64);
    }
    if (!td_fuzz_load(fake_host_base(host), &vq, data, size))
        return 0;
    while (virtqueue_pop(&vq, elem) == 0) {
        virtio_watchdog_handle(vdev, elem);
        virtqueue_push(&vq, elem, 0);
    }
    fake_host_iterate(host);
    return 0;
}
