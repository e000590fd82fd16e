/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: virtio-iommu requests on hostile rings, then translations through them. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/virtio/iommu.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: a ring as td_fuzz_load() builds it.  Every chain popped goes
 * through the device's own request handler: any type, any length, any
 * domain, endpoint, range and flags.  Afterwards every endpoint
 * translates a few addresses taken from the input, which walks the
 * tables the requests left.  Each input starts from a reset device
 * (no domains, bypass on) with every feature negotiated.  The device must
 * never crash, write outside the chain, or translate to a range that
 * leaves the mapping it came from.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t endpoints[] = { 0x0, 0x8, 0x10, 0x10008 };
    static GuestMemory *mem;
    static FakeHost *host;
    static VirtioDevice *vdev;
    static VirtQueueElem *elem;
    VirtQueue vq;
    uint32_t used;

    if (!mem) {
        mem = td_memory_new();
        host = fake_host_new_with_memory(mem);
        vdev = virtio_iommu_new(fake_host_base(host), VIRTIO_IOMMU_ID, 48,
                                NULL);
        for (unsigned i = 0; i < G_N_ELEMENTS(endpoints); i++)
            virtio_iommu_add_endpoint(vdev, endpoints[i], NULL);
        vdev->driver_features = vdev->host_features;
        elem = virtqueue_elem_new(64);
    }
    vdev->ops->reset(vdev);
    if (!td_fuzz_load(fake_host_base(host), &vq, data, size))
        return 0;
    while (virtqueue_pop(&vq, elem) == 0) {
        if (virtio_iommu_handle_request(vdev, elem, &used) < 0)
            break;
        virtqueue_push(&vq, elem, used);
    }
    for (size_t off = TD_FUZZ_HDR; off + 8 <= size && off < 256; off += 8) {
        uint64_t iova, gpa, mapped;

        memcpy(&iova, data + off, 8);
        for (unsigned i = 0; i < G_N_ELEMENTS(endpoints); i++) {
            if (virtio_iommu_translate(vdev, endpoints[i], iova, 0x3000,
                                       off & 8, &gpa, &mapped) == 0 &&
                (mapped == 0 || mapped > 0x3000))
                __builtin_trap();
        }
    }
    return 0;
}
