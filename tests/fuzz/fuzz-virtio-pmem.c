/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: virtio-pmem's request queue (flush requests) on hostile rings. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/registry.h"
#include "devices/virtio/pmem.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: one byte choosing the device (bit 0: a shared mapping, whose
 * flush is fdatasync(), or a discard_writes=on one, whose flush writes
 * nothing) and a config read, then a ring as td_fuzz_load() builds it.
 * Every chain popped goes through the device's own handler: requests of
 * any length and type, status buffers too short or outside RAM, chains
 * with no writable part.  The device may refuse a chain; it must never
 * touch memory outside RAM or crash.
 */

/* A 2 MiB region on an unnamed temporary file (a directory as file=, as
 * CH allows), so that nothing is left behind. */
static VirtioDevice *
fuzz_pmem_new(FakeHost *host, const char *opts)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_new();
    const VmConfigKind *kind = virtio_pmem_type.kind;
    g_autofree char *cli = g_strdup_printf("file=%s,size=2M%s",
                                           g_get_tmp_dir(), opts);
    VirtioDevice *vdev;

    vm_config_kind_append(c, kind, vm_config_kind_parse_cli(kind, cli,
                                                            &error));
    g_assert_no_error(error);
    vdev = virtio_pmem_new(fake_host_base(host),
                           vm_config_kind_entry(c, kind, 0), &error);
    g_assert_no_error(error);
    return vdev;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GuestMemory *mem;
    static FakeHost *host;
    static VirtioDevice *vdev[2];
    static VirtQueueElem *elem;
    VirtioDevice *d;
    VirtQueue vq;
    uint8_t config[16];
    int r;

    if (!mem) {
        device_registry_init();
        mem = td_memory_new();
        host = fake_host_new_with_memory(mem);
        vdev[0] = fuzz_pmem_new(host, "");
        vdev[1] = fuzz_pmem_new(host, ",discard_writes=on");
        elem = virtqueue_elem_new(64);
    }
    if (size < 1)
        return 0;
    d = vdev[data[0] & 1];
    /* Config reads of any offset and width stay inside its 16 bytes. */
    d->ops->read_config(d, (data[0] >> 1) & 15, config, 1u << (data[0] >> 6));
    if (!td_fuzz_load(fake_host_base(host), &vq, data + 1, size - 1))
        return 0;
    while ((r = virtqueue_pop(&vq, elem)) == 0) {
        r = virtio_pmem_handle(d, elem);
        if (r < 0)
            break;          /* the device would be NEEDS_RESET now */
        virtqueue_push(&vq, elem, (uint32_t)r);
    }
    return 0;
}
